"""`atmosphere route`: language to tool from the command line, one text or a batch.

    atmosphere route "dim the kitchen lights to 30%" --devices home.yaml [--area kitchen]
    atmosphere route --devices home.yaml --input queries.jsonl [--output decisions.jsonl]

One text prints the decision and the scored candidates. A batch reads JSON lines
``{"text": ..., "context": {"area": ...}}`` and writes one JSON line per query:
``{"text", "capability", "tool", "targets", "args", "node", "score", "ms"}``, with
progress on stderr. Capabilities come from ``--devices`` (the capability YAML format,
docs/capabilities.md), else from the configuration's ``capabilities:``, else from the
running hub of that configuration (over its HTTP API).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from hub.config import HubConfig
from hub.errors import ConfigError
from hub.model import Capability
from hub.routing.language import Resolution, Resolver, TextEmbedder

EXIT_OK, EXIT_NO_DECISION, EXIT_CONFIG = 0, 1, 2
PROGRESS_EVERY = 2.0
"""Seconds between progress lines on stderr in batch mode."""


def add_parser(subparsers: Any) -> None:
    """Add ``route`` to the ``atmosphere`` command's subparsers."""
    parser = subparsers.add_parser(
        "route",
        help="resolve a command in words to a capability, tool, targets and arguments",
        description=(
            "Resolve TEXT (or every line of --input) to the capability kind, tool, targets "
            "and arguments it asks for, against the capabilities of --devices."
        ),
    )
    parser.add_argument("text", nargs="?", help='what to do, e.g. "dim the kitchen lights"')
    parser.add_argument("--area", help="the requester's area, for 'in here' and no area")
    parser.add_argument(
        "--devices", metavar="FILE", type=Path, help="capability YAML (default: configuration)"
    )
    parser.add_argument(
        "--input", metavar="QUERIES", type=Path, help='JSON lines {"text", "context": {"area"}}'
    )
    parser.add_argument(
        "--output", "-o", metavar="FILE", type=Path, help="batch output (default: stdout)"
    )
    parser.add_argument("--json", action="store_true", help="print one text's decision as JSON")
    parser.add_argument(
        "--no-embeddings",
        action="store_true",
        help="rules only: do not load the embedding model for the fallbacks",
    )
    parser.add_argument("--config", metavar="DIR", help="configuration directory")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if (args.text is None) == (args.input is None):
        print("atmosphere route: give either TEXT or --input QUERIES.jsonl", file=sys.stderr)
        return EXIT_CONFIG
    try:
        capabilities = _capabilities(args)
    except ConfigError as exc:
        print(f"atmosphere route: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    resolver = Resolver(capabilities, embedder=None if args.no_embeddings else _embedder())
    if args.input is not None:
        return _batch(resolver, args)
    context = {"area": args.area} if args.area else {}
    started = time.perf_counter()
    resolution = resolver.resolve(args.text, context)
    ms = (time.perf_counter() - started) * 1000
    if args.json:
        print(json.dumps({**resolution.as_json(), "ms": round(ms, 3)}, ensure_ascii=False))
    else:
        print(render(resolution, ms, args.area))
    return EXIT_OK if resolution.tool else EXIT_NO_DECISION


def _capabilities(args: argparse.Namespace) -> tuple[Capability, ...]:
    from hub.capfile import load_capability_file

    if args.devices is not None:
        if not args.devices.is_file():
            raise ConfigError(f"--devices: no such file: {args.devices}")
        dump = _states_dump(args.devices)
        if dump is not None:
            return dump
        return load_capability_file(args.devices, source="route")
    from hub.config import builtin_config, default_config_dir, load_config

    directory = args.config or os.environ.get("ATMOSPHERE_CONFIG") or default_config_dir()
    config = load_config(Path(directory)) if directory else builtin_config()
    if config.capabilities:
        return tuple(config.capabilities)
    return _running_hub_capabilities(config)


def _states_dump(path: Path) -> tuple[Capability, ...] | None:
    """Home Assistant's ``GET /api/states`` answer, if `path` is one (else None)."""
    if path.suffix.lower() != ".json":
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # the capability loader reports it with a position
    from hub.routing.hastates import from_states, is_states_dump

    if not is_states_dump(raw):
        return None
    try:
        imported = from_states(raw)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if imported.skipped:
        left_out = ", ".join(f"{d} ({n})" for d, n in sorted(imported.skipped.items()))
        print(
            f"atmosphere route: skipped entities without standard tools: {left_out}",
            file=sys.stderr,
        )
    return imported.capabilities


def _running_hub_capabilities(config: HubConfig) -> tuple[Capability, ...]:
    """What the hub of this configuration has right now, over its HTTP API."""
    import asyncio

    from hub.capfile import capability_from_dict
    from hub.client import HubClient
    from hub.errors import AtmosphereError
    from hub.identity import TOKEN_FILE

    url = f"http://{config.http.host}:{config.http.port}"
    try:
        token = os.environ.get("ATMOSPHERE_TOKEN") or (
            (config.data_dir / TOKEN_FILE).read_text().strip()
        )

        async def fetch() -> list[dict[str, Any]]:
            async with HubClient(url, token) as client:
                return await client.capabilities()

        found = tuple(capability_from_dict(raw) for raw in asyncio.run(fetch()))
    except (OSError, AtmosphereError) as exc:
        raise ConfigError(
            "no capabilities to route to: pass --devices FILE (a capability YAML file), "
            f"declare capabilities: in the configuration, or start the hub ({exc})"
        ) from None
    if not found:
        raise ConfigError(f"the hub at {url} has no capabilities yet")
    return found


def _embedder() -> TextEmbedder | None:
    """The default embedding model when it is installed; the rules work without it."""
    from hub.routing.embedder import Embedder, default_model_path, default_tokenizer_path

    try:
        default_model_path()
        default_tokenizer_path()
    except ConfigError as exc:
        print(f"atmosphere route: rules only ({exc})", file=sys.stderr)
        return None
    return Embedder(threads=1)


def render(resolution: Resolution, ms: float, area: str | None = None) -> str:
    """The decision and the candidates as a person reads them."""
    lines = [f"{resolution.text!r}" + (f"  (area: {area})" if area else "")]
    if not resolution.tool:
        lines.append("no decision: " + "; ".join(resolution.reasons))
        return "\n".join(lines)
    lines += [
        f"decision  {resolution.kind}.{resolution.tool}"
        + ("" if resolution.outcome == "ok" else f"   ({resolution.outcome.upper()}: not done)"),
        f"targets   {', '.join(resolution.targets)}",
        f"args      {json.dumps(dict(resolution.args), ensure_ascii=False)}",
        f"score     {resolution.score:.2f}   node {resolution.node or '-'}   {ms:.1f} ms",
        f"why       {'; '.join(resolution.reasons)}",
        "",
        "candidates",
    ]
    rows = [("SCORE", "KIND", "TOOL", "TARGETS", "REASON")]
    for candidate in resolution.candidates:
        targets = ", ".join(candidate.targets[:3])
        if len(candidate.targets) > 3:
            targets += f" +{len(candidate.targets) - 3}"
        rows.append(
            (f"{candidate.score:.2f}", candidate.kind, candidate.tool, targets, candidate.reason)
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)]
        lines.append("  " + "  ".join([*cells, row[4]]).rstrip())
    return "\n".join(lines)


