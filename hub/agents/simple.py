"""The `notify` agent (the request goes out on MQTT or to a webhook, as JSON) and the
`script` agent (automation actions, run by the automation engine)."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx

from hub.agents.config import NotifyConfig, ScriptConfig
from hub.agents.model import AgentAnswer, AgentRequest, AgentStep
from hub.automations import jsonable

Publish = Callable[[str, bytes, int, bool], None]
RunScript = Callable[[str, Sequence[Any], dict[str, Any]], Awaitable[dict[str, Any]]]


class NotifyAgent:
    def __init__(self, config: NotifyConfig, publish: Publish) -> None:
        self.config = config
        self._publish = publish
        self._http = httpx.AsyncClient(timeout=config.timeout) if config.webhook else None

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    async def handle(self, request: AgentRequest) -> AgentAnswer:
        config = self.config
        message = {"agent": config.id, "text": request.prompt(), "request": request.text,
                   "event": jsonable(dict(request.event))}
        body = json.dumps(message, default=str).encode()
        step = AgentStep("tool", time.time(), tool=config.topic or config.webhook)
        answer = AgentAnswer(steps=[step])
        started = time.monotonic()
        if self._http is None:
            self._publish(config.topic, body, config.qos, config.retain)
            answer.answer = f"sent to {config.topic}"
        else:
            try:
                response = await self._http.post(
                    config.webhook, content=body, headers={"Content-Type": "application/json"})
            except httpx.HTTPError as exc:
                step.error = answer.error = (f"{config.id}: {config.webhook}: "
                                             f"{type(exc).__name__}: {exc}")
            else:
                step.result = {"status": response.status_code}
                if response.status_code >= 400:
                    step.error = answer.error = (f"{config.id}: {config.webhook} answered "
                                                 f"{response.status_code}: {response.text[:200]!r}")
                else:
                    answer.answer = f"sent to {config.webhook}"
        step.seconds = time.monotonic() - started
        return answer


class ScriptAgent:
    def __init__(self, config: ScriptConfig, run: RunScript) -> None:
        self.config = config
        self._run = run

    async def aclose(self) -> None:
        return None

    async def handle(self, request: AgentRequest) -> AgentAnswer:
        variables = {"text": request.text, "event": dict(request.event),
                     "trigger": dict(request.event)}
        trace = await self._run(self.config.id, self.config.actions, variables)
        now = time.time()
        steps = [AgentStep("action", now, seconds=float(s.get("duration_ms") or 0.0) / 1000,
                           tool=s["path"], result=s.get("result"), error=s.get("error") or "")
                 for s in trace.get("trace", ())]
        answer = AgentAnswer(steps=steps, error=trace.get("error") or "")
        response = trace.get("response")
        answer.answer = str(response) if response is not None else (
            "done" if not answer.error else "")
        return answer
