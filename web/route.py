"""`POST /api/route`: language to tool, and optionally doing it.

Body: ``{"text": "dim the kitchen lights to 30%", "context": {"area": "kitchen"},
"execute": false}``. The answer is the decision (capability kind, tool, targets,
arguments, confidence, outcome), the reasons and the other candidates; with ``"execute":
true`` the tool is called on every target and each target's result (or error) is reported
too. An ``unsure`` resolution is never executed: the answer is 409 ``unsure`` with the
reason and the candidates.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from hub.errors import AtmosphereError, PayloadError
from hub.inputs import load_json
from web.api import known_query
from web.errors import ApiError
from web.views import ModelJSONResponse, jsonable

if TYPE_CHECKING:
    from hub.runtime import Hub

MAX_TEXT = 1000
DATETIME_KIND = "datetime"
"""hub.routing.language.families.DATETIME_KIND, not imported: routing loads on first use."""


async def route_text(request: Request) -> Response:
    known_query(request)
    hub: Hub = request.app.state.hub
    text, context, execute = _body(await request.body())
    resolution = await hub.resolve(text, context)
    answer: dict[str, Any] = resolution.as_json()
    answer["reasons"] = list(resolution.reasons)
    answer["candidates"] = [
        {
            "capability": c.kind,
            "tool": c.tool,
            "targets": list(c.targets),
            "score": round(c.score, 3),
            "reason": c.reason,
        }
        for c in resolution.candidates
    ]
    if execute:
        if resolution.outcome == "unsure":
            # Never carried out unasked: the caller confirms (or an agent takes over) and
            # sends the call itself, e.g. with "execute" on a narrower text.
            options = sorted({t for c in resolution.candidates for t in c.targets})
            raise ApiError(
                409,
                "unsure",
                f"not done, unsure about {text!r}: {resolution.reasons[0]}"
                + (f"; candidates: {', '.join(options[:10])}" if options else ""),
            )
        if resolution.kind == DATETIME_KIND and resolution.outcome == "ok":
            answer["results"] = [_clock(hub, resolution.tool)]
            return ModelJSONResponse(answer)
        if not resolution.tool or not resolution.targets:
            raise ApiError(
                422, "no_decision", f"nothing to do for {text!r}: " + "; ".join(resolution.reasons)
            )
        commands = (resolution, *resolution.also)  # "turn on X and close Y": each
        results = await asyncio.gather(
            *(
                _call(hub, target, command.tool, dict(command.args))
                for command in commands
                for target in command.targets
            )
        )
        answer["results"] = results
    return ModelJSONResponse(answer)


def _clock(hub: Hub, tool: str) -> dict[str, Any]:
    """The time or the date from the hub's clock, in the hub's local time zone."""
    now = hub.clock.now().astimezone()
    said = now.strftime("%H:%M") if tool == "get_time" else now.strftime("%A %d %B %Y")
    return {"capability": DATETIME_KIND, "ok": True, "result": {"text": said, "iso": now.isoformat()}}


async def _call(hub: Hub, target: str, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    try:
        result = await hub.call(target, tool, args)
    except AtmosphereError as exc:  # one failing target must not hide the others' results
        return {"capability": target, "ok": False, "error": str(exc)}
    if result.data:
        return {
            "capability": target,
            "ok": True,
            "content_type": result.content_type,
            "bytes": len(result.data),
        }
    return {"capability": target, "ok": True, "result": jsonable(result.value)}


def _body(raw: bytes) -> tuple[str, dict[str, Any], bool]:
    try:  # depth, digits, NaN and lone surrogates: hub.inputs' rules for outside JSON
        body = load_json(raw or b"null", subject="body")
    except PayloadError as exc:
        raise ApiError(400, "bad_request", str(exc)) from exc
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        raise ApiError(
            400,
            "bad_request",
            'body must be a JSON object with "text", e.g. {"text": "lights off"}',
        )
    text = body["text"].strip()
    if not text or len(text) > MAX_TEXT:
        raise ApiError(400, "bad_request", f"text must be 1..{MAX_TEXT} characters")
    context = body.get("context", {})
    if not isinstance(context, dict):
        raise ApiError(400, "bad_request", 'context must be an object, e.g. {"area": "kitchen"}')
    execute = body.get("execute", False)
    if not isinstance(execute, bool):
        raise ApiError(400, "bad_request", "execute must be true or false")
    return text, context, execute
