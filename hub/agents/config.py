"""The `agents:` section of configuration.yaml: a list of agents, each a capability of
type ``agent`` with one tool, ``handle``.

    agents:
      - id: agent.doorman
        kind: llm                     # llm | notify | script
        purpose: Greets visitors at the front door and tells the household who is there.
        url: http://127.0.0.1:8080    # an OpenAI-compatible server (llama.cpp, Ollama, vLLM)
        model: qwen2.5
        capabilities: [camera.*, light.*]
      - id: agent.phone
        kind: notify
        topic: home/notify            # or webhook: https://...
      - id: agent.battery
        kind: script
        actions: [...]                # automation actions; `event` and `text` are variables

Every problem is reported with file:line (`ConfigError`): a broken agent stops the hub at
start, as a broken integration does (docs/agents.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hub.automations.reader import read_actions
from hub.located import Located, Problems, Section, as_list

KINDS = ("llm", "notify", "script")
_ID = re.compile(r"^agent\.[a-z0-9_]+$")
_COMMON = ("id", "name", "kind", "purpose", "area", "description", "min_priority",
           "throttle", "route_events")
_LLM = ("url", "model", "api_key", "system", "max_steps", "timeout", "vision", "capabilities",
        "max_tools", "tool_budget", "temperature", "max_tokens", "first_tool_choice")
_NOTIFY = ("topic", "webhook", "timeout", "qos", "retain")
_SCRIPT = ("actions", "sequence", "timeout")

DEFAULT_SYSTEM = (
    "You are the agent of a smart home hub. You get an event or a request and may call "
    "the tools given to act or to look. Call a tool only when it helps; arguments must "
    "match the tool's parameters. When done, answer in one or two plain sentences.")


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentConfig:
    id: str
    kind: str
    where: str
    name: str = ""
    purpose: str = ""
    """What this agent is for, in words: push triggers are routed by it (docs/agents.md)."""
    area: str = ""
    min_priority: int = 0
    """Routed device triggers of a lower priority are not handed to this agent."""
    throttle: float = 10.0
    """Seconds between two routed firings of the same device trigger to this agent."""
    route_events: bool = True
    """Whether device triggers no automation binds may be routed to this agent."""
    timeout: float = 60.0


@dataclass(frozen=True, slots=True, kw_only=True)
class LlmConfig(AgentConfig):
    url: str
    model: str = ""
    api_key: str = ""
    system: str = DEFAULT_SYSTEM
    max_steps: int = 6
    """Model requests per turn; the turn ends with an error past it."""
    vision: bool = False
    """Send camera frames to the model as images (only for vision models)."""
    capabilities: tuple[str, ...] = ()
    """Patterns (``light.*``) of the capabilities whose tools it may use; empty for all."""
    max_tools: int = 8
    tool_budget: int = 6000
    """Characters of tool descriptions offered per request (a 4k-context model copes)."""
    temperature: float = 0.0
    max_tokens: int = 256
    first_tool_choice: str = "auto"
    """``tool_choice`` of the turn's first request: ``required`` makes the model act first
    (small models then always answer with a well-formed call); later requests use auto."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NotifyConfig(AgentConfig):
    topic: str = ""
    webhook: str = ""
    qos: int = 1
    retain: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ScriptConfig(AgentConfig):
    actions: tuple[Any, ...] = field(default_factory=tuple)
    """`hub.automations` actions, run with the variables ``event`` and ``text``."""


def read_agents(raw: Located | None, problems: Problems) -> tuple[AgentConfig, ...]:
    if raw is None or raw.is_null:
        return ()
    agents: list[AgentConfig] = []
    seen: dict[str, str] = {}
    for item in as_list(raw, problems):
        agent = read_agent(item, problems)
        if agent is None:
            continue
        if agent.id in seen:
            problems.add(item, f"agent id '{agent.id}' is already used at {seen[agent.id]}")
            continue
        seen[agent.id] = agent.where
        agents.append(agent)
    return tuple(agents)


