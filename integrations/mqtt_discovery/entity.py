"""What every discovered entity shares: identity, device, availability, attributes, and
tool calls that publish a command and wait for the device to confirm it.

A component module subclasses `Entity`: `configure` reads its options (raising
`PayloadError` for what is wrong, before anything is registered), `subscriptions` names the
state topics it reads, `run` carries out a tool call. Everything else is here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

from hub.devices import Confirmations, Predicate
from hub.domains import standard_tools
from hub.errors import PayloadError, ToolError
from hub.events import StateChanged
from hub.inputs import load_json, text_problem
from hub.model import Capability, Tool, ToolResult, Trigger
from hub.templates import Template, Templates
from integrations.mqtt_discovery.availability import Tracker, read_spec
from integrations.mqtt_discovery.config import Config
from integrations.mqtt_discovery.options import Options
from integrations.mqtt_discovery.payload import MAX_TEXT_BYTES, Payload
from integrations.mqtt_discovery.router import Handler, TopicRouter

if TYPE_CHECKING:
    from hub.runtime import Hub

_LOGGER = logging.getLogger(__name__)

_NOT_SLUG = re.compile(r"[^a-z0-9_]+")

COMMON_KEYS = frozenset({
    "platform", "name", "unique_id", "object_id", "default_entity_id", "device", "origin",
    "icon", "entity_category", "enabled_by_default", "entity_picture", "encoding", "qos",
    "retain", "availability", "availability_topic", "availability_mode",
    "availability_template", "payload_available", "payload_not_available",
    "json_attributes_topic", "json_attributes_template", "state_topic", "command_topic",
    "components",
})
"""Keys every component may carry (a device discovery payload shares some with all)."""

MAX_ATTRIBUTE_KEYS = 256
MAX_ATTRIBUTE_BYTES = 64 * 1024
"""Largest JSON attributes message (keys, and bytes of JSON text after the template):
attributes are kept in the state, which is in memory, in every event and in the store.
A larger message is bad input and leaves the attributes as they were."""

Send = tuple[str, str | bytes]
Check = Callable[[Any], bool]


def equals(wanted: Any) -> Check:
    return lambda reported: reported == wanted


def near(wanted: float, slack: float) -> Check:
    """A reported number within `slack` of `wanted` (devices round what they are sent)."""
    return lambda reported: (isinstance(reported, (int, float)) and not isinstance(
        reported, bool) and abs(reported - wanted) <= slack)


def slug(text: str) -> str:
    """``"Kitchen Light 0x12"`` -> ``"kitchen_light_0x12"``: what a capability id may hold."""
    return _NOT_SLUG.sub("_", text.lower()).strip("_")


@dataclass(frozen=True, slots=True)
class Discovered:
    """One entity as announced: where, and its configuration with long keys."""

    component: str
    topic: str
    """The discovery topic it came on (named in every message about it)."""
    key: str
    """Stable identity of the announcement: ``light/<node_id>/<object_id>`` or
    ``device/<device id>/<component id>``."""
    fallback_id: str
    """Capability id suffix when the configuration names none (from the topic)."""
    config: Mapping[str, Any]
    declared_at: str = ""
    """``file:line:col`` for an entity written under `mqtt:` in YAML (integrations/mqtt),
    whose `topic` is then its path (``mqtt.light[0]``); empty for a discovered one."""

    @property
    def source(self) -> str:
        """Who registers it: ``mqtt`` (declared in YAML) or ``mqtt_discovery``."""
        return "mqtt" if self.declared_at else "mqtt_discovery"


@dataclass(frozen=True, slots=True)
class Device:
    id: str
    """Slug of its first identifier (or connection): ``0x00158d0001a2b3c4``."""
    name: str
    area: str
    info: Mapping[str, Any]


def read_device(opts: Options) -> Device | None:
    block = opts.raw("device")
    if block is None:
        return None
    if not isinstance(block, dict):
        raise opts.error("device", f"expected a mapping, got {block!r}")
    ids = block.get("identifiers")
    if isinstance(ids, (str, int)):
        ids = [ids]
    first = str(ids[0]) if isinstance(ids, list) and ids else ""
    if not first:
        connections = block.get("connections")
        if isinstance(connections, list) and connections and isinstance(connections[0], list):
            first = "_".join(str(part) for part in connections[0])
    if not first:
        raise opts.error("device", "needs identifiers or connections")
    name = block.get("name")
    area = block.get("suggested_area")
    for key, text in (("name", name), ("suggested_area", area)):
        problem = text_problem(text) if isinstance(text, str) else None
        if problem is not None:
            raise opts.error("device", f"{key}: {text!r} {problem}")
    info = {k: v for k, v in block.items()
            if k in ("identifiers", "manufacturer", "model", "model_id", "sw_version",
                     "hw_version", "serial_number", "configuration_url", "via_device")
            and isinstance(v, (str, int, float, list))}
    return Device(
        id=slug(first) or "device",
        name=name if isinstance(name, str) else "",
        area=area if isinstance(area, str) else "",
        info=MappingProxyType(info),
    )


@dataclass(frozen=True, slots=True)
class Context:
    """What entities need from the running integration."""

    hub: Hub
    templates: Templates
    router: TopicRouter
    config: Config


def select_tools(domain: str, keep: Iterable[str] | None = None,
                 drop_params: Mapping[str, Sequence[str]] | None = None) -> tuple[Tool, ...]:
    """The standard tools of `domain`, only those in `keep` (and ``get_state``), without
    the parameters in `drop_params` (tool -> names) that this device cannot honour.

    The same selection gives the same (read-only) tools: built once, shared by every
    entity that asks for it."""
    key = (domain, None if keep is None else frozenset(keep),
           frozenset((name, tuple(params)) for name, params in (drop_params or {}).items()))
    found = _SELECTED.get(key)
    if found is None:
        found = _SELECTED[key] = _select_tools(domain, key[1], drop_params)
    return found


_SELECTED: dict[tuple[str, frozenset[str] | None, frozenset[tuple[str, tuple[str, ...]]]],
                tuple[Tool, ...]] = {}
"""select_tools' answers; a handful of keys per domain (the tools and parameters the
discovery options allow)."""


def _select_tools(domain: str, keep: frozenset[str] | None,
                  drop_params: Mapping[str, Sequence[str]] | None) -> tuple[Tool, ...]:
    wanted = None if keep is None else {*keep, "get_state"}
    tools = []
    for tool in standard_tools(domain):
        if wanted is not None and tool.name not in wanted:
            continue
        dropped = (drop_params or {}).get(tool.name)
        if dropped:
            props = {k: v for k, v in tool.parameters.get("properties", {}).items()
                     if k not in dropped}
            params = dict(tool.parameters)
            params["properties"] = MappingProxyType(props)
            tool = Tool(tool.name, tool.description, MappingProxyType(params), tool.result,
                        tool.timeout)
        tools.append(tool)
    return tuple(tools)


class Entity:
    """Base of every discovered entity (see the module docstring)."""

    domain: ClassVar[str] = ""
    STATE_KEYS: ClassVar[frozenset[str]] = frozenset({"state"})
    """State keys the entity itself sets: JSON attributes never overwrite them."""
    expire_after: float = 0.0
    """Seconds after the last report when the entity turns unavailable (sensors' and
    binary sensors' `expire_after`); 0: never."""
    force_update: bool = False
    """Every report is a `StateChanged`, also one that changes nothing (`force_update`)."""

    def __init__(self, ctx: Context, found: Discovered) -> None:
        self.ctx = ctx
        self.found = found
        opts = self.opts = Options(found.config, found.topic, ctx.templates)
        self.unique_id = opts.optional_text("unique_id")
        self.device = read_device(opts)
        self.id = f"{self.domain}.{self._id_suffix(opts)}"
        self.name = self._name(opts)
        self.qos = opts.integer("qos", 0, low=0, high=2)
        category = opts.optional_text("entity_category")
        if category is not None and category not in ("config", "diagnostic"):
            raise opts.error("entity_category", f"expected config or diagnostic, got "
                             f"{category!r}")
        self.entity_category = category
        """Home Assistant's `entity_category`: settings (config) and diagnostics are kept
        as an attribute, so the UI and routing can rank them below the device itself."""
        self.retain = opts.flag("retain", False)
        self.availability = Tracker(read_spec(opts), self._on_available)
        self._attr_topic = opts.subscribe_topic("json_attributes_topic")
        self._attr_template = opts.template("json_attributes_template")
        self._attr_keys: frozenset[str] = frozenset()
        """The keys the last JSON attributes message set (the next one replaces them)."""
        self.confirm = Confirmations()
        self._cancels: list[Callable[[], None]] = []
        self._running = False
        self._expired = False
        self._expiry: Callable[[], None] | None = None
        self.configure(opts)
        unknown = opts.unknown_keys(COMMON_KEYS)
        if unknown:
            _LOGGER.debug("ignored unknown keys topic=%s keys=%s", found.topic, unknown)

    # -- what a component provides -----------------------------------------------------------

    def configure(self, opts: Options) -> None:
        """Read the component's own options; raise PayloadError for what is wrong."""

    def subscriptions(self) -> Iterable[tuple[str, Handler]]:
        """(topic, handler) for each state topic."""
        return ()

    def tools(self) -> tuple[Tool, ...]:
        return select_tools(self.domain)

    def triggers(self) -> tuple[Trigger, ...]:
        return ()

    def attributes(self) -> dict[str, Any]:
        """Static facts of the component (device class, unit, modes...)."""
        return {}

    def description(self) -> str:
        how = "configured over MQTT" if self.found.declared_at else "announced by MQTT discovery"
        return f"{self.domain.replace('_', ' ')} {how}"

    async def run(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        raise ToolError(f"{self.id}: tool {tool!r} is not supported")

    def stopped(self) -> None:
        """Release what the component holds beyond subscriptions (timers)."""

    def payload_limit(self) -> int:
        """Largest state message read; larger ones are bad input."""
        return MAX_TEXT_BYTES

    def inherit(self, previous: Entity) -> None:
        """Take over what an earlier configuration of this entity holds outside the
        registry (a camera's last image)."""

    # -- identity --------------------------------------------------------------------------

    def _id_suffix(self, opts: Options) -> str:
        default_id = opts.optional_text("default_entity_id")
        if default_id is not None and default_id.startswith(f"{self.domain}."):
            default_id = default_id.split(".", 1)[1]
        for candidate in (default_id, opts.optional_text("object_id"), self.unique_id):
            if candidate and slug(candidate):
                return slug(candidate)
        return slug(self.found.fallback_id) or "entity"

    def _name(self, opts: Options) -> str:
        own = opts.optional_text("name")
        device_name = self.device.name if self.device is not None else ""
        if not own:
            return device_name or self.found.fallback_id.replace("_", " ")
        if not device_name or own.lower().startswith(device_name.lower()):
            return own
        return f"{device_name} {own}"

    @property
    def area(self) -> str:
        return self.device.area if self.device is not None else ""

    def capability(self) -> Capability:
        found = self.found
        attributes: dict[str, Any] = (
            {"protocol": "mqtt", "declared_at": found.declared_at} if found.declared_at
            else {"protocol": "mqtt_discovery", "discovery_topic": found.topic})
        if self.unique_id:
            attributes["unique_id"] = self.unique_id
        if self.entity_category:
            attributes["entity_category"] = self.entity_category
        if self.device is not None:
            attributes["device"] = dict(self.device.info, id=self.device.id,
                                        name=self.device.name)
        attributes.update({k: v for k, v in self.attributes().items() if v is not None})
        where = f" in the {self.area}" if self.area else ""
        return Capability(
            id=self.id, type=self.domain, name=self.name, node=self.ctx.hub.node_id,
            area=self.area, description=f"{self.description()}{where}",
            tools=self.tools(), triggers=self.triggers(),
            attributes=MappingProxyType(attributes), available=self.availability.available,
            source=found.source,
        )

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, previous: Entity | None = None) -> None:
        """Subscribe, take over from `previous` (an earlier configuration of the same
        announcement), and register the capability."""
        if previous is not None:
            self.availability.seed(previous.availability)
            self._attr_keys = previous._attr_keys
            self.inherit(previous)
        router, source = self.ctx.router, self.found.topic
        subscribe = self._cancels.append
        for index, item in enumerate(self.availability.spec.sources):
            subscribe(router.subscribe(item.topic, self.availability.handler(index),
                                       source=source, qos=self.qos))
        if self._attr_topic is not None:
            subscribe(router.subscribe(self._attr_topic, self._on_attributes, source=source,
                                       qos=self.qos))
        for topic, handler in self.subscriptions():
            subscribe(router.subscribe(topic, handler, source=source, qos=self.qos,
                                       max_bytes=self.payload_limit()))
        # new subscriptions first: a topic both versions read is not re-subscribed, so
        # nothing is missed in between
        if previous is not None:
            previous.stop(remove=previous.id != self.id)
        self._running = True
        self.ctx.hub.registry.add(self.capability(), self.handle)

    def stop(self, *, remove: bool) -> None:
        self._running = False
        if self._expiry is not None:
            self._expiry()
            self._expiry = None
        cancels, self._cancels = self._cancels, []
        for cancel in cancels:
            cancel()
        self.stopped()
        if remove:
            self.ctx.hub.registry.remove(self.id)

    # -- state -----------------------------------------------------------------------------

    def current(self) -> Mapping[str, Any]:
        return self.ctx.hub.registry.get(self.id).state

    def update(self, changes: Mapping[str, Any]) -> None:
        """Record reported state and let waiting tool calls see it."""
        if not self._running:
            return
        registry = self.ctx.hub.registry
        changed = registry.set_state(self.id, changes)
        if not changed and self.force_update:
            state = registry.get(self.id).state
            self.ctx.hub.bus.publish(StateChanged(self.id, state, state,
                                                  time=self.ctx.hub.clock.now().timestamp()))
        if self.expire_after:
            self._arm_expiry()
        if len(self.confirm):
            # every report counts, changed or not: "on" again confirms a turn_on
            self.confirm.resolve(registry.get(self.id).state)

    def _on_available(self, available: bool) -> None:
        if self._running and not self._expired:
            self.ctx.hub.registry.set_available(self.id, available)

    def _arm_expiry(self) -> None:
        if self._expiry is not None:
            self._expiry()
        if self._expired:
            self._expired = False
            self.ctx.hub.registry.set_available(self.id, self.availability.available)
        clock = self.ctx.hub.clock
        self._expiry = clock.call_at(clock.monotonic() + self.expire_after, self._expire)

    def _expire(self) -> None:
        self._expiry = None
        if self._running:
            self._expired = True
            self.ctx.hub.registry.set_available(self.id, False)
            _LOGGER.debug("state expired capability=%s after=%gs", self.id, self.expire_after)

    def _on_attributes(self, payload: Payload) -> None:
        """The message's object becomes the attributes, replacing the previous message's
        (as Home Assistant replaces its extra state attributes): keys it no longer
        carries leave the state."""
        if self._attr_template is not None:
            text = self._attr_template.render(payload.variables)
            # a character is at least one byte: encode only what may be under the limit
            size = len(text) if len(text) > MAX_ATTRIBUTE_BYTES else len(
                text.encode(errors="replace"))
        else:
            text, size = "", len(payload.raw)
        if size > MAX_ATTRIBUTE_BYTES:
            raise PayloadError(f"{payload.topic}: JSON attributes of {size} bytes are over the "
                               f"limit of {MAX_ATTRIBUTE_BYTES} bytes")
        if self._attr_template is not None:
            try:
                data = load_json(text, payload.topic)
            except PayloadError as exc:
                raise PayloadError(f"{payload.topic}: json_attributes_template did not give "
                                   f"JSON: {text[:60]!r} ({exc})") from None
        else:
            data = payload.json
        if not isinstance(data, dict):
            raise PayloadError(f"{payload.topic}: JSON attributes must be an object, got "
                               f"{type(data).__name__}")
        if len(data) > MAX_ATTRIBUTE_KEYS:
            raise PayloadError(f"{payload.topic}: {len(data)} JSON attributes are more than "
                               f"the limit of {MAX_ATTRIBUTE_KEYS}")
        attributes = {k: v for k, v in data.items() if k not in self.STATE_KEYS}
        if not self._running:
            return
        gone = self._attr_keys.difference(attributes)
        self._attr_keys = frozenset(attributes)
        if not gone:
            if attributes:
                self.update(attributes)
            return
        state = {k: v for k, v in self.current().items() if k not in gone}
        state.update(attributes)
        registry = self.ctx.hub.registry
        registry.set_state(self.id, state, replace=True)
        if len(self.confirm):
            self.confirm.resolve(registry.get(self.id).state)

    # -- reading values --------------------------------------------------------------------

    @staticmethod
    def value(payload: Payload, template: Template | None) -> str:
        """The payload's text, or what `template` makes of it."""
        if template is None:
            return payload.text
        return template.render(payload.variables).strip()

    def choice_state(self, payload: Payload, template: Template | None,
                     choices: Sequence[str]) -> None:
        """Set ``state`` to the payload's value, one of `choices`; cleared for HA's unknown
        payloads; PayloadError for anything else."""
        text = self.value(payload, template)
        if text in UNKNOWN:
            self.update({"state": None})
            return
        if text not in choices:
            raise PayloadError(f"{payload.topic}: expected one of {', '.join(choices)}, got "
                               f"{text[:40]!r}")
        self.update({"state": text})

    def state_of(self, payload: Payload, template: Template | None,
                 states: Mapping[str, str]) -> str | None:
        """The state `states` maps the payload to; None (and the state cleared) for HA's
        "None"/empty payload; PayloadError for anything else."""
        text = self.value(payload, template)
        state = states.get(text)
        if state is None:
            if text in ("None", ""):
                self.update({"state": None})
                return None
            raise PayloadError(f"{payload.topic}: expected one of {', '.join(states)}, "
                               f"got {text[:40]!r}")
        return state

    def command_payload(self, template: Template | None, value: Any,
                        **extra: Any) -> str:
        """What to publish for `value`: as text, or rendered by a command template."""
        if template is None:
            return value if isinstance(value, str) else _plain(value)
        variables = {"value": value, "entity_id": self.id, "name": self.name, **extra}
        try:
            return template.render(variables)
        except PayloadError as exc:
            raise ToolError(f"{self.id}: command template failed: {exc}") from None

    # -- tool calls ------------------------------------------------------------------------

    async def handle(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        if tool == "get_state":
            return self.state_result()
        return await self.run(tool, arguments)

    def state_result(self) -> ToolResult:
        cap = self.ctx.hub.registry.get(self.id)
        return ToolResult(value={"state": dict(cap.state), "available": cap.available})

    def publish(self, topic: str, payload: str | bytes) -> None:
        self.ctx.hub.fabric.publish(topic, payload, qos=self.qos, retain=self.retain)

    async def command(
        self, tool: str, sends: Sequence[Send], expect: Predicate | None,
        optimistic: Mapping[str, Any] | None = None,
    ) -> ToolResult:
        """Publish `sends` in order. With `expect`, return once a report satisfies it (or
        fail with ToolError after the command timeout); without, record `optimistic` as
        the new state and return at once (devices that report no state)."""

        def send() -> None:
            for topic, payload in sends:
                self.publish(topic, payload)

        if expect is not None:
            await self.confirm.wait(
                expect, send, self.ctx.config.command_timeout, f"{self.id}/{tool}"
            )
            return self.state_result()
        send()
        if optimistic:
            self.update(optimistic)
        return self.state_result()

    async def change(
        self, tool: str, sends: Sequence[Send], checks: Mapping[str, Check],
        optimistic: Mapping[str, Any],
    ) -> ToolResult:
        """Publish `sends`; wait until every reported key in `checks` passes its check
        (the keys the device reports back), then record the rest of `optimistic`."""
        if not checks or getattr(self, "optimistic", False):
            return await self.command(tool, sends, None, optimistic)

        def expect(state: Mapping[str, Any]) -> bool:
            return all(check(state.get(key)) for key, check in checks.items())

        await self.command(tool, sends, expect)
        rest = {k: v for k, v in optimistic.items() if k not in checks}
        if rest:
            self.update(rest)
        return self.state_result()


def _plain(value: Any) -> str:
    return str(value)  # 21.5 -> "21.5", 40 -> "40": what Home Assistant publishes


UNKNOWN = ("None", "unknown", "")
"""Payloads that say "no value" (Home Assistant's ``None``): the state becomes None."""


def on_off(payload: Payload, text: str, on: str, off: str) -> str | None:
    """``"on"``/``"off"`` for the device's on/off payloads, None for an unknown-state
    payload; anything else is bad input."""
    if text == on:
        return "on"
    if text == off:
        return "off"
    if text in UNKNOWN:
        return None
    raise PayloadError(f"{payload.topic}: expected {on!r} or {off!r}, got {text[:40]!r}")
