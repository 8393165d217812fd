"""`GET /`: the dashboard (signed in): devices grouped by floor and area, live by SSE."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from hub import __version__
from web.pages import render

if TYPE_CHECKING:
    from hub.runtime import Hub


def templates() -> Jinja2Templates:
    """The app's templates (one environment per app: no module-level state)."""
    return Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


async def home(request: Request) -> Response:
    hub: Hub = request.app.state.hub
    return render(
        request,
        "home.html",
        {
            "version": __version__,
            "status": "ok" if hub.connected else "degraded",
            "node_id": hub.node_id,
        },
    )
