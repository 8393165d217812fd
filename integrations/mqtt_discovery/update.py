"""Updates: a device's installed and latest version, and `install`, as Home Assistant's
MQTT update platform.

`state_topic` carries the installed version as text, or JSON with `installed_version`,
`latest_version`, `title`, `release_summary`, `release_url`, `entity_picture`,
`in_progress` and `update_percentage` (through `value_template`); `latest_version_topic`
(through `latest_version_template`) may carry the latest version apart. The state is ``on``
when the latest version differs from the installed one. `install` publishes
`payload_install` on `command_topic` (the tool exists only with a command topic) and
returns: the device reports its progress (`in_progress`) as it goes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hub.errors import PayloadError, ToolError
from hub.model import Tool, ToolResult
from integrations.mqtt_discovery.entity import Entity, select_tools
from integrations.mqtt_discovery.options import Options
from integrations.mqtt_discovery.payload import Payload
from integrations.mqtt_discovery.router import Handler

_JSON_KEYS = ("installed_version", "latest_version", "title", "release_summary",
              "release_url", "entity_picture", "in_progress", "update_percentage")


class Update(Entity):
    domain = "update"
    STATE_KEYS = frozenset({"state", *_JSON_KEYS})

    def configure(self, opts: Options) -> None:
        self.command_topic = opts.publish_topic("command_topic")
        self.state_topic = opts.subscribe_topic("state_topic")
        self.value_template = opts.template("value_template")
        self.latest_topic = opts.subscribe_topic("latest_version_topic")
        self.latest_template = opts.template("latest_version_template")
        self.payload_install = opts.optional_text("payload_install")
        self.title = opts.optional_text("title")
        self.release_summary = opts.optional_text("release_summary")
        self.release_url = opts.optional_text("release_url")
        self.device_class = opts.optional_text("device_class")
        self.entity_category = self.entity_category or "config"  # HA's default for updates

    def attributes(self) -> dict[str, Any]:
        return {"device_class": self.device_class, "title": self.title,
                "release_summary": self.release_summary, "release_url": self.release_url,
                "entity_category": self.entity_category}

    def tools(self) -> tuple[Tool, ...]:
        keep = ("install",) if self.command_topic is not None else ()
        return select_tools(self.domain, keep)

    def subscriptions(self) -> Iterable[tuple[str, Handler]]:
        if self.state_topic is not None:
            yield self.state_topic, self._on_state
        if self.latest_topic is not None:
            yield self.latest_topic, self._on_latest

    def _on_state(self, payload: Payload) -> None:
        text = self.value(payload, self.value_template)
        changes: dict[str, Any] = {}
        if text.lstrip().startswith("{"):
            rendered = Payload(payload.topic, text.encode(), payload.retain)
            data = rendered.json_object()
            changes.update({k: data[k] for k in _JSON_KEYS if k in data})
            if not changes:
                raise PayloadError(f"{payload.topic}: the JSON holds none of "
                                   f"{', '.join(_JSON_KEYS)}")
        elif text:
            changes["installed_version"] = text
        self._merge(changes)

    def _on_latest(self, payload: Payload) -> None:
        text = self.value(payload, self.latest_template)
        if text:
            self._merge({"latest_version": text})

    def _merge(self, changes: dict[str, Any]) -> None:
        now = {**self.current(), **changes}
        installed, latest = now.get("installed_version"), now.get("latest_version")
        if installed is None or latest is None:
            changes["state"] = None
        else:
            changes["state"] = "on" if str(latest) != str(installed) else "off"
        self.update(changes)

    async def run(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        if tool != "install" or self.command_topic is None:
            raise ToolError(f"{self.id}: tool {tool!r} is not supported")
        if self.payload_install is None:
            raise ToolError(f"{self.id}/install: the device announces no payload_install")
        return await self.command(tool, [(self.command_topic, self.payload_install)], None)
