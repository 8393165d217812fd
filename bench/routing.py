"""Semantic routing: model load, RSS, embedding threads, embed + route at 10..10,000
capabilities, the cached path, and (when part 2's evaluator exists) accuracy.

Capabilities are synthesised: Home Assistant domains and AI kinds with their standard
tools (`hub.domains`), 40 areas, varied names, spread over one local and four remote
nodes with measured latencies. Intents are generated so that every one is new to the
cache (the uncached figures) and then repeated (the cached figures).

Both model variants are measured: the packaged int8 model, and the per-channel
requantised copy (`Embedder(quantised_dir=...)`, built into a temporary directory, when
`onnx` is installed); the routing sweep uses `--variant`. Load time and RSS are taken in a
fresh interpreter per run (median of `--loads`), so they show what a hub pays, not what
this process already holds.

    python -m bench.routing [--sizes 10 100 1000 10000] [--intents 200] [--threads 1]
                            [--variant per-channel|packaged]
"""

from __future__ import annotations

import argparse
import functools
import importlib
import importlib.util
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.report import report
from hub.clock import SystemClock
from hub.domains import standard_tools
from hub.model import Capability, NodeId, WorkUnit
from hub.routing import CapabilityIndex, Embedder, GradientTable, Router
from hub.routing.embedder import MAX_TOKENS, default_tokenizer_path
from hub.routing.wordpiece import WordPiece

LOCAL = NodeId("bench-local")
REMOTES = {NodeId(f"bench-remote-{i}"): 2.0 + 9.0 * i for i in range(4)}

TYPES = {
    "light": ["ceiling light", "desk lamp", "floor lamp", "led strip", "spotlight", "pendant"],
    "switch": ["socket", "plug", "heater switch", "kettle", "coffee machine"],
    "fan": ["ceiling fan", "tower fan", "extractor fan"],
    "cover": ["blinds", "curtains", "shutter", "garage door", "skylight"],
    "lock": ["door lock", "gate lock", "window lock"],
    "climate": ["thermostat", "radiator valve", "air conditioner"],
    "media_player": ["tv", "speaker", "soundbar", "radio"],
    "vacuum": ["robot vacuum", "mop"],
    "camera": ["camera", "doorbell camera", "baby monitor"],
    "sensor": ["temperature sensor", "humidity sensor", "power meter", "air quality sensor"],
    "binary_sensor": ["motion sensor", "door contact", "leak sensor", "smoke detector"],
    "siren": ["siren", "chime"],
    "humidifier": ["humidifier", "dehumidifier"],
    "valve": ["water valve", "irrigation valve"],
    "llm/chat": ["chat model", "assistant"],
    "vision/detect": ["object detector"],
    "audio/transcribe": ["speech to text"],
}
AREAS = [
    "kitchen", "living room", "bedroom", "bathroom", "hallway", "office", "garage", "garden",
    "porch", "attic", "cellar", "dining room", "nursery", "guest room", "laundry", "study",
    "patio", "driveway", "workshop", "pantry",
]  # fmt: skip
AREAS += [f"floor {n} {area}" for n in (2, 3) for area in AREAS[:10]]
INTENT_TEMPLATES = [
    "turn on the {area} {name}",
    "switch off the {name} in the {area}",
    "dim the {area} {name} to {n} percent",
    "what is the state of the {area} {name}",
    "open the {area} {name}",
    "set the {area} {name} to {n}",
    "is the {name} in the {area} on",
    "lock the {area} {name}",
    "show me the {area} {name}",
]


def synthesise(n: int, rng: random.Random) -> list[Capability]:
    types = list(TYPES)
    nodes = [LOCAL, *REMOTES]
    caps = []
    for i in range(n):
        kind = types[i % len(types)]
        name = rng.choice(TYPES[kind])
        area = rng.choice(AREAS)
        caps.append(
            Capability(
                id=f"{kind.replace('/', '_')}.bench_{i}",
                type=kind,
                name=f"{area.title()} {name} {i // len(types) + 1}",
                node=nodes[i % len(nodes)] if i % 3 == 0 else LOCAL,
                area=area,
                tools=standard_tools(kind),
                load=rng.random() * 0.5,
            )
        )
    return caps


def intents(count: int, rng: random.Random) -> list[str]:
    seen: set[str] = set()
    while len(seen) < count:
        kind = rng.choice(list(TYPES))
        text = rng.choice(INTENT_TEMPLATES).format(
            area=rng.choice(AREAS), name=rng.choice(TYPES[kind]), n=rng.randint(1, 99)
        )
        seen.add(text)
    return sorted(seen)


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter_ns()
    fn()
    return (time.perf_counter_ns() - start) / 1e6


