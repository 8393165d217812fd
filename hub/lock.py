"""One hub per data directory: an exclusive lock on ``<data_dir>/hub.lock``.

Two hubs on one data directory would share a node key, and so the MQTT client id and
the node's topics: the second knocks the first off the broker, and both write the same
database. `DataDirLock` is taken before anything else touches the directory's contents.

The lock is `flock(LOCK_EX | LOCK_NB)` on a file that stays in place: the kernel drops
it when the holder's descriptor closes, so a crashed or killed hub never leaves a stale
lock behind, and the next start needs no clean-up. The holder writes its PID into the
file for the message the next start prints. The descriptor is not inherited by child
processes (the embedded broker), which would otherwise keep the lock after the hub died.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
from pathlib import Path
from types import TracebackType
from typing import Self

from hub.errors import DataDirInUse, StoreError
from hub.identity import ensure_data_dir

_LOGGER = logging.getLogger(__name__)

LOCK_FILE = "hub.lock"


class DataDirLock:
    """``async with DataDirLock(data_dir)``: this process is the directory's only hub
    inside the block; entering raises `DataDirInUse` naming the other hub's PID."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / LOCK_FILE
        self._fd: int | None = None

    async def __aenter__(self) -> Self:
        await asyncio.to_thread(self._acquire)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # releases the lock; the file stays for the next holder

    def _acquire(self) -> None:
        if self._fd is not None:
            raise DataDirInUse(f"{self.data_dir}: this hub holds the lock already")
        ensure_data_dir(self.data_dir)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StoreError(
                f"{self.path}: cannot open the data directory's lock file: {exc.strerror};"
                " check the directory's owner and mode, or choose another data_dir"
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            os.close(fd)
            who = f"another hub (pid {pid})" if pid else "another hub"
            raise DataDirInUse(
                f"the data directory {self.data_dir} is in use by {who}; stop that hub "
                "first, or give this one a data directory of its own (`--data DIR`, or "
                "`data_dir:` in configuration.yaml)",
                pid,
            ) from None
        except OSError as exc:
            os.close(fd)
            raise StoreError(
                f"{self.path}: cannot lock the data directory: {exc.strerror} (a network "
                "filesystem without locks?); use a local directory for data_dir"
            ) from exc
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        _LOGGER.debug("data directory locked path=%s pid=%d", self.path, os.getpid())


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


__all__ = ["LOCK_FILE", "DataDirLock"]
