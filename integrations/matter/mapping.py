"""Matter nodes to capabilities: endpoints, device types and clusters to HA's domains.

A node dump (python-matter-server's MatterNodeData) holds attributes keyed
``"endpoint/cluster/attribute"``. Each endpoint gives at most one *primary* capability
(light, switch, lock, cover, climate, fan, event for buttons) and one sensor capability per
measurement cluster. Ids derive from node and endpoint only (``light.matter_5_1``,
``sensor.matter_29_2_humidity``): a renamed device keeps its ids. Clusters this mapping
does not know are listed in the capability's ``matter_unknown_clusters`` attribute.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from hub.domains import standard_tools
from hub.model import Tool, Trigger
from integrations.matter import units

Attrs = Mapping[str, Any]
Reader = Callable[[Attrs, str], dict[str, Any]]

# cluster ids
BASIC, BRIDGED_BASIC, DESCRIPTOR, POWER_SOURCE, SWITCH = 40, 57, 29, 47, 59
ON_OFF, LEVEL, COLOR, BOOLEAN, AIR_QUALITY = 6, 8, 768, 69, 91
DOOR_LOCK, COVER, THERMOSTAT, FAN = 257, 258, 513, 514
ILLUMINANCE, TEMPERATURE, PRESSURE, FLOW, HUMIDITY, OCCUPANCY, CO2 = (
    1024, 1026, 1027, 1028, 1029, 1030, 1037)

# device types (Descriptor 29, attribute 0)
ROOT, POWER_SOURCE_TYPE, BRIDGED_NODE, AGGREGATOR, CONTACT_SENSOR = 22, 17, 19, 14, 21
LIGHT_TYPES = frozenset({256, 257, 268, 269})
WATER_LEAK = 67

KNOWN = frozenset({
    BASIC, BRIDGED_BASIC, DESCRIPTOR, POWER_SOURCE, SWITCH, ON_OFF, LEVEL, COLOR, BOOLEAN,
    AIR_QUALITY, DOOR_LOCK, COVER, THERMOSTAT, FAN, ILLUMINANCE, TEMPERATURE, PRESSURE, FLOW,
    HUMIDITY, OCCUPANCY, CO2,
    3, 4, 5, 30, 31, 42, 43, 44, 45, 46, 48, 49, 50, 51, 52, 53, 54, 55, 56, 60, 62, 63,
    64, 65, 70, 128,  # infrastructure: identify, groups, scenes, binding, ACL, OTA, network...
})

AIR_QUALITY_NAMES = ("unknown", "good", "fair", "moderate", "poor", "very_poor",
                     "extremely_poor")
SYSTEM_MODES = {0: "off", 1: "heat_cool", 3: "cool", 4: "heat", 7: "fan_only", 8: "dry"}
FAN_MODES = {0: "off", 1: "low", 2: "medium", 3: "high", 4: "on", 5: "auto", 6: "smart"}
LOCK_STATES = {0: "unlocked", 1: "locked", 2: "unlocked", 3: "open"}
SWITCH_EVENTS = {1: "initial_press", 2: "long_press", 3: "short_release",
                 4: "long_release", 5: "multi_press_ongoing", 6: "multi_press_complete"}


@dataclass(frozen=True, slots=True)
class Entity:
    """One capability of one endpoint, with how to read its state from the node."""

    id: str
    key: str
    domain: str
    node_id: int
    endpoint: int
    name: str
    read: Reader
    watch: frozenset[int]
    tools: tuple[Tool, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    attributes: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def state(self, attrs: Attrs) -> dict[str, Any]:
        return self.read(attrs, f"{self.endpoint}/")


@dataclass(frozen=True, slots=True)
class Endpoint:
    node_id: int
    endpoint: int
    clusters: frozenset[int]
    device_types: frozenset[int]
    bridged: bool


def endpoints(node: Mapping[str, Any]) -> list[Endpoint]:
    attrs: Attrs = node.get("attributes") or {}
    pairs: set[tuple[str, str]] = set()
    for key in attrs:  # the hot loop of a resync: one split per attribute, ints later
        endpoint, _, rest = key.partition("/")
        pairs.add((endpoint, rest.partition("/")[0]))
    clusters: dict[int, set[int]] = {}
    for endpoint, cluster in pairs:
        if endpoint.isdigit() and cluster.isdigit():
            clusters.setdefault(int(endpoint), set()).add(int(cluster))
    node_id = int(node["node_id"])
    out = []
    for ep, cl in sorted(clusters.items()):
        types = frozenset(device_types(attrs, ep))
        out.append(Endpoint(node_id, ep, frozenset(cl), types, BRIDGED_NODE in types))
    return out


def device_types(attrs: Attrs, endpoint: int) -> set[int]:
    found: set[int] = set()
    listed = attrs.get(f"{endpoint}/{DESCRIPTOR}/0")
    if isinstance(listed, list):
        for item in listed:
            if isinstance(item, dict):
                kind = item.get("0", item.get("type", item.get("deviceType")))
                if isinstance(kind, int) and not isinstance(kind, bool):
                    found.add(kind)
    return found


def node_name(node: Mapping[str, Any]) -> str:
    attrs: Attrs = node.get("attributes") or {}
    for key in (f"0/{BASIC}/5", f"0/{BASIC}/3"):
        value = attrs.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:100]
    return f"Matter node {node.get('node_id')}"


def endpoint_name(node: Mapping[str, Any], ep: Endpoint) -> str:
    attrs: Attrs = node.get("attributes") or {}
    if ep.bridged or BRIDGED_BASIC in ep.clusters:
        for attr in (5, 3):
            value = attrs.get(f"{ep.endpoint}/{BRIDGED_BASIC}/{attr}")
            if isinstance(value, str) and value.strip():
                return value.strip()[:100]
    return node_name(node)


def reachable(attrs: Attrs, ep: Endpoint) -> bool:
    """A bridged endpoint says itself whether the bridge reaches it (attribute 17)."""
    return attrs.get(f"{ep.endpoint}/{BRIDGED_BASIC}/17") is not False


# -- readers ------------------------------------------------------------------------------------


def _on(attrs: Attrs, p: str) -> str | None:
    value = attrs.get(f"{p}{ON_OFF}/0")
    return None if not isinstance(value, bool) else ("on" if value else "off")


def _light(attrs: Attrs, p: str) -> dict[str, Any]:
    state: dict[str, Any] = {"state": _on(attrs, p)}
    if f"{p}{LEVEL}/0" in attrs:
        state["brightness"] = units.level_to_brightness(attrs.get(f"{p}{LEVEL}/0"))
    if f"{p}{COLOR}/7" in attrs:
        state["color_temp_kelvin"] = units.mireds_to_kelvin(attrs.get(f"{p}{COLOR}/7"))
    mode = attrs.get(f"{p}{COLOR}/8")
    if f"{p}{COLOR}/0" in attrs and f"{p}{COLOR}/1" in attrs:
        hue, sat = units.number(attrs.get(f"{p}{COLOR}/0")), units.number(
            attrs.get(f"{p}{COLOR}/1"))
        if hue is not None and sat is not None:
            state["hs_color"] = [round(hue * 360 / 254, 1), round(sat * 100 / 254, 1)]
    if f"{p}{COLOR}/3" in attrs and f"{p}{COLOR}/4" in attrs:
        x, y = units.number(attrs.get(f"{p}{COLOR}/3")), units.number(attrs.get(f"{p}{COLOR}/4"))
        if x is not None and y is not None:
            state["xy_color"] = [round(x / 65535, 4), round(y / 65535, 4)]
    if isinstance(mode, int) and f"{p}{COLOR}/8" in attrs:
        state["color_mode"] = {0: "hs", 1: "xy", 2: "color_temp"}.get(mode, "unknown")
    return state


def _switch(attrs: Attrs, p: str) -> dict[str, Any]:
    return {"state": _on(attrs, p)}


def _lock(attrs: Attrs, p: str) -> dict[str, Any]:
    raw = attrs.get(f"{p}{DOOR_LOCK}/0")
    state: dict[str, Any] = {"state": LOCK_STATES.get(raw) if isinstance(raw, int) else None}
    door = attrs.get(f"{p}{DOOR_LOCK}/3")
    if isinstance(door, int):
        state["door"] = {0: "open", 1: "closed", 2: "jammed"}.get(door, "unknown")
    return state


def _cover(attrs: Attrs, p: str) -> dict[str, Any]:
    position = units.percent100ths_to_position(attrs.get(f"{p}{COVER}/14"))
    state = None if position is None else ("closed" if position == 0 else "open")
    return {"state": state, "current_position": position}


def _climate(attrs: Attrs, p: str) -> dict[str, Any]:
    mode = attrs.get(f"{p}{THERMOSTAT}/28")
    heat = units.scaled(attrs.get(f"{p}{THERMOSTAT}/18"), 100)
    cool = units.scaled(attrs.get(f"{p}{THERMOSTAT}/17"), 100)
    hvac = SYSTEM_MODES.get(mode) if isinstance(mode, int) else None
    target = cool if hvac == "cool" else heat
    return {"state": hvac, "current_temperature": units.scaled(
        attrs.get(f"{p}{THERMOSTAT}/0"), 100), "temperature": target,
        "target_temp_low": heat, "target_temp_high": cool, "unit": "°C"}


def _fan(attrs: Attrs, p: str) -> dict[str, Any]:
    mode = attrs.get(f"{p}{FAN}/0")
    percent = units.number(attrs.get(f"{p}{FAN}/3"))
    name = FAN_MODES.get(mode) if isinstance(mode, int) else None
    return {"state": None if name is None else ("off" if name == "off" else "on"),
            "percentage": None if percent is None else int(percent), "fan_mode": name}


def _button(attrs: Attrs, p: str) -> dict[str, Any]:
    position = units.number(attrs.get(f"{p}{SWITCH}/1"))
    return {"state": None if position is None else int(position)}


def _measure(cluster: int, divisor: float, unit: str | None, digits: int = 2) -> Reader:
    def read(attrs: Attrs, p: str) -> dict[str, Any]:
        return {"state": units.scaled(attrs.get(f"{p}{cluster}/0"), divisor, digits),
                "unit": unit}
    return read


def _illuminance(attrs: Attrs, p: str) -> dict[str, Any]:
    return {"state": units.illuminance_lux(attrs.get(f"{p}{ILLUMINANCE}/0")), "unit": "lx"}


def _occupancy(attrs: Attrs, p: str) -> dict[str, Any]:
    value = attrs.get(f"{p}{OCCUPANCY}/0")
    if not isinstance(value, int) or isinstance(value, bool):
        return {"state": None}
    return {"state": "on" if value & 1 else "off"}


def _boolean(contact: bool) -> Reader:
    def read(attrs: Attrs, p: str) -> dict[str, Any]:
        value = attrs.get(f"{p}{BOOLEAN}/0")
        if not isinstance(value, bool):
            return {"state": None}
        on = (not value) if contact else value  # contact: true = closed, "on" = open
        return {"state": "on" if on else "off"}
    return read


def _air_quality(attrs: Attrs, p: str) -> dict[str, Any]:
    value = attrs.get(f"{p}{AIR_QUALITY}/0")
    if isinstance(value, int) and 0 <= value < len(AIR_QUALITY_NAMES):
        return {"state": AIR_QUALITY_NAMES[value]}
    return {"state": None}


def _battery(attrs: Attrs, p: str) -> dict[str, Any]:
    value = units.number(attrs.get(f"{p}{POWER_SOURCE}/12"))
    return {"state": None if value is None else round(value / 2), "unit": "%"}


# -- tools and triggers -------------------------------------------------------------------------

LIGHT_FIELDS = frozenset({"brightness_pct", "brightness", "brightness_step_pct",
                          "brightness_step", "color_temp_kelvin", "hs_color", "rgb_color",
                          "transition"})


def _tools(domain: str, keep: Callable[[Tool], Tool | None] | None = None) -> tuple[Tool, ...]:
    tools = []
    for tool in standard_tools(domain):
        kept = keep(tool) if keep is not None else tool
        if kept is not None:
            tools.append(kept)
    return tuple(tools)


def _light_tools(clusters: frozenset[int], attrs: Attrs, p: str) -> tuple[Tool, ...]:
    allowed = set(LIGHT_FIELDS)
    if LEVEL not in clusters:
        allowed -= {"brightness_pct", "brightness", "brightness_step_pct", "brightness_step"}
    if COLOR not in clusters:
        allowed -= {"color_temp_kelvin", "hs_color", "rgb_color"}
    elif f"{p}{COLOR}/7" not in attrs:
        allowed.discard("color_temp_kelvin")
    elif f"{p}{COLOR}/0" not in attrs:
        allowed -= {"hs_color"}

    def keep(tool: Tool) -> Tool | None:
        if tool.name == "get_state":
            return tool
        props = tool.parameters.get("properties", {})
        params = dict(tool.parameters)
        params["properties"] = {k: v for k, v in props.items() if k in allowed}
        return Tool(tool.name, tool.description, MappingProxyType(params), tool.result,
                    tool.timeout)
    return _tools("light", keep)


def _named(names: tuple[str, ...]) -> Callable[[Tool], Tool | None]:
    return lambda tool: tool if tool.name in names else None


def _triggers(*items: tuple[str, str, str, int]) -> tuple[Trigger, ...]:
    return tuple(Trigger(name=n, description=d, intent=i, priority=pr) for n, d, i, pr in items)


BUTTON_TRIGGERS = _triggers(
    ("initial_press", "The button was pressed.", "{name} pressed", 0),
    ("long_press", "The button is held down.", "{name} held", 0),
    ("short_release", "The button was released after a short press.", "{name} released", 0),
    ("long_release", "The button was released after a long press.",
     "{name} released after holding", 0),
    ("multi_press_ongoing", "A multi-press is going on (payload: count).",
     "{name} pressed repeatedly", 0),
    ("multi_press_complete", "A multi-press ended (payload: count).",
     "{name} pressed {count} times", 0),
)
LOCK_TRIGGERS = _triggers(
    ("jammed", "The lock is jammed.", "{name} in {area} is jammed", 2),
    ("door_open", "The door the lock guards was opened.", "{name} door opened in {area}", 1),
)
MOTION_TRIGGERS = _triggers(("detected", "Occupancy detected.", "motion detected in {area}", 1))
CONTACT_TRIGGERS = _triggers(("opened", "It was opened.", "{name} opened in {area}", 1))


# -- the mapping --------------------------------------------------------------------------------


def _new(ep: Endpoint, name: str, domain: str, key: str, read: Reader, watch: set[int],
         unknown: list[int], *, primary: bool, tools: tuple[Tool, ...] | None = None,
         triggers: tuple[Trigger, ...] = (), device_class: str | None = None,
         unit: str | None = None) -> Entity:
    suffix = "" if primary else f"_{key}"
    attributes: dict[str, Any] = {"matter_node_id": ep.node_id, "matter_endpoint": ep.endpoint,
                                  "matter_device_types": sorted(ep.device_types),
                                  "matter_clusters": sorted(ep.clusters)}
    if unknown:
        attributes["matter_unknown_clusters"] = unknown
    if device_class:
        attributes["device_class"] = device_class
    if unit:
        attributes["unit_of_measurement"] = unit
    return Entity(
        id=f"{domain}.matter_{ep.node_id}_{ep.endpoint}{suffix}", key=key, domain=domain,
        node_id=ep.node_id, endpoint=ep.endpoint,
        name=name if primary else f"{name} {key.replace('_', ' ')}", read=read,
        watch=frozenset(watch), tools=_tools(domain, _named(("get_state",)))
        if tools is None else tools,
        triggers=triggers, attributes=MappingProxyType(attributes))


def map_node(node: Mapping[str, Any]) -> list[Entity]:
    """Every capability the node's endpoints give, in endpoint order."""
    attrs: Attrs = node.get("attributes") or {}
    entities: list[Entity] = []
    for ep in endpoints(node):
        if ep.endpoint == 0 and not (ep.clusters - {BASIC, DESCRIPTOR, POWER_SOURCE} - KNOWN
                                     or ep.clusters & _MEASURES.keys()):
            continue  # the root endpoint: the node's own information
        entities.extend(map_endpoint(node, attrs, ep))
    return entities


