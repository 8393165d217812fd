"""`Agents`: the agents of one hub, each a capability of type ``agent`` with the tool
``handle`` (a text or an event in, the answer and the tool calls out), and the push
routing of device triggers nothing binds (hub/agents/push.py).

    async with Agents(hub, configs):   # the runtime does this, after the automations
        await hub.call("agent.doorman", "handle", {"text": "who is at the door?"})
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self

from hub.agents.config import AgentConfig, LlmConfig, NotifyConfig, ScriptConfig
from hub.agents.llm import LlmAgent
from hub.agents.model import AgentAnswer, AgentRequest
from hub.agents.push import PushRouter
from hub.agents.simple import NotifyAgent, ScriptAgent
from hub.agents.toolbox import Offer, allowed, choose
from hub.automations import Automations
from hub.automations.hubapi import HubApi
from hub.domains import standard_tool
from hub.errors import AtmosphereError, RegistryError
from hub.model import Capability, ToolResult

if TYPE_CHECKING:
    from hub.routing import Embedder
    from hub.routing.service import Routing

_LOGGER = logging.getLogger(__name__)
_MARGIN = 5.0
"""Seconds a caller of `handle` waits beyond the agent's own timeout."""


class AgentHub(HubApi, Protocol):
    automations: Automations


class Agent(Protocol):
    config: Any

    async def handle(self, request: AgentRequest) -> AgentAnswer: ...
    async def aclose(self) -> None: ...


def agent_capability(config: AgentConfig) -> Capability:
    tool = standard_tool("agent", "handle")
    assert tool is not None
    attributes: dict[str, Any] = {"kind": config.kind, "purpose": config.purpose}
    if isinstance(config, LlmConfig):
        attributes.update(model=config.model, url=config.url, vision=config.vision)
    return Capability(id=config.id, type="agent", name=config.name, area=config.area,
                      description=config.purpose,
                      tools=(replace(tool, timeout=config.timeout + _MARGIN),),
                      attributes=attributes, source="agents")


class Agents:
    def __init__(self, hub: AgentHub, configs: Sequence[AgentConfig]) -> None:
        self.hub = hub
        self.configs = tuple(configs)
        self.agents: dict[str, Agent] = {}
        self.push: PushRouter | None = None
        self._cancels: list[Any] = []
        self._tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> Self:
        for config in self.configs:
            agent = self._make(config)
            self.agents[config.id] = agent
            self.hub.registry.add(agent_capability(config), self._handler(agent))
        router = PushRouter(self.configs, self._embedder, self._routed, self.hub.clock)
        if router.agents:
            self.push = router
            self._cancels.append(self.hub.automations.intents.on_unbound(router.route))
            loop = asyncio.get_running_loop()
            self._tasks = [loop.create_task(router.work(a.id), name=f"agents.push.{a.id}")
                           for a in router.agents]
        if self.configs:
            _LOGGER.info("agents started count=%d routed=%d", len(self.configs),
                         len(router.agents))
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        for cancel in self._cancels:
            cancel()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for agent_id, agent in self.agents.items():
            self.hub.registry.remove(agent_id)
            await agent.aclose()

    # -- the agents ------------------------------------------------------------------------

    def _make(self, config: AgentConfig) -> Agent:
        if isinstance(config, LlmConfig):
            return LlmAgent(config, self._call, self._chooser(config))
        if isinstance(config, NotifyConfig):
            return NotifyAgent(config, self._publish)
        if isinstance(config, ScriptConfig):
            return ScriptAgent(config, self.hub.automations.run_script)
        raise AtmosphereError(f"{config.where}: unknown agent kind {config.kind!r}")

    def _handler(self, agent: Agent) -> Any:
        where = agent.config.id

        async def handler(tool: str, arguments: Mapping[str, Any]) -> ToolResult:
            if tool != "handle":
                raise RegistryError(f'{where} has no tool "{tool}"; its tools: handle')
            request = AgentRequest.from_arguments(arguments, f"{where}/handle")
            answer = await agent.handle(request)
            return ToolResult(value=answer.as_json())

        return handler

    async def ask(self, agent_id: str, request: AgentRequest) -> AgentAnswer:
        """Run a turn of a local agent directly (tests, benchmarks)."""
        agent = self.agents.get(agent_id)
        if agent is None:
            raise RegistryError(f"no agent '{agent_id}'; known: "
                                f"{', '.join(sorted(self.agents)) or 'none'}")
        return await agent.handle(request)

    async def _call(self, capability_id: str, tool: str, arguments: dict[str, Any],
                    timeout: float) -> ToolResult:
        return await self.hub.call(capability_id, tool, arguments)

    def _publish(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        self.hub.fabric.publish(topic, payload, qos=qos, retain=retain)

    async def _embedder(self) -> Embedder:
        routing: Routing = await self.hub.routing()
        return routing.embedder

    def _chooser(self, config: LlmConfig) -> Any:
        eligible = allowed(config.capabilities)

        async def pick(request: AgentRequest) -> list[Offer]:
            try:
                routing: Routing | None = await self.hub.routing()
            except AtmosphereError as exc:
                _LOGGER.warning("agent tools chosen without the router agent=%s: %s",
                                config.id, exc)
                routing = None
            query = " ".join(p for p in (request.query(), config.purpose) if p)
            source = str(request.event.get("capability") or request.event.get("entity_id")
                         or "")
            return await asyncio.to_thread(
                choose, routing, self.hub.registry.all(), query, eligible=eligible,
                source=source, max_tools=config.max_tools, budget=config.tool_budget)

        return pick

    async def _routed(self, agent_id: str, event: dict[str, Any]) -> None:
        result = await self.hub.call(agent_id, "handle", {"event": event})
        value = result.value if isinstance(result.value, dict) else {}
        if value.get("error"):
            _LOGGER.warning("routed trigger: agent failed agent=%s: %s", agent_id,
                            value["error"])
