"""Reading Zigbee2MQTT's JSON payloads at the edge: size, encoding, depth and syntax checked
once, by `hub.inputs.load_json`.

Limits: a device message may be at most 256 KiB (a state report is usually under 1 KiB;
anything near the limit is a broken or hostile sender), the retained device list 16 MiB
by default (a few KiB per device, for networks of thousands of devices; the setting
`max_device_list_bytes`); a device message nests at most `hub.inputs.MAX_JSON_DEPTH`
levels, and each entry of the device list too (it is read entry by entry).
"""

from __future__ import annotations

from typing import Any

from hub.errors import PayloadError
from hub.fabric import Message
from hub.inputs import Bad, load_json

DEVICE_LIMIT = 256 * 1024
BRIDGE_LIMIT = 16 * 1024 * 1024


def parse_json(message: Message, limit: int = DEVICE_LIMIT, *, bad: Bad = "refuse",
               dropped: list[str] | None = None) -> Any:
    """The JSON value of a message, or PayloadError saying what is wrong with it. `bad`
    and `dropped` say what becomes of numbers that are not finite and of lone surrogates
    (`hub.inputs.load_json`)."""
    return load_json(message.payload, message.topic, max_bytes=limit, bad=bad,
                     dropped=dropped)


def parse_object(message: Message, limit: int = DEVICE_LIMIT, *, bad: Bad = "refuse",
                 dropped: list[str] | None = None) -> dict[str, Any]:
    value = parse_json(message, limit, bad=bad, dropped=dropped)
    if type(value) is not dict:
        raise PayloadError(f"{message.topic}: expected a JSON object, got {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else type(value).__name__
