"""An `llm` agent's turn with a real local model: llama.cpp's server (xllamacpp) with
Qwen2.5-Coder-1.5B-Instruct Q4_K_M and our chat template (tests/llmserver.py), on a demo
hub (a real Mosquitto, the demo's light and camera) with 10 and with 500 capabilities.

Figures per hub size (median over `--turns` turns after one warm-up turn): time to the
first tool call (tools chosen by the router + the first model request, which answers with
the call; the client does not stream), time to the answer, the tools offered, prompt and
completion tokens, and the model's completion tokens per second.

    python -m bench.agents [--turns 3] [--threads 2]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.report import report
from hub.agents import AgentRequest
from hub.runtime import Hub
from tests.broker import Mosquitto
from tests.hubs import demo_section, hub_config
from tests.llmserver import MODEL_NAME, ensure_model, model_server

REQUEST = "Turn on the kitchen light at 30% brightness."
AREAS = [f"room {i}" for i in range(50)]
KINDS = [("light", "lamp"), ("switch", "socket"), ("sensor", "thermometer"),
         ("binary_sensor", "door contact"), ("cover", "blind")]
DEMO = 7
"""Capabilities the demo brings (light, camera, motion, four sensors)."""


def fillers(count: int) -> list[dict[str, Any]]:
    out = []
    for i in range(count):
        kind, noun = KINDS[i % len(KINDS)]
        area = AREAS[i % len(AREAS)]
        out.append({"id": f"{kind}.{noun.replace(' ', '_')}_{i}", "type": kind,
                    "name": f"{area} {noun} {i}", "area": area})
    return out


async def one_size(directory: Path, broker: Mosquitto, url: str, size: int,
                   turns: int) -> dict[str, Any]:
    agent = {"id": "agent.house", "kind": "llm", "url": url, "model": MODEL_NAME,
             "timeout": 900, "max_steps": 4, "max_tools": 6, "tool_budget": 5000,
             "max_tokens": 96, "purpose": "Looks after the house.",
             "route_events": False}
    config = hub_config(directory, broker.host, broker.port,
                        integrations={"demo": demo_section(f"bench/{size}")},
                        capabilities=fillers(size - DEMO), agents=[agent],
                        routing={"per_channel": False})
    runs = []
    async with Hub(config) as hub:
        assert len(hub.registry.all()) == size + 1, len(hub.registry.all())  # + the agent
        for turn in range(turns + 1):
            wall = time.time()
            started = time.monotonic()
            answer = await hub.agents.ask("agent.house", AgentRequest(text=REQUEST))
            total = time.monotonic() - started
            models = [s for s in answer.steps if s.kind == "model"]
            first_call = next((s.started + s.seconds - wall for s in models
                               if s.result and s.result.get("tool_calls")), None)
            completion = sum(s.tokens[1] for s in models)
            model_seconds = sum(s.seconds for s in models)
            run = {"turn": turn, "seconds": total, "first_tool_call": first_call,
                   "tools_offered": len(answer.offered),
                   "prompt_tokens": models[0].tokens[0] if models else 0,
                   "completion_tokens": completion,
                   "tokens_per_second": completion / model_seconds if model_seconds else 0,
                   "tool_calls": answer.tool_calls, "error": answer.error}
            print(f"size={size} turn={turn} {run}", flush=True)
            if turn:  # the first turn warms the model server's cache and the router
                runs.append(run)

    def median(key: str) -> float:
        values = [r[key] for r in runs if r[key] is not None]
        return statistics.median(values) if values else float("nan")
    return {"size": size, "turns": runs,
            "first_tool_call_s": median("first_tool_call"), "answer_s": median("seconds"),
            "tools_offered": median("tools_offered"), "prompt_tokens": median("prompt_tokens"),
            "completion_tokens": median("completion_tokens"),
            "tokens_per_second": median("tokens_per_second"),
            "correct": sum(1 for r in runs if r["tool_calls"] and r["tool_calls"][0]["tool"]
                           == "light.kitchen_light/turn_on")}


async def run(turns: int, threads: int, sizes: list[int]) -> None:
    model = ensure_model()
    with tempfile.TemporaryDirectory() as tmp:
        broker = Mosquitto(Path(tmp) / "mosquitto")
        broker.start()
        try:
            async with model_server(model, threads=threads) as url:
                results = [await one_size(Path(tmp) / str(size), broker, url, size, turns)
                           for size in sizes]
        finally:
            broker.stop()
    rows = [[str(r["size"]), f"{r['first_tool_call_s']:.1f}", f"{r['answer_s']:.1f}",
             f"{r['tools_offered']:.0f}", f"{r['prompt_tokens']:.0f}",
             f"{r['tokens_per_second']:.1f}", f"{r['correct']}/{turns}"] for r in results]
    report("agents", {"model": MODEL_NAME, "threads": threads, "turns": turns,
                      "request": REQUEST},
           {str(r["size"]): r for r in results},
           ["capabilities", "first tool call s", "answer s", "tools offered",
            "prompt tokens", "completion tok/s", "right call"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 500])
    args = parser.parse_args()
    asyncio.run(run(args.turns, args.threads, args.sizes))


if __name__ == "__main__":
    main()
