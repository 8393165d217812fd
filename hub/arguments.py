"""Checking tool arguments against the tool's JSON Schema, at the edge, before a handler runs.

Numbers must be finite and text must be Unicode (no lone surrogates), whatever the schema
says: a NaN compares false with every bound and would pass any range.

A deliberately small subset of JSON Schema (type, properties, required, anyOf, enum,
minimum, maximum, minLength, maxLength, items, minItems, maxItems, additionalProperties) is enough
for device and AI tools, and keeps the call path free of a heavy validator.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from hub.errors import PayloadError

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list, tuple),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def check_arguments(schema: Mapping[str, Any], arguments: Any, where: str = "") -> None:
    """Raise PayloadError naming the first argument that does not fit `schema`."""
    _check(schema, arguments, where or "arguments")


def _type_ok(expected: str, value: Any) -> bool:
    if expected in ("integer", "number") and isinstance(value, bool):
        return False
    if expected == "integer" and isinstance(value, float) and value.is_integer():
        return True
    return isinstance(value, _TYPES.get(expected, (object,)))


def _check(schema: Mapping[str, Any], value: Any, path: str) -> None:
    kind = type(value)
    if kind is float and not math.isfinite(value):
        # NaN compares false with every bound: without this it passed minimum and maximum
        raise PayloadError(f"{path}: expected a finite number, got {value!r}")
    if kind is str and not value.isascii() and (found := _LONE_SURROGATE.search(value)):
        raise PayloadError(f"{path}: text holds U+{ord(found.group()):04X}, a lone surrogate,"
                           " which is not Unicode text")
    expected = schema.get("type")
    if expected is not None:
        options = expected if isinstance(expected, list) else [expected]
        if not any(_type_ok(t, value) for t in options):
            raise PayloadError(f"{path}: expected {' or '.join(options)}, got {value!r}")
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join(repr(v) for v in schema["enum"])
        raise PayloadError(f"{path}: expected one of {allowed}, got {value!r}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        low, high = schema.get("minimum"), schema.get("maximum")
        if (low is not None and value < low) or (high is not None and value > high):
            raise PayloadError(f"{path}: expected {_range(low, high)}, got {value!r}")
    if isinstance(value, str):
        low, high = schema.get("minLength"), schema.get("maxLength")
        if (low is not None and len(value) < low) or (high is not None and len(value) > high):
            raise PayloadError(f"{path}: length must be {_range(low, high)}, got {len(value)}")
    if isinstance(value, (list, tuple)):
        low, high = schema.get("minItems"), schema.get("maxItems")
        if (low is not None and len(value) < low) or (high is not None and len(value) > high):
            raise PayloadError(f"{path}: expected {_range(low, high)} items, got {len(value)}")
        items = schema.get("items")
        if isinstance(items, Mapping):
            for i, item in enumerate(value):
                _check(items, item, f"{path}[{i}]")
    alternatives = schema.get("anyOf")
    if alternatives:
        errors = []
        for alternative in alternatives:
            try:
                _check(alternative, value, path)
                break
            except PayloadError as exc:
                errors.append(str(exc))
        else:
            raise PayloadError(f"{path}: none of the alternatives fits: {'; or '.join(errors)}")
    if isinstance(value, dict):
        properties: Mapping[str, Any] = schema.get("properties", {})
        for name in schema.get("required", ()):
            if name not in value:
                raise PayloadError(f"{path}: missing required argument {name!r}")
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            sub = properties.get(name)
            if sub is not None:
                _check(sub, item, f"{path}.{name}" if path != "arguments" else name)
            elif extra is False:
                known = ", ".join(sorted(properties)) or "none"
                raise PayloadError(f"{path}: unknown argument {name!r}; known: {known}")


def _range(low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return f"{low}..{high}"
    return f">= {low}" if low is not None else f"<= {high}"
