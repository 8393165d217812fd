"""`FastClient`: paho's MQTT client with a read buffer and a fast path for incoming
PUBLISH packets. Everything that touches paho's internals lives here.

paho reads every packet with three ``recv`` calls (command byte, length, body) and builds
a message object with two thread conditions and a decoded property set for each; that
caps MQTT 5 reception near 20k msg/s on a Pi-class core. One large read per readiness
event, served from memory, and a direct decode of PUBLISH into `fast_message` roughly
double it. QoS 2, topic aliases and anything unexpected still go through paho.

`read_slice` replaces paho's ``loop_read``, which reads for as long as data keeps
arriving: under a flood that starved the event loop for seconds. It stops after a bounded
number of packets or time, whatever is left waits in the buffer and the socket.

The overrides use paho 2.x internals (``_sock_recv``, ``_handle_publish``,
``_send_puback``, ``_packet_read``, ``_loop_rc_handle``, ``_sock``, ``_in_packet``,
``_out_packet``, ``_protocol``, ``_manual_ack``, ``MQTTMessage._topic``): tests/test_fabric.py checks that they still exist, and
pyproject pins paho-mqtt below 3.
"""

from __future__ import annotations

import fcntl
import ssl
import struct
import termios
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTErrorCode

FastMessageHook = Callable[[bytes, bytes, int, bool, tuple[int, ...]], None]
"""(topic, payload, qos, retain, subscription ids) of an incoming PUBLISH."""

SliceHook = Callable[[int], None]
"""After each read slice: bytes received and still waiting (0: caught up)."""

_READ_SIZE = 256 * 1024
_INT = struct.Struct("i")  # what FIONREAD fills in
_U16 = struct.Struct("!H")
# PUBLISH properties (MQTT 5, 2.2.2.2): id -> how to skip the value. Only the subscription
# identifier (0x0B) is read; a topic alias (0x23) or anything unknown goes to paho.
_SKIP_FIXED = {0x01: 1, 0x02: 4}
_SKIP_STRING = frozenset({0x03, 0x08, 0x09})


class _Unusual(Exception):
    """A PUBLISH the fast path leaves to paho."""


def _varint(data: bytearray, pos: int) -> tuple[int, int]:
    value = 0
    for shift in (0, 7, 14, 21):
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
    raise _Unusual("variable byte integer longer than 4 bytes")


def _publish_properties(data: bytearray, pos: int) -> tuple[tuple[int, ...], int]:
    """Return (subscription ids, payload offset) from the properties at `pos`."""
    length, pos = _varint(data, pos)
    end = pos + length
    ids: list[int] = []
    while pos < end:
        prop = data[pos]
        pos += 1
        if prop == 0x0B:
            ident, pos = _varint(data, pos)
            ids.append(ident)
        elif prop in _SKIP_FIXED:
            pos += _SKIP_FIXED[prop]
        elif prop in _SKIP_STRING:
            pos += 2 + _U16.unpack_from(data, pos)[0]
        elif prop == 0x26:  # user property: two strings
            pos += 2 + _U16.unpack_from(data, pos)[0]
            pos += 2 + _U16.unpack_from(data, pos)[0]
        else:
            raise _Unusual(f"property {prop:#x}")
    if pos != end:
        raise _Unusual("properties overrun their length")
    return tuple(ids), end


def message_fields(msg: mqtt.MQTTMessage) -> tuple[bytes, bytes, int, bool, tuple[int, ...]]:
    """A message from paho's own receive path as the arguments of a `FastMessageHook`."""
    props = msg.properties
    ids = getattr(props, "SubscriptionIdentifier", ()) if props is not None else ()
    topic: bytes = msg._topic  # raw bytes: `.topic` raises on bad UTF-8
    return topic, bytes(msg.payload), msg.qos, msg.retain, tuple(ids)


class FastClient(mqtt.Client):
    """paho's client with a read buffer and a fast path for incoming QoS 0/1 messages:
    with `fast_message` set, they go to it instead of paho's ``on_message``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rbuf = b""
        self._rpos = 0
        self.fast_message: FastMessageHook | None = None
        self.on_slice: SliceHook | None = None

    @property
    def buffered(self) -> bool:
        """Bytes already read from the socket wait in the buffer (or, with TLS, decrypted
        in the TLS layer, where the socket's readiness no longer shows them)."""
        if self._rpos < len(self._rbuf):
            return True
        sock = self._sock
        return bool(self._ssl and isinstance(sock, ssl.SSLSocket) and sock.pending())

    @property
    def queued(self) -> int:
        """Packets waiting in paho's send queue (which has no bound of its own)."""
        return len(self._out_packet)

    def input_waiting(self) -> int:
        """Bytes received from the broker and not handled yet: ours and the socket's."""
        waiting = len(self._rbuf) - self._rpos
        sock = self._sock
        if sock is not None:
            try:
                answer = fcntl.ioctl(sock.fileno(), termios.FIONREAD, _INT.pack(0))
            except (OSError, ValueError):
                return waiting
            waiting += _INT.unpack(answer)[0]
        return waiting

    def read_slice(self, max_packets: int, seconds: float) -> None:
        """Read and handle incoming packets until the socket has no more, or `max_packets`
        were handled, or `seconds` passed; then return, so that the event loop's other
        callbacks get their turn (paho's `loop_read` reads as long as data arrives).

        Then tells `on_slice` how many bytes still wait (0: caught up). A packet cut
        short stays in paho's state and is completed by the next slice.
        """
        clock = time.perf_counter
        until = clock() + seconds
        read = self._packet_read
        for _ in range(max_packets):
            if self._sock is None:
                return
            rc = read()
            if rc > 0:
                self._loop_rc_handle(rc)  # closes the socket and reports the loss
                return
            if rc == MQTTErrorCode.MQTT_ERR_AGAIN:
                if not self.buffered:  # the socket is drained: caught up
                    if self.on_slice is not None:
                        self.on_slice(0)
                    return
                break  # paho's own limit for one huge packet
            if clock() >= until:
                break
        if self.on_slice is not None:
            self.on_slice(self.input_waiting())

    def reset_buffer(self) -> None:
        self._rbuf = b""
        self._rpos = 0

    def _sock_recv(self, bufsize: int) -> bytes:
        if self._rpos >= len(self._rbuf):
            data = super()._sock_recv(_READ_SIZE)
            if len(data) <= bufsize:
                return data
            self._rbuf, self._rpos = data, 0
        end = self._rpos + bufsize
        chunk = self._rbuf[self._rpos : end]
        self._rpos = end
        return chunk

    def _handle_publish(self) -> MQTTErrorCode:
        hook = self.fast_message
        header: int = self._in_packet["command"]
        qos = (header & 0x06) >> 1
        if hook is None or qos == 2:
            return super()._handle_publish()
        packet: bytearray = self._in_packet["packet"]
        try:
            pos = 2 + _U16.unpack_from(packet, 0)[0]
            topic = bytes(packet[2:pos])
            mid = 0
            if qos:
                mid = _U16.unpack_from(packet, pos)[0]
                pos += 2
            ids: tuple[int, ...] = ()
            if self._protocol == mqtt.MQTTv5:
                ids, pos = _publish_properties(packet, pos)
            if not topic or pos > len(packet):
                raise _Unusual("empty topic or short packet")
        except (struct.error, IndexError, _Unusual):
            return super()._handle_publish()
        hook(topic, bytes(memoryview(packet)[pos:]), qos, bool(header & 0x01), ids)
        if qos == 1 and not self._manual_ack:
            return self._send_puback(mid)
        return MQTTErrorCode.MQTT_ERR_SUCCESS
