"""Onboarding, sign-in, sessions, CSRF, lockout and named tokens, through the real app on a
real Hub (real Mosquitto, real SQLite), over httpx's ASGI transport."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.routing import Mount, Route

from hub.clock import SystemClock
from hub.runtime import Hub
from tests.broker import Mosquitto
from tests.hubs import hub_config
from tests.test_web_api import asgi_client
from tests.test_web_events import serving, sse
from web import close_event_streams, create_app
from web.accounts import LoginGuard
from web.app import all_routes
from web.auth import SESSION_COOKIE
from web.automations import WEBHOOK_PREFIX

PASSWORD = "correct horse battery"


@pytest.fixture
async def hub(tmp_path: Path, mosquitto: Mosquitto) -> AsyncIterator[Hub]:
    async with Hub(hub_config(tmp_path, mosquitto.host, mosquitto.port)) as running:
        yield running


@pytest.fixture
def app(hub: Hub) -> Any:
    return create_app(hub)


@pytest.fixture
async def browser(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app) as http:
        yield http


async def onboard(http: httpx.AsyncClient, token: str, name: str = "admin") -> httpx.Response:
    return await http.post(
        "/onboarding",
        data={"token": token, "name": name, "password": PASSWORD, "confirm": PASSWORD},
    )


async def signed_in(hub: Hub, http: httpx.AsyncClient) -> str:
    """Onboard through `http` (which keeps the cookie); the session's CSRF token."""
    response = await onboard(http, hub.api_token)
    assert response.status_code == 303, response.text
    page = await http.get("/")
    marker = '<meta name="csrf-token" content="'
    start = page.text.index(marker) + len(marker)
    return page.text[start:page.text.index('"', start)]


# -- onboarding -----------------------------------------------------------------------------


async def test_onboarding_without_the_api_token_is_refused(
    hub: Hub, browser: httpx.AsyncClient
) -> None:
    response = await onboard(browser, "a guess from the LAN")
    assert response.status_code == 403
    assert "that is not this hub&#39;s API token: paste the content of" in response.text
    assert SESSION_COOKIE not in response.cookies
    users = await hub.store.run(
        "read", lambda conn: conn.execute("SELECT count(*) FROM web_users").fetchone()
    )
    assert users[0] == 0
    login = await browser.get("/login")
    assert login.headers["location"] == "/onboarding"  # still no account


async def test_onboarding_with_the_token_creates_the_admin_and_signs_in(
    hub: Hub, browser: httpx.AsyncClient
) -> None:
    response = await onboard(browser, hub.api_token)
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http here; https requests get Secure
    page = await browser.get("/")
    assert page.status_code == 200 and "admin" in page.text
    # the token is the secret, the session id is not stored in the clear
    rows = await hub.store.run(
        "read", lambda conn: conn.execute("SELECT digest, user FROM web_sessions").fetchall()
    )
    session_id = browser.cookies[SESSION_COOKIE]
    assert [user for _, user in rows] == ["admin"]
    assert all(session_id not in digest for digest, _ in rows)
    hashes = await hub.store.run(
        "read", lambda conn: conn.execute("SELECT hash FROM web_users").fetchall()
    )
    assert hashes[0][0].startswith("$argon2id$") and PASSWORD not in hashes[0][0]


async def test_the_cookie_is_secure_over_https(hub: Hub, app: Any) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://hub.test"
    ) as http:
        response = await onboard(http, hub.api_token)
    assert "Secure" in response.headers["set-cookie"]


async def test_onboarding_is_over_once_an_account_exists(
    hub: Hub, app: Any, browser: httpx.AsyncClient
) -> None:
    await onboard(browser, hub.api_token)
    async with asgi_client(app) as other:
        second = await onboard(other, hub.api_token, name="intruder")
        assert second.status_code == 409
        assert "this hub already has an account: sign in at /login instead" in second.text
        assert (await other.get("/onboarding")).headers["location"] == "/login"


async def test_the_onboarding_race_has_one_winner(hub: Hub, app: Any) -> None:
    clients = [asgi_client(app) for _ in range(4)]
    try:
        answers = await asyncio.gather(
            *(onboard(c, hub.api_token, name=f"user{i}") for i, c in enumerate(clients))
        )
    finally:
        for c in clients:
            await c.aclose()
    assert sorted(r.status_code for r in answers) == [303, 409, 409, 409]
    users = await hub.store.run(
        "read", lambda conn: conn.execute("SELECT count(*) FROM web_users").fetchone()
    )
    assert users[0] == 1


