"""`Connector`: a fabric's paho client and its connection to the broker.

It builds the client from `FabricSettings`, connects it (TCP in a worker thread, so the
loop never blocks on a handshake, then the CONNACK), falls back to MQTT 3.1.1 when the
broker refuses 5, and after a loss reconnects with jittered exponential backoff. The
socket is driven by the event loop through `hub.fabric.loop.SocketWatch`.

The fabric owns the session: its paho callbacks decide when the connection is up or gone
and report it here (`established`, `refused`, `closed`), which settles the CONNACK an
attempt waits for. Errors say where and what went wrong (`FabricError`).
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
from collections.abc import Callable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from hub.clock import Clock
from hub.errors import FabricError
from hub.fabric.client import FastClient
from hub.fabric.loop import SocketWatch
from hub.fabric.settings import FabricSettings
from hub.logthrottle import LogThrottle

_LOGGER = logging.getLogger(__name__)

# CONNACK codes with which a broker refuses MQTT 5 itself: 3.1.1's "unacceptable protocol
# version" (1), which paho reads as MQTT 5's "unsupported protocol version" (0x84).
_PROTOCOL_REFUSED = frozenset({1, 0x84})


class Connector:
    """Connects one client and keeps it connected, for as long as the fabric is open.

    `wire` sets the fabric's callbacks on every new client; `connected` says whether the
    session is up (the fabric's ``on_connect`` and ``on_disconnect`` decide).
    """

    def __init__(
        self,
        settings: FabricSettings,
        client_id: str,
        *,
        will: tuple[str, bytes] | None,
        wire: Callable[[FastClient], None],
        connected: Callable[[], bool],
        clock: Clock,
        throttle: LogThrottle,
    ) -> None:
        self.settings = settings
        self.client_id = client_id
        self.protocol: str = settings.protocol
        self.client: FastClient | None = None
        self.reconnects = 0
        self._will = will
        self._wire = wire
        self._connected = connected
        self._clock = clock
        self._throttle = throttle
        self._backoff = Backoff(settings.backoff_initial, settings.backoff_max)
        self._socket = SocketWatch()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lost = asyncio.Event()
        self._connack: asyncio.Future[None] | None = None
        self._client_protocol = ""

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start a connection lifetime on `loop` (the fabric was entered)."""
        self._loop = loop
        self._socket.bind(loop)
        self._lost = asyncio.Event()

    async def first_connect(self) -> None:
        """Connect, falling back to 3.1.1 once if the broker refuses MQTT 5."""
        try:
            await self._attempt()
        except _ProtocolRefused as exc:
            _LOGGER.info(
                "broker refused MQTT 5, falling back to 3.1.1 broker=%s reason=%s",
                self.settings.where,
                exc,
            )
            self.protocol = "3.1.1"
            self._socket.unwatch()
            await self._attempt()
        _LOGGER.info(
            "fabric connected broker=%s protocol=%s client_id=%s",
            self.settings.where,
            self.protocol,
            self.client_id,
        )

    async def reconnect_forever(self) -> None:
        """After every `lost`, attempt until connected, with backoff; runs until cancelled."""
        backoff = self._backoff
        while True:
            await self._lost.wait()
            self._lost.clear()
            backoff.reset()
            while not self._connected():
                await self._clock.sleep(backoff.wait())
                try:
                    await self._attempt()
                except FabricError as exc:
                    if self._throttle.allow("reconnect"):
                        _LOGGER.warning("%s; retrying, next within %.1f s", exc, backoff.delay * 2)
                    backoff.failed()
                except Exception:  # this task shares the hub's task group:
                    # an error escaping it would stop the whole hub, so log it and retry.
                    if self._throttle.allow("reconnect-bug"):
                        _LOGGER.exception("fabric reconnect failed unexpectedly broker=%s",
                                          self.settings.where)
                    backoff.failed()
            self.reconnects += 1
            _LOGGER.info("fabric reconnected broker=%s", self.settings.where)

    async def keepalive(self) -> None:
        """paho's PINGREQ timing, which its own thread would otherwise drive."""
        while True:
            await self._clock.sleep(1.0)
            if self._connected() and self.client is not None:
                try:
                    self.client.loop_misc()
                except Exception:  # as in reconnect_forever: never stop the hub
                    if self._throttle.allow("keepalive-bug"):
                        _LOGGER.exception("fabric keepalive failed broker=%s",
                                          self.settings.where)

    # -- reports from the fabric's paho callbacks -----------------------------------------

    def established(self) -> None:
        """The broker accepted the CONNECT."""
        connack = self._connack
        if connack is not None and not connack.done():
            connack.set_result(None)

    def refused(self, reason: ReasonCode) -> None:
        """The broker refused the CONNECT."""
        connack = self._connack
        if connack is None or connack.done():
            return
        if self.protocol == "5" and reason.value in _PROTOCOL_REFUSED:
            connack.set_exception(_ProtocolRefused(str(reason)))
        else:
            connack.set_exception(FabricError(f"Not connected to {self.settings.where}: {reason}"))

    def closed(self, reason: ReasonCode, *, was_connected: bool, closing: bool) -> None:
        """The connection closed; unless `closing`, a lost session is brought back."""
        connack = self._connack
        if connack is not None and not connack.done():
            if self.protocol == "5" and not was_connected and not closing:
                # brokers that speak only 3.1.1 may just hang up on an MQTT 5 CONNECT
                connack.set_exception(_ProtocolRefused(f"connection closed: {reason}"))
            elif closing:
                connack.set_result(None)
            else:
                connack.set_exception(
                    FabricError(f"Not connected to {self.settings.where}: {reason}")
                )
        if was_connected and not closing:
            self._lost.set()

    # -- closing ----------------------------------------------------------------------------

    async def disconnect(self) -> None:
        """Send DISCONNECT and wait (at most 2 s) until the connection closed."""
        client = self.client
        assert client is not None
        gone = self._loop_future()
        self._connack = gone  # `closed` settles it
        client.disconnect()
        try:
            async with asyncio.timeout(2.0):
                await asyncio.shield(gone)
        except (TimeoutError, FabricError):
            pass

    def close(self) -> None:
        """Stop watching the socket, close it and forget the client."""
        self._socket.release()
        client = self.client
        if client is not None:
            sock = client.socket()
            if sock is not None:
                sock.close()
        self.client = None
        self._client_protocol = ""

    # -- one attempt ------------------------------------------------------------------------

    async def _attempt(self) -> None:
        """TCP connect in a worker thread, then await CONNACK (a new client if the
        protocol changed)."""
        loop = asyncio.get_running_loop()
        self._socket.unwatch()
        if self.client is None or self._client_protocol != self.protocol:
            self.client = self._new_client()
            self._client_protocol = self.protocol
        client = self.client
        client.reset_buffer()
        connack = self._loop_future()
        self._connack = connack
        where = self.settings.where
        try:
            # paho's connect blocks on the TCP handshake; the loop must not
            await loop.run_in_executor(None, client.reconnect)
        except (OSError, ValueError) as exc:
            raise FabricError(f"Not connected to {where}: {_describe(exc)}") from exc
        self._socket.watch(client)
        try:
            async with asyncio.timeout(self.settings.connect_timeout):
                await connack
        except TimeoutError:
            self._socket.unwatch()
            raise FabricError(
                f"Not connected to {where}: no CONNACK within {self.settings.connect_timeout} s"
            ) from None
        finally:
            self._connack = None

    def _new_client(self) -> FastClient:
        s = self.settings
        v5 = self.protocol == "5"
        client = FastClient(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
            clean_session=None if v5 else s.session_expiry == 0,
            reconnect_on_failure=False,
        )
        if s.username is not None:
            client.username_pw_set(s.username, s.password)
        if s.tls is not None:
            client.tls_set_context(s.tls.context())
            client.tls_insecure_set(s.tls.insecure)
        if self._will is not None:
            client.will_set(self._will[0], self._will[1], qos=1, retain=True)
        client.connect_timeout = s.connect_timeout
        client.max_inflight_messages_set(s.max_inflight)
        client.max_queued_messages_set(s.max_backlog)
        self._wire(client)
        self._socket.install(client)
        properties = None
        if v5 and s.session_expiry:
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.SessionExpiryInterval = s.session_expiry
        client.connect_async(
            s.host,
            s.port,
            s.keepalive,
            clean_start=s.session_expiry == 0 if v5 else mqtt.MQTT_CLEAN_START_FIRST_ONLY,
            properties=properties,
        )
        return client

    def _loop_future(self) -> asyncio.Future[None]:
        assert self._loop is not None
        return self._loop.create_future()


class Backoff:
    """Jittered exponential backoff: each wait is drawn from [d/2, d], and d doubles after
    every failure, from `initial` up to `maximum`. The jitter spreads the reconnects of
    many hubs after a broker restart."""

    __slots__ = ("_initial", "_maximum", "_rng", "delay")

    def __init__(self, initial: float, maximum: float) -> None:
        self._initial = initial
        self._maximum = maximum
        self._rng = random.Random()
        self.delay = initial

    def reset(self) -> None:
        self.delay = self._initial

    def wait(self) -> float:
        """Seconds to sleep before the next attempt."""
        return self._rng.uniform(self.delay / 2, self.delay)

    def failed(self) -> None:
        self.delay = min(self.delay * 2, self._maximum)


class _ProtocolRefused(FabricError):
    """The broker does not speak MQTT 5 (internal: triggers the 3.1.1 fallback)."""


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the broker running? see `mqtt: host:`)"
    if isinstance(exc, socket.gaierror):
        return f"unknown host ({exc})"
    return str(exc) or type(exc).__name__
