"""The capability format: one YAML (or JSON) shape for every capability.

A user declares capabilities in it, an integration describes what it discovered in it, and
another hub advertises its capabilities in it (as JSON). A file is a list of entries, or a
mapping with a ``capabilities:`` (or ``devices:``) list and an optional default ``node:``.
docs/capabilities.md describes every field; in short:

    - id: light.kitchen_ceiling      # [a-z0-9_-] segments joined by '.' or '/'
      type: light                    # a Home Assistant domain or an AI kind (llm/chat)
      name: Kitchen ceiling
      area: kitchen                  # tools: light's standard tools, from hub.domains

`parse_capabilities` reads positioned YAML and reports problems with ``file:line:col``;
`capability_to_dict` / `capability_from_dict` carry capabilities as trusted JSON (store,
HTTP API, mesh) and round-trip exactly.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from hub.domains import KNOWN_TYPES, is_device_domain, standard_tool, standard_tools
from hub.errors import PayloadError
from hub.located import (
    Located,
    Problems,
    Section,
    as_bool,
    as_list,
    as_mapping,
    as_number,
    as_text,
    did_you_mean,
    load_yaml,
)
from hub.model import Capability, NodeId, Tool, Trigger

ID_PATTERN = re.compile(r"^[a-z0-9_-]+(?:[./][a-z0-9_-]+)*$")
TYPE_PATTERN = re.compile(r"^[a-z0-9_]+(?:/[a-z0-9_]+)*$")
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_ID_LENGTH = 200

ENTRY_KEYS = (
    "id", "type", "name", "aliases", "area", "description", "tools", "triggers",
    "attributes", "node", "state", "available", "reason", "load",
    *("floor", "device_class", "device"),
)  # fmt: skip
HA_KEYS = ("floor", "device_class", "device")
"""Home Assistant's entity keys, kept as attributes of the same name (the model has no
fields for them: only routing and the UI read them)."""
TOOL_KEYS = ("name", "description", "parameters", "result", "timeout")
TRIGGER_KEYS = ("name", "description", "intent", "payload", "priority", "throttle")
FILE_KEYS = ("capabilities", "devices", "node")
NO_NODE = NodeId("")
"""The node of capabilities whose node the caller fills in later (e.g. the runtime)."""
_EMPTY_OBJECT = MappingProxyType({"type": "object", "properties": MappingProxyType({})})


# -- reading the YAML format ----------------------------------------------------------------


def load_capability_file(
    path: Path, *, node: NodeId = NO_NODE, source: str = "file"
) -> tuple[Capability, ...]:
    """Read a capability file; ConfigError lists every problem with ``file:line:col``."""
    problems = Problems()
    raw = load_yaml(path, problems=problems)
    capabilities = read_capabilities(raw, problems, node_id=node, source=source)
    problems.raise_if_any()
    return capabilities


def parse_capabilities(
    raw: Located, *, node: NodeId = NO_NODE, source: str = ""
) -> tuple[Capability, ...]:
    """Capabilities from positioned YAML (a list, or ``capabilities:``/``devices:``)."""
    problems = Problems()
    capabilities = read_capabilities(raw, problems, node_id=node, source=source)
    problems.raise_if_any()
    return capabilities


def read_capabilities(
    raw: Located, problems: Problems, *, node_id: NodeId, source: str
) -> tuple[Capability, ...]:
    """Like `parse_capabilities`, but problems are collected in `problems`."""
    entries = raw
    if raw.is_mapping:
        section = Section(raw, problems, FILE_KEYS)
        both = [key for key in ("capabilities", "devices") if key in raw]
        if len(both) == 2:
            problems.add(raw["devices"], "give 'capabilities' or 'devices', not both", at_key=True)
        file_node = section.optional_text("node")
        node_id = NodeId(file_node) if file_node is not None else node_id
        listed = section.get(both[0]) if both else None
        if listed is None:
            return ()
        entries = listed
    elif not raw.is_sequence and not raw.is_null:
        problems.add(
            raw,
            f"expected a list of capabilities, or 'capabilities:' with one, got {raw.describe()}",
        )
        return ()
    result: list[Capability] = []
    seen: dict[str, Located] = {}
    for entry in as_list(entries, problems):
        capability = _entry(entry, problems, node_id, source)
        # duplicates are looked for even among entries with other problems
        id_node = entry.get("id")
        if id_node is not None and isinstance(id_node.value, str):
            first = seen.get(id_node.value)
            if first is not None:
                problems.add(id_node, f"duplicate id '{id_node.value}' (first at {first.where})")
                continue
            seen[id_node.value] = id_node
        if capability is not None:
            result.append(capability)
    return tuple(result)


def _entry(entry: Located, problems: Problems, node_id: NodeId, source: str) -> Capability | None:
    if not entry.is_mapping:
        problems.add(
            entry, f"expected a capability (a mapping with id and type), got {entry.describe()}"
        )
        return None
    section = Section(entry, problems, ENTRY_KEYS)
    before = len(problems)
    cap_id = _required_text(entry, "id", problems)
    cap_type = _required_text(entry, "type", problems)
    if cap_id is not None and (len(cap_id) > MAX_ID_LENGTH or not ID_PATTERN.match(cap_id)):
        problems.add(
            entry["id"],
            f"'{cap_id}' is not a valid id: use lowercase letters, "
            "digits, '_' and '-', in parts joined by '.' or '/', e.g. "
            "'light.kitchen_ceiling'",
        )
        cap_id = None
    if cap_type is not None and not TYPE_PATTERN.match(cap_type):
        problems.add(
            entry["type"],
            f"'{cap_type}' is not a valid type: a Home Assistant "
            "domain such as 'light', or an AI kind such as 'llm/chat'",
        )
        cap_type = None
    tools = _tools(section.get("tools"), cap_type, problems) if cap_type else ()
    triggers = _triggers(section.get("triggers"), problems)
    if cap_type is not None and cap_type not in KNOWN_TYPES and not tools and not triggers:
        close = did_you_mean(cap_type, sorted(KNOWN_TYPES))
        hint = f"did you mean '{close}'? Otherwise, a" if close else "A"
        problems.add(
            entry["type"],
            f"unknown type '{cap_type}'; {hint} capability of a type "
            "of its own must declare its tools or triggers",
        )
    aliases = section.texts("aliases")
    name = section.text("name", "", allow_empty=True)
    area = section.text("area", "", allow_empty=True)
    description = section.text("description", "", allow_empty=True)
    entry_node = section.optional_text("node")
    attributes = _attributes(section.get("attributes"), problems)
    extra = {key: value for key in HA_KEYS if (value := section.optional_text(key)) is not None}
    if extra:
        attributes = MappingProxyType({**attributes, **extra})
    state = _state(section.get("state"), problems)
    available = section.flag("available", True)
    reason = section.text("reason", "", allow_empty=True)
    load = section.number("load", 0.0, low=0.0, high=1.0)
    if cap_id is None or cap_type is None or len(problems) > before:
        return None
    return Capability(
        id=cap_id,
        type=cap_type,
        name=name or _name_from_id(cap_id),
        node=NodeId(entry_node) if entry_node is not None else node_id,
        area=area,
        description=description,
        aliases=aliases,
        tools=tools,
        triggers=triggers,
        attributes=attributes,
        state=state,
        available=available,
        load=load,
        source=source,
        reason=reason,
    )


def _required_text(entry: Located, key: str, problems: Problems) -> str | None:
    child = entry.get(key)
    if child is None or child.is_null:
        problems.add(entry, f"'{key}' is required")
        return None
    return as_text(child, problems)


def _name_from_id(cap_id: str) -> str:
    """``light.kitchen_ceiling`` -> ``Kitchen ceiling``: a name to say when none is given."""
    words = re.split(r"[./]", cap_id)[-1].replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


def _tools(node: Located | None, cap_type: str, problems: Problems) -> tuple[Tool, ...]:
    if node is None:
        return standard_tools(cap_type)
    tools: list[Tool] = []
    seen: set[str] = set()
    for item in as_list(node, problems):
        tool = _tool(item, cap_type, problems)
        if tool is None:
            continue
        if tool.name in seen:
            problems.add(item, f"tool '{tool.name}' is listed twice")
            continue
        seen.add(tool.name)
        tools.append(tool)
    if is_device_domain(cap_type) and "get_state" not in seen:
        get_state = standard_tool(cap_type, "get_state")
        if get_state is not None:  # every device domain has it; be explicit for the reader
            tools.append(get_state)
    return tuple(tools)


def _tool(item: Located, cap_type: str, problems: Problems) -> Tool | None:
    """A tool: a standard tool's name, or a mapping (starting from the standard tool)."""
    if isinstance(item.value, str):
        tool = standard_tool(cap_type, item.value)
        if tool is None:
            known = ", ".join(t.name for t in standard_tools(cap_type)) or "none"
            problems.add(
                item,
                f"'{item.value}' is not a standard tool of '{cap_type}' "
                f"(standard: {known}); describe it with name, description "
                "and parameters",
            )
        return tool
    if not item.is_mapping:
        problems.add(item, f"expected a tool name or a mapping, got {item.describe()}")
        return None
    before = len(problems)
    section = Section(item, problems, TOOL_KEYS)
    name = _required_name(item, "tool", problems)
    base = standard_tool(cap_type, name) if name else None
    description = section.text("description", base.description if base else "", allow_empty=True)
    parameters = _schema(section.get("parameters"), problems, object_schema=True)
    result = _schema(section.get("result"), problems, object_schema=False)
    timeout = section.number("timeout", base.timeout if base else 10.0, low=0.0, low_open=True)
    if name is None or len(problems) > before:
        return None
    return Tool(
        name=name,
        description=description,
        parameters=parameters
        if parameters is not None
        else (base.parameters if base else _EMPTY_OBJECT),
        result=result if result is not None else (base.result if base else MappingProxyType({})),
        timeout=timeout,
    )


