"""The embedded broker: a Mosquitto child process on loopback, for a bare machine.

The hub prefers a configured broker, then one answering on localhost; only when neither
exists does it start this one, so that `atmosphere run` works out of the box. It is the
same Mosquitto a production site would run, configured by us: loopback only, anonymous,
persistence in the given directory (QoS 1 work and persistent sessions survive a restart).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pwd
import shutil
import socket
import struct
from pathlib import Path
from types import TracebackType
from typing import Self

from hub.errors import FabricError

_LOGGER = logging.getLogger(__name__)

_SBIN = ("/usr/sbin", "/usr/local/sbin", "/sbin")
_START_TIMEOUT = 10.0


def _connect_packet() -> bytes:
    client_id = f"atmosphere-probe-{os.urandom(4).hex()}".encode()
    # MQTT 3.1.1 CONNECT: every broker speaks it; clean session, keepalive 10 s
    variable = b"\x00\x04MQTT\x04\x02\x00\x0a" + struct.pack("!H", len(client_id)) + client_id
    return bytes((0x10, len(variable))) + variable


async def broker_answers(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when an MQTT broker answers a CONNECT with a CONNACK at host:port.

    A CONNACK that refuses us (e.g. not authorised) still counts: a broker is there.
    """
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port)
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
    ) -> None:
        self.directory = Path(directory)
        self.host = host
        self._port = port
        self._binary = binary
        self._process: asyncio.subprocess.Process | None = None

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self._port}"

    @property
    def log_path(self) -> Path:
        return self.directory / "mosquitto.log"

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
        if self._port == 0:
            self._port = _free_port(self.host)
        elif not _port_is_free(self.host, self._port):
            # Checked first: another broker on that port would answer our readiness probe
            # while our own Mosquitto dies on "address in use".
            raise FabricError(
                f"cannot start the embedded broker: {self.host}:{self._port} is already in use "
                "by another program. If it is a broker, point the hub at it (`mqtt: host:`), "
                "or choose another port (`mqtt: embedded: port:`)"
            )
        config = await asyncio.to_thread(self._write_config)
        stderr_path = self.directory / "mosquitto.stderr"
        with await asyncio.to_thread(stderr_path.open, "wb") as stderr:
            self._process = await asyncio.create_subprocess_exec(
                binary,
                "-c",
                str(config),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=stderr,
                # Its own session: Ctrl+C in the terminal reaches the hub only; the hub stops
                # the broker after it has said goodbye on it.
                start_new_session=True,
            )
        try:
            await self._wait_until_it_answers()
        except BaseException:
            await self._stop()
            raise
        _LOGGER.info(
            "embedded broker started url=%s pid=%d dir=%s",
            self.url,
            self._process.pid,
            self.directory,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._stop()
        _LOGGER.info("embedded broker stopped url=%s", self.url)

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
        if os.geteuid() == 0:
            # Started as root, Mosquitto switches to the user named here (default
            # `mosquitto`), which must be able to write the persistence and log files:
            # run it as whoever owns the directory.
            owner = self.directory.stat().st_uid
            try:
                lines.append(f"user {pwd.getpwuid(owner).pw_name}")
            except KeyError:
                lines.append("user root")
        config = self.directory / "mosquitto.conf"
        config.write_text("\n".join(lines) + "\n")
        return config

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
            if await broker_answers(self.host, self._port, timeout=0.5):
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
        if process is None or process.returncode is not None:
            return
        process.terminate()  # Mosquitto saves its persistence file on SIGTERM
        try:
            async with asyncio.timeout(5.0):
                await process.wait()
        except TimeoutError:
            _LOGGER.warning("embedded broker ignored SIGTERM; killing pid=%d", process.pid)
            process.kill()
            await process.wait()
