"""What the capability index embeds: one text per capability, tool and trigger.

- a capability: its type, name, aliases, area and description: who it is;
- a tool: the capability type, the tool name and its description: what it does. The
  text does not name the capability, so every light's ``turn_on`` is one shared row;
- a trigger: its intent template (``{area}`` filled in with the capability's area) and
  its description: what it reports.

A text is embedded again only when it changes, so nothing volatile (state, load,
availability) may go into one.
"""

from __future__ import annotations

import re
from typing import Literal

from hub.model import Capability, Tool, Trigger

Kind = Literal["capability", "tool", "trigger"]
KINDS: tuple[Kind, ...] = ("capability", "tool", "trigger")

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _words(name: str) -> str:
    # "set_cover_position" reads as three words to the tokenizer, not one odd token run.
    return name.replace("_", " ").replace(".", " ")


def capability_text(capability: Capability) -> str:
    parts = [f"{capability.type}: {capability.name or _words(capability.id)}"]
    if capability.aliases:
        parts.append("also called " + ", ".join(capability.aliases))
    if capability.area:
        parts.append(f"in the {capability.area}")
    if capability.description:
        parts.append(capability.description)
    return ". ".join(parts)


def tool_text(capability_type: str, tool: Tool) -> str:
    text = f"{capability_type} {_words(tool.name)}"
    return f"{text}: {tool.description}" if tool.description else text


def trigger_text(capability: Capability, trigger: Trigger) -> str:
    def fill(match: re.Match[str]) -> str:
        value = capability.area if match.group(1) == "area" else ""
        return value or match.group(1)

    head = _PLACEHOLDER.sub(fill, trigger.intent) if trigger.intent else _words(trigger.name)
    return f"{head}: {trigger.description}" if trigger.description else head
