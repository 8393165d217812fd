"""Loading plugins (integrations, trigger platforms) by name, so that `hub` never imports them.

A plugin is found through its entry point group (`atmosphere.integrations`,
`atmosphere.triggers`), which is how third-party packages add their own, and falls back to
the in-tree package (`integrations.<name>`, `triggers.<name>`).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import re
from types import ModuleType

from hub.errors import ConfigError

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_FALLBACK = {"atmosphere.integrations": "integrations", "atmosphere.triggers": "triggers"}


def available(group: str) -> list[str]:
    names = {ep.name for ep in importlib.metadata.entry_points(group=group)}
    package = _FALLBACK.get(group)
    if package:
        try:
            root = importlib.import_module(package)
        except ImportError:
            root = None
        if root is not None and root.__file__:
            from pathlib import Path

            base = Path(root.__file__).parent
            names.update(
                p.stem if p.is_file() else p.name
                for p in base.iterdir()
                if not p.name.startswith("_")
                and (p.suffix == ".py" or (p / "__init__.py").exists())
            )
    return sorted(names)


def load(group: str, name: str, where: str | None = None) -> ModuleType:
    """Import the plugin `name` of `group`, or raise ConfigError naming what exists."""
    kind = group.rsplit(".", 1)[-1].rstrip("s")
    if not _NAME.match(name):
        raise ConfigError(f"invalid {kind} name {name!r}: use lowercase letters, digits, _", where)
    for ep in importlib.metadata.entry_points(group=group, name=name):
        return ep.load()  # type: ignore[no-any-return]
    package = _FALLBACK.get(group)
    if package:
        try:
            return importlib.import_module(f"{package}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name not in (f"{package}.{name}", package):
                raise
    known = ", ".join(available(group)) or "none"
    raise ConfigError(f"unknown {kind} {name!r}; available: {known}", where)
