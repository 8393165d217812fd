"""Agents are capabilities: each agent of the `agents:` section is a capability of type
``agent`` with one tool, ``handle`` (a text or an event in; the answer, the tool calls
and every step out). Kinds: ``llm`` (an OpenAI-compatible chat model with the hub's tools,
chosen by the router), ``notify`` (MQTT or a webhook) and ``script`` (automation actions).
Device triggers nothing binds are routed to the agent whose purpose matches best.

Modules: `config` (the `agents:` section), `model` (request, steps, answer), `names` (tool
names for the chat API), `toolbox` (which tools to offer), `llm`, `simple` (notify,
script), `push` (routing device triggers), `service` (`Agents`, the lifecycle).
See docs/agents.md.
"""

from hub.agents.config import (
    AgentConfig,
    LlmConfig,
    NotifyConfig,
    ScriptConfig,
    read_agents,
)
from hub.agents.llm import LlmAgent
from hub.agents.model import AgentAnswer, AgentRequest, AgentStep
from hub.agents.names import ToolNames
from hub.agents.push import PURPOSE_THRESHOLD, PushRouter
from hub.agents.service import Agents, agent_capability
from hub.agents.toolbox import Offer, allowed, choose

__all__ = [
    "PURPOSE_THRESHOLD",
    "AgentAnswer",
    "AgentConfig",
    "AgentRequest",
    "AgentStep",
    "Agents",
    "LlmAgent",
    "LlmConfig",
    "NotifyConfig",
    "Offer",
    "PushRouter",
    "ScriptConfig",
    "ToolNames",
    "agent_capability",
    "allowed",
    "choose",
    "read_agents",
]
