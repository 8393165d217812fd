"""The sandboxed Jinja environment that charges every render against its budget.

Jinja's sandbox stops attribute tricks and mutation, not cost: ``{% for %}`` in
``{% for %}`` runs for ever, ``'a' * 10**9`` makes a gigabyte. Here the budget is checked
*inside* the render, where the cost is made:

- the code generator puts a charge into every loop iteration (and loop filter test), so
  that even an empty nested loop stops, and after every filter, which also refuses a
  result over the size budget;
- buffers (macros, ``{% set %}`` blocks, ``{% filter %}`` blocks) refuse text past the size
  budget; ``~`` checks what it would join before joining;
- ``*``, ``**``, ``+`` and ``%`` are intercepted and checked before they run (`guards`);
  so are ``str.format`` (widths, nested ones too), and string methods such as ``center``,
  ``ljust``, ``replace``, ``join``, ``expandtabs``, ``translate``, and ``int.to_bytes``;
- printing a list or a mapping checks how long its text would be first.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from string import Formatter
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedFormatter
from markupsafe import EscapeFormatter, Markup

from hub.templates import guards
from hub.templates.budget import Meter, printed_size
from hub.templates.filters import guarded_filters, guarded_globals


class _Generator(CodeGenerator):
    """Jinja's code generator, plus a charge at the top of every loop body and before
    every loop filter test, and checks around filters, ``~`` and buffers. (Jinja allows
    no node types of our own: the charges are written where the loop's parts are.)"""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loop_parts: set[int] = set()

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        self._loop_parts.add(id(node.body))
        if node.test is not None:
            self._loop_parts.add(id(node.test))
        super().visit_For(node, frame)

    def blockvisit(self, nodes: Iterable[nodes.Node], frame: Frame) -> None:
        if id(nodes) in self._loop_parts:
            self.writeline("environment.tick()")
        super().blockvisit(nodes, frame)

    def visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> Any:
        if id(node) not in self._loop_parts:
            return super().visit(node, *args, **kwargs)
        self.write("(environment.tick() or ")
        super().visit(node, *args, **kwargs)
        self.write(")")
        return None

    def visit_Filter(self, node: nodes.Filter, frame: Frame) -> None:
        self.write("environment.made(")
        super().visit_Filter(node, frame)
        self.write(")")

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.volatile else str_join)"
        elif frame.eval_ctx.autoescape:
            join = "markup_join"
        else:
            join = "str_join"
        self.write(f"{join}(environment.parts((")
        for part in node.nodes:
            self.visit(part, frame)
            self.write(", ")
        self.write(")))")

    def buffer(self, frame: Frame) -> None:
        frame.buffer = self.temporary_identifier()
        self.writeline(f"{frame.buffer} = environment.new_buffer()")


class _Buffer(list[str]):
    """Where a macro or a block collects its text: refuses it past the size budget."""

    __slots__ = ("_meter", "_size")

    def __init__(self, meter: Meter) -> None:
        super().__init__()
        self._meter = meter
        self._size = 0

    def append(self, text: str) -> None:
        self._add(len(text))
        super().append(text)

    def extend(self, texts: Any) -> None:
        texts = tuple(texts)
        self._add(sum(len(t) for t in texts))
        super().extend(texts)

    def _add(self, n: int) -> None:
        self._size += n
        if self._size > self._meter.budget.size:
            raise self._meter.too_big(f"a block of {self._size} characters")
        self._meter.tick()


class _Formatter(SandboxedFormatter):
    """``str.format`` in the sandbox, adding up what each field prints."""

    def __init__(self, env: Any, meter: Meter, **kwargs: Any) -> None:
        super().__init__(env, **kwargs)
        self._meter = meter
        self._total = 0

    def format_field(self, value: Any, format_spec: str) -> Any:
        meter = self._meter
        width = guards.format_spec(meter, format_spec) if format_spec else 0
        self._total += max(width, printed_size(value, meter.budget.size))
        meter.allow("str.format", self._total)
        return super().format_field(value, format_spec)


class _EscapeFormatter(_Formatter, EscapeFormatter):
    pass


class Environment(ImmutableSandboxedEnvironment):
    """The sandbox with a budget: `meter` charges whatever render runs now."""

    code_generator_class = _Generator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, meter: Meter, **options: Any) -> None:
        super().__init__(finalize=self._printed, **options)
        self.meter = meter
        self.tick: Callable[[], None] = meter.tick
        self.made: Callable[[Any], Any] = meter.made

    def install_guards(self) -> None:
        """Replace the filters and globals that need a check (after every filter is in)."""
        self.filters.update(guarded_filters(self.meter, self.filters))
        self.globals.update(guarded_globals(self.meter))

    # -- called by the generated code -----------------------------------------------------

    def _printed(self, value: Any) -> Any:
        if type(value) is not str:
            guards.printable(self.meter, value, "printing")
        return value

    def parts(self, values: Sequence[Any]) -> Sequence[Any]:
        limit = self.meter.budget.size
        total = 0
        for value in values:
            total += len(value) if isinstance(value, str) else printed_size(value, limit)
            if total > limit:
                break
        self.meter.allow("'~'", total)
        return values

    def new_buffer(self) -> list[str]:
        return _Buffer(self.meter)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        # arithmetic on floats (most device templates) cannot grow: no check
        if type(left) is not float and type(right) is not float:
            guards.binop(self.meter, operator, left, right)
        return self.binop_table[operator](left, right)

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        meter = self.meter
        meter.tick()
        if type(obj) is types.BuiltinMethodType and obj.__name__ in _AMPLIFIERS:
            args = guards.method(meter, obj.__self__, obj.__name__, args, kwargs)
        result = super().call(context, obj, *args, **kwargs)
        meter.made(result)
        return result

    def call_filter(self, name: str, value: Any, args: Sequence[Any] | None = None,
                    kwargs: Mapping[str, Any] | None = None, context: Context | None = None,
                    eval_ctx: Any = None) -> Any:
        # map('filter'), select('test')... call filters through here, not through the code
        result = super().call_filter(name, value, args, kwargs, context, eval_ctx)
        self.meter.made(result)
        return result

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        if not isinstance(value, (types.MethodType, types.BuiltinMethodType)) or (
            value.__name__ not in ("format", "format_map")
        ) or not isinstance(value.__self__, str):
            return None
        text: str = value.__self__
        is_map = value.__name__ == "format_map"
        meter = self.meter

        def formatted(*args: Any, **kwargs: Any) -> str:
            formatter: Formatter = (_EscapeFormatter(self, meter, escape=text.escape)
                                    if isinstance(text, Markup) else _Formatter(self, meter))
            if is_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument, a mapping")
                return type(text)(formatter.vformat(text, (), args[0]))
            return type(text)(formatter.vformat(text, args, kwargs))

        return formatted


_AMPLIFIERS = frozenset({
    "center", "ljust", "rjust", "zfill", "expandtabs", "replace", "join", "translate",
    "to_bytes",
})
"""Methods of text and numbers that can make much more than they are given."""
