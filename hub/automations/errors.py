"""Errors of a running automation: they end the run and the trace says which and where."""

from __future__ import annotations

from hub.errors import AtmosphereError


class ScriptError(AtmosphereError):
    """A step failed: a template raised, a tool call failed, a bound was reached."""


class StopRun(Exception):  # a signal, not an error
    """The `stop` action: ends the run; with `error`, as failed."""

    def __init__(self, reason: str, *, error: bool = False, response: object = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.error = error
        self.response = response


class LimitReached(ScriptError):
    """A runaway loop or recursion hit its bound."""
