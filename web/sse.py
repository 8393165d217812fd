"""``GET /api/events``: the hub's event bus as server-sent events.

Each event is ``event: <type>`` and ``data: <JSON>`` (the JSON repeats the type, for
clients that read only ``data``). The stream opens with a ``ready`` event sent once the
subscription is in place, so a client that has read it misses nothing that follows; a
comment line every `keepalive` seconds keeps proxies and NAT from closing an idle stream.
Streams never end by themselves: `close_event_streams(app)` ends them when the server
stops.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from hub.events import Event, EventBus
from web.api import hub_of, known_query
from web.errors import ApiError
from web.views import STREAMED_EVENTS, dumps, event_name, event_view

_LOGGER = logging.getLogger(__name__)

DEFAULT_KEEPALIVE = 15.0
RETRY_MS = 3000
"""How long a browser's EventSource waits before reconnecting after the stream ends."""

_BY_NAME: Mapping[str, type[Event]] = {event_name(t): t for t in STREAMED_EVENTS}


def event_types(raw: str | None) -> tuple[type[Event], ...]:
    """Parse ``?types=state_changed,trigger_fired``; all streamed types when absent."""
    if not raw:
        return STREAMED_EVENTS
    chosen: list[type[Event]] = []
    for name in (part.strip() for part in raw.split(",")):
        if not name:
            continue
        if name not in _BY_NAME:
            known = ", ".join(_BY_NAME)
            raise ApiError(400, "bad_request", f"unknown event type {name!r}; known: {known}")
        chosen.append(_BY_NAME[name])
    return tuple(chosen) or STREAMED_EVENTS


def frame(name: str, data: Any) -> str:
    """One server-sent event; compact JSON never contains a raw newline."""
    return f"event: {name}\ndata: {dumps(data)}\n\n"


async def stream(
    bus: EventBus,
    types: tuple[type[Event], ...],
    node_id: str,
    keepalive: float,
    closing: asyncio.Event,
) -> AsyncIterator[str]:
    async with bus.subscribe(*types) as events:
        ready = {"type": "ready", "node_id": node_id, "types": [event_name(t) for t in types]}
        yield f"retry: {RETRY_MS}\n" + frame("ready", ready)
        # A pending __anext__ survives a keepalive timeout; cancelling it would end the
        # subscription's generator, so it is only cancelled when the stream closes.
        pending: asyncio.Task[Event] | None = None
        closed = asyncio.create_task(closing.wait(), name="web.sse.closing")
        try:
            while True:
                if pending is None:
                    pending = asyncio.create_task(_next(events), name="web.sse.next_event")
                done, _ = await asyncio.wait(
                    {pending, closed}, timeout=keepalive, return_when=asyncio.FIRST_COMPLETED
                )
                if closed in done:
                    return  # the server is stopping: end the response so it can
                if not done:
                    yield ": keepalive\n\n"
                    continue
                event = pending.result()
                pending = None
                yield frame(event_name(type(event)), event_view(event))
        finally:
            waiting = {t for t in (pending, closed) if t is not None}
            for task in waiting:
                task.cancel()
            await asyncio.wait(waiting)  # let them finish, so no task is left pending


async def _next(events: AsyncIterator[Event]) -> Event:
    return await anext(events)  # a coroutine, so that it can be a named task


def closing_event(app: Starlette) -> asyncio.Event:
    closing: asyncio.Event = app.state.sse_closing
    return closing


def close_event_streams(app: Starlette) -> None:
    """End every open event stream and refuse new ones (503): call it before stopping
    the server, which otherwise waits for endless streams to finish."""
    closing_event(app).set()


async def events(request: Request) -> Response:
    known_query(request, "types")
    hub = hub_of(request)
    types = event_types(request.query_params.get("types"))
    closing = closing_event(request.app)
    if closing.is_set():
        raise ApiError(503, "shutting_down", "the hub is shutting down; reconnect when it is back")
    keepalive: float = request.app.state.sse_keepalive
    client = request.client
    _LOGGER.debug("event stream opened client=%s", client.host if client else "?")
    return StreamingResponse(
        stream(hub.bus, types, hub.identity.node_id, keepalive, closing),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
