"""Control flow steps: `choose`, `if`/`then`/`else`, `repeat` (count, while, until,
for_each), `parallel` and `sequence`. Their paths are Home Assistant's
(``action/1/choose/0/sequence/2``, ``action/0/then/1``, ``action/3/repeat/sequence/0``)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from hub.automations.conditions import Condition
from hub.automations.errors import LimitReached, ScriptError
from hub.automations.script import MAX_ITERATIONS, Action, Run
from hub.automations.steps import Common


@dataclass(frozen=True, slots=True)
class Option:
    conditions: tuple[Condition, ...]
    sequence: tuple[Action, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Choose(Common):
    options: tuple[Option, ...]
    default: tuple[Action, ...] = ()

    async def run(self, run: Run, path: str) -> Any:
        rest = run.resuming(path)
        if rest is not None:  # resumed inside a branch chosen before the restart
            if rest.startswith("default/"):
                await run.sequence(self.default, f"{path}/default")
                return {"choice": "default"}
            index = int(rest.split("/")[1])
            await run.sequence(self.options[index].sequence, f"{path}/choose/{index}/sequence")
            return {"choice": index}
        for index, option in enumerate(self.options):
            if all(c.test(run) for c in option.conditions):
                await run.sequence(option.sequence, f"{path}/choose/{index}/sequence")
                return {"choice": index}
        if self.default:
            await run.sequence(self.default, f"{path}/default")
            return {"choice": "default"}
        return {"choice": None}


@dataclass(frozen=True, slots=True, kw_only=True)
class If(Common):
    conditions: tuple[Condition, ...]
    then: tuple[Action, ...]
    otherwise: tuple[Action, ...] = ()

    async def run(self, run: Run, path: str) -> Any:
        rest = run.resuming(path)
        if rest is not None:
            branch = "then" if rest.startswith("then/") else "else"
        else:
            branch = "then" if all(c.test(run) for c in self.conditions) else "else"
        await run.sequence(self.then if branch == "then" else self.otherwise,
                           f"{path}/{branch}")
        return {"choice": branch}


@dataclass(frozen=True, slots=True, kw_only=True)
class Repeat(Common):
    sequence: tuple[Action, ...]
    count: Any = None
    while_: tuple[Condition, ...] = ()
    until: tuple[Condition, ...] = ()
    for_each: Any = None
    kind: str = "count"

    async def run(self, run: Run, path: str) -> Any:
        items: list[Any] | None = None
        total: int | None = None
        if self.kind == "count":
            try:
                total = int(run.render(self.count))
            except (TypeError, ValueError):
                raise ScriptError(f"{path}: repeat count must be a whole number, got "
                                  f"{self.count!r}") from None
        elif self.kind == "for_each":
            rendered = run.render(self.for_each)
            items = list(rendered) if isinstance(rendered, (list, tuple)) else [rendered]
            total = len(items)
        saved = run.variables.get("repeat")
        index = 0
        try:
            while True:
                if total is not None and index >= total:
                    break
                if index >= MAX_ITERATIONS:
                    raise LimitReached(f"{path}: repeat ran {MAX_ITERATIONS} times without "
                                       "ending; a runaway loop? (bound: MAX_ITERATIONS)")
                index += 1
                info: dict[str, Any] = {"index": index, "first": index == 1}
                if total is not None:
                    info["last"] = index == total
                if items is not None:
                    info["item"] = items[index - 1]
                run.variables["repeat"] = info
                if self.kind == "while" and not all(c.test(run) for c in self.while_):
                    index -= 1
                    break
                await run.sequence(self.sequence, f"{path}/repeat/sequence")
                if self.kind == "until" and all(c.test(run) for c in self.until):
                    break
                await asyncio.sleep(0)  # a tight loop must not starve the hub
        finally:
            if saved is None:
                run.variables.pop("repeat", None)
            else:
                run.variables["repeat"] = saved
        return {"iterations": index}


@dataclass(frozen=True, slots=True, kw_only=True)
class Parallel(Common):
    branches: tuple[tuple[Action, ...], ...] = field(default_factory=tuple)

    async def run(self, run: Run, path: str) -> Any:
        try:
            async with asyncio.TaskGroup() as group:
                for index, branch in enumerate(self.branches):
                    group.create_task(run.sequence(branch, f"{path}/parallel/{index}/sequence"),
                                      name=f"automation.{run.automation.id}.parallel")
        except BaseExceptionGroup as failed:  # the first branch's error, as a sequence's
            raise failed.exceptions[0] from None
        return {"branches": len(self.branches)}


@dataclass(frozen=True, slots=True, kw_only=True)
class Sequence(Common):
    steps: tuple[Action, ...]

    async def run(self, run: Run, path: str) -> Any:
        await run.sequence(self.steps, f"{path}/sequence")
        return None
