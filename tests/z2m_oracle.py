"""The Zigbee2MQTT sample against Zigbee2MQTT's own Home Assistant discovery (the oracle).

`tests/data/z2m_sample/bridge_devices.json` holds real device definitions as Zigbee2MQTT
publishes them; `ha_entities.json` what Zigbee2MQTT's Home Assistant discovery makes of
each (platform, property, category, whether HA enables it, what its commands send). Both
are made by `tests/generate_z2m_sample.js`.

`compare()` builds the hub's entities of every sampled device and reports

- **coverage**: the entities Home Assistant enables by default that have a capability of
  the same platform over the same property;
- **exactness**: for service calls on each covered entity, whether the hub sends what Home
  Assistant would send through that discovery configuration (``/set`` JSON; a topic
  ``/set/<property>`` with a raw payload counts as ``{property: payload}``).

Used by tests/test_zigbee2mqtt_sample.py and bench/z2m_coverage.py.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub import colours
from integrations.zigbee2mqtt.definition import parse_device
from integrations.zigbee2mqtt.entities import build_entities
from integrations.zigbee2mqtt.entity import Context, Entity
from integrations.zigbee2mqtt.naming import default_area, device_slug, display_name

SAMPLE = Path(__file__).parent / "data" / "z2m_sample"


def load() -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    devices = json.loads((SAMPLE / "bridge_devices.json").read_text())
    oracle = json.loads((SAMPLE / "ha_entities.json").read_text())
    return devices, oracle


def entities_of(entry: Mapping[str, Any]) -> list[Entity]:
    info = parse_device(entry, "sample")
    assert info is not None
    ctx = Context(info=info, slug=device_slug(info.friendly_name, info.ieee_address),
                  name=display_name(info.friendly_name),
                  area=default_area(info.friendly_name), aliases=(), base_topic="z2m",
                  tool_timeout=7.0, now=lambda: "T")
    return build_entities(ctx, info.exposes)


def _properties(entity: Entity) -> set[str]:
    props = set(entity.readers)
    prop = entity.capability.attributes.get("property")
    if isinstance(prop, str):
        props.add(prop)
    props.update(entity.capability.attributes.get("properties", ()))
    return props


def _raw(value: Any) -> Any:
    """A raw ``/set/<property>`` payload as Zigbee2MQTT reads it (JSON when it parses)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


@dataclass
class Result:
    expected: int = 0
    covered: int = 0
    calls: int = 0
    exact: int = 0
    missing: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    capabilities: int = 0

    @property
    def coverage(self) -> float:
        return self.covered / self.expected if self.expected else 1.0

    @property
    def exactness(self) -> float:
        return self.exact / self.calls if self.calls else 1.0


def _ep(fact: Mapping[str, Any], key: str) -> str:
    endpoint = fact.get("command_topic_prefix") or fact.get("endpoint")
    return f"{key}_{endpoint}" if endpoint and fact["platform"] in (
        "light", "switch", "lock", "cover", "climate") and not fact.get(
        "command_topic_postfix") else key


