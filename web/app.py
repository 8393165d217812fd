"""`create_app(hub)`: the Starlette application in front of a running hub.

The app holds the hub in ``app.state.hub`` and never starts or stops it: whoever runs the
hub (``atmosphere run``, a test) owns its lifecycle, so the app needs no lifespan.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from hub.errors import AtmosphereError
from hub.identity import TOKEN_FILE
from web import api, automations, frames, home, mesh, pages, route, signin, sse
from web.accounts import Accounts, LoginGuard
from web.auth import PUBLIC_PAGE_PREFIXES, HubAuth
from web.errors import ApiError, api_error_handler, atmosphere_error_handler, http_exception_handler
from web.limits import DEFAULT_MAX_BODY, BodyLimit

if TYPE_CHECKING:
    from hub.runtime import Hub


def api_routes() -> list[Route]:
    # `{id:path}`: capability ids may contain slashes; the tool route is listed first so
    # that ".../tools/<tool>" is never read as part of an id.
    return [
        Route("/", home.home, methods=["GET"]),
        Route("/api/health", api.health, methods=["GET"]),
        Route("/api/capabilities", api.list_capabilities, methods=["GET"]),
        # every method: a tool's URL read with GET answers 405 (call_tool says how to call)
        Route("/api/capabilities/{id:path}/tools/{tool}", api.call_tool,
              methods=["POST", "GET", "PUT", "PATCH", "DELETE"]),
        Route("/api/capabilities/{id:path}/frame", frames.frame, methods=["GET"]),
        Route("/api/capabilities/{id:path}", api.get_capability, methods=["GET"]),
        Route("/api/capabilities/{id:path}", api.remove_capability, methods=["DELETE"]),
        Route("/api/states", api.states, methods=["GET"]),
        Route("/api/route", route.route_text, methods=["POST"]),
        Route("/api/mesh", mesh.status, methods=["GET"]),
        Route("/api/mesh/revocations", mesh.add_revocations, methods=["POST"]),
        Route("/api/events", sse.events, methods=["GET"]),
        *automations.routes(),
        *signin.routes(),
        *pages.routes(),
    ]


STATIC_DIR = Path(__file__).parent / "static"


def all_routes() -> list[BaseRoute]:
    """The API, the pages, and the static files (public: CSS and JavaScript only)."""
    return [*api_routes(), Mount("/static", StaticFiles(directory=STATIC_DIR), name="static")]


def create_app(
    hub: Hub,
    *,
    max_body: int = DEFAULT_MAX_BODY,
    sse_keepalive: float = sse.DEFAULT_KEEPALIVE,
    debug: bool = False,
) -> Starlette:
    """The web app for `hub`: the JSON API under ``/api/`` (see docs/http-api.md) and the
    web UI's pages (see docs/web.md)."""
    accounts = Accounts(hub.store, hub.clock)
    app = Starlette(
        debug=debug,
        routes=all_routes(),
        middleware=[
            # Authentication first: an unauthenticated client gets 401, not a body check.
            # One guard for everything: a route nobody marks public is private.
            Middleware(
                HubAuth,
                token=lambda: hub.api_token,
                token_file=str(hub.config.data_dir / TOKEN_FILE),
                accounts=accounts,
                public_prefixes=(*PUBLIC_PAGE_PREFIXES, automations.WEBHOOK_PREFIX),
            ),
            Middleware(BodyLimit, max_body=max_body),
        ],
        exception_handlers={
            ApiError: api_error_handler,
            AtmosphereError: atmosphere_error_handler,
            HTTPException: http_exception_handler,
        },
    )
    app.state.hub = hub
    app.state.accounts = accounts
    app.state.login_guard = LoginGuard(hub.clock)
    app.state.templates = home.templates()
    app.state.sse_keepalive = sse_keepalive
    app.state.sse_closing = asyncio.Event()
    return app
