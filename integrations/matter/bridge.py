"""The Matter server's nodes as hub capabilities, and their state on MQTT.

After every (re)connect the server sends all nodes; the bridge applies them as a diff: a
node whose dump did not change is left untouched, changed nodes are re-mapped (their
capabilities replaced only when the mapping changed), nodes gone are withdrawn. Mapping runs
in chunks, giving the loop its turn between them. ``attribute_updated`` changes the state of
the capabilities that read that cluster and republishes the endpoint's retained state.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from functools import partial
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, Self

from hub.arguments import check_arguments
from hub.domains import standard_tool
from hub.errors import AtmosphereError, FabricError, PayloadError, RegistryError, ToolError
from hub.fabric import Message
from hub.inputs import load_json
from hub.model import Capability, Tool, ToolResult
from integrations.matter import commands, mapping
from integrations.matter.client import MatterClient, MatterError, ServerInfo
from integrations.matter.config import MatterConfig
from integrations.matter.mapping import Entity

if TYPE_CHECKING:
    from hub.runtime import Hub

_LOGGER = logging.getLogger(__name__)

CHUNK = 4
"""Nodes mapped between two turns of the loop."""
SERVER_ID = "sensor.matter_server"
SET_LIMIT = 64 * 1024
SERVER_TOOLS = (
    standard_tool("sensor", "get_state") or Tool("get_state"),
    Tool("commission", "Commission a Matter device with its setup code (QR code text "
         "MT:... or the 11/21-digit manual pairing code).", MappingProxyType({
             "type": "object", "additionalProperties": False, "required": ["code"],
             "properties": {"code": {"type": "string", "description": "The setup code."},
                            "network_only": {"type": "boolean", "description":
                                             "Already on the IP network (no Bluetooth)."}}}),
         timeout=300.0),
)


class Bridge:
    def __init__(self, hub: Hub, config: MatterConfig) -> None:
        self.hub = hub
        self.config = config
        self.nodes: dict[int, dict[str, Any]] = {}
        self.entities: dict[int, list[Entity]] = {}
        self.available: dict[int, bool] = {}
        self.info: ServerInfo | None = None
        self.resyncs = 0
        self.nodes_unchanged = 0
        self.client = MatterClient(
            config.url, on_connected=self._on_connected, on_event=self._on_event,
            on_disconnected=self._on_disconnected, max_message_bytes=config.max_message_bytes,
            command_timeout=config.command_timeout)
        self._cancels: list[Callable[[], None]] = []
        self._setting: set[asyncio.Task[None]] = set()
        self.synced = asyncio.Event()

    @property
    def base(self) -> str:
        return self.config.base_topic

    async def __aenter__(self) -> Self:
        self._server_state()
        if self.config.commands:
            self._cancels.append(self.hub.fabric.subscribe(f"{self.base}/+/+/set", self._on_set))
            await self.hub.fabric.wait_subscribed()
        await self.client.__aenter__()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        for cancel in self._cancels:
            cancel()
        self._cancels = []
        for task in tuple(self._setting):
            task.cancel()
        if self._setting:
            await asyncio.wait(tuple(self._setting))
        await self.client.__aexit__(exc_type, exc, tb)
        for node_id in list(self.entities):
            self._withdraw(node_id)
        self.hub.registry.remove(SERVER_ID)

    # -- the server ------------------------------------------------------------------------------

    def _server_state(self) -> None:
        info, client = self.info, self.client
        connected = client.connected.is_set()
        attributes: dict[str, Any] = {"url": self.config.url, "base_topic": self.base,
                                      "commands": self.config.commands}
        state: dict[str, Any] = {
            "state": "connected" if connected else "disconnected",
            "problem": client.refused or client.problem, "nodes": len(self.nodes),
            "schema_version": info.schema_version if info else None,
            "min_supported_schema_version": info.min_supported_schema_version if info else None,
            "sdk_version": info.sdk_version if info else None,
            "fabric_id": info.fabric_id if info else None,
            "compressed_fabric_id": info.compressed_fabric_id if info else None,
        }
        registry = self.hub.registry
        if SERVER_ID not in registry:
            registry.add(Capability(
                id=SERVER_ID, type="sensor", name="Matter server", source="matter",
                description="The Matter server the hub's Matter bridge talks to",
                attributes=attributes, state=state, tools=SERVER_TOOLS), self._server_handler)
        else:
            registry.set_state(SERVER_ID, state)

    async def _server_handler(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        if tool == "commission":
            result = await self.commission(str(arguments["code"]),
                                           bool(arguments.get("network_only", True)))
            return ToolResult(value={"commissioned": result})
        current = self.hub.registry.get(SERVER_ID)
        return ToolResult(value={"state": dict(current.state), "available": current.available})

    async def commission(self, code: str, network_only: bool = True) -> Any:
        """The server's ``commission_with_code``: the new node's dump, once it joined."""
        try:
            return await self.client.command("commission_with_code", {
                "code": code, "network_only": network_only}, timeout=300)
        except MatterError as exc:
            raise ToolError(f"commission_with_code: {exc}") from None

    async def _on_connected(self, info: ServerInfo, nodes: list[Any]) -> None:
        self.info = info
        _LOGGER.info("matter server connected url=%s schema=%d sdk=%s nodes=%d",
                     self.config.url, info.schema_version, info.sdk_version, len(nodes))
        listed: dict[int, dict[str, Any]] = {}
        for node in nodes:
            node_id = self._node_id(node, "start_listening")
            if node_id is not None:
                listed[node_id] = node
        for node_id in [n for n in self.entities if n not in listed]:
            self._withdraw(node_id)
            self.nodes.pop(node_id, None)
        for i, (node_id, node) in enumerate(listed.items()):
            self._put(node_id, node)
            if i % CHUNK == CHUNK - 1:
                await asyncio.sleep(0)
        self.resyncs += 1
        self._withdraw_stale()
        self._server_state()
        self.synced.set()

    def _on_disconnected(self, reason: str) -> None:
        _LOGGER.warning("matter server disconnected url=%s reason=%s", self.config.url, reason)
        self.synced.clear()
        for node_id in self.entities:
            self._set_available(node_id, False)
        self._server_state()

    def _node_id(self, node: Any, where: str) -> int | None:
        node_id = node.get("node_id") if isinstance(node, dict) else None
        if not isinstance(node_id, int) or isinstance(node_id, bool) or node_id < 0:
            self.hub.bad_input.report(f"matter/{where}", f"{self.config.url}: {where}: a node "
                                      f"without an integer node_id: {str(node)[:80]}")
            return None
        if not isinstance(node.get("attributes"), dict):
            node["attributes"] = {}
        return node_id

    # -- nodes -----------------------------------------------------------------------------------

    def _put(self, node_id: int, node: dict[str, Any]) -> None:
        old = self.nodes.get(node_id)
        if old is not None and old == node and node_id in self.entities:
            self.nodes_unchanged += 1
            self._set_available(node_id, node.get("available", True) is not False)
            return
        self.nodes[node_id] = node
        try:
            entities = mapping.map_node(node)
        except (KeyError, TypeError, ValueError) as exc:
            self.hub.bad_input.report(f"matter/node/{node_id}",
                                      f"matter node {node_id}: not mapped: {exc!r}")
            return
        previous = {e.id: e for e in self.entities.get(node_id, [])}
        for gone in previous.keys() - {e.id for e in entities}:
            self.hub.registry.remove(gone)
        available = node.get("available", True) is not False
        self.available[node_id] = available
        attrs = node["attributes"]
        registry = self.hub.registry
        for entity in entities:
            state = entity.state(attrs)
            live = available and mapping.reachable(attrs, self._endpoint(entity))
            same = previous.get(entity.id)
            if same is not None and _definition(same) == _definition(entity) and \
                    entity.id in registry:
                registry.set_state(entity.id, state, replace=True)
                registry.set_available(entity.id, live)
            else:
                registry.add(Capability(
                    id=entity.id, type=entity.domain, name=entity.name, source="matter",
                    description=f"Matter node {node_id} endpoint {entity.endpoint}",
                    tools=entity.tools, triggers=entity.triggers,
                    attributes={**entity.attributes, "base_topic": self.base},
                    state=state, available=live), partial(self._handle, entity))
        self.entities[node_id] = entities
        for endpoint in {e.endpoint for e in entities}:
            self._publish(node_id, endpoint)
        self._publish_availability(node_id)

    def _endpoint(self, entity: Entity) -> mapping.Endpoint:
        return mapping.Endpoint(entity.node_id, entity.endpoint, frozenset(), frozenset(),
                                True)

    def _withdraw(self, node_id: int) -> None:
        for entity in self.entities.pop(node_id, []):
            self.hub.registry.remove(entity.id)
        self.available.pop(node_id, None)

    def _withdraw_stale(self) -> None:
        ours = {e.id for entities in self.entities.values() for e in entities}
        for capability in self.hub.registry.all():
            if capability.source == "matter" and capability.id != SERVER_ID and \
                    capability.attributes.get("base_topic") == self.base and \
                    capability.id not in ours:
                self.hub.registry.remove(capability.id)

    def _set_available(self, node_id: int, available: bool) -> None:
        self.available[node_id] = available
        attrs = self.nodes.get(node_id, {}).get("attributes", {})
        for entity in self.entities.get(node_id, []):
            live = available and mapping.reachable(attrs, self._endpoint(entity))
            if entity.id in self.hub.registry:
                self.hub.registry.set_available(entity.id, live)
        self._publish_availability(node_id)

    # -- events ----------------------------------------------------------------------------------

    def _on_event(self, event: str, data: Any) -> None:
        if event == "attribute_updated":
            self._on_attribute(data)
        elif event in ("node_added", "node_updated"):
            node_id = self._node_id(data, event)
            if node_id is not None:
                self._put(node_id, data)
                self._server_state()
        elif event == "node_removed":
            if isinstance(data, int) and not isinstance(data, bool):
                self._withdraw(data)
                self.nodes.pop(data, None)
                self._publish_gone(data)
                self._server_state()
        elif event == "node_event":
            self._on_node_event(data)
        elif event == "server_info_updated" and isinstance(data, dict):
            self.info = ServerInfo.parse(data, self.config.url)
            self._server_state()
        else:
            _LOGGER.debug("matter event ignored event=%s", event)

    def _on_attribute(self, data: Any) -> None:
        if not (isinstance(data, list) and len(data) == 3 and isinstance(data[0], int)
                and isinstance(data[1], str)):
            self.hub.bad_input.report("matter/attribute_updated", (
                f"{self.config.url}: attribute_updated: expected [node_id, "
                f"\"endpoint/cluster/attribute\", value], got {str(data)[:80]}"))
            return
        node_id, path, value = data
        node = self.nodes.get(node_id)
        parts = path.split("/")
        if node is None or len(parts) != 3 or not all(p.isdigit() for p in parts):
            return
        node["attributes"][path] = value
        endpoint, cluster = int(parts[0]), int(parts[1])
        attrs = node["attributes"]
        changed = False
        registry = self.hub.registry
        for entity in self.entities.get(node_id, []):
            if entity.endpoint != endpoint:
                continue
            if cluster == mapping.BRIDGED_BASIC and parts[2] == "17":
                registry.set_available(entity.id, self.available.get(node_id, True)
                                       and value is not False)
            if cluster in entity.watch:
                try:
                    changed |= registry.set_state(entity.id, entity.state(attrs), replace=True)
                except (RegistryError, PayloadError) as exc:
                    self.hub.bad_input.report(f"matter/node/{node_id}", str(exc))
        if changed:
            self._publish(node_id, endpoint)

    def _on_node_event(self, data: Any) -> None:
        if not isinstance(data, dict):
            return
        node_id, endpoint, cluster = (data.get("node_id"), data.get("endpoint_id"),
                                      data.get("cluster_id"))
        event_id, payload = data.get("event_id"), data.get("data") or {}
        if not isinstance(payload, dict):
            payload = {}
        for entity in self.entities.get(node_id, []) if isinstance(node_id, int) else []:
            if entity.endpoint != endpoint:
                continue
            name = None
            out: dict[str, Any] = {}
            if cluster == mapping.SWITCH and entity.key == "button":
                name = mapping.SWITCH_EVENTS.get(event_id)  # type: ignore[arg-type]
                count = payload.get("totalNumberOfPressesCounted",
                                    payload.get("currentNumberOfPressesCounted"))
                if count is not None:
                    out["count"] = count
                if "newPosition" in payload:
                    out["position"] = payload["newPosition"]
            elif cluster == mapping.DOOR_LOCK and entity.key == "lock":
                if event_id == 0 and payload.get("alarmCode") == 0:
                    name = "jammed"
                elif event_id == 1:
                    name = {0: "door_open", 2: "jammed"}.get(payload.get("doorState"))  # type: ignore[arg-type]
            if name is None:
                continue
            trigger = next((t for t in entity.triggers if t.name == name), None)
            if trigger is not None:
                fields = {"name": entity.name, "area": "",
                          "count": str(out.get("count", ""))}
                self.hub.firing.fire(entity.id, trigger, out, **fields)

    # -- MQTT ------------------------------------------------------------------------------------

    def _publish(self, node_id: int, endpoint: int) -> None:
        registry = self.hub.registry
        state: dict[str, Any] = {}
        for entity in self.entities.get(node_id, []):
            if entity.endpoint == endpoint and entity.id in registry:
                state[entity.key] = dict(registry.get(entity.id).state)
        try:
            self.hub.fabric.publish(f"{self.base}/{node_id}/{endpoint}",
                                    json.dumps(state, separators=(",", ":")), retain=True)
        except FabricError as exc:
            _LOGGER.debug("matter state not published node=%s: %s", node_id, exc)

    def _publish_availability(self, node_id: int) -> None:
        online = self.available.get(node_id, False)
        try:
            self.hub.fabric.publish(f"{self.base}/{node_id}/availability",
                                    "online" if online else "offline", retain=True)
        except FabricError as exc:
            _LOGGER.debug("matter availability not published node=%s: %s", node_id, exc)

    def _publish_gone(self, node_id: int) -> None:
        try:
            self.hub.fabric.publish(f"{self.base}/{node_id}/availability", "offline",
                                    retain=True)
        except FabricError:
            pass

    def _on_set(self, message: Message) -> None:
        topic = message.topic
        parts = topic[len(self.base) + 1:].split("/")
        entity = None
        try:
            node_id, endpoint = int(parts[0]), int(parts[1])
            request = load_json(message.payload, topic, max_bytes=SET_LIMIT)
            if not isinstance(request, dict) or not isinstance(request.get("tool"), str):
                raise PayloadError(f"{topic}: expected {{\"tool\": ..., \"arguments\": "
                                   f"{{...}}}}, got {str(request)[:80]}")
            tool, arguments = request["tool"], request.get("arguments", {})
            for candidate in self.entities.get(node_id, []):
                if candidate.endpoint == endpoint and any(t.name == tool for t in
                                                          candidate.tools):
                    entity = candidate
                    break
            if entity is None:
                raise PayloadError(f"{topic}: no capability of node {node_id} endpoint "
                                   f"{endpoint} has a tool {tool!r}")
            spec = next(t for t in entity.tools if t.name == tool)
            check_arguments(spec.parameters, arguments, f"{topic}: {tool}")
        except ValueError:
            self.hub.bad_input.report(topic, f"{topic}: node and endpoint must be numbers")
            return
        except PayloadError as exc:
            self.hub.bad_input.report(topic, str(exc))
            return
        task = asyncio.create_task(self._set(entity, tool, arguments, topic),
                                   name="matter.set")
        self._setting.add(task)  # held until done: the loop keeps only weak references
        task.add_done_callback(self._setting.discard)

    async def _set(self, entity: Entity, tool: str, arguments: Mapping[str, Any],
                   topic: str) -> None:
        try:
            await self._handle(entity, tool, arguments)
        except AtmosphereError as exc:  # refused, timed out, or the server went away
            self.hub.bad_input.report(topic, f"{topic}: {exc}")

    # -- tools -----------------------------------------------------------------------------------

    async def _handle(self, entity: Entity, tool: str,
                      arguments: Mapping[str, Any]) -> ToolResult:
        registry = self.hub.registry
        if tool == "get_state":
            current = registry.get(entity.id)
            return ToolResult(value={"state": dict(current.state),
                                     "available": current.available})
        if not any(t.name == tool for t in entity.tools):
            raise ToolError(f"{entity.id}: tool {tool!r} is not supported by this device")
        state = registry.get(entity.id).state
        sent = []
        for action in commands.actions(entity, tool, arguments, state):
            try:
                if action.write:
                    await self.client.command("write_attribute", {
                        "node_id": entity.node_id,
                        "attribute_path": f"{entity.endpoint}/{action.cluster}/"
                                          f"{action.attribute}",
                        "value": action.value})
                    sent.append(f"write {action.cluster}/{action.attribute}={action.value}")
                else:
                    await self.client.command("device_command", {
                        "node_id": entity.node_id, "endpoint_id": entity.endpoint,
                        "cluster_id": action.cluster, "command_name": action.name,
                        "payload": dict(action.payload or {})})
                    sent.append(action.name)
            except MatterError as exc:
                raise ToolError(f"{entity.id}/{tool}: {exc}") from None
        return ToolResult(value={"accepted": sent, "state": dict(registry.get(entity.id).state)})


def _definition(entity: Entity) -> tuple[Any, ...]:
    return (entity.domain, entity.name, entity.tools, entity.triggers,
            dict(entity.attributes))
