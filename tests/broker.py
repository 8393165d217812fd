"""A real Mosquitto for tests: started on a free loopback port, stopped afterwards."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def mosquitto_binary() -> str:
    for candidate in (shutil.which("mosquitto"), "/usr/sbin/mosquitto"):
        if candidate and os.path.exists(candidate):
            return candidate
    raise RuntimeError(
        "mosquitto is not installed: the test command installs it (apt-get install mosquitto)"
    )


@dataclass
class Mosquitto:
    """One broker process. `stop()` and `start()` again keep the same port."""

    directory: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    listener: str = ""
    """Lines for the listener (TLS files, ``require_certificate``...)."""
    anonymous: bool = True
    password_file: Path | None = None

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def log(self) -> str:
        path = self.directory / "mosquitto.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self) -> None:
        if not self.port:
            self.port = free_port()
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o777)  # started as root, mosquitto drops to its own user
        conf = self.directory / "mosquitto.conf"
        auth = "" if self.password_file is None else f"password_file {self.password_file}\n"
        conf.write_text(
            f"listener {self.port} 127.0.0.1\n"
            f"{self.listener}"
            f"allow_anonymous {'true' if self.anonymous else 'false'}\n"
            f"{auth}"
            "persistence false\n"
            f"log_dest file {self.directory / 'mosquitto.log'}\n"
            "log_type error\nlog_type warning\nlog_type notice\n"
            "max_queued_messages 100000\n"
            "set_tcp_nodelay true\n"
        )
        self.process = subprocess.Popen(
            [mosquitto_binary(), "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"mosquitto exited: {err}{self.log}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"mosquitto did not listen on {self.port}: {self.log}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process and self.process.stderr:
            self.process.stderr.close()
        self.process = None
