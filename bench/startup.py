"""`atmosphere run` to ready, the hub's RSS at idle with the demo devices, and its RSS once
the embedding model is loaded by a routed request.

Starts the real command as a subprocess on a bare data directory, with the embedded broker
on a free port (nothing may answer there), measures the time until `/api/health` answers,
then lets it idle and reads its resident set size from /proc. Repeats a few times.

    python -m bench.startup [--runs 5] [--idle 10]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.report import report
from tests.broker import free_port


def rss_mb(pid: int) -> float:
    total = 0
    for child in [pid, *children(pid)]:
        try:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def children(pid: int) -> list[int]:
    found: list[int] = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:  # the parent pid follows the state field
            found.append(int(stat.parent.name))
    return found


def one_run(idle: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        config_dir = Path(tmp) / "config"
        config_dir.mkdir()
        mqtt_port, http_port = free_port(), free_port()
        (config_dir / "configuration.yaml").write_text(
            f"data_dir: {tmp}/data\nmqtt:\n  port: {mqtt_port}\n  embedded:\n    port: {mqtt_port}\n"
            f"http:\n  port: {http_port}\nintegrations:\n  demo:\n"
        )
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "run", "--config", str(config_dir)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        url = f"http://127.0.0.1:{http_port}/api/health"
        ready = None
        while time.perf_counter() - start < 30:
            try:
                if httpx.get(url, timeout=0.2).status_code == 200:
                    ready = time.perf_counter() - start
                    break
            except httpx.HTTPError:
                time.sleep(0.01)
        if ready is None:
            proc.kill()
            raise RuntimeError(f"hub did not become ready: {proc.stderr.read().decode()[-2000:]}")
        time.sleep(idle)
        hub_rss = rss_mb(proc.pid) - sum(rss_mb(c) for c in children(proc.pid))
        broker_rss = sum(rss_mb(c) for c in children(proc.pid))
        # The first routed request that needs the embeddings loads the model (and, on a data directory's
        # first use, builds its per-channel quantised copy); the second is warm.
        token = (Path(tmp) / "data" / "api_token").read_text().strip()
        headers = {"Authorization": f"Bearer {token}"}
        route_url = f"http://127.0.0.1:{http_port}/api/route"
        # One client: httpx builds an SSL context per client (~20 ms), which is not the hub's.
        with httpx.Client(headers=headers, timeout=120) as client:
            client.get(f"http://127.0.0.1:{http_port}/api/health").raise_for_status()
            first_start = time.perf_counter()
            answer = client.post(route_url, json={"text": "kitchen light please"})  # no verb
            first_route = time.perf_counter() - first_start
            answer.raise_for_status()
            warm_start = time.perf_counter()
            client.post(route_url, json={"text": "how warm is the living room?"}).raise_for_status()
            warm_route = time.perf_counter() - warm_start
        model_rss = rss_mb(proc.pid) - sum(rss_mb(c) for c in children(proc.pid))
        proc.send_signal(signal.SIGINT)
        stop_start = time.perf_counter()
        code = proc.wait(30)
        stopped = time.perf_counter() - stop_start
        if code != 0:
            raise RuntimeError(f"hub exited {code}: {proc.stderr.read().decode()[-2000:]}")
        return {"ready_s": ready, "hub_rss_mb": hub_rss, "broker_rss_mb": broker_rss,
                "first_route_s": first_route, "warm_route_ms": warm_route * 1000,
                "hub_rss_with_model_mb": model_rss, "stop_s": stopped}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle", type=float, default=10.0)
    args = parser.parse_args()
    runs = [one_run(args.idle) for _ in range(args.runs)]
    figures = {
        key: {"median": statistics.median(r[key] for r in runs),
              "max": max(r[key] for r in runs)}
        for key in runs[0]
    }
    rows = [
        ("run to ready (API answers)", f"{figures['ready_s']['median']:.2f} s",
         f"{figures['ready_s']['max']:.2f} s", "<= 2 s"),
        ("hub RSS at idle, demo devices", f"{figures['hub_rss_mb']['median']:.1f} MB",
         f"{figures['hub_rss_mb']['max']:.1f} MB", "<= 80 MB"),
        ("embedded Mosquitto RSS", f"{figures['broker_rss_mb']['median']:.1f} MB",
         f"{figures['broker_rss_mb']['max']:.1f} MB", ""),
        ("first routed request (model load)", f"{figures['first_route_s']['median']:.2f} s",
         f"{figures['first_route_s']['max']:.2f} s", ""),
        ("routed request, warm (HTTP round trip)",
         f"{figures['warm_route_ms']['median']:.1f} ms", f"{figures['warm_route_ms']['max']:.1f} ms",
         ""),
        ("hub RSS with the model loaded", f"{figures['hub_rss_with_model_mb']['median']:.1f} MB",
         f"{figures['hub_rss_with_model_mb']['max']:.1f} MB", "<= 250 MB"),
        ("SIGINT to exit", f"{figures['stop_s']['median']:.2f} s",
         f"{figures['stop_s']['max']:.2f} s", ""),
    ]
    report("startup", {"runs": args.runs, "idle_s": args.idle}, figures,
           ("figure", "median", "max", "target"), rows)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