_PRIMARY = frozenset({"lock", "cover", "climate", "fan", "light", "switch"})

_MEASURES: dict[int, tuple[str, str, Reader, str | None]] = {
    TEMPERATURE: ("temperature", "temperature", _measure(TEMPERATURE, 100, "°C"), "°C"),
    HUMIDITY: ("humidity", "humidity", _measure(HUMIDITY, 100, "%"), "%"),
    PRESSURE: ("pressure", "pressure", _measure(PRESSURE, 1, "hPa", 1), "hPa"),
    FLOW: ("flow", "volume_flow_rate", _measure(FLOW, 10, "m³/h", 1), "m³/h"),
    ILLUMINANCE: ("illuminance", "illuminance", _illuminance, "lx"),
    CO2: ("carbon_dioxide", "carbon_dioxide", _measure(CO2, 1, "ppm", 1), "ppm"),
}


def map_endpoint(node: Mapping[str, Any], attrs: Attrs, ep: Endpoint) -> list[Entity]:
    cl, types = ep.clusters, ep.device_types
    name = endpoint_name(node, ep)
    unknown = sorted(cl - KNOWN)
    out: list[Entity] = []
    p = f"{ep.endpoint}/"

    def add(domain: str, key: str, read: Reader, watch: set[int], **kw: Any) -> None:
        out.append(_new(ep, name, domain, key, read, watch, unknown,
                        primary=domain in _PRIMARY, **kw))

    if DOOR_LOCK in cl:
        add("lock", "lock", _lock, {DOOR_LOCK},
            tools=_tools("lock", _named(("lock", "unlock", "open", "get_state"))),
            triggers=LOCK_TRIGGERS)
    elif COVER in cl:
        add("cover", "cover", _cover, {COVER}, tools=_tools("cover", _named((
            "open_cover", "close_cover", "stop_cover", "set_cover_position", "get_state"))))
    elif THERMOSTAT in cl:
        add("climate", "climate", _climate, {THERMOSTAT}, tools=_tools("climate", _named((
            "set_temperature", "set_hvac_mode", "get_state"))))
    elif FAN in cl:
        add("fan", "fan", _fan, {FAN}, tools=_tools("fan", _named((
            "turn_on", "turn_off", "set_percentage", "get_state"))))
    elif ON_OFF in cl and (types & LIGHT_TYPES or (COLOR in cl) or
                           (LEVEL in cl and not types)):
        add("light", "light", _light, {ON_OFF, LEVEL, COLOR},
            tools=_light_tools(cl, attrs, p))
    elif ON_OFF in cl:
        add("switch", "switch", _switch, {ON_OFF}, tools=_tools("switch", _named((
            "turn_on", "turn_off", "toggle", "get_state"))))
    if SWITCH in cl:
        add("event", "button", _button, {SWITCH}, triggers=BUTTON_TRIGGERS)
    if BOOLEAN in cl:
        contact = CONTACT_SENSOR in types or not types & {WATER_LEAK}
        add("binary_sensor", "contact" if contact else "leak", _boolean(contact), {BOOLEAN},
            device_class="door" if contact else "moisture",
            triggers=CONTACT_TRIGGERS if contact else ())
    if OCCUPANCY in cl:
        add("binary_sensor", "occupancy", _occupancy, {OCCUPANCY}, device_class="occupancy",
            triggers=MOTION_TRIGGERS)
    for cluster, (key, device_class, read, unit) in _MEASURES.items():
        if cluster in cl:
            add("sensor", key, read, {cluster}, device_class=device_class, unit=unit)
    if AIR_QUALITY in cl:
        add("sensor", "air_quality", _air_quality, {AIR_QUALITY}, device_class="enum")
    if POWER_SOURCE in cl and f"{p}{POWER_SOURCE}/12" in attrs:
        add("sensor", "battery", _battery, {POWER_SOURCE}, device_class="battery", unit="%")
    return out
