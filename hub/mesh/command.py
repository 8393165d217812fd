"""``atmosphere mesh``: make a mesh root, issue node tokens, join, revoke, show status.

    atmosphere mesh init [DIR]                       the root key (DIR, default <data>/mesh)
    atmosphere mesh token issue --node ID --public-key K --scope light.* [--days 90]
    atmosphere mesh join TOKEN [--root-key K]        this hub's token and the root key
    atmosphere mesh revoke JTI [--push]              a new signed revocation list
    atmosphere mesh status [--json]                  mesh id, token, peers, counters
    atmosphere mesh bridge-config --peer NAME --address HOST:PORT --remote-node ID ...
                                                     a Mosquitto bridge to a peer site

`init`, `token issue` and `revoke` run on the machine that keeps the root key; `join` and
`status` on each hub. Outputs meant for scripts (a token, a revocation list) are printed
alone on stdout; hints go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hub.config import HubConfig
from hub.errors import AtmosphereError, ConfigError, FabricError, TokenError
from hub.identity import TOKEN_FILE, load_or_create_identity, node_id_for
from hub.mesh.revocations import sign_revocations
from hub.mesh.tokens import (
    create_root_key,
    decode_public_key,
    encode_public_key,
    format_time,
    load_root_key,
    read_node_token,
)
from hub.mesh.trust import MESH_DIR, Paths, join, root_public_key

ISSUED_FILE = "issued.jsonl"
"""In the root's directory: one line per token issued (jti, node, expiry), for `revoke`."""
REVOKED_FILE = "revoked.json"
REVOCATIONS_FILE = "revocations.paseto"


