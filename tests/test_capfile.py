"""The capability format: minimal devices, full entries, errors with positions, JSON round trips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from hub.capfile import (
    capability_from_dict,
    capability_to_dict,
    load_capability_file,
    parse_capabilities,
)
from hub.domains import standard_tool, standard_tools
from hub.errors import ConfigError, PayloadError
from hub.located import parse_yaml
from hub.model import Capability, NodeId

REPO = Path(__file__).resolve().parents[1]

FULL = """\
capabilities:
  - id: light.kitchen_ceiling
    type: light
    name: Kitchen ceiling
    aliases: [big light, main light]
    area: kitchen
  - id: camera.front_door
    type: camera
    name: Front door camera
    area: front door
    triggers:
      - name: person_detected
        description: A person is at the front door.
        intent: person at {area}
        payload: {type: object, properties: {score: {type: number}}}
        priority: 5
        throttle: 30
  - id: llm.qwen
    type: llm/chat
    name: Local assistant
    description: Answers questions.
    attributes: {gpu: true, local_only: true, cost: 0.5, residency: eu, model: qwen}
    tools:
      - name: chat
        timeout: 180
      - name: summarise
        description: Summarise a text.
        parameters:
          type: object
          properties: {text: {type: string}}
          required: [text]
"""


def parse(text: str, **kwargs: object) -> tuple[Capability, ...]:
    return parse_capabilities(parse_yaml(text, file="devices.yaml"), **kwargs)  # type: ignore[arg-type]


def parse_error(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse(text)
    return str(info.value)


def test_a_minimal_device_gets_its_domains_standard_tools() -> None:
    [light] = parse("- {id: light.porch, type: light, name: Porch light, area: porch}\n")
    assert light == Capability(
        id="light.porch",
        type="light",
        name="Porch light",
        area="porch",
        tools=standard_tools("light"),
        source="",
    )
    assert [t.name for t in light.tools] == ["turn_on", "turn_off", "toggle", "get_state"]


def test_name_defaults_from_the_id() -> None:
    [cap] = parse("- {id: switch.coffee_maker, type: switch}\n")
    assert cap.name == "Coffee maker"


def test_every_field_of_a_full_file() -> None:
    light, camera, llm = parse(FULL, node=NodeId("node-1"), source="config")
    assert light.aliases == ("big light", "main light")
    assert (light.node, light.source) == ("node-1", "config")
    [trigger] = camera.triggers
    assert (trigger.name, trigger.intent, trigger.priority, trigger.throttle) == (
        "person_detected",
        "person at {area}",
        5,
        30.0,
    )
    assert trigger.payload == {"type": "object", "properties": {"score": {"type": "number"}}}
    assert [t.name for t in camera.tools] == ["get_frame", "turn_on", "turn_off", "get_state"]
    assert llm.attributes == {
        "gpu": True,
        "local_only": True,
        "cost": 0.5,
        "residency": "eu",
        "model": "qwen",
    }
    chat, summarise = llm.tools
    standard_chat = standard_tool("llm/chat", "chat")
    assert standard_chat is not None
    # a mapping named like a standard tool starts from it and overrides what it gives
    assert chat.timeout == 180.0
    assert chat.parameters == standard_chat.parameters
    assert chat.description == standard_chat.description
    assert summarise.parameters == {
        "type": "object",
        "properties": {"text": {"type": "string"}},
        "required": ["text"],
    }
    assert summarise.timeout == 10.0


def test_tools_by_standard_name_restrict_a_device_and_keep_get_state() -> None:
    [light] = parse("- id: light.plain\n  type: light\n  tools: [turn_on, turn_off]\n")
    assert [t.name for t in light.tools] == ["turn_on", "turn_off", "get_state"]
    assert light.tools[0] == standard_tool("light", "turn_on")


def test_top_level_node_and_devices_key() -> None:
    [cap] = parse("node: home-hub\ndevices:\n  - {id: fan.desk, type: fan}\n")
    assert cap.node == "home-hub"
    [cap] = parse("- {id: fan.desk, type: fan, node: other}\n", node=NodeId("mine"))
    assert cap.node == "other"


def test_empty_inputs() -> None:
    assert parse("") == ()
    assert parse("capabilities:\n") == ()
    assert parse("[]") == ()


def test_live_fields_for_device_files() -> None:
    text = "- {id: sensor.t, type: sensor, state: {state: 21.5}, available: false, load: 0.25}\n"
    [cap] = parse(text)
    assert (cap.state, cap.available, cap.load) == ({"state": 21.5}, False, 0.25)


def test_unknown_type_needs_tools_or_triggers() -> None:
    assert parse_error("- {id: x.y, type: lihgt}\n") == (
        "devices.yaml:1:19: [0].type: unknown type 'lihgt'; did you mean 'light'? Otherwise, "
        "a capability of a type of its own must declare its tools or triggers"
    )
    assert parse_error("- {id: x.y, type: robot_arm}\n") == (
        "devices.yaml:1:19: [0].type: unknown type 'robot_arm'; A capability of a type of "
        "its own must declare its tools or triggers"
    )
    text = "- id: arm.one\n  type: robot_arm\n  tools:\n    - {name: wave}\n"
    [arm] = parse(text)
    assert [t.name for t in arm.tools] == ["wave"]  # no get_state: not a device domain
    assert arm.tools[0].parameters == {"type": "object", "properties": {}}


def test_missing_and_invalid_fields_all_reported() -> None:
    text = """\
