"""Node tokens: issued by the mesh root, verified with its public key alone."""

from __future__ import annotations

import json
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from hub.clock import ManualClock
from hub.errors import ConfigError, TokenError
from hub.identity import Identity
from hub.mesh import paseto
from hub.mesh.tokens import (
    IMPLICIT,
    ROOT_KEY_FILE,
    ROOT_PUBLIC_FILE,
    create_root_key,
    decode_public_key,
    encode_public_key,
    load_root_key,
    mesh_id_for,
    read_node_token,
    scope_allows,
    verify_node_token,
)

DAY = 86400.0


def test_issue_and_verify_with_the_root_public_key_alone(tmp_path: Path) -> None:
    clock = ManualClock()
    root, created = create_root_key(tmp_path / "mesh")
    assert created
    node = Identity.generate()
    token = root.issue(node.public_key, ["light.*", "camera.get_frame"], now=clock.now(),
                       lifetime=timedelta(days=90), token_id="t-1")
    assert token.startswith("v4.public.")
    verified = verify_node_token(token, root.public_key, now=clock.now())
    assert verified.node_id == node.node_id
    assert verified.public_key == node.public_key
    assert verified.scopes == ("light.*", "camera.get_frame")
    assert verified.mesh_id == root.mesh_id == mesh_id_for(root.public_key)
    assert verified.token_id == "t-1"
    assert verified.expires_at - verified.issued_at == timedelta(days=90)
    assert verified.claims()["expires_at"] == "2026-04-01T00:00:00Z"


def test_expired_and_not_yet_valid_tokens_say_when(tmp_path: Path) -> None:
    clock = ManualClock()
    root, _ = create_root_key(tmp_path)
    node = Identity.generate()
    token = root.issue(node.public_key, ["*"], now=clock.now(), lifetime=timedelta(days=1),
                       token_id="t-2")
    clock.advance(DAY + 60)  # within the leeway
    verify_node_token(token, root.public_key, now=clock.now())
    clock.advance(1)
    with pytest.raises(TokenError, match=(
        rf"node token t-2 of node {node.node_id} expired at 2026-01-02T00:00:00Z "
        r"\(now 2026-01-02T00:01:01Z\): issue a new one"
    )):
        verify_node_token(token, root.public_key, now=clock.now())
    early = ManualClock()
    with pytest.raises(TokenError, match=r"is not yet valid: valid from 2026-01-01T00:00:00Z"):
        verify_node_token(token, root.public_key,
                          now=early.now() - timedelta(seconds=61))


def test_a_token_of_another_mesh_is_refused_as_such(tmp_path: Path) -> None:
    ours, _ = create_root_key(tmp_path / "ours")
    theirs, _ = create_root_key(tmp_path / "theirs")
    node = Identity.generate()
    token = theirs.issue(node.public_key, ["*"], now=ManualClock().now(),
                         lifetime=timedelta(days=1))
    with pytest.raises(TokenError, match=(
        rf"node token of another mesh \({theirs.mesh_id}\): this hub is in mesh {ours.mesh_id}"
    )):
        read_node_token(token, ours.public_key)


def test_a_forged_token_naming_our_mesh_has_a_bad_signature(tmp_path: Path) -> None:
    ours, _ = create_root_key(tmp_path / "ours")
    forger, _ = create_root_key(tmp_path / "forger")
    node = Identity.generate()
    claims = {"iss": ours.mesh_id, "sub": node.node_id, "key": paseto.b64encode(node.public_key),
              "scopes": ["*"], "iat": "2026-01-01T00:00:00Z", "exp": "2027-01-01T00:00:00Z",
              "jti": "forged"}
    forged = paseto.sign(json.dumps(claims).encode(), forger.signing_key,
                         json.dumps({"kid": ours.mesh_id}, separators=(",", ":")).encode(),
                         IMPLICIT)
    with pytest.raises(TokenError, match="node token: bad token signature"):
        read_node_token(forged, ours.public_key)


def test_something_else_the_root_signed_is_not_a_node_token(tmp_path: Path) -> None:
    root, _ = create_root_key(tmp_path)
    other = paseto.sign(b"{}", root.signing_key,
                        json.dumps({"kid": root.mesh_id}, separators=(",", ":")).encode(),
                        b"atmosphere revocations v1")
    with pytest.raises(TokenError, match="bad token signature"):
        read_node_token(other, root.public_key)


