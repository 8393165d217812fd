"""Typed reads of a discovery configuration (long keys), with errors that name the key.

Every reader raises `PayloadError` saying which key of which discovery topic is wrong and
what was expected, e.g. ``homeassistant/light/desk/config: brightness_scale: expected an
integer >= 1, got 'high'``. Unknown keys are not errors: Home Assistant ignores them, and so
does this integration (`unknown_keys` lists them for a debug line).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hub.errors import PayloadError
from hub.inputs import filter_problem, text_problem
from hub.templates import Template, Templates

_WILDCARDS = ("+", "#")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class Options:
    """The long-key configuration of one entity, read with types."""

    __slots__ = ("_data", "_templates", "used", "where")

    def __init__(self, data: Mapping[str, Any], where: str, templates: Templates) -> None:
        self._data = data
        self.where = where
        self._templates = templates
        self.used: set[str] = set()
        """Keys read so far: what is left over is unknown to this integration."""

    def child(self, data: Mapping[str, Any], name: str) -> Options:
        """Options of a nested block (an `availability` item), named in messages."""
        return Options(data, f"{self.where}: {name}", self._templates)

    def __contains__(self, key: str) -> bool:
        return self._data.get(key) is not None

    def is_null(self, key: str) -> bool:
        """True when `key` is written as null (``"payload_stop": null`` disables stop)."""
        self.used.add(key)
        return key in self._data and self._data[key] is None

    def raw(self, key: str, default: Any = None) -> Any:
        self.used.add(key)
        value = self._data.get(key)
        return default if value is None else value

    def error(self, key: str, message: str) -> PayloadError:
        return PayloadError(f"{self.where}: {key}: {message}")

    def _bad(self, key: str, expected: str, value: Any) -> PayloadError:
        return self.error(key, f"expected {expected}, got {_shown(value)}")

    # -- scalars ---------------------------------------------------------------------------

    def text(self, key: str, default: str) -> str:
        """Text; numbers and booleans are written as Home Assistant writes them."""
        value = self.raw(key)
        if value is None:
            return default
        return self._as_text(key, value)

    def optional_text(self, key: str) -> str | None:
        value = self.raw(key)
        return None if value is None else self._as_text(key, value)

    def _as_text(self, key: str, value: Any) -> str:
        if isinstance(value, str):
            problem = text_problem(value)
            if problem is not None:
                raise self.error(key, f"{_shown(value)} {problem}")
            return value
        if isinstance(value, (bool, int, float)):
            return str(value)
        raise self._bad(key, "text", value)

    def number(self, key: str, default: float, *, low: float | None = None,
               high: float | None = None) -> float:
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, str):  # "21.5" is accepted, as Home Assistant coerces it
            try:
                value = float(value)
            except ValueError:
                raise self._bad(key, "a number", value) from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self._bad(key, "a number", value)
        if isinstance(value, float) and value - value:  # "nan", "inf" and "1e999" in text
            raise self._bad(key, "a finite number", value)
        if (low is not None and value < low) or (high is not None and value > high):
            raise self._bad(key, f"a number in {low}..{high}", value)
        return float(value)

    def integer(self, key: str, default: int, *, low: int | None = None,
                high: int | None = None) -> int:
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        ok = isinstance(value, int) and not isinstance(value, bool)
        if ok and (low is None or value >= low) and (high is None or value <= high):
            return int(value)
        bounds = f" >= {low}" if high is None and low is not None else (
            f" in {low}..{high}" if low is not None else "")
        raise self._bad(key, f"an integer{bounds}", value)

    def flag(self, key: str, default: bool) -> bool:
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise self._bad(key, "true or false", value)

    def choice(self, key: str, default: str, choices: Iterable[str]) -> str:
        value = self.text(key, default)
        known = tuple(choices)
        if value not in known:
            raise self._bad(key, f"one of {', '.join(known)}", value)
        return value

    def text_list(self, key: str, default: Iterable[str] = ()) -> tuple[str, ...]:
        value = self.raw(key)
        if value is None:
            return tuple(default)
        if not isinstance(value, list):
            raise self._bad(key, "a list of text", value)
        return tuple(self._as_text(key, item) for item in value)

    # -- topics and templates --------------------------------------------------------------

    def subscribe_topic(self, key: str, *, required: bool = False) -> str | None:
        """A topic to read from (wildcards allowed, as whole levels). What a broker refuses
        (a NUL, a control character...: `hub.inputs`) is an error here, before anything
        is subscribed."""
        value = self.raw(key)
        if value is None:
            if required:
                raise self.error(key, "missing; this component needs it")
            return None
        if not isinstance(value, str) or not value:
            raise self._bad(key, "a topic", value)
        problem = filter_problem(value)
        if problem is not None:
            raise self.error(key, f"topic {_shown(value)}: {problem}")
        return value

    def publish_topic(self, key: str, *, required: bool = False) -> str | None:
        """A topic to publish to (no wildcards)."""
        value = self.subscribe_topic(key, required=required)
        if value is not None and any(w in value for w in _WILDCARDS):
            raise self._bad(key, "a topic without + or #", value)
        return value

    def template(self, key: str) -> Template | None:
        value = self.raw(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self._bad(key, "a template (text)", value)
        try:
            return self._templates.compile(value)
        except PayloadError as exc:
            raise self.error(key, str(exc)) from None

    def unknown_keys(self, known: Iterable[str]) -> list[str]:
        """Keys neither read nor in `known` (ignored, as Home Assistant ignores them)."""
        skip = self.used.union(known)
        return sorted(k for k in self._data if k not in skip)
