"""The `frigate:` section: defaults, overrides, and errors that name file:line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hub.config import load_config
from hub.errors import ConfigError
from integrations.frigate import validate
from integrations.frigate.config import DEFAULT_LABELS, DEFAULT_TRIGGERS, Filters
from tests.hubs import write_config


def load_section(tmp_path: Path, section: Any) -> Any:
    config = load_config(write_config(tmp_path, integrations={"frigate": section}))
    return config.integrations["frigate"]


def test_a_bare_section_means_the_defaults(tmp_path: Path) -> None:
    config = validate(load_section(tmp_path, None))
    assert config.topic_prefix == "frigate" and config.url is None and config.discover
    assert config.filters == Filters(labels=DEFAULT_LABELS, min_score=0.0, zones=())
    assert config.cameras == () and config.triggers == DEFAULT_TRIGGERS
    assert config.fetch.timeout == 10.0 and config.max_cameras == 64
    assert validate(None) == config
    discovered = config.camera_for("side-gate")
    assert (discovered.id, discovered.area) == ("camera.side_gate", "side gate")


def test_cameras_inherit_and_override_the_filters(tmp_path: Path) -> None:
    config = validate(load_section(tmp_path, {
        "topic_prefix": "site/frigate", "url": "http://frigate.lan:5000/", "timeout": 4,
        "labels": ["person", "car"], "min_score": 0.6, "zones": ["driveway"],
        "cameras": ["front_door",
                    {"name": "Back-Yard", "id": "yard", "area": "garden", "labels": ["cat"],
                     "min_score": 0.8, "zones": []}],
        "triggers": {"detected": {"intent": "{label} seen at {area}", "priority": 4},
                     "review_detection": False},
    }))
    assert config.topic_prefix == "site/frigate" and config.url == "http://frigate.lan:5000"
    assert config.fetch.timeout == 4.0
    front, back = config.cameras
    assert (front.name, front.id, front.area) == ("front_door", "camera.front_door",
                                                  "front door")
    assert front.filters == Filters(("person", "car"), 0.6, ("driveway",))
    assert (back.name, back.id, back.area) == ("Back-Yard", "camera.yard", "garden")
    assert back.filters == Filters(("cat",), 0.8, ())
    assert config.camera_for("Back-Yard") is back
    detected = config.triggers["detected"]
    assert (detected.intent, detected.priority, detected.throttle) == (
        "{label} seen at {area}", 4, 10.0)
    assert config.triggers["review_detection"].enabled is False
    assert config.triggers["review_alert"] == DEFAULT_TRIGGERS["review_alert"]


def test_errors_name_file_line_and_what_to_fix(tmp_path: Path) -> None:
    raw = load_section(tmp_path, {
        "topic_prefix": "frigate/#",
        "url": "frigate.lan:5000",
        "min_score": 2,
        "labels": ["person", "hot dog"],
        "cameras": ["front door", {"area": "x"}, "garage", {"name": "garage"}],
        "triggers": {"detected": {"intent": "{label} at {place}"},
                     "zone": {"intent": "{score:.0%} {zone}"}, "sound": {}},
        "verbose": True,
    })
    with pytest.raises(ConfigError) as caught:
        validate(raw)
    lines = str(caught.value).splitlines()
    expected = [
        ("integrations.frigate.topic_prefix: expected an MQTT topic without wildcards or a "
        "leading or trailing '/', got 'frigate/#'"),
        ("integrations.frigate.url: expected Frigate's address as an http:// or https:// URL "
        "(like http://frigate.local:5000), got 'frigate.lan:5000'"),
        "integrations.frigate.min_score: expected a number 0..1, got 2",
        ("integrations.frigate.labels[1]: expected a Frigate label (letters, digits, _ and -), "
        "got 'hot dog'"),
        ("integrations.frigate.cameras[0]: expected Frigate's camera name (letters, digits, _ "
        "and -), got 'front door'"),
        "integrations.frigate.cameras[1]: a camera needs Frigate's name for it (name:)",
        ("integrations.frigate.cameras[3]: 'garage' is already used by the camera at "
        "configuration.yaml:"),
        ("integrations.frigate.triggers.detected.intent: unknown placeholder {place}; known: "
        "{label}, {camera}, {area}, {score}, {zones}, {sub_label}"),
        ("integrations.frigate.triggers.zone.intent: write {score} without a format or "
        "conversion: every placeholder is filled as text"),
        ("integrations.frigate.triggers: unknown key 'sound'; expected one of: detected, zone, "
        "review_alert, review_detection, motion, audio"),
        ("integrations.frigate: unknown key 'verbose'; expected one of: topic_prefix, url, "
        "username, password, timeout, verify_ssl, max_frame_bytes, max_snapshots, "
        "max_snapshot_bytes, discover, max_cameras, labels, min_score, zones, cameras, triggers"),
    ]
    assert len(lines) == len(expected)
    for line in lines:
        assert line.startswith("configuration.yaml:"), line
        text = line.split(": ", 1)[1]
        assert any(text.startswith(e) for e in expected), line


def test_snapshot_limits(tmp_path: Path) -> None:
    config = validate(load_section(tmp_path, None))
    assert (config.max_snapshots, config.max_snapshot_bytes) == (256, 64 * 1024 * 1024)
    config = validate(load_section(tmp_path / "a", {"max_snapshots": 8,
                                                    "max_snapshot_bytes": 1_000_000,
                                                    "max_frame_bytes": 500_000}))
    assert (config.max_snapshots, config.max_snapshot_bytes) == (8, 1_000_000)
    # a frame limit above the default snapshot budget raises the budget with it
    assert validate(load_section(tmp_path / "b", {"max_frame_bytes": 67_108_864})
                    ).max_snapshot_bytes == 67_108_864
    with pytest.raises(ConfigError) as caught:
        validate(load_section(tmp_path / "c", {"max_snapshot_bytes": 100_000,
                                               "max_frame_bytes": 200_000}))
    assert str(caught.value).endswith(
        "integrations.frigate.max_snapshot_bytes: must be at least max_frame_bytes (200000), "
        "or no snapshot of that size could be kept; got 100000")
