"""The Zigbee2MQTT bridge as the hub sees it: which devices exist, and their lifecycles.

Zigbee2MQTT keeps the device list retained on ``<base>/bridge/devices`` and republishes it
whenever a device joins, leaves, is renamed or is re-interviewed; ``<base>/bridge/event``
announces joins, interviews and leaves as they happen; ``<base>/bridge/state`` says whether
Zigbee2MQTT itself runs (its last will is ``offline``). The bridge turns every version of
the list into added, changed (renamed, new definition, new options) and removed devices.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from hub.errors import FabricError, PayloadError
from hub.fabric import Message
from hub.inputs import value_problem
from hub.model import Capability
from integrations.zigbee2mqtt import devicelist, naming
from integrations.zigbee2mqtt.config import Zigbee2MQTTConfig
from integrations.zigbee2mqtt.definition import DeviceInfo, parse_device
from integrations.zigbee2mqtt.device import Device
from integrations.zigbee2mqtt.entities import build_entities
from integrations.zigbee2mqtt.entity import Context
from integrations.zigbee2mqtt.groups import GROUP, group_info
from integrations.zigbee2mqtt.payload import BRIDGE_LIMIT, parse_json, parse_object

if TYPE_CHECKING:
    from hub.runtime import Hub

_LOGGER = logging.getLogger(__name__)


class Bridge:
    """``async with Bridge(hub, config)``: enter subscribes and waits (a bounded time) for
    the retained device list; exit withdraws every capability it registered."""

    def __init__(self, hub: Hub, config: Zigbee2MQTTConfig) -> None:
        self.hub = hub
        self.config = config
        base = config.base_topic
        self.devices_topic = f"{base}/bridge/devices"
        self.event_topic = f"{base}/bridge/event"
        self.state_topic = f"{base}/bridge/state"
        self.groups_topic = f"{base}/bridge/groups"
        self._groups: list[Any] = []
        """The last group list (applied again when the devices change)."""
        self.devices: dict[str, Device] = {}
        """Running devices by IEEE address."""
        self.online = True
        """What ``bridge/state`` last said (true until it says)."""
        self._owners: dict[str, str] = {}  # capability id -> IEEE address of its device
        self._listed = asyncio.Event()
        self._cancels: list[Callable[[], None]] = []
        self._reading: asyncio.Task[None] | None = None
        self._version = b""
        """Digest of the last device list read: the same bytes again are not re-read."""
        self.lists_read = 0
        self.lists_unchanged = 0
        self.refused_devices = 0
        """Devices not started because `max_devices` run already."""

    async def __aenter__(self) -> Self:
        fabric = self.hub.fabric
        self._cancels = [
            fabric.subscribe(self.state_topic, self._on_bridge_state),
            fabric.subscribe(self.devices_topic, self._on_devices),
            fabric.subscribe(self.event_topic, self._on_event),
            fabric.subscribe(self.groups_topic, self._on_groups),
        ]
        try:
            await fabric.wait_subscribed()
            if self.config.discovery_wait > 0:
                async with asyncio.timeout(self.config.discovery_wait):
                    await self._listed.wait()
        except TimeoutError:
            _LOGGER.info("no device list from Zigbee2MQTT yet topic=%s; devices will appear "
                         "when it publishes one", self.devices_topic)
        except BaseException:
            self._close()
            raise
        if self.devices:
            await fabric.wait_subscribed()  # the devices' own topics: listening when started
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        reading = self._reading
        self._close()
        if reading is not None:
            await asyncio.wait([reading])

    def _close(self) -> None:
        for cancel in self._cancels:
            cancel()
        self._cancels = []
        self._cancel_reading()
        for ieee in list(self.devices):
            self._remove(ieee)

    # -- bridge/devices ------------------------------------------------------------------------

    def _on_devices(self, message: Message) -> None:
        payload = message.payload
        if not payload:
            return  # the retained list was cleared: no news about any device
        limit = self.config.max_device_list_bytes
        if len(payload) > limit:
            self.hub.bad_input.report(message.topic, (
                f"{message.topic}: a device list of {len(payload)} bytes is over the limit "
                f"of {limit} bytes (max_device_list_bytes)"))
            self._listed.set()
            return
        self._cancel_reading()  # a newer list supersedes one still being read
        if len(payload) <= devicelist.INLINE_BYTES:
            for _ in self._read_list(message, devicelist.digest(payload)):
                pass
        else:
            self._reading = asyncio.create_task(self._read_large(message),
                                                name="zigbee2mqtt.devices")

    async def _read_large(self, message: Message) -> None:
        try:
            version = await asyncio.to_thread(devicelist.digest, message.payload)
            for _ in self._read_list(message, version):
                await asyncio.sleep(0)  # the loop's turn: devices' reports, tool calls
        except Exception:  # a bug must not end as "Task exception was never retrieved"
            _LOGGER.exception("zigbee2mqtt device list not applied topic=%s", message.topic)
            self._listed.set()
        self._reading = None

    def _cancel_reading(self) -> None:
        reading, self._reading = self._reading, None
        if reading is not None:
            reading.cancel()

    def _read_list(self, message: Message, version: bytes) -> Iterator[None]:
        """Read one version of the list and apply it: remove the devices it no longer
        lists, start or restart the others. Yields between chunks of work."""
        topic = message.topic
        if version == self._version:
            self.lists_unchanged += 1
            _LOGGER.debug("zigbee2mqtt device list unchanged topic=%s", topic)
            self._listed.set()
            return
        reading = devicelist.Reading()
        problem = None
        try:
            text = message.payload.decode()
            yield from devicelist.read(text, topic, self.config.base_topic,
                                       self.config.max_devices, reading)
        except UnicodeDecodeError:
            problem = f"{topic}: payload is not UTF-8"
        except PayloadError as exc:
            problem = str(exc)
        self.lists_read += 1
        if problem is None:
            self._report(topic, reading)
            yield from self._apply(reading, topic)
        else:
            self.hub.bad_input.report(topic, problem)
        # only now: a reading cut off by a newer list must not make its bytes "read"
        self._version = version  # the same bytes again give the same outcome: not re-read
        self._listed.set()

    def _report(self, topic: str, reading: devicelist.Reading) -> None:
        bad_input = self.hub.bad_input
        if reading.not_objects:
            bad_input.report(topic, (
                f"{topic}: {reading.not_objects} entries are not device objects (the first: "
                f"{reading.first_not_object}); skipped"), count=reading.not_objects)
        for source, reason in reading.problems:
            bad_input.report(source, reason)
        if reading.cut_short:
            bad_input.report(topic, (
                f"{topic}: more than {self.config.max_devices} entries; the first "
                f"{self.config.max_devices} are read and no device is removed (raise "
                f"max_devices in the zigbee2mqtt section for a larger network)"))

    def _apply(self, reading: devicelist.Reading, topic: str) -> Iterator[None]:
        listed = reading.listed
        gone = [ieee for ieee in self.devices if ieee not in listed
                and ieee not in reading.kept
                and not ieee.startswith(GROUP)] if reading.complete else []
        for ieee in gone:
            self._remove(ieee)
        added = changed = 0
        for i, info in enumerate(listed.values()):  # running devices first keep their ids
            if info.ieee_address in self.devices:
                changed += self._start(info, topic)
            if i % devicelist.CHUNK == devicelist.CHUNK - 1:
                yield
        for i, info in enumerate(listed.values()):
            if info.ieee_address not in self.devices:
                added += self._start(info, topic)
            if i % devicelist.CHUNK == devicelist.CHUNK - 1:
                yield
        if self._groups:
            self._apply_groups()  # members may have come, gone or changed
        if reading.complete:
            self._withdraw_stale()
        if added or changed or gone:
            _LOGGER.info("zigbee2mqtt devices=%d added=%d changed=%d removed=%d",
                         len(self.devices), added, changed, len(gone))

    # -- bridge/groups -------------------------------------------------------------------------

    def _on_groups(self, message: Message) -> None:
        if not message.payload:
            return
        try:
            entries = parse_json(message, BRIDGE_LIMIT, bad="keep")
            if not isinstance(entries, list):
                raise PayloadError(f"{message.topic}: expected a JSON list of groups")
        except PayloadError as exc:
            self.hub.bad_input.report(message.topic, str(exc))
            return
        self._groups = entries
        self._apply_groups()

    def _member_exposes(self, ieee: str) -> Any:
        device = self.devices.get(ieee)
        return device.info.exposes if device is not None else None

    def _apply_groups(self) -> None:
        """Start, update or remove the groups' capabilities from the last group list."""
        wanted: dict[str, DeviceInfo] = {}
        for i, entry in enumerate(self._groups):
            where = f"{self.groups_topic}[{i}]"
            try:
                problem = value_problem(entry, where)
                if problem is not None:
                    raise PayloadError(problem)
                info = group_info(entry, self._member_exposes, where)
            except PayloadError as exc:
                self.hub.bad_input.report(self.groups_topic, str(exc))
                continue
            if info is not None:
                wanted[info.ieee_address] = info
        for key in [k for k in self.devices if k.startswith(GROUP) and k not in wanted]:
            self._remove(key)
        for info in wanted.values():
            self._start(info, self.groups_topic)

    def _start(self, info: DeviceInfo, source: str) -> int:
        """`_put`, with what the fabric refuses (a topic too long for MQTT, say) reported as
        bad input: one device never stops the others."""
        try:
            return self._put(info)
        except (FabricError, PayloadError) as exc:
            self._remove(info.ieee_address)
            self.hub.bad_input.report(f"{self.config.base_topic}/{info.friendly_name}",
                                      f"{source}: device {info.friendly_name!r} not started: "
                                      f"{exc}")
            return 0

    def _put(self, info: DeviceInfo) -> int:
        """Start the device, or restart it if its definition, name or options changed;
        1 when something was (re)started."""
        running = self.devices.get(info.ieee_address)
        if running is not None and running.info == info and self._context(
                info, running.ctx.slug) == running.ctx:
            return 0
        states: dict[str, Any] = {}
        old_ids: list[str] = []
        if running is not None:
            old_ids = running.ids
            states = self._remove(info.ieee_address)
        device = self._build(info)
        if running is not None and old_ids != device.ids:  # renamed: the state moves along
            states = {new: states[old] for old, new in zip(old_ids, device.ids)
                      if old in states and old.split(".")[0] == new.split(".")[0]}
            _LOGGER.info("zigbee2mqtt device renamed ieee=%s name=%s was=%s",
                         info.ieee_address, info.friendly_name, running.info.friendly_name)
        self.devices[info.ieee_address] = device
        for cap_id in device.ids:
            self._owners[cap_id] = info.ieee_address
        device.attach(self.online, states)
        _LOGGER.debug("zigbee2mqtt device started device=%s capabilities=%s",
                      info.friendly_name, ",".join(device.ids))
        return 1

    def _context(self, info: DeviceInfo, slug: str) -> Context:
        config = self.config
        options = config.options(info.friendly_name, info.ieee_address)
        return Context(
            info=info, slug=slug,
            name=options.name or naming.display_name(info.friendly_name),
            area=options.area or naming.default_area(info.friendly_name),
            aliases=options.aliases, base_topic=config.base_topic,
            tool_timeout=config.command_timeout + 2.0, now=self._now,
        )

    def _now(self) -> str:
        return self.hub.clock.now().isoformat(timespec="milliseconds")

    def _build(self, info: DeviceInfo) -> Device:
        slug = naming.device_slug(info.friendly_name, info.ieee_address)
        address = naming.slug(info.ieee_address)
        # another device, or another integration, may have this name's slug: then this
        # device adds the end of its address, or the whole address
        for candidate in (slug, f"{slug}_{address[-4:]}", f"{slug}_{address}"):
            ctx = self._context(info, candidate)
            entities = build_entities(ctx, info.exposes)
            if not any(self._taken(e.id, info.ieee_address) for e in entities):
                break
        return Device(self.hub, ctx, entities, self.config.command_timeout)

    def _taken(self, capability_id: str, ieee: str) -> bool:
        owner = self._owners.get(capability_id)
        if owner is not None:
            return owner != ieee
        existing = self.hub.registry.find(capability_id)
        return existing is not None and not self._ours(existing)

    def _ours(self, capability: Capability) -> bool:
        return (capability.source == "zigbee2mqtt"
                and capability.attributes.get("base_topic") == self.config.base_topic)

    def _remove(self, ieee: str) -> dict[str, Any]:
        device = self.devices.pop(ieee, None)
        if device is None:
            return {}
        for cap_id in device.ids:
            self._owners.pop(cap_id, None)
        return device.detach()

    def _withdraw_stale(self) -> None:
        """Capabilities this integration registered in an earlier run (the registry
        restores them from the store) whose device is no longer listed."""
        registry = self.hub.registry
        for capability in registry.all():
            if capability.id not in self._owners and self._ours(capability):
                registry.remove(capability.id)

    # -- bridge/event --------------------------------------------------------------------------

    def _on_event(self, message: Message) -> None:
        try:
            event = parse_object(message)
            kind, data = event.get("type"), event.get("data")
            if not isinstance(kind, str) or not isinstance(data, dict):
                raise PayloadError(f"{message.topic}: expected {{\"type\": ..., \"data\": "
                                   f"{{...}}}}, got keys {sorted(event)}")
            if kind == "device_interview":
                self._on_interview(message, data)
            elif kind in ("device_joined", "device_leave"):
                ieee, name = data.get("ieee_address"), data.get("friendly_name")
                if not isinstance(ieee, str):
                    raise PayloadError(f"{message.topic}: {kind}: missing 'ieee_address'")
                if kind == "device_leave":
                    self._remove(ieee)
                _LOGGER.info("zigbee2mqtt %s device=%s ieee=%s",
                             "device left" if kind == "device_leave" else "device joined",
                             name, ieee)
        except PayloadError as exc:
            self.hub.bad_input.report(message.topic, str(exc))

    def _on_interview(self, message: Message, data: dict[str, Any]) -> None:
        status = data.get("status")
        if status == "failed":
            _LOGGER.warning("zigbee2mqtt interview failed device=%s; pair it again",
                            data.get("friendly_name"))
        if status != "successful":
            return
        # The event carries the definition: the device works now, before the list follows.
        info = parse_device({**data, "type": "EndDevice"}, f"{message.topic} device_interview")
        if info is None or info.ieee_address in self.devices:
            return
        if len(self.devices) >= self.config.max_devices:
            self.refused_devices += 1
            raise PayloadError(f"{message.topic}: device {info.friendly_name} not started: "
                               f"{len(self.devices)} devices run, the limit (max_devices)")
        self._start(info, message.topic)

    # -- bridge/state --------------------------------------------------------------------------

    def _on_bridge_state(self, message: Message) -> None:
        text = message.payload.strip()
        if not text:
            return
        if text in (b"online", b"offline"):
            online = text == b"online"
        else:
            try:
                state = parse_object(message).get("state")
            except PayloadError as exc:
                self.hub.bad_input.report(message.topic, str(exc))
                return
            if state not in ("online", "offline"):
                self.hub.bad_input.report(message.topic, f"{message.topic}: state: expected "
                                          f"\"online\" or \"offline\", got {state!r}")
                return
            online = state == "online"
        if online == self.online:
            return
        self.online = online
        _LOGGER.info("zigbee2mqtt bridge %s topic=%s", "online" if online else "offline",
                     message.topic)
        for device in self.devices.values():
            device.set_bridge_online(online)