def read_agent(node: Located, problems: Problems) -> AgentConfig | None:
    if not node.is_mapping:
        problems.add(node, f"an agent must be a mapping with id and kind, got {node.describe()}")
        return None
    kind_node = node.get("kind")
    kind = kind_node.value if kind_node is not None else None
    if kind not in KINDS:
        problems.add(kind_node or node, f"agent kind must be one of {', '.join(KINDS)}, got "
                                        f"{kind_node.describe() if kind_node else 'nothing'}")
        return None
    own = {"llm": _LLM, "notify": _NOTIFY, "script": _SCRIPT}[kind]
    section = Section(node, problems, (*_COMMON, *own))
    agent_id = section.text("id", "")
    if agent_id and not agent_id.startswith("agent."):
        agent_id = f"agent.{agent_id}"
    if not _ID.match(agent_id):
        problems.add(section.get("id") or node, "an agent needs an id such as agent.doorman "
                                                 "(lower case letters, digits and _)")
        return None
    common: dict[str, Any] = {
        "id": agent_id, "kind": kind, "where": node.where,
        "name": section.text("name", agent_id.removeprefix("agent.").replace("_", " ")),
        "purpose": section.text("purpose", ""),
        "area": section.text("area", ""),
        "min_priority": section.integer("min_priority", 0),
        "throttle": section.number("throttle", 10.0, low=0),
        "route_events": section.flag("route_events", True),
        "timeout": section.number("timeout", 60.0 if kind != "notify" else 10.0, low=0,
                                  low_open=True),
    }
    if kind == "llm":
        return _llm(node, section, common)
    if kind == "notify":
        return _notify(node, section, common)
    return _script(node, section, common)


def _llm(node: Located, section: Section, common: Mapping[str, Any]) -> LlmConfig | None:
    url = section.text("url", "")
    if not url.startswith(("http://", "https://")):
        section.problems.add(section.get("url") or node, "an llm agent needs url: the base URL "
                             "of an OpenAI-compatible server, e.g. http://127.0.0.1:8080")
        return None
    return LlmConfig(
        **common, url=url, model=section.text("model", ""),
        api_key=section.text("api_key", ""),
        system=section.text("system", DEFAULT_SYSTEM),
        max_steps=section.integer("max_steps", 6, low=1, high=50),
        vision=section.flag("vision", False),
        capabilities=section.texts("capabilities"),
        max_tools=section.integer("max_tools", 8, low=1, high=128),
        tool_budget=section.integer("tool_budget", 6000, low=200),
        temperature=section.number("temperature", 0.0, low=0, high=2),
        max_tokens=section.integer("max_tokens", 256, low=1),
        first_tool_choice=section.choice("first_tool_choice", "auto",
                                         {"auto": "auto", "required": "required",
                                          "none": "none"}),
    )


def _notify(node: Located, section: Section, common: Mapping[str, Any]) -> NotifyConfig | None:
    topic = section.text("topic", "")
    webhook = section.text("webhook", "")
    if bool(topic) == bool(webhook):
        section.problems.add(node, "a notify agent needs either topic: (MQTT) or webhook: "
                                   "(an http(s) URL), not both")
        return None
    if topic and ("+" in topic or "#" in topic):
        section.problems.add(section.get("topic") or node,
                             f"a notify topic cannot have wildcards, got {topic!r}")
        return None
    if webhook and not webhook.startswith(("http://", "https://")):
        section.problems.add(section.get("webhook") or node,
                             f"webhook must be an http(s) URL, got {webhook!r}")
        return None
    return NotifyConfig(**common, topic=topic, webhook=webhook,
                        qos=section.integer("qos", 1, low=0, high=2),
                        retain=section.flag("retain", False))


def _script(node: Located, section: Section, common: Mapping[str, Any]) -> ScriptConfig | None:
    actions_node = section.get("actions") or section.get("sequence")
    if actions_node is None:
        section.problems.add(node, "a script agent needs actions: (automation actions)")
        return None
    return ScriptConfig(**common, actions=read_actions(actions_node, section.problems))
