"""A client for python-matter-server's WebSocket API (also served by matterjs-server).

Messages are JSON: a request ``{"message_id", "command", "args"}`` is answered by
``{"message_id", "result"}`` or ``{"message_id", "error_code", "details"}``; events come as
``{"event", "data"}``. On connect the server first sends its ``server_info``; the client
checks the schema version, then ``start_listening`` answers with every node in one message
(several MB at 200 nodes: the frame limit is raised, and a large message is parsed in
steps so the loop keeps serving). Events follow until the connection drops; the
client then reconnects with jittered exponential backoff and resyncs.

Why not python-matter-server's own client: docs/integrations/matter.md ("The client").
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from hub.errors import AtmosphereError, PayloadError, ToolError
from hub.inputs import load_json
from integrations.matter.chunked import parse_in_steps

_LOGGER = logging.getLogger(__name__)

SCHEMA_VERSION = 11
"""The API schema this client speaks (python-matter-server 7.0.1's)."""
MIN_SCHEMA_VERSION = 5
"""The oldest server schema still understood (node dumps and events unchanged since)."""
STEP_BYTES = 64 * 1024
"""A message larger than this is parsed in steps of this size (integrations/matter/chunked.py)."""
MAX_DEPTH = 64


class MatterError(AtmosphereError):
    """The Matter server refused a command or cannot be talked to."""


class SchemaRefused(MatterError):
    """The server's schema version is one this client does not speak."""


@dataclass(frozen=True, slots=True)
class ServerInfo:
    fabric_id: int | None
    compressed_fabric_id: int | None
    schema_version: int
    min_supported_schema_version: int
    sdk_version: str
    raw: Mapping[str, Any]

    @classmethod
    def parse(cls, data: Any, url: str) -> ServerInfo:
        if not isinstance(data, dict) or not isinstance(data.get("schema_version"), int):
            raise PayloadError(f"{url}: the first message is not server_info with a "
                               f"schema_version, got {str(data)[:120]}")
        schema = data["schema_version"]
        minimum = data.get("min_supported_schema_version", schema)
        return cls(
            fabric_id=data.get("fabric_id") if isinstance(data.get("fabric_id"), int) else None,
            compressed_fabric_id=(data.get("compressed_fabric_id")
                                  if isinstance(data.get("compressed_fabric_id"), int) else None),
            schema_version=schema,
            min_supported_schema_version=minimum if isinstance(minimum, int) else schema,
            sdk_version=str(data.get("sdk_version", "")),
            raw=data,
        )

    def refusal(self) -> str | None:
        """Why this client cannot talk to the server, or None."""
        if self.min_supported_schema_version > SCHEMA_VERSION:
            return (f"the Matter server needs clients of schema version "
                    f"{self.min_supported_schema_version} or newer, this hub speaks "
                    f"{SCHEMA_VERSION}: use a python-matter-server/matterjs-server release "
                    f"that still supports schema {SCHEMA_VERSION}, or update the hub")
        if self.schema_version < MIN_SCHEMA_VERSION:
            return (f"the Matter server speaks schema version {self.schema_version}, older "
                    f"than {MIN_SCHEMA_VERSION}, the oldest this hub understands: update "
                    f"the Matter server")
        return None


OnConnected = Callable[[ServerInfo, list[Any]], Awaitable[None]]
OnEvent = Callable[[str, Any], None]
OnDisconnected = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Backoff:
    first: float = 0.5
    factor: float = 2.0
    most: float = 30.0
    jitter: float = 0.25
    """Each wait is spread by +-jitter of itself, so hubs do not reconnect in step."""

    def delay(self, attempt: int, rng: random.Random) -> float:
        base = min(self.most, self.first * self.factor ** attempt)
        return base * (1 + rng.uniform(-self.jitter, self.jitter))


class MatterClient:
    """``async with MatterClient(url, ...)``: connects in the background (enter does not
    wait for the server), keeps reconnecting, and calls `on_connected` with the server's
    info and every node after each (re)connect, `on_event` for each event after that and
    `on_disconnected` with the reason when the connection ends."""

    def __init__(self, url: str, *, on_connected: OnConnected, on_event: OnEvent,
                 on_disconnected: OnDisconnected, max_message_bytes: int = 64 * 1024 * 1024,
                 command_timeout: float = 10.0, backoff: Backoff | None = None,
                 rng: random.Random | None = None) -> None:
        self.url = url
        self._on_connected = on_connected
        self._on_event = on_event
        self._on_disconnected = on_disconnected
        self.max_message_bytes = max_message_bytes
        self.command_timeout = command_timeout
        self.backoff = backoff or Backoff()
        self._rng = rng or random.Random()
        self._ws: ClientConnection | None = None
        self._ids = itertools.count(1)
        self._pending: dict[str, asyncio.Future[Any]] = {}
        self._task: asyncio.Task[None] | None = None
        self.info: ServerInfo | None = None
        self.connected = asyncio.Event()
        self.problem = "not connected yet"
        """Why the client is not connected (empty while it is)."""
        self.connects = 0
        self.refused: str | None = None

    async def __aenter__(self) -> Self:
        self._task = asyncio.create_task(self._run(), name="matter.client")
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait([task])

    # -- commands ------------------------------------------------------------------------------

    async def command(self, command: str, args: Mapping[str, Any] | None = None, *,
                      timeout: float | None = None) -> Any:
        """Send a command and await its result; MatterError when the server is away or
        answers with an error, ToolError on timeout."""
        ws = self._ws
        if ws is None or not self.connected.is_set():
            raise MatterError(f"Matter server {self.url} is not connected ({self.problem})")
        return await self._request(ws, command, args, timeout)

    async def _request(self, ws: ClientConnection, command: str,
                       args: Mapping[str, Any] | None, timeout: float | None) -> Any:
        message_id = str(next(self._ids))
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        wait = self.command_timeout if timeout is None else timeout
        try:
            message: dict[str, Any] = {"message_id": message_id, "command": command}
            if args is not None:
                message["args"] = dict(args)
            await ws.send(json.dumps(message, separators=(",", ":")))
            async with asyncio.timeout(wait):
                return await future
        except TimeoutError:
            raise ToolError(f"Matter server {self.url}: no answer to {command} within "
                            f"{wait:g} s") from None
        except ConnectionClosed as exc:
            raise MatterError(f"Matter server {self.url}: connection lost while sending "
                              f"{command}: {exc}") from None
        finally:
            self._pending.pop(message_id, None)

    # -- the connection ------------------------------------------------------------------------

    async def _run(self) -> None:
        attempt = 0
        while True:
            try:
                await self._session()
                attempt = 0
            except SchemaRefused as exc:
                self.refused = str(exc)
                self._lost(str(exc))
                _LOGGER.error("matter server refused url=%s: %s", self.url, exc)
                self._on_disconnected(str(exc))  # the hub shows why
            except (OSError, InvalidHandshake, InvalidURI, ConnectionClosed, PayloadError,
                    MatterError, ToolError, TimeoutError) as exc:
                self._lost(f"{type(exc).__name__}: {exc}")
            delay = self.backoff.delay(attempt, self._rng)
            attempt += 1
            _LOGGER.info("matter server not connected url=%s problem=%s retry_in=%.1fs",
                         self.url, self.problem, delay)
            await asyncio.sleep(delay)

    def _lost(self, reason: str) -> None:
        was = self.connected.is_set()
        self.connected.clear()
        self._ws = None
        self.problem = reason
        for future in self._pending.values():
            if not future.done():
                future.set_exception(MatterError(
                    f"Matter server {self.url}: connection lost ({reason})"))
        self._pending.clear()
        if was:
            self._on_disconnected(reason)

    async def _session(self) -> None:
        async with connect(self.url, max_size=self.max_message_bytes, open_timeout=10,
                           compression=None) as ws:
            info = ServerInfo.parse(await self._read(ws), self.url)
            refusal = info.refusal()
            if refusal is not None:
                raise SchemaRefused(f"Matter server {self.url}: {refusal}")
            self.info = info
            self._ws = ws
            reader = asyncio.create_task(self._read_loop(ws), name="matter.client.read")
            reader.add_done_callback(self._fail_pending)
            try:
                nodes = await self._request(ws, "start_listening", None, 60.0)
                if not isinstance(nodes, list):
                    raise PayloadError(f"{self.url}: start_listening: expected a list of "
                                       f"nodes, got {type(nodes).__name__}")
                self.connects += 1
                self.problem = ""
                self.refused = None
                self.connected.set()
                await self._on_connected(info, nodes)
                await reader
            finally:
                reader.cancel()
                await asyncio.wait([reader])

    def _fail_pending(self, reader: asyncio.Task[None]) -> None:
        """The reader ended (the connection dropped, even mid-message): nobody waiting
        for an answer may wait out its whole timeout."""
        reason = "closed" if reader.cancelled() or reader.exception() is None else (
            f"{type(reader.exception()).__name__}: {reader.exception()}")
        for future in self._pending.values():
            if not future.done():
                future.set_exception(MatterError(
                    f"Matter server {self.url}: connection lost ({reason})"))

    async def _read(self, ws: ClientConnection) -> Any:
        text = await ws.recv()
        if len(text) > STEP_BYTES:
            return await parse_in_steps(str(text), self.url, STEP_BYTES)
        return load_json(text, self.url, subject="message", max_depth=MAX_DEPTH)

    async def _read_loop(self, ws: ClientConnection) -> None:
        while True:
            message = await self._read(ws)
            if not isinstance(message, dict):
                raise PayloadError(f"{self.url}: expected a JSON object, got "
                                   f"{type(message).__name__}")
            if "event" in message:
                try:
                    self._on_event(str(message["event"]), message.get("data"))
                except PayloadError as exc:
                    _LOGGER.warning("matter event dropped url=%s: %s", self.url, exc)
                continue
            future = self._pending.get(str(message.get("message_id")))
            if future is None or future.done():
                continue  # an answer nobody waits for any more (timed out)
            if "error_code" in message:
                future.set_exception(MatterError(
                    f"Matter server refused: error {message['error_code']}: "
                    f"{message.get('details') or 'no details'}"))
            else:
                future.set_result(message.get("result"))
