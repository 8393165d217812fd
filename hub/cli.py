"""The `atmosphere` command. `print` lives here and nowhere else."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib
import json
import logging
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from hub.errors import AtmosphereError, ConfigError
from hub.identity import TOKEN_FILE

EXIT_OK, EXIT_ERROR, EXIT_CONFIG = 0, 1, 2
SHUTDOWN_GRACE_S = 5
"""How long a stopping hub lets HTTP requests in flight finish (a tool call may have a
timeout of minutes) before it cuts them off."""


def _config_dir(arg: str | None) -> Path | None:
    from hub.config import default_config_dir

    if arg:
        return Path(arg)
    env = os.environ.get("ATMOSPHERE_CONFIG")
    return Path(env) if env else default_config_dir()


def _load_config(args: argparse.Namespace) -> Any:
    from hub.config import builtin_config, load_config

    directory = _config_dir(getattr(args, "config", None))
    config = load_config(directory) if directory is not None else builtin_config()
    if getattr(args, "data", None):
        import dataclasses

        config = dataclasses.replace(config, data_dir=Path(args.data).resolve())
    return config


def _setup_logging(level: str, logs: dict[str, str] | None = None) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for name, name_level in (logs or {}).items():
        logging.getLogger(name).setLevel(name_level.upper())


# --- run ---------------------------------------------------------------------------------


FLOOD_LINES = 20
FLOOD_INTERVAL = 10.0
FLOOD_LOGGERS = ("asyncio", "uvicorn", "uvicorn.error")
"""Loggers the hub does not write itself, held to `FLOOD_LINES` records per
`FLOOD_INTERVAL` seconds together: out of file descriptors, asyncio logs
"socket.accept() out of system resource" with a traceback once per pending connection
and loop turn (hundreds of MB of log in minutes)."""


def cmd_run(args: argparse.Namespace) -> int:
    config = _load_config(args)
    _setup_logging(args.log_level or config.logging.level, dict(config.logging.logs))
    _raise_open_file_limit()
    with _flood_filter():
        try:
            asyncio.run(_run(config))
        except KeyboardInterrupt:  # a second Ctrl+C during shutdown
            return 130
    return EXIT_OK


def _raise_open_file_limit() -> None:
    """Raise the soft limit of open files to the hard one: every HTTP client, event
    stream and camera connection is a file descriptor, and the soft limit is often 1024."""
    try:
        import resource
    except ImportError:  # not a Unix
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 1 << 20
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError) as exc:
            logging.getLogger(__name__).info(
                "open file limit stays at %d (hard limit %d): %s", soft, hard, exc)
            return
        logging.getLogger(__name__).info("open file limit raised from %d to %d", soft, wanted)


@contextlib.contextmanager
def _flood_filter() -> Iterator[None]:
    from hub.clock import SystemClock
    from hub.logthrottle import FloodFilter, LogBudget

    budget = LogBudget(SystemClock(), logging.getLogger(__name__), lines=FLOOD_LINES,
                       interval=FLOOD_INTERVAL, what="lines of asyncio and uvicorn")
    flood = FloodFilter(budget)
    loggers = [logging.getLogger(name) for name in FLOOD_LOGGERS]
    for logger in loggers:
        logger.addFilter(flood)
    try:
        yield
    finally:
        budget.flush()
        for logger in loggers:
            logger.removeFilter(flood)


async def _run(config: Any) -> None:
    import uvicorn

    from hub.runtime import Hub

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self):  # type: ignore[no-untyped-def]
            yield  # the hub owns SIGINT/SIGTERM: it stops the server, then itself

    async with Hub(config) as hub:
        # What start-up built lives as long as the process: keep it out of the cyclic
        # collector's generations, or a full collection pauses the loop for tens of ms.
        # (Process-wide, so it belongs here and not in Hub, which tests create by the dozen.)
        gc.collect()
        gc.freeze()
        web = importlib.import_module("web")  # loaded by name: hub never imports web
        http = config.http
        app = web.create_app(hub)
        server = Server(uvicorn.Config(
            app, host=http.host, port=http.port, log_level="warning",
            access_log=False, lifespan="off", timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
        ))

        async def serve() -> None:
            try:
                await server.serve()
            except SystemExit:
                # uvicorn logs why it cannot start (the port is taken, say) and exits the
                # process; let the hub stop in order and say what to change instead
                raise AtmosphereError(
                    f"the HTTP server cannot listen on {http.host}:{http.port} (the reason is"
                    " logged above); stop the program that uses the port, or choose another"
                    " with `http: port:` in configuration.yaml"
                ) from None

        serving = asyncio.create_task(serve(), name="web.serve")
        while not server.started and not serving.done():
            await asyncio.sleep(0.01)
        if serving.done():
            serving.result()  # raises the reason, e.g. the port is taken
            raise AtmosphereError(f"the HTTP server on {http.host}:{http.port} did not start")
        url = f"http://{http.host}:{http.port}"
        broker = hub.broker_url + (" (embedded)" if hub.embedded_broker else "")
        print(
            f"Atmosphere Hub '{config.name}' is running (node {hub.node_id}).\n"
            f"  Web UI and API: {url}/  (health: {url}/api/health)\n"
            f"  API token:      {config.data_dir / TOKEN_FILE}\n"
            f"  MQTT broker:    {broker}\n"
            f"  Data:           {config.data_dir}\n"
            "Press Ctrl+C to stop.",
            flush=True,
        )
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        for sig in (signal.SIGINT, signal.SIGTERM):
            # a second Ctrl+C (or SIGTERM) gives up on an orderly stop
            loop.remove_signal_handler(sig)
        print("Stopping...", flush=True)
        web.close_event_streams(app)  # an open event stream must not hold the shutdown
        server.should_exit = True
        await serving
        stopping.cancel()
    print("Stopped.", flush=True)


# --- client commands ---------------------------------------------------------------------


def _client(args: argparse.Namespace) -> Any:
    from hub.client import HubClient

    url, token = args.url, args.token or os.environ.get("ATMOSPHERE_TOKEN")
    if url is None or token is None:
        config = _load_config(args)
        url = url or f"http://{config.http.host}:{config.http.port}"
        if token is None:
            path = config.data_dir / TOKEN_FILE
            try:
                token = path.read_text().strip()
            except OSError as exc:
                raise AtmosphereError(
                    f"no API token: cannot read {path} ({exc.strerror}); pass --token or set "
                    "ATMOSPHERE_TOKEN"
                ) from None
    return HubClient(url, token, timeout=args.timeout)


_ARGS_HINT = (
    "In a shell, put the JSON in single quotes, so that its double quotes reach the hub:\n"
    "  --args '{\"brightness_pct\": 30}'"
)


def _bad_args(exc: json.JSONDecodeError) -> str:
    """What is wrong with --args, where (the text with a caret under the column), and the
    usual cause: a shell that ate the double quotes."""
    line = exc.doc.splitlines()[exc.lineno - 1] if exc.doc.strip() else exc.doc
    return (
        f"atmosphere call: --args is not valid JSON: {exc.msg} (line {exc.lineno},"
        f" column {exc.colno}):\n  {line}\n  {' ' * (exc.colno - 1)}^\n{_ARGS_HINT}"
    )


def _output_problem(output: str) -> str | None:
    """Why --output cannot be written, checked before the tool is called (a camera's
    frame is not fetched only to be lost)."""
    path = Path(output)
    folder = path.parent
    if path.is_dir():
        return f"atmosphere call: --output {output} is a folder; give a file name in it"
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        return f"atmosphere call: --output {output}: the folder {folder} {what}; create it first"
    if not os.access(folder, os.W_OK):
        return f"atmosphere call: --output {output}: the folder {folder} is not writable"
    return None


def cmd_call(args: argparse.Namespace) -> int:
    try:
        arguments = json.loads(args.args) if args.args else {}
    except json.JSONDecodeError as exc:
        print(_bad_args(exc), file=sys.stderr)
        return EXIT_CONFIG
    if not isinstance(arguments, dict):
        print("atmosphere call: --args must be a JSON object, e.g. '{\"brightness_pct\": 30}',"
              f" got: {args.args}", file=sys.stderr)
        return EXIT_CONFIG
    if args.output and (problem := _output_problem(args.output)):
        print(problem, file=sys.stderr)
        return EXIT_CONFIG

    async def call() -> Any:
        async with _client(args) as client:
            return await client.call(args.capability, args.tool, arguments)

    result = asyncio.run(call())
    if result.data:
        if args.output:
            try:
                Path(args.output).write_bytes(result.data)
            except OSError as exc:  # the folder changed since it was checked
                raise AtmosphereError(f"cannot write {args.output}: {exc.strerror}") from None
            print(f"wrote {len(result.data)} bytes ({result.content_type}) to {args.output}")
        else:
            print(f"{len(result.data)} bytes of {result.content_type}; use --output FILE to save")
    else:
        print(json.dumps(result.value, indent=2, ensure_ascii=False))
    return EXIT_OK


MATTER_SERVER = "sensor.matter_server"
"""The capability the Matter integration registers for its server (integrations/matter)."""


def cmd_matter(args: argparse.Namespace) -> int:
    """`atmosphere matter commission CODE`: the Matter server's commission_with_code, through
    the running hub's Matter integration."""
    arguments = {"code": args.code, "network_only": not args.bluetooth}

    async def call() -> Any:
        async with _client(args) as client:
            return await client.call(MATTER_SERVER, "commission", arguments, timeout=300)

    result = asyncio.run(call())
    print(json.dumps(result.value, indent=2, ensure_ascii=False))
    return EXIT_OK


