"""The standard Home Assistant tools, narrowed to what one device can actually do.

`hub.domains` gives every light `turn_on` with brightness, colour temperature and colour;
a plain dimmable bulb should not promise colours. So each tool keeps only the parameters
the device's exposes support, and arguments for the others are refused at the edge by the
schema (``unknown argument 'hs_color'; known: brightness, ...``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from hub.domains import standard_tool
from hub.model import Tool

Schema = Mapping[str, Any]


def tool(
    domain: str,
    name: str,
    timeout: float,
    keep: Collection[str] = (),
    *,
    schemas: Mapping[str, Schema] | None = None,
    description: str | None = None,
) -> Tool:
    """Standard tool `name` of `domain` with only the parameters in `keep`.

    `schemas` replaces parameter schemas (e.g. an enum of the modes this device has) and
    may add parameters the standard tool lacks. Alternative groups of required parameters
    (``anyOf``) that lose a member are dropped.
    """
    base = standard_tool(domain, name)
    if base is None:
        raise ValueError(f"{domain} has no standard tool {name!r}")
    params = base.parameters
    properties: Mapping[str, Schema] = params.get("properties", {})
    kept = {k: v for k, v in properties.items() if k in keep}
    kept.update(schemas or {})
    out: dict[str, Any] = {k: v for k, v in params.items()
                           if k not in ("properties", "required", "anyOf")}
    out["properties"] = MappingProxyType(kept)
    required = [r for r in params.get("required", ()) if r in kept]
    if required:
        out["required"] = required
    groups = [g for g in params.get("anyOf", ()) if all(r in kept for r in g["required"])]
    if groups:
        out["anyOf"] = groups
    return replace(
        base,
        parameters=MappingProxyType(out),
        timeout=timeout,
        description=base.description if description is None else description,
    )


def enum(description: str, values: Collection[Any]) -> Schema:
    return MappingProxyType({"type": "string", "description": description,
                             "enum": list(values)})


def number(description: str, low: float | None, high: float | None) -> Schema:
    schema: dict[str, Any] = {"type": "number", "description": description}
    if low is not None:
        schema["minimum"] = low
    if high is not None:
        schema["maximum"] = high
    return MappingProxyType(schema)
