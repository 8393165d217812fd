"""Automations in Home Assistant's format: triggers, conditions, actions, modes, variables,
blueprints, traces and durable time.

    automations = Automations(hub, config.automation, config_dir=config.config_dir)
    async with automations:          # the runtime does this; hub.automations is it
        automations.trigger("morning_lights")
        automations.traces.list("morning_lights")

Modules: `model` (frozen automation values), `config` (reading `automation:`), `reader`
(triggers and actions), `conditions`, `steps` and `flow` (the actions), `script` (a run:
variables, bounds, resuming), `runner` (modes), `templating` and `helpers` (templates with
Home Assistant's state helpers), `dispatch` (event indexes), `platform` (the trigger
platform contract), `timers` (durable time), `traces`, `blueprints`, `engine`.
See docs/automations.md.
"""

from hub.automations.blueprints import SHIPPED, find_blueprint, load_blueprint
from hub.automations.config import read_automations, validate_blueprint
from hub.automations.dispatch import Dispatch, FiredEvent
from hub.automations.durations import parse_duration, read_duration, timedelta_dict
from hub.automations.engine import Automations
from hub.automations.helpers import StateHelpers, state_dict
from hub.automations.model import AutomationConfig, TriggerSpec
from hub.automations.platform import (
    COMMON_KEYS,
    Detach,
    TriggerAction,
    TriggerEvent,
    TriggerInfo,
    section,
)
from hub.automations.templating import Renderer, native
from hub.automations.traces import jsonable

__all__ = [
    "COMMON_KEYS",
    "SHIPPED",
    "AutomationConfig",
    "Automations",
    "Detach",
    "Dispatch",
    "FiredEvent",
    "Renderer",
    "StateHelpers",
    "TriggerAction",
    "TriggerEvent",
    "TriggerInfo",
    "TriggerSpec",
    "find_blueprint",
    "jsonable",
    "load_blueprint",
    "native",
    "parse_duration",
    "read_automations",
    "read_duration",
    "section",
    "state_dict",
    "timedelta_dict",
    "validate_blueprint",
]
