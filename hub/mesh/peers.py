"""Trusted peers: the keyring of nodes learnt from their node tokens, and the checks every
request from a peer passes.

A peer presents its node token in every envelope it sends (the header's ``tok``,
`hub.fabric.envelope`). The keyring verifies a token once (with the root public key
alone), remembers it per node, and from then on a repeated token costs a dictionary
lookup. A token that is forged or of another mesh teaches nothing; an expired or revoked
one still gives the sender's key (the root vouched for it), so that the refusal can be
answered with a signed reply, but the sender is not admitted.

`PeerGuard` is what `hub.fabric.rpc` calls `Trust`: it hands the fabric this node's own
token, learns senders' keys, accepts a reply only from a peer whose token is valid and not
revoked, and admits a request only if

- the sender is this node (a local call), or
- the envelope names this node as its recipient (``misaddressed`` otherwise),
- the sender's token is still valid (``expired_token``) and not revoked (``revoked``),
- and one of its scopes covers the cluster asked for, ``<capability type>.<tool>``
  (``out_of_scope``, raised as `Forbidden`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from hub.clock import Clock
from hub.errors import Forbidden, TokenError
from hub.fabric import Envelope
from hub.mesh.revocations import Revocations
from hub.mesh.tokens import NodeToken, check_times, format_time, read_node_token
from hub.model import NodeId

_LOGGER = logging.getLogger(__name__)

MAX_PEERS = 100_000
"""Peers remembered at most: tokens come from the network, memory must stay bounded."""


@dataclass(frozen=True, slots=True)
class Peer:
    token: NodeToken
    first_seen: float
    """Wall-clock Unix seconds."""


class Keyring:
    """The peers of this mesh, by node id, each with the node token it last presented."""

    def __init__(
        self,
        root_public: bytes,
        clock: Clock,
        revocations: Revocations,
        *,
        leeway: float = 60.0,
    ) -> None:
        self.root_public = root_public
        self._clock = clock
        self._revocations = revocations
        self._leeway = leeway
        self._peers: dict[NodeId, Peer] = {}

    def __len__(self) -> int:
        return len(self._peers)

    def learn(self, sender: NodeId, token: str) -> NodeToken:
        """Verify `token` (once: a token seen before is looked up) and remember it as
        `sender`'s; TokenError when it is forged, of another mesh, or names another node."""
        known = self._peers.get(sender)
        if known is not None and known.token.token == token:
            return known.token
        try:
            node_token = read_node_token(token, self.root_public)
        except TokenError as exc:
            raise TokenError(f"envelope from {sender}: {exc}", "bad_signature") from exc
        if node_token.node_id != sender:
            raise TokenError(
                f"envelope from {sender} carries the node token of node {node_token.node_id}",
                "bad_signature",
            )
        if known is not None and node_token.expires_at < known.token.expires_at:
            return known.token  # an older token replayed: keep the newer one
        if known is None and len(self._peers) >= MAX_PEERS:
            raise TokenError(f"envelope from {sender}: too many peers", "unknown_sender")
        self._peers[sender] = Peer(node_token, self._clock.now().timestamp())
        if known is None:
            _LOGGER.info(
                "peer learnt node=%s token=%s expires=%s scopes=%s",
                sender,
                node_token.token_id,
                format_time(node_token.expires_at),
                ",".join(node_token.scopes),
            )
        return node_token

    def public_key(self, node: NodeId) -> bytes | None:
        """The key the root vouched for, whether or not the token is still valid."""
        peer = self._peers.get(node)
        return peer.token.public_key if peer is not None else None

    def token(self, node: NodeId) -> NodeToken | None:
        peer = self._peers.get(node)
        return peer.token if peer is not None else None

    def check(self, node: NodeId) -> NodeToken:
        """`node`'s token if it is valid now and not revoked; TokenError with the reason."""
        token = self.token(node)
        if token is None:
            raise TokenError(f"node {node} presented no node token", "unknown_sender")
        if self._revocations.is_revoked(token.token_id):
            raise TokenError(
                f"node token {token.token_id} of node {node} is revoked", "revoked"
            )
        try:
            check_times(token, self._clock.now(), self._leeway)
        except TokenError as exc:
            raise TokenError(str(exc), "expired_token") from exc
        return token

    def peers(self) -> tuple[NodeToken, ...]:
        return tuple(peer.token for peer in self._peers.values())


class PeerGuard:
    """`hub.fabric.rpc.Trust` over a `Keyring`: what the RPC server and client consult."""

    def __init__(
        self,
        node_id: NodeId,
        keyring: Keyring,
        type_of: Callable[[str], str | None],
        *,
        credential: str = "",
    ) -> None:
        self.node_id = node_id
        self.keyring = keyring
        self._type_of = type_of
        self._credential = credential

    @property
    def credential(self) -> str:
        return self._credential

    def learn(self, sender: NodeId, token: str) -> None:
        if sender != self.node_id:
            self.keyring.learn(sender, token)

    def vouch(self, sender: NodeId) -> None:
        if sender != self.node_id:
            self.keyring.check(sender)

    def admit(self, request: Envelope, capability: str, tool: str) -> None:
        sender = request.sender
        if sender == self.node_id:
            return  # a local call: this node's own key signed it
        recipient = request.recipient
        if recipient != self.node_id:
            raise TokenError(
                f"request from {sender} names no recipient or another one "
                f"({recipient or 'none'}), not this node {self.node_id}",
                "misaddressed",
            )
        token = self.keyring.check(sender)
        kind = self._type_of(capability) or capability.split(".", 1)[0]
        cluster = f"{kind}.{tool}"  # hub.routing.gradient.cluster_of
        if not token.allows(cluster):
            raise Forbidden(
                f"node {sender} may not call {cluster} ({capability}): its node token "
                f"{token.token_id} allows {', '.join(token.scopes)}",
                "out_of_scope",
            )
