"""A Matter server of our own speaking python-matter-server's WebSocket API over a real
socket: deterministic events, recorded commands, and the faults a real one can have."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

SERVER_INFO = {"fabric_id": 1, "compressed_fabric_id": 1234567890, "schema_version": 11,
               "min_supported_schema_version": 9, "sdk_version": "2024.11.4",
               "wifi_credentials_set": False, "thread_credentials_set": False,
               "bluetooth_enabled": False}


@dataclass
class FakeMatterServer:
    nodes: dict[int, dict[str, Any]] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=lambda: dict(SERVER_INFO))
    commands: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    clients: list[ServerConnection] = field(default_factory=list)
    drop_next_listing: bool = False
    """Drop the connection halfway through the next start_listening answer."""
    refuse: dict[str, tuple[int, str]] = field(default_factory=dict)
    port: int = 0
    listened = 0
    connections = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    async def _handler(self, ws: ServerConnection) -> None:
        self.connections += 1
        await ws.send(json.dumps(self.info))
        self.clients.append(ws)
        try:
            async for text in ws:
                request = json.loads(text)
                await self._answer(ws, request)
        except ConnectionClosed:
            pass  # the hub went away or the test dropped the connection
        finally:
            self.clients.remove(ws)

    async def _answer(self, ws: ServerConnection, request: dict[str, Any]) -> None:
        command, args = request["command"], request.get("args") or {}
        message_id = request["message_id"]
        self.commands.append((command, args))
        if command in self.refuse:
            code, details = self.refuse[command]
            await ws.send(json.dumps({"message_id": message_id, "error_code": code,
                                      "details": details}))
            return
        result: Any = None
        if command == "start_listening":
            self.listened += 1
            body = json.dumps({"message_id": message_id,
                               "result": list(self.nodes.values())}).encode()
            if self.drop_next_listing:
                self.drop_next_listing = False
                header = b"\x81\x7f" + len(body).to_bytes(8, "big")
                ws.transport.write(header + body[: len(body) // 2])
                ws.transport.abort()
                return
            await ws.send(body.decode())
            return
        if command == "get_nodes":
            result = list(self.nodes.values())
        elif command == "read_attribute":
            node = self.nodes[args["node_id"]]
            result = {args["attribute_path"]: node["attributes"].get(args["attribute_path"])}
        elif command == "commission_with_code":
            result = {"node_id": 77, "attributes": {}}
        await ws.send(json.dumps({"message_id": message_id, "result": result}))

    async def event(self, name: str, data: Any) -> None:
        if name == "attribute_updated":
            node_id, path, value = data
            self.nodes[node_id]["attributes"][path] = value
        text = json.dumps({"event": name, "data": data})
        for ws in list(self.clients):
            await ws.send(text)

    async def drop_all(self) -> None:
        for ws in list(self.clients):
            ws.transport.abort()

    def sent(self, command: str) -> list[dict[str, Any]]:
        return [args for name, args in self.commands if name == command]


@asynccontextmanager
async def fake_matter_server(nodes: list[dict[str, Any]] | None = None,
                             port: int = 0) -> AsyncIterator[FakeMatterServer]:
    fake = FakeMatterServer({n["node_id"]: n for n in nodes or []})
    async with serve(fake._handler, "127.0.0.1", port, max_size=None) as server:
        fake.port = server.sockets[0].getsockname()[1] if not port else port
        yield fake
