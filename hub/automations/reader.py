"""Reading triggers and actions from YAML into frozen values, reporting every problem with
its file:line. Home Assistant features that are not supported are refused by name."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from hub.automations import agentsteps, flow, steps
from hub.automations.conditions import one_or_many, read_condition, read_conditions
from hub.automations.durations import read_duration
from hub.automations.model import TriggerSpec
from hub.automations.platform import load_platform, platform_name
from hub.automations.script import Action
from hub.errors import ConfigError
from hub.located import Located, Problems, Section, as_list, as_mapping, as_text

_SERVICE = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")
_COMMON = ("alias", "enabled", "continue_on_error")
KINDS = ("action", "service", "delay", "wait_template", "wait_for_trigger", "choose", "if",
         "repeat", "parallel", "sequence", "variables", "stop", "event", "condition", "agent",
         "intent")
_REFUSED = {
    "scene": "activating a scene is not supported; call the capabilities' tools instead",
    "device_id": "device actions are not supported; call the capability's tool "
                 "(action: light.turn_on with target: entity_id)",
    "set_conversation_response": "set_conversation_response is not supported (no "
                                 "conversation agent yet)",
}
_REFUSED_TARGETS = {
    "device_id": "targets by device_id are not supported; use entity_id (the capability id)",
    "floor_id": "targets by floor_id are not supported; use entity_id or area_id",
    "label_id": "targets by label_id are not supported; use entity_id or area_id",
}


def read_triggers(node: Located | None, problems: Problems) -> tuple[TriggerSpec, ...]:
    specs = []
    for idx, item in enumerate(one_or_many(node, problems) if node is not None else ()):
        spec = read_trigger(item, idx, problems)
        if spec is not None:
            specs.append(spec)
    return tuple(specs)


def read_trigger(node: Located, idx: int, problems: Problems) -> TriggerSpec | None:
    named = platform_name(node, problems)
    if named is None:
        return None
    name, name_node = named
    try:
        module = load_platform(name, name_node.where)
        config = module.validate(node)
    except ConfigError as exc:
        problems.add_error(exc)
        return None
    trigger_id = node.get("id")
    enabled = node.get("enabled")
    variables = node.get("variables")
    if variables is not None:
        as_mapping(variables, problems)
    return TriggerSpec(
        platform=name, module=module, config=config,
        id=str(trigger_id.value) if trigger_id is not None else str(idx), idx=idx,
        where=node.where, enabled=enabled is None or enabled.value is not False,
        variables=variables.plain() or {} if variables is not None else {},
    )


def read_actions(node: Located | None, problems: Problems) -> tuple[Action, ...]:
    if node is None:
        return ()
    return tuple(read_action(item, problems) for item in one_or_many(node, problems))


def _common(node: Located, problems: Problems) -> dict[str, Any]:
    common: dict[str, Any] = {}
    for key in _COMMON:
        child = node.get(key)
        if child is None:
            continue
        if key == "alias":
            common[key] = str(child.value)
        elif isinstance(child.value, bool):
            common[key] = child.value
        else:
            problems.add(child, f"expected true or false, got {child.describe()}")
    return common


def read_action(node: Located, problems: Problems) -> Action:
    if not node.is_mapping:
        problems.add(node, f"an action must be a mapping, got {node.describe()}")
        return flow.Sequence(steps=())
    for key, message in _REFUSED.items():
        if key in node:
            problems.add(node.get(key) or node, message, at_key=True)
            return flow.Sequence(steps=())
    kind = next((k for k in KINDS if k in node), None)
    if kind is None:
        keys = ", ".join(node.keys()) or "nothing"
        problems.add(node, f"unknown action (it has {keys}); an action is one of: "
                           + ", ".join(KINDS))
        return flow.Sequence(steps=())
    common = _common(node, problems)
    reader = _READERS[kind]
    action: Action = reader(node, problems, common)
    return action


def _call(node: Located, problems: Problems, common: dict[str, Any]) -> Action:
    section = Section(node, problems, (*_COMMON, "action", "service", "target", "data",
                                       "data_template", "entity_id", "response_variable",
                                       "metadata"))
    name_node = section.get("action") or section.get("service")
    name = as_text(name_node, problems) if name_node is not None else None
    if name is None or not _SERVICE.match(name):
        if name is not None:
            problems.add(name_node or node, f"expected domain.service such as light.turn_on, "
                                            f"got {name!r}")
        return flow.Sequence(steps=())
    domain, service = name.split(".")
    target: dict[str, Any] = {}
    target_node = section.get("target")
    if target_node is not None and as_mapping(target_node, problems):
        Section(target_node, problems, ("entity_id", "area_id", *_REFUSED_TARGETS))
        for key, message in _REFUSED_TARGETS.items():
            if key in target_node:
                problems.add(target_node[key], message, at_key=True)
        target = {k: v for k, v in target_node.plain().items() if k in ("entity_id", "area_id")}
    entity = section.get("entity_id")
    if entity is not None:
        target.setdefault("entity_id", entity.plain())
    data_node = section.get("data") or section.get("data_template")
    data: Mapping[str, Any] = {}
    if data_node is not None and as_mapping(data_node, problems):
        data = data_node.plain() or {}
    if domain == "mqtt" and service == "publish" and "topic" not in data:
        problems.add(node, "mqtt.publish needs data: {topic: ..., payload: ...}")
    response = section.optional_text("response_variable")
    return steps.CallService(domain=domain, service=service, target=target, data=data,
                             response_variable=response, **common)


def _delay(node: Located, problems: Problems, common: dict[str, Any]) -> Action:
    Section(node, problems, (*_COMMON, "delay"))
    duration = read_duration(node["delay"], problems, template=True)
    return steps.Delay(duration=duration if duration is not None else 0, **common)


def _timeout(section: Section) -> Any:
    node = section.get("timeout")
    return read_duration(node, section.problems, template=True) if node is not None else None


def _wait_template(node: Located, problems: Problems, common: dict[str, Any]) -> Action:
    section = Section(node, problems, (*_COMMON, "wait_template", "timeout",
                                       "continue_on_timeout"))
    return steps.WaitTemplate(source=section.text("wait_template", ""),
                              timeout=_timeout(section),
                              continue_on_timeout=section.flag("continue_on_timeout", True),
                              **common)


def _wait_for_trigger(node: Located, problems: Problems, common: dict[str, Any]) -> Action:
    section = Section(node, problems, (*_COMMON, "wait_for_trigger", "timeout",
                                       "continue_on_timeout"))
    return steps.WaitForTrigger(triggers=read_triggers(node["wait_for_trigger"], problems),
                                timeout=_timeout(section),
                                continue_on_timeout=section.flag("continue_on_timeout", True),
                                **common)


def _conditions(section: Section, key: str) -> Any:
    return read_conditions(section.get(key), section.problems)


def _choose(node: Located, problems: Problems, common: dict[str, Any]) -> Action:
    section = Section(node, problems, (*_COMMON, "choose", "default"))
    options = []
    for option in as_list(node["choose"], problems):
        option_section = Section(option, problems, ("conditions", "sequence", "alias"))
        options.append(flow.Option(_conditions(option_section, "conditions"),
                                   read_actions(option_section.get("sequence"), problems)))
    return flow.Choose(options=tuple(options), default=read_actions(section.get("default"),
                                                                    problems), **common)


def _if(node: Located, problems: Problems, common: dict[str, Any]) -> Action:
    section = Section(node, problems, (*_COMMON, "if", "then", "else"))
    if section.get("then") is None:
        problems.add(node, "'if' needs 'then'")
    return flow.If(conditions=_conditions(section, "if"),
                   then=read_actions(section.get("then"), problems),
                   otherwise=read_actions(section.get("else"), problems), **common)


def _repeat(node: Located, problems: Problems, common: dict[str, Any]) -> Action:
    Section(node, problems, (*_COMMON, "repeat"))
    section = Section(node["repeat"], problems, ("count", "while", "until", "for_each",
                                                 "sequence"))
    kinds = [k for k in ("count", "while", "until", "for_each") if section.get(k) is not None]
    if len(kinds) != 1:
        problems.add(node["repeat"], "repeat needs exactly one of count, while, until, "
                                     "for_each")
        kinds = ["count"]
    kind = kinds[0]
    value = section.get(kind)
    return flow.Repeat(
        sequence=read_actions(section.get("sequence"), problems), kind=kind,
        count=value.plain() if kind == "count" and value is not None else None,
        while_=_conditions(section, "while") if kind == "while" else (),
        until=_conditions(section, "until") if kind == "until" else (),
        for_each=value.plain() if kind == "for_each" and value is not None else None,
        **common)


def _parallel(node: Located, problems: Problems, common: dict[str, Any]) -> Action:
    Section(node, problems, (*_COMMON, "parallel"))
    branches = []
    for item in as_list(node["parallel"], problems):
        if item.is_mapping and "sequence" in item and len(item) == 1:
            branches.append(read_actions(item["sequence"], problems))
        else:
            branches.append((read_action(item, problems),))
    return flow.Parallel(branches=tuple(branches), **common)


def _sequence(node: Located, problems: Problems, common: dict[str, Any]) -> Action:
    Section(node, problems, (*_COMMON, "sequence"))
    return flow.Sequence(steps=read_actions(node["sequence"], problems), **common)


def _variables(node: Located, problems: Problems, common: dict[str, Any]) -> Action:
    Section(node, problems, (*_COMMON, "variables"))
    values = node["variables"]
    as_mapping(values, problems)
    return steps.SetVariables(values=values.plain() or {}, **common)


def _stop(node: Located, problems: Problems, common: dict[str, Any]) -> Action:
    section = Section(node, problems, (*_COMMON, "stop", "error", "response_variable"))
    return steps.Stop(reason=str(node["stop"].value or ""), error=section.flag("error", False),
                      response_variable=section.optional_text("response_variable"), **common)


def _event(node: Located, problems: Problems, common: dict[str, Any]) -> Action:
    section = Section(node, problems, (*_COMMON, "event", "event_data", "event_data_template"))
    data = section.get("event_data") or section.get("event_data_template")
    if data is not None:
        as_mapping(data, problems)
    return steps.FireEvent(event_type=section.text("event", ""),
                           event_data=(data.plain() or {}) if data is not None else {},
                           **common)


def _condition(node: Located, problems: Problems, common: dict[str, Any]) -> Action:
    return steps.Check(condition=read_condition(node, problems),
                       alias=common.get("alias", ""), enabled=common.get("enabled", True))


def _agent(node: Located, problems: Problems, common: dict[str, Any]) -> Action:
    section = Section(node, problems, (*_COMMON, "agent", "text", "event",
                                       "response_variable"))
    agent = section.text("agent", "")
    if agent and "{" not in agent and not agent.startswith("agent."):
        problems.add(node["agent"], f"expected an agent id such as agent.doorman, got {agent!r}")
    event = section.get("event")
    if event is not None and not event.is_mapping and not isinstance(event.value, str):
        problems.add(event, f"event must be a mapping or a template, got {event.describe()}")
    return agentsteps.AskAgent(agent=agent, text=section.text("text", ""),
                               event=event.plain() if event is not None else None,
                               response_variable=section.optional_text("response_variable"),
                               **common)


def _intent(node: Located, problems: Problems, common: dict[str, Any]) -> Action:
    section = Section(node, problems, (*_COMMON, "intent", "area", "min_score"))
    area = section.get("area")
    return agentsteps.CallIntent(text=section.text("intent", ""),
                                 area=area.plain() if area is not None else None,
                                 min_score=section.number("min_score", 0.0, low=0, high=1),
                                 **common)


_READERS: dict[str, Callable[[Located, Problems, dict[str, Any]], Action]] = {
    "action": _call, "service": _call, "delay": _delay, "wait_template": _wait_template,
    "wait_for_trigger": _wait_for_trigger, "choose": _choose, "if": _if, "repeat": _repeat,
    "parallel": _parallel, "sequence": _sequence, "variables": _variables, "stop": _stop,
    "event": _event, "condition": _condition, "agent": _agent, "intent": _intent,
}
