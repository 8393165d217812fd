"""Revocation lists: signed by the root, merged as a union, kept until the token expires,
stored in the hub's SQLite database."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from hub.clock import ManualClock
from hub.errors import TokenError
from hub.mesh.revocations import Revocations, sign_revocations
from hub.mesh.tokens import create_root_key
from hub.store import Store


async def test_merge_is_a_union_kept_until_expiry(tmp_path: Path) -> None:
    clock = ManualClock()
    root, _ = create_root_key(tmp_path / "root")
    now = clock.now()
    first = sign_revocations(root, {"t-1": now + timedelta(days=1)}, now=now)
    both = sign_revocations(root, {"t-1": now + timedelta(days=1),
                                   "t-2": now + timedelta(days=3)}, now=now)
    async with Store(tmp_path / "hub.db") as store:
        async with Revocations(root.public_key, clock, store=store) as revocations:
            assert revocations.merge(first) is True
            assert revocations.merge(first) is False  # idempotent: nothing new to gossip
            assert revocations.merge(both) is True
            assert revocations.is_revoked("t-1") and revocations.is_revoked("t-2")
            assert not revocations.is_revoked("t-3")
            assert set(revocations.snapshot()) == {first, both}
        # restored from the store by the next run
        async with Revocations(root.public_key, clock, store=store) as again:
            assert again.is_revoked("t-1") and again.is_revoked("t-2")
            clock.advance(86400 * 2)  # t-1's token has expired: its entry goes
            assert again.snapshot() == (both,)
            assert not again.is_revoked("t-1") and again.is_revoked("t-2")
            clock.advance(86400 * 2)
            assert again.snapshot() == () and dict(again.entries()) == {}


async def test_only_the_roots_lists_are_merged(tmp_path: Path) -> None:
    clock = ManualClock()
    root, _ = create_root_key(tmp_path / "root")
    other, _ = create_root_key(tmp_path / "other")
    later = clock.now() + timedelta(days=1)
    async with Revocations(root.public_key, clock) as revocations:
        with pytest.raises(TokenError, match="revocation list: bad token signature"):
            revocations.merge(sign_revocations(other, {"t-1": later}, now=clock.now()))
        with pytest.raises(TokenError, match="revocation list: malformed token"):
            revocations.merge("v4.public.garbage")
        assert not revocations.is_revoked("t-1")
