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

The parts: what to connect to is `hub.fabric.settings`; connecting, the 3.1.1 fallback
and reconnecting are `hub.fabric.connect`; the event loop's side of paho is
`hub.fabric.loop`; the subscription table is `hub.fabric.subscriptions` (matching topics
against it, `hub.fabric.topics`); paho's client with the fast receive path (and every use
of paho internals) is `hub.fabric.client`.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTErrorCode
from paho.mqtt.reasoncodes import ReasonCode

from hub.clock import Clock, SystemClock
from hub.errors import FabricError
from hub.fabric.client import FastClient, message_fields
from hub.fabric.connect import Connector
from hub.fabric.settings import FabricSettings
from hub.fabric.subscriptions import Subscription, Subscriptions
from hub.inputs import filter_problem, shown, topic_problem
from hub.logthrottle import LogThrottle

_LOGGER = logging.getLogger(__name__)

Cancel = Callable[[], None]
_BEHIND_WARN_S = 1.0  # behind for this long without catching up is worth a warning
MessageCallback = Callable[["Message"], None]


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
    behind: int = 0
    """Reads that stopped with input still waiting: the hub was behind the broker."""
    input_waiting_bytes: int = 0
    """Received from the broker and not handled yet (now; the rest waits in the broker)."""


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
        goodbye: tuple[str, bytes | str] | None = None,
        clock: Clock | None = None,
    ) -> None:
        """`will` is published by the broker if the connection drops; `goodbye` by us on a
        clean exit (the will's message when not given), retained, so that a reader can
        tell a stop from a crash."""
        self.settings = settings
        for end in (will, birth, goodbye):
            if end is not None:
                _check_topic(end[0])
        self._will = (will[0], _to_bytes(will[1])) if will else None
        self._birth = (birth[0], _to_bytes(birth[1])) if birth else None
        self._goodbye = (goodbye[0], _to_bytes(goodbye[1])) if goodbye else self._will
        clock = clock or SystemClock()
        self._clock = clock
        self._throttle = LogThrottle(clock)
        self._conn = Connector(
            settings,
            settings.client_id or f"atmosphere-{random.getrandbits(48):012x}",
            will=self._will,
            wire=self._wire,
            connected=lambda: self._connected,
            clock=clock,
            throttle=self._throttle,
        )
        self._open = False
        self._closing = False
        self._connected = False
        self._connected_event = asyncio.Event()
        self._tasks: asyncio.TaskGroup | None = None
        self._task_list: list[asyncio.Task[None]] = []
        self._subs: Subscriptions[MessageCallback] = Subscriptions(self._live_client)
        self._backlog: deque[tuple[str, bytes, int, bool]] = deque()
        self._acks: dict[int, asyncio.Future[None]] = {}
        self._published = 0
        self._received = 0
        self._dropped = 0
        self._callback_errors = 0
        self._behind = 0
        self._behind_since: float | None = None

    # -- public API ---------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def protocol(self) -> str:
        """The MQTT version in use: ``"5"`` or ``"3.1.1"`` (after a fallback)."""
        return self._conn.protocol

    @property
    def client_id(self) -> str:
        return self._conn.client_id

    @property
    def counters(self) -> FabricCounters:
        return FabricCounters(
            published=self._published,
            received=self._received,
            dropped=self._dropped,
            reconnects=self._conn.reconnects,
            callback_errors=self._callback_errors,
            behind=self._behind,
            input_waiting_bytes=client.input_waiting() if (client := self._conn.client) else 0,
        )

    def publish(self, topic: str, payload: bytes | str, qos: int = 0, retain: bool = False) -> None:
        """Queue a message for the broker and return at once (no per-message ack).

        While the broker is away QoS 0 is dropped (and counted) and QoS 1 waits in the
        backlog; a full backlog drops (and counts) the message.
        """
        _check_topic(topic)
        data = payload.encode() if isinstance(payload, str) else payload
        client = self._conn.client
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
        _check_topic(topic)
        client = self._conn.client
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

        Returns an idempotent cancel. The subscription survives reconnects. A filter the
        broker would refuse (a NUL, a control character, a lone surrogate...: see
        `hub.inputs`) raises FabricError before anything is sent or kept: the broker
        would drop the connection for it, and every reconnect would send it again.
        """
        problem = filter_problem(pattern) if isinstance(pattern, str) else "is not text"
        if problem is not None:
            raise FabricError(f"cannot subscribe to {shown(pattern)}: {problem}")
        return self._subs.add(pattern, qos, callback)

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
            if not self._subs.pending:
                return
            try:
                async with asyncio.timeout(max(0.0, deadline - loop.time())):
                    await self._subs.acknowledged.wait()
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
        self._conn.bind(asyncio.get_running_loop())
        self._connected_event = asyncio.Event()
        self._subs.reset()
        try:
            await self._conn.first_connect()
            self._tasks = asyncio.TaskGroup()
            await self._tasks.__aenter__()
            self._task_list = [
                self._tasks.create_task(self._conn.keepalive(), name="fabric.keepalive"),
                self._tasks.create_task(self._conn.reconnect_forever(), name="fabric.reconnect"),
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

    async def _say_goodbye(self) -> None:
        if self._goodbye is not None:
            try:
                await self.publish_confirmed(*self._goodbye, qos=1, retain=True, timeout=2.0)
            except FabricError as exc:
                _LOGGER.warning(
                    "offline status not confirmed broker=%s: %s", self.settings.where, exc
                )
        await self._conn.disconnect()

    def _teardown(self) -> None:
        self._conn.close()
        for ack in self._acks.values():
            if not ack.done():
                ack.set_exception(FabricError(f"the fabric to {self.settings.where} closed"))
        self._acks.clear()
        self._connected = False
        self._tasks = None
        self._task_list = []
        self._open = False

    def _wire(self, client: FastClient) -> None:
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        client.fast_message = self._on_fast_message
        client.on_slice = self._on_slice

    @property
    def _client(self) -> FastClient | None:
        # The benchmarks reach for paho's client here (bench/fabric.py, bench/camera.py).
        return self._conn.client

    def _live_client(self) -> mqtt.Client | None:
        return self._conn.client if self._connected else None

    # -- paho callbacks (loop thread) ------------------------------------------------------------

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any
    ) -> None:
        if reason.is_failure:
            self._conn.refused(reason)
            return
        self._subs.use_ids = self._conn.protocol == "5" and bool(
            getattr(props, "SubscriptionIdentifierAvailable", 1)
        )
        self._connected = True
        self._subs.restore(client)
        if self._birth is not None:
            client.publish(self._birth[0], self._birth[1], qos=1, retain=True)
        while self._backlog:
            topic, data, qos, retain = self._backlog.popleft()
            client.publish(topic, data, qos, retain)
        self._connected_event.set()
        self._conn.established()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any
    ) -> None:
        was_connected = self._connected
        self._connected = False
        self._connected_event.clear()
        self._subs.lost()
        if was_connected and not self._closing:
            _LOGGER.warning(
                "fabric lost the broker broker=%s reason=%s", self.settings.where, reason
            )
        self._conn.closed(reason, was_connected=was_connected, closing=self._closing)

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, props: Any
    ) -> None:
        for reason in reasons:
            if reason.is_failure and self._throttle.allow("suback"):
                _LOGGER.warning(
                    "broker refused a subscription broker=%s reason=%s", self.settings.where, reason
                )
        self._subs.suback(mid)

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
        subs = self._subs
        if ids and subs.use_ids:
            # MQTT 5 brokers send one copy per matching subscription, each with its id
            for ident in ids:
                sub = subs.by_id.get(ident)
                if sub is not None:
                    self._deliver(sub, message)
        else:
            for sub in subs.tree.match(topic):
                self._deliver(sub, message)

    def _on_slice(self, waiting: int) -> None:
        # Nothing is dropped here: the rest waits in TCP, which slows the broker down; past
        # its queue limit (Mosquitto: max_queued_messages) the broker drops QoS 0 for us.
        if not waiting:
            self._behind_since = None
            return
        self._behind += 1
        now = self._clock.monotonic()
        if self._behind_since is None:
            self._behind_since = now  # a burst is normal (retained messages at start)
        elif now - self._behind_since >= _BEHIND_WARN_S and self._throttle.allow("behind"):
            _LOGGER.warning(
                "fabric is behind the broker for %.1f s: more arrives than the subscribers"
                " handle broker=%s waiting_bytes=%d behind=%d received=%d",
                now - self._behind_since,
                self.settings.where,
                waiting,
                self._behind,
                self._received,
            )

    def _deliver(self, sub: Subscription[MessageCallback], message: Message) -> None:
        for callback in tuple(sub.callbacks):
            try:
                callback(message)
            except Exception:  # one broken subscriber must not stop the others
                self._callback_errors += 1
                if self._throttle.allow(sub.pattern):
                    _LOGGER.exception(
                        "subscriber failed topic=%s pattern=%s", message.topic, sub.pattern
                    )

    def _drop(self, topic: str, reason: str) -> None:
        self._dropped += 1
        if self._throttle.allow("drop"):
            _LOGGER.warning(
                "message dropped topic=%s reason=%s dropped=%d", topic, reason, self._dropped
            )


def _check_topic(topic: str) -> None:
    """FabricError unless `topic` can be published to: checked before anything is queued,
    so a bad topic never reaches paho, the backlog or the broker."""
    problem = topic_problem(topic) if isinstance(topic, str) else "is not text"
    if problem is not None:
        raise FabricError(f"cannot publish to {shown(topic)}: {problem}")


def _to_bytes(payload: bytes | str) -> bytes:
    return payload.encode() if isinstance(payload, str) else payload
