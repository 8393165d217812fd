"""Language routing: accuracy and latency per sentence, in-process and over HTTP, and the
hub's RSS with the embedding model loaded.

In-process: every sentence of the project's labelled split (tests/data/routing) and, with
``--dev DIR``, of the routing development corpus (its homes read as they are, Home
Assistant-shaped, and its own scorer), resolved rules-only and with the embedding model
(used only when no verb is heard). Over HTTP: a real hub (`atmosphere run`, embedded
broker, the demo devices) on loopback answers ``POST /api/route`` for a fixed list of
sentences; the hub's RSS is read after the model has loaded.

    python -m bench.routing_language [--dev ../shared/routing-dev] [--rounds 20]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from bench.report import report
from bench.startup import children, rss_mb
from hub.capfile import load_capability_file
from hub.routing.language import Resolver
from tests.broker import free_port

ROOT = Path(__file__).resolve().parent.parent
HTTP_SENTENCES = (
    "turn on the kitchen light", "is the front door locked?", "dim the living room lights to 30%",
    "turn off the light", "set the thermostat to 21 degrees", "kitchen light please",
    "close the blinds", "what's the temperature in the living room?", "lights off upstairs",
    "make it warmer", "lock the front door", "is anything on in the kitchen?",
    "the kitchen light, if you would be so kind",  # no verb: the model answers
)  # fmt: skip


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _time(resolver: Resolver, texts: Sequence[tuple[str, dict[str, Any]]]) -> list[float]:
    out = []
    for text, context in texts:
        start = time.perf_counter()
        resolver.resolve(text, context)
        out.append((time.perf_counter() - start) * 1000)
    return out


def project_split(embedder: Any) -> dict[str, Any]:
    data = ROOT / "tests" / "data" / "routing"
    capabilities = load_capability_file(data / "devices.yaml")
    texts = [
        (d["text"], d.get("context") or {})
        for split in ("train.jsonl", "test.jsonl")
        for d in map(json.loads, (data / split).read_text().splitlines())
    ]
    figures: dict[str, Any] = {}
    for label, used in (("rules", None), ("model", embedder)):
        resolver = Resolver(capabilities, embedder=used)
        _time(resolver, texts)  # warm: caches, the model's first call
        ms = _time(resolver, texts)
        figures[label] = {"p50_ms": percentile(ms, 0.5), "p99_ms": percentile(ms, 0.99),
                          "n": len(ms)}  # fmt: skip
    evaluate = importlib.import_module("hub.routing.language.evaluate")
    result = evaluate.evaluate(data / "test.jsonl", data / "devices.yaml", embedder=None)
    figures["test_split_all"] = result["all"]
    return figures


def dev_corpus(directory: Path, embedder: Any) -> dict[str, Any]:
    spec = importlib.util.spec_from_file_location("routing_dev_score", directory / "score.py")
    assert spec is not None and spec.loader is not None
    score = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(score)
    queries = [json.loads(line) for line in (directory / "queries.jsonl").open()]
    homes: dict[str, list[dict[str, Any]]] = {}
    for query in queries:
        homes.setdefault(query["home"], []).append(query)
    types: dict[str, str] = {}
    figures: dict[str, Any] = {}
    for label, used in (("rules", None), ("model", embedder)):
        marks: dict[str, list[tuple[bool, bool | None, bool | None]]] = {}
        ms: list[float] = []
        outcomes: dict[str, int] = {}
        for home, items in sorted(homes.items()):
            path = directory / "homes" / f"{home}_devices.json"
            capabilities = load_capability_file(path)
            types.update({c.id: c.type for c in capabilities})
            resolver = Resolver(capabilities, embedder=used)
            for query in items:
                start = time.perf_counter()
                resolution = resolver.resolve(query["text"], query.get("context") or {})
                ms.append((time.perf_counter() - start) * 1000)
                outcomes[resolution.outcome] = outcomes.get(resolution.outcome, 0) + 1
                mark = score.judge_best(query["expect"], resolution.as_json(), types)
                source = query["source"].split(":", 1)[0]
                marks.setdefault(source, []).append(mark)
                marks.setdefault("all", []).append(mark)
        figures[label] = {
            "p50_ms": percentile(ms, 0.5),
            "p99_ms": percentile(ms, 0.99),
            "outcomes": outcomes,
            **{source: _rates(rows) for source, rows in marks.items()},
        }
    return figures


def _rates(rows: list[tuple[bool, bool | None, bool | None]]) -> dict[str, float]:
    def share(values: list[bool]) -> float:
        return round(sum(values) / len(values), 3) if values else float("nan")

    return {
        "n": len(rows),
        "tool": share([r[0] for r in rows]),
        "target": share([r[1] for r in rows if r[1] is not None]),
        "args": share([r[2] for r in rows if r[2] is not None]),
        "all": share([r[0] and r[1] is not False and r[2] is not False for r in rows]),
    }


def over_http(rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        config_dir = Path(tmp) / "config"
        config_dir.mkdir()
        mqtt_port, http_port = free_port(), free_port()
        (config_dir / "configuration.yaml").write_text(
            f"data_dir: {tmp}/data\nmqtt:\n  port: {mqtt_port}\n  embedded:\n"
            f"    port: {mqtt_port}\nhttp:\n  port: {http_port}\nintegrations:\n  demo:\n"
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "run", "--config", str(config_dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{http_port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base}/api/health", timeout=0.2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("hub did not become ready")
                time.sleep(0.05)
            token = (Path(tmp) / "data" / "api_token").read_text().strip()
            ms: list[float] = []
            outcomes: dict[str, int] = {}
            with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=120) as api:
                for text in HTTP_SENTENCES:  # warm: the model loads on the first no-verb one
                    api.post(f"{base}/api/route", json={"text": text}).raise_for_status()
                for _ in range(rounds):
                    for text in HTTP_SENTENCES:
                        start = time.perf_counter()
                        answer = api.post(f"{base}/api/route", json={"text": text})
                        ms.append((time.perf_counter() - start) * 1000)
                        answer.raise_for_status()
                        outcome = answer.json()["outcome"]
                        outcomes[outcome] = outcomes.get(outcome, 0) + 1
            hub_rss = rss_mb(proc.pid) - sum(rss_mb(c) for c in children(proc.pid))
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(30)
    return {"p50_ms": percentile(ms, 0.5), "p99_ms": percentile(ms, 0.99), "n": len(ms),
            "outcomes": outcomes, "hub_rss_with_model_mb": hub_rss}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.routing_language")
    parser.add_argument("--dev", type=Path, help="the routing development corpus directory")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    from hub.routing.embedder import Embedder

    embedder = Embedder(threads=1)
    figures: dict[str, Any] = {"project": project_split(embedder)}
    if args.dev is not None:
        figures["dev"] = dev_corpus(args.dev, embedder)
    figures["http"] = over_http(args.rounds)
    rows = []
    for label in ("rules", "model"):
        p = figures["project"][label]
        rows.append([f"project split, {label}", f"{p['p50_ms']:.2f}", f"{p['p99_ms']:.2f}", ""])
    rows.append(["project test split all-correct", "", "", f"{figures['project']['test_split_all']}"])
    for label in ("rules", "model") if "dev" in figures else ():
        d = figures["dev"][label]
        o = d["all"]
        summary = f"tool {o['tool']} target {o['target']} args {o['args']} all {o['all']}"
        rows.append([f"dev corpus, {label}", f"{d['p50_ms']:.2f}", f"{d['p99_ms']:.2f}", summary])
        for source in sorted(k for k in d if k not in ("all", "p50_ms", "p99_ms", "outcomes")):
            s = d[source]
            rows.append([f"  {source} ({s['n']})", "", "",
                         f"tool {s['tool']} target {s['target']} args {s['args']} all {s['all']}"])
    h = figures["http"]
    rows.append(["POST /api/route (real hub, loopback)", f"{h['p50_ms']:.2f}", f"{h['p99_ms']:.2f}",
                 f"hub RSS with the model {h['hub_rss_with_model_mb']:.0f} MB"])  # fmt: skip
    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
    report("routing_language", {"dev": str(args.dev or ""), "rounds": args.rounds,
                                "load_1min": load}, figures,
           ["measure", "p50 ms", "p99 ms", "figures"], rows)  # fmt: skip


if __name__ == "__main__":
    main()
