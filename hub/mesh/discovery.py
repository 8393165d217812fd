"""LAN discovery: a hub advertises ``_atmosphere._tcp.local.`` and finds peers and brokers.

With ``mesh: discovery: enabled: true`` the hub registers itself over multicast DNS
(zeroconf): the instance ``<name>-<node id prefix>._atmosphere._tcp.local.`` on its HTTP
port, with TXT ``node`` (its id), ``mesh`` (the mesh id, when it has joined one), ``v``
(the protocol, 1) and ``broker`` (the broker it uses, ``mqtt://host:port``). It browses the
same type for peers and ``_mqtt._tcp.local.`` for brokers; `peers()` and `brokers()` are
what it currently sees (a service that says goodbye, or whose record expires, is gone).

Discovery finds; it does not trust. A peer found here is still verified by its node token
on every envelope (docs/mesh.md), so a forged advertisement can waste a look-up, not gain
access. It is off by default: advertising tells everyone on the LAN that a hub is here.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType, TracebackType
from typing import Any, Self

import ifaddr  # zeroconf's own dependency
from zeroconf import IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from hub.errors import MeshError

_LOGGER = logging.getLogger(__name__)

HUB_TYPE = "_atmosphere._tcp.local."
BROKER_TYPE = "_mqtt._tcp.local."
_RESOLVE_MS = 3000
_MAX_FOUND = 1024
"""At most this many services of each type are kept (a noisy LAN cannot grow memory)."""


@dataclass(frozen=True, slots=True)
class Found:
    """A service seen on the LAN: a hub (`node` set) or a broker."""

    name: str
    """The mDNS instance name, e.g. ``kitchen-6zd22zlw._atmosphere._tcp.local.``."""
    host: str
    """Its first IPv4 address."""
    port: int
    node: str = ""
    """A hub's node id (TXT ``node``); empty for a broker."""
    properties: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


class Discovery:
    """``async with Discovery(node_id, name, port) as discovery``: advertised and browsing
    inside the block. `interfaces`: the addresses to use (``["127.0.0.1"]`` in tests);
    empty for every interface."""

    def __init__(
        self,
        node_id: str,
        name: str,
        port: int,
        *,
        properties: Mapping[str, str] | None = None,
        interfaces: Sequence[str] = (),
        advertise: bool = True,
    ) -> None:
        self.node_id = node_id
        self.port = port
        self._interfaces = tuple(interfaces)
        self._advertise = advertise
        label = "".join(c if c.isalnum() or c == "-" else "-" for c in name)[:40] or "hub"
        self.instance = f"{label}-{node_id[:8]}.{HUB_TYPE}"
        self._properties = {"node": node_id, "v": "1", **(properties or {})}
        self._zc: AsyncZeroconf | None = None
        self._info: AsyncServiceInfo | None = None
        self._browsers: list[AsyncServiceBrowser] = []
        self._found: dict[str, dict[str, Found]] = {HUB_TYPE: {}, BROKER_TYPE: {}}
        self._pending: set[asyncio.Task[None]] = set()
        self.changed = asyncio.Event()
        """Set whenever a service is found or lost (clear it to wait for the next)."""

    def peers(self) -> tuple[Found, ...]:
        """Other hubs seen on the LAN, by name."""
        return tuple(sorted(self._found[HUB_TYPE].values(), key=lambda f: f.name))

    def brokers(self) -> tuple[Found, ...]:
        """MQTT brokers seen on the LAN, by name."""
        return tuple(sorted(self._found[BROKER_TYPE].values(), key=lambda f: f.name))

    async def __aenter__(self) -> Self:
        interfaces: Any = list(self._interfaces) if self._interfaces else None
        try:
            if interfaces is None:
                self._zc = AsyncZeroconf(ip_version=IPVersion.V4Only)
            else:
                self._zc = AsyncZeroconf(interfaces=interfaces, ip_version=IPVersion.V4Only)
        except OSError as exc:
            raise MeshError(
                f"LAN discovery could not open multicast DNS on "
                f"{', '.join(self._interfaces) or 'every interface'}: {exc}; set "
                "mesh: discovery: interfaces: to an address of this machine, or turn "
                "discovery off"
            ) from exc
        try:
            if self._advertise:
                self._info = AsyncServiceInfo(
                    HUB_TYPE,
                    self.instance,
                    port=self.port,
                    properties=self._properties,
                    addresses=[socket.inet_aton(a) for a in self._addresses()],
                )
                # the call returns the announcing task: registered once it is done
                await (await self._zc.async_register_service(self._info))
            for kind in (HUB_TYPE, BROKER_TYPE):
                self._browsers.append(
                    AsyncServiceBrowser(self._zc.zeroconf, kind, handlers=[self._on_change])
                )
        except BaseException:
            await self._close()
            raise
        _LOGGER.info(
            "LAN discovery on instance=%s port=%d interfaces=%s",
            self.instance, self.port, ",".join(self._interfaces) or "all",
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._close()

    async def _close(self) -> None:
        for task in self._pending:
            task.cancel()
        for browser in self._browsers:
            await browser.async_cancel()
        self._browsers.clear()
        if self._zc is not None:
            zc, self._zc = self._zc, None
            if self._info is not None:
                # the goodbye goes out when the returned task is done: before closing
                await (await zc.async_unregister_service(self._info))
                self._info = None
            await zc.async_close()

    def _addresses(self) -> list[str]:
        if self._interfaces:
            return list(self._interfaces)
        found = [
            ip.ip
            for adapter in ifaddr.get_adapters()
            for ip in adapter.ips
            if isinstance(ip.ip, str) and not ip.ip.startswith("127.")
        ]
        return found or ["127.0.0.1"]

    def _on_change(
        self,
        zeroconf: Zeroconf,
        service_type: str,
        name: str,
        state_change: ServiceStateChange,
    ) -> None:
        if name == self.instance:
            return
        if state_change is ServiceStateChange.Removed:
            if self._found[service_type].pop(name, None) is not None:
                _LOGGER.info("LAN service gone type=%s name=%s", service_type, name)
                self.changed.set()
            return
        task = asyncio.get_running_loop().create_task(self._resolve(service_type, name))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _resolve(self, service_type: str, name: str) -> None:
        zc = self._zc
        if zc is None:
            return
        info = AsyncServiceInfo(service_type, name)
        if not await info.async_request(zc.zeroconf, _RESOLVE_MS):
            _LOGGER.debug("LAN service did not resolve type=%s name=%s", service_type, name)
            return
        addresses = info.parsed_addresses(IPVersion.V4Only)
        if not addresses or info.port is None:
            return
        properties = {
            key.decode(errors="replace"): (value or b"").decode(errors="replace")
            for key, value in info.properties.items()
        }
        node = properties.get("node", "") if service_type == HUB_TYPE else ""
        if service_type == HUB_TYPE and (not node or node == self.node_id):
            return  # not a hub's advertisement, or ours under another name
        found = self._found[service_type]
        if name not in found and len(found) >= _MAX_FOUND:
            return
        found[name] = Found(name, addresses[0], info.port, node, MappingProxyType(properties))
        _LOGGER.info(
            "LAN service found type=%s name=%s host=%s port=%d node=%s",
            service_type, name, addresses[0], info.port, node or "-",
        )
        self.changed.set()