capabilities:
  - name: No id
    type: light
  - id: Light One
    type: Light
  - id: cover.x
    type: cover
    colour: red
    aliases: {a: 1}
    load: 2
    attributes: {gpu: yes please, cost: -1}
"""
    assert parse_error(text).splitlines() == [
        "devices.yaml:2:5: capabilities[0]: 'id' is required",
        (
            "devices.yaml:4:9: capabilities[1].id: 'Light One' is not a valid id: use lowercase "
            "letters, digits, '_' and '-', in parts joined by '.' or '/', e.g. "
            "'light.kitchen_ceiling'"
        ),
        (
            "devices.yaml:5:11: capabilities[1].type: 'Light' is not a valid type: a Home "
            "Assistant domain such as 'light', or an AI kind such as 'llm/chat'"
        ),
        (
            "devices.yaml:8:5: capabilities[2]: unknown key 'colour'; expected one of: id, type, "
            "name, aliases, area, description, tools, triggers, attributes, node, state, "
            "available, reason, load, floor, device_class, device"
        ),
        "devices.yaml:9:14: capabilities[2].aliases: expected a list, got a mapping",
        "devices.yaml:10:11: capabilities[2].load: expected a number 0..1, got 2",
        (
            "devices.yaml:11:23: capabilities[2].attributes.gpu: expected true or false, got "
            "'yes please'"
        ),
        ("devices.yaml:11:41: capabilities[2].attributes.cost: expected a number >= 0, got -1"),
    ]


def test_duplicate_ids() -> None:
    text = "- {id: light.a, type: light}\n- {id: switch.b, type: switch}\n- {id: light.a, type: light}\n"
    assert parse_error(text) == (
        "devices.yaml:3:8: [2].id: duplicate id 'light.a' (first at devices.yaml:1:8)"
    )


def test_tool_errors() -> None:
    text = """\
- id: light.a
  type: light
  tools:
    - dim
    - {name: Blink}
    - {name: pulse, parameters: {type: array}}
    - {name: ramp, parameters: {properties: {a: {}}, required: [b]}, timeout: 0}
    - turn_on
    - turn_on
    - 5
"""
    assert parse_error(text).splitlines() == [
        (
            "devices.yaml:4:7: [0].tools[0]: 'dim' is not a standard tool of 'light' (standard: "
            "turn_on, turn_off, toggle, get_state); describe it with name, description and "
            "parameters"
        ),
        (
            "devices.yaml:5:14: [0].tools[1].name: 'Blink' is not a valid tool name: use "
            "lowercase letters, digits and '_', starting with a letter"
        ),
        (
            "devices.yaml:6:40: [0].tools[2].parameters.type: parameters must be an object "
            "schema (type: object)"
        ),
        (
            "devices.yaml:7:65: [0].tools[3].parameters.required[0]: required parameter 'b' is "
            "not among the properties (a)"
        ),
        "devices.yaml:7:79: [0].tools[3].timeout: expected a number > 0, got 0",
        "devices.yaml:9:7: [0].tools[5]: tool 'turn_on' is listed twice",
        "devices.yaml:10:7: [0].tools[6]: expected a tool name or a mapping, got 5",
    ]


def test_trigger_errors() -> None:
    text = """\
