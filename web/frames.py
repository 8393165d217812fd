"""``GET /api/capabilities/{id}/frame``: a camera's current frame as an image, so that an
``<img>`` (which can only GET, with the session cookie) can show it. The frame comes from
the capability's ``get_frame`` tool (``snapshot`` when it has that instead)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from web.api import hub_of
from web.errors import ApiError

FRAME_TOOLS = ("get_frame", "snapshot")


async def frame(request: Request) -> Response:
    hub = hub_of(request)
    capability_id: str = request.path_params["id"]
    capability = hub.registry.find(capability_id)
    if capability is None:
        raise ApiError(
            404, "unknown_capability",
            f'no capability "{capability_id}" on this hub; GET /api/capabilities lists them',
        )
    tool = next((name for name in FRAME_TOOLS if capability.tool(name) is not None), None)
    if tool is None:
        raise ApiError(
            404, "no_frames",
            f"{capability_id} has no frame tool ({' or '.join(FRAME_TOOLS)}): it is not a camera",
        )
    result = await hub.call(capability_id, tool, {})
    media = result.content_type.split(";")[0].strip().lower()
    if not media.startswith("image/") or not result.data:
        raise ApiError(
            502, "not_an_image",
            f"{capability_id}/{tool} answered {media or 'nothing'}, not an image",
        )
    return Response(result.data, media_type=media, headers={"Cache-Control": "no-store"})
