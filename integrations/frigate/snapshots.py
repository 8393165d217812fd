"""The snapshots Frigate publishes (``<prefix>/<camera>/<label>/snapshot``), kept in memory
for `get_frame` within a count and a byte budget over all cameras.

Frigate retains one snapshot per camera and label, and labels are whatever its model
detects; the bridge keeps only those of its cameras' labels. Past either limit, the
snapshot used least recently (received or served) goes first; `evicted` counts them.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

_LOGGER = logging.getLogger(__name__)

Key = tuple[str, str]
"""(camera name, label)."""


class SnapshotStore:
    """At most `max_count` snapshots and `max_bytes` bytes of them, least recently used
    first out."""

    __slots__ = ("_frames", "bytes", "evicted", "max_bytes", "max_count")

    def __init__(self, max_count: int, max_bytes: int) -> None:
        self.max_count = max_count
        self.max_bytes = max_bytes
        self._frames: OrderedDict[Key, bytes] = OrderedDict()
        self.bytes = 0
        self.evicted = 0

    def __len__(self) -> int:
        return len(self._frames)

    def put(self, camera: str, label: str, frame: bytes) -> None:
        key = (camera, label)
        old = self._frames.pop(key, None)
        if old is not None:
            self.bytes -= len(old)
        self._frames[key] = frame
        self.bytes += len(frame)
        while len(self._frames) > self.max_count or self.bytes > self.max_bytes:
            (name, gone), frame_gone = self._frames.popitem(last=False)
            self.bytes -= len(frame_gone)
            self.evicted += 1
            if self.evicted == 1:
                _LOGGER.info("frigate snapshots over their limit (max_snapshots %d, "
                             "max_snapshot_bytes %d): the least recently used go first, "
                             "camera=%s label=%s", self.max_count, self.max_bytes, name, gone)

    def get(self, camera: str, label: str) -> bytes | None:
        key = (camera, label)
        frame = self._frames.get(key)
        if frame is not None:
            self._frames.move_to_end(key)
        return frame

    def remove(self, camera: str, label: str) -> None:
        frame = self._frames.pop((camera, label), None)
        if frame is not None:
            self.bytes -= len(frame)

    def labels(self, camera: str) -> list[str]:
        """Labels of `camera` with a snapshot, most recently used last."""
        return [label for name, label in self._frames if name == camera]

    def drop_camera(self, camera: str) -> None:
        for label in self.labels(camera):
            self.remove(camera, label)


__all__ = ["SnapshotStore"]
