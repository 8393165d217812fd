"""The integration's parts without a broker: abbreviations, options, availability,
payload decoding, colours, and the configuration section."""

from __future__ import annotations

from typing import Any

import pytest

from hub.errors import ConfigError, PayloadError
from hub.located import located
from hub.templates import Templates
from integrations.mqtt_discovery import validate
from integrations.mqtt_discovery.abbreviations import ABBREVIATIONS, base_topic, expand
from integrations.mqtt_discovery.availability import Tracker, read_spec
from integrations.mqtt_discovery.colors import mired_kelvin, rgb_to_xy, target
from integrations.mqtt_discovery.options import Options
from integrations.mqtt_discovery.payload import Payload


def test_expand_long_keys_base_topic_device_origin_and_availability() -> None:
    raw = {
        "~": "home/desk", "cmd_t": "~/set", "stat_t": "~", "bri_stat_t": "other/~",
        "json_attr_t": "abs/topic", "name": "~ stays in names",
        "dev": {"ids": ["d1"], "mf": "Acme", "sa": "Office", "sw": "1.0"},
        "o": {"name": "fw", "sw": "2.0", "url": "https://example.invalid"},
        "avty": [{"t": "~/avail", "pl_avail": "up"}],
        "unknown_short": 1,
    }
    out = expand(raw)
    assert out == {
        "command_topic": "home/desk/set", "state_topic": "home/desk",
        "brightness_state_topic": "other/home/desk", "json_attributes_topic": "abs/topic",
        "name": "~ stays in names",
        "device": {"identifiers": ["d1"], "manufacturer": "Acme", "suggested_area": "Office",
                   "sw_version": "1.0"},
        "origin": {"name": "fw", "sw_version": "2.0", "support_url": "https://example.invalid"},
        "availability": [{"topic": "home/desk/avail", "payload_available": "up"}],
        "unknown_short": 1,
    }
    assert base_topic(raw) == "home/desk"
    # a component of a device discovery payload takes the device's base
    assert expand({"cmd_t": "~/led"}, "dev/x") == {"command_topic": "dev/x/led"}
    assert expand({"~": "own", "cmd_t": "~/led"}, "dev/x") == {"command_topic": "own/led"}


def test_abbreviations_are_unique_and_long() -> None:
    assert len(set(ABBREVIATIONS.values())) == len(ABBREVIATIONS)
    assert all(len(long) >= len(short) for short, long in ABBREVIATIONS.items())


def options(data: dict[str, Any]) -> Options:
    return Options(data, "ha/light/x/config", Templates())


@pytest.mark.parametrize(("data", "read", "message"), [
    ({"qos": 3}, lambda o: o.integer("qos", 0, low=0, high=2),
     "qos: expected an integer in 0..2, got 3"),
    ({"brightness_scale": "high"}, lambda o: o.integer("brightness_scale", 255, low=1),
     "brightness_scale: expected an integer >= 1, got 'high'"),
    ({"optimistic": "maybe"}, lambda o: o.flag("optimistic", False),
     "optimistic: expected true or false, got 'maybe'"),
    ({"command_topic": "a/+/b"}, lambda o: o.publish_topic("command_topic"),
     "command_topic: expected a topic without + or #, got 'a/+/b'"),
    ({}, lambda o: o.subscribe_topic("state_topic", required=True),
     "state_topic: missing; this component needs it"),
    ({"payload_on": {"x": 1}}, lambda o: o.text("payload_on", "ON"),
     "payload_on: expected text, got {'x': 1}"),
    ({"value_template": "{{ x "}, lambda o: o.template("value_template"),
     "value_template: template '{{ x': line 1"),
    ({"availability_mode": "most"}, lambda o: o.choice("availability_mode", "latest",
                                                       ("latest", "all", "any")),
     "availability_mode: expected one of latest, all, any, got 'most'"),
])
def test_option_errors_name_topic_and_key(data: dict[str, Any], read: Any,
                                          message: str) -> None:
    with pytest.raises(PayloadError) as caught:
        read(options(data))
    assert str(caught.value).startswith(f"ha/light/x/config: {message}")


