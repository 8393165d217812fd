"""Ids, names and areas for Zigbee2MQTT devices, derived the same way every time.

Capability ids are ``<domain>.<device slug>`` for a device's main function (a light, a
lock...), with ``_<endpoint>`` when the device has several of them (a two-gang switch),
and ``<domain>.<device slug>_<property>`` for single properties (``sensor.hall_motion_
battery``). The slug is the friendly name in lowercase ASCII with every other character
run turned into ``_`` (``Kitchen/Ceiling Light`` -> ``kitchen_ceiling_light``).
"""

from __future__ import annotations

import re
import unicodedata

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_SEPARATORS = re.compile(r"[/_\s]+")

PRESS_WORDS = frozenset({"single", "double", "triple", "quadruple", "long", "short", "many"})
"""Action values that read as a kind of press: ``single`` -> "single press"."""
BUTTONS = frozenset({"on", "off", "toggle", "up", "down", "left", "right", "open", "close",
                     "stop"})
"""Action values that name the button itself: ``on`` -> "on press"."""


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_SLUG.sub("_", ascii_text.lower()).strip("_")


def device_slug(friendly_name: str, ieee_address: str) -> str:
    """The slug of a device; its IEEE address when the name has no ASCII letters at all."""
    return slug(friendly_name) or slug(ieee_address) or "device"


def display_name(friendly_name: str) -> str:
    """``living_room/floor_lamp`` -> ``Living room floor lamp``."""
    words = _SEPARATORS.sub(" ", friendly_name).strip()
    return words[:1].upper() + words[1:] if words else friendly_name


def default_area(friendly_name: str) -> str:
    """The first level of a structured name (``kitchen/ceiling`` -> ``kitchen``), which is
    how Zigbee2MQTT's documentation suggests grouping devices; empty otherwise."""
    if "/" not in friendly_name:
        return ""
    return _SEPARATORS.sub(" ", friendly_name.split("/", 1)[0]).strip()


def words(text: str) -> str:
    """``illuminance_lux`` -> ``illuminance lux``."""
    return _SEPARATORS.sub(" ", text).strip()


def action_words(value: str) -> str:
    """How an action value reads in an intent: ``single`` -> ``single press``,
    ``brightness_up_click`` -> ``brightness up click``, ``1_double`` -> ``1 double press``."""
    text = words(value).lower()
    last = text.rsplit(" ", 1)[-1]
    return f"{text} press" if last in PRESS_WORDS or text in BUTTONS else text
