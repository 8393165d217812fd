"""JSON views of the hub's values: capabilities, events and whatever they carry.

Model values are frozen dataclasses holding tuples and read-only mappings; JSON wants
dicts and lists. One recursive conversion serves the REST answers and the event stream,
so a capability looks the same in `GET /api/capabilities` and in a `capability_added`
event.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from starlette.responses import JSONResponse

from hub.capfile import capability_to_dict
from hub.events import (
    AvailabilityChanged,
    CapabilityAdded,
    CapabilityRemoved,
    CapabilityUpdated,
    Event,
    StateChanged,
    TriggerFired,
)
from hub.model import Capability

STREAMED_EVENTS: tuple[type[Event], ...] = (
    StateChanged,
    CapabilityAdded,
    CapabilityUpdated,
    CapabilityRemoved,
    AvailabilityChanged,
    TriggerFired,
)
"""The bus events `GET /api/events` streams; `BadInput` and internal events stay inside."""


def event_name(event_type: type[Event]) -> str:
    """``StateChanged`` -> ``state_changed``: the name clients see in the stream."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", event_type.__name__).lower()


def jsonable(value: Any) -> Any:
    """Turn a model value (dataclass, mapping, tuple, bytes...) into plain JSON types."""
    if isinstance(value, float) and not math.isfinite(value):
        return None  # a sensor's NaN is "no reading"; bare NaN is not JSON
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, Capability):
        return capability_view(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(item) for item in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        # public keys and the like: JSON has no bytes, base64 is what clients expect
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def capability_view(capability: Capability) -> dict[str, Any]:
    """Every field of a capability, live ones (state, available, load) included.

    The capability file's own codec, so the API, the store and YAML agree on the shape.
    """
    view: dict[str, Any] = jsonable(capability_to_dict(capability))
    return view


def event_view(event: Event) -> dict[str, Any]:
    """An event as the stream sends it: its fields plus ``type``."""
    view: dict[str, Any] = {"type": event_name(type(event))}
    view.update(jsonable(event))
    return view


def dumps(value: Any) -> str:
    """Compact JSON of a model value; never fails on a stray non-JSON type, nor on text
    that is not Unicode (a lone surrogate: escaped, so that the answer still encodes as
    UTF-8; the edges refuse such text, this is the last line)."""
    plain = jsonable(value)
    text = json.dumps(plain, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            text = json.dumps(plain, allow_nan=False, separators=(",", ":"))
    return text


class ModelJSONResponse(JSONResponse):
    """A JSONResponse that also accepts model values (dataclasses, read-only mappings)."""

    def render(self, content: Any) -> bytes:
        return dumps(content).encode("utf-8")
