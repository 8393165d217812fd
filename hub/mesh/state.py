"""What one node believes about another: status, incarnation, since when.

An incarnation is a counter only its node raises: to refute a suspicion it re-announces
itself alive with a higher one. A message about a node wins over what we hold when its
incarnation is higher, or equal and the message is worse news (alive < suspect < dead).
Dead and left members stay as tombstones for `GossipConfig.tombstone_time`, so that a
stale "alive" still in flight cannot bring them back.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hub.model import NodeId


class Status(StrEnum):
    ALIVE = "alive"
    SUSPECT = "suspect"
    DEAD = "dead"
    LEFT = "left"

    @property
    def gone(self) -> bool:
        return self in (Status.DEAD, Status.LEFT)


@dataclass(frozen=True, slots=True)
class Member:
    """A snapshot, as `Membership.members()` hands it out."""

    node: NodeId
    status: Status
    incarnation: int
    since: float
    """Clock monotonic time of the last status change."""
    meta: str = ""


class NodeState:
    """The mutable record behind a `Member` (inner code only)."""

    __slots__ = ("incarnation", "meta", "node", "since", "status")

    def __init__(self, node: NodeId, incarnation: int, status: Status, since: float) -> None:
        self.node = node
        self.incarnation = incarnation
        self.status = status
        self.since = since
        self.meta = ""

    def snapshot(self) -> Member:
        return Member(self.node, self.status, self.incarnation, self.since, self.meta)
