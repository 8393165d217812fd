"""The MQTT fabric: one connection to the broker, kept alive for as long as it is open.

`Fabric` drives paho-mqtt on the asyncio event loop (``add_reader``/``add_writer``, the
way aiomqtt does) instead of in paho's own thread: every callback then runs on the loop
thread, so incoming messages need no hand-off, and publishing is a plain function call.
docs/fabric.md gives the measurements behind that choice.

The connection is the context: entering connects (or raises `FabricError`), exiting
publishes the offline status and disconnects. In between, a lost connection is retried
forever with jittered exponential backoff, every subscription is restored, the birth
message is re-published, and QoS 1 messages published meanwhile are sent once the broker
is back (a bounded backlog; overflow is counted, never raised).

Matching topics against the subscriptions is `hub.topics`; paho's client with the fast
receive path (and every use of paho internals) is `hub.mqttclient`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import socket
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, Self

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from hub.clock import Clock, SystemClock
from hub.errors import FabricError
from hub.logthrottle import LogThrottle
from hub.mqttclient import FastClient, message_fields
from hub.topics import TopicTree, validate_filter

_LOGGER = logging.getLogger(__name__)

Cancel = Callable[[], None]
MessageCallback = Callable[["Message"], None]

_MAX_SUBSCRIPTION_ID = 268_435_455
# CONNACK codes with which a broker refuses MQTT 5 itself: 3.1.1's "unacceptable protocol
# version" (1), which paho reads as MQTT 5's "unsupported protocol version" (0x84).
_PROTOCOL_REFUSED = frozenset({1, 0x84})


@dataclass(frozen=True, slots=True)
class FabricSettings:
    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = None
    client_id: str = ""
    """Empty: a random ``atmosphere-<hex>`` id per fabric."""
    keepalive: int = 30
    protocol: Literal["5", "3.1.1"] = "5"
    """MQTT 5 falls back to 3.1.1 when the broker refuses it."""
    connect_timeout: float = 5.0
    backoff_initial: float = 0.1
    backoff_max: float = 30.0
    max_backlog: int = 10_000
    """QoS 1 messages held while the broker is away (and queued in flight)."""
    max_inflight: int = 100
    session_expiry: int = 0
    """Seconds the broker keeps our session (subscriptions, queued QoS 1) while we are
    away; 0 asks for a clean session. Needs a fixed `client_id` to be useful."""

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    payload: bytes
    qos: int = 0
    retain: bool = False


@dataclass(frozen=True, slots=True)
class FabricCounters:
    published: int = 0
    received: int = 0
    dropped: int = 0
    reconnects: int = 0
    callback_errors: int = 0


@dataclass(slots=True)
class _Subscription:
    pattern: str
    qos: int
    ident: int
    callbacks: list[MessageCallback] = field(default_factory=list)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the broker running? see `mqtt: host:`)"
    if isinstance(exc, socket.gaierror):
        return f"unknown host ({exc})"
    return str(exc) or type(exc).__name__


class Fabric:
    """One MQTT connection, used only as ``async with Fabric(settings) as fabric``.

    Methods are called from the event loop thread. Callbacks given to `subscribe` run on
    that thread too and must not block.
    """

    def __init__(
        self,
        settings: FabricSettings,
        *,
        will: tuple[str, bytes | str] | None = None,
        birth: tuple[str, bytes | str] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self._will = (will[0], _to_bytes(will[1])) if will else None
        self._birth = (birth[0], _to_bytes(birth[1])) if birth else None
        self._clock: Clock = clock or SystemClock()
        self._rng = random.Random()
        self._throttle = LogThrottle(self._clock)
        self._client_id = settings.client_id or f"atmosphere-{random.getrandbits(48):012x}"
        self._protocol = settings.protocol
        self._client: FastClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._open = False
        self._closing = False
        self._connected = False
        self._connected_event = asyncio.Event()
        self._lost = asyncio.Event()
        self._connack: asyncio.Future[None] | None = None
        self._watched: tuple[int, bool] | None = None  # (fd, writer registered)
        self._tasks: asyncio.TaskGroup | None = None
        self._task_list: list[asyncio.Task[None]] = []
        self._client_protocol = ""
        self._tree: TopicTree[_Subscription] = TopicTree()
        self._by_id: dict[int, _Subscription] = {}
        self._ids = itertools.count(1)
        self._subscription_ids = False
        self._backlog: deque[tuple[str, bytes, int, bool]] = deque()
        self._acks: dict[int, asyncio.Future[None]] = {}
        self._subacks: set[int] = set()
        self._subscribed = asyncio.Event()
        self._published = 0
        self._received = 0
        self._dropped = 0
        self._reconnects = 0
        self._callback_errors = 0

    # -- public API ---------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def protocol(self) -> str:
        """The MQTT version in use: ``"5"`` or ``"3.1.1"`` (after a fallback)."""
        return self._protocol

    @property
    def client_id(self) -> str:
        return self._client_id

    @property
    def counters(self) -> FabricCounters:
        return FabricCounters(
            published=self._published,
            received=self._received,
            dropped=self._dropped,
            reconnects=self._reconnects,
            callback_errors=self._callback_errors,
        )

    def publish(self, topic: str, payload: bytes | str, qos: int = 0, retain: bool = False) -> None:
        """Queue a message for the broker and return at once (no per-message ack).

        While the broker is away QoS 0 is dropped (and counted) and QoS 1 waits in the
        backlog; a full backlog drops (and counts) the message.
        """
        data = payload.encode() if isinstance(payload, str) else payload
        client = self._client
        if client is None:
            raise FabricError(
                f"cannot publish to {topic!r}: the fabric is not open (use `async with Fabric(...)`)"
            )
        if not self._connected:
            if qos > 0 and len(self._backlog) < self.settings.max_backlog:
                self._backlog.append((topic, data, qos, retain))
                self._published += 1
            else:
                self._drop(topic, "not connected" if qos == 0 else "backlog full")
            return
        if qos == 0 and client.queued >= self.settings.max_backlog:
            # the socket is not draining (a stalled broker): paho's queue has no bound
            self._drop(topic, "send queue full")
            return
        try:
            rc = client.publish(topic, data, qos, retain).rc
        except ValueError as exc:
            raise FabricError(f"cannot publish to {topic!r}: {exc}") from exc
        if rc == MQTTErrorCode.MQTT_ERR_SUCCESS or (
            rc == MQTTErrorCode.MQTT_ERR_NO_CONN and qos > 0  # paho resends it after reconnect
        ):
            self._published += 1
        else:
            self._drop(topic, mqtt.error_string(rc))

    async def publish_confirmed(
        self,
        topic: str,
        payload: bytes | str,
        qos: int = 1,
        retain: bool = False,
        timeout: float = 10.0,
    ) -> None:
        """Publish and wait until the broker acknowledged it (for QoS 0: until sent)."""
        client = self._client
        if client is None:
            raise FabricError(f"cannot publish to {topic!r}: the fabric is not open")
        data = payload.encode() if isinstance(payload, str) else payload
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        await self.wait_connected(timeout)
        try:
            info = client.publish(topic, data, qos, retain)
        except ValueError as exc:
            raise FabricError(f"cannot publish to {topic!r}: {exc}") from exc
        if info.rc not in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_NO_CONN):
            self._dropped += 1
            raise FabricError(f"cannot publish to {topic!r}: {mqtt.error_string(info.rc)}")
        self._published += 1
        if info.is_published():
            return
        ack = loop.create_future()
        self._acks[info.mid] = ack
        client.on_publish = self._on_publish
        try:
            async with asyncio.timeout(max(0.0, deadline - loop.time())):
                await ack
        except TimeoutError:
            raise FabricError(
                f"no acknowledgement from {self.settings.where} for {topic!r} within {timeout} s"
            ) from None
        finally:
            self._acks.pop(info.mid, None)
            if not self._acks:
                # paho builds two objects per message for on_publish: keep it off the hot path
                client.on_publish = None

    def subscribe(self, pattern: str, callback: MessageCallback, qos: int = 0) -> Cancel:
        """Call `callback` for every message matching `pattern` (``+``/``#`` allowed).

        Returns an idempotent cancel. The subscription survives reconnects.
        """
        try:
            validate_filter(pattern)
        except ValueError as exc:
            raise FabricError(f"cannot subscribe to {pattern!r}: {exc}") from exc
        sub = self._tree.get(pattern)
        if sub is None:
            sub = _Subscription(pattern, qos, self._next_id())
            self._tree.add(pattern, sub)
            self._by_id[sub.ident] = sub
            self._broker_subscribe(sub)
        elif qos > sub.qos:
            sub.qos = qos
            self._broker_subscribe(sub)
        sub.callbacks.append(callback)

        def cancel() -> None:
            if callback not in sub.callbacks:
                return
            sub.callbacks.remove(callback)
            if sub.callbacks or self._tree.get(pattern) is not sub:
                return
            self._tree.remove(pattern)
            self._by_id.pop(sub.ident, None)
            if self._connected and self._client is not None:
                self._client.unsubscribe(pattern)

        return cancel

    async def wait_connected(self, timeout: float) -> None:
        if self._connected:
            return
        try:
            async with asyncio.timeout(timeout):
                await self._connected_event.wait()
        except TimeoutError:
            raise FabricError(
                f"Not connected to {self.settings.where} within {timeout} s"
            ) from None

    async def wait_subscribed(self, timeout: float = 5.0) -> None:
        """Wait until the broker acknowledged every subscription made so far.

        `subscribe` returns at once; a caller that must not miss the next message on a
        new subscription (published by another client) awaits this first.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            await self.wait_connected(max(0.0, deadline - loop.time()))
            if not self._subacks:
                return
            try:
                async with asyncio.timeout(max(0.0, deadline - loop.time())):
                    await self._subscribed.wait()
            except TimeoutError:
                raise FabricError(
                    f"{self.settings.where} did not acknowledge the subscriptions within "
                    f"{timeout} s"
                ) from None

    # -- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if self._open:
            raise FabricError(f"the fabric to {self.settings.where} is already open: enter it once")
        self._open = True
        self._closing = False
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._connected_event = asyncio.Event()
        self._lost = asyncio.Event()
        self._subscribed = asyncio.Event()
        self._subacks.clear()
        try:
            await self._first_connect()
            self._tasks = asyncio.TaskGroup()
            await self._tasks.__aenter__()
            self._task_list = [
                self._tasks.create_task(self._keepalive(), name="fabric.keepalive"),
                self._tasks.create_task(self._reconnect_forever(), name="fabric.reconnect"),
            ]
        except BaseException:
            self._teardown()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closing = True
        try:
            if self._tasks is not None:
                for task in self._task_list:
                    task.cancel()
                await self._tasks.__aexit__(None, None, None)
            if self._connected:
                await self._say_goodbye()
        finally:
            self._teardown()

    async def _first_connect(self) -> None:
        try:
            await self._attempt()
        except _ProtocolRefused as exc:
            _LOGGER.info(
                "broker refused MQTT 5, falling back to 3.1.1 broker=%s reason=%s",
                self.settings.where,
                exc,
            )
            self._protocol = "3.1.1"
            self._unwatch()
            await self._attempt()
        _LOGGER.info(
            "fabric connected broker=%s protocol=%s client_id=%s",
            self.settings.where,
            self._protocol,
            self._client_id,
        )

    async def _say_goodbye(self) -> None:
        client = self._client
        assert client is not None
        if self._will is not None:
            try:
                await self.publish_confirmed(*self._will, qos=1, retain=True, timeout=2.0)
            except FabricError as exc:
                _LOGGER.warning(
                    "offline status not confirmed broker=%s: %s", self.settings.where, exc
                )
        gone = self._loop_future()
        self._connack = gone  # on_disconnect settles it
        client.disconnect()
        try:
            async with asyncio.timeout(2.0):
                await asyncio.shield(gone)
        except (TimeoutError, FabricError):
            pass

    def _teardown(self) -> None:
        self._unwatch()
        client = self._client
        if client is not None:
            sock = client.socket()
            if sock is not None:
                sock.close()
        for ack in self._acks.values():
            if not ack.done():
                ack.set_exception(FabricError(f"the fabric to {self.settings.where} closed"))
        self._acks.clear()
        self._client = None
        self._client_protocol = ""
        self._connected = False
        self._tasks = None
        self._task_list = []
        self._open = False

    # -- connecting -------------------------------------------------------------------------

    def _new_client(self) -> FastClient:
        s = self.settings
        v5 = self._protocol == "5"
        client = FastClient(
            CallbackAPIVersion.VERSION2,
            client_id=self._client_id,
            protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
            clean_session=None if v5 else s.session_expiry == 0,
            reconnect_on_failure=False,
        )
        if s.username is not None:
            client.username_pw_set(s.username, s.password)
        if self._will is not None:
            client.will_set(self._will[0], self._will[1], qos=1, retain=True)
        client.connect_timeout = s.connect_timeout
        client.max_inflight_messages_set(s.max_inflight)
        client.max_queued_messages_set(s.max_backlog)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        client.fast_message = self._on_fast_message
        client.on_socket_close = self._on_socket_close
        client.on_socket_register_write = self._on_register_write
        client.on_socket_unregister_write = self._on_unregister_write
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

    async def _attempt(self) -> None:
        """One connection attempt: TCP connect in a worker thread, then await CONNACK."""
        loop = asyncio.get_running_loop()
        self._unwatch()
        if self._client is None or self._client_protocol != self._protocol:
            self._client = self._new_client()
            self._client_protocol = self._protocol
        client = self._client
        client.reset_buffer()
        connack = self._loop_future()
        self._connack = connack
        where = self.settings.where
        try:
            # paho's connect blocks on the TCP handshake; the loop must not
            await loop.run_in_executor(None, client.reconnect)
        except (OSError, ValueError) as exc:
            raise FabricError(f"Not connected to {where}: {_describe(exc)}") from exc
        self._watch()
        try:
            async with asyncio.timeout(self.settings.connect_timeout):
                await connack
        except TimeoutError:
            self._unwatch()
            raise FabricError(
                f"Not connected to {where}: no CONNACK within {self.settings.connect_timeout} s"
            ) from None
        finally:
            self._connack = None

    def _loop_future(self) -> asyncio.Future[None]:
        assert self._loop is not None
        return self._loop.create_future()

    async def _reconnect_forever(self) -> None:
        while True:
            await self._lost.wait()
            self._lost.clear()
            delay = self.settings.backoff_initial
            while not self._connected:
                # jitter spreads the reconnects of many hubs after a broker restart
                await self._clock.sleep(self._rng.uniform(delay / 2, delay))
                try:
                    await self._attempt()
                except FabricError as exc:
                    if self._throttle.allow("reconnect"):
                        _LOGGER.warning("%s; retrying, next within %.1f s", exc, delay * 2)
                    delay = min(delay * 2, self.settings.backoff_max)
            self._reconnects += 1
            _LOGGER.info("fabric reconnected broker=%s", self.settings.where)

    async def _keepalive(self) -> None:
        while True:
            await self._clock.sleep(1.0)
            if self._connected and self._client is not None:
                self._client.loop_misc()

    # -- the event loop's side of paho --------------------------------------------------------

    def _watch(self) -> None:
        client, loop = self._client, self._loop
        assert client is not None and loop is not None
        sock = client.socket()
        if sock is None:
            return
        if isinstance(sock, socket.socket) and sock.family in (socket.AF_INET, socket.AF_INET6):
            # Without it a large reply (a 200 KB frame) waits ~40 ms for a delayed ACK.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        fd = sock.fileno()
        loop.add_reader(fd, self._on_readable)
        self._watched = (fd, False)
        if client.want_write():
            self._add_writer()

    def _unwatch(self) -> None:
        if self._watched is None or self._loop is None:
            return
        fd, writing = self._watched
        self._loop.remove_reader(fd)
        if writing:
            self._loop.remove_writer(fd)
        self._watched = None

    def _add_writer(self) -> None:
        if self._watched is None or self._watched[1] or self._loop is None:
            return
        fd = self._watched[0]
        self._loop.add_writer(fd, self._on_writable)
        self._watched = (fd, True)

    def _on_readable(self) -> None:
        client = self._client
        if client is None:
            return
        client.loop_read()
        while client.buffered and client.socket() is not None:
            client.loop_read()

    def _on_writable(self) -> None:
        if self._client is not None:
            self._client.loop_write()

    def _in_loop_thread(self) -> bool:
        return threading.get_ident() == self._loop_thread

    def _on_register_write(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        # From the connect thread the socket is not watched yet: `_watch` adds the writer.
        if self._in_loop_thread():
            self._add_writer()

    def _on_unregister_write(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        if self._in_loop_thread() and self._watched is not None and self._watched[1]:
            assert self._loop is not None
            self._loop.remove_writer(self._watched[0])
            self._watched = (self._watched[0], False)

    def _on_socket_close(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        if self._in_loop_thread():
            self._unwatch()

    # -- paho callbacks (loop thread) ------------------------------------------------------------

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any
    ) -> None:
        connack = self._connack
        if reason.is_failure:
            if connack is None or connack.done():
                return
            if self._protocol == "5" and reason.value in _PROTOCOL_REFUSED:
                connack.set_exception(_ProtocolRefused(str(reason)))
            else:
                connack.set_exception(
                    FabricError(f"Not connected to {self.settings.where}: {reason}")
                )
            return
        self._subscription_ids = self._protocol == "5" and bool(
            getattr(props, "SubscriptionIdentifierAvailable", 1)
        )
        self._connected = True
        self._restore_subscriptions()
        if self._birth is not None:
            client.publish(self._birth[0], self._birth[1], qos=1, retain=True)
        while self._backlog:
            topic, data, qos, retain = self._backlog.popleft()
            client.publish(topic, data, qos, retain)
        self._connected_event.set()
        if connack is not None and not connack.done():
            connack.set_result(None)

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any
    ) -> None:
        was_connected = self._connected
        self._connected = False
        self._connected_event.clear()
        self._subacks.clear()  # on_connect subscribes everything again
        connack = self._connack
        if connack is not None and not connack.done():
            if self._protocol == "5" and not was_connected and not self._closing:
                # brokers that speak only 3.1.1 may just hang up on an MQTT 5 CONNECT
                connack.set_exception(_ProtocolRefused(f"connection closed: {reason}"))
            elif self._closing:
                connack.set_result(None)
            else:
                connack.set_exception(
                    FabricError(f"Not connected to {self.settings.where}: {reason}")
                )
        if was_connected and not self._closing:
            _LOGGER.warning(
                "fabric lost the broker broker=%s reason=%s", self.settings.where, reason
            )
            self._lost.set()

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, props: Any
    ) -> None:
        self._subacks.discard(mid)
        for reason in reasons:
            if reason.is_failure and self._throttle.allow("suback"):
                _LOGGER.warning(
                    "broker refused a subscription broker=%s reason=%s", self.settings.where, reason
                )
        if not self._subacks:
            self._subscribed.set()

    def _on_publish(
        self, client: mqtt.Client, userdata: Any, mid: int, reason: ReasonCode, props: Any
    ) -> None:
        ack = self._acks.get(mid)
        if ack is None or ack.done():
            return
        if reason.is_failure:
            ack.set_exception(FabricError(f"the broker refused the message: {reason}"))
        else:
            ack.set_result(None)

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        # paho's own path: QoS 2 and the rare PUBLISH the fast path does not decode
        self._on_fast_message(*message_fields(msg))

    def _on_fast_message(
        self, raw_topic: bytes, payload: bytes, qos: int, retain: bool, ids: tuple[int, ...]
    ) -> None:
        self._received += 1
        try:
            topic = raw_topic.decode()
        except UnicodeDecodeError:
            self._drop(repr(raw_topic), "topic is not UTF-8")
            return
        message = Message(topic, payload, qos, retain)
        if ids and self._subscription_ids:
            # MQTT 5 brokers send one copy per matching subscription, each with its id
            for ident in ids:
                sub = self._by_id.get(ident)
                if sub is not None:
                    self._deliver(sub, message)
        else:
            for sub in self._tree.match(topic):
                self._deliver(sub, message)

    def _deliver(self, sub: _Subscription, message: Message) -> None:
        for callback in tuple(sub.callbacks):
            try:
                callback(message)
            except Exception:  # one broken subscriber must not stop the others
                self._callback_errors += 1
                if self._throttle.allow(sub.pattern):
                    _LOGGER.exception(
                        "subscriber failed topic=%s pattern=%s", message.topic, sub.pattern
                    )

    # -- helpers ------------------------------------------------------------------------------

    def _next_id(self) -> int:
        return next(self._ids) % _MAX_SUBSCRIPTION_ID or next(self._ids)

    def _broker_subscribe(self, sub: _Subscription) -> None:
        if self._connected and self._client is not None:
            self._send_subscribe(self._client, sub)

    def _send_subscribe(self, client: mqtt.Client, sub: _Subscription) -> None:
        if self._subscription_ids:
            props = Properties(PacketTypes.SUBSCRIBE)  # type: ignore[no-untyped-call]
            props.SubscriptionIdentifier = sub.ident
            self._expect_suback(client.subscribe(sub.pattern, sub.qos, properties=props))
        else:
            self._expect_suback(client.subscribe(sub.pattern, sub.qos))

    def _expect_suback(self, sent: tuple[MQTTErrorCode, int | None]) -> None:
        rc, mid = sent
        if rc == MQTTErrorCode.MQTT_ERR_SUCCESS and mid is not None:
            self._subacks.add(mid)
            self._subscribed.clear()

    def _restore_subscriptions(self) -> None:
        client = self._client
        assert client is not None
        subs = list(self._tree.values())
        if not subs:
            return
        if self._subscription_ids:
            for sub in subs:  # one id per SUBSCRIBE packet
                self._send_subscribe(client, sub)
        else:
            self._expect_suback(client.subscribe([(sub.pattern, sub.qos) for sub in subs]))

    def _drop(self, topic: str, reason: str) -> None:
        self._dropped += 1
        if self._throttle.allow("drop"):
            _LOGGER.warning(
                "message dropped topic=%s reason=%s dropped=%d", topic, reason, self._dropped
            )


class _ProtocolRefused(FabricError):
    """The broker does not speak MQTT 5 (internal: triggers the 3.1.1 fallback)."""


def _to_bytes(payload: bytes | str) -> bytes:
    return payload.encode() if isinstance(payload, str) else payload
