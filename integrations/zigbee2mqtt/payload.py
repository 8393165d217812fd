"""Reading Zigbee2MQTT's JSON payloads at the edge: size, encoding and syntax checked once.

Limits: a device message may be at most 256 KiB (a state report is usually under 1 KiB;
anything near the limit is a broken or hostile sender), the retained device list 16 MiB
by default (a few KiB per device, for networks of thousands of devices; the setting
`max_device_list_bytes`).
"""

from __future__ import annotations

import json
from typing import Any

from hub.errors import PayloadError
from hub.fabric import Message

DEVICE_LIMIT = 256 * 1024
BRIDGE_LIMIT = 16 * 1024 * 1024

_raw_decode = json.JSONDecoder().raw_decode
"""`json.loads` without its whitespace and trailing-data checks: half the cost on a short
report. Whatever it does not take whole goes through `json.loads`, for its rules and its
error messages."""


def parse_json(message: Message, limit: int = DEVICE_LIMIT) -> Any:
    """The JSON value of a message, or PayloadError saying what is wrong with it."""
    payload = message.payload
    if len(payload) > limit:
        raise PayloadError(f"{message.topic}: payload of {len(payload)} bytes is over the "
                           f"{limit // 1024} KiB limit")
    try:
        text = payload.decode()
    except UnicodeDecodeError:
        raise PayloadError(f"{message.topic}: payload is not UTF-8") from None
    try:
        value, end = _raw_decode(text)
    except (ValueError, RecursionError):
        end = -1
    if end == len(text):
        return value
    try:
        return json.loads(text)
    except ValueError as exc:
        raise PayloadError(f"{message.topic}: payload is not JSON: {exc}") from None
    except RecursionError:
        raise PayloadError(f"{message.topic}: payload is nested too deeply") from None


def parse_object(message: Message, limit: int = DEVICE_LIMIT) -> dict[str, Any]:
    value = parse_json(message, limit)
    if type(value) is not dict:
        raise PayloadError(f"{message.topic}: expected a JSON object, got {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else type(value).__name__