def cmd_capabilities(args: argparse.Namespace) -> int:
    if args.action == "remove":
        return _remove_capability(args)
    if args.id is not None:
        print(f"atmosphere capabilities: 'list' takes no id (got {args.id!r}); did you mean"
              f" `atmosphere capabilities remove {args.id}`?", file=sys.stderr)
        return EXIT_CONFIG

    async def fetch() -> Any:
        async with _client(args) as client:
            return await client.capabilities()

    capabilities = asyncio.run(fetch())
    if args.json:
        print(json.dumps(capabilities, indent=2, ensure_ascii=False))
        return EXIT_OK
    for line in capability_table(capabilities):
        print(line)
    return EXIT_OK


def capability_table(capabilities: list[dict[str, Any]]) -> list[str]:
    """The lines `atmosphere capabilities` prints: one a capability, in columns; an
    unavailable one says why when the hub knows (``no (no provider)``)."""
    rows = [("ID", "TYPE", "AREA", "AVAILABLE", "STATE")]
    for cap in capabilities:
        state = cap.get("state") or {}
        reason = cap.get("reason")
        available = "yes" if cap.get("available") else (f"no ({reason})" if reason else "no")
        rows.append((cap["id"], cap["type"], cap.get("area", ""), available,
                     str(state.get("state", ""))))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


