"""`HubConfig`: what ``configuration.yaml`` says, checked and turned into frozen values.

Defaults live in the dataclasses below and nowhere else: `builtin_config()` (used when no
configuration directory exists, e.g. installed from a wheel) and a configuration file that
leaves a key out both get them.
"""

from __future__ import annotations

import base64
import math
import os
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from hub.capfile import NO_NODE, read_capabilities
from hub.config.mqtt import INTEGRATION as MQTT_INTEGRATION
from hub.config.mqtt import read_mqtt
from hub.identity import node_id_for
from hub.located import (
    Located,
    Mark,
    Problems,
    Section,
    as_choice,
    as_list,
    as_mapping,
    located,
)
from hub.model import Capability

MqttProtocol = Literal["5", "3.1.1"]

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_INTEGRATION_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_PROTOCOLS: Mapping[str, MqttProtocol] = MappingProxyType(
    {"5": "5", "5.0": "5", "3.1.1": "3.1.1", "311": "3.1.1"}
)
_LEVELS: Mapping[str, str] = MappingProxyType({level: level for level in LOG_LEVELS})
_EMPTY_INTEGRATIONS: Mapping[str, Located] = MappingProxyType({})
_EMPTY_LOGS: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class EmbeddedBrokerConfig:
    """The broker the hub starts itself when `MqttConfig.host` is unset and none answers."""

    host: str = "127.0.0.1"
    port: int = 1883
    tls: EmbeddedTlsConfig | None = None
    """None: a plain MQTT listener."""


@dataclass(frozen=True, slots=True)
class EmbeddedTlsConfig:
    """`mqtt: embedded: tls:`: the embedded broker's listener speaks TLS (Mosquitto's
    listener options of the same names). Paths are absolute and were found."""

    certfile: Path
    keyfile: Path
    cafile: Path | None = None
    """The CA that signs client certificates (and, unless `mqtt.tls` says otherwise, the
    broker's own: the hub verifies its broker with it)."""
    require_certificate: bool = False
    tls_version: str | None = None
    """None: Mosquitto's default (TLS 1.2 and 1.3)."""


@dataclass(frozen=True, slots=True)
class MqttTlsConfig:
    """`mqtt: tls:`: TLS to the broker. Paths are absolute (relative ones are read from the
    configuration's directory) and were found when the configuration was read."""

    ca_certs: Path | None = None
    certfile: Path | None = None
    keyfile: Path | None = None
    insecure: bool = False


@dataclass(frozen=True, slots=True)
class MqttConfig:
    host: str | None = None
    """None: auto, i.e. a broker on localhost:`port` if one answers, else the embedded one."""
    port: int = 1883
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never in logs or tracebacks
    client_id: str | None = None
    """None: derived from the node id."""
    keepalive: int = 30
    protocol: MqttProtocol = "5"
    embedded: EmbeddedBrokerConfig = field(default_factory=EmbeddedBrokerConfig)
    tls: MqttTlsConfig | None = None
    """None: plain TCP (`tls: true` is TLS with the system's CAs)."""


@dataclass(frozen=True, slots=True)
class HttpConfig:
    host: str = "127.0.0.1"
    port: int = 8420


@dataclass(frozen=True, slots=True)
class LoggingConfig:
    level: str = "INFO"
    logs: Mapping[str, str] = field(default_factory=lambda: _EMPTY_LOGS)
    """Levels of single loggers, e.g. ``{"hub.fabric": "DEBUG"}``."""


@dataclass(frozen=True, slots=True)
class RoutingConfig:
    """The embedding model routing uses; loaded on the first request that needs it."""

    model: Path | None = None
    """An ONNX sentence encoder of your own; None for the installed all-MiniLM-L6-v2."""
    tokenizer: Path | None = None
    """Its tokenizer.json; None for the packaged one (which fits all-MiniLM-L6-v2)."""
    threads: int = 1
    per_channel: bool = True
    """Run a per-channel quantised copy built once in the data directory (half the RSS)."""


STALE_AFTER_S = 7 * 86400.0
"""How long a capability restored from the store may go without its provider before it is
withdrawn, by default: a week covers a holiday with a bridge switched off."""


@dataclass(frozen=True, slots=True)
class RegistryConfig:
    """What the hub does with capabilities nobody provides any more (hub/leftovers.py)."""

    stale_after: float = STALE_AFTER_S
    """Seconds a restored capability may go unclaimed by its provider before it is
    withdrawn."""


