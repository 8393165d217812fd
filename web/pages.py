"""Rendering the signed-in pages: every page gets the hub's name, who is signed in and the
session's CSRF token (in ``<meta name="csrf-token">``, read by static/hub.js)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from web.accounts import MAX_NAME
from web.auth import principal_of

if TYPE_CHECKING:
    from hub.runtime import Hub


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    pages: Jinja2Templates = request.app.state.templates
    hub: Hub = request.app.state.hub
    principal = request.scope.get("state", {}).get("principal")
    base: dict[str, Any] = {"hub_name": hub.config.name, "signed_in": None, "csrf": "",
                            "max_name": MAX_NAME}
    if principal is not None:
        who = principal_of(request.scope)
        base.update(signed_in=who.name, csrf=who.csrf)
    response = pages.TemplateResponse(request, name, {**base, **context}, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def routes() -> list[Route]:
    return [
        Route("/capabilities", capabilities_page, methods=["GET"]),
        Route("/automations", automations_page, methods=["GET"]),
        Route("/route", route_page, methods=["GET"]),
        Route("/mesh", mesh_page, methods=["GET"]),
    ]


async def capabilities_page(request: Request) -> Response:
    """Every capability with its tools and triggers; forms to try tools (capabilities.js)."""
    return render(request, "capabilities.html", {})


async def automations_page(request: Request) -> Response:
    """Automations: enable/disable, run now, traces (automations.js on /api/automations)."""
    return render(request, "automations.html", {})


async def route_page(request: Request) -> Response:
    """The route playground: a sentence in, the resolution out (route.js, no execution)."""
    return render(request, "route.html", {})


async def mesh_page(request: Request) -> Response:
    """This hub's mesh status; says plainly that membership is not built yet."""
    return render(request, "mesh.html", {})
