"""MQTT over TLS: a real Mosquitto with a test CA made at test time (openssl), with and
without client certificates, `insecure` for a broker whose CA is not at hand, and
username/password from `!secret` (on a broker that requires them)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from hub.config import load_config
from hub.errors import ConfigError, FabricError
from hub.fabric import Fabric, FabricSettings, TlsSettings
from hub.runtime import Hub
from tests.broker import Mosquitto
from tests.hubs import write_config
from tests.tls import Pki, make_pki


def open_up(path: Path) -> None:
    """Let mosquitto (which drops root for its own user) reach `path`: every directory on
    the way gets o+x."""
    for directory in (path, *path.parents):
        if directory == Path("/tmp") or directory == directory.parent:
            break
        directory.chmod(directory.stat().st_mode | 0o755)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    made = make_pki(tmp_path_factory.mktemp("pki"))
    open_up(made.ca.parent)
    return made


def _broker(directory: Path, pki: Pki, *, client_certs: bool,
            password_file: Path | None = None) -> Iterator[Mosquitto]:
    directory.mkdir(parents=True, exist_ok=True)
    open_up(directory)
    broker = Mosquitto(directory, listener=(
        f"cafile {pki.ca}\ncertfile {pki.server_cert}\nkeyfile {pki.server_key}\n"
        f"require_certificate {'true' if client_certs else 'false'}\n"),
        anonymous=password_file is None, password_file=password_file)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def tls_broker(tmp_path: Path, pki: Pki) -> Iterator[Mosquitto]:
    yield from _broker(tmp_path / "tls-broker", pki, client_certs=False)


@pytest.fixture
def mutual_broker(tmp_path: Path, pki: Pki) -> Iterator[Mosquitto]:
    yield from _broker(tmp_path / "mutual-broker", pki, client_certs=True)


def settings(broker: Mosquitto, tls: TlsSettings | None) -> FabricSettings:
    return FabricSettings(host=broker.host, port=broker.port, tls=tls, connect_timeout=3.0,
                          backoff_max=0.2)


async def round_trip(fabric: Fabric, topic: str) -> bytes:
    got: list[bytes] = []
    arrived = asyncio.Event()

    def on_message(message: object) -> None:
        got.append(message.payload)  # type: ignore[attr-defined]
        arrived.set()

    fabric.subscribe(topic, on_message, 1)
    await fabric.wait_subscribed()
    fabric.publish(topic, b"over tls " * 4000, qos=1)  # larger than one TLS record
    async with asyncio.timeout(5):
        await arrived.wait()
    return got[0]


async def test_tls_with_the_ca_carries_messages(tls_broker: Mosquitto, pki: Pki) -> None:
    async with Fabric(settings(tls_broker, TlsSettings(ca_certs=pki.ca))) as fabric:
        assert await round_trip(fabric, "tls/a") == b"over tls " * 4000


async def test_a_broker_signed_by_another_ca_is_refused(tls_broker: Mosquitto,
                                                        pki: Pki) -> None:
    with pytest.raises(FabricError, match=r"Not connected to 127\.0\.0\.1:\d+ \(TLS\): "
                                          r".*certificate verify failed"):
        async with Fabric(settings(tls_broker, TlsSettings(ca_certs=pki.other_ca))):
            pass


async def test_insecure_accepts_a_broker_whose_ca_is_not_at_hand(tls_broker: Mosquitto,
                                                                 pki: Pki) -> None:
    tls = TlsSettings(ca_certs=pki.other_ca, insecure=True)
    async with Fabric(settings(tls_broker, tls)) as fabric:
        assert await round_trip(fabric, "tls/insecure")


async def test_client_certificates(mutual_broker: Mosquitto, pki: Pki) -> None:
    tls = TlsSettings(ca_certs=pki.ca, certfile=pki.client_cert, keyfile=pki.client_key)
    async with Fabric(settings(mutual_broker, tls)) as fabric:
        assert await round_trip(fabric, "tls/mutual")
    with pytest.raises(FabricError, match=r"Not connected to 127\.0\.0\.1:\d+ \(TLS\)"):
        async with Fabric(settings(mutual_broker, TlsSettings(ca_certs=pki.ca))):
            pass


def test_unusable_files_are_named() -> None:
    with pytest.raises(FabricError, match="mqtt.tls.ca_certs: cannot use /nowhere/ca.crt: "
                                          "No such file or directory"):
        TlsSettings(ca_certs=Path("/nowhere/ca.crt")).context()


def test_tls_configuration_relative_paths_and_problems(tmp_path: Path, pki: Pki) -> None:
    config_dir = write_config(tmp_path, mqtt={"host": "broker.lan", "port": 8883, "tls": {
        "ca_certs": "certs/ca.crt", "keyfile": str(pki.client_key)}})
    with pytest.raises(ConfigError) as caught:
        load_config(config_dir)
    text = str(caught.value)
    assert f"mqtt.tls.ca_certs: ca_certs: no such file {config_dir / 'certs' / 'ca.crt'}" in text
    assert "keyfile needs certfile (the client certificate it belongs to)" in text
    (config_dir / "certs").mkdir()
    (config_dir / "certs" / "ca.crt").write_bytes(pki.ca.read_bytes())
    config_dir = write_config(tmp_path, mqtt={"host": "broker.lan", "tls": {
        "ca_certs": "certs/ca.crt", "insecure": True}})
    tls = load_config(config_dir).mqtt.tls
    assert tls is not None and tls.ca_certs == config_dir / "certs" / "ca.crt" and tls.insecure
    assert load_config(write_config(tmp_path, mqtt={"host": "b", "tls": True})).mqtt.tls \
        is not None


async def test_a_hub_over_tls_with_a_password_from_secrets(tmp_path: Path, pki: Pki) -> None:
    passwords = tmp_path / "passwd"
    passwords.write_text("")
    made = await asyncio.create_subprocess_exec(
        "mosquitto_passwd", "-b", str(passwords), "hub", "s3cret pass")
    assert await made.wait() == 0
    passwords.chmod(0o644)
    for broker in _broker(tmp_path / "auth-broker", pki, client_certs=True,
                          password_file=passwords):
        config_dir = write_config(tmp_path, mqtt={
            "host": broker.host, "port": broker.port, "username": "hub", "password": "PW",
            "tls": {"ca_certs": str(pki.ca), "certfile": str(pki.client_cert),
                    "keyfile": str(pki.client_key)}})
        text = (config_dir / "configuration.yaml").read_text()
        (config_dir / "configuration.yaml").write_text(
            text.replace("username: hub", "username: !secret mqtt_user")
            .replace("password: PW", "password: !secret mqtt_password"))
        (config_dir / "secrets.yaml").write_text(yaml.safe_dump(
            {"mqtt_user": "hub", "mqtt_password": "s3cret pass"}))
        config = load_config(config_dir)
        assert config.mqtt.password == "s3cret pass"
        async with Hub(config) as hub:
            assert await round_trip(hub.fabric, "tls/hub")
        wrong = config_dir / "secrets.yaml"
        wrong.write_text(yaml.safe_dump({"mqtt_user": "hub", "mqtt_password": "nope"}))
        with pytest.raises(FabricError, match=r"\(TLS\)"):
            async with Hub(load_config(config_dir)):
                pass