_LOAD_PROBE = """
import json, time
from pathlib import Path
start = time.perf_counter()
from hub.routing import Embedder
e = Embedder(threads={threads}, quantised_dir=Path({quantised!r}) if {quantised!r} else None)
e.load()
seconds = time.perf_counter() - start
with open("/proc/self/status") as f:
    rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:")) / 1024
print(json.dumps({{"import_and_load_s": seconds, "load_s": e.load_seconds, "rss_mb": rss}}))
"""


_BUILD = """
from pathlib import Path
from hub.routing import Embedder
Embedder(quantised_dir=Path({models!r})).load()
"""


def fresh_load(threads: int, quantised: str, runs: int) -> dict[str, float]:
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", _LOAD_PROBE.format(threads=threads, quantised=quantised)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        samples.append(json.loads(out))
    return {key: statistics.median(s[key] for s in samples) for key in samples[0]}


def embed_latency(
    threads: int, quantised: Path | None, texts: Sequence[str]
) -> tuple[float, float]:
    embedder = Embedder(threads=threads, cache_size=0, quantised_dir=quantised)
    embedder.load()
    embedder.embed(["warm up"])
    times = [timed(functools.partial(embedder.embed, [t])) for t in texts]
    return percentile(times, 0.5), percentile(times, 0.99)


def tokenize_latency(texts: Sequence[str]) -> dict[str, dict[str, float]]:
    """One intent at a time: the hub's WordPiece with its word cache warm and emptied
    before each text, and the ``tokenizers`` library (the test oracle) when installed."""
    path = default_tokenizer_path()
    started = time.perf_counter()
    ours = WordPiece.from_file(path, max_tokens=MAX_TOKENS)
    load_ms = (time.perf_counter() - started) * 1000
    runners: dict[str, tuple[float, Callable[[Sequence[str]], object], Callable[[], None]]] = {
        "wordpiece, words seen": (load_ms, ours.encode_batch, lambda: None),
        "wordpiece, words new": (load_ms, ours.encode_batch, ours.clear_cache),
    }
    if importlib.util.find_spec("tokenizers") is not None:
        started = time.perf_counter()
        library = load_tokenizer_library(path)
        library_ms = (time.perf_counter() - started) * 1000
        runners["tokenizers library"] = (library_ms, library, lambda: None)
    figures: dict[str, dict[str, float]] = {}
    for label, (load, run, reset) in runners.items():
        for text in texts:  # warm up
            run([text])
        times = []
        for text in texts:
            reset()
            times.append(timed(functools.partial(run, [text])) * 1000)
        figures[label] = {
            "load_ms": load, "p50_us": percentile(times, 0.5), "p99_us": percentile(times, 0.99)
        }  # fmt: skip
    return figures


def load_tokenizer_library(path: Path) -> Callable[[Sequence[str]], object]:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    tokenizer.enable_truncation(MAX_TOKENS)

    def run(texts: Sequence[str]) -> object:
        encodings = tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        return ids, np.array([e.attention_mask for e in encodings], dtype=np.int64)

    return run


def at_size(embedder: Embedder, size: int, count: int, rng: random.Random) -> dict[str, Any]:
    """Index `size` capabilities, then route `count` new intents, then the same again."""
    index = CapabilityIndex(embedder)
    for capability in synthesise(size, rng):
        index.add(capability)
    build_s = timed(index.flush) / 1000
    router = Router(
        index,
        local_node=LOCAL,
        clock=SystemClock(),
        gradient=GradientTable(SystemClock()),
        latency_of=REMOTES.get,
    )
    texts = intents(count, rng)
    embedder.clear_cache()
    fresh = [timed(functools.partial(router.explain, WorkUnit(intent=t))) for t in texts]
    cached = [timed(functools.partial(router.explain, WorkUnit(intent=t))) for t in texts * 3]
    explicit_work = WorkUnit(capability=index.capabilities()[0].id, tool="get_state")
    explicit = [timed(lambda: router.explain(explicit_work)) for _ in range(200)]
    stats = index.stats()
    return {
        "index_build_s": build_s,
        "texts_embedded": stats.embedded,
        "unique_tool_rows": stats.pool_rows,
        "embed_route_ms": {"p50": percentile(fresh, 0.5), "p99": percentile(fresh, 0.99)},
        "cached_route_ms": {"p50": percentile(cached, 0.5), "p99": percentile(cached, 0.99)},
        "explicit_route_ms": {"p50": percentile(explicit, 0.5)},
        "rss_mb": rss_mb(),
    }