def _remove_capability(args: argparse.Namespace) -> int:
    if args.id is None:
        print("atmosphere capabilities remove: which one? Give its id, e.g."
              " `atmosphere capabilities remove light.old_porch`", file=sys.stderr)
        return EXIT_CONFIG

    async def remove() -> str:
        async with _client(args) as client:
            return str(await client.remove_capability(args.id))

    print(f"removed {asyncio.run(remove())}")
    return EXIT_OK


def cmd_config_check(args: argparse.Namespace) -> int:
    from hub.config import check_config, config_dir_of

    directory = _config_dir(args.directory)
    if directory is None:
        print("atmosphere config check: no configuration directory found; pass DIR",
              file=sys.stderr)
        return EXIT_CONFIG
    directory = config_dir_of(directory)  # configuration.yaml itself names its directory
    problems = check_config(directory)
    if not problems:
        problems = _automation_problems(directory)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        return EXIT_CONFIG
    print(f"{directory / 'configuration.yaml'}: configuration is valid")
    return EXIT_OK


def _automation_problems(directory: Path) -> list[str]:
    """The problems of the `automation:` and `agents:` sections (file:line each)."""
    from hub.agents import read_agents
    from hub.automations import read_automations
    from hub.config import load_config
    from hub.located import Problems

    config = load_config(directory)
    problems = Problems()
    read_automations(config.automation, problems, config_dir=config.config_dir)
    read_agents(config.agents, problems)
    return problems.lines()


def cmd_blueprint_validate(args: argparse.Namespace) -> int:
    from hub.automations import validate_blueprint

    path = Path(args.file)
    if not path.is_file():
        print(f"atmosphere blueprint validate: no such file: {path}", file=sys.stderr)
        return EXIT_CONFIG
    problems = validate_blueprint(path)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return EXIT_CONFIG
    print(f"{path}: blueprint is valid")
    return EXIT_OK


def cmd_automation(args: argparse.Namespace) -> int:
    async def talk() -> Any:
        async with _client(args) as client:
            if args.automation_command == "list":
                return await client.automations()
            if args.automation_command == "trace":
                return await client.traces(args.id, args.run)
            return await client.automation(args.id, args.automation_command)

    answer = asyncio.run(talk())
    if getattr(args, "json", False) or args.automation_command == "trace" and args.run:
        print(json.dumps(answer, indent=2, ensure_ascii=False))
    elif args.automation_command == "list":
        rows = [("ID", "ALIAS", "MODE", "ENABLED", "LAST TRIGGERED")]
        for item in answer["automations"]:
            rows.append((item["id"], item["alias"], item["mode"],
                         "yes" if item["enabled"] else "no", str(item["last_triggered"] or "")))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for row in rows:
            print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        for problem in answer.get("problems", []):
            print(f"skipped: {problem}", file=sys.stderr)
    elif args.automation_command == "trace":
        for item in answer["traces"]:
            print(f"{item['run_id']}  {item['timestamp']['start']}  "
                  f"{item['script_execution'] or item['state']}  {item['trigger']}"
                  + (f"  error: {item['error']}" if item.get("error") else ""))
    else:
        print(json.dumps(answer, ensure_ascii=False))
    return EXIT_OK


