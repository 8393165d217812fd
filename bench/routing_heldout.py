"""Language routing on the held-out set: sentences nobody on the resolver wrote.

The set (tests/data/routing/heldout/, see its README) has three homes in Home Assistant's
entity shape and two parts: ``dev.jsonl``, which this bench scores by default, and
``final.jsonl``, which is scored only with ``--final`` and is to stay unread until the
resolver work is done. Each home is given to the project's public batch command,
``atmosphere route --devices HOME --input QUERIES``, exactly as a user would run it; a home
the capability loader refuses in its HA shape is converted first (``floor`` and
``device_class`` under ``attributes``; ``person`` and ``todo`` declared with their Home
Assistant services), and the table says which was used.

    python -m bench.routing_heldout [--final] [--no-embeddings] [--failures N]

Prints one row per category (all-correct, tool, targets, args, unsafe) and writes
bench/results/routing_heldout.json. ``--failures N`` prints N wrong dev answers; final
answers are never printed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.report import report

HELDOUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "routing" / "heldout"
HOMES = ("flat", "house", "manor")
NOT_ACTING = ("unsure", "none")

# Home Assistant services of the domains the capability format does not know yet.
_DECLARED_TOOLS: dict[str, list[dict[str, Any]]] = {
    "person": [{"name": "get_state", "description": "Where the person is."}],
    "todo": [
        {"name": "get_items", "description": "The items of the list."},
        *(
            {
                "name": name,
                "description": f"{name.replace('_', ' ').capitalize()} on the list.",
                "parameters": {
                    "type": "object",
                    "properties": {"item": {"type": "string"}, "status": {"type": "string"}},
                    "required": ["item"],
                },
            }
            for name in ("add_item", "remove_item", "update_item")
        ),
    ],
}


def load_rows(part: str) -> list[dict[str, Any]]:
    with open(HELDOUT / f"{part}.jsonl", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def home_file(home: str) -> Path:
    return HELDOUT / "homes" / f"{home}_devices.json"


def converted(entities: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The home in the capability format of today: HA-only keys moved under attributes."""
    out = []
    for entity in entities:
        one: dict[str, Any] = {k: entity[k] for k in ("id", "type", "name", "aliases")}
        if entity.get("area"):
            one["area"] = entity["area"]
        attributes = {k: entity[k] for k in ("floor", "device_class") if entity.get(k)}
        if attributes:
            one["attributes"] = attributes
        if entity["type"] in _DECLARED_TOOLS:
            one["tools"] = _DECLARED_TOOLS[entity["type"]]
        out.append(one)
    return out


def route(devices: Path, rows: Sequence[Mapping[str, Any]], work: Path,
          no_embeddings: bool) -> list[dict[str, Any]]:
    queries = work / f"{devices.stem}_queries.jsonl"
    output = work / f"{devices.stem}_out.jsonl"
    queries.write_text("".join(
        json.dumps({"text": r["text"], "context": r["context"]}) + "\n" for r in rows))
    command = [sys.executable, "-m", "hub.cli", "route", "--devices", str(devices),
               "--input", str(queries), "--output", str(output)]
    if no_embeddings:
        command.append("--no-embeddings")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip()[-2000:] or f"exit {done.returncode}")
    answers = [json.loads(line) for line in output.read_text().splitlines() if line.strip()]
    if [a.get("text") for a in answers] != [r["text"] for r in rows]:
        raise RuntimeError(f"{devices}: the batch output does not line up with its input")
    return answers


def run_home(home: str, rows: Sequence[Mapping[str, Any]], work: Path,
             no_embeddings: bool) -> tuple[list[dict[str, Any]], str]:
    """Routes a home's rows; the home as it is if the loader reads it, else converted."""
    try:
        return route(home_file(home), rows, work, no_embeddings), "as is"
    except RuntimeError as exc:
        if "unknown key" not in str(exc) and "unknown type" not in str(exc):
            raise
    entities = json.loads(home_file(home).read_text())
    path = work / f"{home}.json"
    path.write_text(json.dumps(converted(entities)))
    return route(path, rows, work, no_embeddings), "converted"


