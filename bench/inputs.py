"""What checking outside input costs on the hot paths, and what hostile input costs.

Per call, best of `--repeat` timings of `--number` calls each (timeit), on one core:

1. A Zigbee2MQTT state report (140 bytes, 7 keys): the JSON decoder the hub used before
   (`json.JSONDecoder().raw_decode`, no checks) against `hub.inputs.load_json` (depth,
   non-finite numbers, lone surrogates), in its refusing and its dropping mode.
2. A topic checked before a publish: an ASCII RPC reply topic and a non-ASCII one.
3. A state change checked before the registry takes it (`state_problem`).
4. Hostile payloads refused by `load_json`: 10,000-deep nesting, a 5,001-digit integer,
   a NaN in a report (dropped), 200 KB of nesting (the limit's worst case).

    python -m bench.inputs [--number 20000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import timeit
from collections.abc import Callable
from typing import Any

from bench.report import report
from hub.errors import PayloadError
from hub.inputs import load_json, state_problem, topic_problem

REPORT = (b'{"state":"ON","brightness":200,"color_temp":350,"linkquality":87,'
          b'"temperature":21.53,"humidity":45.2,"battery":97,"last_seen":"2026-01-01T10:00:00Z"}')
_plain = json.JSONDecoder().raw_decode


def _refused(data: bytes) -> Callable[[], None]:
    def run() -> None:
        try:
            load_json(data, "bench")
        except PayloadError:
            return
        raise AssertionError("not refused")

    return run


def cases() -> list[tuple[str, Callable[[], Any]]]:
    dropped: list[str] = []
    return [
        ("report: json raw_decode (before)", lambda: _plain(REPORT.decode())),
        ("report: load_json", lambda: load_json(REPORT, "zigbee2mqtt/lamp")),
        ("report: load_json, drop mode",
         lambda: load_json(REPORT, "zigbee2mqtt/lamp", bad="drop", dropped=dropped)),
        ("topic: ascii reply topic",
         lambda: topic_problem("atmosphere/v1/nodes/6zd22zlwzokcph4jcxyzm6u3ha/reply/9f8e7d6c")),
        ("topic: non-ascii", lambda: topic_problem("zigbee2mqtt/Küche/Decke/set")),
        ("state change: 3 keys", lambda: state_problem({"state": "on", "brightness": 200,
                                                        "color_temp": 370})),
        ("state change: nested", lambda: state_problem({"color": {"x": 0.46, "y": 0.41}})),
        ("hostile: 10,000-deep array", _refused(b"[" * 10_000 + b"]" * 10_000)),
        ("hostile: 5,001-digit integer", _refused(b"9" * 5001)),
        ("hostile: NaN in a report, dropped",
         lambda: load_json(REPORT.replace(b"21.53", b"NaN"), "b", bad="drop", dropped=[])),
        ("hostile: 200 KB of nesting", _refused(b"[" * 200_000)),
    ]


def main(args: argparse.Namespace) -> None:
    rows, figures = [], {}
    for name, fn in cases():
        number = args.number if not name.startswith("hostile") else max(1, args.number // 100)
        best = min(timeit.repeat(fn, number=number, repeat=args.repeat)) / number
        figures[name] = round(best * 1e6, 3)
        rows.append([name, f"{best * 1e6:.2f}"])
    report("inputs", {"number": args.number, "repeat": args.repeat,
                      "report_bytes": len(REPORT)}, {"us_per_call": figures},
           ["case", "us per call"], rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    main(parser.parse_args())
