"""The mesh endpoints: this hub's place in the mesh, and revocation lists handed in."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hub.errors import PayloadError
from hub.inputs import load_json
from web.api import hub_of, known_query
from web.errors import ApiError
from web.views import ModelJSONResponse


async def status(request: Request) -> Response:
    """Mesh id, this node's token claims, the peers known, the revocations, and the RPC
    counters (refusals per reason)."""
    known_query(request)
    hub = hub_of(request)
    return ModelJSONResponse({**hub.trust.status(), "rpc": hub.rpc_counters()})


async def add_revocations(request: Request) -> Response:
    """Merge a revocation list signed by the mesh root: ``{"list": "v4.public..."}``."""
    known_query(request)
    hub = hub_of(request)
    revocations = hub.trust.revocations
    if revocations is None:
        raise ApiError(
            409, "not_in_mesh", "this hub is in no mesh: join one with `atmosphere mesh join`"
        )
    try:
        body = load_json(await request.body(), subject="request body")
    except PayloadError as exc:
        raise ApiError(400, "bad_request", str(exc)) from exc
    signed = body.get("list") if isinstance(body, dict) else None
    if not isinstance(signed, str):
        raise ApiError(400, "bad_request", 'expected {"list": "<signed revocation list>"}')
    changed = revocations.merge(signed)  # TokenError -> 401 with what is wrong
    return ModelJSONResponse({"changed": changed, "revoked": sorted(revocations.entries())})
