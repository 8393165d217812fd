"""Waiting for a device to confirm a command: a tool call returns when the device reports
the state it was asked for, or fails with a clear error after its timeout."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from hub.errors import ToolError

MAX_WAITING = 64
"""Commands of one device waiting for its confirmation at once; one more is refused with a
clear error rather than queued without bound (each report is checked against them all)."""

State = Mapping[str, Any]
Predicate = Callable[[State], bool]


class Confirmations:
    """Futures waiting for a reported state that satisfies a predicate.

    The integration calls `resolve(state)` for every state report of the device; a tool
    handler calls `wait(predicate, send, timeout, what)`, which sends the command only after
    it is listening, so a fast device cannot answer before anyone waits.
    """

    __slots__ = ("_max", "_waiters", "refused")

    def __init__(self, max_waiting: int = MAX_WAITING) -> None:
        self._max = max_waiting
        self._waiters: list[tuple[Predicate, asyncio.Future[State]]] = []
        self.refused = 0

    def __len__(self) -> int:
        return len(self._waiters)

    def resolve(self, state: State) -> None:
        if not self._waiters:
            return
        for predicate, future in tuple(self._waiters):
            if not future.done() and predicate(state):
                future.set_result(state)

    async def wait(
        self, predicate: Predicate, send: Callable[[], None], timeout: float, what: str
    ) -> State:
        if len(self._waiters) >= self._max:
            self.refused += 1
            raise ToolError(f"{what}: {len(self._waiters)} commands to this device are "
                            f"already waiting for its confirmation; try again when they are "
                            f"answered")
        future: asyncio.Future[State] = asyncio.get_running_loop().create_future()
        waiter = (predicate, future)
        self._waiters.append(waiter)
        try:
            send()
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError:
            raise ToolError(f"{what}: the device did not confirm within {timeout:g} s") from None
        finally:
            self._waiters.remove(waiter)