- id: camera.a
  type: camera
  triggers:
    - {description: no name}
    - {name: seen, intent: 'person at {area', throttle: -1, priority: high}
    - {name: seen}
"""
    assert parse_error(text).splitlines() == [
        "devices.yaml:4:7: [0].triggers[0]: 'name' is required",
        (
            "devices.yaml:5:28: [0].triggers[1].intent: invalid intent template: expected '}' "
            "before end of string (write placeholders as {area}; '{{' for a literal brace)"
        ),
        "devices.yaml:5:57: [0].triggers[1].throttle: expected a number >= 0, got -1",
        "devices.yaml:5:71: [0].triggers[1].priority: expected an integer, got 'high'",
    ]


def test_file_shape_errors() -> None:
    assert parse_error("light: x\n") == (
        "devices.yaml:1:1: unknown key 'light'; expected one of: capabilities, devices, node"
    )
    assert parse_error("42\n") == (
        "devices.yaml:1:1: expected a list of capabilities, or 'capabilities:' with one, got 42"
    )
    assert parse_error("- just text\n") == (
        "devices.yaml:1:3: [0]: expected a capability (a mapping with id and type), got 'just text'"
    )
    assert parse_error("capabilities: []\ndevices: []\n") == (
        "devices.yaml:2:1: devices: give 'capabilities' or 'devices', not both"
    )


def test_load_capability_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "devices.yaml"
    path.write_text("- {id: light.a, type: light}\n- {id: light.a, type: light}\n")
    with pytest.raises(ConfigError) as info:
        load_capability_file(path)
    assert str(info.value) == (
        "devices.yaml:2:8: [1].id: duplicate id 'light.a' (first at devices.yaml:1:8)"
    )
    path.write_text("- {id: light.a, type: light}\n")
    [cap] = load_capability_file(path, node=NodeId("n1"), source="route")
    assert (cap.node, cap.source) == ("n1", "route")


def test_the_routing_device_file_loads() -> None:
    caps = load_capability_file(REPO / "tests" / "data" / "routing" / "devices.yaml")
    by_id = {cap.id: cap for cap in caps}
    assert len(by_id) == len(caps) > 40
    assert all(cap.node == "home-hub" for cap in caps)
    assert by_id["light.porch"].tools == standard_tools("light")
    assistant = by_id["ai.assistant"]
    [chat] = assistant.tools
    assert chat.description == "Answer a message or a question in conversation."
    assert "messages" in chat.parameters["properties"]  # the standard parameters are kept


def test_round_trip_through_json() -> None:
    caps = parse(FULL, node=NodeId("node-1"), source="config")
    for cap in caps:
        text = json.dumps(capability_to_dict(cap))
        assert capability_from_dict(json.loads(text)) == cap
    live = caps[0].with_state({"state": "on", "brightness": 200, "rgb": [1, 2, 3]})
    assert capability_from_dict(json.loads(json.dumps(capability_to_dict(live)))) == live


def test_round_trip_of_every_standard_tool() -> None:
    from hub.domains import KNOWN_TYPES

    for type_ in sorted(KNOWN_TYPES):
        cap = Capability(id=f"x.{type_.replace('/', '_')}", type=type_, tools=standard_tools(type_))
        assert capability_from_dict(json.loads(json.dumps(capability_to_dict(cap)))) == cap


def test_dict_output_is_the_yaml_format() -> None:
    # what a hub advertises (JSON) reads back as a capability file, unchanged
    caps = parse(FULL, node=NodeId("node-1"))
    entries = [capability_to_dict(c) for c in caps]
    for entry in entries:
        del entry["source"]  # who registered it is the reader's to say, not the file's
    again = parse(yaml.safe_dump({"capabilities": entries}), node=NodeId("node-1"))
    assert again == caps


def test_from_dict_defaults_and_errors() -> None:
    cap = capability_from_dict({"id": "light.a", "type": "light"})
    assert cap.tools == standard_tools("light")
    assert (cap.name, cap.available, cap.load, cap.attributes) == ("", True, 0.0, {})
    assert capability_from_dict({"id": "light.a", "type": "light", "tools": ["toggle"]}).tools == (
        standard_tool("light", "toggle"),
    )
    with pytest.raises(PayloadError, match=r"^capability \?: malformed \(KeyError: 'id'\)$"):
        capability_from_dict({"type": "light"})
    with pytest.raises(
        PayloadError,
        match=r"^capability s\.x: malformed \(TypeError: expected an object, got list\)$",
    ):
        capability_from_dict({"id": "s.x", "type": "sensor", "state": [1]})
    with pytest.raises(
        PayloadError,
        match=r"^capability l\.x: malformed \(ValueError: 'dim' is not a standard tool of 'light'\)$",
    ):
        capability_from_dict({"id": "l.x", "type": "light", "tools": ["dim"]})


def test_capabilities_are_read_only() -> None:
    [_, _, llm] = parse(FULL)
    with pytest.raises(TypeError):
        llm.attributes["gpu"] = False  # type: ignore[index]
    summarise = llm.tools[1]
    with pytest.raises(TypeError):
        summarise.parameters["properties"]["text"] = {}


def test_duplicate_ids_are_found_next_to_other_problems() -> None:
    text = "- {id: light.a, type: lihgt}\n- {id: light.a, type: light}\n"
    assert parse_error(text).splitlines() == [
        (
            "devices.yaml:1:23: [0].type: unknown type 'lihgt'; did you mean 'light'? "
            "Otherwise, a capability of a type of its own must declare its tools or triggers"
        ),
        "devices.yaml:2:8: [1].id: duplicate id 'light.a' (first at devices.yaml:1:8)",
    ]


# -- Home Assistant-shaped entities (issue 11) ------------------------------------------------


def test_home_assistant_entity_keys_become_attributes() -> None:
    [door, battery] = parse(
        "- {id: cover.garage_door, type: cover, name: Garage door, area: garage,\n"
        "   floor: ground floor, device_class: garage, device: Tilt sensor, aliases: [gate]}\n"
        "- {id: sensor.phone_battery, type: sensor, device_class: battery, state: 12,\n"
        "   area: null}\n"
    )
    assert dict(door.attributes) == {
        "floor": "ground floor",
        "device_class": "garage",
        "device": "Tilt sensor",
    }
    assert door.aliases == ("gate",)
    assert dict(battery.state) == {"state": 12}  # a plain state value, as HA gives it
    assert battery.area == ""


def test_home_assistant_types_have_their_services() -> None:
    caps = parse(
        "- {id: person.anna, type: person}\n"
        "- {id: todo.shopping_list, type: todo}\n"
        "- {id: valve.garden, type: valve}\n"
        "- {id: timer.kitchen, type: timer}\n"
        "- {id: weather.home, type: weather}\n"
        "- {id: scene.movie_night, type: scene}\n"
        "- {id: script.good_night, type: script}\n"
        "- {id: vacuum.roomba, type: vacuum}\n"
        "- {id: media_player.kitchen, type: media_player}\n"
    )
    tools = {c.type: {t.name for t in c.tools} for c in caps}
    assert tools["person"] == {"get_state"}
    assert {"add_item", "remove_item", "update_item", "get_items"} <= tools["todo"]
    assert {"open_valve", "close_valve", "set_valve_position"} <= tools["valve"]
    assert {"start", "pause", "cancel", "finish", "change"} <= tools["timer"]
    assert "get_forecasts" in tools["weather"]
    assert "turn_on" in tools["scene"] and "turn_on" in tools["script"]
    assert {"start", "return_to_base"} <= tools["vacuum"]
    assert {"play_media", "search_media", "media_next_track"} <= tools["media_player"]
    add = standard_tool("todo", "add_item")
    assert add is not None and add.parameters["required"] == ["item"]


def test_a_floor_that_is_not_text_names_the_line() -> None:
    message = parse_error("- {id: light.a, type: light, floor: [1, 2]}\n")
    assert "devices.yaml:1:" in message and "expected" in message
