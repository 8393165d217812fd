"""A test certificate authority, made at test time with the openssl command: a CA, a
broker certificate for 127.0.0.1/localhost signed by it, and a client certificate."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    other_ca: Path
    """A CA that signed nothing here: trusting it must fail."""


def _run(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _ca(directory: Path, name: str) -> None:
    _run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
         f"/CN={name}", "-keyout", f"{name}.key", "-out", f"{name}.crt", cwd=directory)


def _signed(directory: Path, name: str, ca: str, extensions: str) -> None:
    (directory / f"{name}.ext").write_text(extensions)
    _run("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout",
         f"{name}.key", "-out", f"{name}.csr", cwd=directory)
    _run("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
         "-CAcreateserial", "-days", "2", "-out", f"{name}.crt", "-extfile", f"{name}.ext",
         cwd=directory)


def make_pki(directory: Path) -> Pki:
    directory.mkdir(parents=True, exist_ok=True)
    _ca(directory, "test-ca")
    _ca(directory, "other-ca")
    _signed(directory, "broker", "test-ca",
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    _signed(directory, "client", "test-ca", "extendedKeyUsage=clientAuth\n")
    os.chmod(directory, 0o755)
    for path in directory.iterdir():
        os.chmod(path, 0o644)  # mosquitto drops to its own user and must read them
    return Pki(ca=directory / "test-ca.crt", server_cert=directory / "broker.crt",
               server_key=directory / "broker.key", client_cert=directory / "client.crt",
               client_key=directory / "client.key", other_ca=directory / "other-ca.crt")
