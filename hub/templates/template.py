"""`Template` and `Templates`: compiled once, cached by source, rendered within a budget.

The most common device template, a plain path into the payload
(``{{ value_json.temperature }}``, ``{{ value_json['a'][0] }}``, ``{{ value }}``), is read
directly without Jinja (ten times faster, same result and same errors); anything else, or
data of another shape, goes through Jinja, charged against the `Budget`.
"""

from __future__ import annotations

import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import TemplateSyntaxError, UndefinedError

from hub.errors import PayloadError
from hub.templates.budget import Budget, BudgetExceeded, Meter
from hub.templates.helpers import BOTH, Missing, round_
from hub.templates.sandbox import Environment

_LOGGER = logging.getLogger(__name__)

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
    """One compiled template. `render(variables)` returns text or raises PayloadError:
    `UndefinedValue` when it printed a value the data lacks, `BudgetExceeded` when the
    render went over its budget."""

    __slots__ = ("_compiled", "_globals", "_meter", "_path", "source")

    def __init__(self, source: str, compiled: Any, globals_: Mapping[str, Any],
                 meter: Meter) -> None:
        self.source = source
        self._compiled = compiled
        self._globals = globals_
        self._meter = meter
        self._path = _plain_path(source)

    def render(self, variables: Mapping[str, Any]) -> str:
        try:
            if self._path is not None:
                value = _walk(variables, *self._path)
                if value is not _SLOW:
                    return str(value)
            return self._render(variables)
        except UndefinedError as exc:
            raise UndefinedValue(f"template {_describe(self.source)}: {exc.message}") from None
        except BudgetExceeded as exc:
            raise BudgetExceeded(f"template {_describe(self.source)}: {exc}",
                                 exc.budget) from None
        except RecursionError:
            raise BudgetExceeded(f"template {_describe(self.source)}: calls nested too "
                                 "deeply", "depth") from None
        except Exception as exc:  # any failure of a user's template is bad input
            raise PayloadError(f"template {_describe(self.source)}: {exc}") from exc

    def _render(self, variables: Mapping[str, Any]) -> str:
        compiled, meter = self._compiled, self._meter
        meter.start()
        # A plain dict of globals and variables: Jinja's own merge walks a ChainMap of
        # the globals on every render, which costs more than the template itself.
        context = compiled.new_context({**self._globals, **variables}, shared=True)
        limit = meter.budget.size
        size = 0
        parts = []
        for part in compiled.root_render_func(context):
            size += len(part)
            if size > limit:
                raise meter.too_big(f"output of more than {limit} characters")
            parts.append(part)
        return "".join(parts)

    def __repr__(self) -> str:
        return f"Template({_describe(self.source)})"


class Templates:
    """The sandboxed environment and a cache of compiled templates (least recently used
    dropped past `cache_size`). Every render is charged against `budget` (`timer` reads
    the CPU time it takes). One per hub; not thread-safe (use it on the loop)."""

    def __init__(self, *, cache_size: int = 2048, budget: Budget | None = None,
                 timer: Callable[[], float] = time.thread_time) -> None:
        self.budget = budget or Budget()
        self._meter = Meter(self.budget, timer)
        env = Environment(self._meter, undefined=Missing, autoescape=False)
        env.filters.update(BOTH)
        env.filters["round"] = round_
        env.globals.update(BOTH)
        env.globals["round"] = round_
        for name in ("min", "max"):
            env.globals[name] = env.filters[name]
        env.install_guards()
        self._env = env
        self._globals = dict(env.globals)
        self._cache: OrderedDict[str, Template] = OrderedDict()
        self._cache_size = cache_size
        self.compiled = 0
        """Templates compiled so far (a cache miss each)."""

    def compile(self, source: str) -> Template:
        """The compiled template for `source`; PayloadError if its syntax is wrong,
        `BudgetExceeded` if it is longer than the budget's `source_size`."""
        cached = self._cache.get(source)
        if cached is not None:
            self._cache.move_to_end(source)
            return cached
        limit = self.budget.source_size
        if len(source) > limit:
            raise BudgetExceeded(f"template {_describe(source)}: {len(source)} characters, "
                                 f"over the limit of {limit}", "source")
        try:
            compiled = self._env.from_string(source)
        except TemplateSyntaxError as exc:
            raise PayloadError(
                f"template {_describe(source)}: line {exc.lineno}: {exc.message}"
            ) from None
        except RecursionError:
            raise PayloadError(f"template {_describe(source)}: nested too deeply") from None
        template = Template(source, compiled, self._globals, self._meter)
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
