"""`atmosphere mesh` as a user runs it: real subprocesses, real files, a real hub."""

from __future__ import annotations

import asyncio
import json
import stat
import subprocess
import sys
from pathlib import Path

from hub.config import load_config
from hub.mesh.tokens import decode_public_key, read_node_token
from hub.runtime import Hub
from tests.broker import Mosquitto
from tests.hubs import write_config
from tests.test_mesh_peers import LIGHT, light
from tests.test_web_events import serving
from web import create_app

ATMOSPHERE = [sys.executable, "-m", "hub.cli"]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ATMOSPHERE, *args], check=False, capture_output=True, text=True,
                          timeout=60)


async def acli(*args: str) -> tuple[int, str, str]:
    """The CLI against a hub served by this test's own event loop (so: not blocking it)."""
    process = await asyncio.create_subprocess_exec(
        *ATMOSPHERE, *args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def field(output: str, name: str) -> str:
    return next(line.split(":", 1)[1].strip() for line in output.splitlines()
                if line.startswith(f"{name}:"))


def test_init_issue_join_revoke(tmp_path: Path) -> None:
    root_dir, hub_data = tmp_path / "root", tmp_path / "hub"
    init = cli("mesh", "init", str(root_dir))
    assert init.returncode == 0, init.stderr
    assert init.stdout.startswith(f"created the mesh root key: {root_dir / 'root.key'}")
    mesh_id, root_key = field(init.stdout, "mesh id"), field(init.stdout, "root key")
    assert stat.S_IMODE((root_dir / "root.key").stat().st_mode) == 0o600
    again = cli("mesh", "init", str(root_dir))
    assert "the mesh root key exists already" in again.stdout
    assert field(again.stdout, "mesh id") == mesh_id

    # the hub's own id and key, before it ever ran
    status = cli("mesh", "status", "--json", "--data", str(hub_data), "--url",
                 "http://127.0.0.1:9", "--token", "x" * 20)
    assert status.returncode == 0, status.stderr
    mine = json.loads(status.stdout)
    assert mine["mesh_id"] is None and mine["hub_running"] is False
    node, public_key = mine["node_id"], mine["public_key"]

    wrong = cli("mesh", "token", "issue", "--root", str(root_dir), "--node", "a" * 26,
                "--public-key", public_key, "--scope", "light.*")
    assert wrong.returncode == 1
    assert wrong.stderr == (
        f"atmosphere: --node {'a' * 26} is not the node id of --public-key (that is node "
        f"{node}): copy both from `atmosphere mesh status` on the hub\n"
    )
    bad_scope = cli("mesh", "token", "issue", "--root", str(root_dir), "--node", node,
                    "--public-key", public_key, "--scope", "Lights!")
    assert "scope 'Lights!' is not a tool cluster" in bad_scope.stderr

    issued = cli("mesh", "token", "issue", "--root", str(root_dir), "--node", node,
                 "--public-key", public_key, "--scope", "light.*", "--scope",
                 "camera.get_frame", "--days", "30")
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    assert token.startswith("v4.public.") and "\n" not in token

    other = cli("mesh", "status", "--json", "--data", str(tmp_path / "other"), "--url",
                "http://127.0.0.1:9", "--token", "x" * 20)
    other_data = json.loads(other.stdout)
    refused = cli("mesh", "join", token, "--root-key", root_key, "--data",
                  str(tmp_path / "other"))
    assert refused.returncode == 1
    assert (f"this node token is for node {node}, but this hub is node {other_data['node_id']}"
            in refused.stderr)

    joined = cli("mesh", "join", token, "--root-key", root_key, "--data", str(hub_data))
    assert joined.returncode == 0, joined.stderr
    assert joined.stdout.startswith(f"joined mesh {mesh_id} as node {node}; token ")
    stored = hub_data / "mesh" / "node.token"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    claims = read_node_token(stored.read_text(), decode_public_key(root_key))
    assert claims.scopes == ("light.*", "camera.get_frame")

    status = cli("mesh", "status", "--data", str(hub_data), "--url", "http://127.0.0.1:9",
                 "--token", "x" * 20)
    assert field(status.stdout, "mesh") == mesh_id
    assert field(status.stdout, "node token").startswith(f"{claims.token_id}, expires ")
    assert "not running" in status.stdout

    revoked = cli("mesh", "revoke", claims.token_id, "--root", str(root_dir))
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout.startswith("v4.public.")
    assert f"revoked {claims.token_id} until" in revoked.stderr
    unknown = cli("mesh", "revoke", "nope", "--root", str(root_dir))
    assert unknown.returncode == 1
    assert f"no token nope was issued from {root_dir}: give its expiry with --expires" \
        in unknown.stderr


async def test_status_and_revoke_against_a_running_hub(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    root_dir, data = tmp_path / "root", tmp_path / "data"
    code, out, err = await acli("mesh", "init", str(root_dir))
    root_key = field(out, "root key")
    code, out, err = await acli("mesh", "status", "--json", "--data", str(data), "--url",
                                "http://127.0.0.1:9", "--token", "x" * 20)
    mine = json.loads(out)
    code, token, err = await acli(
        "mesh", "token", "issue", "--root", str(root_dir), "--node", mine["node_id"],
        "--public-key", mine["public_key"], "--scope", "*")
    code, out, err = await acli("mesh", "join", token.strip(), "--root-key", root_key,
                                "--data", str(data))
    assert code == 0, err
    config_dir = write_config(tmp_path, mqtt={"host": mosquitto.host, "port": mosquitto.port})
    async with Hub(load_config(config_dir)) as hub, serving(create_app(hub)) as url:
        hub.registry.add(LIGHT, light)
        assert hub.trust.own_token is not None
        client = ["--url", url, "--token", hub.api_token, "--config", str(config_dir)]
        code, out, err = await acli("mesh", "status", *client)
        assert code == 0, err
        assert field(out, "peers") == "0" and field(out, "revoked") == "0"
        assert field(out, "refused") == "none"
        code, out, err = await acli("mesh", "revoke", hub.trust.own_token.token_id, "--root",
                                    str(root_dir), "--push", *client)
        assert code == 0, err
        assert f"the hub now revokes: {hub.trust.own_token.token_id}" in err
        code, out, err = await acli("mesh", "status", "--json", *client)
        status = json.loads(out)
        assert list(status["revocations"]) == [hub.trust.own_token.token_id]
        assert status["rpc"]["server"]["refused"] == {}
