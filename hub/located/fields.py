"""Typed reads of `Located` values that record problems instead of stopping at the first.

Each reader returns the value, or None (or the default) after recording a problem, so a
validator can go on and report everything that is wrong in one pass. `Section` reads one
mapping and reports unknown keys with a suggestion. Integrations use these too:

    def validate(raw: Located) -> DemoConfig:
        problems = Problems()
        section = Section(raw, problems, ("devices", "base_topic"))
        config = DemoConfig(devices=section.flag("devices", True), ...)
        problems.raise_if_any()
        return config
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping, Sequence
from typing import TypeVar

from hub.located.values import Located, Problems

T = TypeVar("T")


def did_you_mean(word: str, choices: Collection[str]) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def _bounds(low: float | None, high: float | None, *, low_open: bool = False) -> str:
    if low is not None and high is not None:
        return f" {low:g}..{high:g}"
    if low is not None:
        return f" > {low:g}" if low_open else f" >= {low:g}"
    if high is not None:
        return f" <= {high:g}"
    return ""


def as_text(node: Located, problems: Problems, *, allow_empty: bool = False) -> str | None:
    """Text; numbers are not turned into text (quote them if text is meant)."""
    if isinstance(node.value, str) and (allow_empty or node.value.strip()):
        return node.value
    expected = "text" if allow_empty else "non-empty text"
    hint = ""
    if isinstance(node.value, (bool, int, float)) and node.secret is None:
        # YAML read it as a number or flag (0123 even as octal): quoting keeps it as written
        hint = " (put it in quotes to make it text)"
    problems.add(node, f"expected {expected}, got {node.describe()}{hint}")
    return None


def as_int(
    node: Located, problems: Problems, *, low: int | None = None, high: int | None = None
) -> int | None:
    value = node.value
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and (low is None or value >= low)
        and (high is None or value <= high)
    ):
        return value
    problems.add(node, f"expected an integer{_bounds(low, high)}, got {node.describe()}")
    return None


def as_number(
    node: Located,
    problems: Problems,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
) -> float | None:
    value = node.value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        above = low is None or (value > low if low_open else value >= low)
        if above and (high is None or value <= high):
            return float(value)
    bounds = _bounds(low, high, low_open=low_open)
    problems.add(node, f"expected a number{bounds}, got {node.describe()}")
    return None


def as_bool(node: Located, problems: Problems) -> bool | None:
    if isinstance(node.value, bool):
        return node.value
    problems.add(node, f"expected true or false, got {node.describe()}")
    return None


def as_choice(node: Located, problems: Problems, choices: Mapping[str, T]) -> T | None:
    """One of `choices` (written as its key, compared without case)."""
    text = str(node.value).lower() if isinstance(node.value, (str, int, float)) else None
    if text is not None and not isinstance(node.value, bool):
        for key, result in choices.items():
            if key.lower() == text:
                return result
    close = did_you_mean(text or "", [key.lower() for key in choices]) if text else None
    hint = f"; did you mean '{close}'?" if close else ""
    problems.add(node, f"expected one of {', '.join(choices)}, got {node.describe()}{hint}")
    return None


def as_mapping(node: Located, problems: Problems) -> bool:
    """True when `node` is a mapping (an empty value counts as an empty mapping)."""
    if node.is_mapping or node.is_null:
        return True
    problems.add(node, f"expected a mapping (key: value lines), got {node.describe()}")
    return False


def as_list(node: Located, problems: Problems) -> tuple[Located, ...]:
    """The items of a list; a single value counts as a list of one, nothing as none."""
    if node.is_sequence:
        items: tuple[Located, ...] = node.value
        return items
    if node.is_null:
        return ()
    if node.is_mapping:
        problems.add(node, f"expected a list, got {node.describe()}")
        return ()
    return (node,)


def text_list(node: Located, problems: Problems) -> tuple[str, ...]:
    texts = (as_text(item, problems) for item in as_list(node, problems))
    return tuple(text for text in texts if text is not None)


class Section:
    """Reads the keys of one mapping; an empty or absent value means every default.

    Unknown keys are reported when the section is made, with the nearest known key.
    """

    __slots__ = ("_values", "node", "problems")

    def __init__(self, node: Located | None, problems: Problems, allowed: Sequence[str]) -> None:
        self.node = node
        self.problems = problems
        self._values: Mapping[str, Located] = {}
        if node is None or not as_mapping(node, problems) or node.is_null:
            return
        self._values = node.value
        for key, child in node.items():
            if key in allowed:
                continue
            close = did_you_mean(key, allowed)
            hint = f"did you mean '{close}'?" if close else f"expected one of: {', '.join(allowed)}"
            problems.add_at(child.key_mark or child.mark, node.path, f"unknown key '{key}'; {hint}")

    def get(self, key: str) -> Located | None:
        """The value of `key`; None when absent or written empty (use the default)."""
        child = self._values.get(key)
        return None if child is None or child.is_null else child

    def text(self, key: str, default: str, *, allow_empty: bool = False) -> str:
        child = self.get(key)
        if child is None:
            return default
        value = as_text(child, self.problems, allow_empty=allow_empty)
        return default if value is None else value

    def optional_text(self, key: str) -> str | None:
        child = self.get(key)
        return as_text(child, self.problems) if child is not None else None

    def integer(
        self, key: str, default: int, *, low: int | None = None, high: int | None = None
    ) -> int:
        child = self.get(key)
        value = as_int(child, self.problems, low=low, high=high) if child is not None else None
        return default if value is None else value

    def number(
        self,
        key: str,
        default: float,
        *,
        low: float | None = None,
        high: float | None = None,
        low_open: bool = False,
    ) -> float:
        child = self.get(key)
        if child is None:
            return default
        value = as_number(child, self.problems, low=low, high=high, low_open=low_open)
        return default if value is None else value

    def flag(self, key: str, default: bool) -> bool:
        child = self.get(key)
        value = as_bool(child, self.problems) if child is not None else None
        return default if value is None else value

    def choice(self, key: str, default: T, choices: Mapping[str, T]) -> T:
        child = self.get(key)
        value = as_choice(child, self.problems, choices) if child is not None else None
        return default if value is None else value

    def texts(self, key: str) -> tuple[str, ...]:
        child = self.get(key)
        return text_list(child, self.problems) if child is not None else ()
