"""Tool names for the chat API: OpenAI's API wants ``^[a-zA-Z0-9_-]{1,64}$``, and our
tools are ``light.kitchen`` + ``turn_on``. `ToolNames` maps both ways for one turn."""

from __future__ import annotations

import hashlib
import re

_BAD = re.compile(r"[^a-zA-Z0-9_-]")
MAX = 64


class ToolNames:
    def __init__(self) -> None:
        self._to: dict[tuple[str, str], str] = {}
        self._back: dict[str, tuple[str, str]] = {}

    def name(self, capability_id: str, tool: str) -> str:
        """``light.kitchen``, ``turn_on`` -> ``light_kitchen__turn_on`` (unique, <= 64)."""
        key = (capability_id, tool)
        known = self._to.get(key)
        if known is not None:
            return known
        name = _BAD.sub("_", f"{capability_id}__{tool}")
        if len(name) > MAX or name in self._back:
            digest = hashlib.sha1(f"{capability_id}\0{tool}".encode()).hexdigest()[:8]
            name = f"{name[:MAX - 9]}_{digest}"
        self._to[key] = name
        self._back[name] = key
        return name

    def lookup(self, name: str) -> tuple[str, str] | None:
        """The (capability id, tool) of a name given out, or None."""
        return self._back.get(name)

    def names(self) -> list[str]:
        return list(self._back)
