"""Remote `camera.get_frame` across MQTT bridges: zero, one and two bridges.

Three sites in a chain, each a hub on its own Mosquitto on loopback: A (a plain Mosquitto,
the camera), B (its embedded broker bridged to A) and C (its embedded broker bridged to
B), the bridges generated from `mesh: bridges:` with topics scoped per node
(docs/mesh.md, "Bridges"). Each hub holds a node token of one mesh. Then sequential
`hub.call("camera.porch", "get_frame", node=A)` from A itself (no bridge: A's own broker),
from B (one bridge) and from C (two bridges): a signed request out and a signed binary
reply back, `--size` bytes of frame.

    python -m bench.mesh_bridge [--calls 200] [--size 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Mapping
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.report import report
from hub.config import load_config
from hub.errors import CallTimeout
from hub.identity import load_or_create_identity
from hub.mesh.tokens import create_root_key, encode_public_key
from hub.mesh.trust import MESH_DIR, NODE_TOKEN_FILE
from hub.model import Capability, Tool, ToolResult
from hub.runtime import Hub
from tests.broker import Mosquitto, free_port
from tests.hubs import write_config

CAMERA = Capability(id="camera.porch", type="camera", name="Porch camera",
                    tools=(Tool("get_frame"),))


async def run(args: argparse.Namespace) -> None:
    frame = b"\xff\xd8" + os.urandom(max(0, args.size - 4)) + b"\xff\xd9"

    async def camera(tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        return ToolResult(data=frame, content_type="image/jpeg")

    with tempfile.TemporaryDirectory(prefix="bench-mesh-bridge-") as tmp:
        base = Path(tmp)
        root, _ = create_root_key(base / "root")
        section = {"root_key": encode_public_key(root.public_key)}
        ids = {}
        for name in "abc":
            identity = load_or_create_identity(base / name / "data")
            ids[name] = str(identity.node_id)
            token = root.issue(identity.public_key, ["*"],
                               now=datetime.now(UTC) - timedelta(hours=1),
                               lifetime=timedelta(days=1))
            folder = base / name / "data" / MESH_DIR
            folder.mkdir(parents=True, exist_ok=True)
            (folder / NODE_TOKEN_FILE).write_text(token)
            (folder / NODE_TOKEN_FILE).chmod(0o600)
        a_broker = Mosquitto(base / "mosquitto-a")
        a_broker.start()
        try:
            b_port, c_port = free_port(), free_port()

            def site(name: str, **mqtt: Any) -> Any:
                return load_config(write_config(base / name, mqtt=mqtt, mesh=section))

            def bridged(name: str, port: int, peer: str, address: str, remote: list[str],
                        local: list[str]) -> Any:
                bridge = {"peer": peer, "address": address, "remote_nodes": remote,
                          "local_nodes": local}
                return load_config(write_config(
                    base / name, mqtt={"port": free_port(),
                                       "embedded": {"host": "127.0.0.1", "port": port}},
                    mesh={**section, "bridges": [bridge]},
                ))

            async with AsyncExitStack() as stack:
                a = await stack.enter_async_context(
                    Hub(site("a", host=a_broker.host, port=a_broker.port))
                )
                a.registry.add(CAMERA, camera)
                b = await stack.enter_async_context(Hub(bridged(
                    "b", b_port, "site-a", f"127.0.0.1:{a_broker.port}", [ids["a"]],
                    [ids["b"], ids["c"]],
                )))
                c = await stack.enter_async_context(Hub(bridged(
                    "c", c_port, "site-b", f"127.0.0.1:{b_port}", [ids["a"], ids["b"]],
                    [ids["c"]],
                )))
                rows, figures = [], {}
                for label, caller in (("0 (same broker)", a), ("1", b), ("2", c)):
                    await _until_reachable(caller, ids["a"])
                    samples = []
                    for _ in range(args.calls):
                        started = time.perf_counter()
                        result = await caller.call("camera.porch", "get_frame", node=ids["a"])
                        samples.append((time.perf_counter() - started) * 1000.0)
                        assert result.data == frame
                    samples.sort()
                    p50 = statistics.median(samples)
                    p95 = samples[int(0.95 * (len(samples) - 1))]
                    figures[f"bridges_{label[0]}"] = {"p50_ms": round(p50, 2),
                                                      "p95_ms": round(p95, 2)}
                    rows.append([label, f"{p50:.2f}", f"{p95:.2f}",
                                 f"{args.size / 1e6 / (p50 / 1000):.0f}"])
        finally:
            a_broker.stop()
    report("mesh_bridge", {"calls": args.calls, "size": args.size}, figures,
           ["bridges", "p50 ms", "p95 ms", "MB/s at p50"], rows)


async def _until_reachable(hub: Hub, node: str) -> None:
    """The bridges connect after the hubs start: wait until a call gets through."""
    deadline = time.monotonic() + 30
    while True:
        try:
            await hub.call("camera.porch", "get_frame", node=node, timeout=1.0)
            return
        except CallTimeout:
            if time.monotonic() > deadline:
                raise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--size", type=int, default=100_000, help="frame bytes")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
