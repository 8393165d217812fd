"""What one render may spend: the `Budget`, the `Meter` that charges against it, and how
big a value is once printed.

A render is charged one unit per loop iteration, call, filter and intercepted operator,
plus one per KiB of text (or thousand list items) it makes, so that memory and time are
both bounded by the operations budget.

Time is the CPU time of the rendering thread (`time.thread_time`): under load the loop's
thread is preempted for milliseconds, which is not the template's doing, and a wall clock
budget of a few ms then fails good templates. The clock is read every `CHECK_EVERY` units
and starts at the first reading, so the typical render (a handful of units) never reads
it; the units before that first reading are each bounded by the size budget.
"""

from __future__ import annotations

import time
from collections.abc import Callable, ItemsView, KeysView, Mapping, ValuesView
from dataclasses import dataclass
from typing import TypeVar

from jinja2.utils import Namespace

from hub.errors import PayloadError

CHECK_EVERY = 32
"""Units charged between two readings of the clock (~0.5 us each)."""
MAX_INT_BITS = 4096
"""Largest integer an operator may make (~1233 digits; Python prints at most 4300)."""
_KIB_SHIFT = 10
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Budget:
    """Limits of one render (and of one template's source)."""

    time: float = 0.005
    """Seconds of CPU time one render may take."""
    operations: int = 10_000
    """Units one render may spend: loop iterations, calls, filters, operators, plus one per
    KiB of text made; ``range()`` may not make more items than this."""
    size: int = 256 * 1024
    """Characters (or list items) of any value a render makes, and of its output."""
    source_size: int = 8 * 1024
    """Characters of a template's source (compiling costs ~3-4 ms per KiB, on the loop)."""

    def __post_init__(self) -> None:
        if not (self.time > 0 and self.operations > 0 and self.size > 0
                and self.source_size > 0):
            raise ValueError(f"every limit of a template budget must be positive: {self}")


class BudgetExceeded(PayloadError):
    """A render went over its budget. `budget` says which: ``time``, ``operations``,
    ``size``, ``depth`` (calls nested too deeply) or ``source`` (the template is too long
    to compile)."""

    def __init__(self, message: str, budget: str) -> None:
        super().__init__(message)
        self.budget = budget


class Meter:
    """Charges one render at a time against a `Budget` (one per `Templates`, used on the
    loop only: `start` begins the next render)."""

    __slots__ = ("_deadline", "_left", "_timer", "_used", "budget")

    def __init__(self, budget: Budget, timer: Callable[[], float] = time.thread_time) -> None:
        self.budget = budget
        self._timer = timer
        self._left = CHECK_EVERY
        self._used = 0
        self._deadline: float | None = None

    def start(self) -> None:
        self._used = 0
        self._left = CHECK_EVERY
        self._deadline = None  # the clock starts at the first check

    def tick(self) -> None:
        """Charge one unit (the hot path: one subtraction)."""
        self._left -= 1
        if self._left < 0:
            self._check()

    def charge(self, units: int) -> None:
        self._left -= units
        if self._left < 0:
            self._check()

    def made(self, value: T) -> T:
        """Charge for a value just made, and refuse it past the size budget."""
        if isinstance(value, (str, bytes, list, tuple)):
            n = len(value)
            if n > self.budget.size:
                raise self.too_big(f"a value of {n} characters or items")
            self._left -= 1 + (n >> _KIB_SHIFT)
        else:
            self._left -= 1
        if self._left < 0:
            self._check()
        return value

    def allow(self, what: str, size: int) -> None:
        """Refuse to make `what` of `size` characters/items if that is over the budget;
        charge for it otherwise."""
        if size > self.budget.size:
            raise self.too_big(f"{what} would make {size} characters or items")
        self.charge(1 + (size >> _KIB_SHIFT))

    def too_big(self, what: str) -> BudgetExceeded:
        return BudgetExceeded(f"{what}, over the size budget of {self.budget.size}", "size")

    def _check(self) -> None:
        self._used += CHECK_EVERY - self._left
        limit = self.budget.operations
        if self._used > limit:
            raise BudgetExceeded(
                f"over the budget of {limit} operations (loop iterations, calls, filters, "
                "operators, text made)", "operations")
        now = self._timer()
        if self._deadline is None:
            self._deadline = now + self.budget.time
        elif now > self._deadline:
            raise BudgetExceeded(
                f"over the time budget of {self.budget.time * 1000:g} ms", "time")
        self._left = CHECK_EVERY


_SEQUENCES = (list, tuple, set, frozenset, KeysView, ValuesView, ItemsView)


def printed_size(value: object, limit: int) -> int:
    """About how many characters ``str(value)`` makes (quotes and commas included);
    counting stops once past `limit`, so this costs at most ~`limit` steps."""
    if isinstance(value, (str, bytes)):
        return len(value)
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, (str, bytes)):
            total += len(item) + 4
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 2
        elif isinstance(item, Mapping):
            total += 2 + 4 * len(item)
            if total <= limit:
                stack.extend(item.keys())
                stack.extend(item.values())
        elif isinstance(item, _SEQUENCES):
            total += 2 + 2 * len(item)
            if total <= limit:
                stack.extend(item)
        elif isinstance(item, Namespace):
            stack.append(item._Namespace__attrs)  # printed as <Namespace {...}>
        else:
            total += 24  # numbers, None, ranges, Jinja's objects: short reprs
        if total > limit:
            break
    return total
