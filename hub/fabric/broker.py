"""The embedded broker: a Mosquitto child process on loopback, for a bare machine.

The hub prefers a configured broker, then one answering on localhost; only when neither
exists does it start this one, so that `atmosphere run` works out of the box. It is the
same Mosquitto a production site would run, configured by us: loopback only, anonymous,
persistence in the given directory (QoS 1 work and persistent sessions survive a restart).
Asked to (`ListenerTls`), its listener speaks TLS only, with client certificates if wanted;
the certificate and key are copied into its directory for the user it runs as, mode 0600.

The broker lives and dies with the hub. While the block runs, a broker that exits is
started again on the same port (with backoff, logged), and the fabric reconnects to it.
On Linux the child asks the kernel for SIGTERM when the hub dies (``PR_SET_PDEATHSIG``),
so a killed hub leaves no broker behind; and its PID is in ``mosquitto.pid``, so that the
next start recognises a broker that outlived its hub anyway (the death signal is lost
when Mosquitto changes user) and stops it, rather than adopting it as someone else's.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import pwd
import shutil
import signal
import socket
import ssl
import struct
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from hub.errors import FabricError

_LOGGER = logging.getLogger(__name__)

_SBIN = ("/usr/sbin", "/usr/local/sbin", "/sbin")
_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 5.0
PID_FILE = "mosquitto.pid"
CONFIG_FILE = "mosquitto.conf"
RESTART_INITIAL = 0.5
RESTART_MAX = 30.0
"""Restart backoff (seconds): doubles after each restart that did not last `_STABLE`."""
_STABLE = 60.0
_PR_SET_PDEATHSIG = 1


def _connect_packet() -> bytes:
    client_id = f"atmosphere-probe-{os.urandom(4).hex()}".encode()
    # MQTT 3.1.1 CONNECT: every broker speaks it; clean session, keepalive 10 s
    variable = b"\x00\x04MQTT\x04\x02\x00\x0a" + struct.pack("!H", len(client_id)) + client_id
    return bytes((0x10, len(variable))) + variable


async def broker_answers(host: str, port: int, timeout: float = 0.5, *,
                         tls: ssl.SSLContext | None = None) -> bool:
    """True when an MQTT broker answers a CONNECT with a CONNACK at host:port; over TLS
    with the given context (a TLS listener gives a plain probe no CONNACK, and vice versa).

    A CONNACK that refuses us (e.g. not authorised) still counts: a broker is there.
    """
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(
                host, port, ssl=tls, server_hostname=host if tls is not None else None)
            writer.write(_connect_packet())
            await writer.drain()
            connack = await reader.readexactly(4)
            writer.write(b"\xe0\x00")  # DISCONNECT, so the broker logs no error
            await writer.drain()
        return connack[0] == 0x20 and connack[1] == 0x02
    except (OSError, TimeoutError, asyncio.IncompleteReadError):
        return False
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


def find_mosquitto(name: str = "mosquitto") -> str | None:
    """The broker binary: on PATH, or in the sbin directories Debian installs it to."""
    path = os.pathsep.join([os.environ.get("PATH", ""), *_SBIN])
    return shutil.which(name, path=path)


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        # As Mosquitto binds: a port in TIME_WAIT after our own last run counts as free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


@dataclass(frozen=True, slots=True)
class ListenerTls:
    """The embedded broker's listener over TLS: Mosquitto's listener options of the same
    names. Its readiness probe presents `probe_certfile` when `require_certificate` is on
    (the hub's own client certificate); it does not verify the broker, its own child."""

    certfile: Path
    keyfile: Path
    cafile: Path | None = None
    require_certificate: bool = False
    tls_version: str | None = None
    probe_certfile: Path | None = None
    probe_keyfile: Path | None = None

    def probe_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        if self.probe_certfile is not None:
            context.load_cert_chain(
                str(self.probe_certfile),
                str(self.probe_keyfile) if self.probe_keyfile is not None else None)
        return context


_TLS_DIR = "tls"
_TLS_COPIES = (("certfile", "server.crt"), ("keyfile", "server.key"), ("cafile", "ca.crt"))


class EmbeddedBroker:
    """``async with EmbeddedBroker(directory, port=0) as broker``: Mosquitto is answering
    on ``broker.url`` inside the block, and stopped after it. Port 0 picks a free port."""

    def __init__(
        self,
        directory: Path,
        host: str = "127.0.0.1",
        port: int = 1883,
        *,
        binary: str = "mosquitto",
        extra: str = "",
        tls: ListenerTls | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.extra = extra
        """More configuration appended to ``mosquitto.conf`` (the mesh's bridges)."""
        self.tls = tls
        self._probe_tls = tls.probe_context() if tls is not None else None
        self.host = host
        self._port = port
        self._binary = binary
        self._path = ""
        self._process: asyncio.subprocess.Process | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._stopping = False
        self.restarts = 0
        """How often the broker was started again after it exited on its own."""

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        scheme = "mqtt" if self.tls is None else "mqtts"
        return f"{scheme}://{self.host}:{self._port}"

    @property
    def log_path(self) -> Path:
        return self.directory / "mosquitto.log"

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    async def __aenter__(self) -> Self:
        if self._process is not None:
            raise FabricError(f"the embedded broker on {self.host}:{self._port} is already running")
        binary = find_mosquitto(self._binary)
        if binary is None:
            raise FabricError(
                "no MQTT broker: none is configured, none answers on localhost, and the "
                f"embedded one needs Mosquitto ({self._binary!r} not found). Install it "
                "(`sudo apt-get install mosquitto`) or point the hub at your broker with "
                "`mqtt: host:` in configuration.yaml"
            )
        self._path = binary
        await stop_orphan(self.directory)
        if self._port == 0:
            self._port = _free_port(self.host)
        self._check_port()
        await asyncio.to_thread(self._write_config)
        self._stopping = False
        await self._start(append=False)
        _LOGGER.info(
            "embedded broker started url=%s pid=%d dir=%s", self.url, self.pid, self.directory
        )
        self._supervisor = asyncio.create_task(self._supervise(), name="broker.supervise")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stopping = True
        supervisor, self._supervisor = self._supervisor, None
        if supervisor is not None:
            supervisor.cancel()
            await asyncio.wait([supervisor])
        await self._stop()
        _LOGGER.info("embedded broker stopped url=%s", self.url)

    def _check_port(self) -> None:
        if not _port_is_free(self.host, self._port):
            # Checked first: another broker on that port would answer our readiness probe
            # while our own Mosquitto dies on "address in use".
            raise FabricError(
                f"cannot start the embedded broker: {self.host}:{self._port} is already in use "
                "by another program. If it is a broker, point the hub at it (`mqtt: host:`), "
                "or choose another port (`mqtt: embedded: port:`)"
            )

    async def _start(self, *, append: bool) -> None:
        """Start Mosquitto and return once it answers; its PID goes to the pid file."""
        stderr_path = self.directory / "mosquitto.stderr"
        with await asyncio.to_thread(stderr_path.open, "ab" if append else "wb") as stderr:
            self._process = await asyncio.create_subprocess_exec(
                self._path,
                "-c",
                str(self.directory / CONFIG_FILE),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=stderr,
                # Its own session: Ctrl+C in the terminal reaches the hub only; the hub stops
                # the broker after it has said goodbye on it.
                start_new_session=True,
                preexec_fn=_die_with_parent(),
            )
        pid_file = self.directory / PID_FILE
        await asyncio.to_thread(pid_file.write_text, f"{self._process.pid}\n")
        try:
            await self._wait_until_it_answers()
        except BaseException:
            await self._stop()
            raise

    async def _supervise(self) -> None:
        """Start the broker again whenever it exits, until the block ends."""
        delay = RESTART_INITIAL
        while True:
            process = self._process
            started = time.monotonic()
            if process is not None:
                code = await process.wait()
                if self._stopping:
                    return
                if time.monotonic() - started > _STABLE:
                    delay = RESTART_INITIAL
                _LOGGER.error(
                    "embedded broker exited unexpectedly code=%s pid=%d url=%s; restarting in "
                    "%.1f s: %s",
                    code,
                    process.pid,
                    self.url,
                    delay,
                    self._diagnostics(),
                )
                self._process = None
            await asyncio.sleep(delay)  # backoff: a broker that dies at once must not spin
            delay = min(delay * 2, RESTART_MAX)
            try:
                self._check_port()
                await self._start(append=True)
            except (FabricError, OSError) as exc:
                _LOGGER.error(
                    "embedded broker not restarted url=%s, retrying in %.1f s: %s",
                    self.url,
                    delay,
                    exc,
                )
                continue
            except Exception:  # whatever it is, keep trying: the hub needs its broker
                _LOGGER.exception("embedded broker restart failed url=%s", self.url)
                continue
            self.restarts += 1
            _LOGGER.warning(
                "embedded broker restarted url=%s pid=%d restarts=%d",
                self.url,
                self.pid,
                self.restarts,
            )

    def _write_config(self) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        lines = [
            f"listener {self._port} {self.host}",
            "allow_anonymous true",
            "persistence true",
            f"persistence_location {self.directory}/",
            "autosave_interval 30",
            f"log_dest file {self.log_path}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "max_queued_messages 10000",
            "set_tcp_nodelay true",  # large payloads (camera frames) must not wait for ACKs
        ]
        owner = self.directory.stat().st_uid
        if os.geteuid() == 0:
            # Started as root, Mosquitto switches to the user named here (default
            # `mosquitto`), which must be able to write the persistence and log files:
            # run it as whoever owns the directory.
            try:
                lines.append(f"user {pwd.getpwuid(owner).pw_name}")
            except KeyError:
                lines.append("user root")
        if self.tls is not None:
            lines[1:1] = self._tls_lines(owner)
        config = self.directory / CONFIG_FILE
        extra = f"\n{self.extra}" if self.extra else ""
        config.write_text("\n".join(lines) + "\n" + extra)
        return config

    def _tls_lines(self, owner: int) -> list[str]:
        """The listener's TLS options, naming copies of the files in `<directory>/tls` that
        only the broker's user can read (the originals may be root's, or too open)."""
        tls = self.tls
        assert tls is not None
        folder = self.directory / _TLS_DIR
        folder.mkdir(mode=0o700, exist_ok=True)
        folder.chmod(0o700)
        lines = []
        for option, name in _TLS_COPIES:
            source: Path | None = getattr(tls, option)
            if source is None:
                continue
            copy = folder / name
            try:
                data = source.read_bytes()
            except OSError as exc:
                raise FabricError(f"mqtt.embedded.tls.{option}: cannot read {source}: "
                                  f"{exc.strerror or exc}") from None
            descriptor = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as out:
                out.write(data)
            copy.chmod(0o600)
            lines.append(f"{option} {copy}")
        if os.geteuid() == 0:
            for path in (folder, *folder.iterdir()):
                os.chown(path, owner, -1)
        lines.append(f"require_certificate {'true' if tls.require_certificate else 'false'}")
        if tls.tls_version is not None:
            lines.append(f"tls_version {tls.tls_version}")
        return lines

    async def _wait_until_it_answers(self) -> None:
        process = self._process
        assert process is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _START_TIMEOUT
        while loop.time() < deadline:
            if process.returncode is not None:
                raise FabricError(
                    f"the embedded broker exited with code {process.returncode} on "
                    f"{self.host}:{self._port}: {self._diagnostics()}"
                )
            if await broker_answers(self.host, self._port, timeout=0.5, tls=self._probe_tls):
                return
            await asyncio.sleep(0.02)  # polling a child process that gives no ready signal
        raise FabricError(
            f"the embedded broker did not answer on {self.host}:{self._port} within "
            f"{_START_TIMEOUT:g} s: {self._diagnostics()}"
        )

    def _diagnostics(self) -> str:
        text = ""
        for path in (self.directory / "mosquitto.stderr", self.log_path):
            with contextlib.suppress(OSError):
                text += path.read_text(errors="replace")
        lines = [line for line in text.splitlines() if line.strip()]
        return " | ".join(lines[-5:]) or f"no output (see {self.log_path})"

    async def _stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.returncode is None:
            process.terminate()  # Mosquitto saves its persistence file on SIGTERM
            try:
                async with asyncio.timeout(_STOP_TIMEOUT):
                    await process.wait()
            except TimeoutError:
                _LOGGER.warning("embedded broker ignored SIGTERM; killing pid=%d", process.pid)
                process.kill()
                await process.wait()
        with contextlib.suppress(OSError):
            (self.directory / PID_FILE).unlink()


async def stop_orphan(directory: Path) -> int | None:
    """Stop an embedded broker that outlived its hub: the process named by the pid file in
    `directory`, if it still runs Mosquitto with that directory's configuration. Returns
    its PID, or None when there was none.

    The caller holds the data directory's lock, so no running hub owns that broker.
    """
    pid_file = directory / PID_FILE
    try:
        text = await asyncio.to_thread(pid_file.read_text)
    except OSError:
        return None
    pid = int(text.strip()) if text.strip().isdigit() else 0
    if not pid or not _runs_our_broker(pid, directory / CONFIG_FILE):
        # gone, or the PID now belongs to another program: nothing of ours to stop
        with contextlib.suppress(OSError):
            pid_file.unlink()
        return None
    _LOGGER.warning(
        "stopping the embedded broker a previous hub left running pid=%d dir=%s", pid, directory
    )
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)  # it saves its persistence file first
    deadline = time.monotonic() + _STOP_TIMEOUT
    while _alive(pid):
        if time.monotonic() > deadline:
            _LOGGER.warning("the old embedded broker ignored SIGTERM; killing pid=%d", pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + _STOP_TIMEOUT
        await asyncio.sleep(0.02)  # not our child: no exit to wait for, only to poll
    with contextlib.suppress(OSError):
        pid_file.unlink()
    return pid


def _runs_our_broker(pid: int, config: Path) -> bool:
    """True when `pid` is a live process started with `config` (Linux: /proc). Elsewhere
    nothing can be checked, and a PID may have been reused: say no."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return str(config).encode() in cmdline and _alive(pid)


def _alive(pid: int) -> bool:
    """Running, and not a zombie waiting for a parent to reap it."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return "\nState:\tZ" not in status


def _die_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` that makes the kernel send the child SIGTERM when the hub dies
    (Linux's PR_SET_PDEATHSIG); None elsewhere.

    The signal goes when the thread that started the child ends: the event loop's thread,
    which lives as long as the hub. Everything the child runs is looked up beforehand, so
    that between fork and exec it only calls into libc.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()
    getppid, exit_now = os.getppid, os._exit

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if getppid() != parent:  # the hub died before the request took effect
            exit_now(1)

    return preexec
