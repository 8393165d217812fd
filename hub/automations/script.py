"""Running a sequence of actions: the `Run` (variables, trace, bounds, resuming after a
restart) and the `Action` base every step derives from (hub/automations/actions.py).

Bounds: a run takes at most `MAX_STEPS` steps, a `repeat` at most `MAX_ITERATIONS`
iterations, and runs started by runs (an `event` that triggers another automation, which
fires another...) nest at most `MAX_DEPTH` deep; past a bound the run ends with an error
the trace shows.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from hub.automations.errors import LimitReached, ScriptError, StopRun
from hub.automations.model import AutomationConfig, TriggerSpec
from hub.automations.templating import Renderer
from hub.automations.timers import Timers
from hub.automations.traces import Trace, TraceStep, jsonable
from hub.clock import Clock
from hub.errors import AtmosphereError
from hub.registry import Registry

if TYPE_CHECKING:
    from hub.routing.language import Resolution

MAX_STEPS = 100_000
MAX_ITERATIONS = 10_000
MAX_DEPTH = 10
DEPTH: contextvars.ContextVar[int] = contextvars.ContextVar("automation_depth", default=0)
"""How deep in runs-started-by-runs the current task is (copied into the tasks it makes)."""
_NOT_RESUMABLE = ("/repeat/", "/parallel/")


class Engine(Protocol):
    """What steps reach beyond the run (hub/automations/engine.py)."""

    registry: Registry
    renderer: Renderer
    clock: Clock
    timers: Timers

    async def call(self, capability_id: str, tool: str, arguments: Mapping[str, Any]) -> Any: ...
    def publish(self, topic: str, payload: str | bytes, qos: int, retain: bool) -> None: ...
    def fire_event(self, event_type: str, data: Mapping[str, Any]) -> None: ...
    def since_change(self, capability_id: str) -> float | None: ...
    def capability_ids(self, domain: str, areas: Sequence[str]) -> list[str]: ...
    async def automation_service(self, service: str, ids: Sequence[str],
                                 variables: Mapping[str, Any]) -> None: ...
    async def attach_triggers(self, specs: Sequence[TriggerSpec], name: str,
                              callback: Callable[[dict[str, Any]], Awaitable[None]]
                              ) -> Callable[[], None]: ...
    def on_any_state(self, callback: Callable[[], None]) -> Callable[[], None]: ...
    async def resolve(self, text: str, context: Mapping[str, Any]) -> Resolution: ...


class Action:
    """One step. Subclasses are frozen dataclasses with `alias`, `enabled` and
    `continue_on_error`, and implement `run`, which returns what the trace shows."""

    __slots__ = ()
    alias: str
    enabled: bool
    continue_on_error: bool
    durable = False
    """Its wait survives a restart (delay, wait_template, wait_for_trigger)."""

    async def run(self, run: Run, path: str) -> Any:
        raise NotImplementedError


@dataclass(slots=True)
class Resume:
    """Where a run restored after a restart goes on: the path of the step it was waiting
    in, and the wall-clock time that wait ends."""

    path: str
    due: float


class Run:
    """One run of an automation (also a `conditions.Scope`)."""

    def __init__(self, engine: Engine, automation: AutomationConfig, trace: Trace,
                 variables: dict[str, Any], resume: Resume | None = None) -> None:
        self.engine = engine
        self.automation = automation
        self.trace = trace
        self.variables = variables
        self.registry = engine.registry
        self.renderer = engine.renderer
        self.clock = engine.clock
        self.resume = resume
        self.steps = 0
        self.holding = False
        """A durable wait of this run is in the store (it resumes after a restart)."""

    @property
    def timer_key(self) -> str:
        return f"run:{self.automation.id}:{self.trace.run_id}"

    def since_change(self, capability_id: str) -> float | None:
        return self.engine.since_change(capability_id)

    def wall(self) -> float:
        return self.clock.now().timestamp()

    def render(self, value: Any) -> Any:
        return self.renderer.value(value, self.variables)

    def resuming(self, path: str) -> str | None:
        """The rest of the resume path below `path` ("then/0/..."), or None."""
        if self.resume is None or not self.resume.path.startswith(path + "/"):
            return None
        return self.resume.path[len(path) + 1:]

    def take_resume(self, path: str) -> float | None:
        """The due time of the wait at `path` when this run resumes there (once)."""
        if self.resume is not None and self.resume.path == path:
            due, self.resume = self.resume.due, None
            return due
        return None

    def durable(self, path: str) -> bool:
        return not any(part in path for part in _NOT_RESUMABLE)

    async def hold(self, path: str, due: float, kind: str) -> None:
        """Write the pending wait of this run to the store (before waiting)."""
        if not self.durable(path):
            return
        data = {"run_id": self.trace.run_id, "path": path, "kind": kind,
                "fingerprint": self.automation.fingerprint,
                "started": self.trace.started,
                "variables": jsonable({k: v for k, v in self.variables.items()})}
        await self.engine.timers.save(self.timer_key, self.automation.id, "run", due, data)
        self.holding = True

    async def release(self, path: str) -> None:
        if self.holding:
            await self.engine.timers.delete(self.timer_key)
            self.holding = False

    async def sequence(self, actions: Sequence[Action], path: str) -> None:
        start = 0
        rest = self.resuming(path)
        if rest is not None:
            start = int(rest.split("/", 1)[0])
        for index in range(start, len(actions)):
            await self.step(actions[index], f"{path}/{index}")

    async def step(self, action: Action, path: str) -> Any:
        if not action.enabled:
            self.trace.steps.append(TraceStep(path, self.wall(), result={"enabled": False}))
            return None
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise LimitReached(f"{path}: the run took more than {MAX_STEPS} steps; a "
                               "runaway loop? (bound: MAX_STEPS)")
        step = TraceStep(path, self.wall())
        self.trace.steps.append(step)
        started = self.clock.monotonic()
        try:
            step.result = await action.run(self, path)
            return step.result
        except StopRun as stop:
            step.result = {"stop": stop.reason, "error": stop.error}
            raise
        except AtmosphereError as exc:
            step.error = str(exc)
            if action.continue_on_error and not isinstance(exc, LimitReached):
                return None
            raise
        except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:  # a bug in a step must end the run, not the hub
            step.error = f"{type(exc).__name__}: {exc}"
            raise ScriptError(f"{path}: {step.error}") from exc
        finally:
            step.duration_ms = (self.clock.monotonic() - started) * 1000