def predicted_call(answer: Mapping[str, Any]) -> tuple[str, list[str] | None, dict[str, Any]]:
    """The answer as (tool, targets, args); an unsure or empty answer as 'unsure'/'none'."""
    outcome = str(answer.get("outcome") or answer.get("decision") or "").lower()
    tool = answer.get("tool") or ""
    capability = answer.get("capability") or ""
    targets = answer.get("targets")
    if outcome == "unsure" or tool == "unsure":
        candidates = answer.get("candidates", targets)
        return "unsure", list(candidates) if candidates is not None else None, {}
    if outcome == "none" or tool == "none" or not tool:
        return "none", None, {}
    name = tool if "." in tool else f"{capability}.{tool}"
    return name, list(targets) if targets is not None else None, dict(answer.get("args") or {})


def _domain(entity_id: str) -> str:
    return entity_id.split(".", 1)[0]


def tool_ok(expect: Mapping[str, Any], tool: str, targets: list[str] | None,
            args: Mapping[str, Any]) -> bool:
    wanted = [expect, *expect.get("alternatives", [])]
    for one in wanted:
        if tool == one["tool"]:
            return True
        # homeassistant.turn_on on entities of the expected domain is the same call.
        domain, _, service = one["tool"].partition(".")
        if (tool == f"homeassistant.{service}" and targets
                and all(_domain(t) == domain for t in targets)):
            return True
    return (expect["tool"] == "climate.turn_off" and tool == "climate.set_hvac_mode"
            and args.get("hvac_mode") == "off")


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and value.count(":") == 2:  # HH:MM:SS durations
        try:
            h, m, s = (float(p) for p in value.split(":"))
        except ValueError:
            return None
        return h * 3600 + m * 60 + s
    return None


def arg_ok(key: str, want: Any, args: Mapping[str, Any]) -> bool:
    if key == "temperature_step":
        step = _number(args.get("temperature_step"))
        if step is not None:
            return math.copysign(1, step) == math.copysign(1, want)
        return _number(args.get("temperature")) is not None  # absolute: unjudgeable
    if key not in args:
        return False
    got = args[key]
    if key == "brightness_step_pct":
        number = _number(got)
        return number is not None and number != 0 and (number > 0) == (want > 0)
    if isinstance(want, bool) or isinstance(got, bool):
        return bool(got == want)
    if isinstance(want, (int, float)):
        number = _number(got)
        return number is not None and math.isclose(number, want, rel_tol=0.01, abs_tol=0.01)
    return str(got).strip().casefold() == str(want).strip().casefold()


def judge(row: Mapping[str, Any], answer: Mapping[str, Any]) -> dict[str, Any]:
    expect = row["expect"]
    tool, targets, args = predicted_call(answer)
    t_ok = tool_ok(expect, tool, targets, args)
    scored_targets = expect["targets"] is not None
    if not scored_targets:
        g_ok = True
    else:
        g_ok = targets is not None and set(targets) == set(expect["targets"])
    if expect["tool"] in NOT_ACTING:
        a_ok = True
    else:
        a_ok = all(arg_ok(k, v, args) for k, v in expect["args"].items())
    acts = tool not in NOT_ACTING and not tool.endswith(".get_state") and not tool.endswith(
        (".get_items", ".get_forecasts", ".get_frame"))
    should_act = expect["tool"] not in NOT_ACTING and not expect["tool"].split(".")[1].startswith(
        "get_")
    return {"tool": t_ok, "targets": g_ok, "targets_scored": scored_targets, "args": a_ok,
            "all": t_ok and g_ok and a_ok, "unsafe": acts and not should_act,
            "got": {"tool": tool, "targets": targets, "args": args}, "ms": answer.get("ms")}


