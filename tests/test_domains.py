"""Standard tools: Home Assistant's service and field names, well-formed schemas with ranges."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from hub.arguments import check_arguments
from hub.domains import (
    AI_KINDS,
    DEVICE_DOMAINS,
    KNOWN_TYPES,
    is_device_domain,
    standard_tool,
    standard_tools,
)
from hub.errors import PayloadError
from hub.model import Tool

REPO = Path(__file__).resolve().parents[1]
JSON_TYPES = {"object", "array", "string", "integer", "number", "boolean", "null"}

REQUIRED_DOMAINS = {
    "light", "switch", "fan", "cover", "lock", "climate", "media_player", "vacuum", "camera",
    "button", "scene", "script", "number", "select", "siren", "humidifier", "water_heater",
    "valve", "alarm_control_panel", "input_boolean", "sensor", "binary_sensor", "event",
}  # fmt: skip


def tool(type_: str, name: str) -> Tool:
    found = standard_tool(type_, name)
    assert found is not None, f"{type_} has no standard tool {name}"
    return found


def prop(type_: str, name: str, field: str) -> Mapping[str, Any]:
    schema: Mapping[str, Any] = tool(type_, name).parameters["properties"][field]
    return schema


def check_schema(schema: Mapping[str, Any], where: str) -> None:
    """Structural checks of the JSON Schema subset the standard tools use."""
    assert isinstance(schema, Mapping), where
    kind = schema.get("type")
    if kind is not None:
        assert kind in JSON_TYPES, f"{where}: type {kind!r}"
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        assert low <= high, f"{where}: minimum > maximum"
    if "enum" in schema:
        assert list(schema["enum"]) and len(set(schema["enum"])) == len(schema["enum"]), where
    if kind == "array":
        check_schema(schema["items"], f"{where}.items")
    if kind == "object":
        properties = schema.get("properties", {})
        assert isinstance(properties, Mapping), where
        for name, sub in properties.items():
            assert re.fullmatch(r"[a-z][a-z0-9_]*", name), f"{where}: property {name!r}"
            check_schema(sub, f"{where}.{name}")
        for name in schema.get("required", ()):
            assert name in properties, f"{where}: required {name!r} is not a property"
        for alternative in schema.get("anyOf", ()):
            for name in alternative["required"]:
                assert name in properties, f"{where}: anyOf requires unknown {name!r}"


def all_tools() -> list[tuple[str, Tool]]:
    return [(t, tool) for t in sorted(KNOWN_TYPES) for tool in standard_tools(t)]


def test_the_domains_of_the_brief_are_all_there() -> None:
    assert REQUIRED_DOMAINS <= DEVICE_DOMAINS
    assert {
        "llm/chat", "vision/detect", "vision/describe", "audio/transcribe", "embeddings", "search",
    } == AI_KINDS  # fmt: skip
    assert not DEVICE_DOMAINS & AI_KINDS


@pytest.mark.parametrize(("type_", "tool"), all_tools(), ids=lambda v: getattr(v, "name", v))
def test_every_schema_is_well_formed(type_: str, tool: Tool) -> None:
    where = f"{type_}.{tool.name}"
    assert re.fullmatch(r"[a-z][a-z0-9_]*", tool.name), where
    assert tool.description.endswith("."), where
    assert tool.parameters["type"] == "object", where
    assert isinstance(tool.parameters["properties"], Mapping), where
    check_schema(tool.parameters, where)
    if tool.result:
        check_schema(tool.result, f"{where} result")
    assert tool.timeout > 0
    json.dumps(tool.parameters, default=dict)  # JSON all the way down


def test_every_device_domain_has_get_state_and_unique_tool_names() -> None:
    for domain in DEVICE_DOMAINS:
        names = [t.name for t in standard_tools(domain)]
        assert names[-1] == "get_state", domain
        assert len(names) == len(set(names)), domain
        assert is_device_domain(domain)
    for kind in AI_KINDS:
        assert "get_state" not in [t.name for t in standard_tools(kind)]
        assert not is_device_domain(kind)


def test_sensor_like_domains_have_only_get_state() -> None:
    for domain in ("sensor", "binary_sensor", "event"):
        assert [t.name for t in standard_tools(domain)] == ["get_state"]


def test_unknown_types_have_no_standard_tools() -> None:
    assert standard_tools("robot_arm") == ()
    assert standard_tools("llm") == ()
    assert standard_tool("light", "dim") is None
    assert not is_device_domain("robot_arm")


@pytest.mark.parametrize(
    ("domain", "names"),
    [
        ("light", ["turn_on", "turn_off", "toggle"]),
        ("switch", ["turn_on", "turn_off", "toggle"]),
        ("fan", ["turn_on", "turn_off", "toggle", "set_percentage", "increase_speed",
                 "decrease_speed", "oscillate", "set_direction", "set_preset_mode"]),
        ("cover", ["open_cover", "close_cover", "stop_cover", "toggle", "set_cover_position",
                   "open_cover_tilt", "close_cover_tilt", "stop_cover_tilt",
                   "toggle_cover_tilt", "set_cover_tilt_position"]),
        ("lock", ["lock", "unlock", "open"]),
        ("climate", ["set_temperature", "set_hvac_mode", "set_fan_mode", "set_preset_mode",
                     "set_humidity", "set_swing_mode", "turn_on", "turn_off", "toggle"]),
        ("media_player", ["turn_on", "turn_off", "toggle", "media_play", "media_pause",
                          "media_stop", "media_play_pause", "media_next_track",
                          "media_previous_track", "volume_up", "volume_down",
                          "clear_playlist", "volume_set", "volume_mute", "media_seek",
                          "select_source", "select_sound_mode", "play_media", "shuffle_set",
                          "repeat_set", "search_media"]),
        ("vacuum", ["start", "pause", "stop", "return_to_base", "locate", "clean_spot",
                    "set_fan_speed", "send_command"]),
        ("camera", ["get_frame", "turn_on", "turn_off"]),
        ("button", ["press"]),
        ("scene", ["turn_on"]),
        ("script", ["turn_on", "turn_off", "toggle"]),
        ("number", ["set_value"]),
        ("select", ["select_option", "select_first", "select_last", "select_next",
                    "select_previous"]),
        ("alarm_control_panel", ["alarm_arm_home", "alarm_arm_away", "alarm_arm_night",
                                 "alarm_arm_vacation", "alarm_arm_custom_bypass",
                                 "alarm_disarm", "alarm_trigger"]),
        ("input_boolean", ["turn_on", "turn_off", "toggle"]),
        ("valve", ["open_valve", "close_valve", "stop_valve", "toggle", "set_valve_position"]),
        ("humidifier", ["turn_on", "turn_off", "toggle", "set_humidity", "set_mode"]),
        ("water_heater", ["turn_on", "turn_off", "set_temperature", "set_operation_mode",
                          "set_away_mode"]),
        ("siren", ["turn_on", "turn_off", "toggle"]),
    ],
)  # fmt: skip
def test_home_assistant_service_names(domain: str, names: list[str]) -> None:
    assert [t.name for t in standard_tools(domain)] == [*names, "get_state"]


def test_light_fields_and_ranges() -> None:
    assert dict(prop("light", "turn_on", "brightness_pct")) == {
        "type": "number", "description": "Brightness in percent; 0 turns the light off.",
        "minimum": 0, "maximum": 100,
    }  # fmt: skip
    assert (prop("light", "turn_on", "brightness_step_pct")["minimum"],
            prop("light", "turn_on", "brightness_step_pct")["maximum"]) == (-100, 100)  # fmt: skip
    brightness = prop("light", "turn_on", "brightness")
    assert (brightness["type"], brightness["minimum"], brightness["maximum"]) == ("integer", 0, 255)
    rgb = prop("light", "turn_on", "rgb_color")
    assert (rgb["minItems"], rgb["maxItems"], rgb["items"]["maximum"]) == (3, 3, 255)
    for field in ("color_name", "color_temp_kelvin", "transition", "effect"):
        assert field in tool("light", "turn_on").parameters["properties"]
    assert set(tool("light", "turn_off").parameters["properties"]) == {"transition", "flash"}
    assert tool("light", "turn_on").parameters["additionalProperties"] is False


def test_other_ranges_and_enums() -> None:
    assert dict(prop("cover", "set_cover_position", "position")) == {
        "type": "integer", "description": "Percent, 0..100.", "minimum": 0, "maximum": 100,
    }  # fmt: skip
    assert tool("cover", "set_cover_position").parameters["required"] == ["position"]
    volume = prop("media_player", "volume_set", "volume_level")
    assert (volume["minimum"], volume["maximum"]) == (0, 1)
    assert prop("climate", "set_hvac_mode", "hvac_mode")["enum"] == [
        "off", "heat", "cool", "heat_cool", "auto", "dry", "fan_only",
    ]  # fmt: skip
    set_temperature = tool("climate", "set_temperature").parameters
    assert set(set_temperature["properties"]) == {
        "temperature", "target_temp_high", "target_temp_low", "hvac_mode",
    }  # fmt: skip
    assert set_temperature["anyOf"] == [
        {"required": ["temperature"]},
        {"required": ["target_temp_low", "target_temp_high"]},
    ]
    assert prop("fan", "set_percentage", "percentage")["maximum"] == 100
    assert prop("fan", "set_direction", "direction")["enum"] == ["forward", "reverse"]
    assert prop("media_player", "repeat_set", "repeat")["enum"] == ["off", "all", "one"]
    assert "code" in tool("alarm_control_panel", "alarm_disarm").parameters["properties"]
    assert "code" in tool("lock", "unlock").parameters["properties"]


def test_camera_frames_are_jpeg() -> None:
    frame = tool("camera", "get_frame")
    assert frame.result["contentMediaType"] == "image/jpeg"
    assert frame.parameters == {"type": "object", "properties": {}, "additionalProperties": False}


def test_ai_tools() -> None:
    chat = tool("llm/chat", "chat").parameters
    assert chat["required"] == ["messages"]
    assert chat["properties"]["messages"]["items"]["properties"]["role"]["enum"] == [
        "system", "user", "assistant", "tool",
    ]  # fmt: skip
    for kind, name, field in (
        ("vision/detect", "detect", "image"),
        ("vision/describe", "describe", "image"),
        ("audio/transcribe", "transcribe", "audio"),
        ("embeddings", "embed", "texts"),
        ("search", "search", "query"),
    ):
        assert tool(kind, name).parameters["required"] == [field], kind
    assert prop("vision/detect", "detect", "image")["contentEncoding"] == "base64"


def test_standard_tools_are_read_only_and_fresh() -> None:
    first = standard_tools("light")
    with pytest.raises(TypeError):
        first[0].parameters["properties"]["brightness"] = {}
    flash = first[1].parameters["properties"]["flash"]["enum"]
    flash.append("strobe")  # lists are plain lists, but each call builds its own
    assert standard_tools("light")[1].parameters["properties"]["flash"]["enum"] == [
        "short",
        "long",
    ]


def test_arguments_checker_accepts_and_refuses_by_these_schemas() -> None:
    turn_on = tool("light", "turn_on").parameters
    check_arguments(turn_on, {"brightness_pct": 30, "transition": 2}, "light.kitchen/turn_on")
    with pytest.raises(PayloadError, match=r"^brightness_pct: expected 0\.\.100, got 130$"):
        check_arguments(turn_on, {"brightness_pct": 130})
    with pytest.raises(PayloadError, match=r"unknown argument 'dim'"):
        check_arguments(turn_on, {"dim": 3})
    with pytest.raises(PayloadError, match=r"missing required argument 'position'"):
        check_arguments(tool("cover", "set_cover_position").parameters, {})


def test_the_routing_set_speaks_these_schemas() -> None:
    """Every labelled utterance's arguments fit the standard tool of its kind."""
    lines = []
    for name in ("train.jsonl", "test.jsonl"):
        lines += (REPO / "tests" / "data" / "routing" / name).read_text().splitlines()
    checked = 0
    for line in lines:
        example = json.loads(line)
        name = example["tool"]
        # 'homeassistant' is Home Assistant's cross-domain turn_on/turn_off: each target's
        # own domain must have the tool
        kinds = (
            {target.split(".")[0] for target in example["targets"]}
            if example["kind"] == "homeassistant"
            else {example["kind"]}
        )
        for kind in kinds:
            found = standard_tool(kind, name)
            assert found is not None, f"{kind} has no tool {name} ({example['text']!r})"
            if kind not in AI_KINDS:  # an AI request's text becomes its arguments later
                check_arguments(found.parameters, example["args"], f"{kind}/{name}")
        checked += 1
    assert checked == len(lines) > 100


