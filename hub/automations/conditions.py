"""Conditions: state, numeric_state, template (and the bare template string), time,
trigger, and/or/not. Read at load into frozen values (`read_condition`), tested at run
time against a `Scope`. Home Assistant's others (sun, zone, device) are refused by name."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any, Protocol

from hub.automations.durations import is_template, read_duration
from hub.automations.helpers import ha_attributes, ha_state
from hub.automations.templating import Renderer
from hub.clock import Clock
from hub.located import Located, Problems, Section, as_list, as_text
from hub.registry import Registry

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_REFUSED = {
    "sun": "the sun condition is not supported (no location is configured)",
    "zone": "the zone condition is not supported (there are no zones)",
    "device": "device conditions are not supported; use a state condition on the capability",
}
KINDS = ("state", "numeric_state", "template", "time", "trigger", "and", "or", "not")


class Scope(Protocol):
    registry: Registry
    renderer: Renderer
    clock: Clock
    variables: dict[str, Any]

    def since_change(self, capability_id: str) -> float | None: ...


class Condition:
    def test(self, scope: Scope) -> bool:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Always(Condition):
    """A disabled condition (``enabled: false``): it passes, as in Home Assistant."""

    def test(self, scope: Scope) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class StateIs(Condition):
    entity_ids: tuple[str, ...]
    states: tuple[str, ...]
    attribute: str | None
    hold: float
    match_any: bool

    def test(self, scope: Scope) -> bool:
        results = (self._one(scope, e) for e in self.entity_ids)
        return any(results) if self.match_any else all(results)

    def _one(self, scope: Scope, entity_id: str) -> bool:
        capability = scope.registry.find(entity_id)
        if capability is None:
            return False
        if self.attribute is not None:
            value = ha_attributes(capability).get(self.attribute)
            ok = value is not None and _text(value) in self.states
        else:
            ok = ha_state(capability) in self.states
        if ok and self.hold:
            since = scope.since_change(entity_id)
            ok = since is not None and since >= self.hold
        return ok


@dataclass(frozen=True, slots=True)
class NumericState(Condition):
    entity_ids: tuple[str, ...]
    above: float | str | None
    below: float | str | None
    attribute: str | None
    value_template: str | None

    def test(self, scope: Scope) -> bool:
        return all(self._one(scope, e) for e in self.entity_ids)

    def _one(self, scope: Scope, entity_id: str) -> bool:
        capability = scope.registry.find(entity_id)
        if capability is None:
            return False
        if self.attribute is not None:
            raw: Any = ha_attributes(capability).get(self.attribute)
        else:
            raw = ha_state(capability)
        if self.value_template is not None:
            from hub.automations.helpers import state_dict

            state = state_dict(capability.id, capability.state, capability.available,
                               capability.name)
            raw = scope.renderer.text(self.value_template, {**scope.variables, "state": state})
        return numeric_between(raw, _limit(scope, self.above), _limit(scope, self.below))


def _limit(scope: Scope, limit: float | str | None) -> float | None:
    if limit is None or isinstance(limit, float):
        return limit
    capability = scope.registry.find(limit)
    state: Any = capability.state.get("state") if capability is not None else None
    try:
        return float(state) if state is not None else None
    except (TypeError, ValueError):
        return None


def numeric_between(raw: Any, above: float | None, below: float | None) -> bool:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return False
    return (above is None or value > above) and (below is None or value < below)


@dataclass(frozen=True, slots=True)
class TemplateTrue(Condition):
    source: str

    def test(self, scope: Scope) -> bool:
        return scope.renderer.truth(self.source, scope.variables)


@dataclass(frozen=True, slots=True)
class TimeWindow(Condition):
    after: time | None
    before: time | None
    weekdays: tuple[int, ...]

    def test(self, scope: Scope) -> bool:
        now = scope.clock.now().astimezone()
        if self.weekdays and now.weekday() not in self.weekdays:
            return False
        current = now.time().replace(tzinfo=None)
        after, before = self.after or time(0), self.before or time(23, 59, 59, 999999)
        if after <= before:
            return after <= current < before if self.before else after <= current
        return current >= after or current < before  # across midnight


@dataclass(frozen=True, slots=True)
class TriggerId(Condition):
    ids: tuple[str, ...]

    def test(self, scope: Scope) -> bool:
        trigger = scope.variables.get("trigger")
        return isinstance(trigger, Mapping) and str(trigger.get("id")) in self.ids


@dataclass(frozen=True, slots=True)
class Combined(Condition):
    kind: str
    conditions: tuple[Condition, ...]

    def test(self, scope: Scope) -> bool:
        if self.kind == "and":
            return all(c.test(scope) for c in self.conditions)
        if self.kind == "or":
            return any(c.test(scope) for c in self.conditions)
        return not any(c.test(scope) for c in self.conditions)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def parse_time(text: str) -> time:
    return time.fromisoformat(text.strip() if len(text.strip()) != 4 else "0" + text.strip())


def one_or_many(node: Located, problems: Problems) -> tuple[Located, ...]:
    """A list's items; a single mapping counts as a list of one (Home Assistant allows
    ``trigger: {platform: ...}`` as well as a list)."""
    if node.is_mapping:
        return (node,)
    return as_list(node, problems)


def read_conditions(node: Located | None, problems: Problems) -> tuple[Condition, ...]:
    if node is None:
        return ()
    return tuple(read_condition(item, problems) for item in one_or_many(node, problems))


def read_condition(node: Located, problems: Problems) -> Condition:
    if isinstance(node.value, str):
        if not is_template(node.value):
            problems.add(node, "a condition written as text must be a template ({{ ... }})")
        return TemplateTrue(node.value)
    if not node.is_mapping:
        problems.add(node, f"a condition must be a mapping, got {node.describe()}")
        return Always()
    for short in ("and", "or", "not"):
        if short in node and "condition" not in node:  # `- or: [...]` shorthand
            Section(node, problems, (short, "alias", "enabled"))
            return Combined(short, read_conditions(node.get(short), problems))
    kind_node = node.get("condition")
    if kind_node is None or not isinstance(kind_node.value, str):
        problems.add(node, "a condition needs 'condition:' (one of: " + ", ".join(KINDS) + ")")
        return Always()
    kind = kind_node.value
    if kind in _REFUSED:
        problems.add(kind_node, _REFUSED[kind])
        return Always()
    reader = _READERS.get(kind)
    if reader is None:
        problems.add(kind_node, f"unknown condition '{kind}'; known: {', '.join(KINDS)}")
        return Always()
    enabled = node.get("enabled")
    condition = reader(node, problems)
    if enabled is not None and enabled.value is False:
        return Always()
    return condition


_COMMON = ("condition", "alias", "enabled")


def _entity_ids(section: Section, key: str = "entity_id") -> tuple[str, ...]:
    ids = section.texts(key)
    if not ids:
        node = section.node
        if node is not None:
            section.problems.add(node, f"'{key}' is required")
    return ids


def _state(node: Located, problems: Problems) -> Condition:
    section = Section(node, problems, (*_COMMON, "entity_id", "state", "attribute", "for",
                                       "match"))
    states = section.get("state")
    if states is None:
        problems.add(node, "'state' is required")
    wanted = tuple(_text(s.value) for s in as_list(states, problems)) if states else ()
    hold = section.get("for")
    seconds = read_duration(hold, problems) if hold is not None else 0.0
    match = section.text("match", "all")
    if match not in ("all", "any"):
        problems.add(section.get("match") or node, "match: expected all or any")
    return StateIs(_entity_ids(section), wanted, section.optional_text("attribute"),
                   seconds or 0.0, match == "any")


def limit(section: Section, key: str) -> float | str | None:
    node = section.get(key)
    if node is None:
        return None
    if isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node.value, str) and "." in node.value and not is_template(node.value):
        return node.value  # another capability's state, as Home Assistant allows
    problems = section.problems
    problems.add(node, f"{key}: expected a number or a capability id, got {node.describe()}")
    return None


def _numeric(node: Located, problems: Problems) -> Condition:
    section = Section(node, problems, (*_COMMON, "entity_id", "above", "below", "attribute",
                                       "value_template"))
    above, below = limit(section, "above"), limit(section, "below")
    if above is None and below is None:
        problems.add(node, "numeric_state needs 'above', 'below' or both")
    if isinstance(above, float) and isinstance(below, float) and above >= below:
        problems.add(node, f"'above' ({above:g}) must be less than 'below' ({below:g}): a "
                           "value can never be above and below those at once")
    return NumericState(_entity_ids(section), above, below, section.optional_text("attribute"),
                        section.optional_text("value_template"))


def _template(node: Located, problems: Problems) -> Condition:
    section = Section(node, problems, (*_COMMON, "value_template"))
    source = section.get("value_template")
    if source is None:
        problems.add(node, "'value_template' is required")
        return Always()
    return TemplateTrue(as_text(source, problems) or "")


def _time(node: Located, problems: Problems) -> Condition:
    section = Section(node, problems, (*_COMMON, "after", "before", "weekday"))
    bounds: list[time | None] = []
    for key in ("after", "before"):
        child = section.get(key)
        if child is None:
            bounds.append(None)
            continue
        text = child.value if isinstance(child.value, str) else None
        if text is not None and "." in text and ":" not in text:
            problems.add(child, f"{key}: a time from an entity ({text}) is not supported; "
                                "write a time such as '07:30:00'")
            bounds.append(None)
            continue
        try:
            bounds.append(parse_time(str(child.value)))
        except ValueError:
            problems.add(child, f"{key}: expected a time such as '07:30:00', got "
                                f"{child.describe()}")
            bounds.append(None)
    days: list[int] = []
    for day in section.texts("weekday"):
        if day not in WEEKDAYS:
            problems.add(section.get("weekday") or node,
                         f"weekday: unknown day {day!r}; use {', '.join(WEEKDAYS)}")
        else:
            days.append(WEEKDAYS.index(day))
    return TimeWindow(bounds[0], bounds[1], tuple(days))


def _trigger(node: Located, problems: Problems) -> Condition:
    section = Section(node, problems, (*_COMMON, "id"))
    child = section.get("id")
    if child is None:
        problems.add(node, "'id' is required")
        return Always()
    return TriggerId(tuple(str(item.value) for item in as_list(child, problems)))


def _combined(kind: str) -> Any:
    def read(node: Located, problems: Problems) -> Condition:
        section = Section(node, problems, (*_COMMON, "conditions"))
        return Combined(kind, read_conditions(section.get("conditions"), problems))

    return read


_READERS: dict[str, Callable[[Located, Problems], Condition]] = {
    "state": _state, "numeric_state": _numeric, "template": _template, "time": _time,
    "trigger": _trigger, "and": _combined("and"), "or": _combined("or"),
    "not": _combined("not"),
}
