"""The Hub: one object that owns the lifecycle of every part of a running node."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import json
import logging
import time
from collections.abc import Mapping
from contextlib import AsyncExitStack
from dataclasses import replace
from types import ModuleType
from typing import TYPE_CHECKING, Any, Self

from hub import plugins
from hub.agents import AgentConfig, Agents, read_agents
from hub.arguments import check_arguments
from hub.automations import Automations
from hub.clock import Clock, SystemClock
from hub.config import HubConfig
from hub.devices import BadInputLog, TriggerFiring
from hub.dispatch import Dispatcher
from hub.errors import AtmosphereError, RegistryError, ToolError
from hub.events import EventBus
from hub.fabric import (
    EmbeddedBroker,
    Fabric,
    FabricSettings,
    ListenerTls,
    ReplayGuard,
    ReplayJournal,
    RpcClient,
    RpcServer,
    TlsSettings,
    broker_answers,
    stop_orphan,
)
from hub.identity import Identity, load_or_create_api_token, load_or_create_identity
from hub.leftovers import Leftovers
from hub.located import Problems
from hub.lock import DataDirLock
from hub.mesh.bridges import bridges_config
from hub.mesh.config import GossipConfig
from hub.mesh.gossip import Gossip
from hub.mesh.trust import MeshTrust
from hub.model import Capability, NodeId, ToolHandler, ToolResult, WorkUnit
from hub.registry import NO_PROVIDER, Registry
from hub.store import Store

if TYPE_CHECKING:
    from hub.mesh.discovery import Discovery
    from hub.routing.language import Resolution
    from hub.routing.router import Decision
    from hub.routing.service import Routing

_LOGGER = logging.getLogger(__name__)

TOPIC_ROOT = "atmosphere/v1"
REPLAY_SKEW = 60.0
"""Seconds an envelope's time may be off ours; its id is remembered that long after it."""


def status_topic(node_id: str) -> str:
    return f"{TOPIC_ROOT}/nodes/{node_id}/status"


