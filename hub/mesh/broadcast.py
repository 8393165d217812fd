"""The transmit-limited queue: updates waiting to be piggybacked, fewest-sent first.

Each update is handed out at most `limit(n)` times (`GossipConfig.retransmit_limit`:
``retransmit_mult * ceil(log10(n + 1))``), then dropped: enough for an epidemic to reach
every node with high probability, and no more. A newer update about the same node
replaces the queued one (keyed by node), so stale news is never sent after fresh.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable


class BroadcastQueue:
    __slots__ = ("_by_key", "_heap", "_limit", "_seq")

    def __init__(self, limit: Callable[[], int]) -> None:
        self._limit = limit
        self._seq = itertools.count()
        # entries: [transmits, -seq, key, payload, alive]; the newest first among equals
        self._heap: list[list[object]] = []
        self._by_key: dict[str, list[object]] = {}

    def __len__(self) -> int:
        return len(self._by_key)

    def queue(self, key: str, payload: bytes) -> None:
        old = self._by_key.pop(key, None)
        if old is not None:
            old[4] = False  # invalidated: skipped when it surfaces
        entry: list[object] = [0, -next(self._seq), key, payload, True]
        self._by_key[key] = entry
        heapq.heappush(self._heap, entry)

    def take(self, overhead: int, budget: int) -> list[bytes]:
        """Updates fitting in `budget` bytes (each costing its size plus `overhead`),
        least transmitted first; each taken one counts a transmission."""
        limit = self._limit()
        taken: list[bytes] = []
        kept: list[list[object]] = []
        used = 0
        heap = self._heap
        while heap and used < budget:
            entry = heapq.heappop(heap)
            if not entry[4]:
                continue
            payload = entry[3]
            assert isinstance(payload, bytes)
            cost = len(payload) + overhead
            if used + cost > budget:
                kept.append(entry)
                continue
            used += cost
            taken.append(payload)
            transmits = entry[0]
            assert isinstance(transmits, int)
            entry[0] = transmits + 1
            if transmits + 1 >= limit:
                entry[4] = False
                key = entry[2]
                assert isinstance(key, str)
                if self._by_key.get(key) is entry:
                    del self._by_key[key]
            else:
                kept.append(entry)
        for entry in kept:
            heapq.heappush(heap, entry)
        return taken