def calls(fact: Mapping[str, Any], entry: Mapping[str, Any]
          ) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(tool, arguments, what Home Assistant sends) for service calls on the entity."""
    platform = fact["platform"]
    prop = fact.get("command_topic_postfix")
    if platform == "switch" and prop:
        yield "turn_on", {}, {prop: _raw(fact["payload_on"])}
        yield "turn_off", {}, {prop: _raw(fact["payload_off"])}
    elif platform == "switch":
        yield "turn_on", {}, {_ep(fact, "state"): fact.get("payload_on", "ON")}
        yield "turn_off", {}, {_ep(fact, "state"): fact.get("payload_off", "OFF")}
    elif platform == "number" and prop:
        low, high = fact.get("min", 1), fact.get("max", 100)
        value = low + (high - low) / 2
        step = fact.get("step", 1)
        value = round(round((value - low) / step) * step + low, 6)
        sent = int(value) if float(value).is_integer() else value
        yield "set_value", {"value": value}, {prop: sent}
    elif platform == "select" and prop:
        for option in fact["options"][:4]:
            yield "select_option", {"option": option}, {prop: option}
    elif platform == "button" and prop:
        yield "press", {}, {prop: _raw(fact["payload_press"])}
    elif platform == "text" and prop:
        yield "set_value", {"value": "abc"}, {prop: "abc"}
    elif platform == "lock":
        yield "lock", {}, {_ep(fact, "state"): "LOCK"}
        yield "unlock", {}, {_ep(fact, "state"): "UNLOCK"}
    elif platform == "cover":
        yield "open_cover", {}, {_ep(fact, "state"): "OPEN"}
        yield "close_cover", {}, {_ep(fact, "state"): "CLOSE"}
        yield "stop_cover", {}, {_ep(fact, "state"): "STOP"}
    elif platform == "light":
        yield from _light_calls(fact)
    elif platform == "climate":
        yield from _climate_calls(fact, entry)
    elif platform == "fan" and "fan_mode" in fact.get("properties", ()):
        yield from _mode_fan_calls(fact, entry)
    elif platform == "fan" and "speed" in fact.get("properties", ()):
        low, high = fact["speed_range_min"], fact["speed_range_max"]
        for pct in (1, 33, 50, 100):
            yield "set_percentage", {"percentage": pct}, {
                "speed": math.ceil((high - low + 1) * pct / 100 + low - 1)}
        yield "turn_off", {}, {"state": "OFF"}
    elif platform == "update":
        yield "install", {}, {"id": entry["ieee_address"]}
    elif platform == "siren":
        yield "turn_on", {}, {"warning": {"mode": "emergency", "level": "medium",
                                          "duration": 10}}
        tones = fact.get("available_tones") or ["emergency"]
        yield "turn_on", {"tone": tones[-1], "volume_level": 0.6, "duration": 5}, {
            "warning": {"mode": tones[-1], "level": "high", "duration": 5}}
        yield "turn_off", {}, {"warning": {"mode": "stop"}}


def _features(entry: Mapping[str, Any], kind: str, properties: Any) -> dict[str, Any]:
    """The features (by name) of the device's `kind` expose that has these properties."""
    for expose in entry["definition"]["exposes"]:
        if expose["type"] == kind and {f["property"] for f in expose["features"]} & set(
                properties):
            return {f["name"]: f for f in expose["features"]}
    raise AssertionError(f"{entry['friendly_name']}: no {kind} expose")


def _climate_calls(fact: Mapping[str, Any], entry: Mapping[str, Any]
                   ) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Zigbee2MQTT's climate discovery: the first of occupied/current heating setpoint (in
    the device's order) on `temperature_command_topic`, or with both an occupied heating
    and cooling setpoint `temperature_low/high_command_topic`; `mode_command_topic`
    system_mode, `fan_mode_command_topic`, `preset_mode_command_topic` preset: each a raw
    /set/<property>. Home Assistant's turn_off sets mode off; its turn_on only knows what to
    do with two modes, one of them off."""
    features = _features(entry, "climate", fact["properties"])
    heat, cool = features.get("occupied_heating_setpoint"), features.get(
        "occupied_cooling_setpoint")
    if heat is not None and cool is not None:
        yield "set_temperature", {"target_temp_low": 19, "target_temp_high": 25}, {
            heat["property"]: 19, cool["property"]: 25}
    else:
        setpoint = next(f for f in features.values() if f["name"] in (
            "occupied_heating_setpoint", "current_heating_setpoint"))
        for value in (21, 21.5, setpoint["value_min"] + 1):
            yield "set_temperature", {"temperature": value}, {setpoint["property"]: value}
    mode = features.get("system_mode")
    modes = [m for m in fact.get("modes") or () if m != "sleep"]
    if mode is not None and modes:
        for wanted in modes:
            yield "set_hvac_mode", {"hvac_mode": wanted}, {mode["property"]: wanted}
        if "off" in modes:
            yield "turn_off", {}, {mode["property"]: "off"}
            if len(modes) == 2:
                on = next(m for m in modes if m != "off")
                yield "turn_on", {}, {mode["property"]: on}
    for key, name, tool_name, argument in (
            ("fan_modes", "fan_mode", "set_fan_mode", "fan_mode"),
            ("preset_modes", "preset", "set_preset_mode", "preset_mode")):
        for value in fact.get(key) or ():
            yield tool_name, {argument: value}, {features[name]["property"]: value}


def _mode_fan_calls(fact: Mapping[str, Any], entry: Mapping[str, Any]
                    ) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Zigbee2MQTT's fan with a ZCL fan `mode`: on/off on /set/fan_state; the speeds (off,
    then low, medium, high, 1..9 as the fan has them; the 99432 has `on` as its fourth)
    as percentages 1..n on /set/fan_mode through a template; the other modes (on, auto,
    smart) as presets on /set/fan_mode. Home Assistant's turn_on with a percentage sends the
    on payload and then the speed."""
    features = _features(entry, "fan", fact["properties"])
    mode = features["mode"]["property"]
    state = features["state"]["property"]
    values = [str(v) for v in features["mode"]["values"]]
    speeds = ["off", *(s for s in ("low", "medium", "high", *map(str, range(1, 10)))
                       if s in values)]
    if entry["definition"]["model"] == "99432":
        speeds = ["off", "low", "medium", "high", "on"]
    assert fact["speed_range_max"] == len(speeds) - 1, fact
    low, high = fact["speed_range_min"], fact["speed_range_max"]
    yield "turn_on", {}, {state: "ON"}
    yield "turn_off", {}, {state: "OFF"}
    for pct in (1, 33, 50, 100):
        index = math.ceil((high - low + 1) * pct / 100 + low - 1)
        yield "set_percentage", {"percentage": pct}, {mode: speeds[index]}
    index = math.ceil((high - low + 1) * 50 / 100 + low - 1)
    yield "turn_on", {"percentage": 50}, {state: "ON", mode: speeds[index]}
    for preset in fact.get("preset_modes") or ():
        yield "set_preset_mode", {"preset_mode": preset}, {mode: preset}


