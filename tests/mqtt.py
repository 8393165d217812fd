"""A plain paho client for tests: an independent MQTT peer, not the hub's own fabric."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion


@dataclass
class Peer:
    client: paho.Client
    received: list[tuple[str, bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def publish(self, topic: str, payload: bytes | str, qos: int = 1, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=qos, retain=retain).wait_for_publish(5)

    def subscribe(self, pattern: str) -> None:
        done = threading.Event()
        self.client.on_subscribe = lambda *args: done.set()
        self.client.subscribe(pattern, qos=1)
        if not done.wait(5):
            raise TimeoutError(f"no SUBACK for {pattern}")

    def messages(self, topic: str) -> list[bytes]:
        with self.lock:
            return [p for t, p in self.received if t == topic]


@contextmanager
def mqtt_peer(host: str, port: int) -> Iterator[Peer]:
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"test-{uuid.uuid4().hex[:8]}")
    peer = Peer(client)

    def on_message(_c: paho.Client, _u: object, message: paho.MQTTMessage) -> None:
        with peer.lock:
            peer.received.append((message.topic, bytes(message.payload)))

    client.on_message = on_message
    client.connect(host, port)
    client.loop_start()
    try:
        yield peer
    finally:
        client.disconnect()
        client.loop_stop()
