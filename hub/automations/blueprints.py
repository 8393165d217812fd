"""Blueprints in Home Assistant's format: a ``blueprint:`` header (name, domain, inputs in
sections, with defaults and selectors) and an automation body that says ``!input name``
where a user's value goes. ``use_blueprint: {path, input}`` makes an automation of one.

A blueprint's path is looked up in ``<config>/blueprints/automation/`` and then in the
``blueprints/automation/`` shipped with the hub. Inputs are checked against the cheap
selectors (entity domains, number ranges, booleans, text); a missing input without a
default, an undeclared ``!input`` or an unknown input name are reported with file:line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from hub.located import (
    Located,
    Problems,
    Section,
    Tagged,
    as_mapping,
    did_you_mean,
    load_yaml,
    located,
)

INPUT_TAG = "!input"
SHIPPED = Path(__file__).resolve().parents[2] / "blueprints"
MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class BlueprintInput:
    name: str
    default: Any
    selector: Mapping[str, Any]
    where: str


@dataclass(frozen=True, slots=True)
class Blueprint:
    name: str
    domain: str
    path: Path
    inputs: Mapping[str, BlueprintInput]
    body: Located
    description: str = ""


def search_path(config_dir: Path | None) -> list[Path]:
    dirs = [config_dir / "blueprints"] if config_dir is not None else []
    return [*dirs, SHIPPED]


def find_blueprint(name: str, config_dir: Path | None) -> Path | None:
    for base in search_path(config_dir):
        candidate = base / "automation" / name
        if candidate.is_file():
            return candidate
    return None


def load_blueprint(path: Path, problems: Problems, *, root: Path | None = None) -> Blueprint | None:
    raw = load_yaml(path, root=root or path.parent, keep_tags=(INPUT_TAG,), problems=problems)
    if raw.is_null or not as_mapping(raw, problems):
        return None
    header = raw.get("blueprint")
    if header is None:
        problems.add(raw, "a blueprint needs a 'blueprint:' header with name, domain and input")
        return None
    section = Section(header, problems, ("name", "domain", "description", "input",
                                         "source_url", "author", "homeassistant"))
    name = section.text("name", "")
    if not name:
        problems.add(header, "blueprint: 'name' is required")
    domain = section.text("domain", "")
    if domain != "automation":
        problems.add(section.get("domain") or header,
                     f"blueprint: domain must be 'automation' (script blueprints are not "
                     f"supported), got {domain or 'nothing'!r}")
    inputs: dict[str, BlueprintInput] = {}
    _read_inputs(section.get("input"), problems, inputs)
    body = Located(MappingProxyType({k: v for k, v in raw.items() if k != "blueprint"}),
                   raw.mark, raw.path)
    _check_references(body, inputs, problems)
    return Blueprint(name, domain, path, MappingProxyType(inputs), body,
                     section.text("description", "", allow_empty=True))


def _read_inputs(node: Located | None, problems: Problems,
                 inputs: dict[str, BlueprintInput]) -> None:
    if node is None or not as_mapping(node, problems):
        return
    for key, spec in node.items():
        if spec.is_mapping and "input" in spec:  # a section: name, icon, collapsed, input
            Section(spec, problems, ("name", "icon", "description", "collapsed", "input"))
            _read_inputs(spec.get("input"), problems, inputs)
            continue
        section = Section(spec, problems, ("name", "description", "default", "selector"))
        default = spec.get("default")
        selector = section.get("selector")
        inputs[key] = BlueprintInput(
            name=key, default=default.plain() if default is not None else MISSING,
            selector=(selector.plain() or {}) if selector is not None and selector.is_mapping
            else {}, where=spec.key_where)


def _check_references(node: Located, inputs: Mapping[str, BlueprintInput],
                      problems: Problems) -> None:
    if isinstance(node.value, Tagged) and node.value.tag == INPUT_TAG:
        if node.value.value not in inputs:
            close = did_you_mean(node.value.value, inputs)
            hint = f"; did you mean '{close}'?" if close else ""
            problems.add(node, f"!input {node.value.value} is not declared under "
                               f"blueprint: input{hint}")
        return
    for child in (node.value.values() if node.is_mapping else node.value if node.is_sequence
                  else ()):
        _check_references(child, inputs, problems)


def check_selector(spec: BlueprintInput, value: Any) -> str | None:
    """Why `value` does not fit the input's selector (the cheap ones), or None."""
    for kind, options in spec.selector.items():
        options = options or {}
        if kind == "entity":
            wanted = options.get("domain")
            domains = [wanted] if isinstance(wanted, str) else list(wanted or [])
            values = value if isinstance(value, list) else [value]
            if not options.get("multiple") and isinstance(value, list) and len(value) != 1:
                return "expected one entity id"
            for item in values:
                if not isinstance(item, str) or "." not in item:
                    return f"expected an entity id such as light.kitchen, got {item!r}"
                if domains and item.split(".", 1)[0] not in domains:
                    return f"expected an entity of {', '.join(domains)}, got {item!r}"
        elif kind == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return f"expected a number, got {value!r}"
            low, high = options.get("min"), options.get("max")
            if (low is not None and value < low) or (high is not None and value > high):
                return f"expected a number in {low}..{high}, got {value}"
        elif kind == "boolean" and not isinstance(value, bool):
            return f"expected true or false, got {value!r}"
        elif kind == "text" and not isinstance(value, str):
            return f"expected text, got {value!r}"
    return None


