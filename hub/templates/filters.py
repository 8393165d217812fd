"""Jinja's filters and globals that can make far more than they are given, each checked
against the render's budget before it runs: the same names and arguments, a
`BudgetExceeded` instead of a gigabyte."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import wraps
from itertools import chain
from typing import Any

from jinja2 import filters as jinja
from jinja2.runtime import Context
from jinja2.utils import generate_lorem_ipsum, pass_context, pass_environment

from hub.templates import guards
from hub.templates.budget import BudgetExceeded, Meter

Filter = Callable[..., Any]


def _printing(meter: Meter, original: Filter, name: str) -> Filter:
    """A filter that prints its value (string, tojson, pprint...)."""

    @wraps(original)
    def checked(*args: Any, **kwargs: Any) -> Any:
        # pass_* filters get the context/environment first: the value is the next one
        value = args[1] if hasattr(original, "jinja_pass_arg") else args[0]
        guards.printable(meter, value, name)
        return original(*args, **kwargs)

    return checked


def guarded_filters(meter: Meter, filters: Mapping[str, Filter]) -> dict[str, Filter]:
    """Replacements for the entries of `filters` (Jinja's and ours) that need a check."""
    size = meter.budget.size

    def center(value: Any, width: int = 80) -> str:
        text = str(value)
        if isinstance(width, int):
            meter.allow(f"center({width})", max(width, len(text)))
        return jinja.do_center(text, width)

    def indent(s: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
        text = str(s)
        step = len(width) if isinstance(width, str) else max(width, 0)
        meter.allow(f"indent({width!r})", len(text) + (text.count("\n") + 2) * step)
        return jinja.do_indent(s, width, first, blank)

    @pass_environment
    def wordwrap(environment: Any, s: Any, width: int = 79, break_long_words: bool = True,
                 wrapstring: str | None = None, break_on_hyphens: bool = True) -> str:
        text = str(s)
        breaks = (len(text) // max(width, 1) + text.count(" ") + text.count("-")
                  + text.count("\n") + 1)
        wrap = environment.newline_sequence if wrapstring is None else wrapstring
        meter.allow(f"wordwrap({width})", len(text) + breaks * len(str(wrap)))
        meter.charge(breaks // 8)  # textwrap works in Python, word by word
        return jinja.do_wordwrap(environment, s, width, break_long_words, wrapstring,
                                 break_on_hyphens)

    def format_(value: Any, *args: Any, **kwargs: Any) -> str:
        guards.percent(meter, str(value), kwargs or args)
        return jinja.do_format(value, *args, **kwargs)

    @pass_context
    def join(context: Context, value: Iterable[Any], d: str = "",
             attribute: str | int | None = None) -> str:
        items = list(value)
        meter.allow("join", len(items))
        if attribute is not None:
            getter = jinja.make_attrgetter(context.environment, attribute)
            items = [getter(item) for item in items]
        guards.joined(meter, items, d)
        return jinja.sync_do_join(context.eval_ctx, items, d)

    @pass_context
    def replace(context: Context, s: Any, old: str, new: str, count: int | None = None) -> str:
        guards.replace(meter, str(s), old, new, -1 if count is None else count)
        return jinja.do_replace(context.eval_ctx, s, old, new, count)

    def batch(value: Iterable[Any], linecount: int, fill_with: Any = None) -> Any:
        if fill_with is not None:
            meter.allow(f"batch({linecount})", linecount)
        return jinja.do_batch(value, linecount, fill_with)

    def slice_(value: Iterable[Any], slices: int, fill_with: Any = None) -> Any:
        meter.allow(f"slice({slices})", slices)
        return jinja.sync_do_slice(list(value), slices, fill_with)

    @pass_environment
    def sum_(environment: Any, iterable: Iterable[Any], attribute: str | int | None = None,
             start: Any = 0) -> Any:
        if isinstance(start, (list, tuple)):
            parts = list(iterable)
            if attribute is not None:
                getter = jinja.make_attrgetter(environment, attribute)
                parts = [getter(part) for part in parts]
            total = len(start)
            for part in parts:
                total += len(part) if isinstance(part, (list, tuple)) else 1
                if total > size:
                    break
            meter.allow("sum", total)
            return type(start)(chain(start, *parts))  # linear, where sum() is quadratic
        return jinja.sync_do_sum(environment, iterable, attribute, start)

    def sorting(original: Filter) -> Filter:
        @wraps(original)
        def checked(*args: Any, **kwargs: Any) -> Any:
            # sorting n items costs ~n log n comparisons, in one step the clock cannot stop:
            # charged beforehand, a unit per 8 comparisons (Jinja sorts with a key function)
            at = 1 if hasattr(original, "jinja_pass_arg") else 0
            items = args[at] if isinstance(args[at], Mapping) else list(args[at])
            n = len(items)
            meter.charge(1 + n * n.bit_length() // 8)
            return original(*args[:at], items, *args[at + 1:], **kwargs)

        return checked

    guarded: dict[str, Filter] = {
        "center": center, "indent": indent, "wordwrap": wordwrap, "format": format_,
        "join": join, "replace": replace, "batch": batch, "slice": slice_, "sum": sum_,
    }
    for name in ("sort", "unique", "dictsort", "groupby"):
        guarded[name] = sorting(filters[name])
    for name in ("string", "tojson", "pprint", "xmlattr", "to_json"):
        if name in filters:
            guarded[name] = _printing(meter, filters[name], name)
    return guarded


def guarded_globals(meter: Meter) -> dict[str, Callable[..., Any]]:
    """``range`` and ``lipsum``, bounded by the operations budget."""
    limit = meter.budget.operations

    def range_(*args: int) -> range:
        numbers = range(*args)
        if len(numbers) > limit:
            raise BudgetExceeded(f"range() of {len(numbers)} items is over the budget of "
                                 f"{limit} operations", "operations")
        return numbers

    def lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
        meter.charge(max * n if n > 0 and max > 0 else 1)  # a unit per word it may make
        return generate_lorem_ipsum(n, html, min, max)

    return {"range": range_, "lipsum": lipsum}
