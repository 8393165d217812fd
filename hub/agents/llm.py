"""The `llm` agent: a turn of the OpenAI-compatible chat API with tool calling.

The model gets the system prompt, the request (a text, or an event in words) and the
tools that matter for it (`toolbox.choose`). Each tool call it asks for goes through
`hub.call`; the result goes back as a tool message (a camera frame, to a vision model, as
an image in the next user message). The turn ends when the model answers in words, after
`max_steps` model requests, or after `timeout` seconds, whichever comes first; each step
is recorded (the automation trace shows them).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from hub.agents.config import LlmConfig
from hub.agents.model import AgentAnswer, AgentRequest, AgentStep
from hub.agents.names import ToolNames
from hub.agents.toolbox import Offer, spec
from hub.errors import AtmosphereError, LlmError
from hub.llm import ChatClient, ChatSettings, Message, ToolCall, system, tool_result, user
from hub.model import ToolResult

_LOGGER = logging.getLogger(__name__)
_RESULT_CHARS = 2000
"""A tool result longer than this is cut for the model (its context is small)."""

Call = Callable[[str, str, dict[str, Any], float], Awaitable[ToolResult]]
Choose = Callable[[AgentRequest], Awaitable[list[Offer]]]


class LlmAgent:
    def __init__(self, config: LlmConfig, call: Call, choose: Choose, *,
                 client: ChatClient | None = None) -> None:
        self.config = config
        self._call = call
        self._choose = choose
        self.client = client or ChatClient(ChatSettings(
            config.url, model=config.model, api_key=config.api_key, timeout=config.timeout))

    async def aclose(self) -> None:
        await self.client.aclose()

    async def handle(self, request: AgentRequest) -> AgentAnswer:
        answer = AgentAnswer()
        deadline = time.monotonic() + self.config.timeout
        try:
            async with asyncio.timeout(self.config.timeout):
                await self._turn(request, answer, deadline)
        except TimeoutError:
            answer.error = (f"{self.config.id}: no answer within {self.config.timeout:g} s "
                            f"(after {len(answer.steps)} steps); raise timeout or use a "
                            "faster model")
        except LlmError as exc:
            answer.error = f"{self.config.id}: {exc}"
        if answer.error:
            _LOGGER.warning("agent turn failed agent=%s: %s", self.config.id, answer.error)
        return answer

    async def _turn(self, request: AgentRequest, answer: AgentAnswer, deadline: float) -> None:
        config = self.config
        offers = await self._choose(request)
        names = ToolNames()
        tools = [spec(names.name(o.capability.id, o.tool.name), o.capability, o.tool)
                 for o in offers]
        answer.offered = tuple(f"{o.capability.id}/{o.tool.name}" for o in offers)
        messages: list[Message] = [system(config.system), user(request.prompt())]
        for index in range(config.max_steps):
            step = AgentStep("model", time.time())
            answer.steps.append(step)
            choice = config.first_tool_choice if index == 0 else "auto"
            reply = await self.client.chat(
                messages, tools=tools, tool_choice=choice if tools else None,
                temperature=config.temperature, max_tokens=config.max_tokens,
                timeout=max(0.001, deadline - time.monotonic()))
            step.seconds = reply.seconds
            step.tokens = (reply.usage.prompt_tokens, reply.usage.completion_tokens)
            step.result = {"content": reply.content[:_RESULT_CHARS],
                           "tool_calls": [c.name for c in reply.tool_calls]}
            if not reply.tool_calls:
                answer.answer = reply.content.strip()
                return
            messages.append(reply.message())
            images: list[tuple[bytes, str]] = []
            for call in reply.tool_calls:
                text, image = await self._tool(call, names, answer)
                messages.append(tool_result(call.id, text))
                if image is not None:
                    images.append(image)
            if images:
                messages.append(user("The images the tools returned, in order.", images))
        answer.error = (f"{config.id}: stopped after {config.max_steps} model requests: the "
                        "model kept calling tools without answering (bound: max_steps)")

    async def _tool(self, call: ToolCall, names: ToolNames, answer: AgentAnswer
                    ) -> tuple[str, tuple[bytes, str] | None]:
        """Run one tool call; what to tell the model, and an image to show it."""
        target = names.lookup(call.name)
        step = AgentStep("tool", time.time(), tool=call.name, arguments=dict(call.arguments))
        answer.steps.append(step)
        if target is None:
            offered = ", ".join(names.names()) or "none"
            step.error = f"unknown tool {call.name!r}"
            return f"error: there is no tool named {call.name!r}; the tools are: {offered}", None
        capability_id, tool = target
        step.tool = f"{capability_id}/{tool}"
        if call.problem:
            step.error = call.problem
            return (f"error: {call.problem}; call {call.name} again with a JSON object of "
                    "arguments"), None
        started = time.monotonic()
        try:
            result = await self._call(capability_id, tool, dict(call.arguments),
                                      self.config.timeout)
        except AtmosphereError as exc:
            step.seconds = time.monotonic() - started
            step.error = str(exc)
            return f"error: {exc}", None
        step.seconds = time.monotonic() - started
        if result.data:
            step.result = {"content_type": result.content_type, "bytes": len(result.data)}
            if result.content_type.startswith("image/") and self.config.vision:
                text = (f"The {result.content_type} image ({len(result.data)} bytes) is in "
                        "the next message.")
                return text, (result.data, result.content_type)
            return (f"binary {result.content_type}, {len(result.data)} bytes (this model "
                    "cannot look at it)"), None
        step.result = result.value
        text = json.dumps(result.value, default=str)
        return text if len(text) <= _RESULT_CHARS else text[:_RESULT_CHARS] + "...", None
