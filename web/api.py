"""The REST endpoints: health, capabilities (listing, removing), states and tool calls."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from hub import __version__
from hub.arguments import check_arguments
from hub.errors import PayloadError
from hub.inputs import load_json
from hub.model import Capability, ToolResult
from web.errors import ApiError
from web.views import ModelJSONResponse, capability_view, jsonable

if TYPE_CHECKING:
    from hub.runtime import Hub


def hub_of(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


def known_query(request: Request, *known: str) -> None:
    """Refuse a query parameter the endpoint does not know (400), or one given twice: a
    misspelt filter must not silently list everything."""
    params = request.query_params
    endpoint = f"{request.method} {request.url.path}"
    for name in params:
        if name not in known:
            takes = f"it takes: {', '.join(known)}" if known else "it takes none"
            raise ApiError(
                400, "bad_request", f"unknown query parameter {name!r} for {endpoint}; {takes}"
            )
        if len(params.getlist(name)) > 1:
            raise ApiError(400, "bad_request", f"query parameter {name!r} given more than once")


async def health(request: Request) -> Response:
    """Public: enough for a monitor or the CLI to tell the hub is up, nothing private."""
    known_query(request)
    hub = hub_of(request)
    connected = hub.connected  # both connections: the devices' and the tool calls'
    counters = hub.fabric.counters
    return ModelJSONResponse(
        {
            "status": "ok" if connected else "degraded",
            "node_id": hub.identity.node_id,
            "name": hub.config.name,
            "version": __version__,
            "mqtt_connected": connected,
            "uptime_s": round(max(0.0, time.time() - hub.started_at), 3),
            # the load on the fabric: `behind` grows while more arrives than the hub handles
            "fabric": {
                "received": counters.received,
                "dropped": counters.dropped,
                "behind": counters.behind,
                "input_waiting_bytes": counters.input_waiting_bytes,
                "reconnects": counters.reconnects,
                "callback_errors": counters.callback_errors,
            },
        }
    )


async def list_capabilities(request: Request) -> Response:
    known_query(request, "type", "area")
    hub = hub_of(request)
    wanted_type = request.query_params.get("type")
    wanted_area = request.query_params.get("area")
    chosen = [
        capability_view(c)
        for c in hub.registry.all()
        if (wanted_type is None or c.type == wanted_type)
        and (wanted_area is None or c.area == wanted_area)
    ]
    return ModelJSONResponse({"capabilities": chosen})


async def get_capability(request: Request) -> Response:
    known_query(request)
    capability = _capability(hub_of(request), request.path_params["id"])
    return ModelJSONResponse(capability_view(capability))


async def remove_capability(request: Request) -> Response:
    """Remove a capability nobody provides any more; 409 (`CapabilityInUse`, saying where
    to remove it instead) for one the configuration or a running provider adds again."""
    known_query(request)
    hub = hub_of(request)
    capability_id: str = request.path_params["id"]
    _capability(hub, capability_id)  # the API's own 404 for an unknown id
    removed = hub.remove_capability(capability_id)
    return ModelJSONResponse({"removed": removed.id})


async def states(request: Request) -> Response:
    known_query(request)
    hub = hub_of(request)
    return ModelJSONResponse({c.id: jsonable(c.state) for c in hub.registry.all()})


async def call_tool(request: Request) -> Response:
    """Call a tool with the body's JSON object as arguments; answer its result.

    The route takes every method, so that a tool's URL read with GET says how to call it
    (405) instead of being looked up as a capability id ending in ``/tools/<tool>``.
    """
    if request.method != "POST":
        raise ApiError(
            405,
            "method_not_allowed",
            f"{request.method} is not allowed on {request.url.path}: a tool is called with"
            " POST, its arguments a JSON object in the body",
            headers={"Allow": "POST"},
        )
    known_query(request, "timeout")
    hub = hub_of(request)
    capability_id: str = request.path_params["id"]
    tool_name: str = request.path_params["tool"]
    capability = _capability(hub, capability_id)
    tool = capability.tool(tool_name)
    if tool is None:
        known = ", ".join(t.name for t in capability.tools) or "none"
        raise ApiError(
            404, "unknown_tool", f'{capability_id} has no tool "{tool_name}"; its tools: {known}'
        )
    arguments = _arguments(await request.body())
    # Checked here too, at the edge: a bad argument is the caller's 400 and costs no
    # round trip (the provider checks again, as it must for callers that are not us).
    check_arguments(tool.parameters, arguments, f"{capability_id}/{tool_name}")
    timeout = _timeout(request.query_params.get("timeout"))
    result = await hub.call(capability_id, tool_name, arguments, timeout=timeout)
    return result_response(result)


def result_response(result: ToolResult) -> Response:
    """JSON results as ``{"result": value}``; binary ones as their own bytes and type."""
    if result.content_type.split(";")[0].strip().lower() != "application/json":
        return Response(result.data, media_type=result.content_type)
    value = result.value
    if value is None and result.data:
        try:  # a provider that sent its JSON pre-encoded
            value = load_json(result.data, subject="result")
        except PayloadError:
            return Response(result.data, media_type=result.content_type)
    return ModelJSONResponse({"result": value})


def _capability(hub: Hub, capability_id: str) -> Capability:
    capability = hub.registry.find(capability_id)
    if capability is None:
        raise ApiError(
            404,
            "unknown_capability",
            f'no capability "{capability_id}" on this hub; GET /api/capabilities lists them',
        )
    return capability


def _arguments(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}  # a tool without parameters may be called with no body at all
    try:  # depth, digits, NaN and lone surrogates: hub.inputs' rules for outside JSON
        arguments = load_json(body, subject="body")
    except PayloadError as exc:
        raise ApiError(
            400,
            "bad_request",
            f"{exc}; it must be a JSON object of arguments, e.g. {{\"brightness_pct\": 30}}",
        ) from exc
    if not isinstance(arguments, dict):
        raise ApiError(
            400,
            "bad_request",
            f"body must be a JSON object of arguments, got {_json_kind(arguments)};"
            ' e.g. {"brightness_pct": 30}',
        )
    return arguments


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "null"


def _timeout(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        timeout = float(raw)
    except ValueError:
        timeout = math.nan
    if not math.isfinite(timeout) or timeout <= 0:
        raise ApiError(
            400, "bad_request", f"timeout must be a positive number of seconds, got {raw!r}"
        )
    return timeout
