"""Test doubles for cameras, since no camera sensor can run here: real JPEG frames, and a
real HTTP/1.1 server on a loopback socket that behaves as an IP camera (snapshot URL,
MJPEG stream in the dialects cameras use, basic and digest auth, and the failures cameras
show: 404, an HTML page, a truncated image, a server that stalls) and as Frigate's HTTP API
(``/api/<camera>/latest.jpg``, ``/api/<camera>/<label>/snapshot.jpg``,
``/api/events/<id>/snapshot.jpg``).

    async with CameraServer() as server:
        server.snapshot = jpeg_frame(200_000)
        url = server.url("/snapshot.jpg")
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import io
import json
import random
import re
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

JPEG_HEADERS = {"Content-Type": "image/jpeg"}
_COM_MAX = 65533  # bytes of text in one JPEG comment segment
_DIGEST_FIELD = re.compile(r'(\w+)=("([^"]*)"|[^,\s]*)')


def jpeg_frame(size: int = 200_000, seed: int = 0) -> bytes:
    """A real JPEG (Pillow decodes it) of exactly `size` bytes: a small image padded with
    comment segments of random bytes, which decoders skip by their length. Different
    seeds give different frames."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (160, 120), (seed * 53 % 256, 90, 200 - seed * 17 % 200))
    draw = ImageDraw.Draw(image)
    draw.rectangle((10 + seed % 100, 20, 50 + seed % 100, 90), fill=(250, 250, 250))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    encoded = out.getvalue()
    padding = size - len(encoded)
    if padding < 0 or 0 < padding < 4:
        raise ValueError(f"cannot pad a {len(encoded)}-byte JPEG to {size} bytes")
    noise = random.Random(seed)
    segments = []
    while padding:
        take = min(padding, _COM_MAX + 4)
        if 0 < padding - take < 4:  # leave enough for one more segment header
            take -= 4
        text = noise.randbytes(take - 4)
        segments.append(b"\xff\xfe" + (len(text) + 2).to_bytes(2, "big") + text)
        padding -= take
    return encoded[:2] + b"".join(segments) + encoded[2:]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]

    def option(self, name: str, default: str = "") -> str:
        return self.query.get(name, [default])[0]


