"""The web UI in a real browser: Debian's Chromium driven by Playwright, against a real
uvicorn serving a real Hub (demo integration on a real Mosquitto).

The hub and its server run on their own event loop in a thread, so that the tests can use
Playwright's synchronous API. One browser for the module (all the browser tests); a fresh hub (and so a
fresh onboarding) per test. Screenshots of each page at laptop and phone width go to
``$ATMOSPHERE_SCREENSHOTS`` (default: the session's temporary directory), not committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

from hub.runtime import Hub
from tests.broker import Mosquitto, free_port
from tests.hubs import demo_section, hub_config
from tests.mqtt import Peer, mqtt_peer
from tests.waiting import eventually
from web import close_event_streams, create_app

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
PASSWORD = "correct horse battery"
LAPTOP = ViewportSize(width=1280, height=800)
PHONE = ViewportSize(width=375, height=740)


@dataclass
class Served:
    """A hub served over HTTP from a thread of its own."""

    url: str
    hub: Hub
    loop: asyncio.AbstractEventLoop

    def run(self, coro: Any) -> Any:
        """Run `coro` on the hub's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=20)


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # leave pytest's signal handlers alone


def _serve(config: Any, ready: Future[Served], stop: threading.Event) -> None:
    async def main() -> None:
        async with Hub(config) as hub:
            app = create_app(hub)
            port = free_port()
            server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                            lifespan="off", timeout_graceful_shutdown=2))
            task = asyncio.create_task(server.serve())
            await eventually(lambda: server.started or task.done(), timeout=10)
            if task.done():
                task.result()  # raises why it did not start
            loop = asyncio.get_running_loop()
            ready.set_result(Served(f"http://127.0.0.1:{port}", hub, loop))
            await loop.run_in_executor(None, stop.wait)
            close_event_streams(app)
            server.should_exit = True
            await task

    try:
        asyncio.run(main())
    except BaseException as exc:  # handed to the test thread
        if not ready.done():
            ready.set_exception(exc)
        raise


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # One browser for all the browser tests (they are all in this module). Not
    # session-scoped: Playwright's sync API keeps its event loop current in this thread
    # while it runs, which would break every asyncio test collected after this module.
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `./bootstrap.sh test` (as root it installs chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("ATMOSPHERE_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def served(tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str) -> Iterator[Served]:
    config = hub_config(tmp_path, mosquitto.host, mosquitto.port,
                        integrations={"demo": demo_section(topic_prefix)})
    ready: Future[Served] = Future()
    stop = threading.Event()
    thread = threading.Thread(target=_serve, args=(config, ready, stop), name="test.hub")
    thread.start()
    try:
        yield ready.result(timeout=30)
    finally:
        stop.set()
        thread.join(timeout=30)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=LAPTOP)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def peer(mosquitto: Mosquitto) -> Iterator[Peer]:
    with mqtt_peer(mosquitto.host, mosquitto.port) as client:
        yield client


def onboard(page: Page, served: Served, token: str) -> None:
    page.goto(served.url + "/")
    expect(page).to_have_url(served.url + "/onboarding?next=%2F")
    page.get_by_label("API token").fill(token)
    page.get_by_label("Account name").fill("admin")
    page.get_by_label("Password (at least 10 characters)").fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()


def screenshot(page: Page, shots: Path, name: str) -> None:
    for width, size in (("laptop", LAPTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size(LAPTOP)


# -- onboarding and sign-in -----------------------------------------------------------------


def test_onboarding_is_refused_without_the_token_and_accepted_with_it(
    page: Page, served: Served, shots: Path
) -> None:
    onboard(page, served, "a guess from the LAN")
    expect(page.locator("#error")).to_contain_text("that is not this hub's API token")
    screenshot(page, shots, "onboarding-refused")
    onboard(page, served, served.hub.api_token)
    expect(page).to_have_url(served.url + "/")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.locator(".who")).to_contain_text("admin")


def test_sign_in_wrong_password_lockout_and_sign_out(
    page: Page, browser: Browser, served: Served, shots: Path
) -> None:
    onboard(page, served, served.hub.api_token)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(served.url + "/login")
    page.goto(served.url + "/capabilities")  # no session: sent to sign-in
    expect(page).to_have_url(served.url + "/login?next=%2Fcapabilities")
    screenshot(page, shots, "login")
    page.get_by_label("Account name").fill("admin")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#error")).to_have_text("wrong account name or password")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(served.url + "/capabilities")
    # another browser (another client) fails five times: the account is locked for all
    other = browser.new_context().new_page()
    for _ in range(5):
        other.goto(served.url + "/login")
        other.get_by_label("Account name").fill("admin")
        other.get_by_label("Password").fill("guessing again")
        other.get_by_role("button", name="Sign in").click()
        expect(other.locator("#error")).to_be_visible()
    other.get_by_label("Password").fill(PASSWORD)
    other.get_by_role("button", name="Sign in").click()
    expect(other.locator("#error")).to_contain_text("too many failed sign-ins")
    other.context.close()


def test_a_fetch_without_the_csrf_token_is_refused(page: Page, served: Served) -> None:
    onboard(page, served, served.hub.api_token)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    answer = page.evaluate("""async () => {
        const r = await fetch('/api/tokens', {method: 'POST', body: '{"name": "x"}',
                                               headers: {'Content-Type': 'application/json'}});
        return [r.status, (await r.json()).error.code];
    }""")
    assert answer == [403, "csrf"]
    made = page.evaluate("""async () => {
        const r = await hubFetch('/api/tokens', {method: 'POST', body: '{"name": "x"}',
                                                 headers: {'Content-Type': 'application/json'}});
        return r.status;
    }""")
    assert made == 201


# -- the dashboard ----------------------------------------------------------------------------


def test_the_dashboard_toggles_the_light_over_mqtt_and_shows_device_state_live(
    page: Page, served: Served, peer: Peer, topic_prefix: str, shots: Path
) -> None:
    light_topic = f"{topic_prefix}/demo/zigbee2mqtt/kitchen/light"
    peer.subscribe(f"{light_topic}/set")
    onboard(page, served, served.hub.api_token)
    card = page.locator('[data-id="light.kitchen_light"]')
    expect(card.locator('[data-role="state"]')).to_contain_text("off")
    expect(page.locator("body")).to_have_attribute("data-live", "yes")
    expect(page.locator('[data-id="camera.front_door"] img')).to_have_js_property("complete", True)
    screenshot(page, shots, "dashboard")
    card.get_by_role("button", name="Kitchen light: turn on").click()
    expect(card.locator('[data-role="state"]')).to_contain_text("on")  # the device answered
    commands = [json.loads(p) for p in peer.messages(f"{light_topic}/set")]
    assert commands and commands[0].get("state") == "ON", commands
    # the device reports a change of its own: the open page shows it without a reload
    peer.publish(light_topic, json.dumps({"state": "ON", "brightness": 26}))
    expect(card.locator('[data-role="state"]')).to_contain_text("on · 10%")
    frame = page.locator('[data-id="camera.front_door"] img')
    width = frame.evaluate("img => img.naturalWidth")
    assert width > 0


# -- the capabilities page ----------------------------------------------------------------------


def test_a_tool_form_calls_the_tool_and_a_camera_frame_shows_as_an_image(
    page: Page, served: Served, shots: Path
) -> None:
    onboard(page, served, served.hub.api_token)
    page.get_by_role("link", name="Capabilities").click()
    light = page.locator('section[data-id="light.kitchen_light"]')
    light.locator("summary", has_text="turn_on").click()
    light.get_by_label("brightness_pct").fill("30")
    light.get_by_role("button", name="Call turn_on").click()
    expect(light.locator('[data-role="result"]')).to_contain_text('"brightness": 76')
    camera = page.locator('section[data-id="camera.front_door"]')
    camera.locator("summary", has_text="get_frame").click()
    camera.get_by_role("button", name="Call get_frame").click()
    image = camera.locator('[data-role="result-image"]')
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") > 0
    bad = light.locator('form[data-tool="turn_on"]')
    bad.get_by_label("brightness_pct").fill("300")
    page.evaluate("document.querySelectorAll('input').forEach(i => i.removeAttribute('max'))")
    bad.get_by_role("button", name="Call turn_on").click()
    expect(light.locator('[data-role="result"]')).to_contain_text("brightness_pct")
    screenshot(page, shots, "capabilities")


# -- the automations page -----------------------------------------------------------------------

EVENING = {
    "id": "evening", "alias": "Evening light",
    "triggers": [{"trigger": "time", "at": "23:59:00"}],
    "actions": [{"action": "light.turn_on", "target": {"entity_id": "light.kitchen_light"}}],
}


@pytest.fixture
def served_with_automation(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> Iterator[Served]:
    config = hub_config(tmp_path, mosquitto.host, mosquitto.port,
                        integrations={"demo": demo_section(topic_prefix)}, automation=[EVENING])
    ready: Future[Served] = Future()
    stop = threading.Event()
    thread = threading.Thread(target=_serve, args=(config, ready, stop), name="test.hub")
    thread.start()
    try:
        yield ready.result(timeout=30)
    finally:
        stop.set()
        thread.join(timeout=30)


def test_automations_disable_enable_run_now_and_show_the_trace(
    page: Page, served_with_automation: Served, shots: Path
) -> None:
    served = served_with_automation
    onboard(page, served, served.hub.api_token)
    page.get_by_role("link", name="Automations").click()
    card = page.locator('section[data-id="evening"]')
    expect(card.locator('[data-role="summary"]')).to_contain_text("enabled")
    card.get_by_role("button", name="Disable").click()
    expect(card.locator('[data-role="summary"]')).to_contain_text("disabled")
    assert not served.hub.automations.automations["evening"].enabled
    card.get_by_role("button", name="Enable").click()
    expect(card.locator('[data-role="summary"]')).to_contain_text("enabled")
    card.get_by_role("button", name="Run now").click()
    card.locator('[data-role="trace"]').first.click()
    expect(card.locator('[data-role="steps"] li').first).to_be_visible()
    assert served.hub.registry.get("light.kitchen_light").state["state"] == "on"
    screenshot(page, shots, "automations")


# -- route playground and mesh ------------------------------------------------------------------


def test_the_route_playground_shows_the_resolution_and_the_mesh_page_says_what_is_missing(
    page: Page, served: Served, shots: Path
) -> None:
    onboard(page, served, served.hub.api_token)
    page.get_by_role("link", name="Route").click()
    page.get_by_label("Request").fill("turn on the kitchen light")
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator('[data-role="route-result"]')).to_contain_text("light.kitchen_light")
    screenshot(page, shots, "route")
    assert served.hub.registry.get("light.kitchen_light").state["state"] == "off"  # not run
    page.get_by_role("link", name="Mesh").click()
    expect(page.locator("main")).to_contain_text("Not built yet:")
    expect(page.locator('[data-role="mesh"]')).to_contain_text('"rpc"')
    screenshot(page, shots, "mesh")
