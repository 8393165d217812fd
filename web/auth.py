"""Authentication for the whole app: the API token, a named token, or a session.

Every path needs one except the public ones (health, sign-in, onboarding, static files,
webhooks): state can be private too (who is home, which door is open), so reading is
guarded like writing, and a new page is private by default.
A pure ASGI middleware rather than Starlette's ``BaseHTTPMiddleware``, which would buffer
and break the endless event stream.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from starlette.datastructures import Headers
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.identity import token_matches
from web.errors import error_response

if TYPE_CHECKING:
    from web.accounts import Accounts

_LOGGER = logging.getLogger(__name__)

# -- the one guard in front of the whole app: API token, named token or session ----------

SESSION_COOKIE = "atmosphere_session"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PUBLIC_PAGES: frozenset[str] = frozenset({"/api/health", "/login", "/onboarding"})
PUBLIC_PAGE_PREFIXES: tuple[str, ...] = ("/static/",)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who made a request: ``kind`` is "api_token", "token" (a named one) or "session"."""

    kind: str
    name: str
    csrf: str = ""
    session_id: str = ""


def principal_of(scope: Scope) -> Principal:
    principal: Principal = scope["state"]["principal"]
    return principal


class HubAuth:
    """Guard every path but the public ones: a request needs ``Authorization: Bearer``
    with the hub's API token or a named token, or a sign-in session cookie.

    Private by default: a route added to the app is guarded without anyone marking it.
    A session's unsafe requests (POST, PUT, PATCH, DELETE) must also carry the session's
    CSRF token in the ``X-CSRF-Token`` header, which another site cannot read or send.
    Refused API requests (under ``/api/``) get 401/403 JSON; a browser asking for a page
    is sent to sign-in (or to onboarding while no account exists).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: Callable[[], str],
        token_file: str,
        accounts: Accounts,
        public: Collection[str] = PUBLIC_PAGES,
        public_prefixes: tuple[str, ...] = PUBLIC_PAGE_PREFIXES,
    ) -> None:
        self.app = app
        self.token = token
        self.token_file = token_file
        self.accounts = accounts
        self.public = public
        self.public_prefixes = public_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._public(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        principal, problem, status = await self._check(scope, headers)
        if principal is not None:
            scope.setdefault("state", {})["principal"] = principal
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        _LOGGER.info(
            "refused request path=%s method=%s client=%s reason=%s",
            scope["path"], scope["method"], client[0] if client else "?", problem,
        )
        response: Response
        if status == 403:
            response = error_response(
                403, "csrf",
                f"{problem}: send the header 'X-CSRF-Token' with the token of your session"
                " (the page's <meta name=\"csrf-token\">)",
            )
        elif scope["path"].startswith("/api/") or scope["method"] != "GET":
            response = error_response(
                401, "unauthorized",
                f"{problem}: send the header 'Authorization: Bearer <token>' with the token"
                f" from {self.token_file} on the hub",
                headers={"WWW-Authenticate": 'Bearer realm="atmosphere"'},
            )
        else:
            target = "/login" if await self.accounts.has_users() else "/onboarding"
            query = urlencode({"next": scope["path"]})
            response = RedirectResponse(f"{target}?{query}", status_code=303)
        await response(scope, receive, send)

    def _public(self, path: str) -> bool:
        if path.rstrip("/") in self.public or path in self.public:
            return True
        return path.startswith(self.public_prefixes) if self.public_prefixes else False

    async def _check(self, scope: Scope, headers: Headers) -> tuple[Principal | None, str, int]:
        header = headers.get("authorization")
        if header is not None:
            scheme, _, credentials = header.partition(" ")
            credentials = credentials.strip()
            if scheme.lower() != "bearer" or not credentials:
                return None, "the Authorization header must be 'Bearer <token>'", 401
            if token_matches(self.token(), credentials):
                return Principal("api_token", "api_token"), "", 200
            name = await self.accounts.token_name(credentials)
            if name is not None:
                return Principal("token", name), "", 200
            return None, "wrong API token", 401
        cookie = cookie_value(headers, SESSION_COOKIE)
        if cookie is None:
            return None, "missing API token", 401
        session = await self.accounts.session(cookie)
        if session is None:
            return None, "the session has expired or was closed", 401
        if scope["method"] in UNSAFE_METHODS:
            sent = headers.get(CSRF_HEADER, "")
            if not sent:
                return None, "missing CSRF token", 403
            if not hmac.compare_digest(sent.encode(), session.csrf.encode()):
                return None, "wrong CSRF token", 403
        return Principal("session", session.user, session.csrf, cookie), "", 200


def cookie_value(headers: Headers, name: str) -> str | None:
    raw = headers.get("cookie")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except CookieError:
        return None
    morsel = jar.get(name)
    return None if morsel is None else morsel.value
