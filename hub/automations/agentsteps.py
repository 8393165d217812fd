"""The steps that reach beyond tools: hand the event to an agent (`agent:`), and call by
intent through the router (`intent:`).

    - agent: agent.doorman               # its tool `handle`, with the trigger as the event
      text: "Who is at the door?"        # optional
      response_variable: reply           # {answer, tool_calls, steps}
    - intent: turn off the lights in here
      area: "{{ trigger.area }}"         # optional: the trigger's capability's area

An agent's steps (model requests, tool calls) land in the trace under the step's path
(``action/1/agent/0``...).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from hub.automations.errors import ScriptError
from hub.automations.script import Run
from hub.automations.steps import Common
from hub.automations.traces import TraceStep, jsonable


@dataclass(frozen=True, slots=True, kw_only=True)
class AskAgent(Common):
    agent: str
    text: str = ""
    event: Any = None
    """What to hand over; the trigger's variables when absent."""
    response_variable: str | None = None

    async def run(self, run: Run, path: str) -> Any:
        agent_id = str(run.render(self.agent))
        text = str(run.render(self.text)) if self.text else ""
        event = run.render(self.event) if self.event is not None else (
            run.variables.get("trigger") or {})
        if not isinstance(event, dict):
            raise ScriptError(f"{path}: event must be a mapping, got {event!r}")
        arguments: dict[str, Any] = {"event": jsonable(event)} if event else {}
        if text:
            arguments["text"] = text
        if not arguments:
            raise ScriptError(f"{path}: nothing to hand to {agent_id}: give text, or run it "
                              "from a trigger")
        result = await run.engine.call(agent_id, "handle", arguments)
        value = getattr(result, "value", None)
        if not isinstance(value, dict):
            raise ScriptError(f"{path}: {agent_id} answered {value!r}, not an agent's answer")
        for index, step in enumerate(value.get("steps") or ()):
            started = float(step.get("started") or 0.0) or run.wall()
            detail = {k: v for k, v in step.items() if k not in ("started", "error")}
            run.trace.steps.append(TraceStep(
                f"{path}/agent/{index}", started,
                duration_ms=float(step.get("seconds") or 0.0) * 1000, result=detail,
                error=step.get("error")))
        if self.response_variable:
            run.variables[self.response_variable] = value
        if value.get("error"):
            raise ScriptError(f"{path}: {value['error']}")
        return {"agent": agent_id, "answer": value.get("answer", ""),
                "tool_calls": value.get("tool_calls", [])}


@dataclass(frozen=True, slots=True, kw_only=True)
class CallIntent(Common):
    text: str
    area: Any = None
    min_score: float = 0.0

    async def run(self, run: Run, path: str) -> Any:
        text = str(run.render(self.text))
        area = str(run.render(self.area) or "") if self.area is not None else _area(run)
        context = {"area": area} if area else {}
        resolution = await run.engine.resolve(text, context)
        if not resolution.tool or not resolution.targets:
            reasons = "; ".join(resolution.reasons) or "no reason given"
            raise ScriptError(f"{path}: nothing on this hub does {text!r} ({reasons})")
        if resolution.score < self.min_score:
            raise ScriptError(f"{path}: {text!r} resolved to {resolution.kind}."
                              f"{resolution.tool} with score {resolution.score:.2f}, below "
                              f"min_score {self.min_score:g}")
        targets = list(resolution.targets)
        await asyncio.gather(*(run.engine.call(t, resolution.tool, dict(resolution.args))
                               for t in targets))
        return {"intent": text, "context": context, **resolution.as_json(), "called": targets}


def _area(run: Run) -> str:
    """The area of the capability that triggered the run, when there is one."""
    trigger = run.variables.get("trigger")
    if not isinstance(trigger, dict):
        return ""
    if trigger.get("area"):
        return str(trigger["area"])
    source = trigger.get("capability") or trigger.get("entity_id")
    capability = run.registry.find(str(source)) if isinstance(source, str) else None
    return capability.area if capability is not None else ""


__all__ = ["AskAgent", "CallIntent"]