def test_malformed_tokens(tmp_path: Path) -> None:
    root, _ = create_root_key(tmp_path)
    with pytest.raises(TokenError, match="malformed token: expected a 'v4.public.' token"):
        read_node_token("hello", root.public_key)
    footer = json.dumps({"kid": root.mesh_id}, separators=(",", ":")).encode()
    no_scopes = paseto.sign(b'{"iss":"x"}', root.signing_key, footer, IMPLICIT)
    with pytest.raises(TokenError, match="malformed node token claims: 'scopes'"):
        read_node_token(no_scopes, root.public_key)
    node, other = Identity.generate(), Identity.generate()
    claims = {"iss": root.mesh_id, "sub": other.node_id, "key": paseto.b64encode(node.public_key),
              "scopes": ["*"], "iat": "2026-01-01T00:00:00Z", "exp": "2027-01-01T00:00:00Z",
              "jti": "x"}
    mismatch = paseto.sign(json.dumps(claims).encode(), root.signing_key, footer, IMPLICIT)
    with pytest.raises(TokenError, match=f"its node id {other.node_id} is not its key's"):
        read_node_token(mismatch, root.public_key)


def test_issue_checks_its_input(tmp_path: Path) -> None:
    root, _ = create_root_key(tmp_path)
    now, key = ManualClock().now(), Identity.generate().public_key
    with pytest.raises(TokenError, match="scope 'Light On' is not a tool cluster: write TYPE.TOOL"):
        root.issue(key, ["Light On"], now=now, lifetime=timedelta(days=1))
    with pytest.raises(TokenError, match="at least one scope"):
        root.issue(key, [], now=now, lifetime=timedelta(days=1))
    with pytest.raises(TokenError, match="32 bytes, this one 3"):
        root.issue(b"abc", ["*"], now=now, lifetime=timedelta(days=1))
    with pytest.raises(TokenError, match="positive time"):
        root.issue(key, ["*"], now=now, lifetime=timedelta(0))


@pytest.mark.parametrize(
    ("scopes", "cluster", "allowed"),
    [
        (["light.*"], "light.turn_on", True),
        (["light.turn_on"], "light.turn_on", True),
        (["light.turn_on"], "light.turn_off", False),
        (["light"], "light.toggle", True),
        (["light.*"], "lightning.strike", False),
        (["camera.get_frame"], "camera.get_frame", True),
        (["llm/chat.chat"], "llm/chat.chat", True),
        (["llm/chat.*"], "llm/chat.chat", True),
        (["llm.*"], "llm/chat.chat", False),
        (["*"], "lock.unlock", True),
        ([], "light.turn_on", False),
    ],
)
def test_scopes_cover_clusters(scopes: list[str], cluster: str, allowed: bool) -> None:
    assert scope_allows(scopes, cluster) is allowed


def test_root_key_file_is_private_and_stable(tmp_path: Path) -> None:
    root, created = create_root_key(tmp_path / "mesh")
    again, created_again = create_root_key(tmp_path / "mesh")
    assert created and not created_again
    assert again.public_key == root.public_key
    key_file = tmp_path / "mesh" / ROOT_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "mesh").stat().st_mode) == 0o700
    published = (tmp_path / "mesh" / ROOT_PUBLIC_FILE).read_text().strip()
    assert decode_public_key(published) == root.public_key
    key_file.chmod(0o644)
    with pytest.raises(ConfigError, match="root.key is accessible by other users"):
        load_root_key(tmp_path / "mesh")
    with pytest.raises(ConfigError, match="no mesh root key here: run `atmosphere mesh init"):
        load_root_key(tmp_path / "elsewhere")


PASERK = json.loads((Path(__file__).parent / "data" / "paseto" / "k4.public.json").read_text())


@pytest.mark.parametrize("vector", PASERK["tests"], ids=lambda v: v["name"])
def test_public_keys_are_paserk_k4_public(vector: dict[str, object]) -> None:
    key = bytes.fromhex(str(vector["key"]))
    if vector["expect-fail"]:
        with pytest.raises(TokenError, match="a k4.public key is a 32-byte Ed25519 public key"):
            encode_public_key(key)
        return
    assert encode_public_key(key) == vector["paserk"]
    assert decode_public_key(str(vector["paserk"])) == key


def test_public_keys_that_are_not_k4_public_are_refused() -> None:
    with pytest.raises(TokenError, match="expected a 'k4.public.' key"):
        decode_public_key("k3.public.AAAA")
    with pytest.raises(TokenError, match="32 bytes, this one 3"):
        decode_public_key("k4.public.AAAA")