# -- sign-in, lockout -----------------------------------------------------------------------


async def test_sign_in_right_and_wrong_password(hub: Hub, app: Any, browser: httpx.AsyncClient) -> None:
    await onboard(browser, hub.api_token)
    async with asgi_client(app) as http:
        wrong = await http.post("/login", data={"name": "admin", "password": "not it at all"})
        assert wrong.status_code == 401
        assert "wrong account name or password" in wrong.text
        assert SESSION_COOKIE not in http.cookies
        unknown = await http.post("/login", data={"name": "nobody", "password": PASSWORD})
        assert unknown.status_code == 401
        right = await http.post(
            "/login", data={"name": "admin", "password": PASSWORD, "next": "/capabilities"}
        )
        assert right.status_code == 303 and right.headers["location"] == "/capabilities"
        assert (await http.get("/api/states")).status_code == 200


async def test_sign_in_never_redirects_off_site(hub: Hub, app: Any, browser: httpx.AsyncClient) -> None:
    await onboard(browser, hub.api_token)
    async with asgi_client(app) as http:
        right = await http.post(
            "/login", data={"name": "admin", "password": PASSWORD, "next": "//evil.example/"}
        )
        assert right.headers["location"] == "/"


async def test_lockout_after_repeated_failures_even_with_the_right_password(
    hub: Hub, app: Any, browser: httpx.AsyncClient
) -> None:
    await onboard(browser, hub.api_token)
    async with asgi_client(app) as http:
        for _ in range(5):
            assert (await http.post("/login", data={"name": "admin", "password": "guess1234567"})).status_code == 401
        locked = await http.post("/login", data={"name": "admin", "password": PASSWORD})
        assert locked.status_code == 429
        assert "too many failed sign-ins: try again in about 15 minute(s)" in locked.text
        assert SESSION_COOKIE not in http.cookies


class StepClock(SystemClock):
    def __init__(self) -> None:
        self.at = 1000.0

    def monotonic(self) -> float:
        return self.at

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.at, UTC)


def test_the_guard_locks_per_account_and_per_address_and_lets_go_after_the_lockout() -> None:
    clock = StepClock()
    guard = LoginGuard(clock, per_account=3, per_address=5, window=60, lockout=300)
    for _ in range(3):
        guard.failed("alice", "10.0.0.1")
    assert guard.locked_for("alice", "10.0.0.9") == 300  # the account, from anywhere
    assert guard.locked_for("bob", "10.0.0.1") == 0
    for name in ("bob", "carol"):  # two more from the same address: 5 failures there
        guard.failed(name, "10.0.0.1")
    assert guard.locked_for("dave", "10.0.0.1") == 300  # the address, for any account
    clock.at += 301
    assert guard.locked_for("alice", "10.0.0.1") == 0
    # failures older than the window are forgotten
    guard.failed("erin", "10.0.0.2")
    guard.failed("erin", "10.0.0.2")
    clock.at += 61
    guard.failed("erin", "10.0.0.2")
    assert guard.locked_for("erin", "10.0.0.3") == 0


# -- sessions and CSRF --------------------------------------------------------------------


async def test_a_session_reads_but_writes_only_with_its_csrf_token(
    hub: Hub, browser: httpx.AsyncClient
) -> None:
    csrf = await signed_in(hub, browser)
    assert (await browser.get("/api/capabilities")).status_code == 200
    missing = await browser.post("/api/tokens", json={"name": "cli"})
    assert missing.status_code == 403
    assert missing.json()["error"]["message"].startswith("missing CSRF token: send the header")
    wrong = await browser.post("/api/tokens", json={"name": "cli"}, headers={"X-CSRF-Token": "x"})
    assert wrong.status_code == 403
    assert wrong.json()["error"]["message"].startswith("wrong CSRF token")
    right = await browser.post("/api/tokens", json={"name": "cli"}, headers={"X-CSRF-Token": csrf})
    assert right.status_code == 201


async def test_the_event_stream_accepts_a_session(
    hub: Hub, app: Any, browser: httpx.AsyncClient
) -> None:
    await signed_in(hub, browser)
    session_id = browser.cookies[SESSION_COOKIE]
    async with serving(app) as url, httpx.AsyncClient(base_url=url) as http:
        http.cookies.set(SESSION_COOKIE, session_id)
        async with http.stream("GET", "/api/events") as response:
            assert response.status_code == 200
            name, _ = await anext(sse(response))
            assert name == "ready"
        close_event_streams(app)