def substitute(node: Located, values: Mapping[str, Located]) -> Located:
    if isinstance(node.value, Tagged) and node.value.tag == INPUT_TAG:
        value = values.get(node.value.value)
        if value is None:
            return Located(None, node.mark, node.path, node.key_mark)
        return _at(value, node)
    if node.is_mapping:
        return Located(MappingProxyType({k: substitute(v, values) for k, v in node.items()}),
                       node.mark, node.path, node.key_mark)
    if node.is_sequence:
        return Located(tuple(substitute(v, values) for v in node.value), node.mark, node.path,
                       node.key_mark)
    return node


def _at(value: Located, where: Located) -> Located:
    """A user's input value at the path of the ``!input`` it replaces (keeping its own
    file:line, so a problem in it points at the user's file)."""
    return Located(value.value, value.mark, where.path, where.key_mark, value.secret)


def instantiate(item: Located, problems: Problems, *,
                config_dir: Path | None) -> tuple[Located, str] | None:
    """The automation `item` (with ``use_blueprint:``) made from its blueprint."""
    use = item["use_blueprint"]
    section = Section(use, problems, ("path", "input"))
    path_text = section.text("path", "")
    if not path_text:
        problems.add(use, "use_blueprint needs 'path' (relative to blueprints/automation/)")
        return None
    path = find_blueprint(path_text, config_dir)
    if path is None:
        searched = ", ".join(str(d / "automation") for d in search_path(config_dir))
        problems.add(section.get("path") or use, f"no blueprint '{path_text}' in {searched}")
        return None
    blueprint = load_blueprint(path, problems, root=config_dir)
    if blueprint is None:
        return None
    given = section.get("input")
    values: dict[str, Located] = {}
    if given is not None and as_mapping(given, problems):
        for key, value in given.items():
            spec = blueprint.inputs.get(key)
            if spec is None:
                close = did_you_mean(key, blueprint.inputs)
                hint = f"did you mean '{close}'?" if close else (
                    "its inputs: " + (", ".join(blueprint.inputs) or "none"))
                problems.add(value, f"blueprint '{blueprint.name}' has no input '{key}'; "
                                    f"{hint}", at_key=True)
                continue
            problem = check_selector(spec, value.plain())
            if problem is not None:
                problems.add(value, f"input '{key}': {problem}")
            values[key] = value
    for key, spec in blueprint.inputs.items():
        if key in values:
            continue
        if spec.default is MISSING:
            problems.add(given or use, f"input '{key}' of blueprint '{blueprint.name}' is "
                                       f"required (declared at {spec.where})")
        else:
            values[key] = located(spec.default, mark=use.mark)
    body = substitute(blueprint.body, values)
    merged = dict(body.value)
    for key, value in item.items():
        if key != "use_blueprint":
            merged[key] = value
    return Located(MappingProxyType(merged), item.mark, item.path, item.key_mark), str(path)


def placeholder(spec: BlueprintInput) -> Any:
    """A value of the input's kind, to check the body when the input has no default."""
    if "number" in spec.selector:
        return spec.selector["number"].get("min", 0) if spec.selector["number"] else 0
    if "boolean" in spec.selector:
        return False
    if "entity" in spec.selector:
        domain = (spec.selector["entity"] or {}).get("domain") or "sensor"
        return f"{domain if isinstance(domain, str) else domain[0]}.placeholder"
    return "placeholder"
