"""The HTTP API over the demo integration: real devices on MQTT, real JPEG frames."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from hub.runtime import Hub
from tests.broker import Mosquitto
from tests.hubs import demo_section, hub_config
from tests.test_web_api import asgi_client
from tests.waiting import eventually
from web import create_app


async def test_the_demo_light_and_camera_through_the_api(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    config = hub_config(
        tmp_path,
        mosquitto.host,
        mosquitto.port,
        integrations={"demo": demo_section(topic_prefix)},
    )
    async with Hub(config) as hub, asgi_client(create_app(hub), hub.api_token) as http:
        listed = await http.get("/api/capabilities?type=light&area=kitchen")
        assert [c["id"] for c in listed.json()["capabilities"]] == ["light.kitchen_light"]

        response = await http.post(
            "/api/capabilities/light.kitchen_light/tools/turn_on", json={"brightness_pct": 30}
        )
        assert response.status_code == 200, response.text
        assert response.json()["result"]["state"]["brightness"] == 76
        assert (await http.get("/api/states")).json()["light.kitchen_light"]["state"] == "on"

        frame = await http.post("/api/capabilities/camera.front_door/tools/get_frame")
        assert frame.status_code == 200, frame.text
        assert frame.headers["content-type"] == "image/jpeg"
        image = Image.open(io.BytesIO(frame.content))
        image.load()
        assert image.format == "JPEG"


async def test_health_is_degraded_while_the_broker_is_down(
    tmp_path: Path, private_mosquitto: Mosquitto
) -> None:
    broker = private_mosquitto
    async with (
        Hub(hub_config(tmp_path, broker.host, broker.port)) as hub,
        asgi_client(create_app(hub)) as http,
    ):
        assert (await http.get("/api/health")).json()["status"] == "ok"
        broker.stop()
        await eventually(lambda: not hub.fabric.connected and not hub.rpc_fabric.connected)
        body = (await http.get("/api/health")).json()
        assert (body["status"], body["mqtt_connected"]) == ("degraded", False)
        broker.start()
        await eventually(lambda: hub.connected, timeout=15)
        assert (await http.get("/api/health")).json()["status"] == "ok"
