"""An incoming message, decoded at most once however many entities read it.

Many entities often share one state topic (every entity of a Zigbee2MQTT device reads
``zigbee2mqtt/<name>``): the text and the JSON of a message are worked out on first use and
kept, so a message is parsed once, not once per entity.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.errors import PayloadError
from hub.inputs import load_json

MAX_TEXT_BYTES = 256 * 1024
"""Largest discovery configuration or state message read (256 KiB); larger ones are bad
input. Camera images have their own limit (`Config.max_image_bytes`)."""

_UNSET: Any = object()


class Payload:
    """One message: `raw` bytes, and `text`, `json`, `variables` worked out on first use."""

    __slots__ = ("_json", "_text", "_variables", "raw", "retain", "topic")

    def __init__(self, topic: str, raw: bytes, retain: bool = False) -> None:
        self.topic = topic
        self.raw = raw
        self.retain = retain
        """True when the broker replayed a retained message (old news, not an event)."""
        self._text: str | None = None
        self._json: Any = _UNSET
        self._variables: Mapping[str, Any] | None = None

    @property
    def text(self) -> str:
        text = self._text
        if text is None:
            try:
                text = self._text = self.raw.decode()
            except UnicodeDecodeError as exc:
                raise PayloadError(
                    f"{self.topic}: payload is not UTF-8 (bad byte at {exc.start})"
                ) from None
        return text

    @property
    def json(self) -> Any:
        """The payload as JSON; PayloadError when it is not JSON (or holds what
        `hub.inputs.load_json` refuses)."""
        value = self._json
        if value is _UNSET:
            try:  # depth, NaN, lone surrogates: hub.inputs' rules for outside JSON
                value = load_json(self.text, self.topic)
            except PayloadError as exc:
                value = exc
            self._json = value
        if isinstance(value, PayloadError):
            raise value
        return value

    @property
    def variables(self) -> Mapping[str, Any]:
        """What a value template sees: ``value`` (the text) and, when the payload is JSON,
        ``value_json``."""
        variables = self._variables
        if variables is None:
            text = self.text
            variables = {"value": text}
            first = text.lstrip()[:1]
            # only what can be JSON is parsed: plain "ON" or "21.5" payloads stay cheap
            if first in ("{", "[", '"') or first.isdigit() or first in ("-", "t", "f", "n"):
                try:
                    variables["value_json"] = self.json
                except PayloadError:
                    pass
            self._variables = variables
        return variables

    @property
    def json_error(self) -> PayloadError | None:
        """Why the payload is not JSON, when parsing it was tried and failed."""
        value = self._json
        return value if isinstance(value, PayloadError) else None

    def json_object(self) -> dict[str, Any]:
        value = self.json
        if not isinstance(value, dict):
            raise PayloadError(f"{self.topic}: expected a JSON object, got {_kind(value)}")
        return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__
