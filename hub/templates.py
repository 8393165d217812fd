"""Home Assistant style templates in a sandboxed Jinja2 environment.

Device payloads and automations use the same small language as Home Assistant:
``{{ value_json.temperature | float(0) | round(1) }}``. The environment is sandboxed
(`ImmutableSandboxedEnvironment`: no attribute tricks, no mutation of the data) and
offers Home Assistant's helpers, each both as a filter and as a function where Home
Assistant has both: ``float``, ``int``, ``bool``, ``round``, ``iif``, ``from_json``,
``to_json``, ``is_defined``, plus Jinja's own (``default``, ``lower``, ``upper``...).

Templates are compiled once and cached by their source: rendering on the hot path of a
device message never compiles. The most common device template, a plain path into the
payload (``{{ value_json.temperature }}``, ``{{ value_json['a'][0] }}``, ``{{ value }}``),
is read directly without Jinja (ten times faster, same result and same errors); anything
else, or data of another shape, goes through Jinja.

Errors are `PayloadError`s naming the template. Printing a value that does not exist
(``{{ value_json.missing }}``) raises `UndefinedValue`, a `PayloadError` of its own, so that
a caller can tell "this message does not carry that value" from a broken template; testing
a missing value (``{% if value_json.x is defined %}``, ``| default(0)``) is fine.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NoReturn

from jinja2 import ChainableUndefined, TemplateSyntaxError, Undefined, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from hub.errors import PayloadError

_LOGGER = logging.getLogger(__name__)

_NO_DEFAULT: Any = object()
_PLAIN_PATH = re.compile(
    r"^\{\{\s*(value_json|value)((?:\.[A-Za-z_][A-Za-z0-9_]*|\[(?:'[^'\\]*'|\"[^\"\\]*\"|\d+)\])*)"
    r"\s*\}\}$"
)
_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\['([^']*)'\]|\[\"([^\"]*)\"\]|\[(\d+)\]")
_SLOW: Any = object()
"""What the fast path returns when the data is not plain dicts and lists: use Jinja."""
_SHOWN = 60
"""Characters of a template's source that an error message shows."""


class UndefinedValue(PayloadError):
    """The template printed a variable or key that the data does not have."""


class _Missing(ChainableUndefined):
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


def _round(
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
        return json.loads(value)
    except (TypeError, ValueError):
        if default is _NO_DEFAULT:
            _fail("from_json", value)
        return default


def _to_json(value: Any, ensure_ascii: bool = False, sort_keys: bool = False) -> str:
    return json.dumps(value, ensure_ascii=ensure_ascii, sort_keys=sort_keys)


def _is_defined(value: Any) -> Any:
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    return value


_BOTH: Mapping[str, Callable[..., Any]] = MappingProxyType({
    "float": _float,
    "int": _int,
    "bool": _bool,
    "iif": _iif,
    "from_json": _from_json,
    "to_json": _to_json,
    "is_defined": _is_defined,
})
"""Helpers that are both filters and functions, as in Home Assistant."""


def _describe(source: str) -> str:
    text = " ".join(source.split())
    return repr(text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "...")


def _plain_path(source: str) -> tuple[str, tuple[str | int, ...]] | None:
    """``{{ value_json.a['b'][0] }}`` -> ("value_json", ("a", "b", 0)); None otherwise."""
    match = _PLAIN_PATH.match(source)
    if match is None:
        return None
    steps: list[str | int] = []
    for name, single, double, index in _STEP.findall(match.group(2)):
        if index:
            steps.append(int(index))
        elif name and hasattr(dict, name):
            return None  # `value_json.items` is dict.items to Jinja: leave it to Jinja
        else:
            steps.append(name or single or double)
    return match.group(1), tuple(steps)


def _walk(variables: Mapping[str, Any], root: str, steps: tuple[str | int, ...]) -> Any:
    value = variables.get(root, _SLOW)
    for step in steps:
        if isinstance(step, int):
            if not isinstance(value, list):
                return _SLOW
            if step >= len(value):
                raise UndefinedError(f"list object has no element {step}")
            value = value[step]
        else:
            if not isinstance(value, dict):
                return _SLOW
            if step not in value:
                raise UndefinedError(f"'dict object' has no attribute '{step}'")
            value = value[step]
    return value


class Template:
    """One compiled template. `render(variables)` returns text or raises PayloadError."""

    __slots__ = ("_compiled", "_globals", "_path", "source")

    def __init__(self, source: str, compiled: Any, globals_: Mapping[str, Any]) -> None:
        self.source = source
        self._compiled = compiled
        self._globals = globals_
        self._path = _plain_path(source)

    def render(self, variables: Mapping[str, Any]) -> str:
        try:
            if self._path is not None:
                value = _walk(variables, *self._path)
                if value is not _SLOW:
                    return str(value)
            compiled = self._compiled
            # A plain dict of globals and variables: Jinja's own merge walks a ChainMap of
            # the globals on every render, which costs more than the template itself.
            context = compiled.new_context({**self._globals, **variables}, shared=True)
            return str(compiled.environment.concat(compiled.root_render_func(context)))
        except UndefinedError as exc:
            raise UndefinedValue(f"template {_describe(self.source)}: {exc.message}") from None
        except Exception as exc:  # any failure of a user's template is bad input
            raise PayloadError(f"template {_describe(self.source)}: {exc}") from exc

    def __repr__(self) -> str:
        return f"Template({_describe(self.source)})"


class Templates:
    """The sandboxed environment and a cache of compiled templates (least recently used
    dropped past `cache_size`). One per hub; not thread-safe (use it on the loop)."""

    def __init__(self, *, cache_size: int = 2048) -> None:
        env = ImmutableSandboxedEnvironment(undefined=_Missing, autoescape=False)
        env.filters.update(_BOTH)
        env.filters["round"] = _round
        env.globals.update(_BOTH)
        env.globals["round"] = _round
        for name in ("min", "max"):
            env.globals[name] = env.filters[name]
        self._env = env
        self._globals = dict(env.globals)
        self._cache: OrderedDict[str, Template] = OrderedDict()
        self._cache_size = cache_size
        self.compiled = 0
        """Templates compiled so far (a cache miss each)."""

    def compile(self, source: str) -> Template:
        """The compiled template for `source`; PayloadError if its syntax is wrong."""
        cached = self._cache.get(source)
        if cached is not None:
            self._cache.move_to_end(source)
            return cached
        try:
            template = Template(source, self._env.from_string(source), self._globals)
        except TemplateSyntaxError as exc:
            raise PayloadError(
                f"template {_describe(source)}: line {exc.lineno}: {exc.message}"
            ) from None
        self.compiled += 1
        self._cache[source] = template
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return template

    def render(self, source: str, variables: Mapping[str, Any] | None = None) -> str:
        """Compile (or take from the cache) and render in one call."""
        return self.compile(source).render(variables or {})

    def __len__(self) -> int:
        return len(self._cache)


__all__ = ["Template", "Templates", "UndefinedValue"]