@dataclass
class CameraServer:
    """An IP camera and a Frigate HTTP API in one loopback server (see the module doc)."""

    snapshot: bytes = b""
    stream_frames: list[bytes] = field(default_factory=list)
    stream_interval: float = 0.01
    """Seconds between two MJPEG frames (the camera's frame rate, not a test wait)."""
    username: str = "viewer"
    password: str = "s3cret-pass"
    frigate_latest: dict[str, bytes] = field(default_factory=dict)
    frigate_label_snapshots: dict[tuple[str, str], bytes] = field(default_factory=dict)
    frigate_events: dict[str, bytes] = field(default_factory=dict)
    frigate_login: tuple[str, str] | None = None
    """(user, password): Frigate's authenticated API (port 8971): /api/login hands out a
    `frigate_token` cookie that the API then requires."""
    frigate_tokens: list[str] = field(default_factory=list)
    """Tokens handed out, in order (the last one is valid)."""
    requests: list[str] = field(default_factory=list)
    """Paths requested so far, in order."""
    host: str = "127.0.0.1"
    port: int = 0
    _server: asyncio.Server | None = None
    _connections: dict[asyncio.Task[None], asyncio.StreamWriter] = field(default_factory=dict)
    _nonces: set[str] = field(default_factory=set)

    def url(self, path: str, *, credentials: str = "") -> str:
        auth = f"{credentials}@" if credentials else ""
        return f"http://{auth}{self.host}:{self.port}{path}"

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._connection, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        # Dropping the sockets ends every handler (stalled or streaming) with a
        # ConnectionError, without cancelling tasks that asyncio's server watches.
        for writer in self._connections.values():
            writer.transport.abort()
        if self._connections:
            await asyncio.wait(list(self._connections))
        await server.wait_closed()

    # -- HTTP ----------------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                self.requests.append(request.path)
                if not await self._route(request, reader, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away: normal for streams and timeouts
        finally:
            self._connections.pop(task, None)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _route(
        self, request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Answer one request; False closes the connection."""
        path = request.path
        if path == "/api/login" and request.method == "POST":
            length = int(request.headers.get("content-length", "0"))
            body = json.loads(await reader.readexactly(length) or b"{}")
            if self.frigate_login == (body.get("user"), body.get("password")):
                token = secrets.token_hex(8)
                self.frigate_tokens.append(token)
                await _respond(writer, 200, b"{}", {
                    "Content-Type": "application/json",
                    "Set-Cookie": f"frigate_token={token}; Path=/; HttpOnly"})
            else:
                await _respond(writer, 401, b'{"message": "Login failed"}',
                               {"Content-Type": "application/json"})
            return True
        if self.frigate_login is not None and path.startswith("/api/"):
            cookie = request.headers.get("cookie", "")
            if not self.frigate_tokens or f"frigate_token={self.frigate_tokens[-1]}" not in cookie:
                await _respond(writer, 401, b'{"message": "Unauthorized"}',
                               {"Content-Type": "application/json"})
                return True
        frigate = re.fullmatch(r"/api/(?:events/([^/]+)/snapshot|([^/]+)/latest|([^/]+)/([^/]+)"
                               r"/snapshot)\.jpg", path)
        if frigate is not None:
            event, camera, label_camera, label = frigate.groups()
            if event is not None:
                frame, missing = self.frigate_events.get(event), f"Event {event} not found"
            elif camera is not None:
                frame, missing = self.frigate_latest.get(camera), f"Camera {camera} not found"
            else:
                frame = self.frigate_label_snapshots.get((label_camera, label))
                missing = f"No snapshot for {label} on {label_camera}"
            if frame is None:
                body = json.dumps({"success": False, "message": missing}).encode()
                await _respond(writer, 404, body, {"Content-Type": "application/json"})
            else:
                await _respond(writer, 200, frame, JPEG_HEADERS)
            return True
        if path == "/snapshot.jpg":
            await _respond(writer, 200, self.snapshot, JPEG_HEADERS)
        elif path == "/basic/snapshot.jpg":
            if self._basic_ok(request):
                await _respond(writer, 200, self.snapshot, JPEG_HEADERS)
            else:
                await _respond(writer, 401, b"Unauthorized",
                               {"WWW-Authenticate": 'Basic realm="camera"'})
        elif path == "/digest/snapshot.jpg":
            if self._digest_ok(request):
                await _respond(writer, 200, self.snapshot, JPEG_HEADERS)
            else:
                nonce = secrets.token_hex(16)
                self._nonces.add(nonce)
                challenge = (f'Digest realm="camera", qop="auth", nonce="{nonce}", '
                             f'opaque="{secrets.token_hex(8)}", algorithm=MD5')
                await _respond(writer, 401, b"Unauthorized", {"WWW-Authenticate": challenge})
        elif path == "/page.html":
            await _respond(writer, 200, b"<html><body>Login required</body></html>",
                           {"Content-Type": "text/html"})
        elif path == "/truncated.jpg":
            await _respond(writer, 200, self.snapshot[: len(self.snapshot) // 2], JPEG_HEADERS)
        elif path == "/error":
            await _respond(writer, 500, b"camera firmware crashed", {"Content-Type": "text/plain"})
        elif path == "/stall" or path.startswith("/stall/"):
            await _until_closed(reader)  # accept the request, never answer (any path below)
            return False
        elif path == "/drip.jpg":
            head = (f"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\n"
                    f"Content-Length: {len(self.snapshot)}\r\n\r\n").encode()
            writer.write(head + self.snapshot[:1000])
            await writer.drain()
            await _until_closed(reader)
            return False
        elif path == "/video.mjpg":
            await self._stream(request, writer)
            return False
        else:
            await _respond(writer, 404, b"Not Found", {"Content-Type": "text/plain"})
        return True

    def _basic_ok(self, request: Request) -> bool:
        expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return request.headers.get("authorization", "") == f"Basic {expected}"

    def _digest_ok(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if not header.startswith("Digest "):
            return False
        fields = {m.group(1): m.group(3) if m.group(3) is not None else m.group(2)
                  for m in _DIGEST_FIELD.finditer(header[7:])}
        if fields.get("nonce") not in self._nonces or fields.get("username") != self.username:
            return False

        def md5(text: str) -> str:
            return hashlib.md5(text.encode()).hexdigest()

        ha1 = md5(f"{self.username}:{fields.get('realm')}:{self.password}")
        ha2 = md5(f"{request.method}:{fields.get('uri')}")
        expected = md5(f"{ha1}:{fields['nonce']}:{fields.get('nc')}:{fields.get('cnonce')}:"
                       f"{fields.get('qop')}:{ha2}")
        return fields.get("response") == expected

    async def _stream(self, request: Request, writer: asyncio.StreamWriter) -> None:
        """An endless MJPEG stream in the dialect the query asks for:
        ``style`` standard | dashed (boundary parameter with its dashes) | quoted | none
        (no boundary parameter); ``length=0`` parts without Content-Length; ``lf=1`` bare
        line feeds; ``headers=0`` parts without headers; ``preamble=N`` N bytes of a frame's
        tail before the first boundary; ``text=1`` a text part before each frame."""
        style = request.option("style", "standard")
        parameter = {"standard": "; boundary=frame", "dashed": "; boundary=--frame",
                     "quoted": '; boundary="frame"', "none": ""}[style]
        nl = b"\n" if request.option("lf") == "1" else b"\r\n"
        with_length = request.option("length", "1") == "1"
        with_headers = request.option("headers", "1") == "1"
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace{parameter}\r\n"
                "Cache-Control: no-cache\r\nConnection: close\r\n\r\n").encode()
        preamble = int(request.option("preamble", "0"))
        first = self.stream_frames[0] if self.stream_frames else b""
        # the tail of a frame the camera was sending when the client connected
        writer.write(head + first[-preamble:] + nl if preamble else head)
        index = 0
        while True:
            if request.option("text") == "1":
                writer.write(b"--frame" + nl + b"Content-Type: text/plain" + nl + nl
                             + b"motion=1" + nl)
            frame = self.stream_frames[index % len(self.stream_frames)]
            part = b"--frame" + nl
            if with_headers:
                part += b"Content-Type: image/jpeg" + nl
                if with_length:
                    part += f"Content-Length: {len(frame)}".encode() + nl
                part += nl
            writer.write(part + frame + nl)
            await writer.drain()
            index += 1
            await asyncio.sleep(self.stream_interval)


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    parts = urlsplit(target)
    return Request(method, parts.path, parse_qs(parts.query), headers)


async def _respond(writer: asyncio.StreamWriter, status: int, body: bytes,
                   headers: dict[str, str]) -> None:
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    await writer.drain()


async def _until_closed(reader: asyncio.StreamReader) -> None:
    while await reader.read(4096):
        pass


@contextlib.contextmanager
def camera_server_thread(**options: Any) -> Iterator[CameraServer]:
    """A `CameraServer` on an event loop of its own thread, as a real camera is a separate
    machine: for benchmarks, where sharing the hub's loop would distort the figures."""
    loop = asyncio.new_event_loop()
    server = CameraServer(**options)
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.__aenter__())
        started.set()
        loop.run_forever()
        loop.run_until_complete(server.__aexit__(None, None, None))
        loop.close()

    thread = threading.Thread(target=run, name="camera-server", daemon=True)
    thread.start()
    if not started.wait(10):
        raise RuntimeError("the camera server thread did not start")
    try:
        yield server
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
