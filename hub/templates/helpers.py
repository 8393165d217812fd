"""Home Assistant's template helpers: ``float``, ``int``, ``bool``, ``round``, ``iif``,
``from_json``, ``to_json``, ``is_defined``, each both a filter and a function where Home
Assistant has both, and the undefined value that may be tested but not printed."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NoReturn

from jinja2 import ChainableUndefined, Undefined

from hub.errors import PayloadError
from hub.inputs import load_json

_NO_DEFAULT: Any = object()


class Missing(ChainableUndefined):
    """Undefined that may be tested, chained (``value_json.a.b``) and defaulted, but not
    printed: printing it raises, so a missing key is never silently rendered as ``""``."""

    __slots__ = ()

    def __str__(self) -> str:
        self._fail_with_undefined_error()
        return ""  # not reached: the line above raises


def _fail(name: str, value: Any) -> NoReturn:
    raise ValueError(f"{name} got invalid input {value!r} and no default was given")


def _float(value: Any, default: Any = _NO_DEFAULT) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError):
        if default is _NO_DEFAULT:
            _fail("float", value)
        return default


def _int(value: Any, default: Any = _NO_DEFAULT, base: int = 10) -> Any:
    try:
        if isinstance(value, str) and base != 10:
            return int(value, base)
        try:
            return int(value)
        except (TypeError, ValueError):
            return int(float(value))  # "21.7" -> 21, as Home Assistant does
    except (TypeError, ValueError, OverflowError):
        if default is _NO_DEFAULT:
            _fail("int", value)
        return default


_TRUE = frozenset({"true", "on", "yes", "enable", "1"})
_FALSE = frozenset({"false", "off", "no", "disable", "0"})


def _bool(value: Any, default: Any = _NO_DEFAULT) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    if default is _NO_DEFAULT:
        _fail("bool", value)
    return default


def round_(
    value: Any, precision: int = 0, method: str = "common", default: Any = _NO_DEFAULT
) -> Any:
    try:
        number = float(value)
    except (TypeError, ValueError):
        if default is _NO_DEFAULT:
            _fail("round", value)
        return default
    if method == "common":
        result = round(number, precision)
    elif method == "half":
        result = round(number * 2) / 2
    elif method in ("ceil", "floor"):
        scale = 10**precision
        step = math.ceil if method == "ceil" else math.floor
        result = step(number * scale) / scale
    else:
        raise ValueError(f"round: unknown method {method!r}; use common, ceil, floor or half")
    return int(result) if precision == 0 and method != "half" else result


def _iif(value: Any, if_true: Any = True, if_false: Any = False, if_none: Any = _NO_DEFAULT) -> Any:
    if value is None and if_none is not _NO_DEFAULT:
        return if_none
    return if_true if value else if_false


def _from_json(value: Any, default: Any = _NO_DEFAULT) -> Any:
    try:
        if not isinstance(value, str | bytes):
            raise TypeError(value)
        # Bounded: text from a device must not exhaust the parser's recursion.
        return load_json(value, subject="from_json")
    except (TypeError, PayloadError):
        if default is _NO_DEFAULT:
            _fail("from_json", value)
        return default


def _to_json(value: Any, ensure_ascii: bool = False, sort_keys: bool = False) -> str:
    return json.dumps(value, ensure_ascii=ensure_ascii, sort_keys=sort_keys)


def _is_defined(value: Any) -> Any:
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    return value


BOTH: Mapping[str, Callable[..., Any]] = MappingProxyType({
    "float": _float,
    "int": _int,
    "bool": _bool,
    "iif": _iif,
    "from_json": _from_json,
    "to_json": _to_json,
    "is_defined": _is_defined,
})
"""Helpers that are both filters and functions, as in Home Assistant."""
