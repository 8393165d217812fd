"""What the template budget costs typical Home Assistant templates, and how long a template
bomb can hold the event loop now.

Typical: renders per second of device templates as Home Assistant configurations write
them, with the budget's checks (this tree) and without (the templates module of `--base`,
`main` by default, loaded from git), both on the same data, the best of `--rounds`
alternating runs each (the machine may be shared). Bombs: the longest of `--rounds`
renders of each bomb (compiled beforehand), with the default budget, as CPU time of the
thread (what the budget counts) and wall time; before the budget most of them ran for
minutes or for ever. Compile: the time to compile a template of the longest source the
budget allows.

    python -m bench.templates [--seconds 1.0] [--rounds 5] [--base main]
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.report import report
from hub.errors import PayloadError
from hub.templates import Budget, Templates

DATA: dict[str, Any] = {
    "value": "21.46",
    "value_json": {
        "temperature": 21.46, "humidity": 40, "state": "ON", "bri": "200", "battery": 87,
        "a": "x", "b": 3, "list": list(range(10)),
        "attrs": {f"key{i}": i for i in range(10)},
    },
}

TYPICAL = {
    "plain path": "{{ value_json.temperature }}",
    "float|round": "{{ value_json.temperature | float | round(1) }}",
    "if/else expr": "{{ 'on' if value_json.state == 'ON' else 'off' }}",
    "arithmetic": "{{ (value | float * 1.8 + 32) | round(1) }}",
    "if block": "{% if value_json.battery > 20 %}ok{% else %}low{% endif %}",
    "concat ~": "{{ value_json.a ~ ',' ~ value_json.b }}",
    "dict|tojson": "{{ {'state': value_json.state | lower, 'brightness': value_json.bri "
                   "| int} | tojson }}",
    "%-format": "{{ '%.1f' % value_json.temperature }}",
    "map|join": "{{ value_json.list | map('string') | join(',') }}",
    "for 10 items": "{% for k, v in value_json.attrs.items() %}{{ k }}={{ v }};{% endfor %}",
}

BIG = "{% set x = 'a' * 200000 %}"
BOMBS = {
    "nested loops 1e5 x 1e5": "{% for i in range(100000) %}{% for j in range(100000) %}"
                              "{% endfor %}{% endfor %}",
    "nested loops 1e4 x 1e4": "{% for i in range(10000) %}{% for j in range(10000) %}"
                              "{% endfor %}{% endfor %}",
    "filtered inner loop": "{% for i in range(9999) %}{% for j in range(9999) if false %}"
                           "{% endfor %}{% endfor %}",
    "'a' * 10**9": "{{ 'a' * 10**9 }}",
    "'{:>500000000}'.format": "{{ '{:>500000000}'.format(1) }}",
    "'{0:{1}}'.format(1, 10**9)": "{{ '{0:{1}}'.format(1, 10**9) }}",
    "'%*d' % (10**9, 1)": "{{ '%*d' % (10**9, 1) }}",
    "lipsum(100000)": "{{ lipsum(100000) }}",
    "range(10**9)|list": "{{ range(10**9)|list|length }}",
    "[0] * 10**9": "{{ [0] * 10**9 }}",
    "10 ** (10 ** 8)": "{{ 10 ** (10 ** 8) }}",
    "recursive macro": "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
    "branching macro 2^40": "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}"
                            "{% endmacro %}{{ f(40) }}",
    "x = x ~ x doubling": "{% set ns = namespace(x='ab') %}{% for i in range(40) %}"
                          "{% set ns.x = ns.x ~ ns.x %}{% endfor %}",
    "join of 8 x 200 KB": BIG + "{{ [x, x, x, x, x, x, x, x]|join }}",
    "print [x] * 1000": BIG + "{{ [x] * 1000 }}",
    "map center 200 KB": "{{ range(10000)|map('center', 200000)|list|length }}",
    "output 1 MB": "{% for i in range(10000) %}{{ 'x' * 100 }}{% endfor %}",
    "macro buffer 1 MB": "{% macro m() %}{% for i in range(1000) %}" + "a" * 1000
                         + "{% endfor %}{% endmacro %}{{ m()|length }}",
    "wordwrap 200 KB": "{{ ('ab ' * 66000) | wordwrap(5) | length }}",
    "sort 200k items": "{{ (range(10000)|list * 20) | sort | length }}",
    "sort 20k items": "{{ (range(10000)|list * 2) | sort | length }}",
    "sort 2k items": "{{ (range(1000)|list * 2) | sort | length }}",
}


def _base_templates(base: str) -> Any:
    """The `Templates` class of `base` (the module before the budget), loaded from git."""
    for path in ("hub/templates.py", "hub/templates/template.py"):
        done = subprocess.run(["git", "show", f"{base}:{path}"], capture_output=True,
                              text=True, check=False, cwd=Path(__file__).resolve().parents[1])
        if done.returncode == 0 and "class Templates" in done.stdout:
            break
    else:
        raise SystemExit(f"no templates module at {base}")
    file = Path(tempfile.mkdtemp()) / "base_templates.py"
    file.write_text(done.stdout)
    spec = importlib.util.spec_from_file_location("base_templates", file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["base_templates"] = module
    spec.loader.exec_module(module)
    return module.Templates()


def rate(templates: Any, source: str, seconds: float) -> float:
    template = templates.compile(source)
    template.render(DATA)
    n, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(200):
            template.render(DATA)
        n += 200
        now = time.perf_counter()
        if now > deadline:
            return n / (now - start)


def stall(templates: Templates, source: str, rounds: int) -> tuple[float, float, str]:
    template = templates.compile(source)
    cpu, wall, outcome = 0.0, 0.0, "ok"
    for _ in range(rounds):
        start, start_cpu = time.perf_counter(), time.thread_time()
        try:
            template.render({})
        except PayloadError as exc:
            outcome = getattr(exc, "budget", "error")
        cpu = max(cpu, time.thread_time() - start_cpu)
        wall = max(wall, time.perf_counter() - start)
    return cpu, wall, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--base", default="main")
    args = parser.parse_args()

    before, after = _base_templates(args.base), Templates()
    rows: list[list[str]] = []
    figures: dict[str, Any] = {"typical": {}, "bombs": {}}
    for name, source in TYPICAL.items():
        old = new = 0.0
        for _ in range(args.rounds):
            old = max(old, rate(before, source, args.seconds / args.rounds))
            new = max(new, rate(after, source, args.seconds / args.rounds))
        figures["typical"][name] = {"before_per_s": round(old), "after_per_s": round(new),
                                    "after_us": round(1e6 / new, 2)}
        rows.append(["typical", name, f"{old:,.0f}/s", f"{new:,.0f}/s",
                     f"{(new / old - 1) * 100:+.0f}%", f"{1e6 / new:.1f} us"])
    for name, source in BOMBS.items():
        cpu, wall, outcome = stall(after, source, args.rounds)
        figures["bombs"][name] = {"worst_cpu_ms": round(cpu * 1000, 2),
                                  "worst_wall_ms": round(wall * 1000, 2), "stopped_by": outcome}
        rows.append(["bomb", name, "unbounded", outcome, "",
                     f"{cpu * 1000:.2f} ms cpu, {wall * 1000:.2f} ms wall"])
    budget = Budget()
    longest = "{{ value_json.a }}" * (budget.source_size // 18)
    start = time.perf_counter()
    Templates().compile(longest)
    compile_ms = (time.perf_counter() - start) * 1000
    figures["compile_longest_ms"] = round(compile_ms, 1)
    rows.append(["compile", f"{len(longest)} chars (source_size)", "", "", "",
                 f"{compile_ms:.1f} ms"])
    report("templates",
           {"seconds": args.seconds, "rounds": args.rounds, "base": args.base,
            "budget": {"time": budget.time, "operations": budget.operations,
                       "size": budget.size, "source_size": budget.source_size}},
           figures, ["kind", "template", "before", "after", "change", "time/render"], rows)


if __name__ == "__main__":
    main()
