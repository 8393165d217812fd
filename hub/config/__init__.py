"""Configuration: YAML with positions, the hub's configuration, and checking it.

    config = load_config(Path("config"))        # raises ConfigError: file:line:col: ...
    problems = check_config(Path("config"))     # every problem, one line each
    raw = load_yaml(Path("devices.yaml"))       # a Located tree: values with positions

See docs/configuration.md for the keys and the tags (``!secret``, ``!include``,
``!env_var``).
"""

from hub.config.directory import CONFIG_FILE, check_config, default_config_dir, load_config
from hub.config.fields import (
    Section,
    as_bool,
    as_choice,
    as_int,
    as_list,
    as_mapping,
    as_number,
    as_text,
    did_you_mean,
    text_list,
)
from hub.config.loader import SECRETS_FILE, load_yaml, parse_yaml
from hub.config.located import Located, Mark, Problem, Problems, Tagged, located
from hub.config.schema import (
    EmbeddedBrokerConfig,
    HttpConfig,
    HubConfig,
    LoggingConfig,
    MqttConfig,
    MqttProtocol,
    RoutingConfig,
    builtin_config,
    default_data_dir,
    read_config,
)

__all__ = [
    "CONFIG_FILE",
    "SECRETS_FILE",
    "EmbeddedBrokerConfig",
    "HttpConfig",
    "HubConfig",
    "Located",
    "LoggingConfig",
    "Mark",
    "MqttConfig",
    "MqttProtocol",
    "Problem",
    "Problems",
    "RoutingConfig",
    "Section",
    "Tagged",
    "as_bool",
    "as_choice",
    "as_int",
    "as_list",
    "as_mapping",
    "as_number",
    "as_text",
    "builtin_config",
    "check_config",
    "default_config_dir",
    "default_data_dir",
    "did_you_mean",
    "load_config",
    "load_yaml",
    "located",
    "parse_yaml",
    "read_config",
    "text_list",
]