def table_rows(groups: Mapping[str, Sequence[Mapping[str, Any]]]) -> tuple[
        list[list[str]], dict[str, dict[str, Any]]]:
    rows, figures = [], {}
    for name, verdicts in groups.items():
        n = len(verdicts)
        with_targets = [v for v in verdicts if v["targets_scored"]]
        one = {
            "n": n,
            "all": sum(v["all"] for v in verdicts) / n,
            "tool": sum(v["tool"] for v in verdicts) / n,
            "targets": (sum(v["targets"] for v in with_targets) / len(with_targets)
                        if with_targets else None),
            "args": sum(v["args"] for v in verdicts) / n,
            "unsafe": sum(v["unsafe"] for v in verdicts),
        }
        figures[name] = one
        rows.append([name, str(n), f"{one['all']:.3f}", f"{one['tool']:.3f}",
                     "-" if one["targets"] is None else f"{one['targets']:.3f}",
                     f"{one['args']:.3f}", str(one["unsafe"])])
    return rows, figures


def grouped(rows: Sequence[Mapping[str, Any]], verdicts: Sequence[Mapping[str, Any]],
            key: str) -> dict[str, list[Mapping[str, Any]]]:
    out: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row, verdict in zip(rows, verdicts):
        out[row[key]].append(verdict)
    return dict(sorted(out.items()))


def score(part: str, no_embeddings: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]],
                                                   dict[str, str]]:
    rows = load_rows(part)
    answers: dict[int, dict[str, Any]] = {}
    shapes = {}
    with tempfile.TemporaryDirectory(prefix="routing-heldout-") as tmp:
        for home in HOMES:
            index = [i for i, r in enumerate(rows) if r["home"] == home]
            got, shapes[home] = run_home(home, [rows[i] for i in index], Path(tmp),
                                         no_embeddings)
            answers.update(zip(index, got))
    verdicts = [judge(row, answers[i]) for i, row in enumerate(rows)]
    return rows, verdicts, shapes


def failures(rows: Iterable[Mapping[str, Any]], verdicts: Iterable[Mapping[str, Any]],
             limit: int) -> None:
    shown = 0
    for row, verdict in zip(rows, verdicts):
        if verdict["all"] or shown >= limit:
            continue
        shown += 1
        print(f"[{row['category']}] {row['home']} {row['context'] or ''} {row['text']!r}\n"
              f"    expect {json.dumps(row['expect'])}\n    got    {json.dumps(verdict['got'])}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.routing_heldout")
    parser.add_argument("--final", action="store_true",
                        help="also score final.jsonl (only when the resolver work is done)")
    parser.add_argument("--no-embeddings", action="store_true",
                        help="pass --no-embeddings to atmosphere route")
    parser.add_argument("--failures", type=int, default=0, metavar="N",
                        help="print N wrong dev answers (never final ones)")
    args = parser.parse_args(argv)
    parts = ["dev", "final"] if args.final else ["dev"]
    figures: dict[str, Any] = {"load_average_before": os.getloadavg()}
    table: list[list[str]] = []
    for part in parts:
        rows, verdicts, shapes = score(part, args.no_embeddings)
        figures.setdefault("homes", shapes)
        by_category, figures_cat = table_rows(grouped(rows, verdicts, "category"))
        by_voice, figures_voice = table_rows(grouped(rows, verdicts, "voice"))
        by_home, figures_home = table_rows(grouped(rows, verdicts, "home"))
        overall, figures_all = table_rows({"ALL": verdicts})
        ms = [v["ms"] for v in verdicts if isinstance(v["ms"], (int, float))]
        figures[part] = {
            "overall": figures_all["ALL"], "category": figures_cat, "voice": figures_voice,
            "home": figures_home,
            "ms": {"p50": statistics.median(ms), "p99": sorted(ms)[int(0.99 * (len(ms) - 1))]}
            if ms else None,
        }
        table += [[f"{part}: {r[0]}", *r[1:]] for r in by_category]
        table += [[f"{part}: voice {r[0]}", *r[1:]] for r in by_voice]
        table += [[f"{part}: home {r[0]}", *r[1:]] for r in by_home]
        table += [[f"{part}: {r[0]}", *r[1:]] for r in overall]
        if part == "dev" and args.failures:
            failures(rows, verdicts, args.failures)
    figures["load_average_after"] = os.getloadavg()
    report(
        "routing_heldout",
        {"parts": parts, "no_embeddings": args.no_embeddings},
        figures,
        ["category", "n", "all", "tool", "targets", "args", "unsafe"],
        table,
    )


if __name__ == "__main__":
    main()