@dataclass(frozen=True, slots=True)
class DiscoveryConfig:
    enabled: bool = False
    """Off by default: advertising tells the whole LAN that a hub is here."""
    interfaces: tuple[str, ...] = ()
    """IPv4 addresses discovery binds to; empty for every interface."""


@dataclass(frozen=True, slots=True)
class MeshConfig:
    """The mesh this hub belongs to (docs/mesh.md). Unset keys fall back to what
    ``atmosphere mesh join`` stored in the data directory's ``mesh/``."""

    root_key: str | None = None
    """The mesh root public key, a PASERK ``k4.public.`` string."""
    mesh_id: str | None = None
    """The mesh id, checked against the root key when both are given."""
    token_file: Path | None = None
    """This hub's node token; None for ``<data_dir>/mesh/node.token``."""
    bridges: tuple[BridgeConfig, ...] = ()
    """MQTT bridges the embedded broker opens to other sites' brokers (docs/mesh.md)."""
    discovery: DiscoveryConfig = field(default_factory=DiscoveryConfig)
    """Advertising this hub and finding peers and brokers on the LAN (mDNS)."""


@dataclass(frozen=True, slots=True)
class BridgeConfig:
    """One Mosquitto bridge from this site's broker to a peer site's (`hub.mesh.bridges`)."""

    peer: str
    """The connection's name: the peer site."""
    address: str
    """The peer broker's ``host:port``."""
    remote_nodes: tuple[str, ...] = ()
    """Node ids behind this bridge (on the peer's side of the tree): their rpc and reply
    topics go out through it."""
    local_nodes: tuple[str, ...] = ()
    """Node ids on this side; their rpc and reply topics come in through it. Empty: this
    hub's own node id."""
    username: str | None = None
    password: str | None = None
    restart_timeout: tuple[int, int] = (2, 30)
    """Reconnect backoff, base and cap in seconds."""


_PASERK_PUBLIC = re.compile(r"^k4\.public\.[A-Za-z0-9_-]{43}$")
_MESH_ID = re.compile(r"^[a-z2-7]{26}$")