class Hub:
    """A running node. Use as ``async with Hub(config) as hub:``; not reentrant.

    Enter starts, in order: data directory and identity, store, broker connection (or the
    embedded broker), RPC, registry (restored from the store), capabilities from the
    configuration, integrations. Exit stops them in reverse order.
    """

    def __init__(
        self, config: HubConfig, *, clock: Clock | None = None, gossip: GossipConfig | None = None
    ) -> None:
        self.config = config
        self.gossip_config = gossip or GossipConfig.lan()
        self.clock: Clock = clock or SystemClock()
        self.bus = EventBus()
        self.bad_input = BadInputLog(self.bus, self.clock)
        self.firing = TriggerFiring(self.bus, self.clock)
        self.started_at = 0.0
        self.broker_url = ""
        self.embedded_broker = False
        self.discovery: Discovery | None = None
        """LAN discovery (`mesh: discovery:`); None while off."""
        self._stack: AsyncExitStack | None = None
        # Set on enter; typed here so that users of a running hub see real types.
        self.identity: Identity
        self.api_token: str
        self.store: Store
        self.fabric: Fabric
        self.rpc_fabric: Fabric
        self.registry: Registry
        self.leftovers: Leftovers
        self.automations: Automations
        self.trust: MeshTrust
        self.agents: Agents
        self._rpc: RpcClient
        self._rpc_server: RpcServer
        self.gossip: Gossip
        self._routing: Routing | None = None

    @property
    def connected(self) -> bool:
        """Both connections to the broker are up: the devices' and the tool calls'."""
        return self.fabric.connected and self.rpc_fabric.connected

    @property
    def node_id(self) -> NodeId:
        return self.identity.node_id

    async def __aenter__(self) -> Self:
        if self._stack is not None:
            raise RuntimeError("Hub is already running; it is not reentrant")
        started = time.monotonic()
        stack = AsyncExitStack()
        self._stack = stack
        try:
            await self._start(stack)
        except BaseException:
            self._stack = None
            self._stopping()
            await stack.aclose()
            raise
        self.started_at = time.time()
        _LOGGER.info(
            "hub started node=%s name=%s broker=%s in %.0f ms",
            self.node_id,
            self.config.name,
            self.broker_url,
            (time.monotonic() - started) * 1000,
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            self._stopping()
            await stack.aclose()
            _LOGGER.info("hub stopped node=%s", self.node_id)

    def _stopping(self) -> None:
        # Before the integrations exit and withdraw their capabilities: a stop keeps the
        # stored definitions and last states (marked unavailable), as a crash would.
        registry: Registry | None = getattr(self, "registry", None)
        if registry is not None:
            registry.stopping()

    async def _start(self, stack: AsyncExitStack) -> None:
        # Everything that can be checked is checked before the first side effect: a
        # broken configuration must not create the data directory or reach the broker.
        integrations = self._integrations()
        agents = self._agents()
        data_dir = self.config.data_dir
        # One hub per data directory, before its key, database or broker are touched: a
        # second hub would connect with the first one's client id and knock it off.
        await stack.enter_async_context(DataDirLock(data_dir))
        self.identity = await asyncio.to_thread(load_or_create_identity, data_dir)
        self.api_token = await asyncio.to_thread(load_or_create_api_token, data_dir)
        self.store = await stack.enter_async_context(Store(data_dir / "hub.db"))
        settings = await self._broker(stack)
        node = self.node_id
        status = status_topic(node)
        self.fabric = await stack.enter_async_context(
            Fabric(
                settings,
                will=(status, self._status_payload("offline")),
                birth=(status, self._status_payload("online")),
                goodbye=(status, self._status_payload("left")),
                clock=self.clock,
            )
        )
        # Tool calls get a connection of their own: a device flood queued for the first one
        # (in the broker and in TCP) must not hold a call or its reply behind it.
        self.rpc_fabric = await stack.enter_async_context(
            Fabric(replace(settings, client_id=f"{settings.client_id}-rpc"), clock=self.clock)
        )
        self.registry = await stack.enter_async_context(
            Registry(self.bus, node_id=node, store=self.store, clock=self.clock)
        )
        # Before anything registers: what the registry holds now is what it restored.
        self.leftovers = await stack.enter_async_context(
            Leftovers(
                self.registry, self.bus, self.clock, node=node, store=self.store,
                configured=self.config.capabilities,
                stale_after=self.config.registry.stale_after,
            )
        )
        # The mesh root, this hub's node token, the peers' keyring and the revocations:
        # before the RPC endpoints, which consult them on every envelope.
        self.trust = await stack.enter_async_context(
            MeshTrust(
                self.config.mesh, data_dir, self.identity, self.store, self.clock,
                type_of=self._type_of,
            )
        )
        trust = self.trust.guard
        signing_key = self.identity.signing_key
        # What requests this node accepted, on disk: a captured one replayed after a
        # restart (clean or not) is refused as it would have been before.
        journal = await stack.enter_async_context(
            ReplayJournal(data_dir / "replay", max_skew=REPLAY_SKEW, clock=self.clock)
        )
        replay = ReplayGuard(max_skew=REPLAY_SKEW, journal=journal)
        replay.restore(journal.restored, now=journal.opened)
        self._rpc_server = await stack.enter_async_context(
            RpcServer(
                self.rpc_fabric,
                node,
                signing_key,
                self.trust.public_key,
                self._resolve,
                clock=self.clock,
                replay=replay,
                trust=trust,
            )
        )
        self._rpc = await stack.enter_async_context(
            RpcClient(
                self.rpc_fabric, node, signing_key, self.trust.public_key, clock=self.clock,
                trust=trust,
            )
        )
        # Membership (docs/mesh.md): found through the gossip topic, "left" on a clean stop
        self.gossip = await stack.enter_async_context(
            Gossip(self.fabric, signing_key, clock=self.clock, bus=self.bus,
                   config=self.gossip_config, meta=self.config.name)
        )
        # Executes routing decisions over the RPC client: failover, budgets, keys.
        self.dispatcher = Dispatcher(self._rpc.call, node=node, clock=self.clock)
        if self.config.mesh.discovery.enabled:  # off by default: docs/mesh.md, "Discovery"
            from hub.mesh.discovery import Discovery

            properties = {"broker": self.broker_url}
            if self.trust.mesh_id:
                properties["mesh"] = self.trust.mesh_id
            self.discovery = await stack.enter_async_context(
                Discovery(node, self.config.name, self.config.http.port, properties=properties,
                          interfaces=self.config.mesh.discovery.interfaces)
            )
        for capability in self.config.capabilities:
            self.registry.add(self._declared(capability))
        for name, module, integration_config in integrations:
            await stack.enter_async_context(module.setup(self, integration_config))
            _LOGGER.info("integration started integration=%s", name)
        # Automations last: their triggers see every capability the integrations made.
        self.automations = Automations(
            self, self.config.automation, config_dir=self.config.config_dir
        )
        await stack.enter_async_context(self.automations)
        self.agents = await stack.enter_async_context(Agents(self, agents))
        # Started means listening: every subscription made so far is acknowledged.
        await self.fabric.wait_subscribed()
        await self.rpc_fabric.wait_subscribed()

    def _agents(self) -> tuple[AgentConfig, ...]:
        """The `agents:` section checked; ConfigError (file:line) for a broken agent."""
        problems = Problems()
        configs = read_agents(self.config.agents, problems)
        problems.raise_if_any()
        return configs

    def _integrations(self) -> list[tuple[str, ModuleType, Any]]:
        """Each configured integration's module and checked configuration; ConfigError
        (file:line) for an unknown name or a bad section."""
        found = []
        for name, raw in self.config.integrations.items():
            module = plugins.load("atmosphere.integrations", name, raw.key_where)
            found.append((name, module, module.validate(raw)))
        return found

    async def _broker(self, stack: AsyncExitStack) -> FabricSettings:
        """Use the configured broker; in auto mode, one on localhost or an embedded one."""
        mqtt = self.config.mqtt
        host, port = mqtt.host, mqtt.port
        tls = None if mqtt.tls is None else TlsSettings(
            ca_certs=mqtt.tls.ca_certs, certfile=mqtt.tls.certfile,
            keyfile=mqtt.tls.keyfile, insecure=mqtt.tls.insecure)
        if host is None:
            # A broker our own previous run left behind would answer the probe below and
            # be adopted as somebody else's: stop it first (the data dir lock is ours).
            await stop_orphan(self.config.data_dir / "broker")
            probe = None if tls is None else replace(tls, insecure=True).context()
            if await broker_answers("localhost", port, tls=probe):
                host = "localhost"
            else:
                wanted = mqtt.embedded
                listener = None
                if wanted.tls is not None:
                    listener = ListenerTls(
                        certfile=wanted.tls.certfile, keyfile=wanted.tls.keyfile,
                        cafile=wanted.tls.cafile,
                        require_certificate=wanted.tls.require_certificate,
                        tls_version=wanted.tls.tls_version,
                        probe_certfile=tls.certfile if tls is not None else None,
                        probe_keyfile=tls.keyfile if tls is not None else None)
                    # The hub verifies its own broker: with `mqtt.tls` when given, else with
                    # the listener's CA (the system's CAs when it has none).
                    tls = tls or TlsSettings(ca_certs=wanted.tls.cafile)
                embedded = await stack.enter_async_context(
                    EmbeddedBroker(
                        self.config.data_dir / "broker", host=wanted.host, port=wanted.port,
                        extra=bridges_config(self.config.mesh.bridges, self.identity.node_id),
                        tls=listener,
                    )
                )
                if self.config.mesh.bridges:
                    _LOGGER.info("embedded broker bridges peers=%s",
                                 ",".join(b.peer for b in self.config.mesh.bridges))
                host, port = wanted.host, embedded.port
                self.embedded_broker = True
                _LOGGER.info(
                    "no broker answers on localhost:%d; started the embedded one on %s:%d "
                    "tls=%s",
                    mqtt.port,
                    host,
                    port,
                    listener is not None,
                )
        if self.config.mesh.bridges and not self.embedded_broker:
            _LOGGER.warning(
                "mesh.bridges are carried by the embedded broker only; this hub uses the "
                "broker at %s:%d: add `atmosphere mesh bridge-config` output to its "
                "configuration instead (docs/mesh.md, Bridges)", host, port,
            )
        self.broker_url = f"{'mqtt' if tls is None else 'mqtts'}://{host}:{port}"
        return FabricSettings(
            host=host,
            port=port,
            username=mqtt.username,
            password=mqtt.password,
            client_id=mqtt.client_id or f"atmosphere-{self.identity.node_id}",
            keepalive=mqtt.keepalive,
            protocol=mqtt.protocol,
            tls=tls,
        )

    def _declared(self, capability: Capability) -> Capability:
        """A capability declared under `capabilities:`. One of this node's is unavailable
        until something provides it (an MQTT entity or an integration registering the same
        id replaces it); another node's is as declared."""
        if capability.node and capability.node != self.node_id:
            return capability
        return replace(capability, available=False, reason=NO_PROVIDER)

    @staticmethod
    def _no_provider(capability: Capability) -> str:
        text = f"{capability.id} has no provider on this node"
        if capability.source == "config":
            return (f"{text}: it is declared under capabilities: but nothing drives it; "
                    "declare it under mqtt: with its state and command topics "
                    "(docs/integrations/mqtt.md), or configure an integration that provides it")
        return (f"{text}: its provider ({capability.source or 'unknown'}) has not registered "
                "it since the hub started")

    def _status_payload(self, state: str) -> bytes:
        return json.dumps(
            {"state": state, "node": self.identity.node_id, "name": self.config.name}
        ).encode()

    def _type_of(self, capability_id: str) -> str | None:
        capability = self.registry.find(capability_id)
        return capability.type if capability is not None else None

    def rpc_counters(self) -> dict[str, Any]:
        """The RPC server's and client's counters, refusals per reason (`hub.fabric.rpc`)."""
        def plain(counters: Any) -> dict[str, Any]:
            fields = {f.name: getattr(counters, f.name) for f in dataclasses.fields(counters)}
            return {k: dict(v) if isinstance(v, Mapping) else v for k, v in fields.items()}

        return {"server": plain(self._rpc_server.counters), "client": plain(self._rpc.counters)}

    def _resolve(self, capability_id: str) -> ToolHandler | None:
        capability = self.registry.find(capability_id)
        if capability is None:
            return None
        handler = self.registry.handler(capability_id)

        async def call(tool_name: str, arguments: Mapping[str, Any]) -> ToolResult:
            tool = capability.tool(tool_name)
            if tool is None:
                known = ", ".join(t.name for t in capability.tools) or "none"
                raise RegistryError(
                    f'{capability_id} has no tool "{tool_name}"; its tools: {known}'
                )
            check_arguments(tool.parameters, dict(arguments), f"{capability_id}/{tool_name}")
            if tool_name == "get_state" and handler is None:
                current = self.registry.get(capability_id)
                return ToolResult(
                    value={"state": dict(current.state), "available": current.available}
                )
            if handler is None:
                raise ToolError(self._no_provider(capability))
            return await handler(tool_name, arguments)

        return call

    def remove_capability(self, capability_id: str) -> Capability:
        """Remove a capability nobody provides any more (see hub/leftovers.py); raises
        `CapabilityInUse` for one the configuration or a running provider would add again."""
        return self.leftovers.remove(capability_id)

    async def call(
        self,
        capability_id: str,
        tool: str,
        arguments: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
        node: str | None = None,
    ) -> ToolResult:
        """Call a tool of a capability; always through the fabric, as a remote caller would.

        `node`: call it on that node (a mesh peer) without looking it up here; the peer
        checks this hub's node token and its scopes."""
        if node is not None and node != self.node_id:
            return await self._rpc.call(
                node, capability_id, tool, dict(arguments or {}),
                timeout=timeout if timeout is not None else 10.0,
            )
        capability = self.registry.get(capability_id)
        spec = capability.tool(tool)
        if spec is None:
            known = ", ".join(t.name for t in capability.tools) or "none"
            raise RegistryError(f'{capability_id} has no tool "{tool}"; its tools: {known}')
        target = capability.node or self.node_id
        return await self._rpc.call(
            target,
            capability_id,
            tool,
            dict(arguments or {}),
            timeout=timeout if timeout is not None else spec.timeout,
        )

    async def routing(self) -> Routing:
        """The routing service, built on first use: numpy, the index and the model stay out
        of start-up time and idle memory until something is routed."""
        if self._routing is None:
            if self._stack is None:
                raise AtmosphereError("the hub is not running: route inside `async with Hub(...)`")
            module = await asyncio.to_thread(importlib.import_module, "hub.routing.service")
            if self._stack is None:  # stopped while the import ran
                raise AtmosphereError("the hub stopped while routing was starting")
            if self._routing is None:  # another request may have built it meanwhile
                settings = self.config.routing
                routing: Routing = module.Routing(
                    self.registry.all,
                    self.registry.find,
                    node=self.node_id,
                    clock=self.clock,
                    model_path=settings.model,
                    tokenizer_path=settings.tokenizer,
                    threads=settings.threads,
                    models_dir=self.config.data_dir / "models" if settings.per_channel else None,
                )
                for capability in self.registry.all():
                    routing.index.add(capability)
                self._stack.callback(routing.attach(self.bus))
                self._routing = routing
                self.dispatcher.gradient = routing.gradient
        return self._routing

    async def resolve(self, text: str, context: Mapping[str, Any] | None = None) -> Resolution:
        """Language to tool against this hub's capabilities (the model runs off the loop)."""
        return await asyncio.to_thread((await self.routing()).resolve, text, context)

    async def route(self, work: WorkUnit) -> Decision:
        """Rank who can do `work`; raises NoCapableNode with the reasons when nobody can."""
        return await asyncio.to_thread((await self.routing()).route, work)


__all__ = ["TOPIC_ROOT", "Hub", "status_topic"]
