"""Reading the retained device list (``<base>/bridge/devices``) entry by entry.

The list can be megabytes, and the broker delivers it again after every reconnect. So it
is read one entry at a time (`entries`), which lets the reader stop after the entries it
may take and give the event loop a turn between chunks, and a list with the same bytes as
the one already read is not read again (`digest`). Entries that are not objects are
counted together, not reported one by one: a list of ten million integers is one report.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from hub.errors import PayloadError
from hub.inputs import value_problem
from integrations.zigbee2mqtt.definition import DeviceInfo, entry_name, parse_device

INLINE_BYTES = 256 * 1024
"""Lists up to this size are read at once, in the message's callback (a few dozen
devices); larger ones in a task that yields to the loop every `CHUNK` entries."""
CHUNK = 32
"""Entries read (or devices started) between two turns of the event loop."""

_decode = json.JSONDecoder().raw_decode
_SPACE = re.compile(r"[ \t\n\r]*")


def digest(payload: bytes) -> bytes:
    """What tells one version of the list from another (hashlib releases the GIL for
    large inputs, so this may run in a thread)."""
    return hashlib.blake2b(payload, digest_size=16).digest()


def entries(text: str, topic: str) -> Iterator[Any]:
    """The values of the JSON list `text`, one at a time; PayloadError when `text` is not
    a JSON list (raised when the reader gets there: entries before it come first)."""
    pos = _SPACE.match(text).end()  # type: ignore[union-attr]  # matches the empty string
    if text[pos:pos + 1] != "[":
        raise PayloadError(f"{topic}: expected a JSON list of devices")
    pos = _SPACE.match(text, pos + 1).end()  # type: ignore[union-attr]
    if text[pos:pos + 1] == "]":
        pos += 1
    else:
        while True:
            try:
                value, pos = _decode(text, pos)
            except ValueError as exc:
                raise PayloadError(f"{topic}: payload is not JSON: {exc}") from None
            except RecursionError:
                raise PayloadError(f"{topic}: payload is nested too deeply") from None
            yield value
            pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
            after = text[pos:pos + 1]
            if after == "]":
                pos += 1
                break
            if after != ",":
                raise PayloadError(f"{topic}: payload is not JSON: expected ',' or ']' at "
                                   f"char {pos}")
            pos = _SPACE.match(text, pos + 1).end()  # type: ignore[union-attr]
    if _SPACE.match(text, pos).end() != len(text):  # type: ignore[union-attr]
        raise PayloadError(f"{topic}: payload is not JSON: extra data at char {pos}")


@dataclass(slots=True)
class Reading:
    """What one version of the list says."""

    listed: dict[str, DeviceInfo] = field(default_factory=dict)
    """Devices with capabilities, by IEEE address."""
    kept: set[str] = field(default_factory=set)
    """Addresses of entries that are malformed: their devices keep running."""
    complete: bool = True
    """False when some entry could be any device (no address), or the list was cut at
    `max_devices`: then the list removes no device."""
    not_objects: int = 0
    first_not_object: str = ""
    problems: list[tuple[str, str]] = field(default_factory=list)
    """(source, reason) of malformed device entries."""
    cut_short: bool = False


def read(text: str, topic: str, base_topic: str, max_devices: int,
         reading: Reading) -> Iterator[None]:
    """Fill `reading` from the list `text`, yielding every `CHUNK` entries; PayloadError
    when the text is not a JSON list."""
    for i, entry in enumerate(entries(text, topic)):
        if i >= max_devices:
            reading.cut_short = True
            reading.complete = False
            return
        if i and i % CHUNK == 0:
            yield
        if not isinstance(entry, dict):
            reading.complete = False  # a broken list: remove nothing on its word
            reading.not_objects += 1
            if not reading.first_not_object:
                reading.first_not_object = f"[{i}] is {_kind(entry)}"
            continue
        try:
            # NaN or a lone surrogate in one entry costs that entry, not the list
            problem = value_problem(entry, f"{topic}[{i}]")
            if problem is not None:
                raise PayloadError(problem)
            info = parse_device(entry, f"{topic}[{i}]")
        except PayloadError as exc:
            name = entry_name(entry)
            reading.problems.append((f"{base_topic}/{name}" if name else topic, str(exc)))
            ieee = entry.get("ieee_address")
            if isinstance(ieee, str):
                reading.kept.add(ieee)  # keep what runs rather than drop it for one bad entry
            else:
                reading.complete = False
            continue
        if info is not None:
            reading.listed[info.ieee_address] = info


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    return {str: "text", bool: "true/false"}.get(type(value), "a number")


__all__ = ["CHUNK", "INLINE_BYTES", "Reading", "digest", "entries", "read"]
