"""One Zigbee2MQTT device at run time: its state reports, its availability, its tool calls.

The state report is the hot path (a busy network sends thousands a second): the payload is
decoded and parsed once, each key goes to the one reader that owns it (a dict lookup), and
each entity with changes gets one `Registry.set_state`. Nothing is logged per message.

A report whose JSON is broken is dropped whole. A report with some bad fields (a wrong
type, an unknown key, a reading that is not a finite number) keeps its good fields; either way the problem is counted once per
report with `hub.bad_input`, the device's state topic as the source.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from hub.devices import Confirmations
from hub.errors import PayloadError, RegistryError, ToolError
from hub.fabric import Message
from hub.model import ToolResult, Trigger
from integrations.zigbee2mqtt.entity import Context, Entity, Reader, Report, unconfirmed
from integrations.zigbee2mqtt.payload import DEVICE_LIMIT, parse_object

if TYPE_CHECKING:
    from hub.runtime import Hub

_LOGGER = logging.getLogger(__name__)

METADATA = frozenset({
    "linkquality", "last_seen", "elapsed", "update", "update_available", "device",
    "color_mode",
})
"""Keys Zigbee2MQTT adds to state reports beyond the exposes (its own bookkeeping, or
options such as ``last_seen``); they are not bad input. Keys starting with ``action_``
(``action_group``, ``action_rate``...) accompany actions and are not either."""


class Device:
    """Use `attach()` once the capabilities may appear and `detach()` to withdraw them."""

    def __init__(self, hub: Hub, ctx: Context, entities: list[Entity],
                 command_timeout: float) -> None:
        self.hub = hub
        self.ctx = ctx
        self.info = ctx.info
        self.entities = entities
        self.topic = ctx.topic
        self.available = True
        """What the device's own availability topic last said (true until it says)."""
        self._bridge_online = True
        self._timeout = command_timeout
        self._confirm = Confirmations()
        self._cancels: list[Callable[[], None]] = []
        self._readers: dict[str, tuple[int, Reader]] = {}
        self._more: dict[str, list[tuple[int, Reader]]] = {}
        """Further readers of a property two entities read (a cover's `moving` is also a
        sensor of its own, as in Home Assistant); rare, so kept apart from the fast path."""
        for index, entity in enumerate(entities):
            for prop, reader in entity.readers.items():
                if prop in self._readers:
                    self._more.setdefault(prop, []).append((index, reader))
                else:
                    self._readers[prop] = (index, reader)
        known = {p for e in ctx.info.exposes for p in e.properties()}
        self._known = frozenset(known | METADATA)
        self._fields = {"name": ctx.name.lower(), "area": ctx.area}

    @property
    def ids(self) -> list[str]:
        return [entity.id for entity in self.entities]

    # -- lifecycle ---------------------------------------------------------------------------

    def attach(self, bridge_online: bool, states: Mapping[str, Mapping[str, Any]]) -> None:
        """Register the capabilities (with `states` carried over, by id) and subscribe."""
        self._bridge_online = bridge_online
        fabric = self.hub.fabric
        # subscribed first: a topic the fabric refuses leaves nothing registered behind
        self._cancels = [fabric.subscribe(self.topic, self.on_state)]
        self._cancels.append(fabric.subscribe(f"{self.topic}/availability", self.on_availability))
        registry = self.hub.registry
        for entity in self.entities:
            capability = dataclasses.replace(entity.capability, available=self._live)
            state = states.get(entity.id)
            if state:
                capability = capability.with_state(state)
            entity.capability = registry.add(capability, partial(self.handle, entity))

    def detach(self) -> dict[str, Mapping[str, Any]]:
        """Unsubscribe and withdraw the capabilities; returns their last states by id."""
        for cancel in self._cancels:
            cancel()
        self._cancels = []
        registry = self.hub.registry
        states: dict[str, Mapping[str, Any]] = {}
        for entity in self.entities:
            current = registry.find(entity.id)
            if current is not None:
                states[entity.id] = current.state
                registry.remove(entity.id)
        return states

    def set_bridge_online(self, online: bool) -> None:
        self._bridge_online = online
        self._apply_availability()

    # -- messages ----------------------------------------------------------------------------

    def on_state(self, message: Message) -> None:
        if not message.payload:
            return  # someone cleared a retained report: nothing was said
        dropped: list[str] = []
        try:
            # a reading that is not a finite number (NaN from a firmware) is dropped alone
            data = parse_object(message, DEVICE_LIMIT, bad="drop", dropped=dropped)
        except PayloadError as exc:
            self.hub.bad_input.report(self.topic, str(exc))
            return
        readers, known, more = self._readers, self._known, self._more
        outs: dict[int, dict[str, Any]] = {}
        problems: list[str] | None = dropped or None
        for key, value in data.items():
            entry = readers.get(key)
            if entry is None:
                # beyond the exposes (a converter's extra key): an attribute of the device's
                # first entity, as Home Assistant shows every key as an attribute; not bad
                # input
                if (key not in known and not key.startswith("action_") and self.entities
                        and (value is None or isinstance(value, (str, int, float, bool)))):
                    outs.setdefault(0, {})[key] = value
                continue
            if value is None:
                continue  # Zigbee2MQTT publishes null for values it does not know yet
            for index, read in (entry, *more[key]) if key in more else (entry,):
                out = outs.get(index)
                if out is None:
                    out = outs[index] = {}
                try:
                    read(value, out)
                except ValueError as exc:
                    problems = problems or []
                    problems.append(f"{key}: {exc}")
        if outs:
            problem = self._apply(outs, message.retain)
            if problem is not None:
                problems = problems or []
                problems.append(problem)
        if len(self._confirm):
            self._confirm.resolve(data)
        if problems:
            self.hub.bad_input.report(self.topic, f"{self.topic}: {'; '.join(problems)}")

    def _apply(self, outs: dict[int, dict[str, Any]], retained: bool) -> str | None:
        """Set the entities' states; what the registry refused, if anything."""
        registry = self.hub.registry
        try:
            for index, out in outs.items():
                if not out:
                    continue
                entity = self.entities[index]
                if entity.reacts and not retained:  # a retained report is old news
                    old = registry.get(entity.id).state
                    registry.set_state(entity.id, out)
                    entity.react(partial(self._fire, entity.id), old, out)
                else:
                    registry.set_state(entity.id, out)
        except RegistryError:
            # withdrawn by someone else while we were still subscribed: nothing to update
            _LOGGER.debug("state for a withdrawn capability topic=%s", self.topic)
        except PayloadError as exc:  # a reader made a value the store could not keep
            return str(exc)
        return None

    def _fire(self, capability_id: str, trigger: Trigger, payload: Mapping[str, Any]) -> None:
        self.hub.firing.fire(capability_id, trigger, payload, **self._fields)

    def on_availability(self, message: Message) -> None:
        text = message.payload.strip()
        if not text:
            return  # a cleared retained status
        if text in (b"online", b"offline"):  # the legacy plain-text form
            online = text == b"online"
        else:
            try:
                state = parse_object(message).get("state")
                if state not in ("online", "offline"):
                    raise PayloadError(f"{message.topic}: state: expected \"online\" or "
                                       f"\"offline\", got {state!r}")
            except PayloadError as exc:
                self.hub.bad_input.report(self.topic, str(exc))
                return
            online = state == "online"
        if online != self.available:
            self.available = online
            _LOGGER.debug("zigbee2mqtt device %s device=%s",
                         "online" if online else "offline", self.info.friendly_name)
        self._apply_availability()

    @property
    def _live(self) -> bool:
        return self.available and self._bridge_online

    def _apply_availability(self) -> None:
        live = self._live
        for entity in self.entities:
            if entity.id in self.hub.registry:
                self.hub.registry.set_available(entity.id, live)

    # -- tools ---------------------------------------------------------------------------------

    async def handle(self, entity: Entity, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        registry = self.hub.registry
        if tool == "get_state":
            if entity.gettable:  # read fresh from the device, not what it said last
                props = entity.gettable
                await self._send(f"{entity.id}/get_state", f"{self.topic}/get",
                                 {p: "" for p in props}, lambda r: any(p in r for p in props))
            current = registry.get(entity.id)
            return ToolResult(value={"state": dict(current.state),
                                     "available": current.available})
        if entity.capability.tool(tool) is None:
            raise ToolError(f"{entity.id}: tool {tool!r} is not supported by this device")
        command = entity.command(tool, arguments, registry.get(entity.id).state)
        await self._send(f"{entity.id}/{tool}", command.topic or f"{self.topic}/set",
                         command.payload, command.confirm)
        return ToolResult(value={"state": dict(registry.get(entity.id).state)})

    async def _send(self, what: str, topic: str, payload: Mapping[str, Any],
                    confirm: Callable[[Report], bool]) -> None:
        data = json.dumps(payload, separators=(",", ":"))
        if confirm is unconfirmed:
            self.hub.fabric.publish(topic, data, qos=1)
            return
        try:
            await self._confirm.wait(
                confirm, lambda: self.hub.fabric.publish(topic, data, qos=1),
                self._timeout, f"{what}: sent {data} to {topic}",
            )
        except ToolError as exc:
            if not self._live:
                raise ToolError(f"{exc}; Zigbee2MQTT reports the device offline") from None
            raise
