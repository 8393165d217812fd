"""Periodic anti-entropy: two nodes swap their whole membership view and merge it.

Gossip can lose updates (limited retransmissions, packet loss, a partition); a push-pull
every `pushpull_period(n)` seconds with one random member repairs whatever was lost, and
is how a joining node learns the mesh in one exchange. A remote "dead" is merged as a
suspicion, so that a node wrongly believed dead on the other side of a healed partition
gets the chance to refute (memberlist does the same); "left" is taken as said.
"""

from __future__ import annotations

from typing import Any

from hub.errors import PayloadError
from hub.mesh.messages import decode, encode_one
from hub.mesh.state import NodeState, Status
from hub.model import NodeId


def encode_state(states: list[NodeState], app_state: str) -> bytes:
    rows = [[s.node, s.incarnation, s.status.value, s.meta] for s in states]
    return encode_one(["pp", rows, app_state])


def decode_state(body: bytes) -> tuple[list[tuple[NodeId, int, Status, str]], str]:
    messages = decode(b"[" + body + b"]")
    kind, rows, app_state = messages[0]
    if kind != "pp":
        raise PayloadError(f"push-pull body must be a 'pp' message, got {kind!r}")
    return [_row(row, i) for i, row in enumerate(rows)], app_state


def _row(row: Any, index: int) -> tuple[NodeId, int, Status, str]:
    if (
        not isinstance(row, list)
        or len(row) != 4
        or not isinstance(row[0], str)
        or not isinstance(row[1], int)
        or isinstance(row[1], bool)
        or row[2] not in Status._value2member_map_
        or not isinstance(row[3], str)
    ):
        raise PayloadError(f"push-pull row {index}: expected [node, incarnation, status, meta]")
    return NodeId(row[0]), row[1], Status(row[2]), row[3]