def _light_calls(fact: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any],
                                                            dict[str, Any]]]:
    state = _ep(fact, "state")
    modes = fact.get("supported_color_modes", [])
    scale = fact.get("brightness_scale", 254)
    yield "turn_on", {}, {state: "ON"}
    yield "turn_off", {}, {state: "OFF"}
    if any(m in modes for m in ("brightness", "color_temp", "xy", "hs")):
        for pct in (1, 30, 50, 100):
            level = round(pct * 255 / 100)
            yield "turn_on", {"brightness_pct": pct}, {
                state: "ON", _ep(fact, "brightness"): max(1, round(level * scale / 255))}
    if "color_temp" in modes:
        low_k = colours.mired_to_kelvin(fact["max_mireds"])
        high_k = colours.mired_to_kelvin(fact["min_mireds"])
        for kelvin in (2000, 2700, 4000, 6500):
            clamped = min(high_k, max(low_k, kelvin))
            yield "turn_on", {"color_temp_kelvin": kelvin}, {
                state: "ON", _ep(fact, "color_temp"): colours.kelvin_to_mired(clamped)}
    for rgb in ((255, 0, 0), (0, 255, 0), (255, 128, 0)):
        if "xy" in modes:
            x, y = colours.rgb_to_xy(*rgb)
            colour: dict[str, float] | None = {"x": x, "y": y}
        elif "hs" in modes:
            h, s = colours.rgb_to_hs(*rgb)
            colour = {"h": h, "s": s}
        else:
            colour = None
        if colour is not None:
            yield "turn_on", {"rgb_color": list(rgb)}, {state: "ON",
                                                        _ep(fact, "color"): colour}


def _match(fact: Mapping[str, Any], entities: list[Entity], used: set[str]) -> Entity | None:
    wanted = {p for p in (*fact.get("properties", []), fact.get("property")) if p}
    for entity in entities:
        if entity.id in used or entity.capability.type != fact["platform"]:
            continue
        if wanted & _properties(entity) or fact["platform"] == "update" and (
                "update" in _properties(entity)):
            return entity
    return None


def compare(devices: list[dict[str, Any]] | None = None,
            oracle: dict[str, list[dict[str, Any]]] | None = None) -> Result:
    if devices is None or oracle is None:
        devices, oracle = load()
    result = Result()
    for entry in devices:
        entities = entities_of(entry)
        result.capabilities += len(entities)
        used: set[str] = set()
        for fact in oracle[entry["friendly_name"]]:
            if "error" in fact or not fact["enabled"]:
                continue
            result.expected += 1
            entity = _match(fact, entities, used)
            where = f"{entry['friendly_name']}: {fact['platform']} {fact['property']}"
            if entity is None:
                result.missing.append(where)
                continue
            used.add(entity.id)
            result.covered += 1
            for tool, args, expected in calls(fact, entry):
                result.calls += 1
                try:
                    sent = dict(entity.command(tool, args, {}).payload)
                except Exception as exc:  # a refused call is a wrong command here  # noqa: BLE001
                    result.wrong.append(f"{where}: {tool} {args}: {exc}")
                    continue
                if sent == expected:
                    result.exact += 1
                else:
                    result.wrong.append(f"{where}: {tool} {args}: sent {sent}, HA sends "
                                        f"{expected}")
    return result
