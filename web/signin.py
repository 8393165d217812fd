"""Onboarding, sign-in and sign-out pages, and the named API tokens' endpoints.

Onboarding creates the first (admin) account and needs **proof of local access**: the
content of the hub's API token file, which only the hub's user can read. Coming from
loopback is not taken as proof, because a reverse proxy on the same machine makes every
request come from loopback. See docs/web.md.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from hub.identity import TOKEN_FILE, token_matches
from web.accounts import MAX_NAME, SESSION_LIFETIME, Accounts, LoginGuard, account_problem
from web.auth import SESSION_COOKIE, principal_of
from web.errors import ApiError
from web.pages import render

if TYPE_CHECKING:
    from hub.runtime import Hub

_LOGGER = logging.getLogger(__name__)

MAX_FORM = 8192


def routes() -> list[Route]:
    return [
        Route("/onboarding", onboarding_page, methods=["GET"]),
        Route("/onboarding", onboard, methods=["POST"]),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/api/tokens", list_tokens, methods=["GET"]),
        Route("/api/tokens", create_token, methods=["POST"]),
        Route("/api/tokens/{name}", revoke_token, methods=["DELETE"]),
    ]


def accounts_of(request: Request) -> Accounts:
    accounts: Accounts = request.app.state.accounts
    return accounts


def _hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


async def _form(request: Request) -> dict[str, str]:
    """An urlencoded form's fields (first value of each); bounded in size."""
    body = await request.body()
    if len(body) > MAX_FORM:
        raise ApiError(413, "too_large", f"the form is larger than {MAX_FORM} bytes")
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {key: values[0] for key, values in fields.items()}


def _next(raw: str | None) -> str:
    """Where to go after signing in: a local path only (no open redirect)."""
    if raw and raw.startswith("/") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return "/"


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    return render(request, name, context, status)


def _signed_in(request: Request, user: str, session_id: str, target: str) -> Response:
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=int(SESSION_LIFETIME),
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


# -- onboarding ---------------------------------------------------------------------------


async def onboarding_page(request: Request) -> Response:
    if await accounts_of(request).has_users():
        return RedirectResponse("/login", status_code=303)
    token_file = str(_hub(request).config.data_dir / TOKEN_FILE)
    return _page(request, "onboarding.html", {"token_file": token_file, "error": None, "name": ""})


async def onboard(request: Request) -> Response:
    accounts = accounts_of(request)
    hub = _hub(request)
    token_file = str(hub.config.data_dir / TOKEN_FILE)
    form = await _form(request)
    name, password = form.get("name", "").strip(), form.get("password", "")

    def refuse(status: int, error: str) -> Response:
        return _page(
            request, "onboarding.html", {"token_file": token_file, "error": error, "name": name},
            status,
        )

    if await accounts.has_users():
        return refuse(409, "this hub already has an account: sign in at /login instead")
    if not token_matches(hub.api_token, form.get("token", "").strip()):
        client = request.client
        _LOGGER.warning("onboarding refused: wrong API token client=%s",
                        client.host if client else "?")
        return refuse(
            403,
            f"that is not this hub's API token: paste the content of {token_file}"
            " (run `cat` on it on the hub's machine)",
        )
    problem = account_problem(name, password)
    if problem is not None:
        return refuse(400, problem)
    if password != form.get("confirm", ""):
        return refuse(400, "the two passwords differ: type the same password twice")
    if not await accounts.create_first(name, password):
        return refuse(409, "this hub already has an account: sign in at /login instead")
    session_id, _ = await accounts.open_session(name)
    return _signed_in(request, name, session_id, "/")


# -- sign-in and sign-out -----------------------------------------------------------------


async def login_page(request: Request) -> Response:
    if not await accounts_of(request).has_users():
        return RedirectResponse("/onboarding", status_code=303)
    target = _next(request.query_params.get("next"))
    return _page(request, "login.html", {"error": None, "name": "", "next": target})


async def login(request: Request) -> Response:
    accounts = accounts_of(request)
    guard: LoginGuard = request.app.state.login_guard
    form = await _form(request)
    name, password = form.get("name", "").strip()[:MAX_NAME], form.get("password", "")
    target = _next(form.get("next"))
    address = request.client.host if request.client else "?"

    def refuse(status: int, error: str) -> Response:
        return _page(request, "login.html", {"error": error, "name": name, "next": target}, status)

    wait = guard.locked_for(name, address)
    if wait > 0:
        minutes = max(1, round(wait / 60))
        return refuse(
            429, f"too many failed sign-ins: try again in about {minutes} minute(s)"
        )
    if not await accounts.check_password(name, password):
        guard.failed(name, address)
        _LOGGER.info("sign-in failed user=%s client=%s", name, address)
        return refuse(401, "wrong account name or password")
    guard.succeeded(name)
    session_id, _ = await accounts.open_session(name)
    _LOGGER.info("signed in user=%s client=%s", name, address)
    return _signed_in(request, name, session_id, target)


async def logout(request: Request) -> Response:
    principal = principal_of(request.scope)
    if principal.session_id:
        await accounts_of(request).close_session(principal.session_id)
    response = JSONResponse({"signed_out": True})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# -- named API tokens ---------------------------------------------------------------------


async def list_tokens(request: Request) -> Response:
    tokens = await accounts_of(request).tokens()
    return JSONResponse(
        {"tokens": [{"name": t.name, "created": t.created, "last_used": t.last_used}
                    for t in tokens]}
    )


async def create_token(request: Request) -> Response:
    try:
        body = await request.json()
    except ValueError as exc:
        raise ApiError(400, "bad_request", f"the body must be JSON: {exc}") from exc
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name or len(name) > MAX_NAME or not name.isprintable():
        raise ApiError(
            400, "bad_request",
            f'the body must be {{"name": "<1 to {MAX_NAME} printable characters>"}}',
        )
    token = await accounts_of(request).create_token(name)
    if token is None:
        raise ApiError(409, "conflict", f"a token called {name!r} exists: revoke it or pick another name")
    return JSONResponse({"name": name, "token": token}, status_code=201)


async def revoke_token(request: Request) -> Response:
    name = request.path_params["name"]
    if not await accounts_of(request).revoke_token(name):
        raise ApiError(404, "not_found", f"no API token called {name!r}: GET /api/tokens lists them")
    return Response(status_code=204)