def test_options_coerce_what_home_assistant_coerces() -> None:
    opts = options({"payload_on": 1, "min_temp": "7.5", "qos": "1", "x": None})
    assert opts.text("payload_on", "ON") == "1"
    assert opts.number("min_temp", 0) == 7.5
    assert opts.integer("qos", 0) == 1
    assert opts.is_null("x") and not opts.is_null("y")
    assert opts.unknown_keys(()) == []
    assert options({"zzz": 1}).unknown_keys(()) == ["zzz"]


def test_availability_needs_one_form_only() -> None:
    with pytest.raises(PayloadError, match="give availability_topic or availability, not both"):
        read_spec(options({"availability_topic": "a", "availability": [{"topic": "b"}]}))
    with pytest.raises(PayloadError, match=r"availability\[0\]: topic: missing"):
        read_spec(options({"availability": [{"payload_available": "up"}]}))


def test_list_items_have_their_own_payloads_not_the_top_level_ones() -> None:
    spec = read_spec(options({
        "payload_available": "1", "payload_not_available": "0",  # for availability_topic
        "availability": [{"topic": "a"}, {"topic": "b", "payload_available": "up"}],
    }))
    assert [(s.payload_available, s.payload_not_available) for s in spec.sources] == [
        ("online", "offline"), ("up", "offline")]


def test_tracker_modes_and_seed() -> None:
    spec = read_spec(options({"availability": [{"topic": "a"}, {"topic": "b"}],
                              "availability_mode": "all"}))
    changes: list[bool] = []
    tracker = Tracker(spec, changes.append)
    assert not tracker.available
    tracker.handler(0)(Payload("a", b"online"))
    assert changes == []
    tracker.handler(1)(Payload("b", b"online"))
    assert changes == [True]
    with pytest.raises(PayloadError, match="b: availability: expected 'online' or 'offline', "
                                           "got 'maybe'"):
        tracker.handler(1)(Payload("b", b"maybe"))
    later = Tracker(spec, changes.append)
    later.seed(tracker)
    assert later.available
    assert Tracker(read_spec(options({})), changes.append).available  # none: always


def test_payload_decodes_once_and_reports_why() -> None:
    payload = Payload("t", b'{"a": 1}')
    assert payload.variables["value_json"] == {"a": 1}
    assert payload.variables is payload.variables
    assert Payload("t", b"ON").variables == {"value": "ON"}
    assert "value_json" not in Payload("t", b"{broken").variables
    with pytest.raises(PayloadError, match="t: payload is not JSON"):
        Payload("t", b"{broken").json_object()
    with pytest.raises(PayloadError, match=r"t: payload is not UTF-8 \(bad byte at 1\)"):
        _ = Payload("t", b"a\xff").text
    with pytest.raises(PayloadError, match="t: expected a JSON object, got a list"):
        Payload("t", b"[1]").json_object()


def test_light_targets() -> None:
    on = {"state": "on", "brightness": 100}
    assert target({"brightness_pct": 50}, on, "l").brightness == 128
    assert target({"brightness_step_pct": -50}, on, "l").brightness == 0
    assert target({"brightness_step": 500}, on, "l").brightness == 255
    assert target({"color_name": "purple"}, on, "l").rgb == (128, 0, 128)
    assert target({"hs_color": [240, 100]}, on, "l").rgb == (0, 0, 255)
    assert mired_kelvin(370) == 2702 and mired_kelvin(2700) == 370
    assert rgb_to_xy((255, 0, 0)) == (0.701, 0.299)  # Wide RGB D65, as Home Assistant
    with pytest.raises(Exception, match="color_name: unknown colour 'blurple'"):
        target({"color_name": "blurple"}, on, "light.x/turn_on")


def test_configuration_section() -> None:
    assert validate(None).status_topic == "homeassistant/status"
    config = validate(located({"discovery_prefix": "ha/", "birth_payload": "up",
                               "command_timeout": 3}))
    assert (config.discovery_prefix, config.status_topic, config.birth_payload,
            config.command_timeout) == ("ha", "ha/status", "up", 3.0)
    with pytest.raises(ConfigError, match="unknown key 'discovery'; did you mean "
                                          "'discovery_prefix'"):
        validate(located({"discovery": "x"}))
    with pytest.raises(ConfigError, match="expected a topic without"):
        validate(located({"discovery_prefix": "ha/#"}))
    with pytest.raises(ConfigError, match="command_timeout: expected a number"):
        validate(located({"command_timeout": 0}))
