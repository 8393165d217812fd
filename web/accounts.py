"""The web UI's accounts, sign-in sessions and named API tokens, kept in the hub's store.

- Passwords are hashed with argon2id (libsodium through PyNaCl, "interactive" limits: 64 MiB
  and a few tenths of a second), on a worker thread so the event loop never waits for it.
- A session id and a named token are 32 random bytes; the store keeps only their SHA-256
  digest, so a copy of ``hub.db`` does not let anyone in. They are high-entropy secrets, so
  a fast digest is enough (a slow KDF is for guessable passwords).
- The first account is created by one conditional INSERT: of two onboarding requests that
  race, exactly one creates the admin and the other is refused.
- `LoginGuard` counts failed sign-ins per account and per client address (in memory, with
  the injected clock) and locks either out for a while after too many.

See docs/web.md and docs/security.md.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import sqlite3
from collections import deque
from dataclasses import dataclass, field

import nacl.exceptions
import nacl.pwhash

from hub.clock import Clock
from hub.store import Store

_LOGGER = logging.getLogger(__name__)

SESSION_LIFETIME = 14 * 24 * 3600.0
"""Seconds a session lasts after sign-in; signing out ends it at once."""
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
MAX_NAME = 64
TOKEN_PREFIX = "atm_"
"""Named API tokens start with this, so a leaked one is recognisable (and greppable)."""

_DUMMY_PASSWORD = b"no such account: compared anyway so that timing says nothing"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def hash_password(password: str) -> str:
    """An argon2id hash string (``$argon2id$v=19$m=...``) holding its own salt and limits."""
    hashed: bytes = nacl.pwhash.argon2id.str(
        password.encode(),
        opslimit=nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE,
        memlimit=nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE,
    )
    return hashed.decode()


def password_matches(hashed: str, password: str) -> bool:
    try:
        return bool(nacl.pwhash.verify(hashed.encode(), password.encode()))
    except (nacl.exceptions.InvalidkeyError, nacl.exceptions.CryptoError, ValueError):
        return False


def account_problem(name: str, password: str) -> str | None:
    """Why `name` and `password` cannot make an account, or None."""
    if not name or len(name) > MAX_NAME or not name.isprintable() or name != name.strip():
        return f"the account name must be 1 to {MAX_NAME} printable characters, no outer spaces"
    if len(password) < MIN_PASSWORD:
        return f"the password must be at least {MIN_PASSWORD} characters long"
    if len(password) > MAX_PASSWORD:
        return f"the password must be at most {MAX_PASSWORD} characters long"
    return None


@dataclass(frozen=True, slots=True)
class Session:
    user: str
    csrf: str
    expires: float


@dataclass(frozen=True, slots=True)
class TokenInfo:
    name: str
    created: float
    last_used: float | None


class Accounts:
    """Users, sessions and named tokens in `store` (tables from migration 4)."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._dummy: str | None = None

    def _now(self) -> float:
        return self._clock.now().timestamp()

    # -- users --------------------------------------------------------------------------

    async def has_users(self) -> bool:
        row = await self._store.run(
            "count web accounts",
            lambda conn: conn.execute("SELECT EXISTS (SELECT 1 FROM web_users)").fetchone(),
        )
        return bool(row[0])

    async def create_first(self, name: str, password: str) -> bool:
        """Create the first account; False when one exists already (onboarding is over)."""
        hashed = await asyncio.to_thread(hash_password, password)
        now = self._now()

        def insert(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "INSERT INTO web_users (name, hash, created) SELECT ?, ?, ?"
                " WHERE NOT EXISTS (SELECT 1 FROM web_users)",
                (name, hashed, now),
            )
            return cursor.rowcount

        created = await self._store.run("create the first web account", insert) == 1
        if created:
            _LOGGER.info("first web account created user=%s", name)
        return created

    async def check_password(self, name: str, password: str) -> bool:
        row = await self._store.run(
            "read a web account",
            lambda conn: conn.execute(
                "SELECT hash FROM web_users WHERE name = ?", (name,)
            ).fetchone(),
        )
        if row is None:
            # as slow as a real check, so that timing does not tell which names exist
            if self._dummy is None:
                self._dummy = await asyncio.to_thread(hash_password, _DUMMY_PASSWORD.decode())
            await asyncio.to_thread(password_matches, self._dummy, password)
            return False
        return await asyncio.to_thread(password_matches, str(row[0]), password)

    # -- sessions -----------------------------------------------------------------------

    async def open_session(self, user: str) -> tuple[str, Session]:
        """A new session for `user`: its id (for the cookie) and what it holds."""
        session_id = secrets.token_urlsafe(32)
        session = Session(user, secrets.token_urlsafe(32), self._now() + SESSION_LIFETIME)
        await self._store.run(
            "open a web session",
            lambda conn: conn.execute(
                "INSERT INTO web_sessions (digest, user, csrf, created, expires)"
                " VALUES (?, ?, ?, ?, ?)",
                (digest(session_id), user, session.csrf, self._now(), session.expires),
            ),
        )
        return session_id, session

    async def session(self, session_id: str) -> Session | None:
        """The live session with this id, or None (unknown, expired or closed)."""
        if not session_id or len(session_id) > 128:
            return None
        now = self._now()
        row = await self._store.run(
            "read a web session",
            lambda conn: conn.execute(
                "SELECT user, csrf, expires FROM web_sessions WHERE digest = ? AND expires > ?",
                (digest(session_id), now),
            ).fetchone(),
        )
        return None if row is None else Session(str(row[0]), str(row[1]), float(row[2]))

    async def close_session(self, session_id: str) -> None:
        now = self._now()

        def delete(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM web_sessions WHERE digest = ?", (digest(session_id),))
            conn.execute("DELETE FROM web_sessions WHERE expires <= ?", (now,))

        await self._store.run("close a web session", delete)

    # -- named API tokens ---------------------------------------------------------------

    async def create_token(self, name: str) -> str | None:
        """A new token called `name` (the secret, shown once), or None if the name is taken."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = self._now()

        def insert(conn: sqlite3.Connection) -> int:
            return conn.execute(
                "INSERT INTO web_tokens (name, digest, created) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO NOTHING",
                (name, digest(token), now),
            ).rowcount

        if await self._store.run(f"create the API token {name!r}", insert) != 1:
            return None
        _LOGGER.info("API token created name=%s", name)
        return token

    async def tokens(self) -> list[TokenInfo]:
        rows = await self._store.run(
            "list API tokens",
            lambda conn: conn.execute(
                "SELECT name, created, last_used FROM web_tokens ORDER BY name"
            ).fetchall(),
        )
        return [TokenInfo(str(n), float(c), None if u is None else float(u)) for n, c, u in rows]

    async def revoke_token(self, name: str) -> bool:
        deleted: int = await self._store.run(
            f"revoke the API token {name!r}",
            lambda conn: conn.execute("DELETE FROM web_tokens WHERE name = ?", (name,)).rowcount,
        )
        if deleted:
            _LOGGER.info("API token revoked name=%s", name)
        return deleted == 1

    async def token_name(self, token: str) -> str | None:
        """The name of the live token `token`, or None; notes when it was last used."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 128:
            return None
        key, now = digest(token), self._now()

        def use(conn: sqlite3.Connection) -> str | None:
            row = conn.execute("SELECT name FROM web_tokens WHERE digest = ?", (key,)).fetchone()
            if row is not None:
                conn.execute("UPDATE web_tokens SET last_used = ? WHERE digest = ?", (now, key))
            return None if row is None else str(row[0])

        return await self._store.run("check an API token", use)


@dataclass
class LoginGuard:
    """Failed sign-ins per account and per client address, and the lockouts they earn.

    More than `per_account` failures for one account, or `per_address` from one address,
    within `window` seconds lock that account (or address) out for `lockout` seconds. The
    account limit stops guessing one password from many addresses; the address limit stops
    one client trying many accounts. In memory: a restart forgets, which costs an attacker
    a restart they cannot cause.
    """

    clock: Clock
    per_account: int = 5
    per_address: int = 20
    window: float = 15 * 60.0
    lockout: float = 15 * 60.0
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _locked_until: dict[str, float] = field(default_factory=dict)

    def locked_for(self, user: str, address: str) -> float:
        """Seconds until `user` from `address` may try again (0: now)."""
        now = self.clock.monotonic()
        left = 0.0
        for key in (f"user:{user}", f"addr:{address}"):
            until = self._locked_until.get(key)
            if until is None:
                continue
            if until <= now:
                del self._locked_until[key]
            else:
                left = max(left, until - now)
        return left

    def failed(self, user: str, address: str) -> None:
        now = self.clock.monotonic()
        for key, limit in ((f"user:{user}", self.per_account), (f"addr:{address}", self.per_address)):
            times = self._failures.setdefault(key, deque())
            times.append(now)
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) >= limit:
                self._locked_until[key] = now + self.lockout
                times.clear()
                _LOGGER.warning("sign-in locked out key=%s for_s=%.0f", key, self.lockout)
        if len(self._failures) > 10_000:  # a flood of names: forget the oldest
            for key in list(self._failures)[:5_000]:
                del self._failures[key]

    def succeeded(self, user: str) -> None:
        self._failures.pop(f"user:{user}", None)