def add_parser(subparsers: Any) -> None:
    mesh = subparsers.add_parser(
        "mesh", help="the mesh of hubs: root key, node tokens, joining, revoking, status",
        description="Federate hubs: a mesh root key issues node tokens; each hub joins with"
        " its token; peers verify each other offline (docs/mesh.md).",
    )
    sub = mesh.add_subparsers(dest="mesh_command", required=True, metavar="ACTION")

    init = sub.add_parser("init", help="create the mesh root key and print the mesh id")
    init.add_argument("directory", nargs="?", metavar="DIR",
                      help="where the root key lives (default: the data directory's mesh/)")
    _where(init)
    init.set_defaults(func=cmd_init)

    token = sub.add_parser("token", help="node tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    issue = token_sub.add_parser("issue", help="issue a node token (prints it)")
    issue.add_argument("--node", required=True, help="the node id (from `mesh status`)")
    issue.add_argument("--public-key", required=True,
                       help="the node's public key, k4.public... (from `mesh status`)")
    issue.add_argument("--scope", action="append", required=True, metavar="SCOPE",
                       help="a tool cluster it may call: light.*, camera.get_frame, *"
                       " (repeat for more)")
    issue.add_argument("--days", type=float, default=90.0, help="lifetime (default 90)")
    _root(issue)
    issue.set_defaults(func=cmd_issue)

    join_ = sub.add_parser("join", help="store this hub's node token and the mesh root key")
    join_.add_argument("token", help="the node token `mesh token issue` printed")
    join_.add_argument("--root-key", help="the mesh root public key, k4.public... (default:"
                       " mesh: root_key in configuration, or the one joined before)")
    _where(join_)
    join_.set_defaults(func=cmd_join)

    revoke = sub.add_parser("revoke", help="revoke a node token (prints the signed list)")
    revoke.add_argument("jti", help="the token id to revoke")
    revoke.add_argument("--expires", help="the token's expiry (RFC 3339), when this root"
                        " has no record of issuing it")
    revoke.add_argument("--push", action="store_true",
                        help="also hand the list to the running hub (its HTTP API)")
    _root(revoke)
    _client(revoke, where=False)
    revoke.set_defaults(func=cmd_revoke)

    status = sub.add_parser("status", help="mesh id, this node's token, peers, counters")
    status.add_argument("--json", action="store_true", help="print JSON")
    _client(status)
    status.set_defaults(func=cmd_status)

    bridge = sub.add_parser(
        "bridge-config", help="print (or write) Mosquitto bridge configuration to a peer site",
        description="A bridge from this site's broker to a peer site's: the mesh topics and"
        " node status both ways, each node's rpc and reply topics only towards that node,"
        " device topics never. Bridges must form a tree (docs/mesh.md, Bridges).",
    )
    bridge.add_argument("--peer", required=True, help="the peer site's name (the connection)")
    bridge.add_argument("--address", required=True, metavar="HOST:PORT",
                        help="the peer site's broker")
    bridge.add_argument("--remote-node", action="append", default=[], metavar="ID",
                        help="a node behind the bridge (every node on the far side of this"
                        " link; repeat for more)")
    bridge.add_argument("--local-node", action="append", default=[], metavar="ID",
                        help="a node on this side (default: this hub's node id; repeat)")
    bridge.add_argument("--username", help="user name on the peer broker")
    bridge.add_argument("--output", metavar="FILE",
                        help="write to FILE (e.g. /etc/mosquitto/conf.d/atmosphere-PEER.conf)"
                        " instead of stdout")
    _where(bridge)
    bridge.set_defaults(func=cmd_bridge_config)


def _where(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="DIR", help="configuration directory")
    parser.add_argument("--data", metavar="DIR", help="data directory")


def _root(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", metavar="DIR",
                        help="the root key's directory (default: the data directory's mesh/)")
    _where(parser)


def _client(parser: argparse.ArgumentParser, *, where: bool = True) -> None:
    if where:
        _where(parser)
    parser.add_argument("--url", help="the hub's HTTP address (default: from configuration)")
    parser.add_argument("--token", help="API token (default: $ATMOSPHERE_TOKEN or the data dir)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds (default 10)")


def _config(args: argparse.Namespace) -> HubConfig:
    import dataclasses
    import os

    from hub.config import builtin_config, default_config_dir, load_config

    directory = Path(args.config) if args.config else None
    if directory is None:
        env = os.environ.get("ATMOSPHERE_CONFIG")
        directory = Path(env) if env else default_config_dir()
    config = load_config(directory) if directory is not None else builtin_config()
    if args.data:
        config = dataclasses.replace(config, data_dir=Path(args.data).resolve())
    return config


def _root_dir(args: argparse.Namespace) -> Path:
    explicit = getattr(args, "root", None) or getattr(args, "directory", None)
    return Path(explicit) if explicit else _config(args).data_dir / MESH_DIR


def cmd_init(args: argparse.Namespace) -> int:
    directory = _root_dir(args)
    root, created = create_root_key(directory)
    what = "created the mesh root key" if created else "the mesh root key exists already"
    print(f"{what}: {directory / 'root.key'} (mode 0600: it never leaves this machine;"
          " back it up offline)")
    print(f"mesh id:  {root.mesh_id}")
    print(f"root key: {encode_public_key(root.public_key)}")
    return 0


def cmd_issue(args: argparse.Namespace) -> int:
    directory = _root_dir(args)
    root = load_root_key(directory)
    public_key = decode_public_key(args.public_key, "--public-key")
    if node_id_for(public_key) != args.node:
        raise TokenError(
            f"--node {args.node} is not the node id of --public-key (that is node "
            f"{node_id_for(public_key)}): copy both from `atmosphere mesh status` on the hub"
        )
    if not args.days > 0:
        raise TokenError(f"--days must be more than 0, got {args.days:g}")
    token = root.issue(public_key, args.scope, now=datetime.now(UTC),
                       lifetime=timedelta(days=args.days))
    claims = read_node_token(token, root.public_key)
    with open(directory / ISSUED_FILE, "a", encoding="utf-8") as log:
        log.write(json.dumps({"jti": claims.token_id, "node": claims.node_id,
                              "exp": format_time(claims.expires_at)}) + "\n")
    print(token)
    print(f"token id {claims.token_id}, expires {format_time(claims.expires_at)}; on the hub:"
          f"\n  atmosphere mesh join {token[:24]}... --root-key "
          f"{encode_public_key(root.public_key)}", file=sys.stderr)
    return 0


def cmd_join(args: argparse.Namespace) -> int:
    config = _config(args)
    if args.root_key:
        root_public = decode_public_key(args.root_key, "--root-key")
    else:
        found = root_public_key(config.mesh, config.data_dir)
        if found is None:
            raise ConfigError(
                "no mesh root public key: pass --root-key k4.public... (printed by"
                " `atmosphere mesh init`), or set mesh: root_key: in configuration.yaml"
            )
        root_public = found
    identity = load_or_create_identity(config.data_dir)
    token = join(config.mesh, config.data_dir, identity, args.token, root_public,
                 datetime.now(UTC))
    paths = Paths.of(config.mesh, config.data_dir)
    print(f"joined mesh {token.mesh_id} as node {token.node_id}; token {token.token_id} "
          f"expires {format_time(token.expires_at)}; scopes {', '.join(token.scopes)}")
    print(f"stored {paths.node_token} and {paths.root_public}; restart the hub to use them")
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    directory = _root_dir(args)
    root = load_root_key(directory)
    expires = _expiry(directory, args.jti, args.expires)
    revoked_path = directory / REVOKED_FILE
    entries: dict[str, datetime] = {}
    if revoked_path.exists():
        for jti, when in json.loads(revoked_path.read_text()).items():
            entries[jti] = datetime.fromisoformat(when)
    now = datetime.now(UTC)
    entries[args.jti] = expires
    entries = {jti: when for jti, when in entries.items() if when > now}
    signed = sign_revocations(root, entries, now=now)
    revoked_path.write_text(json.dumps({j: format_time(w) for j, w in entries.items()}))
    (directory / REVOCATIONS_FILE).write_text(signed + "\n")
    print(signed)
    print(f"revoked {args.jti} until {format_time(expires)} ({len(entries)} in the list,"
          f" saved in {directory / REVOCATIONS_FILE})", file=sys.stderr)
    if args.push:
        answer = asyncio.run(_with_client(args, lambda c: c.add_revocations(signed)))
        print(f"the hub now revokes: {', '.join(answer.get('revoked', []))}", file=sys.stderr)
    return 0


def _expiry(directory: Path, jti: str, given: str | None) -> datetime:
    if given:
        try:
            when = datetime.fromisoformat(given)
        except ValueError:
            raise TokenError(f"--expires {given!r} is not an RFC 3339 time") from None
        return when if when.tzinfo else when.replace(tzinfo=UTC)
    log = directory / ISSUED_FILE
    if log.exists():
        for line in log.read_text().splitlines():
            record = json.loads(line)
            if record.get("jti") == jti:
                return datetime.fromisoformat(record["exp"])
    raise TokenError(
        f"no token {jti} was issued from {directory}: give its expiry with --expires "
        "(the revocation is kept until then)"
    )


async def _with_client(args: argparse.Namespace, use: Any) -> Any:
    import os

    from hub.client import HubClient

    url, token = args.url, args.token or os.environ.get("ATMOSPHERE_TOKEN")
    if url is None or token is None:
        config = _config(args)
        url = url or f"http://{config.http.host}:{config.http.port}"
        if token is None:
            try:
                token = (config.data_dir / TOKEN_FILE).read_text().strip()
            except OSError as exc:
                raise AtmosphereError(
                    f"no API token: cannot read {config.data_dir / TOKEN_FILE} "
                    f"({exc.strerror}); pass --token or set ATMOSPHERE_TOKEN"
                ) from None
    async with HubClient(url, token, timeout=args.timeout) as client:
        return await use(client)


def cmd_status(args: argparse.Namespace) -> int:
    config = _config(args)
    identity = load_or_create_identity(config.data_dir)
    root_public = root_public_key(config.mesh, config.data_dir)
    status: dict[str, Any] = {
        "mesh_id": None, "node_id": identity.node_id,
        "public_key": encode_public_key(identity.public_key), "node_token": None,
    }
    if root_public is not None:
        from hub.mesh.tokens import mesh_id_for

        status["mesh_id"] = mesh_id_for(root_public)
        status["root_key"] = encode_public_key(root_public)
        path = Paths.of(config.mesh, config.data_dir).node_token
        if path.exists():
            status["node_token"] = read_node_token(path.read_text(), root_public).claims()
    unreachable = ""
    try:
        status.update(asyncio.run(_with_client(args, lambda c: c.mesh())))
    except FabricError:
        unreachable = "not running"
    except AtmosphereError as exc:  # no API token yet, or a wrong one
        unreachable = f"not reachable: {exc}"
    if args.json:
        print(json.dumps({**status, "hub_running": not unreachable}, indent=2))
        return 0
    for line in _lines(status, unreachable):
        print(line)
    return 0


def _lines(status: dict[str, Any], unreachable: str) -> list[str]:
    lines = [
        f"mesh:       {status['mesh_id'] or 'none (run `atmosphere mesh join TOKEN`)'}",
        f"node:       {status['node_id']}",
        f"public key: {status['public_key']}",
    ]
    token = status.get("node_token")
    if token:
        lines.append(f"node token: {token['token_id']}, expires {token['expires_at']}, "
                     f"scopes {', '.join(token['scopes'])}")
    elif status["mesh_id"]:
        lines.append("node token: none: peers refuse this hub's requests")
    if unreachable:
        lines.append(f"hub:        {unreachable} (peers, revocations and counters unknown)")
        return lines
    peers = status.get("peers", [])
    lines.append(f"peers:      {len(peers)}")
    for peer in peers:
        revoked = " REVOKED" if peer.get("revoked") else ""
        lines.append(f"  {peer['node']}  expires {peer['expires_at']}  "
                     f"scopes {', '.join(peer['scopes'])}{revoked}")
    revocations = status.get("revocations", {})
    lines.append(f"revoked:    {len(revocations)}")
    for jti, until in sorted(revocations.items()):
        lines.append(f"  {jti}  until {until}")
    refused = status.get("rpc", {}).get("server", {}).get("refused", {})
    counts = ", ".join(f"{k} {v}" for k, v in sorted(refused.items())) or "none"
    lines.append(f"refused:    {counts}")
    return lines


def cmd_bridge_config(args: argparse.Namespace) -> int:
    from hub.config import BridgeConfig
    from hub.mesh.bridges import bridges_config

    local = tuple(args.local_node)
    if not local:
        local = (str(load_or_create_identity(_config(args).data_dir).node_id),)
    bridge = BridgeConfig(
        peer=args.peer, address=args.address, remote_nodes=tuple(args.remote_node),
        local_nodes=local, username=args.username,
    )
    host, _, port = args.address.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"--address: expected the peer broker as HOST:PORT, got {args.address!r}")
    if not bridge.remote_nodes:
        print("warning: no --remote-node: only mesh and status topics will cross this bridge",
              file=sys.stderr)
    text = bridges_config([bridge], local[0])
    if args.output:
        Path(args.output).write_text(text)
        print(f"wrote {args.output}; restart Mosquitto to open the bridge (it is not"
              " reloaded on SIGHUP)", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
