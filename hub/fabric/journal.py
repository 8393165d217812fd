"""`ReplayJournal`: the message ids a node accepted, on disk, so that a restart does not
reopen the door to replays.

The replay guard (`hub.fabric.envelope.ReplayGuard`) refuses an id it has seen, and the
time check refuses an envelope more than `max_skew` off our clock; so an id needs
remembering until its time plus `max_skew`, and no longer. In memory alone, a request
captured on the wire could be sent again after a restart (clean or not) and run again.

The journal keeps those ids in small append-only files (segments) in a directory of the
data directory. Each accepted id is one line, ``<until> <id as JSON>``, written with one
`os.write` before the request runs: on the loop, a few microseconds, no thread hop and no
fsync. A written line is in the kernel's page cache, so it survives the hub being killed;
a power cut may lose the last seconds of lines (as SQLite's ``synchronous=NORMAL`` may),
which reopens replays of only those requests, and only until their deadlines pass.

A new segment starts every `max_skew` seconds; a segment whose newest id has expired is
deleted, so a handful of files exist at any time and nothing is ever rewritten. On start
every segment is read, the ids still live are handed to the guard (`restored`), and lines
that do not parse (a torn last line) are skipped and counted.

A write that fails (disk full) is logged, counted in `failures`, and does not refuse the
request: the guard in memory still protects the running hub; only a restart in the next
minutes would forget that id.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from pathlib import Path
from types import TracebackType
from typing import Self

from hub.clock import Clock, SystemClock
from hub.logthrottle import LogThrottle

_LOGGER = logging.getLogger(__name__)

_PREFIX, _SUFFIX = "seen-", ".log"


class ReplayJournal:
    """``async with ReplayJournal(directory, max_skew=60) as journal``: `restored` holds
    the live ``(message_id, until)`` pairs found; `record` is what the guard calls."""

    def __init__(self, directory: Path, *, max_skew: float, clock: Clock | None = None) -> None:
        self.directory = Path(directory)
        self.max_skew = max_skew
        self._clock: Clock = clock or SystemClock()
        self._throttle = LogThrottle(self._clock)
        self.restored: list[tuple[str, float]] = []
        self.opened = 0.0
        """Wall time (Unix seconds) at which the journal was opened."""
        self.skipped = 0
        """Lines found on start that did not parse."""
        self.failures = 0
        """Ids that could not be written."""
        self._fd = -1
        self._number = 0
        self._started = 0.0  # wall time the current segment was started
        self._segments: dict[int, float] = {}  # segment number -> newest `until` in it

    async def __aenter__(self) -> Self:
        if self._fd >= 0:
            raise RuntimeError(f"the replay journal in {self.directory} is already open")
        self.opened = self._clock.now().timestamp()
        await asyncio.to_thread(self._open, self.opened)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        fd, self._fd = self._fd, -1
        if fd >= 0:
            os.close(fd)
        # an empty segment says nothing: leave no file behind for it
        if self._segments.get(self._number) == 0.0:
            with contextlib.suppress(OSError):
                self._path(self._number).unlink()

    def record(self, message_id: str, until: float, now: float) -> None:
        """Remember `message_id` until `until` (wall seconds); `now` is the wall time."""
        if now - self._started >= self.max_skew:
            self._rotate(now)
        line = f"{until:.3f} {json.dumps(message_id)}\n".encode()
        try:
            os.write(self._fd, line)
        except OSError as exc:
            self.failures += 1
            if self._throttle.allow("write"):
                _LOGGER.error(
                    "replay journal not written dir=%s failures=%d: %s (a request seen now "
                    "could be replayed after a restart)",
                    self.directory,
                    self.failures,
                    exc.strerror,
                )
            return
        number = self._number
        self._segments[number] = max(self._segments[number], until)

    # -- files ----------------------------------------------------------------------------

    def _path(self, number: int) -> Path:
        return self.directory / f"{_PREFIX}{number:08d}{_SUFFIX}"

    def _open(self, now: float) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        restored: list[tuple[str, float]] = []
        for path in sorted(self.directory.glob(f"{_PREFIX}*{_SUFFIX}")):
            number = path.name[len(_PREFIX) : -len(_SUFFIX)]
            if not number.isdigit():
                continue
            newest = 0.0
            for line in path.read_bytes().splitlines():
                entry = self._parse(line)
                if entry is not None and entry[1] >= now:
                    restored.append(entry)
                    newest = max(newest, entry[1])
            if newest:
                self._segments[int(number)] = newest
            else:
                path.unlink()
            self._number = max(self._number, int(number))
        restored.sort(key=lambda entry: entry[1])
        self.restored = restored
        if self.skipped:
            _LOGGER.warning(
                "replay journal: skipped %d unreadable lines dir=%s", self.skipped, self.directory
            )
        self._start_segment(now)
        _LOGGER.debug("replay journal open dir=%s restored=%d", self.directory, len(restored))

    def _parse(self, line: bytes) -> tuple[str, float] | None:
        until, _, raw = line.partition(b" ")
        try:
            message_id = json.loads(raw)
            entry = (message_id, float(until))
        except ValueError:
            self.skipped += 1
            return None
        if not isinstance(message_id, str):
            self.skipped += 1
            return None
        return entry

    def _start_segment(self, now: float) -> None:
        self._number += 1
        self._fd = os.open(
            self._path(self._number), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600
        )
        self._segments[self._number] = 0.0
        self._started = now

    def _rotate(self, now: float) -> None:
        """Start a new segment; delete those whose every id has expired."""
        try:
            old, self._fd = self._fd, -1
            os.close(old)
            for number, newest in list(self._segments.items()):
                if newest < now:
                    del self._segments[number]
                    with contextlib.suppress(FileNotFoundError):
                        self._path(number).unlink()
            self._start_segment(now)
        except OSError as exc:
            self.failures += 1
            if self._throttle.allow("rotate"):
                _LOGGER.error("replay journal cannot start a segment dir=%s: %s",
                              self.directory, exc.strerror)


__all__ = ["ReplayJournal"]
