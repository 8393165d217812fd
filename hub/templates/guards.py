"""Size checks made *before* an operation that can make far more than it is given:
``'a' * n``, ``'%*d' % (n, 1)``, ``'{:>n}'.format(1)``, ``s.center(n)``, ``x | join``...
Each estimates what the operation would make and lets the `Meter` refuse it, so that no
render ever allocates past `Budget.size` in one step."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from hub.templates.budget import MAX_INT_BITS, BudgetExceeded, Meter, printed_size

_PERCENT = re.compile(r"%(\([^)]*\))?[#0 +\-]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?(.?)", re.DOTALL)
_DIGITS = re.compile(r"\d+")
_TEXT = (str, bytes)
_SEQUENCE = (str, bytes, list, tuple)


def _number(digits: str, meter: Meter) -> int:
    if len(digits) > 12:
        raise meter.too_big(f"a width of {len(digits)} digits")
    return int(digits)


def binop(meter: Meter, operator: str, left: Any, right: Any) -> None:
    """Refuse ``*``, ``**``, ``+`` and ``%`` whose result would be over the budget."""
    if operator == "*":
        if isinstance(left, int) and isinstance(right, _SEQUENCE):
            left, right = right, left
        if isinstance(left, _SEQUENCE) and isinstance(right, int):
            meter.allow(f"{type(left).__name__} * {right}", len(left) * max(right, 0))
        elif isinstance(left, int) and isinstance(right, int):
            _bits(meter, "*", left.bit_length() + right.bit_length())
    elif operator == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            _bits(meter, "**", left.bit_length() * right)
    elif operator == "+":
        if isinstance(left, _SEQUENCE) and isinstance(right, _SEQUENCE):
            meter.allow("+", len(left) + len(right))
    elif operator == "%" and isinstance(left, _TEXT):
        percent(meter, left, right)


def _bits(meter: Meter, operator: str, bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise BudgetExceeded(f"{operator!r} would make a number of ~{bits} bits, over the "
                             f"limit of {MAX_INT_BITS} bits", "size")
    meter.tick()


def percent(meter: Meter, fmt: str | bytes, args: Any) -> None:
    """``fmt % args``: widths and precisions (``*`` ones included) and what each
    conversion prints, added up."""
    text = fmt.decode("latin-1") if isinstance(fmt, bytes) else fmt
    if isinstance(args, tuple):
        values: Sequence[Any] = args
    elif isinstance(args, Mapping):
        values = list(args.values())
    else:
        values = (args,)
    limit = meter.budget.size
    widest = max((printed_size(v, limit) for v in values), default=0)
    total = len(text)
    position = 0
    for match in _PERCENT.finditer(text):
        if match.group(4) == "%":
            continue
        for number in (match.group(2), match.group(3)):
            if number == "*":
                given = values[position] if position < len(values) else 0
                position += 1
                total += given if isinstance(given, int) and given > 0 else 0
            elif number:
                total += _number(number, meter)
        position += match.group(1) is None
        total += widest
        if total > limit:
            break
    meter.allow("'%' formatting", total)


def format_spec(meter: Meter, spec: str) -> int:
    """The widest number in a ``str.format`` spec (width or precision)."""
    widest = max((_number(d, meter) for d in _DIGITS.findall(spec)), default=0)
    if widest > meter.budget.size:
        raise meter.too_big(f"format spec {spec[:20]!r}")
    return widest


def method(meter: Meter, owner: Any, name: str, args: tuple[Any, ...],
           kwargs: Mapping[str, Any]) -> tuple[Any, ...]:
    """Check a call of a text or number method that can make much more than it is given;
    returns the arguments to call it with (``join`` reads its iterable once, here)."""
    size = meter.budget.size

    def arg(index: int, key: str, default: Any) -> Any:
        return args[index] if len(args) > index else kwargs.get(key, default)

    if isinstance(owner, _TEXT):
        if name in ("center", "ljust", "rjust", "zfill"):
            width = arg(0, "width", 0)
            if isinstance(width, int):
                meter.allow(f"{name}({width})", max(width, len(owner)))
        elif name == "expandtabs":
            tabsize = arg(0, "tabsize", 8)
            if isinstance(tabsize, int):
                tabs = owner.count("\t") if isinstance(owner, str) else owner.count(b"\t")
                meter.allow(f"expandtabs({tabsize})", len(owner) + tabs * max(tabsize, 0))
        elif name == "replace" and len(args) >= 2:
            replace(meter, owner, args[0], args[1], args[2] if len(args) > 2 else -1)
        elif name == "join" and args:
            items = list(args[0]) if not isinstance(args[0], (list, tuple)) else args[0]
            meter.allow("join", len(items))
            joined(meter, items, owner)
            return (items, *args[1:])
        elif name == "translate" and args and isinstance(args[0], Mapping):
            longest = max((len(v) if isinstance(v, _TEXT) else 1 for v in args[0].values()),
                          default=1)
            meter.allow("translate", len(owner) * longest)
    elif isinstance(owner, int) and name == "to_bytes":
        length = arg(0, "length", 1)
        if isinstance(length, int) and length > size:
            raise meter.too_big(f"to_bytes({length})")
    return args


def replace(meter: Meter, text: Any, old: Any, new: Any, count: Any) -> None:
    if not (isinstance(text, _TEXT) and isinstance(old, _TEXT) and isinstance(new, _TEXT)):
        return
    found = len(text) + 1 if not old else text.count(old)  # type: ignore[arg-type]
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    meter.allow("replace", len(text) + found * max(0, len(new) - len(old)))


def joined(meter: Meter, items: Sequence[Any], separator: Any) -> None:
    """What joining `items` with `separator` would print."""
    limit = meter.budget.size
    total = max(len(items) - 1, 0) * len(str(separator))
    for item in items:
        total += printed_size(item, limit)
        if total > limit:
            break
    meter.allow("join", total)


def printable(meter: Meter, value: Any, what: str) -> None:
    """Refuse to print (str, JSON, %s...) a container whose text would be over the budget:
    ``[s] * 1000`` holds one string a thousand times but prints it a thousand times."""
    if not isinstance(value, str):
        meter.allow(what, printed_size(value, meter.budget.size))
