"""The `automation:` key: a list of automations (or one), in Home Assistant's format.

Each automation is checked on its own: one with problems is reported (file:line and what
to fix) and skipped, and the others run. `read_automations` returns the good ones and the
problems; `atmosphere config check` prints those problems, `atmosphere run` logs them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hub.automations.blueprints import MISSING, instantiate, load_blueprint, placeholder, substitute
from hub.automations.conditions import read_conditions
from hub.automations.model import DEFAULT_MAX, DEFAULT_TRACES, MODES, AutomationConfig
from hub.automations.reader import read_actions, read_triggers
from hub.automations.templating import check_templates
from hub.located import Located, Mark, Problems, Section, as_list, as_mapping, located
from hub.templates import Templates

_LOGGER = logging.getLogger(__name__)

KEYS = ("id", "alias", "description", "mode", "max", "max_exceeded", "initial_state",
        "variables", "trigger_variables", "triggers", "trigger", "conditions", "condition",
        "actions", "action", "trace", "use_blueprint")
_LEVELS = ("silent", "debug", "info", "warning", "error", "critical")
_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    return _SLUG.sub("_", text.lower()).strip("_")


_WHERE = re.compile(r"^(.*):(\d+):(\d+)$")


def merge(problems: Problems, more: Problems) -> None:
    for problem in more:
        mark = problem.mark
        if mark is not None and mark.line == 0:  # a ConfigError's "file:line:col" text
            found = _WHERE.match(mark.file)
            if found:
                mark = Mark(found.group(1), int(found.group(2)), int(found.group(3)))
        problems.add_at(mark, problem.path, problem.message)


def read_automations(node: Located | None, problems: Problems, *, config_dir: Path | None,
                     templates: Templates | None = None) -> tuple[AutomationConfig, ...]:
    """The automations that are right; problems of the others go to `problems`."""
    if node is None or node.is_null:
        return ()
    templates = templates or Templates()
    items = (node,) if node.is_mapping else as_list(node, problems)
    result: list[AutomationConfig] = []
    seen: dict[str, str] = {}
    for index, item in enumerate(items):
        own = Problems()
        automation = read_automation(item, own, index=index, config_dir=config_dir,
                                     templates=templates)
        if automation is not None and automation.id in seen:
            own.add(item.get("id") or item, f"duplicate automation id '{automation.id}' "
                                            f"(first at {seen[automation.id]}); this one is "
                                            "skipped")
        if own or automation is None:
            merge(problems, own)
            continue
        seen[automation.id] = automation.where
        result.append(automation)
    return tuple(result)


def read_automation(item: Located, problems: Problems, *, index: int, config_dir: Path | None,
                    templates: Templates) -> AutomationConfig | None:
    if not item.is_mapping:
        problems.add(item, f"an automation must be a mapping, got {item.describe()}")
        return None
    blueprint = ""
    if "use_blueprint" in item:
        made = instantiate(item, problems, config_dir=config_dir)
        if made is None:
            return None
        item, blueprint = made
    section = Section(item, problems, KEYS)
    triggers_node = _one_of(section, "triggers", "trigger")
    actions_node = _one_of(section, "actions", "action")
    conditions_node = _one_of(section, "conditions", "condition")
    if triggers_node is None:
        problems.add(item, "an automation needs 'triggers:' (or the older 'trigger:')")
    if actions_node is None:
        problems.add(item, "an automation needs 'actions:' (or the older 'action:')")
    check_templates(item, problems, templates)
    alias = section.text("alias", "")
    given = section.get("id")
    automation_id = str(given.value) if given is not None else (slug(alias) or
                                                                f"automation_{index}")
    mode = section.text("mode", "single")
    if mode not in MODES:
        problems.add(section.get("mode") or item, f"mode: expected one of {', '.join(MODES)}, "
                                                  f"got {mode!r}")
    exceeded = section.text("max_exceeded", "warning").lower()
    if exceeded not in _LEVELS:
        problems.add(section.get("max_exceeded") or item,
                     f"max_exceeded: expected one of {', '.join(_LEVELS)}, got {exceeded!r}")
    trace = Section(section.get("trace"), problems, ("stored_traces",))
    automation = AutomationConfig(
        id=automation_id,
        alias=alias or automation_id,
        where=item.where,
        description=section.text("description", "", allow_empty=True),
        triggers=read_triggers(triggers_node, problems),
        conditions=read_conditions(conditions_node, problems),
        actions=read_actions(actions_node, problems),
        mode=mode,
        max=section.integer("max", DEFAULT_MAX, low=1, high=10_000),
        max_exceeded=exceeded.upper(),
        initial_state=section.flag("initial_state", True),
        variables=_mapping(section.get("variables"), problems),
        trigger_variables=_mapping(section.get("trigger_variables"), problems),
        stored_traces=trace.integer("stored_traces", DEFAULT_TRACES, low=1, high=10_000),
        blueprint=blueprint,
        fingerprint=hashlib.sha1(json.dumps(item.plain(), sort_keys=True, default=str)
                                 .encode()).hexdigest()[:16],
    )
    return automation


def _one_of(section: Section, new: str, old: str) -> Located | None:
    first, second = section.get(new), section.get(old)
    if first is not None and second is not None:
        section.problems.add(second, f"write either '{new}:' or the older '{old}:', not both",
                             at_key=True)
    return first if first is not None else second


def _mapping(node: Located | None, problems: Problems) -> Mapping[str, Any]:
    if node is None or not as_mapping(node, problems):
        return {}
    plain: dict[str, Any] = node.plain() or {}
    return plain


def validate_blueprint(path: Path) -> list[str]:
    """Every problem of a blueprint file, as ``file:line:col: path: message`` lines."""
    problems = Problems()
    blueprint = load_blueprint(path.absolute(), problems, root=path.absolute().parent)
    if blueprint is not None and not problems:
        defaults = {k: located(v.default if v.default is not MISSING else placeholder(v),
                               mark=blueprint.body.mark)
                    for k, v in blueprint.inputs.items()}
        body = substitute(blueprint.body, defaults)
        read_automation(body, problems, index=0, config_dir=None, templates=Templates())
    return problems.lines()