# --- parser ------------------------------------------------------------------------------


def _client_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="the hub's HTTP address (default: from configuration)")
    parser.add_argument("--token", help="API token (default: $ATMOSPHERE_TOKEN or the data dir)")
    parser.add_argument("--config", metavar="DIR", help="configuration directory")
    parser.add_argument("--data", metavar="DIR", help="data directory")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds (default 30)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="atmosphere", description="Atmosphere Hub: routes work to capability."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run the hub")
    run.add_argument("--config", metavar="DIR", help="configuration directory "
                     "(default: $ATMOSPHERE_CONFIG or the built-in defaults)")
    run.add_argument("--data", metavar="DIR", help="data directory (overrides data_dir)")
    run.add_argument("--log-level", choices=["debug", "info", "warning", "error"])
    run.set_defaults(func=cmd_run)

    call = sub.add_parser("call", help="call a tool of a capability on a running hub")
    call.add_argument("capability")
    call.add_argument("tool")
    call.add_argument("--args", help="arguments as a JSON object")
    call.add_argument("--output", "-o", metavar="FILE", help="write a binary result here")
    _client_options(call)
    call.set_defaults(func=cmd_call)

    matter = sub.add_parser("matter", help="the Matter integration of a running hub")
    matter_sub = matter.add_subparsers(dest="action", required=True, metavar="ACTION")
    commission = matter_sub.add_parser(
        "commission", help="commission a Matter device with its setup code")
    commission.add_argument("code", help="the QR code text (MT:...) or the manual pairing code")
    commission.add_argument("--bluetooth", action="store_true",
                            help="the device is not on the network yet (needs the server's "
                                 "Bluetooth)")
    _client_options(commission)
    commission.set_defaults(func=cmd_matter)

    caps = sub.add_parser(
        "capabilities", help="list the capabilities of a running hub, or remove one",
        description="list (the default) the capabilities of a running hub, or remove one"
        " that nobody provides any more (see docs/capabilities.md)",
    )
    caps.add_argument("action", nargs="?", choices=["list", "remove"], default="list")
    caps.add_argument("id", nargs="?", help="the capability to remove")
    caps.add_argument("--json", action="store_true", help="print JSON (list)")
    _client_options(caps)
    caps.set_defaults(func=cmd_capabilities)

    config = sub.add_parser("config", help="configuration tools")
    config_sub = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    check = config_sub.add_parser("check", help="validate a configuration directory")
    check.add_argument("directory", nargs="?", metavar="DIR",
                       help="the directory holding configuration.yaml (or that file itself);"
                       " default: $ATMOSPHERE_CONFIG or config/")
    check.set_defaults(func=cmd_config_check)

    automation = sub.add_parser("automation", help="automations of a running hub")
    automation_sub = automation.add_subparsers(dest="automation_command", required=True,
                                               metavar="ACTION")
    listing = automation_sub.add_parser("list", help="list the automations")
    listing.add_argument("--json", action="store_true", help="print JSON")
    _client_options(listing)
    for name, text in (("trigger", "run an automation now (conditions skipped)"),
                       ("enable", "enable an automation"), ("disable", "disable an automation")):
        one = automation_sub.add_parser(name, help=text)
        one.add_argument("id")
        _client_options(one)
    traces = automation_sub.add_parser("trace", help="an automation's traces, or one trace")
    traces.add_argument("id")
    traces.add_argument("run", nargs="?", help="a run id: print that whole trace as JSON")
    traces.add_argument("--json", action="store_true", help="print JSON")
    _client_options(traces)
    automation.set_defaults(func=cmd_automation)

    blueprint = sub.add_parser("blueprint", help="blueprint tools")
    blueprint_sub = blueprint.add_subparsers(dest="blueprint_command", required=True,
                                             metavar="ACTION")
    validate = blueprint_sub.add_parser("validate", help="check a blueprint file")
    validate.add_argument("file")
    validate.set_defaults(func=cmd_blueprint_validate)

    try:
        route = importlib.import_module("hub.routing.command")
    except ModuleNotFoundError:
        route = None
    if route is not None:
        route.add_parser(sub)
    importlib.import_module("hub.mesh.command").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"atmosphere: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except AtmosphereError as exc:
        print(f"atmosphere: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