def _queries(path: Path, default_area: str | None) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, query) for every non-empty line; a bad line yields an error query."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except ValueError as exc:
                yield number, {"error": f"{path}:{number}: not JSON: {exc}"}
                continue
            if not isinstance(raw, dict) or not isinstance(raw.get("text"), str):
                yield number, {"error": f'{path}:{number}: expected {{"text": "...", ...}}'}
                continue
            context = raw.get("context") if isinstance(raw.get("context"), dict) else {}
            context = dict(context or {})
            if "area" not in context and (raw.get("area") or default_area):
                context["area"] = raw.get("area") or default_area
            yield number, {"text": raw["text"], "context": context}


def _batch(resolver: Resolver, args: argparse.Namespace) -> int:
    if not args.input.is_file():
        print(f"atmosphere route: --input: no such file: {args.input}", file=sys.stderr)
        return EXIT_CONFIG
    out: TextIO
    out = args.output.open("w", encoding="utf-8") if args.output else sys.stdout
    done = errors = 0
    total_ms = 0.0
    last_report = time.monotonic()
    try:
        for _, query in _queries(args.input, args.area):
            if "error" in query:
                errors += 1
                print(f"atmosphere route: {query['error']}", file=sys.stderr)
                out.write(json.dumps({"text": None, "error": query["error"]}) + "\n")
                continue
            started = time.perf_counter()
            resolution = resolver.resolve(query["text"], query["context"])
            ms = (time.perf_counter() - started) * 1000
            total_ms += ms
            done += 1
            line = {**resolution.as_json(), "ms": round(ms, 3)}
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
            if time.monotonic() - last_report >= PROGRESS_EVERY:
                last_report = time.monotonic()
                print(
                    f"atmosphere route: {done} queries, {total_ms / done:.2f} ms each",
                    file=sys.stderr,
                )
    finally:
        if out is not sys.stdout:
            out.close()
        else:
            out.flush()
    mean = total_ms / done if done else 0.0
    print(
        f"atmosphere route: {done} queries resolved ({mean:.2f} ms each), {errors} bad lines",
        file=sys.stderr,
    )
    return EXIT_OK if not errors else EXIT_NO_DECISION
