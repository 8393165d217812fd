"""The project's exceptions: one tree, so that no paho, sqlite3 or YAML error leaks out.

    AtmosphereError
    ├── ConfigError        bad configuration; names file:line; the CLI exits 2
    ├── PayloadError       a malformed message or HTTP body (counted and logged, never fatal)
    ├── FabricError        the MQTT fabric: not connected, broker unreachable
    │   └── CallTimeout    a tool call passed its deadline
    ├── RegistryError      unknown capability or tool
    │   └── CapabilityInUse  removing what a running provider or the configuration adds again
    ├── ToolError          a tool ran and failed
    ├── LlmError           a chat model server failed or answered what cannot be used
    ├── StoreError         the SQLite store
    ├── DataDirInUse       another hub runs on the data directory; the CLI exits 1
    ├── MeshError          gossip and peers
    ├── TokenError         PASETO tokens: malformed, forged, expired, revoked; refused peers
    │   └── Forbidden      a known peer asked for something outside its node token's scopes
    ├── NoCapableNode      routing found nothing that fits
    └── ModelMismatch      vectors of two embedding models compared
"""

from __future__ import annotations


class AtmosphereError(Exception):
    """Base of every error the hub raises on purpose."""


class ConfigError(AtmosphereError):
    """A configuration problem. `where` is ``file:line:column`` when known."""

    def __init__(self, message: str, where: str | None = None) -> None:
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class PayloadError(AtmosphereError):
    """A message that could not be parsed or validated."""


class FabricError(AtmosphereError):
    """The MQTT fabric could not do what was asked."""


class CallTimeout(FabricError):
    """A request over the fabric got no reply before its deadline."""


class RegistryError(AtmosphereError):
    """An unknown capability or tool, or a conflicting registration."""


class CapabilityInUse(RegistryError):
    """A capability cannot be removed: the configuration declares it, or a provider running
    on this hub registered it and would register it again."""


class ToolError(AtmosphereError):
    """A tool was reached but failed; the message is the provider's."""


class LlmError(AtmosphereError):
    """A chat model server (OpenAI-compatible API) could not be reached, failed, timed out
    or answered something unusable; the message names the server and what it said."""


class StoreError(AtmosphereError):
    """The SQLite store failed."""


class DataDirInUse(AtmosphereError):
    """Another hub holds the data directory's lock; `pid` is its process id when known."""

    def __init__(self, message: str, pid: int | None = None) -> None:
        super().__init__(message)
        self.pid = pid


class MeshError(AtmosphereError):
    """Membership, gossip or a peer misbehaved."""


class TokenError(AtmosphereError):
    """A token is malformed, forged, expired or revoked, or a message was refused for who
    sent it. `reason` names the refusal for counting (``unknown_sender``,
    ``bad_signature``, ``expired_token``, ``revoked``, ``out_of_scope``, ``misaddressed``,
    ``replayed``, ``clock_skew``) when there is one."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


class Forbidden(TokenError):
    """A known peer asked for a tool its node token's scopes do not cover."""


class NoCapableNode(AtmosphereError):
    """Routing found no candidate that satisfies the work unit."""


class ModelMismatch(AtmosphereError):
    """Two vectors from different embedding models were compared: their spaces are
    unrelated, so no score between them means anything."""


HTTP_ERRORS: tuple[tuple[type[AtmosphereError], int, str], ...] = (
    (CallTimeout, 504, "timeout"),  # before FabricError: a CallTimeout is one
    (FabricError, 503, "fabric_unavailable"),
    (CapabilityInUse, 409, "capability_in_use"),  # before RegistryError: it is one
    (RegistryError, 404, "not_found"),
    (NoCapableNode, 404, "no_capable_node"),
    (PayloadError, 400, "bad_request"),
    (ToolError, 502, "tool_error"),
    (Forbidden, 403, "forbidden"),  # before TokenError: it is one
    (LlmError, 502, "llm_error"),
    (TokenError, 401, "unauthorized"),
)
"""How the HTTP API answers each error, most specific first: the server (web/errors.py)
maps exceptions to status and code with it, the client (hub/client.py) maps them back."""
