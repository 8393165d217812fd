"""`GET /`: the hub's front page. Public, so it shows only what `/api/health` shows, plus
how to reach the rest with the API token."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from hub import __version__
from hub.identity import TOKEN_FILE

if TYPE_CHECKING:
    from hub.runtime import Hub

def templates() -> Jinja2Templates:
    """The app's templates (one environment per app: no module-level state)."""
    return Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


async def home(request: Request) -> Response:
    hub: Hub = request.app.state.hub
    pages: Jinja2Templates = request.app.state.templates
    return pages.TemplateResponse(
        request,
        "home.html",
        {
            "name": hub.config.name,
            "version": __version__,
            "status": "ok" if hub.connected else "degraded",
            "node_id": hub.node_id,
            "token_file": str(hub.config.data_dir / TOKEN_FILE),
            "base_url": str(request.base_url),
        },
    )
