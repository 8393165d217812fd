"""A chat model server of our own for deterministic agent tests: it speaks the
OpenAI-compatible HTTP API (``/v1/chat/completions``, ``/v1/models``) over a real socket
(uvicorn on a free loopback port) and answers from a script the test writes.

    async with fake_model() as model:
        model.calls(("light_kitchen_light__turn_on", {"brightness_pct": 40}))
        model.says("The kitchen light is on.")
        ... model.url ... model.requests
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.broker import free_port
from tests.waiting import eventually

STALL = object()


@dataclass
class FakeModel:
    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    script: deque[Any] = field(default_factory=deque)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    repeat: Any = None
    """Answer this forever once the script is used up (a model that loops)."""

    def says(self, content: str) -> None:
        self.script.append(completion(content=content))

    def calls(self, *calls: tuple[str, Any]) -> None:
        self.script.append(completion(calls=calls))

    def fails(self, status: int, body: Any) -> None:
        self.script.append((status, body))

    def stalls(self) -> None:
        self.script.append(STALL)

    def tool_names(self, index: int = -1) -> list[str]:
        return [t["function"]["name"] for t in self.requests[index].get("tools", ())]


def completion(content: str = "", calls: tuple[tuple[str, Any], ...] = ()) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = [
            {"id": f"call_{i}", "type": "function",
             "function": {"name": name,
                          "arguments": args if isinstance(args, str) else json.dumps(args)}}
            for i, (name, args) in enumerate(calls)]
    return {"id": "chatcmpl-test", "object": "chat.completion", "model": "fake",
            "choices": [{"index": 0, "message": message,
                         "finish_reason": "tool_calls" if calls else "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5}}


def _app(model: FakeModel) -> Starlette:
    async def chat(request: Request) -> Response:
        model.requests.append(await request.json())
        step = model.script.popleft() if model.script else model.repeat
        if step is None:
            return JSONResponse({"error": {"message": "the test scripted no more answers"}},
                                status_code=500)
        if step is STALL:
            await model.released.wait()
            return JSONResponse({"error": {"message": "released"}}, status_code=500)
        if isinstance(step, tuple):
            status, body = step
            if isinstance(body, str):
                return Response(body, status_code=status)
            return JSONResponse(body, status_code=status)
        return JSONResponse(step)

    async def models(request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [{"id": "fake", "object": "model"}]})

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"]),
                             Route("/v1/models", models)])


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # leave pytest's signal handlers alone


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """Serve `app` with uvicorn on a free loopback port; yields its base URL."""
    port = free_port()
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                    lifespan="off", timeout_graceful_shutdown=2))
    task = asyncio.create_task(server.serve(), name="test.fake_model")
    await eventually(lambda: server.started or task.done(), timeout=10)
    if task.done():
        task.result()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def fake_model() -> AsyncIterator[FakeModel]:
    model = FakeModel()
    try:
        async with serving(_app(model)) as url:
            model.url = url
            yield model
            model.released.set()
    finally:
        model.released.set()
