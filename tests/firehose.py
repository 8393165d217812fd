"""A flood of MQTT messages from a thread: a bare MQTT 3.1.1 socket client that writes ready
packets as fast as the broker takes them, many per write, so that it outpaces the hub.

No client library: building and writing packets costs next to nothing, and the thread
spends its time in ``sendall`` (outside the GIL), not competing with the hub's loop.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _packet(kind: int, body: bytes) -> bytes:
    return bytes([kind]) + _varint(len(body)) + body


def _text(value: str) -> bytes:
    data = value.encode()
    return len(data).to_bytes(2, "big") + data


def publish_packet(topic: str, payload: bytes, retain: bool = False) -> bytes:
    """One QoS 0 PUBLISH."""
    return _packet(0x31 if retain else 0x30, _text(topic) + payload)


def connect(host: str, port: int, client_id: str = "") -> socket.socket:
    """A connected MQTT 3.1.1 session (clean, keepalive 60 s) on a plain socket."""
    sock = socket.create_connection((host, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client_id = client_id or f"flood-{uuid.uuid4().hex[:8]}"
    sock.sendall(_packet(0x10, _text("MQTT") + b"\x04\x02\x00\x3c" + _text(client_id)))
    connack = sock.recv(4)
    if len(connack) != 4 or connack[0] != 0x20 or connack[3] != 0:
        raise RuntimeError(f"the broker refused the flood client: {connack!r}")
    return sock


def drained(sock: socket.socket) -> None:
    """PINGREQ, then wait for PINGRESP: the broker handles a connection's packets in order,
    so everything published before has been routed."""
    sock.sendall(b"\xc0\x00")
    while sock.recv(2) != b"\xd0\x00":
        pass


class Flood:
    """Writes `packets` round robin, `batch` per write, until `total` were sent (0: until
    stopped) or `stop()`. `sent` counts what the broker has taken."""

    def __init__(self, host: str, port: int, packets: Sequence[bytes], *, total: int = 0,
                 batch: int = 200, limit_s: float = 60.0) -> None:
        self.host, self.port = host, port
        self.total = total
        self.limit_s = limit_s  # a flood never outlives a test that forgot to stop it
        self.sent = 0
        self.error: BaseException | None = None
        count = len(packets)
        self._blobs = [b"".join(packets[(i + j) % count] for j in range(batch))
                       for i in range(0, count, batch)] if count >= batch else [
                           b"".join(packets[j % count] for j in range(batch))]
        self._batch = batch
        self._stop = threading.Event()
        self.started = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tests.firehose", daemon=True)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> None:
        self._thread.start()
        if not self.started.wait(10):
            raise RuntimeError("the flood did not connect within 10 s")
        if self.error is not None:
            raise RuntimeError(f"the flood cannot start: {self.error}") from self.error

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)
        if self.error is not None:
            raise RuntimeError(f"the flood failed: {self.error}") from self.error

    def _run(self) -> None:
        try:
            sock = connect(self.host, self.port)
        except (OSError, RuntimeError) as exc:
            self.error = exc
            self.started.set()
            return
        self.started.set()
        deadline = time.monotonic() + self.limit_s
        try:
            i = 0
            blobs = self._blobs
            while not self._stop.is_set() and time.monotonic() < deadline:
                if self.total and self.sent >= self.total:
                    break
                sock.sendall(blobs[i % len(blobs)])
                self.sent += self._batch
                i += 1
            drained(sock)
            sock.sendall(b"\xe0\x00")  # DISCONNECT
        except OSError as exc:
            self.error = exc
        finally:
            sock.close()


@contextmanager
def flooding(host: str, port: int, packets: Sequence[bytes], *, total: int = 0,
             batch: int = 200) -> Iterator[Flood]:
    flood = Flood(host, port, packets, total=total, batch=batch)
    flood.start()
    try:
        yield flood
    finally:
        flood.stop()