def _schema(
    node: Located | None, problems: Problems, *, object_schema: bool
) -> Mapping[str, Any] | None:
    """A JSON Schema, checked for the mistakes that make it useless to a caller."""
    if node is None:
        return None
    if not node.is_mapping:
        problems.add(node, f"expected a JSON Schema (a mapping), got {node.describe()}")
        return None
    schema = node.plain()
    if object_schema:
        if schema.get("type", "object") != "object":
            problems.add(node["type"], "parameters must be an object schema (type: object)")
            return None
        properties = node.get("properties")
        if properties is not None and not properties.is_mapping:
            problems.add(
                properties, f"expected a mapping of parameter schemas, got {properties.describe()}"
            )
            return None
        required = node.get("required")
        names = set(properties.keys()) if properties is not None else set()
        for item in as_list(required, problems) if required is not None else ():
            if not isinstance(item.value, str) or (
                properties is not None and item.value not in names
            ):
                problems.add(
                    item,
                    f"required parameter {item.describe()} is not among "
                    f"the properties ({', '.join(sorted(names)) or 'none'})",
                )
        schema = {"type": "object", "properties": {}, **schema}
    frozen: Mapping[str, Any] = freeze(schema)
    return frozen


def _triggers(node: Located | None, problems: Problems) -> tuple[Trigger, ...]:
    if node is None:
        return ()
    triggers: list[Trigger] = []
    seen: set[str] = set()
    for item in as_list(node, problems):
        trigger = _trigger(item, problems)
        if trigger is None:
            continue
        if trigger.name in seen:
            problems.add(item, f"trigger '{trigger.name}' is listed twice")
            continue
        seen.add(trigger.name)
        triggers.append(trigger)
    return tuple(triggers)


