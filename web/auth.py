"""Bearer-token authentication for the API.

Every ``/api/`` endpoint needs the hub's API token except the public ones (health): state
can be private too (who is home, which door is open), so reading is guarded like writing.
A pure ASGI middleware rather than Starlette's ``BaseHTTPMiddleware``, which would buffer
and break the endless event stream.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.identity import token_matches
from web.errors import error_response

_LOGGER = logging.getLogger(__name__)

PUBLIC_PATHS: frozenset[str] = frozenset({"/api/health"})


class BearerAuth:
    """Refuse requests under `prefix` whose ``Authorization: Bearer`` is not the token.

    `token` is called on every request, so a token the hub replaces takes effect at once;
    `token_file` is named in the 401 message so the user knows where to find it.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: Callable[[], str],
        token_file: str,
        prefix: str = "/api/",
        public: Collection[str] = PUBLIC_PATHS,
        public_prefixes: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.token = token
        self.token_file = token_file
        self.prefix = prefix
        self.public = public
        self.public_prefixes = public_prefixes
        """Routes under these are public (webhooks: their id is their secret)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._guarded(scope["path"]):
            await self.app(scope, receive, send)
            return
        problem = self._problem(Headers(scope=scope).get("authorization"))
        if problem is None:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        _LOGGER.info(
            "refused request path=%s client=%s reason=%s",
            scope["path"],
            client[0] if client else "?",
            problem,
        )
        response = error_response(
            401,
            "unauthorized",
            f"{problem}: send the header 'Authorization: Bearer <token>' with the token"
            f" from {self.token_file} on the hub",
            headers={"WWW-Authenticate": 'Bearer realm="atmosphere"'},
        )
        await response(scope, receive, send)

    def _guarded(self, path: str) -> bool:
        if self.public_prefixes and path.startswith(self.public_prefixes):
            return False
        return path.startswith(self.prefix) and path.rstrip("/") not in self.public

    def _problem(self, header: str | None) -> str | None:
        """Why the request is refused, or None when its token is right."""
        if not header:
            return "missing API token"
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            return "the Authorization header must be 'Bearer <token>'"
        if not token_matches(self.token(), credentials.strip()):
            return "wrong API token"
        return None