@dataclass(frozen=True, slots=True)
class HubConfig:
    name: str
    """The node's human name; the hostname unless set."""
    data_dir: Path
    config_dir: Path | None = None
    """Where ``configuration.yaml`` was read; None for the built-in configuration."""
    mqtt: MqttConfig = field(default_factory=MqttConfig)
    http: HttpConfig = field(default_factory=HttpConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    routing: RoutingConfig = field(default_factory=RoutingConfig)
    registry: RegistryConfig = field(default_factory=RegistryConfig)
    mesh: MeshConfig = field(default_factory=MeshConfig)
    integrations: Mapping[str, Located] = field(default_factory=lambda: _EMPTY_INTEGRATIONS)
    """Integration name -> its raw section, checked by the integration's own ``validate``.
    ``mqtt`` comes first when `mqtt:` holds entities (hub/config/mqtt.py)."""
    capabilities: tuple[Capability, ...] = ()
    """Capabilities declared by the user (node left empty: the runtime fills it in)."""
    automation: Located | None = None
    """The raw `automation:` section (Home Assistant's format), read by hub.automations:
    a broken automation is reported and skipped there, so it never stops the hub."""
    agents: Located | None = None
    """The raw `agents:` section, read by hub.agents when the hub starts (a broken agent is
    a configuration error, file:line)."""


TOP_LEVEL = (
    "name", "data_dir", "mqtt", "http", "logging", "routing", "registry", "mesh",
    "integrations", "capabilities", "automation", "agents",
)  # fmt: skip


def default_name() -> str:
    return socket.gethostname() or "atmosphere"


def default_data_dir(env: Mapping[str, str] | None = None) -> Path:
    """``$ATMOSPHERE_DATA``, else ``$XDG_DATA_HOME/atmosphere``, else ~/.local/share/..."""
    env = os.environ if env is None else env
    explicit = env.get("ATMOSPHERE_DATA")
    if explicit:
        return Path(explicit).expanduser().absolute()
    xdg = env.get("XDG_DATA_HOME")
    if xdg and Path(xdg).is_absolute():  # the XDG spec says to ignore relative values
        return Path(xdg) / "atmosphere"
    return Path.home() / ".local" / "share" / "atmosphere"


def builtin_config(env: Mapping[str, str] | None = None) -> HubConfig:
    """The configuration of ``config/configuration.yaml``, from code (a test keeps them equal)."""
    demo = located(None, mark=Mark("<built-in>"), path="integrations.demo")
    return HubConfig(
        name=default_name(),
        data_dir=default_data_dir(env),
        integrations=MappingProxyType({"demo": demo}),
    )


def read_config(
    raw: Located,
    problems: Problems,
    *,
    config_dir: Path | None,
    env: Mapping[str, str] | None = None,
) -> HubConfig:
    """Check a configuration document; problems go to `problems`, defaults fill the gaps."""
    top = Section(raw, problems, TOP_LEVEL)
    broker, entities = read_mqtt(top.get("mqtt"), problems)
    return HubConfig(
        name=top.text("name", "") or default_name(),
        data_dir=_data_dir(top, config_dir, env),
        config_dir=config_dir,
        mqtt=_mqtt(broker, config_dir),
        http=_http(Section(top.get("http"), problems, ("host", "port"))),
        logging=_logging(Section(top.get("logging"), problems, ("level", "logs"))),
        routing=_routing(
            Section(top.get("routing"), problems, ("model", "tokenizer", "threads", "per_channel")),
            config_dir,
        ),
        registry=_registry(Section(top.get("registry"), problems, ("stale_after",))),
        mesh=_mesh(
            Section(top.get("mesh"), problems,
                    ("root_key", "mesh_id", "token_file", "bridges", "discovery")),
            config_dir,
        ),
        integrations=_integrations(top.get("integrations"), problems, entities),
        capabilities=_capabilities(top.get("capabilities"), problems),
        automation=top.get("automation"),
        agents=top.get("agents"),
    )


def _data_dir(top: Section, config_dir: Path | None, env: Mapping[str, str] | None) -> Path:
    text = top.optional_text("data_dir")
    if text is None:
        return default_data_dir(env)
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = (config_dir or Path.cwd()) / path
    return path.absolute()


_TLS_KEYS = ("ca_certs", "certfile", "keyfile", "insecure")
_EMBEDDED_TLS_KEYS = ("certfile", "keyfile", "cafile", "require_certificate", "tls_version")
_TLS_VERSIONS: Mapping[str, str] = MappingProxyType(
    {"tlsv1.2": "tlsv1.2", "tlsv1.3": "tlsv1.3"})


def _file(section: Section, key: str, config_dir: Path | None) -> Path | None:
    """An existing file named under `key`: relative to the configuration's directory, `~`
    expanded; a problem with its line when there is no such file."""
    text = section.optional_text(key)
    if text is None:
        return None
    found = Path(text).expanduser()
    if not found.is_absolute():
        found = (config_dir or Path.cwd()) / found
    if not found.is_file():
        child = section.get(key)
        assert child is not None
        section.problems.add(child, f"{key}: no such file {found}")
    return found.absolute()


def _tls(node: Located | None, problems: Problems, config_dir: Path | None
         ) -> MqttTlsConfig | None:
    if node is None or node.is_null:
        return None
    if node.value is True:
        return MqttTlsConfig()
    if node.value is False:
        return None
    section = Section(node, problems, _TLS_KEYS)
    tls = MqttTlsConfig(ca_certs=_file(section, "ca_certs", config_dir),
                        certfile=_file(section, "certfile", config_dir),
                        keyfile=_file(section, "keyfile", config_dir),
                        insecure=section.flag("insecure", False))
    if tls.keyfile is not None and tls.certfile is None:
        key = section.get("keyfile")
        assert key is not None
        problems.add(key, "keyfile needs certfile (the client certificate it belongs to)",
                     at_key=True)
    return tls


def _embedded_tls(node: Located | None, problems: Problems, config_dir: Path | None,
                  hub_tls: MqttTlsConfig | None) -> EmbeddedTlsConfig | None:
    if node is None or node.is_null:
        return None
    section = Section(node, problems, _EMBEDDED_TLS_KEYS)
    certfile = _file(section, "certfile", config_dir)
    keyfile = _file(section, "keyfile", config_dir)
    tls = EmbeddedTlsConfig(
        certfile=certfile or Path(), keyfile=keyfile or Path(),
        cafile=_file(section, "cafile", config_dir),
        require_certificate=section.flag("require_certificate", False),
        tls_version=section.choice("tls_version", None, _TLS_VERSIONS))
    if certfile is None or keyfile is None:
        problems.add(node, "certfile and keyfile are both needed: the broker's certificate "
                           "and its private key")
    if tls.require_certificate and tls.cafile is None:
        where = section.get("require_certificate")
        assert where is not None
        problems.add(where, "needs cafile: the CA that signs the client certificates it "
                            "accepts", at_key=True)
    if tls.require_certificate and (hub_tls is None or hub_tls.certfile is None):
        where = section.get("require_certificate")
        assert where is not None
        problems.add(where, "the hub connects to its own broker too, so it needs a client "
                            "certificate: set mqtt.tls.certfile and mqtt.tls.keyfile",
                     at_key=True)
    return tls


def _mqtt(section: Section, config_dir: Path | None = None) -> MqttConfig:
    embedded = Section(section.get("embedded"), section.problems, ("host", "port", "tls"))
    tls = _tls(section.get("tls"), section.problems, config_dir)
    return MqttConfig(
        host=section.optional_text("host"),
        port=section.integer("port", 1883, low=1, high=65535),
        username=section.optional_text("username"),
        password=section.optional_text("password"),
        client_id=section.optional_text("client_id"),
        keepalive=section.integer("keepalive", 30, low=1, high=65535),
        protocol=section.choice("protocol", "5", _PROTOCOLS),
        embedded=EmbeddedBrokerConfig(
            host=embedded.text("host", "127.0.0.1"),
            port=embedded.integer("port", 1883, low=1, high=65535),
            tls=_embedded_tls(embedded.get("tls"), section.problems, config_dir, tls),
        ),
        tls=tls,
    )


def _http(section: Section) -> HttpConfig:
    return HttpConfig(
        host=section.text("host", "127.0.0.1"),
        port=section.integer("port", 8420, low=1, high=65535),
    )


def _routing(section: Section, config_dir: Path | None) -> RoutingConfig:
    def existing_file(key: str) -> Path | None:
        text = section.optional_text(key)
        node = section.get(key)
        if text is None or node is None:
            return None
        path = Path(text).expanduser()
        if not path.is_absolute():
            path = (config_dir or Path.cwd()) / path
        if not path.is_file():
            section.problems.add(node, f"no such file: {path}")
        return path

    return RoutingConfig(
        model=existing_file("model"),
        tokenizer=existing_file("tokenizer"),
        threads=section.integer("threads", 1, low=1, high=64),
        per_channel=section.flag("per_channel", True),
    )


_DURATION = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)\s*([smhdw]?)\s*)+$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw]?)")
_UNIT_S: Mapping[str, float] = MappingProxyType(
    {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
)


def parse_duration(text: str) -> float | None:
    """``90``, ``45s``, ``30m``, ``12h``, ``7d``, ``2w``, ``1d12h`` -> seconds; None if not
    a duration."""
    if not _DURATION.match(text):
        return None
    return sum(float(n) * _UNIT_S[unit] for n, unit in _DURATION_PART.findall(text))


def _registry(section: Section) -> RegistryConfig:
    node = section.get("stale_after")
    if node is None:
        return RegistryConfig()
    value = node.value
    seconds: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        seconds = parse_duration(value)
    if seconds is None or not 0 < seconds < math.inf:
        section.problems.add(
            node,
            f"expected a duration > 0 such as 7d, 12h, 30m or a number of seconds, got "
            f"{node.describe()}",
        )
        return RegistryConfig()
    return RegistryConfig(stale_after=seconds)


def _mesh(section: Section, config_dir: Path | None) -> MeshConfig:
    root_key = section.optional_text("root_key")
    mesh_id = section.optional_text("mesh_id")
    token_file = section.optional_text("token_file")
    root_node, id_node = section.get("root_key"), section.get("mesh_id")
    if root_key is not None and root_node is not None and not _PASERK_PUBLIC.match(root_key):
        section.problems.add(
            root_node,
            "expected the mesh root public key as printed by `atmosphere mesh init`: "
            f"k4.public. and 43 characters, got {root_node.describe()}",
        )
        root_key = None
    if mesh_id is not None and id_node is not None:
        if not _MESH_ID.match(mesh_id):
            section.problems.add(
                id_node, f"expected a mesh id of 26 characters a-z, 2-7, got {id_node.describe()}"
            )
        elif root_key is not None and _mesh_id_of(root_key) != mesh_id:
            section.problems.add(
                id_node,
                f"mesh id {mesh_id} is not the id of root_key (that is mesh "
                f"{_mesh_id_of(root_key)}): copy both from `atmosphere mesh init`",
            )
    path: Path | None = None
    if token_file is not None:
        path = Path(token_file).expanduser()
        if not path.is_absolute():
            path = (config_dir or Path.cwd()) / path
    bridges = _bridges(section)
    discovery = Section(section.get("discovery"), section.problems, ("enabled", "interfaces"))
    interfaces = discovery.texts("interfaces")
    if any(not _is_ipv4(address) for address in interfaces):
        section.problems.add(
            discovery.get("interfaces") or section.node,  # type: ignore[arg-type]
            "mesh.discovery.interfaces: expected IPv4 addresses of this machine "
            f"(e.g. 192.168.1.20), got {', '.join(interfaces)}",
        )
        interfaces = ()
    return MeshConfig(
        root_key=root_key, mesh_id=mesh_id, token_file=path, bridges=bridges,
        discovery=DiscoveryConfig(enabled=discovery.flag("enabled", False),
                                  interfaces=interfaces),
    )


def _is_ipv4(text: str) -> bool:
    try:
        socket.inet_aton(text)
    except OSError:
        return False
    return text.count(".") == 3


_BRIDGE_PEER = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_NODE_ID = re.compile(r"^[a-z2-7]{26}$")


def _bridges(mesh: Section) -> tuple[BridgeConfig, ...]:
    node = mesh.get("bridges")
    if node is None:
        return ()
    problems = mesh.problems
    found: list[BridgeConfig] = []
    for item in as_list(node, problems):
        section = Section(item, problems, (
            "peer", "address", "remote_nodes", "local_nodes", "username", "password",
        ))
        peer, address = section.text("peer", ""), section.text("address", "")
        where = section.get("peer") or item
        if not _BRIDGE_PEER.match(peer):
            problems.add(where, "mesh.bridges: expected a peer name of 1 to 64 letters, digits,"
                         f" '_', '.', '-', got {peer!r}")
            continue
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            problems.add(section.get("address") or item,
                         f"mesh.bridges: expected the peer broker as host:port, got {address!r}")
            continue
        nodes = {key: section.texts(key) for key in ("remote_nodes", "local_nodes")}
        bad = [n for values in nodes.values() for n in values if not _NODE_ID.match(n)]
        if bad:
            problems.add(item, f"mesh.bridges {peer}: not node ids (26 characters a-z, 2-7, "
                         f"from `atmosphere mesh status`): {', '.join(bad)}")
            continue
        found.append(BridgeConfig(
            peer=peer, address=address, remote_nodes=nodes["remote_nodes"],
            local_nodes=nodes["local_nodes"], username=section.optional_text("username"),
            password=section.optional_text("password"),
        ))
    return tuple(found)


def _mesh_id_of(paserk: str) -> str:
    encoded = paserk[len("k4.public."):]
    key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    return str(node_id_for(key))  # as hub.mesh.tokens.mesh_id_for


def _logging(section: Section) -> LoggingConfig:
    level = section.choice("level", "INFO", _LEVELS)
    logs: dict[str, str] = {}
    node = section.get("logs")
    if node is not None and as_mapping(node, section.problems):
        for name, child in node.items():
            child_level = as_choice(child, section.problems, _LEVELS)
            if child_level is not None:
                logs[name] = child_level
    return LoggingConfig(level=level, logs=MappingProxyType(logs))


def _integrations(
    node: Located | None, problems: Problems, mqtt_entities: Located | None
) -> Mapping[str, Located]:
    # the entities under `mqtt:` come first: they claim their ids before any discovery
    result: dict[str, Located] = {}
    if mqtt_entities is not None:
        result[MQTT_INTEGRATION] = mqtt_entities
    if node is None or not as_mapping(node, problems):
        return MappingProxyType(result) if result else _EMPTY_INTEGRATIONS
    for name, child in node.items():
        if name == MQTT_INTEGRATION:
            problems.add(
                child,
                "manual MQTT entities go under the top-level mqtt: key, next to the broker "
                "settings (docs/integrations/mqtt.md)",
                at_key=True,
            )
            continue
        if not _INTEGRATION_NAME.match(name):
            problems.add(
                child,
                f"'{name}' is not an integration name: use lowercase letters, digits and _",
                at_key=True,
            )
            continue
        result[name] = child
    return MappingProxyType(result)


def _capabilities(node: Located | None, problems: Problems) -> tuple[Capability, ...]:
    if node is None:
        return ()
    return read_capabilities(node, problems, node_id=NO_NODE, source="config")
