"""YAML with positions: every value knows the file, line and column it came from.

    raw = load_yaml(Path("devices.yaml"))   # a Located tree; raises ConfigError(file:line:col)
    section = Section(raw, problems, ("name", "area"))   # unknown keys reported, nearest named
    name = section.text("name", "")                      # typed readers that collect Problems

Every reader of user YAML builds on this: the hub's configuration (`hub.config`), the
capability format, integrations' and trigger platforms' `validate`. Tags: ``!secret``,
``!include``, ``!include_dir_*``, ``!env_var`` (docs/configuration.md).
"""

from hub.located.fields import (
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
from hub.located.loader import SECRETS_FILE, load_yaml, parse_yaml
from hub.located.values import (
    NOWHERE,
    Located,
    Mark,
    Problem,
    Problems,
    Tagged,
    child_path,
    describe_value,
    located,
)

__all__ = [
    "NOWHERE",
    "SECRETS_FILE",
    "Located",
    "Mark",
    "Problem",
    "Problems",
    "Section",
    "Tagged",
    "as_bool",
    "as_choice",
    "as_int",
    "as_list",
    "as_mapping",
    "as_number",
    "as_text",
    "child_path",
    "describe_value",
    "did_you_mean",
    "load_yaml",
    "located",
    "parse_yaml",
    "text_list",
]
