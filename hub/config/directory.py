"""The configuration directory: where it is, loading it, and checking it.

A configuration directory holds ``configuration.yaml`` and whatever it includes
(``secrets.yaml``, device files...). The repository's ``config/`` is the default one; an
installed wheel has none, and then `builtin_config()` gives the same defaults from code.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from hub import plugins
from hub.config.schema import HubConfig, read_config
from hub.errors import ConfigError
from hub.located import Problems, load_yaml

_LOGGER = logging.getLogger(__name__)

CONFIG_FILE = "configuration.yaml"
INTEGRATIONS_GROUP = "atmosphere.integrations"


def default_config_dir() -> Path | None:
    """The repository's ``config/`` directory, or None when not running from a checkout."""
    candidate = Path(__file__).resolve().parents[2] / "config"
    return candidate if (candidate / CONFIG_FILE).is_file() else None


def config_dir_of(path: Path) -> Path:
    """The configuration directory `path` names: itself, or the directory of a
    ``configuration.yaml`` given by its own path. Any other file is a ConfigError."""
    path = path.expanduser().absolute()
    if path.is_file():
        if path.name == CONFIG_FILE:
            return path.parent
        raise ConfigError(
            f"{path} is a file: give the configuration directory, the one that holds "
            f"{CONFIG_FILE} (its files are included from there)"
        )
    return path


def _read(config_dir: Path, problems: Problems, env: Mapping[str, str] | None) -> HubConfig:
    config_dir = config_dir_of(config_dir)
    path = config_dir / CONFIG_FILE
    if not path.is_file():
        where = "does not exist" if not config_dir.is_dir() else f"has no {CONFIG_FILE}"
        raise ConfigError(
            f"the configuration directory {config_dir} {where}; create one (see "
            "docs/configuration.md) or pass another directory"
        )
    raw = load_yaml(path, root=config_dir, env=env, problems=problems)
    return read_config(raw, problems, config_dir=config_dir, env=env)


def load_config(config_dir: Path, *, env: Mapping[str, str] | None = None) -> HubConfig:
    """Read and check ``configuration.yaml`` in `config_dir`.

    Raises ConfigError naming every problem found (the first in its message, the others on
    the following lines). Integration sections are checked later, by each integration.
    """
    problems = Problems()
    config = _read(config_dir, problems, env)
    problems.raise_if_any()
    _LOGGER.debug("configuration loaded config_dir=%s name=%s", config.config_dir, config.name)
    return config


def check_config(
    config_dir: Path,
    *,
    env: Mapping[str, str] | None = None,
    integrations: bool = True,
) -> list[str]:
    """Every problem of a configuration directory, as ``file:line:col: path: message`` lines.

    With `integrations`, each configured integration is found by name and its section is
    checked by its own ``validate``, as ``atmosphere run`` would do; an empty list means
    the configuration is good.
    """
    problems = Problems()
    try:
        config = _read(config_dir, problems, env)
    except ConfigError as exc:
        return [str(exc)]
    if integrations:
        for name, raw in config.integrations.items():
            try:
                module = plugins.load(INTEGRATIONS_GROUP, name, raw.key_where)
                module.validate(raw)
            except ConfigError as exc:
                problems.add_error(exc)
    return problems.lines()
