"""The embedded broker's TLS listener (`mqtt: embedded: tls:`), with the real Mosquitto and a
test CA made at test time: the hub starts it, its own fabric and the readiness probe speak
TLS to it, TLS clients with the CA get through, plain clients and (with
`require_certificate`) clients without a certificate are refused."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from hub.config import load_config
from hub.errors import ConfigError, FabricError
from hub.fabric import (
    EmbeddedBroker,
    Fabric,
    FabricSettings,
    ListenerTls,
    TlsSettings,
    broker_answers,
)
from hub.runtime import Hub
from tests.broker import free_port
from tests.hubs import write_config
from tests.test_fabric_tls import open_up, round_trip
from tests.tls import Pki, make_pki


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    made = make_pki(tmp_path_factory.mktemp("pki"))
    open_up(made.ca.parent)
    return made


def client(port: int, tls: TlsSettings | None) -> FabricSettings:
    return FabricSettings(host="127.0.0.1", port=port, tls=tls, connect_timeout=3.0,
                          backoff_max=0.2)


def embedded_config(tmp_path: Path, pki: Pki, *, require_certificate: bool,
                    hub_tls: dict[str, object] | None = None) -> Path:
    port = free_port()
    embedded: dict[str, object] = {"port": port, "tls": {
        "certfile": str(pki.server_cert), "keyfile": str(pki.server_key),
        "cafile": str(pki.ca), "require_certificate": require_certificate}}
    mqtt: dict[str, object] = {"port": port, "embedded": embedded}
    if hub_tls is not None:
        mqtt["tls"] = hub_tls
    return write_config(tmp_path, mqtt=mqtt)


async def test_a_hub_with_an_embedded_tls_broker(tmp_path: Path, pki: Pki) -> None:
    config = load_config(embedded_config(tmp_path, pki, require_certificate=False))
    async with Hub(config) as hub:
        assert hub.embedded_broker
        port = config.mqtt.embedded.port
        assert hub.broker_url == f"mqtts://127.0.0.1:{port}"
        assert await round_trip(hub.fabric, "embedded/hub")  # the hub's own fabric: TLS
        async with Fabric(client(port, TlsSettings(ca_certs=pki.ca))) as fabric:
            assert await round_trip(fabric, "embedded/tls") == b"over tls " * 4000
        assert not await broker_answers("127.0.0.1", port)  # plain MQTT gets no CONNACK
        with pytest.raises(FabricError, match=rf"Not connected to 127\.0\.0\.1:{port}: "):
            async with Fabric(client(port, None)):
                pass
        # the key and certificate Mosquitto reads are copies it alone can read
        copied = config.data_dir / "broker" / "tls"
        key = copied / "server.key"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert stat.S_IMODE(copied.stat().st_mode) == 0o700
        text = (config.data_dir / "broker" / "mosquitto.conf").read_text()
        assert f"keyfile {key}\n" in text and f"certfile {copied / 'server.crt'}\n" in text
        assert "require_certificate false\n" in text


async def test_require_certificate_refuses_clients_without_one(tmp_path: Path,
                                                               pki: Pki) -> None:
    config = load_config(embedded_config(
        tmp_path, pki, require_certificate=True, hub_tls={
            "ca_certs": str(pki.ca), "certfile": str(pki.client_cert),
            "keyfile": str(pki.client_key)}))
    port = config.mqtt.embedded.port
    async with Hub(config) as hub:
        assert await round_trip(hub.fabric, "embedded/mutual")
        with_cert = TlsSettings(ca_certs=pki.ca, certfile=pki.client_cert,
                                keyfile=pki.client_key)
        async with Fabric(client(port, with_cert)) as fabric:
            assert await round_trip(fabric, "embedded/with-cert")
        with pytest.raises(FabricError, match=rf"Not connected to 127\.0\.0\.1:{port} \(TLS\)"):
            async with Fabric(client(port, TlsSettings(ca_certs=pki.ca))):
                pass


async def test_the_broker_alone_probes_over_tls(tmp_path: Path, pki: Pki) -> None:
    tls = ListenerTls(certfile=pki.server_cert, keyfile=pki.server_key)
    async with EmbeddedBroker(tmp_path / "broker", port=0, tls=tls) as broker:
        assert broker.url == f"mqtts://127.0.0.1:{broker.port}"
        assert await broker_answers("127.0.0.1", broker.port, tls=tls.probe_context())
        assert not await broker_answers("127.0.0.1", broker.port)


def test_embedded_tls_configuration_problems(tmp_path: Path, pki: Pki) -> None:
    config_dir = write_config(tmp_path, mqtt={"embedded": {"tls": {
        "keyfile": "missing.key", "require_certificate": True, "tls_version": "tlsv9"}}})
    with pytest.raises(ConfigError) as caught:
        load_config(config_dir)
    text = str(caught.value)
    assert "mqtt.embedded.tls: certfile and keyfile are both needed" in text
    assert f"keyfile: no such file {config_dir / 'missing.key'}" in text
    assert "mqtt.embedded.tls.tls_version: expected one of tlsv1.2, tlsv1.3" in text
    assert ("require_certificate: the hub connects to its own broker too, so it needs a "
            "client certificate: set mqtt.tls.certfile and mqtt.tls.keyfile") in text
