"""`Subscriptions`: what the fabric is subscribed to, kept across reconnects.

One entry per topic filter, shared by every callback on it (at the highest QoS asked for;
each new callback re-sends the SUBSCRIBE so that it, too, receives the retained messages). Each entry has an MQTT 5 subscription
identifier, so that a message matching several filters can be delivered by id instead of
by matching its topic again. The SUBACKs still outstanding are tracked, so a caller can
wait until the broker has every subscription in place.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from hub.clock import Cancel
from hub.fabric.topics import TopicTree

C = TypeVar("C")
"""The callback type, which the table only keeps."""

_MAX_SUBSCRIPTION_ID = 268_435_455


@dataclass(slots=True)
class Subscription(Generic[C]):
    pattern: str
    qos: int
    ident: int
    callbacks: list[C] = field(default_factory=list)


class Subscriptions(Generic[C]):
    """The subscription table; `live` gives the connected client, or None while the broker
    is away (changes made then reach it with the next `restore`)."""

    def __init__(self, live: Callable[[], mqtt.Client | None]) -> None:
        self.tree: TopicTree[Subscription[C]] = TopicTree()
        self.by_id: dict[int, Subscription[C]] = {}
        self.use_ids = False
        """The broker takes subscription identifiers (decided on every connect)."""
        self.acknowledged = asyncio.Event()
        """Set when no SUBACK is outstanding."""
        self._live = live
        self._ids = itertools.count(1)
        self._subacks: set[int] = set()

    @property
    def pending(self) -> bool:
        """Some SUBSCRIBE has not been acknowledged yet."""
        return bool(self._subacks)

    def reset(self) -> None:
        """Start a new connection lifetime (the fabric was entered)."""
        self.acknowledged = asyncio.Event()
        self._subacks.clear()

    def add(self, pattern: str, qos: int, callback: C) -> Cancel:
        """Add `callback` on `pattern` (already validated); returns an idempotent cancel."""
        sub = self.tree.get(pattern)
        if sub is None:
            sub = Subscription(pattern, qos, self._next_id())
            self.tree.add(pattern, sub)
            self.by_id[sub.ident] = sub
            self._broker_subscribe(sub)
        else:
            # SUBSCRIBE again even at the same QoS: the broker then replays the retained
            # messages, which the new callback has not seen. The callbacks already there see
            # them again (retain flag set), as any MQTT client does on a re-subscribe.
            sub.qos = max(sub.qos, qos)
            self._broker_subscribe(sub)
        sub.callbacks.append(callback)

        def cancel() -> None:
            if callback not in sub.callbacks:
                return
            sub.callbacks.remove(callback)
            if sub.callbacks or self.tree.get(pattern) is not sub:
                return
            self.tree.remove(pattern)
            self.by_id.pop(sub.ident, None)
            client = self._live()
            if client is not None:
                client.unsubscribe(pattern)

        return cancel

    def restore(self, client: mqtt.Client) -> None:
        """Subscribe everything on a new connection."""
        subs = list(self.tree.values())
        if not subs:
            return
        if self.use_ids:
            for sub in subs:  # one id per SUBSCRIBE packet
                self._send_subscribe(client, sub)
        else:
            self._expect_suback(client.subscribe([(sub.pattern, sub.qos) for sub in subs]))

    def lost(self) -> None:
        """The connection is gone, and with it every outstanding SUBACK."""
        self._subacks.clear()  # `restore` subscribes everything again

    def suback(self, mid: int) -> None:
        self._subacks.discard(mid)
        if not self._subacks:
            self.acknowledged.set()

    def _next_id(self) -> int:
        return next(self._ids) % _MAX_SUBSCRIPTION_ID or next(self._ids)

    def _broker_subscribe(self, sub: Subscription[C]) -> None:
        client = self._live()
        if client is not None:
            self._send_subscribe(client, sub)

    def _send_subscribe(self, client: mqtt.Client, sub: Subscription[C]) -> None:
        if self.use_ids:
            props = Properties(PacketTypes.SUBSCRIBE)  # type: ignore[no-untyped-call]
            props.SubscriptionIdentifier = sub.ident
            self._expect_suback(client.subscribe(sub.pattern, sub.qos, properties=props))
        else:
            self._expect_suback(client.subscribe(sub.pattern, sub.qos))

    def _expect_suback(self, sent: tuple[MQTTErrorCode, int | None]) -> None:
        rc, mid = sent
        if rc == MQTTErrorCode.MQTT_ERR_SUCCESS and mid is not None:
            self._subacks.add(mid)
            self.acknowledged.clear()
