"""Gossip over the fabric: every packet a signed envelope on an `atmosphere/v1/mesh/` topic.

    atmosphere/v1/mesh/gossip          announcements, heard by every node (joins, leaves)
    atmosphere/v1/mesh/<node>/inbox    packets and push-pull exchanges for one node

An envelope's body is the sender's 32-byte Ed25519 public key followed by the packet.
The node id is the hash of that key (`hub.identity.node_id_for`), so the key is checked
against the claimed sender before the signature: nobody can speak for a node id without
its private key. Whether a node may *join* is the trusted peers' business (node tokens,
`lookup`): with a lookup, keys it does not know are refused. Kinds: ``gossip``
(packets), ``pp`` and ``pp-answer`` (a push-pull request and its answer, matched by the
correlation id). Bad input is counted and logged, rate-limited, never raised.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import Self

import nacl.signing

from hub.clock import Cancel, Clock
from hub.errors import FabricError, MeshError, PayloadError, TokenError
from hub.fabric import Envelope, Fabric, Message, ReplayGuard, seal, unseal
from hub.identity import node_id_for
from hub.logthrottle import LogThrottle
from hub.mesh.transport import ExchangeHandler, Received
from hub.model import NodeId

_LOGGER = logging.getLogger(__name__)

MESH_ROOT = "atmosphere/v1/mesh"
GOSSIP_TOPIC = f"{MESH_ROOT}/gossip"
KEY_SIZE = 32
_CONTENT = "application/x-atmosphere-gossip"


def inbox_topic(node: str) -> str:
    return f"{MESH_ROOT}/{node}/inbox"


class MqttTransport:
    def __init__(
        self,
        fabric: Fabric,
        signing_key: nacl.signing.SigningKey,
        *,
        clock: Clock,
        lookup: Callable[[NodeId], bytes | None] | None = None,
        max_skew: float = 60.0,
    ) -> None:
        self._fabric = fabric
        self._key = signing_key
        self._public = bytes(signing_key.verify_key)
        self._node = node_id_for(self._public)
        self._clock = clock
        self._lookup = lookup
        self._replay = ReplayGuard(max_skew=max_skew)
        self._queue: asyncio.Queue[Received] = asyncio.Queue(maxsize=10_000)
        self._pending: dict[str, asyncio.Future[bytes]] = {}
        self._handler: ExchangeHandler | None = None
        self._cancels: list[Cancel] = []
        self._throttle = LogThrottle(clock)
        self.refused = 0
        self.dropped = 0

    @property
    def node(self) -> NodeId:
        return self._node

    async def __aenter__(self) -> Self:
        self._cancels = [
            self._fabric.subscribe(GOSSIP_TOPIC, self._on_message),
            self._fabric.subscribe(inbox_topic(self._node), self._on_message),
        ]
        await self._fabric.wait_subscribed()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for cancel in self._cancels:
            cancel()
        for future in self._pending.values():
            if not future.done():
                future.set_exception(MeshError("the mesh transport closed"))

    # -- Transport ------------------------------------------------------------------------

    async def send(self, to: NodeId, packet: bytes) -> None:
        self._publish(inbox_topic(to), "gossip", packet)

    async def announce(self, packet: bytes) -> None:
        self._publish(GOSSIP_TOPIC, "gossip", packet)

    async def packets(self) -> AsyncIterator[Received]:
        while True:
            yield await self._queue.get()

    def serve(self, handler: ExchangeHandler) -> None:
        self._handler = handler

    async def exchange(self, to: NodeId, body: bytes, timeout: float) -> bytes:
        corr = os.urandom(8).hex()
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._pending[corr] = future

        def expire() -> None:
            if not future.done():
                future.set_exception(MeshError(f"push-pull with peer={to}: no answer in {timeout:g} s"))

        cancel = self._clock.call_at(self._clock.monotonic() + timeout, expire)
        try:
            self._publish(inbox_topic(to), "pp", body, corr=corr)
            return await future
        finally:
            cancel()
            self._pending.pop(corr, None)

    # -- the wire ---------------------------------------------------------------------------

    def _publish(self, topic: str, kind: str, packet: bytes, corr: str = "") -> None:
        envelope = Envelope.create(
            self._node, kind, self._public + packet, time=self._clock.now().timestamp(),
            content_type=_CONTENT, correlation_id=corr,
        )
        try:
            self._fabric.publish(topic, seal(envelope, self._key), qos=0)
        except FabricError as exc:  # the fabric refuses when closed: best effort
            self.dropped += 1
            _LOGGER.debug("gossip not sent topic=%s: %s", topic, exc)

    def _on_message(self, message: Message) -> None:
        data = message.payload
        try:
            envelope = unseal(
                data, self._key_of(data), now=self._clock.now().timestamp(), replay=self._replay
            )
        except (PayloadError, TokenError) as exc:
            self.refused += 1
            if self._throttle.allow("refused"):
                _LOGGER.warning("gossip refused topic=%s refused=%d: %s", message.topic, self.refused, exc)
            return
        sender = envelope.sender
        if sender == self._node:
            return  # our own announcement
        packet = envelope.body[KEY_SIZE:]
        if envelope.kind == "gossip":
            if self._queue.full():
                self.dropped += 1
                return
            self._queue.put_nowait(Received(sender, packet))
        elif envelope.kind == "pp" and self._handler is not None:
            answer = self._handler(sender, packet)
            self._publish(inbox_topic(sender), "pp-answer", answer, corr=envelope.correlation_id)
        elif envelope.kind == "pp-answer":
            future = self._pending.get(envelope.correlation_id)
            if future is not None and not future.done():
                future.set_result(packet)

    def _key_of(self, data: bytes) -> Callable[[NodeId], bytes | None]:
        def lookup(sender: NodeId) -> bytes | None:
            if self._lookup is not None:
                return self._lookup(sender)
            key = _claimed_key(data)
            if key is None or node_id_for(key) != sender:
                _LOGGER.debug("gossip key does not match its sender peer=%s", sender)
                return None
            return key

        return lookup


def _claimed_key(data: bytes) -> bytes | None:
    """The public key at the start of an envelope's body (layout: hub.fabric.envelope)."""
    if len(data) < 3:
        return None
    head_len = int.from_bytes(data[1:3], "big")
    start = 3 + head_len
    key = data[start : start + KEY_SIZE]
    return key if len(key) == KEY_SIZE else None
