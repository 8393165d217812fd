"""Revocations: node tokens the mesh root has withdrawn before their expiry.

The root signs a *revocation list*: a PASETO v4.public token (`hub.mesh.paseto`, footer
``{"kid": <mesh id>}``, implicit assertion ``atmosphere revocations v1``, so that it can
never pass for a node token) whose claims are::

    {"iss": <mesh id>, "iat": <RFC 3339>, "revoked": [{"jti": <token id>, "exp": <RFC 3339>}]}

``exp`` is the revoked token's own expiry: after it the token is dead anyway, so the entry
is dropped then. Lists are only ever unioned (a token once revoked stays revoked until it
expires), so merging is commutative, associative and idempotent: the lists may arrive in
any order, any number of times, through any path, and every hub ends with the same set.

API for the gossip layer (everything is synchronous and runs on the event loop)::

    revocations.merge(signed_list) -> bool   # verified with the root public key; True if
                                             # it revoked something new (gossip it on)
    revocations.is_revoked(jti) -> bool      # an O(1) lookup, on every request
    revocations.snapshot() -> tuple[str, ...]  # the signed lists still in force, for
                                             # push-pull anti-entropy: each one verifiable
    revocations.entries() -> Mapping[str, datetime]   # jti -> the token's expiry

`merge` raises TokenError for a list that is malformed, of another mesh or not signed by
the root. With a `Store`, the lists are kept in the table ``mesh_revocations`` of the
hub's SQLite database (written behind, off the loop) and restored on enter; entries past
their expiry are pruned on enter and on every merge.

The root's side is `sign_revocations(root, entries, now)`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from types import MappingProxyType, TracebackType
from typing import Self

from hub.clock import Clock
from hub.errors import TokenError
from hub.mesh import paseto
from hub.mesh.tokens import RootKey, format_time, mesh_id_for
from hub.store import Store

_LOGGER = logging.getLogger(__name__)

IMPLICIT = b"atmosphere revocations v1"
_TABLE = (
    "CREATE TABLE IF NOT EXISTS mesh_revocations"
    " (list TEXT PRIMARY KEY, expires REAL NOT NULL)"
)


def sign_revocations(
    root: RootKey, entries: Mapping[str, datetime], *, now: datetime
) -> str:
    """A revocation list of `entries` (token id -> that token's expiry), signed by `root`."""
    claims = {
        "iss": root.mesh_id,
        "iat": format_time(now),
        "revoked": [
            {"jti": jti, "exp": format_time(expires)} for jti, expires in sorted(entries.items())
        ],
    }
    footer = json.dumps({"kid": root.mesh_id}, separators=(",", ":")).encode()
    message = json.dumps(claims, separators=(",", ":")).encode()
    return paseto.sign(message, root.signing_key, footer, IMPLICIT)


def read_revocations(signed_list: str, root_public: bytes) -> dict[str, datetime]:
    """The entries of a revocation list the root signed; TokenError otherwise."""
    mesh = mesh_id_for(root_public)
    try:
        claims = json.loads(paseto.verify(signed_list.strip(), root_public, implicit=IMPLICIT))
        if not isinstance(claims, dict) or claims.get("iss") != mesh:
            raise TokenError(f"revocation list of another mesh: this hub is in mesh {mesh}")
        entries = {}
        for entry in claims["revoked"]:
            expires = datetime.fromisoformat(entry["exp"])
            if expires.tzinfo is None:
                raise ValueError(f"time {entry['exp']!r} has no time zone")
            entries[str(entry["jti"])] = expires.astimezone(UTC)
    except TokenError as exc:
        raise TokenError(f"revocation list: {exc}", "bad_signature") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise TokenError(f"malformed revocation list: {exc}") from exc
    return entries


class Revocations:
    """``async with Revocations(root_public, clock, store=store)``: the revoked token ids."""

    def __init__(self, root_public: bytes, clock: Clock, *, store: Store | None = None) -> None:
        self.root_public = root_public
        self._clock = clock
        self._store = store
        self._lists: dict[str, datetime] = {}
        """Each signed list in force -> the latest expiry among its entries."""
        self._revoked: dict[str, datetime] = {}
        self._writes: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> Self:
        if self._store is not None:
            rows = await self._store.run("read the mesh revocations", _load)
            for signed_list in rows:
                try:
                    self.merge(signed_list, save=False)
                except TokenError as exc:  # another mesh's, after a re-initialised root
                    _LOGGER.warning("stored revocation list dropped: %s", exc)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.saved()

    async def saved(self) -> None:
        """Wait until every merged list is written to the store."""
        while self._writes:
            await asyncio.gather(*self._writes)

    def merge(self, signed_list: str, *, save: bool = True) -> bool:
        """Add a signed revocation list; True when it revoked a token not revoked before."""
        entries = read_revocations(signed_list, self.root_public)
        now = self._clock.now()
        live = {jti: exp for jti, exp in entries.items() if exp > now}
        new = [jti for jti in live if jti not in self._revoked]
        for jti, expires in live.items():
            self._revoked[jti] = max(expires, self._revoked.get(jti, expires))
        pruned = self._prune(now)
        if new:
            self._lists[signed_list] = max(live.values())
            _LOGGER.info("node tokens revoked jti=%s", ",".join(sorted(new)))
            if save and self._store is not None:
                self._write(signed_list, max(live.values()), pruned)
        return bool(new)

    def is_revoked(self, jti: str) -> bool:
        return jti in self._revoked

    def snapshot(self) -> tuple[str, ...]:
        """The signed lists in force (each verifiable by any hub of the mesh)."""
        self._prune(self._clock.now())
        return tuple(self._lists)

    def entries(self) -> Mapping[str, datetime]:
        return MappingProxyType(dict(self._revoked))

    def _prune(self, now: datetime) -> list[str]:
        for jti in [jti for jti, exp in self._revoked.items() if exp <= now]:
            del self._revoked[jti]
        gone = [signed for signed, exp in self._lists.items() if exp <= now]
        for signed in gone:
            del self._lists[signed]
        return gone

    def _write(self, signed_list: str, expires: datetime, pruned: Iterable[str]) -> None:
        store, until, drop = self._store, expires.timestamp(), list(pruned)
        assert store is not None

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(_TABLE)
            conn.execute(
                "INSERT OR REPLACE INTO mesh_revocations (list, expires) VALUES (?, ?)",
                (signed_list, until),
            )
            conn.executemany("DELETE FROM mesh_revocations WHERE list = ?", [(d,) for d in drop])

        task = asyncio.get_running_loop().create_task(
            store.run("save a mesh revocation list", write), name="mesh.revocations.save"
        )
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)


def _load(conn: sqlite3.Connection) -> list[str]:
    conn.execute(_TABLE)
    return [row[0] for row in conn.execute("SELECT list FROM mesh_revocations")]
