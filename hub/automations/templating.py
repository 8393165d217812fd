"""Rendering the values of automations: strings with ``{{ }}`` or ``{% %}`` are templates,
anything else is taken as written; nested lists and mappings are rendered item by item.

As in Home Assistant, a template's text result becomes a number, a list, a mapping, a flag
or None when it reads as one (``"{{ 20 + 1 }}"`` is 21), so tool arguments keep their
types. Syntax is checked at load (`check_templates`, with file:line); a template that
fails at run time raises ScriptError naming it.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

from hub.automations.durations import is_template
from hub.automations.errors import ScriptError
from hub.errors import PayloadError
from hub.located import Located, Problems
from hub.templates import Templates

_LITERAL_START = frozenset("0123456789-+[{(.TFN")


def native(text: str) -> Any:
    """``"21"`` -> 21, ``"[1, 2]"`` -> [1, 2], ``"True"`` -> True; other text stays text."""
    stripped = text.strip()
    if not stripped or stripped[0] not in _LITERAL_START:
        return text
    if stripped in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[stripped]
    try:
        value = ast.literal_eval(stripped)
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return text
    if isinstance(value, (int, float, list, dict, bool)) and not isinstance(value, complex):
        if isinstance(value, (int, float)) and stripped.startswith("0") and len(stripped) > 1 \
                and stripped[1].isdigit():
            return text  # "007" is a code, not seven
        return value
    return text


class Renderer:
    """Templates of one hub with the state helpers bound."""

    def __init__(self, templates: Templates, helpers: Mapping[str, Any]) -> None:
        self.templates = templates
        self.helpers = helpers

    def text(self, source: str, variables: Mapping[str, Any]) -> str:
        try:
            return self.templates.compile(source).render({**self.helpers, **variables})
        except PayloadError as exc:
            raise ScriptError(str(exc)) from exc

    def value(self, value: Any, variables: Mapping[str, Any]) -> Any:
        """`value` with every template in it rendered (to native types)."""
        if isinstance(value, str):
            return native(self.text(value, variables)) if is_template(value) else value
        if isinstance(value, Mapping):
            return {key: self.value(item, variables) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(item, variables) for item in value]
        return value

    def truth(self, source: str, variables: Mapping[str, Any]) -> bool:
        """A template condition: true when it renders ``true`` (any case), ``on``, ``yes``
        or a non-zero number, as Home Assistant reads it."""
        result = self.text(source, variables).strip().lower()
        if result in ("true", "on", "yes", "enable"):
            return True
        try:
            return float(result) != 0
        except ValueError:
            return False


def check_templates(node: Located, problems: Problems, templates: Templates) -> None:
    """Report every template in `node` whose syntax is wrong, at its file:line."""
    if isinstance(node.value, str):
        if is_template(node.value):
            try:
                templates.compile(node.value)
            except PayloadError as exc:
                problems.add(node, str(exc))
        return
    for child in (node.value.values() if node.is_mapping else node.value if node.is_sequence
                  else ()):
        check_templates(child, problems, templates)
