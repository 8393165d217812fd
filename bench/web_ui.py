"""The web UI in a real browser (Debian's Chromium, Playwright): first load of the dashboard
with many capabilities, and how long a device's state takes from MQTT to the page.

1. first load: a signed-in browser opens ``/`` on a hub with the demo devices plus
   `--capabilities` extra lights; timed from navigation start until every card is drawn
   (the capability list fetched and rendered), and the bytes transferred (HTML, CSS,
   JavaScript and the capability list, as the browser's resource timing reports them).
2. MQTT to DOM: the demo kitchen light's Zigbee2MQTT state is published by an outside MQTT
   client; timed from just before the publish until the card's text shows it (a
   MutationObserver in the page; the brightness alternates so each sample is a change),
   `--samples` times. Both clocks are this machine's wall
   clock (Python's `time.time()`, the page's `performance.timeOrigin + now()`).

    python -m bench.web_ui [--capabilities 500] [--samples 50]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from types import MappingProxyType

import httpx
from playwright.sync_api import sync_playwright

from bench.report import report
from hub.domains import standard_tools
from hub.model import Capability
from tests.broker import Mosquitto
from tests.hubs import demo_section, hub_config
from tests.mqtt import mqtt_peer
from tests.test_web_browser import CHROMIUM, FLAGS, PASSWORD, Served, _serve

OBSERVE = """([id]) => {
  window.__seen = null;
  const box = document.querySelector(`[data-id="${id}"]`);
  const before = box.querySelector('[data-role="state"]').textContent;
  const observer = new MutationObserver(() => {
    const state = box.querySelector('[data-role="state"]');
    if (state && state.textContent !== before) {
      window.__seen = performance.timeOrigin + performance.now();
      observer.disconnect();
    }
  });
  observer.observe(box, {childList: true, subtree: true, characterData: true});
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capabilities", type=int, default=500)
    parser.add_argument("--samples", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        broker = Mosquitto(root / "broker")
        broker.start()
        try:
            figures = measure(root, broker, args.capabilities, args.samples)
        finally:
            broker.stop()
    rows = [
        ["first load of / (ms)", f"{figures['first_load_ms']:.0f}"],
        ["first load (bytes)", str(figures["first_load_bytes"])],
        ["capabilities on the page", str(figures["cards"])],
        ["MQTT state -> DOM p50 (ms)", f"{figures['mqtt_to_dom_p50_ms']:.1f}"],
        ["MQTT state -> DOM p90 (ms)", f"{figures['mqtt_to_dom_p90_ms']:.1f}"],
    ]
    report("web_ui", vars(args), figures, ["figure", "value"], rows)


def measure(root: Path, broker: Mosquitto, extra: int, samples: int) -> dict[str, float]:
    prefix = "bench"
    config = hub_config(root, broker.host, broker.port,
                        integrations={"demo": demo_section(prefix)})
    ready: Future[Served] = Future()
    stop = threading.Event()
    thread = threading.Thread(target=_serve, args=(config, ready, stop), name="bench.hub")
    thread.start()
    try:
        served = ready.result(timeout=60)
        tools = standard_tools("light")

        async def add_lights() -> None:
            for i in range(extra):
                served.hub.registry.add(Capability(
                    id=f"light.bench_{i:04d}", type="light", name=f"Bench light {i}",
                    area=f"room {i % 25}", tools=tools,
                    state=MappingProxyType({"state": "off", "brightness": 128})))

        served.run(add_lights())
        with httpx.Client(base_url=served.url) as http:
            token = served.hub.api_token
            http.post("/onboarding", data={"token": token, "name": "bench", "password": PASSWORD,
                                           "confirm": PASSWORD})
            session = http.cookies["atmosphere_session"]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            context.add_cookies([{"name": "atmosphere_session", "value": session,
                                  "url": served.url}])
            page = context.new_page()
            page.goto(served.url + "/")
            total = len(served.hub.registry.all())
            page.wait_for_function(f"document.querySelectorAll('.device').length >= {total - 1}")
            loaded = page.evaluate("performance.now()")
            transferred = page.evaluate(
                "performance.getEntriesByType('navigation').concat("
                "performance.getEntriesByType('resource'))"
                ".reduce((sum, e) => sum + (e.transferSize || 0), 0)")
            cards = page.evaluate("document.querySelectorAll('.device').length")
            page.wait_for_function("document.body.dataset.live === 'yes'")
            latencies = []
            topic = f"{prefix}/demo/zigbee2mqtt/kitchen/light"
            with mqtt_peer(broker.host, broker.port) as peer:
                for i in range(samples):
                    brightness = 20 + (i % 2) * 100  # alternating: every sample a change
                    page.evaluate(OBSERVE, ["light.kitchen_light"])
                    start = time.time() * 1000
                    peer.publish(topic, json.dumps({"state": "ON", "brightness": brightness}))
                    page.wait_for_function("window.__seen !== null")
                    latencies.append(page.evaluate("window.__seen") - start)
            browser.close()
    finally:
        stop.set()
        thread.join(timeout=30)
    latencies.sort()
    return {
        "first_load_ms": loaded,
        "first_load_bytes": transferred,
        "cards": cards,
        "mqtt_to_dom_p50_ms": statistics.median(latencies),
        "mqtt_to_dom_p90_ms": latencies[int(len(latencies) * 0.9) - 1],
        "samples": len(latencies),
    }


if __name__ == "__main__":
    main()
