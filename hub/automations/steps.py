"""The simple steps: calling a tool (Home Assistant's service syntax), `mqtt.publish`,
`event`, `variables`, `stop`, a condition as a step, `delay`, `wait_template` and
`wait_for_trigger`. Control flow (choose, if, repeat, parallel, sequence) is flow.py."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hub.automations.conditions import Condition
from hub.automations.durations import parse_duration, timedelta_dict
from hub.automations.errors import ScriptError, StopRun
from hub.automations.model import TriggerSpec
from hub.automations.script import Action, Run

_EMPTY: Mapping[str, Any] = {}


@dataclass(frozen=True, slots=True, kw_only=True)
class Common(Action):
    alias: str = ""
    enabled: bool = True
    continue_on_error: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CallService(Common):
    """``action: light.turn_on`` with ``target`` and ``data``: `hub.call` on every target."""

    domain: str
    service: str
    target: Mapping[str, Any] = field(default_factory=dict)
    data: Mapping[str, Any] = field(default_factory=dict)
    response_variable: str | None = None

    async def run(self, run: Run, path: str) -> Any:
        data = run.render(dict(self.data))
        target = run.render(dict(self.target))
        if not isinstance(data, dict):
            raise ScriptError(f"{path}: data must be a mapping, got {data!r}")
        if "entity_id" in data:  # the older spelling: entity_id inside data
            target.setdefault("entity_id", data.pop("entity_id"))
        if self.domain == "mqtt" and self.service == "publish":
            return _publish(run, path, data)
        ids = _targets(run, self.domain, target, path)
        if self.domain == "automation":
            await run.engine.automation_service(self.service, ids, data)
            return {"automations": ids}
        if not ids:
            raise ScriptError(f"{path}: {self.domain}.{self.service} has no target; give "
                              "target: {entity_id: ...}")
        results = await asyncio.gather(*(run.engine.call(i, self.service, data) for i in ids))
        values = {i: getattr(r, "value", None) for i, r in zip(ids, results, strict=True)}
        if self.response_variable:
            run.variables[self.response_variable] = (
                values[ids[0]] if len(ids) == 1 else values)
        return {"called": ids, "data": data, "response": values}


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def _targets(run: Run, domain: str, target: Mapping[str, Any], path: str) -> list[str]:
    entity = target.get("entity_id")
    ids: list[str] = []
    if entity == "all" or entity == ["all"]:
        ids = run.engine.capability_ids(domain, ())
    elif entity != "none":
        ids = _as_list(entity)
    areas = _as_list(target.get("area_id"))
    if areas:
        ids += [i for i in run.engine.capability_ids(domain, areas) if i not in ids]
    return ids


def _publish(run: Run, path: str, data: Mapping[str, Any]) -> Any:
    topic = data.get("topic")
    if not isinstance(topic, str) or not topic or "+" in topic or "#" in topic:
        raise ScriptError(f"{path}: mqtt.publish needs a topic without wildcards, got "
                          f"{topic!r}")
    payload = data.get("payload", "")
    if not isinstance(payload, (str, bytes)):
        payload = json.dumps(payload) if isinstance(payload, (dict, list)) else str(payload)
    qos = int(data.get("qos", 0))
    retain = bool(data.get("retain", False))
    run.engine.publish(topic, payload, qos, retain)
    return {"topic": topic, "payload": payload if isinstance(payload, str) else "<bytes>",
            "qos": qos, "retain": retain}


@dataclass(frozen=True, slots=True, kw_only=True)
class FireEvent(Common):
    event_type: str
    event_data: Mapping[str, Any] = field(default_factory=dict)

    async def run(self, run: Run, path: str) -> Any:
        name = str(run.render(self.event_type))
        data = run.render(dict(self.event_data))
        run.engine.fire_event(name, data)
        return {"event": name, "data": data}


@dataclass(frozen=True, slots=True, kw_only=True)
class SetVariables(Common):
    values: Mapping[str, Any]

    async def run(self, run: Run, path: str) -> Any:
        rendered = {}
        for name, value in self.values.items():  # each sees the ones before it
            rendered[name] = run.variables[name] = run.render(value)
        return {"variables": rendered}


@dataclass(frozen=True, slots=True, kw_only=True)
class Stop(Common):
    reason: str
    error: bool = False
    response_variable: str | None = None

    async def run(self, run: Run, path: str) -> Any:
        response = run.variables.get(self.response_variable) if self.response_variable else None
        raise StopRun(str(run.render(self.reason)), error=self.error, response=response)


@dataclass(frozen=True, slots=True, kw_only=True)
class Check(Common):
    """A condition written among the actions: the run stops quietly when it fails."""

    condition: Condition

    async def run(self, run: Run, path: str) -> Any:
        if not self.condition.test(run):
            raise StopRun("condition failed", error=False)
        return {"result": True}


def _seconds(run: Run, value: Any, path: str, what: str) -> float:
    try:
        return parse_duration(run.render(value))
    except ValueError as exc:
        raise ScriptError(f"{path}: {what}: {exc}") from None


@dataclass(frozen=True, slots=True, kw_only=True)
class Delay(Common):
    duration: Any
    durable = True

    async def run(self, run: Run, path: str) -> Any:
        due = run.take_resume(path)
        if due is None:
            seconds = _seconds(run, self.duration, path, "delay")
            due = run.wall() + seconds
            await run.hold(path, due, "delay")
        await run.engine.timers.sleep_until(due)
        await run.release(path)
        return {"done": True}


async def _until(run: Run, path: str, timeout: Any, kind: str,
                 wait: asyncio.Future[Any]) -> tuple[bool, float | None]:
    """Wait for `wait` or the timeout (durable); (completed, seconds remaining)."""
    due = run.take_resume(path)
    if due is None and timeout is not None:
        due = run.wall() + _seconds(run, timeout, path, "timeout")
        await run.hold(path, due, kind)
    try:
        if due is None:
            await wait
            return True, None
        sleeper = asyncio.ensure_future(run.engine.timers.sleep_until(due))
        try:
            await asyncio.wait({wait, sleeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
        completed, remaining = wait.done(), max(0.0, due - run.wall())
    finally:
        if not wait.done():
            wait.cancel()
    # not in `finally`: a run cancelled by a stopping hub keeps its timer, to resume
    await run.release(path)
    return completed, remaining


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitTemplate(Common):
    source: str
    timeout: Any = None
    continue_on_timeout: bool = True
    durable = True

    async def run(self, run: Run, path: str) -> Any:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[Any] = loop.create_future()

        def check() -> None:
            if done.done():
                return
            try:
                if run.renderer.truth(self.source, run.variables):
                    done.set_result(True)
            except ScriptError as exc:
                done.set_exception(exc)

        check()
        cancel = run.engine.on_any_state(check)
        try:
            completed, remaining = await _until(run, path, self.timeout, "wait", done)
        finally:
            cancel()
        if completed:
            done.result()  # raises a template error
        run.variables["wait"] = {"completed": completed, "remaining":
                                 timedelta_dict(remaining) if remaining is not None else None}
        if not completed and not self.continue_on_timeout:
            raise StopRun("wait_template timed out", error=False)
        return {"wait": run.variables["wait"]}


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitForTrigger(Common):
    triggers: tuple[TriggerSpec, ...]
    timeout: Any = None
    continue_on_timeout: bool = True
    durable = True

    async def run(self, run: Run, path: str) -> Any:
        done: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()

        async def fired(trigger: dict[str, Any]) -> None:
            if not done.done():
                done.set_result(trigger)

        detach = await run.engine.attach_triggers(self.triggers, run.automation.id, fired)
        try:
            completed, remaining = await _until(run, path, self.timeout, "wait", done)
        finally:
            detach()
        trigger = done.result() if completed else None
        run.variables["wait"] = {"trigger": trigger, "remaining":
                                 timedelta_dict(remaining) if remaining is not None else None}
        if not completed and not self.continue_on_timeout:
            raise StopRun("wait_for_trigger timed out", error=False)
        return {"wait": run.variables["wait"]}
