"""`FabricSettings`: where the broker is and how to stay connected to it.

Its own module because both the fabric (`hub.fabric.connection`) and the connector that
opens its sessions (`hub.fabric.connect`) read it.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from hub.errors import FabricError


class _ClosingSSLSocket(ssl.SSLSocket):
    """Closes itself when the handshake fails: paho drops a socket whose handshake raised
    (a certificate that does not verify) without closing it."""

    def do_handshake(self, block: bool = False) -> None:
        try:
            super().do_handshake(block)
        except BaseException:
            self.close()
            raise


@dataclass(frozen=True, slots=True)
class TlsSettings:
    """TLS to the broker (Mosquitto's 8883, say): the CA that signed the broker's
    certificate (the system's CAs when not given), and our own certificate when the broker
    asks for one."""

    ca_certs: Path | None = None
    certfile: Path | None = None
    keyfile: Path | None = None
    """With `certfile`: its private key (when not in the certificate file)."""
    insecure: bool = False
    """Accept any certificate (a self-signed broker without its CA at hand): encrypted but
    not authenticated, so anyone on the path could pose as the broker."""

    def context(self) -> ssl.SSLContext:
        """The client context; FabricError naming the file that cannot be used."""
        try:
            context = ssl.create_default_context(
                cafile=str(self.ca_certs) if self.ca_certs is not None else None)
        except (OSError, ssl.SSLError) as exc:
            raise FabricError(f"mqtt.tls.ca_certs: cannot use {self.ca_certs}: "
                              f"{exc.strerror or exc}") from None
        if self.certfile is not None:
            try:
                context.load_cert_chain(
                    str(self.certfile), str(self.keyfile) if self.keyfile is not None else None)
            except (OSError, ssl.SSLError) as exc:
                raise FabricError(f"mqtt.tls.certfile: cannot use {self.certfile} (key "
                                  f"{self.keyfile or 'in the same file'}): "
                                  f"{exc.strerror or exc}") from None
        if self.insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        context.sslsocket_class = _ClosingSSLSocket
        return context


@dataclass(frozen=True, slots=True)
class FabricSettings:
    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never in logs or tracebacks
    client_id: str = ""
    """Empty: a random ``atmosphere-<hex>`` id per fabric."""
    keepalive: int = 30
    protocol: Literal["5", "3.1.1"] = "5"
    """MQTT 5 falls back to 3.1.1 when the broker refuses it."""
    connect_timeout: float = 5.0
    backoff_initial: float = 0.1
    backoff_max: float = 30.0
    max_backlog: int = 10_000
    """QoS 1 messages held while the broker is away (and queued in flight)."""
    max_inflight: int = 100
    session_expiry: int = 0
    """Seconds the broker keeps our session (subscriptions, queued QoS 1) while we are
    away; 0 asks for a clean session. Needs a fixed `client_id` to be useful."""
    tls: TlsSettings | None = None
    """None: plain TCP."""

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}" + (" (TLS)" if self.tls is not None else "")