async def test_signing_out_ends_the_session(hub: Hub, browser: httpx.AsyncClient) -> None:
    csrf = await signed_in(hub, browser)
    session_id = browser.cookies[SESSION_COOKIE]
    out = await browser.post("/logout", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 200
    async with asgi_client(browser._transport.app) as replay:  # type: ignore[attr-defined]
        replay.cookies.set(SESSION_COOKIE, session_id)
        again = await replay.get("/api/states")
        assert again.status_code == 401
        assert again.json()["error"]["message"].startswith("the session has expired or was closed")


# -- named tokens -------------------------------------------------------------------------


async def test_named_tokens_are_created_used_listed_and_revoked(hub: Hub, app: Any) -> None:
    async with asgi_client(app, hub.api_token) as admin:
        created = await admin.post("/api/tokens", json={"name": "grafana"})
        assert created.status_code == 201
        token = created.json()["token"]
        assert token.startswith("atm_")
        duplicate = await admin.post("/api/tokens", json={"name": "grafana"})
        assert duplicate.status_code == 409
        async with asgi_client(app, token) as program:
            assert (await program.get("/api/states")).status_code == 200
            listed = (await admin.get("/api/tokens")).json()["tokens"]
            assert [t["name"] for t in listed] == ["grafana"]
            assert listed[0]["last_used"] is not None
            assert token not in str(listed)
            stored = await hub.store.run(
                "read", lambda conn: conn.execute("SELECT digest FROM web_tokens").fetchall()
            )
            assert token not in str(stored)
            assert (await admin.delete("/api/tokens/grafana")).status_code == 204
            refused = await program.get("/api/states")
            assert refused.status_code == 401
            assert refused.json()["error"]["message"].startswith("wrong API token")
        gone = await admin.delete("/api/tokens/grafana")
        assert gone.status_code == 404
        assert "no API token called 'grafana'" in gone.json()["error"]["message"]


# -- the guard covers every route -----------------------------------------------------------

PUBLIC = {"/api/health", "/login", "/onboarding"}


def _concrete(path: str) -> str:
    return (path.replace("{id:path}", "light.x").replace("{tool}", "turn_on")
            .replace("{name}", "n").replace("{automation}", "a").replace("{run_id}", "r")
            .replace("{hook_id}", "h").replace("{id}", "i"))


def _route_cases() -> list[tuple[str, str]]:
    cases = []
    for route in all_routes():
        if isinstance(route, Mount):
            continue
        assert isinstance(route, Route)
        if route.path in PUBLIC or route.path.startswith(WEBHOOK_PREFIX):
            continue
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                cases.append((method, route.path))
    return cases


@pytest.mark.parametrize(("method", "path"), _route_cases())
async def test_every_private_route_refuses_anonymous_requests(
    browser: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await browser.request(method, _concrete(path))
    assert response.status_code in (401, 303), (method, path, response.status_code)
    if response.status_code == 303:
        assert method == "GET" and not path.startswith("/api/")
        assert response.headers["location"].startswith("/onboarding?next=")


@pytest.mark.parametrize(("method", "path"), [c for c in _route_cases() if c[0] != "GET"])
async def test_every_state_changing_route_refuses_a_session_without_csrf(
    hub: Hub, browser: httpx.AsyncClient, method: str, path: str
) -> None:
    await signed_in(hub, browser)
    response = await browser.request(method, _concrete(path), headers={"X-CSRF-Token": "forged"})
    assert response.status_code == 403, (method, path)
    assert response.json()["error"]["code"] == "csrf"


async def test_a_route_added_without_any_marking_is_private(hub: Hub) -> None:
    from starlette.responses import PlainTextResponse

    async def secret(_: Any) -> PlainTextResponse:
        return PlainTextResponse("the safe's combination")

    app = create_app(hub)
    app.router.routes.append(Route("/new-page", secret))
    app.router.routes.append(Route("/api/new-thing", secret))
    async with asgi_client(app) as http:
        page = await http.get("/new-page")
        assert page.status_code == 303 and "combination" not in page.text
        api = await http.get("/api/new-thing")
        assert api.status_code == 401 and "combination" not in api.text
    async with asgi_client(app, hub.api_token) as http:
        assert (await http.get("/new-page")).text == "the safe's combination"


async def test_static_files_and_the_webhook_route_stay_public(browser: httpx.AsyncClient) -> None:
    css = await browser.get("/static/hub.css")
    assert css.status_code == 200 and "font" in css.text
    hook = await browser.post(f"{WEBHOOK_PREFIX}no-such-hook", json={})
    assert hook.status_code != 401
