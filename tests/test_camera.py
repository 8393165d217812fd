"""The generic HTTP camera integration inside a real hub: real Mosquitto for the tool calls,
a real HTTP camera server on loopback for the frames."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from hub.config import load_config
from hub.errors import ConfigError, ToolError
from hub.events import AvailabilityChanged
from hub.runtime import Hub
from integrations.camera import validate
from tests.broker import Mosquitto
from tests.cameras import CameraServer, jpeg_frame
from tests.hubs import hub_config, write_config
from tests.waiting import eventually

FRAME = jpeg_frame(200_000, seed=1)
STREAM = [jpeg_frame(200_000, seed=2), jpeg_frame(190_000, seed=3)]


@pytest.fixture
async def camera_server() -> AsyncIterator[CameraServer]:
    async with CameraServer(snapshot=FRAME, stream_frames=list(STREAM)) as server:
        yield server


def camera_hub(tmp_path: Path, mosquitto: Mosquitto, *cameras: dict[str, Any],
               **options: Any) -> Any:
    section = {"cameras": list(cameras), **options}
    return hub_config(tmp_path, mosquitto.host, mosquitto.port, integrations={"camera": section})


async def test_get_frame_returns_the_exact_snapshot_bytes(
    tmp_path: Path, mosquitto: Mosquitto, camera_server: CameraServer
) -> None:
    config = camera_hub(tmp_path, mosquitto, {
        "name": "Porch", "area": "porch", "snapshot_url": camera_server.url("/snapshot.jpg"),
    })
    async with Hub(config) as hub:
        camera = hub.registry.get("camera.porch")
        assert camera.type == "camera" and camera.area == "porch" and camera.source == "camera"
        assert [t.name for t in camera.tools] == ["get_frame", "get_state"]
        result = await hub.call("camera.porch", "get_frame")
        assert result.content_type == "image/jpeg"
        assert result.data == FRAME
        Image.open(io.BytesIO(result.data)).load()
        state = hub.registry.get("camera.porch").state
        assert state["frame_bytes"] == 200_000 and state["source"] == "snapshot"
        reply = await hub.call("camera.porch", "get_state")
        assert reply.value["available"] is True
        assert reply.value["state"]["state"] == "idle"
    assert camera_server.requests == ["/snapshot.jpg"]


@pytest.mark.parametrize("query", [
    "", "?length=0", "?style=dashed", "?style=none&lf=1", "?headers=0&style=quoted",
    "?preamble=50000&text=1",
])
async def test_get_frame_reads_the_next_whole_frame_of_an_mjpeg_stream(
    tmp_path: Path, mosquitto: Mosquitto, camera_server: CameraServer, query: str
) -> None:
    config = camera_hub(tmp_path, mosquitto, {
        "name": "Garden cam", "mjpeg_url": camera_server.url("/video.mjpg" + query),
    })
    async with Hub(config) as hub:
        result = await hub.call("camera.garden_cam", "get_frame")
        assert result.content_type == "image/jpeg"
        assert result.data == STREAM[0]
        assert hub.registry.get("camera.garden_cam").state["source"] == "mjpeg"


@pytest.mark.parametrize("scheme", ["basic", "digest"])
async def test_authentication(
    tmp_path: Path, mosquitto: Mosquitto, camera_server: CameraServer, scheme: str
) -> None:
    config = camera_hub(
        tmp_path, mosquitto,
        {"name": "good", "snapshot_url": camera_server.url(f"/{scheme}/snapshot.jpg"),
         "username": "viewer", "password": "s3cret-pass", "authentication": scheme},
        {"name": "wrong", "snapshot_url": camera_server.url(f"/{scheme}/snapshot.jpg"),
         "username": "viewer", "password": "not-it", "authentication": scheme},
    )
    async with Hub(config) as hub:
        assert (await hub.call("camera.good", "get_frame")).data == FRAME
        with pytest.raises(ToolError) as caught:
            await hub.call("camera.wrong", "get_frame")
    message = str(caught.value)
    assert message == (f"camera.wrong: {camera_server.url(f'/{scheme}/snapshot.jpg')}: HTTP 401 "
                       f"Unauthorized (check username, password and authentication)")
    assert "not-it" not in message


async def test_credentials_in_the_url_are_used_and_never_shown(
    tmp_path: Path, mosquitto: Mosquitto, camera_server: CameraServer
) -> None:
    config = camera_hub(tmp_path, mosquitto, {
        "name": "yard",
        "snapshot_url": camera_server.url("/basic/snapshot.jpg",
                                          credentials="viewer:s3cret-pass"),
        "mjpeg_url": camera_server.url("/missing.mjpg?user=viewer&pwd=s3cret-pass"),
    })
    async with Hub(config) as hub:
        assert (await hub.call("camera.yard", "get_frame")).data == FRAME
        attributes = hub.registry.get("camera.yard").attributes
        camera_server.snapshot = b"<html>maintenance</html>"
        with pytest.raises(ToolError) as caught:
            await hub.call("camera.yard", "get_frame")
    assert attributes["snapshot_url"] == camera_server.url("/basic/snapshot.jpg")
    assert attributes["mjpeg_url"] == camera_server.url("/missing.mjpg?user=***&pwd=***")
    message = str(caught.value)
    assert "s3cret-pass" not in message
    assert message == (
        f"camera.yard: {camera_server.url('/basic/snapshot.jpg')}: the camera sent not a JPEG: "
        f"24 bytes starting with '<html>maintenanc...' (Content-Type image/jpeg); then "
        f"{camera_server.url('/missing.mjpg?user=***&pwd=***')}: HTTP 404 Not Found (check "
        f"the path of the URL)"
    )


async def test_a_failing_snapshot_url_falls_back_to_the_stream(
    tmp_path: Path, mosquitto: Mosquitto, camera_server: CameraServer
) -> None:
    config = camera_hub(tmp_path, mosquitto, {
        "name": "drive", "snapshot_url": camera_server.url("/error"),
        "mjpeg_url": camera_server.url("/video.mjpg"),
    })
    async with Hub(config) as hub:
        assert (await hub.call("camera.drive", "get_frame")).data == STREAM[0]
        assert hub.registry.get("camera.drive").available is True
    assert camera_server.requests == ["/error", "/video.mjpg"]


@pytest.mark.parametrize(("path", "expected"), [
    ("/missing.jpg", "HTTP 404 Not Found (check the path of the URL)"),
    ("/error", "HTTP 500 Internal Server Error"),
    ("/page.html", ("the camera sent not a JPEG: 40 bytes starting with '<html><body>Logi...' "
                   "(Content-Type text/html)")),
    ("/truncated.jpg", ("the camera sent an incomplete JPEG: 100000 bytes without the "
                       "end-of-image marker (Content-Type image/jpeg)")),
    ("/stall", "timed out after 1 s"),
    ("/drip.jpg", "timed out after 1 s before a complete frame arrived"),
])
async def test_http_errors_are_clear_tool_errors_and_make_the_camera_unavailable(
    tmp_path: Path, mosquitto: Mosquitto, camera_server: CameraServer, path: str,
    expected: str,
) -> None:
    config = camera_hub(tmp_path, mosquitto,
                        {"name": "side", "snapshot_url": camera_server.url(path)}, timeout=1)
    async with Hub(config) as hub:
        changes: list[AvailabilityChanged] = []
        hub.bus.listen(AvailabilityChanged, changes.append)
        with pytest.raises(ToolError) as caught:
            await hub.call("camera.side", "get_frame")
        camera = hub.registry.get("camera.side")
    assert str(caught.value).startswith(f"camera.side: {camera_server.url(path)}: {expected}")
    assert camera.available is False
    assert camera.state["error"] == str(caught.value).removeprefix("camera.side: ")
    assert [(c.capability_id, c.available) for c in changes] == [("camera.side", False)]


async def test_an_unreachable_camera(tmp_path: Path, mosquitto: Mosquitto) -> None:
    async with CameraServer() as gone:
        url = gone.url("/snapshot.jpg")
    # the server is gone: its port refuses connections
    config = camera_hub(tmp_path, mosquitto, {"name": "gate", "snapshot_url": url}, timeout=2)
    async with Hub(config) as hub:
        with pytest.raises(ToolError, match=rf"^camera\.gate: {url}: cannot connect: "):
            await hub.call("camera.gate", "get_frame")
        assert hub.registry.get("camera.gate").available is False


async def test_availability_follows_the_last_fetch(
    tmp_path: Path, mosquitto: Mosquitto, camera_server: CameraServer
) -> None:
    config = camera_hub(tmp_path, mosquitto,
                        {"name": "shed", "snapshot_url": camera_server.url("/snapshot.jpg")})
    async with Hub(config) as hub:
        camera_server.snapshot = FRAME[:1000]
        with pytest.raises(ToolError, match="an incomplete JPEG"):
            await hub.call("camera.shed", "get_frame")
        assert hub.registry.get("camera.shed").available is False
        camera_server.snapshot = FRAME
        assert (await hub.call("camera.shed", "get_frame")).data == FRAME
        await eventually(lambda: hub.registry.get("camera.shed").available)
        assert "error" not in hub.registry.get("camera.shed").state


async def test_a_frame_over_the_limit_is_refused(
    tmp_path: Path, mosquitto: Mosquitto, camera_server: CameraServer
) -> None:
    config = camera_hub(tmp_path, mosquitto,
                        {"name": "big", "snapshot_url": camera_server.url("/snapshot.jpg"),
                         "max_frame_bytes": 100_000},
                        {"name": "big stream", "mjpeg_url": camera_server.url("/video.mjpg"),
                         "max_frame_bytes": 100_000})
    async with Hub(config) as hub:
        with pytest.raises(ToolError, match=r"the answer is larger than the limit of 100000 "
                                            r"bytes \(max_frame_bytes\)"):
            await hub.call("camera.big", "get_frame")
        with pytest.raises(ToolError, match=r"a part of 200000 bytes is larger than the limit "
                                            r"of 100000 bytes"):
            await hub.call("camera.big_stream", "get_frame")


# -- configuration --------------------------------------------------------------------------


def load_section(tmp_path: Path, section: Any) -> Any:
    config = load_config(write_config(tmp_path, integrations={"camera": section}))
    return config.integrations["camera"]


def test_configuration_defaults_and_credentials(tmp_path: Path) -> None:
    raw = load_section(tmp_path, {"timeout": 3, "cameras": [
        {"name": "Front Porch", "snapshot_url": "http://u%40x:p%3Aw@10.0.0.2/snap.jpg"},
        {"name": "Back", "id": "yard", "mjpeg_url": "https://10.0.0.3/video",
         "username": "admin", "password": "pw", "authentication": "digest",
         "verify_ssl": False, "timeout": 5},
    ]})
    config = validate(raw)
    porch, back = config.cameras
    assert porch.id == "camera.front_porch" and porch.name == "Front Porch"
    assert porch.snapshot_url == "http://10.0.0.2/snap.jpg" and porch.mjpeg_url is None
    assert porch.fetch.timeout == 3.0 and porch.fetch.verify_ssl is True
    assert porch.fetch.auth is not None
    assert (porch.fetch.auth.username, porch.fetch.auth.password) == ("u@x", "p:w")
    assert back.id == "camera.yard" and back.fetch.timeout == 5.0
    assert back.fetch.verify_ssl is False
    assert back.fetch.auth is not None and back.fetch.auth.scheme == "digest"


def test_configuration_errors_name_file_and_line(tmp_path: Path) -> None:
    raw = load_section(tmp_path, {"cameras": [
        {"name": "a"},
        {"name": "b", "snapshot_url": "ftp://x/y.jpg", "password": "pw"},
        {"name": "c", "snapshot_url": "http://admin:topsecret@cam:notaport/x"},
        {"name": "d", "snapshot_url": "http://x/y.jpg", "authentication": "bearer",
         "timout": 3},
        {"name": "Porch", "mjpeg_url": "http://x/v"},
        {"name": "porch", "mjpeg_url": "http://x/w"},
    ]})
    with pytest.raises(ConfigError) as caught:
        validate(raw)
    assert str(caught.value).splitlines() == [
        ("configuration.yaml:9:7: integrations.camera.cameras[0]: give snapshot_url, mjpeg_url "
        "or both"),
        ("configuration.yaml:11:21: integrations.camera.cameras[1].snapshot_url: expected an "
        "http:// or https:// URL with a host, got 'ftp://x/y.jpg'"),
        ("configuration.yaml:12:17: integrations.camera.cameras[1].password: a password needs a "
        "username (username:)"),
        # the password written in the URL is masked in the message
        ("configuration.yaml:14:21: integrations.camera.cameras[2].snapshot_url: expected an "
        "http:// or https:// URL, got 'http://***@cam:notaport/x'"),
        ("configuration.yaml:17:23: integrations.camera.cameras[3].authentication: expected one "
        "of basic, digest, got 'bearer'"),
        ("configuration.yaml:18:7: integrations.camera.cameras[3]: unknown key 'timout'; did you "
        "mean 'timeout'?"),
        ("configuration.yaml:21:7: integrations.camera.cameras[5]: capability id 'camera.porch' "
        "is already used by the camera at configuration.yaml:19:7; give this one another name "
        "or an id"),
    ]


def test_a_section_without_cameras(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no cameras: add a 'cameras:' list"):
        validate(load_section(tmp_path, {"timeout": 4}))
    with pytest.raises(ConfigError, match="no cameras"):
        validate(None)
