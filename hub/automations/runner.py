"""One automation at run time: its modes (single, restart, queued, parallel, with `max`
and `max_exceeded`), its variables, its conditions, and a trace of every run."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from hub.automations.errors import ScriptError, StopRun
from hub.automations.model import AutomationConfig
from hub.automations.script import DEPTH, MAX_DEPTH, Engine, Resume, Run
from hub.automations.traces import Trace, TraceBook, TraceStep
from hub.errors import AtmosphereError

_LOGGER = logging.getLogger(__name__)


class Automation:
    def __init__(self, config: AutomationConfig, engine: Engine, traces: TraceBook,
                 stopping: Callable[[], bool]) -> None:
        self.config = config
        self.engine = engine
        self.traces = traces
        self.enabled = config.initial_state
        self.last_triggered: float | None = None
        self.exceeded = 0
        self.detach: Callable[[], None] | None = None
        self._stopping = stopping
        self._runs: dict[asyncio.Task[Any], Run | None] = {}
        self._waiting: deque[asyncio.Future[None]] = deque()
        traces.keep(config.id, config.stored_traces)

    @property
    def running(self) -> int:
        return len(self._runs)

    def this(self) -> dict[str, Any]:
        config = self.config
        return {"entity_id": f"automation.{config.id}", "state": "on" if self.enabled else "off",
                "attributes": {"id": config.id, "friendly_name": config.alias,
                               "mode": config.mode, "current": self.running,
                               "last_triggered": self.last_triggered}}

    def view(self) -> dict[str, Any]:
        config = self.config
        return {"id": config.id, "alias": config.alias, "description": config.description,
                "mode": config.mode, "enabled": self.enabled, "running": self.running,
                "last_triggered": self.last_triggered, "where": config.where,
                "blueprint": config.blueprint or None, "traces": self.traces.count(config.id),
                "triggers": [t.platform for t in config.triggers]}

    async def trigger(self, trigger: dict[str, Any], *, skip_condition: bool = False,
                      extra: Mapping[str, Any] | None = None) -> None:
        """Run for one firing of a trigger, in the current task, as the mode says."""
        if not self.enabled:
            return
        config = self.config
        depth = DEPTH.get()
        if self._runs and not await self._admit():
            return
        task = asyncio.current_task()
        assert task is not None
        self._runs[task] = None
        try:
            DEPTH.set(depth + 1)
            await self._execute(trigger, skip_condition, depth, extra or {})
        finally:
            self._runs.pop(task, None)
            if self._waiting and config.mode == "queued":
                waiter = self._waiting.popleft()
                if not waiter.done():
                    waiter.set_result(None)

    async def _admit(self) -> bool:
        """Whether a new run may start while others run; queued runs wait their turn."""
        config = self.config
        mode = config.mode
        if mode == "restart":
            for task in list(self._runs):
                task.cancel()
            return True
        if mode == "parallel" and len(self._runs) < config.max:
            return True
        if mode == "queued" and len(self._runs) + len(self._waiting) < config.max:
            waiter = asyncio.get_running_loop().create_future()
            self._waiting.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter in self._waiting:
                    self._waiting.remove(waiter)
                raise
            return True
        self.exceeded += 1
        if config.max_exceeded != "SILENT":
            _LOGGER.log(logging.getLevelName(config.max_exceeded),
                        "automation already running, run dropped automation=%s mode=%s "
                        "max=%d", config.id, mode, config.max)
        return False

    def _variables(self, trigger: dict[str, Any]) -> dict[str, Any]:
        renderer = self.engine.renderer
        variables: dict[str, Any] = {"this": self.this(), "trigger": trigger}
        for name, value in self.config.trigger_variables.items():
            variables[name] = renderer.value(value, variables)
        for name, value in self.config.variables.items():
            variables[name] = renderer.value(value, variables)
        return variables

    async def _execute(self, trigger: dict[str, Any], skip_condition: bool, depth: int,
                       extra: Mapping[str, Any]) -> None:
        config = self.config
        now = self.engine.clock.now().timestamp()
        trace = Trace(config.id, uuid.uuid4().hex[:16], now, trigger)
        self.last_triggered = now
        run: Run | None = None
        try:
            if depth >= MAX_DEPTH:
                raise ScriptError(f"runs started by runs nested {MAX_DEPTH} deep (an automation "
                                  "that triggers itself?); this run is refused (bound: "
                                  "MAX_DEPTH)")
            variables = self._variables(trigger)
            for name, value in extra.items():  # the trigger's own `variables:`
                variables[name] = self.engine.renderer.value(value, variables)
            run = Run(self.engine, config, trace, variables)
            task = asyncio.current_task()
            if task is not None:
                self._runs[task] = run
            if not skip_condition and not self._conditions(run):
                trace.script_execution = "failed_conditions"
                return
            await run.sequence(config.actions, "action")
            trace.script_execution = "finished"
        except StopRun as stop:
            trace.script_execution = "error" if stop.error else "finished"
            if stop.error:
                trace.error = stop.reason
        except AtmosphereError as exc:
            trace.script_execution = "error"
            trace.error = str(exc)
            _LOGGER.warning("automation run failed automation=%s run=%s: %s", config.id,
                            trace.run_id, exc)
        except asyncio.CancelledError:
            trace.script_execution = "cancelled"
            # a hub that stops keeps a durable wait to resume it (that run is traced then)
            if not self._stopping() and run is not None and run.holding:
                await asyncio.shield(self.engine.timers.delete(run.timer_key))
            raise
        finally:
            trace.state = "stopped"
            trace.finished = self.engine.clock.now().timestamp()
            if not (trace.script_execution == "cancelled" and self._stopping()
                    and run is not None and run.holding):
                self.traces.add(trace)

    def _conditions(self, run: Run) -> bool:
        for index, condition in enumerate(self.config.conditions):
            step = TraceStep(f"condition/{index}", run.wall())
            run.trace.steps.append(step)
            try:
                ok = condition.test(run)
            except AtmosphereError as exc:
                step.error = str(exc)
                raise
            step.result = {"result": ok}
            if not ok:
                return False
        return True

    async def resume(self, run_id: str, started: float, variables: dict[str, Any],
                     resume: Resume) -> None:
        """Go on with a run the hub was in the middle of when it stopped."""
        config = self.config
        trace = Trace(config.id, run_id, started, variables.get("trigger"), resumed=True)
        run = Run(self.engine, config, trace, variables, resume)
        run.holding = True
        task = asyncio.current_task()
        assert task is not None
        self._runs[task] = run
        try:
            await run.sequence(config.actions, "action")
            trace.script_execution = "finished"
        except StopRun as stop:
            trace.script_execution = "error" if stop.error else "finished"
            trace.error = stop.reason if stop.error else None
        except AtmosphereError as exc:
            trace.script_execution = "error"
            trace.error = str(exc)
        except asyncio.CancelledError:
            trace.script_execution = "cancelled"
            if not self._stopping() and run.holding:
                await asyncio.shield(self.engine.timers.delete(run.timer_key))
            raise
        finally:
            self._runs.pop(task, None)
            trace.state = "stopped"
            trace.finished = self.engine.clock.now().timestamp()
            if not (trace.script_execution == "cancelled" and self._stopping() and run.holding):
                self.traces.add(trace)

    def cancel_all(self) -> None:
        for task in list(self._runs):
            task.cancel()
        for waiter in self._waiting:
            waiter.cancel()
        self._waiting.clear()
