"""The webhook trigger: ``POST /api/webhook/<webhook_id>`` on the hub's HTTP API. As in
Home Assistant, the id is the secret: that route needs no API token (and is the only
public route besides health), so choose a long random id. With ``local_only: true`` (the
default) only clients on loopback or private networks are accepted.

    triggers:
      - trigger: webhook
        webhook_id: garage-door-5c1f7a0e9b2d4e
        allowed_methods: [POST, PUT]

Variables: ``trigger.webhook_id``, ``trigger.json`` (a JSON body), ``trigger.data`` (a
form body), ``trigger.query``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hub.automations import Detach, TriggerAction, TriggerEvent, TriggerInfo, section
from hub.errors import ConfigError
from hub.located import Located, Problems

if TYPE_CHECKING:
    from hub.runtime import Hub

METHODS = ("POST", "PUT", "GET", "HEAD")


@dataclass(frozen=True, slots=True)
class Config:
    webhook_id: str
    methods: tuple[str, ...] = ("POST", "PUT")
    local_only: bool = True


def validate(raw: Located) -> Config:
    problems = Problems()
    top = section(raw, problems, ("webhook_id", "allowed_methods", "local_only"))
    webhook_id = top.text("webhook_id", "")
    if not webhook_id:
        problems.add(raw, "webhook trigger: 'webhook_id' is required")
    methods = tuple(m.upper() for m in top.texts("allowed_methods")) or ("POST", "PUT")
    for method in methods:
        if method not in METHODS:
            problems.add(top.get("allowed_methods") or raw,
                         f"webhook trigger: unknown method {method}; use {', '.join(METHODS)}")
    config = Config(webhook_id, methods, top.flag("local_only", True))
    problems.raise_if_any()
    return config


async def attach(hub: Hub, config: Config, action: TriggerAction, info: TriggerInfo) -> Detach:
    engine = hub.automations

    def on_request(request: Mapping[str, Any]) -> None:
        variables = {"webhook_id": config.webhook_id, **request}
        engine.spawn(action(TriggerEvent(variables, f"webhook {config.webhook_id}")))

    try:
        return engine.dispatch.on_webhook(config.webhook_id, on_request,
                                            methods=config.methods,
                                            local_only=config.local_only)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
