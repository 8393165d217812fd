"""A real python-matter-server for tests, sandboxed.

- Its own virtual environment (its pins clash with the hub's), created once under
  ``~/.cache/atmosphere/matter-server-venv`` when missing (a progress line says so).
- Run by bubblewrap: the whole file system read-only but a temporary folder bound to
  ``/data`` (the SDK writes ``/data/chip_*.ini``) and a private ``/tmp`` (``/tmp/chip_kvs``),
  in a network namespace of its own (``--unshare-net``: only a loopback, so its mDNS
  browsing and certificate downloads never reach the real network).
- Reached through a relay pair: inside the namespace a small relay accepts on a Unix socket
  in the bound folder and connects to the server's port on the namespace's loopback;
  outside, the test side listens on a free port of the host's loopback and forwards each
  connection to that Unix socket. The hub connects to ``ws://127.0.0.1:<port>/ws``.
- In a chroot (the fresh-Debian check) bwrap cannot run ("/" is not a mount point): there
  the server runs in `unshare --net --pid` with the chroot's own /data and /tmp.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from tests.broker import free_port

VERSION = "7.0.1"
VENV = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "atmosphere" / \
    "matter-server-venv"
LIBRARIES = ("libnl-3-200", "libnl-route-3-200", "libglib2.0-0", "bubblewrap")

_INNER_RELAY = """
import asyncio, sys
async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()
async def client(reader, writer):
    for _ in range(100):
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", 5580)
            break
        except OSError:
            await asyncio.sleep(0.1)
    else:
        writer.close()
        return
    await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
async def main():
    server = await asyncio.start_unix_server(client, sys.argv[1])
    await server.serve_forever()
asyncio.run(main())
"""


# SIOCSIFFLAGS on "lo" with IFF_UP | IFF_RUNNING: a new network namespace's loopback is down.
_LOOPBACK_UP = ("import fcntl, socket, struct; fcntl.ioctl(socket.socket(), 0x8914, "
                "struct.pack('16sH14x', b'lo', 0x41))")


def _root_is_a_mount_point() -> bool:
    """False in a chroot, where bwrap fails ("Failed to make / slave")."""
    mounts = Path("/proc/self/mountinfo").read_text().splitlines()
    return any(line.split()[4] == "/" for line in mounts if len(line.split()) > 4)


def ensure_venv() -> Path:
    """The server's virtual environment, installed when missing (never skipped)."""
    python = VENV / "bin" / "python"
    if (VENV / ".complete").exists() and python.exists():
        return python
    missing = [deb for deb, path in (("bubblewrap", "bwrap"),) if shutil.which(path) is None]
    if missing:
        raise RuntimeError(f"the Matter server tests need {', '.join(missing)}: run "
                           f"./bootstrap.sh test (as root it installs {' '.join(LIBRARIES)})")
    print(f"\ntests: installing python-matter-server[server]=={VERSION} into {VENV} "
          f"(once; a few minutes)...", file=sys.__stderr__, flush=True)
    building = VENV.with_name(VENV.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(building)], check=True)
    subprocess.run([str(building / "bin" / "python"), "-m", "pip", "install", "-q",
                    "--disable-pip-version-check", f"python-matter-server[server]=={VERSION}"],
                   check=True)
    shutil.rmtree(VENV, ignore_errors=True)
    building.rename(VENV)  # a venv's python finds its packages relative to itself
    (VENV / ".complete").write_text(VERSION)
    print("tests: python-matter-server installed", file=sys.__stderr__, flush=True)
    return python


class _Forward(socketserver.BaseRequestHandler):
    server: _Relay

    def handle(self) -> None:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as upstream:
            try:
                upstream.connect(str(self.server.target))
            except OSError:
                return
            self._pipe(upstream)

    def _pipe(self, upstream: socket.socket) -> None:
        done = threading.Event()

        def pump(src: socket.socket, dst: socket.socket) -> None:
            try:
                while data := src.recv(65536):
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                done.set()

        other = threading.Thread(target=pump, args=(upstream, self.request), daemon=True)
        other.start()
        pump(self.request, upstream)
        done.wait()
        for s in (upstream, self.request):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        other.join(timeout=5)


class _Relay(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, target: Path) -> None:
        self.target = target
        super().__init__(("127.0.0.1", port), _Forward)


class RealMatterServer:
    """``start()``/``stop()`` the sandboxed server; `url` stays the same across restarts."""

    def __init__(self, directory: Path) -> None:
        self.python = ensure_venv()
        self.data = directory / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        (self.data / "relay.py").write_text(_INNER_RELAY)
        self.port = free_port()
        self.url = f"ws://127.0.0.1:{self.port}/ws"
        self.log = directory / "matter-server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._relay = _Relay(self.port, self.data / "ws.sock")
        self._relay_thread = threading.Thread(target=self._relay.serve_forever, daemon=True)
        self._relay_thread.start()

    def start(self, timeout: float = 60.0) -> None:
        sock = self.data / "ws.sock"
        sock.unlink(missing_ok=True)
        py = self.python
        if _root_is_a_mount_point():
            data = "/data"
            script = ""
            command = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                       "--bind", str(self.data), "/data", "--tmpfs", "/tmp", "--unshare-net",
                       "--unshare-pid", "--die-with-parent", "--", "sh", "-c"]
        else:
            # A chroot (the fresh-Debian check): bwrap cannot make "/" a slave mount there.
            # The network stays confined (a namespace with only a loopback, brought up
            # here); the SDK's /data and /tmp/chip_kvs are the chroot's own, thrown away
            # with it.
            Path("/data").mkdir(exist_ok=True)
            data = str(self.data)
            script = f"{py} -c {_LOOPBACK_UP!r} && "
            command = ["unshare", "--net", "--pid", "--fork", "--kill-child", "--",
                       "sh", "-c"]
        script += (f"{py} {data}/relay.py {data}/ws.sock & exec {py} -m matter_server.server "
                   f"--storage-path {data} --port 5580 --listen-address 127.0.0.1 "
                   f"--log-level debug --log-level-sdk error")
        command.append(script)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"python-matter-server exited with {self.process.returncode}"
                                   f"; its log: {self.log}\n{self.tail()}")
            if self._answers():
                return
            time.sleep(0.2)
        raise RuntimeError(f"python-matter-server did not answer within {timeout:g} s; "
                           f"its log: {self.log}\n{self.tail()}")

    def _answers(self) -> bool:
        """True once a WebSocket handshake through both relays gets the server_info."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                s.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                          b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          b"Sec-WebSocket-Version: 13\r\n\r\n")
                data = b""
                while b"schema_version" not in data:
                    chunk = s.recv(65536)
                    if not chunk:
                        return False
                    data += chunk
                return True
        except OSError:
            return False

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        # the whole session: bwrap, the server and the relay beside it (the PID namespace
        # ends them with bwrap too; this is the belt to those braces)
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:  # it already exited (a failed start): nothing to end
            process.wait()
            return
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def close(self) -> None:
        self.stop()
        self._relay.shutdown()
        self._relay.server_close()


def importable(node: dict[str, Any]) -> dict[str, Any]:
    """A dump with every field MatterNodeData requires (the server reads it strictly)."""
    out = {"node_id": node["node_id"], "date_commissioned": "2024-01-01T00:00:00",
           "last_interview": "2024-01-01T00:00:00", "interview_version": 6,
           "available": True, "is_bridge": False, "attributes": node["attributes"],
           "attribute_subscriptions": []}
    for key in out:
        if key in node:
            out[key] = node[key]
    return out
