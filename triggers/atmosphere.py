"""``trigger: atmosphere``: the hub's start and shutdown; the same as ``homeassistant``."""

from triggers.homeassistant import Config, attach, validate

__all__ = ["Config", "attach", "validate"]