def _describe_parameter(name: str, schema: Mapping[str, Any], required: bool) -> str:
    low, high = schema.get("minimum"), schema.get("maximum")
    if "enum" in schema:
        detail = " / ".join(schema["enum"])
    elif low is not None and high is not None:
        detail = f"{low:g}..{high:g}"
    elif low is not None:
        detail = f">= {low:g}"
    else:
        detail = str(schema.get("type", "any"))
    text = f"`{name}` {detail}"
    return f"**{text}**" if required else text


def render_tool_table() -> str:
    """The table of docs/capabilities.md, made from the code (paste it there when it changes).

    ``get_state``, which every device domain has, is left out.
    """
    rows = ["| type | tool | parameters (**required**) |", "|---|---|---|"]
    ordered = sorted(DEVICE_DOMAINS) + sorted(AI_KINDS)
    for type_ in ordered:
        for t in standard_tools(type_):
            if t.name == "get_state":
                continue
            schema = t.parameters
            required = set(schema.get("required", ()))
            parameters = ", ".join(
                _describe_parameter(name, sub, name in required)
                for name, sub in schema["properties"].items()
            )
            rows.append(f"| `{type_}` | `{t.name}` | {parameters or '-'} |")
    return "\n".join(rows) + "\n"


def test_the_documented_table_is_the_code() -> None:
    doc = (REPO / "docs" / "capabilities.md").read_text()
    assert render_tool_table() in doc, "regenerate the table with render_tool_table()"
