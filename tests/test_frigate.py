"""The Frigate integration inside a real hub, fed by a real MQTT peer publishing what
Frigate publishes (payloads shaped after docs.frigate.video/integrations/mqtt), and by a
test double of Frigate's HTTP API on a real loopback socket."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.errors import ToolError
from hub.events import AvailabilityChanged, BadInput, CapabilityRemoved, StateChanged, TriggerFired
from hub.model import Capability
from hub.runtime import Hub
from tests.broker import Mosquitto
from tests.cameras import CameraServer, jpeg_frame
from tests.hubs import hub_config
from tests.mqtt import Peer, mqtt_peer
from tests.waiting import eventually

FRAME = jpeg_frame(200_000, seed=11)
CAR_FRAME = jpeg_frame(150_000, seed=12)
NO_THROTTLE = {kind: {"throttle": 0} for kind in
               ("detected", "zone", "review_alert", "review_detection")}


def frigate_hub(tmp_path: Path, mosquitto: Mosquitto, prefix: str, **options: Any) -> Any:
    section = {"topic_prefix": f"{prefix}/frigate", "triggers": NO_THROTTLE, **options}
    return hub_config(tmp_path, mosquitto.host, mosquitto.port,
                      integrations={"frigate": section})


@pytest.fixture
def frigate(mosquitto: Mosquitto) -> Iterator[Peer]:
    """An MQTT peer standing in for Frigate."""
    with mqtt_peer(mosquitto.host, mosquitto.port) as peer:
        yield peer


def tracked(
    *, id: str = "1718987129.308396-fqk5ka", camera: str = "front_door", label: str = "person",
    score: float = 0.8, top_score: float | None = None, current_zones: tuple[str, ...] = (),
    entered_zones: tuple[str, ...] = (), **extra: Any,
) -> dict[str, Any]:
    """The `after` of a frigate/events message, with every field Frigate sends."""
    return {
        "id": id, "camera": camera, "frame_time": 1718987130.1, "snapshot_time": 1718987130.0,
        "label": label, "sub_label": None, "top_score": top_score if top_score else score,
        "false_positive": False, "start_time": 1718987129.3, "end_time": None, "score": score,
        "box": [424, 500, 536, 712], "area": 23744, "ratio": 2.11, "region": [264, 450, 667, 853],
        "current_zones": list(current_zones), "entered_zones": list(entered_zones),
        "thumbnail": None, "has_snapshot": True, "has_clip": False, "active": True,
        "stationary": False, "motionless_count": 0, "position_changes": 0,
        "attributes": {}, "current_attributes": [], **extra,
    }


def event(kind: str, after: dict[str, Any], before: dict[str, Any] | None = None) -> str:
    return json.dumps({"type": kind, "before": before or after, "after": after})


def review(kind: str, severity: str, objects: list[str], *, id: str = "1718987129.9-rv1",
           camera: str = "front_door", zones: list[str] | None = None) -> str:
    after = {
        "id": id, "camera": camera, "start_time": 1718987129.9, "end_time": None,
        "severity": severity, "thumb_path": f"/media/frigate/clips/review/thumb-{camera}-{id}.webp",
        "data": {"detections": ["1718987128.947436-g92ztx"], "objects": objects,
                 "sub_labels": [], "zones": zones or [], "audio": []},
    }
    return json.dumps({"type": kind, "before": after, "after": after})


def intents(fired: list[TriggerFired]) -> list[tuple[str, str, str]]:
    return [(f.capability_id, f.trigger, f.intent) for f in fired]


# -- frames ---------------------------------------------------------------------------------


async def test_get_frame_returns_the_exact_bytes_of_the_snapshot_topic(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str, frigate: Peer
) -> None:
    p = f"{topic_prefix}/frigate"
    # Frigate retains its snapshots: one published before the hub starts is served too
    frigate.publish(f"{p}/front_door/person/snapshot", FRAME, retain=True)
    config = frigate_hub(tmp_path, mosquitto, topic_prefix, cameras=["front_door"])
    try:
        async with Hub(config) as hub:
            await eventually(lambda: hub.registry.get("camera.front_door").state.get(
                "snapshot_bytes") == 200_000)
            result = await hub.call("camera.front_door", "get_frame")
            assert result.content_type == "image/jpeg" and result.data == FRAME

            frigate.publish(f"{p}/front_door/car/snapshot", CAR_FRAME)
            await eventually(lambda: hub.registry.get("camera.front_door").state.get(
                "snapshot_label") == "car")
            assert (await hub.call("camera.front_door", "get_frame")).data == CAR_FRAME
            person = await hub.call("camera.front_door", "get_frame", {"label": "person"})
            assert person.data == FRAME
            with pytest.raises(ToolError) as caught:
                await hub.call("camera.front_door", "get_frame", {"label": "dog"})
            assert str(caught.value) == (
                f"camera.front_door: no dog snapshot on {p}/front_door/dog/snapshot yet "
                f"(snapshots of: car, person)"
            )
            with pytest.raises(ToolError, match="needs Frigate's HTTP API: set url: in the "
                                                "frigate section"):
                await hub.call("camera.front_door", "get_frame", {"event_id": "1.2-abc"})
            # an empty message deletes a snapshot: the person's is the latest again
            frigate.publish(f"{p}/front_door/car/snapshot", b"")
            frigate.publish(f"{p}/front_door/motion", "ON")
            await eventually(lambda: hub.registry.get("camera.front_door").state.get(
                "motion") == "on")
            assert (await hub.call("camera.front_door", "get_frame")).data == FRAME
            assert hub.bad_input.total == 0
    finally:
        frigate.publish(f"{p}/front_door/person/snapshot", b"", retain=True)


async def test_a_camera_without_snapshots_says_what_to_do(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    config = frigate_hub(tmp_path, mosquitto, topic_prefix, cameras=["porch"])
    async with Hub(config) as hub:
        with pytest.raises(ToolError) as caught:
            await hub.call("camera.porch", "get_frame")
    assert str(caught.value) == (
        f"camera.porch: no snapshot on {topic_prefix}/frigate/porch/+/snapshot yet: Frigate "
        f"publishes one when it detects an object. Set url: in the frigate section to take "
        f"the live frame from Frigate's HTTP API instead."
    )


async def test_get_frame_through_frigates_http_api(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    event_frame = jpeg_frame(120_000, seed=13)
    async with CameraServer() as server:
        server.frigate_latest["front_door"] = FRAME
        server.frigate_events["1718987129.308396-fqk5ka"] = event_frame
        server.frigate_label_snapshots[("front_door", "car")] = CAR_FRAME
        config = frigate_hub(tmp_path, mosquitto, topic_prefix, url=server.url("/"),
                             cameras=["front_door", "garage"], timeout=2)
        async with Hub(config) as hub:
            latest = await hub.call("camera.front_door", "get_frame")
            assert latest.content_type == "image/jpeg" and latest.data == FRAME
            by_event = await hub.call("camera.front_door", "get_frame",
                                      {"event_id": "1718987129.308396-fqk5ka"})
            assert by_event.data == event_frame
            by_label = await hub.call("camera.front_door", "get_frame", {"label": "car"})
            assert by_label.data == CAR_FRAME
            with pytest.raises(ToolError) as missing:
                await hub.call("camera.front_door", "get_frame", {"event_id": "1.5-gone"})
            with pytest.raises(ToolError) as unknown:
                await hub.call("camera.garage", "get_frame")
            with pytest.raises(ToolError) as forged:
                await hub.call("camera.front_door", "get_frame", {"event_id": "../../config"})
    base = server.url("")
    assert str(missing.value) == (f"camera.front_door: {base}/api/events/1.5-gone/snapshot.jpg: "
                                  f"HTTP 404 Not Found (check the path of the URL)")
    assert str(unknown.value).startswith(f"camera.garage: {base}/api/garage/latest.jpg: HTTP 404")
    assert str(forged.value) == ("camera.front_door: event_id '../../config' is not a Frigate "
                                 "event id (like 1607123955.475377-mxklsc)")
    assert server.requests == [
        "/api/front_door/latest.jpg", "/api/events/1718987129.308396-fqk5ka/snapshot.jpg",
        "/api/front_door/car/snapshot.jpg", "/api/events/1.5-gone/snapshot.jpg",
        "/api/garage/latest.jpg",
    ]


async def test_a_stalled_frigate_gives_a_timeout_error(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    async with CameraServer() as server:
        # /stall accepts every request and never answers
        config = frigate_hub(tmp_path, mosquitto, topic_prefix, url=server.url("/stall"),
                             cameras=["porch"], timeout=1)
        async with Hub(config) as hub:
            with pytest.raises(ToolError, match=r"^camera\.porch: http://127\.0\.0\.1:\d+/stall/"
                                                r"api/porch/latest\.jpg: timed out after 1 s"):
                await hub.call("camera.porch", "get_frame")


# -- triggers -------------------------------------------------------------------------------


async def test_events_fire_detection_and_zone_triggers(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str, frigate: Peer
) -> None:
    p = f"{topic_prefix}/frigate"
    config = frigate_hub(tmp_path, mosquitto, topic_prefix, cameras=["front_door", "driveway"])
    async with Hub(config) as hub:
        fired: list[TriggerFired] = []
        hub.bus.listen(TriggerFired, fired.append)
        person = tracked(score=0.81, top_score=0.85)
        frigate.publish(f"{p}/events", event("new", person))
        # a better snapshot: same zones, nothing new to say
        frigate.publish(f"{p}/events", event("update", {**person, "score": 0.9}))
        in_yard = tracked(score=0.9, top_score=0.92, current_zones=("yard",),
                          entered_zones=("yard",))
        frigate.publish(f"{p}/events", event("update", in_yard, before=person))
        frigate.publish(f"{p}/events", event("update", in_yard, before=in_yard))
        frigate.publish(f"{p}/events", event("end", {**in_yard, "end_time": 1718987140.0}))
        car = tracked(id="1718987150.1-car", camera="driveway", label="car", score=0.77,
                      current_zones=("driveway",), entered_zones=("driveway",))
        frigate.publish(f"{p}/events", event("new", car))
        await eventually(lambda: len(fired) >= 4)
        # a last, distinct event: everything published before it has been handled
        frigate.publish(f"{p}/events", event("new", tracked(id="1718987160.2-dog", label="dog")))
        await eventually(lambda: len(fired) >= 5)
        state = hub.registry.get("camera.front_door").state
    assert intents(fired) == [
        ("camera.front_door", "person_detected", "person detected at front door"),
        ("camera.front_door", "person_in_zone", "person in yard"),
        ("camera.driveway", "car_detected", "car detected at driveway"),
        ("camera.driveway", "car_in_zone", "car in driveway"),
        ("camera.front_door", "dog_detected", "dog detected at front door"),
    ]
    first, zone = fired[0], fired[1]
    assert first.priority == 2
    assert first.payload["label"] == "person" and first.payload["event_id"] == person["id"]
    assert first.payload["score"] == 0.81 and first.payload["top_score"] == 0.85
    assert first.payload["zones"] == [] and first.payload["has_snapshot"] is True
    assert zone.payload["zone"] == "yard" and zone.payload["zones"] == ["yard"]
    assert zone.payload["score"] == 0.9
    assert state["last_label"] == "dog" and state["last_event_id"] == "1718987160.2-dog"


async def test_filters_by_label_score_and_zone(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str, frigate: Peer
) -> None:
    p = f"{topic_prefix}/frigate"
    config = frigate_hub(tmp_path, mosquitto, topic_prefix, labels=["person", "car"],
                         min_score=0.7, cameras=[{"name": "front_door", "zones": ["driveway"]},
                                                 {"name": "back", "labels": ["cat"]}])
    async with Hub(config) as hub:
        fired: list[TriggerFired] = []
        hub.bus.listen(TriggerFired, fired.append)
        # not a configured label, and a false positive: nothing
        frigate.publish(f"{p}/events", event("new", tracked(id="1.0-dog", label="dog",
                                                            current_zones=("driveway",))))
        frigate.publish(f"{p}/events", event("new", tracked(id="1.1-fp", false_positive=True,
                                                            current_zones=("driveway",))))
        # below min_score, then above it but outside the zones of interest, then in one
        weak = tracked(id="2.0-p", score=0.5, top_score=0.6, current_zones=("driveway",))
        frigate.publish(f"{p}/events", event("new", weak))
        porch = tracked(id="2.0-p", score=0.8, current_zones=("porch",),
                        entered_zones=("porch",))
        frigate.publish(f"{p}/events", event("update", porch))
        drive = tracked(id="2.0-p", score=0.8, current_zones=("driveway",),
                        entered_zones=("porch", "driveway"))
        frigate.publish(f"{p}/events", event("update", drive))
        # the other camera wants cats only
        frigate.publish(f"{p}/events", event("new", tracked(id="3.0-p", camera="back")))
        frigate.publish(f"{p}/events", event("new", tracked(id="3.1-c", camera="back",
                                                            label="cat", score=0.71)))
        await eventually(lambda: len(fired) >= 3)
        back = hub.registry.get("camera.back")
    assert intents(fired) == [
        ("camera.front_door", "person_detected", "person detected at front door"),
        ("camera.front_door", "person_in_zone", "person in driveway"),
        ("camera.back", "cat_detected", "cat detected at back"),
    ]
    assert fired[0].payload["entered_zones"] == ["porch", "driveway"]
    assert [t.name for t in back.triggers] == [
        "cat_detected", "cat_in_zone", "review_alert", "review_detection"]


async def test_throttle_limits_repeated_detections(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str, frigate: Peer
) -> None:
    p = f"{topic_prefix}/frigate"
    config = frigate_hub(tmp_path, mosquitto, topic_prefix, cameras=["front_door"],
                         triggers={"detected": {"throttle": 3600}})
    async with Hub(config) as hub:
        fired: list[TriggerFired] = []
        hub.bus.listen(TriggerFired, fired.append)
        trigger = hub.registry.get("camera.front_door").triggers[0]
        assert (trigger.name, trigger.throttle, trigger.priority) == ("person_detected", 3600, 2)
        for n in range(3):
            frigate.publish(f"{p}/events", event("new", tracked(id=f"5.{n}-p")))
        frigate.publish(f"{p}/events", event("new", tracked(id="5.9-c", label="car")))
        await eventually(lambda: len(fired) >= 2)
        assert hub.firing.throttled == 2
    assert [f.trigger for f in fired] == ["person_detected", "car_detected"]


async def test_reviews_fire_alert_and_detection_triggers(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str, frigate: Peer
) -> None:
    p = f"{topic_prefix}/frigate"
    config = frigate_hub(tmp_path, mosquitto, topic_prefix,
                         cameras=["front_door", {"name": "garden", "zones": ["lawn"]}])
    async with Hub(config) as hub:
        fired: list[TriggerFired] = []
        hub.bus.listen(TriggerFired, fired.append)
        frigate.publish(f"{p}/reviews", review("new", "detection", ["person"]))
        frigate.publish(f"{p}/reviews", review("update", "detection", ["person"]))
        # raised to an alert when a second object arrives: fires once more
        frigate.publish(f"{p}/reviews", review("update", "alert", ["person", "car"],
                                               zones=["front_yard"]))
        frigate.publish(f"{p}/reviews", review("update", "alert", ["person", "car"]))
        frigate.publish(f"{p}/reviews", review("end", "alert", ["person", "car"]))
        # labels not configured, and a zone outside the camera's zones: filtered
        frigate.publish(f"{p}/reviews", review("new", "alert", ["bird"], id="9.1-rv"))
        frigate.publish(f"{p}/reviews", review("new", "alert", ["person"], id="9.2-rv",
                                               camera="garden", zones=["street"]))
        frigate.publish(f"{p}/reviews", review("new", "alert", ["person-verified"],
                                               id="9.3-rv", camera="garden", zones=["lawn"]))
        await eventually(lambda: len(fired) >= 3)
    assert intents(fired) == [
        ("camera.front_door", "review_detection", "detection at front door: person"),
        ("camera.front_door", "review_alert", "alert at front door: person, car"),
        ("camera.garden", "review_alert", "alert at garden: person verified"),
    ]
    assert [f.priority for f in fired] == [1, 3, 3]
    alert = fired[1].payload
    assert alert["severity"] == "alert" and alert["objects"] == ["person", "car"]
    assert alert["zones"] == ["front_yard"] and alert["review_id"] == "1718987129.9-rv1"
    assert alert["detections"] == ["1718987128.947436-g92ztx"]


async def test_unknown_message_types_are_skipped_not_bad_input(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str, frigate: Peer
) -> None:
    p = f"{topic_prefix}/frigate"
    config = frigate_hub(tmp_path, mosquitto, topic_prefix, cameras=["front_door"])
    async with Hub(config) as hub:
        fired: list[TriggerFired] = []
        bad: list[BadInput] = []
        hub.bus.listen(TriggerFired, fired.append)
        hub.bus.listen(BadInput, bad.append)
        # a type from a newer Frigate release (generated review summaries): skipped
        frigate.publish(f"{p}/reviews", json.dumps({"type": "genai", "before": {},
                                                    "after": {"camera": "front_door"}}))
        # a type of the wrong kind is still bad input
        frigate.publish(f"{p}/reviews", json.dumps({"type": 5, "after": {}}))
        frigate.publish(f"{p}/reviews", review("new", "detection", ["person"]))
        await eventually(lambda: len(fired) == 1)
    assert [b.reason for b in bad] == [
        f"{p}/reviews: type: expected 'new', 'update' or 'end', got 5"]


async def test_custom_intents_and_disabled_triggers(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str, frigate: Peer
) -> None:
    p = f"{topic_prefix}/frigate"
    config = frigate_hub(
        tmp_path, mosquitto, topic_prefix, labels=["person"],
        cameras=[{"name": "cam_3", "area": "back porch"}],
        triggers={"detected": {"intent": "{label} at the {area} ({score})", "priority": 5,
                               "throttle": 0},
                  "zone": False, "review_detection": False},
    )
    async with Hub(config) as hub:
        camera = hub.registry.get("camera.cam_3")
        assert [t.name for t in camera.triggers] == ["person_detected", "review_alert"]
        assert camera.name == "Cam 3" and camera.area == "back porch"
        fired: list[TriggerFired] = []
        hub.bus.listen(TriggerFired, fired.append)
        frigate.publish(f"{p}/events", event("new", tracked(camera="cam_3", score=0.5,
                                                            top_score=0.856,
                                                            current_zones=("steps",))))
        await eventually(lambda: bool(fired))
    assert fired[0].intent == "person at the back porch (86%)" and fired[0].priority == 5


# -- cameras, state, availability ----------------------------------------------------------


async def test_availability_follows_frigate_available(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str, frigate: Peer
) -> None:
    p = f"{topic_prefix}/frigate"
    config = frigate_hub(tmp_path, mosquitto, topic_prefix, cameras=["front_door", "garage"])
    async with Hub(config) as hub:
        changes: list[AvailabilityChanged] = []
        hub.bus.listen(AvailabilityChanged, changes.append)
        assert not hub.registry.get("camera.front_door").available  # not heard from Frigate yet
        frigate.publish(f"{p}/available", "online")
        await eventually(lambda: hub.registry.get("camera.garage").available)
        assert hub.registry.get("camera.front_door").available
        frigate.publish(f"{p}/motion_cam/motion", "ON")  # discovered while Frigate is online
        await eventually(lambda: "camera.motion_cam" in hub.registry)
        assert hub.registry.get("camera.motion_cam").available
        frigate.publish(f"{p}/available", "offline")
        await eventually(lambda: not hub.registry.get("camera.motion_cam").available)
    assert [(c.capability_id, c.available) for c in changes] == [
        ("camera.front_door", True), ("camera.garage", True),
        ("camera.front_door", False), ("camera.garage", False), ("camera.motion_cam", False),
    ]


async def test_camera_state_from_motion_counts_and_switches(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str, frigate: Peer
) -> None:
    p = f"{topic_prefix}/frigate"
    config = frigate_hub(tmp_path, mosquitto, topic_prefix, cameras=["front_door"])
    async with Hub(config) as hub:
        changes: list[StateChanged] = []
        hub.bus.listen(StateChanged, changes.append)
        frigate.publish(f"{p}/front_door/motion", "ON")
        frigate.publish(f"{p}/front_door/person", "2")
        frigate.publish(f"{p}/front_door/all", "3")
        frigate.publish(f"{p}/front_door/person/active", "1")
        frigate.publish(f"{p}/front_door/detect/state", "ON")
        frigate.publish(f"{p}/front_door/recordings/state", "OFF")
        frigate.publish(f"{p}/front_door/motion/state", "ON")
        frigate.publish(f"{p}/front_door/motion_threshold/state", "30")
        frigate.publish(f"{p}/front_door/ptz", "preset_gate")  # a command, not a count
        frigate.publish(f"{p}/driveway_zone/car", "1")  # a zone's count: never a camera
        for deleted in ("person", "motion", "detect/state", "person/active", "available"):
            frigate.publish(f"{p}/front_door/{deleted}", b"")  # retained deletions: no values
        frigate.publish(f"{p}/available", b"")
        frigate.publish(f"{p}/front_door/motion", "OFF")
        await eventually(lambda: hub.registry.get("camera.front_door").state.get("motion")
                         == "off")
        state = dict(hub.registry.get("camera.front_door").state)
        assert "camera.driveway_zone" not in hub.registry
    assert state == {"state": "idle", "motion": "off", "person_count": 2, "all_count": 3,
                     "person_active_count": 1, "detect": "on", "recordings": "off",
                     "motion_detection": "on", "motion_threshold": 30}
    assert changes[0].new == {"state": "idle", "motion": "on"}
    assert hub.bad_input.total == 0


async def test_cameras_are_discovered_from_frigate_topics(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str, frigate: Peer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    p = f"{topic_prefix}/frigate"
    config = frigate_hub(tmp_path, mosquitto, topic_prefix)
    async with Hub(config) as hub:
        removed: list[CapabilityRemoved] = []
        hub.bus.listen(CapabilityRemoved, removed.append)
        fired: list[TriggerFired] = []
        hub.bus.listen(TriggerFired, fired.append)
        frigate.publish(f"{p}/events", event("new", tracked(camera="garage", label="car")))
        frigate.publish(f"{p}/back_yard/person/snapshot", FRAME)
        frigate.publish(f"{p}/side-gate/detect/state", "ON")
        frigate.publish(f"{p}/somewhere/person", "1")  # counts may be zones: not discovered
        await eventually(lambda: "camera.side_gate" in hub.registry)
        garage = hub.registry.get("camera.garage")
        assert garage.source == "frigate" and garage.area == "garage"
        assert garage.attributes["frigate_camera"] == "garage"
        assert {"person_detected", "person_in_zone", "car_detected", "review_alert"} <= {
            t.name for t in garage.triggers}
        assert intents(fired) == [("camera.garage", "car_detected", "car detected at garage")]
        assert (await hub.call("camera.back_yard", "get_frame")).data == FRAME
        assert hub.registry.get("camera.side_gate").area == "side gate"
        assert "camera.somewhere" not in hub.registry
        # ids already taken: by another integration, or by a name with the same slug
        hub.registry.add(Capability(id="camera.porch", type="camera", source="camera"))
        frigate.publish(f"{p}/porch/motion", "ON")
        frigate.publish(f"{p}/side_gate/motion", "ON")
        frigate.publish(f"{p}/side-gate/motion", "ON")
        await eventually(lambda: hub.registry.get("camera.side_gate").state.get("motion")
                         == "on")
        assert hub.registry.get("camera.porch").source == "camera"
        assert hub.registry.get("camera.side_gate").attributes["frigate_camera"] == "side-gate"
    warnings = [r.getMessage() for r in caplog.records if r.name == "integrations.frigate.bridge"
                and r.levelno == logging.WARNING]
    assert warnings == [
        ("frigate camera not added camera=porch: capability camera.porch is already registered "
        "by camera; give the camera an id: in the frigate section"),
        ("frigate camera not added camera=side_gate: capability camera.side_gate is already "
        "registered by Frigate camera 'side-gate'; give the camera an id: in the frigate "
        "section"),
    ]
    # every camera, configured or discovered, is withdrawn on exit
    assert sorted(r.capability_id for r in removed) == [
        "camera.back_yard", "camera.garage", "camera.side_gate"]


async def test_discovery_off_and_the_camera_limit(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str, frigate: Peer
) -> None:
    p = f"{topic_prefix}/frigate"
    config = frigate_hub(tmp_path / "off", mosquitto, topic_prefix, discover=False,
                         cameras=["front_door"])
    async with Hub(config) as hub:
        fired: list[TriggerFired] = []
        hub.bus.listen(TriggerFired, fired.append)
        frigate.publish(f"{p}/events", event("new", tracked(id="1.1-a", camera="garage")))
        frigate.publish(f"{p}/events", event("new", tracked(id="1.2-b")))
        await eventually(lambda: bool(fired))
        assert "camera.garage" not in hub.registry
    assert intents(fired) == [("camera.front_door", "person_detected",
                               "person detected at front door")]

    config = frigate_hub(tmp_path / "limit", mosquitto, topic_prefix, max_cameras=2,
                         cameras=["front_door"])
    async with Hub(config) as hub:
        for name in ("cam_a", "cam_b", "cam_c"):
            frigate.publish(f"{p}/{name}/motion", "ON")
        await eventually(lambda: hub.bad_input.total == 2)
        assert "camera.cam_a" in hub.registry and "camera.cam_b" not in hub.registry
        # refused once each, however often they appear
        frigate.publish(f"{p}/cam_b/motion", "OFF")
        frigate.publish(f"{p}/cam_a/motion", "OFF")
        await eventually(lambda: hub.registry.get("camera.cam_a").state.get("motion") == "off")
    assert hub.bad_input.counts == {f"{p}/cam_b/motion": 1, f"{p}/cam_c/motion": 1}


# -- bad input ------------------------------------------------------------------------------


async def test_bad_input_is_counted_per_camera_and_the_hub_keeps_going(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str, frigate: Peer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    p = f"{topic_prefix}/frigate"
    config = frigate_hub(tmp_path, mosquitto, topic_prefix, cameras=["front_door", "garage"],
                         max_frame_bytes=100_000)
    events = f"{p}/events"
    oversized = json.dumps({"type": "new", "after": tracked()}) + " " * (300 * 1024)
    caplog.set_level(logging.WARNING, logger="hub.devices.badinput")
    async with Hub(config) as hub:
        fired: list[TriggerFired] = []
        hub.bus.listen(TriggerFired, fired.append)
        bad: list[BadInput] = []
        hub.bus.listen(BadInput, bad.append)
        frigate.publish(events, b"{not json")
        frigate.publish(events, b"\xff\xfe\x00 garbage")
        frigate.publish(events, json.dumps([1, 2, 3]))
        frigate.publish(events, json.dumps({"type": "new", "after": {"id": "1.0-x"}}))
        frigate.publish(events, oversized)
        frigate.publish(events, event("new", tracked(score="high")))  # type: ignore[arg-type]
        frigate.publish(events, event("new", {**tracked(), "current_zones": "yard"}))
        frigate.publish(events, event("changed", tracked()))  # a newer type: skipped
        frigate.publish(f"{p}/reviews", review("new", "critical", ["person"]))
        frigate.publish(f"{p}/front_door/person/snapshot", b"<html>not an image</html>")
        frigate.publish(f"{p}/front_door/car/snapshot", FRAME)  # 200 KB > max_frame_bytes
        frigate.publish(f"{p}/front_door/person", b"many")
        frigate.publish(f"{p}/front_door/motion", b"maybe")
        frigate.publish(f"{p}/available", b"up")
        # the garage and the front door still work
        frigate.publish(events, event("new", tracked(id="7.1-g", camera="garage")))
        frigate.publish(f"{p}/front_door/person/snapshot", CAR_FRAME[:90_000] + b"\xff\xd9")
        frigate.publish(events, event("new", tracked(id="7.2-f")))
        await eventually(lambda: len(fired) >= 2)
        result = await hub.call("camera.front_door", "get_frame")
    assert result.data == CAR_FRAME[:90_000] + b"\xff\xd9"
    assert intents(fired) == [
        ("camera.garage", "person_detected", "person detected at garage"),
        ("camera.front_door", "person_detected", "person detected at front door"),
    ]
    assert dict(hub.bad_input.counts) == {
        events: 5,  # not JSON, not UTF-8, not an object, no camera, too large
        "camera.front_door": 7,  # score, zones, severity, 2 snapshots, count, motion
        f"{p}/available": 1,
    }
    assert [b.reason for b in bad] == [
        (f"{events}: payload is not JSON: Expecting property name enclosed in double quotes: "
        f"line 1 column 2 (char 1)"),
        f"{events}: payload is not UTF-8 text (invalid start byte at byte 0)",
        f"{events}: expected a JSON object, got a list",
        f"{events}: after.camera: missing",
        (f"{events}: {len(oversized)} bytes is more than the limit of 262144 bytes for a JSON "
        "message"),
        f"{events}: after.score: expected a number, got 'high'",
        f"{events}: after.current_zones: expected a list of text, got 'yard'",
        f"{p}/reviews: after.severity: expected 'alert' or 'detection', got 'critical'",
        (f"{p}/front_door/person/snapshot: snapshot is not a JPEG: 25 bytes starting with "
        f"'<html>not an ima...'"),
        (f"{p}/front_door/car/snapshot: a 200000-byte snapshot is more than max_frame_bytes "
        f"(100000)"),
        f"{p}/front_door/person: expected a count, got b'many'",
        f"{p}/front_door/motion: expected ON or OFF, got b'maybe'",
        f"{p}/available: expected 'online' or 'offline', got b'up'",
    ]
    # logged once per source, not once per message
    warnings = [r.getMessage() for r in caplog.records if r.name == "hub.devices.badinput"]
    assert [w.split(":")[0] for w in warnings] == [
        f"bad input source={events} count=1", "bad input source=camera.front_door count=1",
        f"bad input source={p}/available count=1",
    ]


async def test_motion_and_audio_fire_triggers(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str, frigate: Peer
) -> None:
    p = f"{topic_prefix}/frigate"
    triggers = {**NO_THROTTLE, "motion": {"throttle": 0}, "audio": {"throttle": 0}}
    config = frigate_hub(tmp_path, mosquitto, topic_prefix, cameras=["front_door"],
                         triggers=triggers)
    async with Hub(config) as hub:
        fired: list[TriggerFired] = []
        hub.bus.listen(TriggerFired, fired.append)
        names = [t.name for t in hub.registry.get("camera.front_door").triggers]
        assert {"motion_detected", "audio_detected"} <= set(names)
        frigate.publish(f"{p}/front_door/motion", "ON")
        frigate.publish(f"{p}/front_door/motion", "ON")  # still on: no second trigger
        frigate.publish(f"{p}/front_door/audio/bark", "ON")
        frigate.publish(f"{p}/front_door/audio/dBFS", "-37.5")
        frigate.publish(f"{p}/front_door/audio/bark", "OFF")
        frigate.publish(f"{p}/front_door/audio/speech", "maybe")
        await eventually(lambda: hub.registry.get("camera.front_door").state.get(
            "audio_bark") == "off")
        await eventually(lambda: hub.bad_input.total == 1)
        state = hub.registry.get("camera.front_door").state
    assert intents(fired) == [
        ("camera.front_door", "motion_detected", "motion at front door"),
        ("camera.front_door", "audio_detected", "bark heard at front door"),
    ]
    assert fired[1].payload == {"camera": "front_door", "audio": "bark"}
    assert state["audio_dbfs"] == -37.5 and state["motion"] == "on"


async def test_frigates_authenticated_api_logs_in_and_again_when_the_token_expires(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    async with CameraServer(frigate_login=("admin", "frigate pass")) as server:
        server.frigate_latest["front_door"] = FRAME
        config = frigate_hub(tmp_path, mosquitto, topic_prefix, url=server.url("/"),
                             cameras=["front_door"], timeout=2, username="admin",
                             password="frigate pass")
        async with Hub(config) as hub:
            assert (await hub.call("camera.front_door", "get_frame")).data == FRAME
            server.frigate_tokens.append("rotated")  # Frigate forgot our token
            assert (await hub.call("camera.front_door", "get_frame")).data == FRAME
        assert server.requests == ["/api/login", "/api/front_door/latest.jpg",
                                   "/api/front_door/latest.jpg", "/api/login",
                                   "/api/front_door/latest.jpg"]
        wrong = frigate_hub(tmp_path / "wrong", mosquitto, topic_prefix, url=server.url("/"),
                            cameras=["front_door"], timeout=2, username="admin",
                            password="guess")
        async with Hub(wrong) as hub:
            with pytest.raises(ToolError, match="HTTP 401"):
                await hub.call("camera.front_door", "get_frame")
