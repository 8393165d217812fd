"""Configuration: the hub's configuration directory, its schema, and checking it.

    config = load_config(Path("config"))        # raises ConfigError: file:line:col: ...
    problems = check_config(Path("config"))     # every problem, one line each

YAML with positions (`Located`, `load_yaml`, the field readers) is `hub.located`.
See docs/configuration.md for the keys and the tags (``!secret``, ``!include``,
``!env_var``).
"""

from hub.config.directory import (
    CONFIG_FILE,
    check_config,
    config_dir_of,
    default_config_dir,
    load_config,
)
from hub.config.schema import (
    BridgeConfig,
    DiscoveryConfig,
    EmbeddedBrokerConfig,
    EmbeddedTlsConfig,
    HttpConfig,
    HubConfig,
    LoggingConfig,
    MeshConfig,
    MqttConfig,
    MqttProtocol,
    RegistryConfig,
    RoutingConfig,
    builtin_config,
    default_data_dir,
    read_config,
)

__all__ = [
    "CONFIG_FILE",
    "BridgeConfig",
    "DiscoveryConfig",
    "EmbeddedBrokerConfig",
    "EmbeddedTlsConfig",
    "HttpConfig",
    "HubConfig",
    "LoggingConfig",
    "MeshConfig",
    "MqttConfig",
    "MqttProtocol",
    "RegistryConfig",
    "RoutingConfig",
    "builtin_config",
    "check_config",
    "config_dir_of",
    "default_config_dir",
    "default_data_dir",
    "load_config",
    "read_config",
]
