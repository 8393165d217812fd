"""The mqtt trigger: a message on a topic (wildcards allowed), optionally with a given
payload or a value_template result. Retained messages (those the broker replays when the
trigger subscribes) do not fire: only messages published while attached do.

    triggers:
      - trigger: mqtt
        topic: zigbee2mqtt/hall_button
        payload: "single"
        value_template: "{{ value_json.action }}"

Variables: ``trigger.topic``, ``trigger.payload``, ``trigger.payload_json`` (when the
payload is JSON), ``trigger.qos``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hub.automations import Detach, TriggerAction, TriggerEvent, TriggerInfo, section
from hub.errors import AtmosphereError
from hub.fabric import Message, validate_filter
from hub.located import Located, Problems

if TYPE_CHECKING:
    from hub.runtime import Hub

_NO_JSON: Any = object()


@dataclass(frozen=True, slots=True)
class Config:
    topic: str
    payload: str | None = None
    value_template: str | None = None
    qos: int = 0


def validate(raw: Located) -> Config:
    problems = Problems()
    top = section(raw, problems, ("topic", "payload", "value_template", "qos", "encoding"))
    topic = top.text("topic", "")
    if not topic:
        problems.add(raw, "mqtt trigger: 'topic' is required")
    else:
        try:
            validate_filter(topic)
        except ValueError as exc:
            problems.add(top.get("topic") or raw, f"mqtt trigger: topic {topic!r}: {exc}")
    encoding = top.text("encoding", "utf-8")
    if encoding.lower() not in ("utf-8", "utf8"):
        problems.add(top.get("encoding") or raw, "mqtt trigger: only utf-8 payloads are "
                                                 "supported")
    payload_node = top.get("payload")
    payload = None
    if payload_node is not None:
        value = payload_node.value
        payload = ("on" if value else "off") if isinstance(value, bool) else str(value)
    config = Config(topic, payload, top.optional_text("value_template"),
                    top.integer("qos", 0, low=0, high=2))
    problems.raise_if_any()
    return config


async def attach(hub: Hub, config: Config, action: TriggerAction, info: TriggerInfo) -> Detach:
    engine = hub.automations

    def on_message(message: Message) -> None:
        if message.retain:
            return  # a retained message is old news
        text = message.payload.decode("utf-8", "replace")
        try:
            parsed: Any = json.loads(text)
        except ValueError:
            parsed = _NO_JSON
        if config.value_template is not None:
            value = {"value": text}
            if parsed is not _NO_JSON:
                value["value_json"] = parsed
            try:
                result = engine.renderer.text(config.value_template, value)
            except AtmosphereError:
                hub.bad_input.report(message.topic, "mqtt trigger: value_template failed")
                return
            if config.payload is not None and result != config.payload:
                return
        elif config.payload is not None and text != config.payload:
            return
        variables: dict[str, Any] = {"topic": message.topic, "payload": text,
                                     "qos": message.qos}
        if parsed is not _NO_JSON:
            variables["payload_json"] = parsed
        engine.spawn(action(TriggerEvent(variables, f"mqtt topic {message.topic}")))

    return hub.fabric.subscribe(config.topic, on_message, qos=config.qos)