def accuracy(embedder: Embedder) -> dict[str, Any] | None:
    """Part 2's evaluator on the test split, with this embedder and without any."""
    try:  # imported by name: the language package may be absent from an older tree
        module = importlib.import_module("hub.routing.language.evaluate")
    except ImportError:
        return None
    data = Path(__file__).resolve().parent.parent / "tests" / "data" / "routing"
    results: dict[str, Any] = {}
    for label, used in (("with_embedder", embedder), ("rules_only", None)):
        full = module.evaluate(data / "test.jsonl", data / "devices.yaml", embedder=used)
        failures = full.pop("failures", [])
        full.pop("per_intent", None)
        results[label] = {**full, "failures": len(failures)}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.routing")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000, 10000])
    parser.add_argument("--intents", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--variant", choices=["per-channel", "packaged"], default="per-channel")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    rows: list[list[str]] = []
    # The cores are shared: the load average says how much to trust the tails.
    figures: dict[str, Any] = {"load_average_before": os.getloadavg()}

    models = Path(tempfile.mkdtemp(prefix="bench-routing-"))
    variants: dict[str, Path | None] = {"packaged": None}
    # Built in a child: the build peaks at ~700 MB, which this process would keep.
    started = time.perf_counter()
    built = subprocess.run(
        [sys.executable, "-c", _BUILD.format(models=str(models))],
        check=False,
        capture_output=True,
        text=True,
    )
    if built.returncode == 0:
        figures["per_channel_build_s"] = time.perf_counter() - started
        variants["per-channel"] = models
    else:  # no `onnx`: measure the packaged model only
        figures["per_channel_build_s"] = None
        rows.append(["per-channel model", "-", "", "", built.stderr.strip()[-60:]])

    # The sweep first, so that the RSS it reports holds one model, the chosen one.
    chosen = variants.get(args.variant)
    embedder = Embedder(threads=args.threads, quantised_dir=chosen)
    embedder.load()
    figures["rss_after_load_mb"] = rss_mb()
    figures["sizes"] = {}
    for size in args.sizes:
        figures["sizes"][str(size)] = at_size(embedder, size, args.intents, rng)
        one = figures["sizes"][str(size)]
        rows.append(
            [f"{size} capabilities", f"index {one['index_build_s']:.1f} s",
             f"{one['embed_route_ms']['p50']:.2f} ms", f"{one['embed_route_ms']['p99']:.2f} ms",
             f"cached p50 {one['cached_route_ms']['p50']:.3f} ms, RSS {one['rss_mb']:.0f} MB"]
        )  # fmt: skip

    probe = intents(100, rng)
    figures["fresh_process"] = {}
    figures["embed_uncached_ms"] = {}
    for variant, directory in variants.items():
        for t in (1, 2):
            key = f"{variant}, {t} thread(s)"
            v = fresh_load(t, str(directory or ""), args.loads)
            p50, p99 = embed_latency(t, directory, probe)
            figures["fresh_process"][key] = v
            figures["embed_uncached_ms"][key] = {"p50": p50, "p99": p99}
            rows.append(
                [f"{key}: load, embed", f"{v['load_s'] * 1000:.0f} ms", f"{p50:.2f} ms",
                 f"{p99:.2f} ms", f"fresh process RSS {v['rss_mb']:.0f} MB"]
            )  # fmt: skip

    figures["tokenize_us"] = tokenize_latency(probe)
    for label, one in figures["tokenize_us"].items():
        rows.append(
            [f"tokenize one intent: {label}", f"load {one['load_ms']:.0f} ms",
             f"{one['p50_us']:.1f} us", f"{one['p99_us']:.1f} us",
             "ids and mask of one uncached intent, no model run"]
        )  # fmt: skip

    figures["accuracy"] = accuracy(embedder)
    if figures["accuracy"] is None:
        rows.append(["accuracy", "-", "", "", "hub.routing.language.evaluate not present"])
    for label, one in (figures["accuracy"] or {}).items():
        rows.append(
            [f"accuracy, test split, {label}", f"n={one['n']}", f"{one['ms']['p50']:.2f} ms", "",
             (f"kind {one['kind']:.3f} tool {one['tool']:.3f} targets {one['targets']:.3f} "
             f"args {one['args']:.3f} all {one['all']:.3f}")]
        )  # fmt: skip

    figures["load_average_after"] = os.getloadavg()
    rows.append(
        ["load average", "before, after", f"{figures['load_average_before'][0]:.2f}",
         f"{figures['load_average_after'][0]:.2f}", "1-minute load of the 2-core machine"]
    )  # fmt: skip
    shutil.rmtree(models, ignore_errors=True)
    report(
        "routing",
        {
            "sizes": args.sizes,
            "intents_per_size": args.intents,
            "threads": args.threads,
            "model": embedder.model_id,
            "variant": args.variant,
            "loads": args.loads,
            "seed": args.seed,
        },
        figures,
        ["what", "setup", "p50", "p99", "notes (RSS: VmRSS of the process)"],
        rows,
    )


if __name__ == "__main__":
    main()