def _required_name(item: Located, kind: str, problems: Problems) -> str | None:
    """The entry's `name`, reported when missing or not a valid tool/trigger name."""
    name = _required_text(item, "name", problems)
    if name is not None and not NAME_PATTERN.match(name):
        problems.add(
            item["name"],
            f"'{name}' is not a valid {kind} name: use lowercase "
            "letters, digits and '_', starting with a letter",
        )
    return name


def _trigger(item: Located, problems: Problems) -> Trigger | None:
    if not item.is_mapping:
        problems.add(item, f"expected a trigger (a mapping with a name), got {item.describe()}")
        return None
    before = len(problems)
    section = Section(item, problems, TRIGGER_KEYS)
    name = _required_name(item, "trigger", problems)
    intent = section.text("intent", "", allow_empty=True)
    intent_node = section.get("intent")
    if intent and intent_node is not None:
        try:
            list(string.Formatter().parse(intent))
        except ValueError as exc:
            problems.add(
                intent_node,
                f"invalid intent template: {exc} (write placeholders "
                "as {area}; '{{' for a literal brace)",
            )
    description = section.text("description", "", allow_empty=True)
    payload = _schema(section.get("payload"), problems, object_schema=False)
    priority = section.integer("priority", 0)
    throttle = section.number("throttle", 0.0, low=0.0)
    if name is None or len(problems) > before:
        return None
    return Trigger(
        name=name,
        description=description,
        intent=intent,
        payload=payload if payload is not None else MappingProxyType({}),
        priority=priority,
        throttle=throttle,
    )


def _attributes(node: Located | None, problems: Problems) -> Mapping[str, Any]:
    attributes = _plain_mapping(node, problems)
    if node is None:
        return attributes
    for key in ("gpu", "local_only"):
        if key in node:
            as_bool(node[key], problems)
    if "cost" in node:
        as_number(node["cost"], problems, low=0.0)
    if "residency" in node:
        as_text(node["residency"], problems)
    return attributes


