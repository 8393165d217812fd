"""The automation endpoints: list, enable, disable, trigger, reload, traces; and the public
webhook route (`POST /api/webhook/<id>`: the id is the secret, as in Home Assistant)."""

from __future__ import annotations

import ipaddress
import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.automations import Automations
from web.errors import ApiError
from web.views import ModelJSONResponse

if TYPE_CHECKING:
    from hub.runtime import Hub

WEBHOOK_PREFIX = "/api/webhook/"


def _engine(request: Request) -> Automations:
    hub: Hub = request.app.state.hub
    return hub.automations


def _automation_id(request: Request) -> str:
    automation_id: str = request.path_params["id"]
    engine = _engine(request)
    if automation_id not in engine.automations:
        known = ", ".join(sorted(engine.automations)) or "none"
        raise ApiError(404, "unknown_automation",
                       f"no automation '{automation_id}'; known: {known}")
    return automation_id


async def list_automations(request: Request) -> Response:
    engine = _engine(request)
    return ModelJSONResponse({"automations": [a.view() for a in engine.automations.values()],
                              "problems": engine.problems})


async def get_automation(request: Request) -> Response:
    engine = _engine(request)
    return ModelJSONResponse(engine.automations[_automation_id(request)].view())


async def enable(request: Request) -> Response:
    automation_id = _automation_id(request)
    _engine(request).enable(automation_id)
    return ModelJSONResponse(_engine(request).automations[automation_id].view())


async def disable(request: Request) -> Response:
    automation_id = _automation_id(request)
    _engine(request).disable(automation_id)
    return ModelJSONResponse(_engine(request).automations[automation_id].view())


async def trigger(request: Request) -> Response:
    """Body (optional): ``{"variables": {...}, "skip_condition": true}``."""
    automation_id = _automation_id(request)
    body = await _json_object(request)
    variables = body.get("variables") or {}
    if not isinstance(variables, dict):
        raise ApiError(400, "bad_request", "variables must be a JSON object")
    skip = body.get("skip_condition", True)
    if not isinstance(skip, bool):
        raise ApiError(400, "bad_request", "skip_condition must be true or false")
    _engine(request).trigger(automation_id, variables=variables, skip_condition=skip)
    return ModelJSONResponse({"triggered": automation_id}, status_code=202)


async def reload(request: Request) -> Response:
    problems = await _engine(request).reload()
    engine = _engine(request)
    return ModelJSONResponse({"automations": sorted(engine.automations), "problems": problems})


async def traces(request: Request) -> Response:
    automation_id = _automation_id(request)
    return ModelJSONResponse({"traces": _engine(request).traces.list(automation_id)})


async def trace(request: Request) -> Response:
    automation_id = _automation_id(request)
    run_id: str = request.path_params["run_id"]
    found = _engine(request).traces.get(automation_id, run_id)
    if found is None:
        raise ApiError(404, "unknown_trace", f"no trace '{run_id}' of {automation_id} (the "
                                             "last ones are kept: see its traces)")
    return ModelJSONResponse(found)


async def webhook(request: Request) -> Response:
    """Public: any client that knows the id may call it. 200 whether or not the id is
    known, as Home Assistant answers, so the route cannot be used to probe for ids."""
    webhook_id: str = request.path_params["webhook_id"]
    body = await request.body()
    payload: dict[str, Any] = {"query": dict(request.query_params)}
    content_type = request.headers.get("content-type", "")
    if body and "json" in content_type:
        try:
            payload["json"] = json.loads(body)
        except ValueError:
            raise ApiError(400, "bad_request", "the body is not valid JSON") from None
    elif body and "form" in content_type:
        payload["data"] = dict(await request.form())
    elif body:
        payload["data"] = body.decode("utf-8", "replace")
    client = request.client
    _engine(request).dispatch.webhook(webhook_id, request.method, _local(client.host if client
                                                                         else ""), payload)
    return ModelJSONResponse({})


def _local(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host in ("testclient", "localhost")
    return address.is_loopback or address.is_private or address.is_link_local


async def _json_object(request: Request) -> dict[str, Any]:
    body = await request.body()
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except ValueError:
        raise ApiError(400, "bad_request", "the body is not valid JSON") from None
    if not isinstance(value, dict):
        raise ApiError(400, "bad_request", "the body must be a JSON object")
    return value


def routes() -> list[Route]:
    return [
        Route("/api/automations", list_automations, methods=["GET"]),
        Route("/api/automations/reload", reload, methods=["POST"]),
        Route("/api/automations/{id}", get_automation, methods=["GET"]),
        Route("/api/automations/{id}/enable", enable, methods=["POST"]),
        Route("/api/automations/{id}/disable", disable, methods=["POST"]),
        Route("/api/automations/{id}/trigger", trigger, methods=["POST"]),
        Route("/api/automations/{id}/traces", traces, methods=["GET"]),
        Route("/api/automations/{id}/traces/{run_id}", trace, methods=["GET"]),
        Route(WEBHOOK_PREFIX + "{webhook_id}", webhook,
              methods=["POST", "PUT", "GET", "HEAD"]),
    ]
