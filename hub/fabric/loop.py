"""`SocketWatch`: a paho client's socket driven by the asyncio event loop.

paho normally runs its own network thread. Here the loop watches the socket instead
(``add_reader``, and ``add_writer`` only while paho has output queued, the way aiomqtt
does), so every paho callback runs on the loop thread. paho asks for the writer through
its socket callbacks, which `install` wires; those also fire from the worker thread that
does the blocking TCP connect, before the socket is watched, and are ignored there.

Reading is done in slices (`READ_SLICE_PACKETS`, `READ_SLICE_SECONDS`): a flood from the
broker must not keep the loop in one callback while timers, HTTP requests, the registry's
flush and tool calls wait. Input left in the client's buffer after a slice is taken up by a
continuation (``call_soon``), input still in the socket by the next readiness event: either
way the loop has turned in between. What the hub cannot keep up with stays in TCP, whose
flow control slows the broker down (which then queues, or drops QoS 0 past its limits).
"""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

import paho.mqtt.client as mqtt

from hub.fabric.client import FastClient

READ_SLICE_PACKETS = 1000
"""Packets handled per turn of the event loop at most (a fast subscriber takes ~5 ms)."""
READ_SLICE_SECONDS = 0.005
"""...and time spent per turn at most, for subscribers that take long per message."""


class SocketWatch:
    """Registers one client's socket with the event loop at a time.

    `bind` to the running loop before `watch`; `unwatch` is idempotent.
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._client: FastClient | None = None
        self._watched: tuple[int, bool] | None = None  # (fd, writer registered)
        self._resume: asyncio.Handle | None = None  # reads on from the buffer, next turn

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Use `loop`, whose thread is the calling one."""
        self._loop = loop
        self._loop_thread = threading.get_ident()

    def install(self, client: mqtt.Client) -> None:
        """Let `client` ask for the writer and report its socket closing."""
        client.on_socket_close = self._on_socket_close
        client.on_socket_register_write = self._on_register_write
        client.on_socket_unregister_write = self._on_unregister_write

    def watch(self, client: FastClient) -> None:
        """Read `client`'s socket whenever it is readable; write while paho wants to."""
        loop = self._loop
        assert loop is not None
        self._client = client
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

    def unwatch(self) -> None:
        if self._watched is None or self._loop is None:
            return
        fd, writing = self._watched
        if self._resume is not None:
            self._resume.cancel()
            self._resume = None
        self._loop.remove_reader(fd)
        if writing:
            self._loop.remove_writer(fd)
        self._watched = None

    def release(self) -> None:
        """Unwatch and forget the client (the fabric closed)."""
        self.unwatch()
        self._client = None

    def _add_writer(self) -> None:
        if self._watched is None or self._watched[1] or self._loop is None:
            return
        fd = self._watched[0]
        self._loop.add_writer(fd, self._on_writable)
        self._watched = (fd, True)

    def _on_readable(self) -> None:
        if self._resume is None:  # else the continuation reads next
            self._read()

    def _read(self) -> None:
        self._resume = None
        client = self._client
        if client is None:
            return
        client.read_slice(READ_SLICE_PACKETS, READ_SLICE_SECONDS)
        if client.buffered and self._watched is not None and self._loop is not None:
            self._resume = self._loop.call_soon(self._read)

    def _on_writable(self) -> None:
        if self._client is not None:
            self._client.loop_write()

    def _in_loop_thread(self) -> bool:
        return threading.get_ident() == self._loop_thread

    def _on_register_write(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        # From the connect thread the socket is not watched yet: `watch` adds the writer.
        if self._in_loop_thread():
            self._add_writer()

    def _on_unregister_write(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        if self._in_loop_thread() and self._watched is not None and self._watched[1]:
            assert self._loop is not None
            self._loop.remove_writer(self._watched[0])
            self._watched = (self._watched[0], False)

    def _on_socket_close(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        if self._in_loop_thread():
            self.unwatch()