def _state(node: Located | None, problems: Problems) -> Mapping[str, Any]:
    """A state mapping, or Home Assistant's plain state value ("on", 21.5) as ``{"state": v}``."""
    if node is not None and not (node.is_mapping or node.is_null or node.is_sequence):
        return MappingProxyType({"state": node.plain()})
    return _plain_mapping(node, problems)


def _plain_mapping(node: Located | None, problems: Problems) -> Mapping[str, Any]:
    if node is None or node.is_null or not as_mapping(node, problems):
        return MappingProxyType({})
    frozen: Mapping[str, Any] = freeze(node.plain())
    return frozen


# -- trusted JSON ---------------------------------------------------------------------------


def freeze(value: Any) -> Any:
    """JSON data with read-only mappings (MappingProxyType) at every depth.

    Lists stay lists, so that values compare equal to the JSON they came from and to
    states set with `Capability.with_state`.
    """
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return [freeze(v) for v in value]
    return value


def thaw(value: Any) -> Any:
    """The inverse of `freeze`: dicts and lists that json can write."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw(v) for v in value]
    return value


def tool_to_dict(tool: Tool) -> dict[str, Any]:
    return {
        "name": tool.name,
        "description": tool.description,
        "parameters": thaw(tool.parameters),
        "result": thaw(tool.result),
        "timeout": tool.timeout,
    }


def trigger_to_dict(trigger: Trigger) -> dict[str, Any]:
    return {
        "name": trigger.name,
        "description": trigger.description,
        "intent": trigger.intent,
        "payload": thaw(trigger.payload),
        "priority": trigger.priority,
        "throttle": trigger.throttle,
    }


def capability_to_dict(cap: Capability) -> dict[str, Any]:
    """Every field of a capability as JSON-ready data (tools always written out)."""
    return {
        "id": cap.id,
        "type": cap.type,
        "name": cap.name,
        "node": str(cap.node),
        "area": cap.area,
        "description": cap.description,
        "aliases": list(cap.aliases),
        "tools": [tool_to_dict(tool) for tool in cap.tools],
        "triggers": [trigger_to_dict(trigger) for trigger in cap.triggers],
        "attributes": thaw(cap.attributes),
        "state": thaw(cap.state),
        "available": cap.available,
        "load": cap.load,
        "source": cap.source,
        "reason": cap.reason,
    }


def capability_from_dict(d: Mapping[str, Any]) -> Capability:
    """A capability from trusted JSON (what `capability_to_dict` wrote).

    Only the shape is checked; a missing ``tools`` means the type's standard tools, as in
    YAML. Raises PayloadError naming the field when the shape is wrong.
    """
    try:
        cap_type = str(d["type"])
        tools = d.get("tools")
        return Capability(
            id=str(d["id"]),
            type=cap_type,
            name=str(d.get("name", "")),
            node=NodeId(str(d.get("node", ""))),
            area=str(d.get("area", "")),
            description=str(d.get("description", "")),
            aliases=tuple(str(a) for a in d.get("aliases", ())),
            tools=standard_tools(cap_type)
            if tools is None
            else tuple(_tool_from_dict(t, cap_type) for t in tools),
            triggers=tuple(_trigger_from_dict(t) for t in d.get("triggers", ())),
            attributes=_frozen_mapping(d.get("attributes")),
            state=_frozen_mapping(d.get("state")),
            available=bool(d.get("available", True)),
            load=float(d.get("load", 0.0)),
            source=str(d.get("source", "")),
            reason=str(d.get("reason", "")),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        ident = d.get("id", "?") if isinstance(d, Mapping) else "?"
        raise PayloadError(f"capability {ident}: malformed ({type(exc).__name__}: {exc})") from exc


def _tool_from_dict(t: Any, cap_type: str) -> Tool:
    if isinstance(t, str):
        tool = standard_tool(cap_type, t)
        if tool is None:
            raise ValueError(f"'{t}' is not a standard tool of '{cap_type}'")
        return tool
    return Tool(
        name=str(t["name"]),
        description=str(t.get("description", "")),
        parameters=freeze(t.get("parameters") or _EMPTY_OBJECT),
        result=_frozen_mapping(t.get("result")),
        timeout=float(t.get("timeout", 10.0)),
    )


def _trigger_from_dict(t: Mapping[str, Any]) -> Trigger:
    return Trigger(
        name=str(t["name"]),
        description=str(t.get("description", "")),
        intent=str(t.get("intent", "")),
        payload=_frozen_mapping(t.get("payload")),
        priority=int(t.get("priority", 0)),
        throttle=float(t.get("throttle", 0.0)),
    )


def _frozen_mapping(value: Any) -> Mapping[str, Any]:
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, Mapping):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    frozen: Mapping[str, Any] = freeze(value)
    return frozen
