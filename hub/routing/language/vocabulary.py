"""What each Home Assistant domain is called in speech, and what each action means to it.

`TOOLS[domain][action]` is the Home Assistant service that carries out an action on a
device of that domain ("open" on a lock is ``unlock``; "stop" on a switch is
``turn_off``). `NOUNS` are the everyday words for a domain ("telly", "blinds",
"thermostat"). `DESCRIPTIONS` describe each tool in words, for the embedding fallback that
chooses a tool when no verb of the lexicon is heard.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from hub.routing.language.lexicon import Action

A = Action

_ON_OFF = {A.ON: "turn_on", A.OFF: "turn_off", A.TOGGLE: "toggle", A.QUERY: "get_state"}

TOOLS: Mapping[str, Mapping[Action, str]] = MappingProxyType({
    "light": {**_ON_OFF, A.UP: "turn_on", A.DOWN: "turn_on", A.SET: "turn_on",
              A.START: "turn_on", A.STOP: "turn_off"},
    "switch": {**_ON_OFF, A.START: "turn_on", A.STOP: "turn_off"},
    "input_boolean": {**_ON_OFF, A.START: "turn_on", A.STOP: "turn_off"},
    "fan": {**_ON_OFF, A.START: "turn_on", A.STOP: "turn_off", A.SET: "set_percentage",
            A.UP: "increase_speed", A.DOWN: "decrease_speed", A.OSCILLATE: "oscillate"},
    "cover": {A.OPEN: "open_cover", A.CLOSE: "close_cover", A.STOP: "stop_cover",
              A.UP: "open_cover", A.DOWN: "close_cover", A.SET: "set_cover_position",
              A.TOGGLE: "toggle", A.ON: "open_cover", A.OFF: "close_cover",
              A.QUERY: "get_state"},
    "lock": {A.LOCK: "lock", A.UNLOCK: "unlock", A.OPEN: "unlock", A.CLOSE: "lock",
             A.QUERY: "get_state"},
    "climate": {A.ON: "turn_on", A.OFF: "turn_off", A.START: "turn_on", A.STOP: "turn_off",
                A.SET: "set_temperature", A.UP: "set_temperature", A.DOWN: "set_temperature",
                A.QUERY: "get_state"},
    "water_heater": {A.ON: "turn_on", A.OFF: "turn_off", A.SET: "set_temperature",
                     A.UP: "set_temperature", A.DOWN: "set_temperature", A.QUERY: "get_state"},
    "humidifier": {**_ON_OFF, A.SET: "set_humidity", A.START: "turn_on", A.STOP: "turn_off"},
    "media_player": {**_ON_OFF, A.PLAY: "media_play", A.PAUSE: "media_pause",
                     A.STOP: "media_stop", A.NEXT: "media_next_track",
                     A.PREVIOUS: "media_previous_track", A.UP: "volume_up",
                     A.DOWN: "volume_down", A.SET: "volume_set", A.MUTE: "volume_mute",
                     A.UNMUTE: "volume_mute", A.START: "media_play"},
    "vacuum": {A.START: "start", A.ON: "start", A.PLAY: "start", A.STOP: "stop",
               A.OFF: "stop", A.PAUSE: "pause", A.DOCK: "return_to_base",
               A.LOCATE: "locate", A.QUERY: "get_state"},
    "lawn_mower": {A.START: "start_mowing", A.ON: "start_mowing", A.PAUSE: "pause",
                   A.STOP: "pause", A.DOCK: "dock", A.QUERY: "get_state"},
    "alarm_control_panel": {A.ARM: "alarm_arm_away", A.ON: "alarm_arm_away",
                            A.SET: "alarm_arm_away",
                            A.DISARM: "alarm_disarm", A.OFF: "alarm_disarm",
                            A.QUERY: "get_state"},
    "siren": {**_ON_OFF},
    "remote": {**_ON_OFF},
    "timer": {A.START: "start", A.SET: "start", A.ON: "start", A.PAUSE: "pause", A.STOP: "cancel", A.OFF: "cancel",
              A.QUERY: "get_state"},
    "scene": {A.ON: "turn_on", A.START: "turn_on", A.SET: "turn_on", A.PLAY: "turn_on"},
    "script": {A.ON: "turn_on", A.START: "turn_on", A.OFF: "turn_off", A.STOP: "turn_off"},
    "button": {A.ON: "press", A.START: "press", A.SET: "press"},
    "valve": {A.OPEN: "open_valve", A.CLOSE: "close_valve", A.ON: "open_valve",
              A.OFF: "close_valve", A.STOP: "stop_valve", A.QUERY: "get_state"},
    "camera": {A.SNAPSHOT: "get_frame", A.ON: "turn_on", A.OFF: "turn_off",
               A.QUERY: "get_frame"},
    "sensor": {A.QUERY: "get_state"},
    "binary_sensor": {A.QUERY: "get_state"},
    "weather": {A.QUERY: "get_state"},
    "person": {A.QUERY: "get_state"},
    "device_tracker": {A.QUERY: "get_state"},
})  # fmt: skip

# Everyday words for each domain, singular (the matcher compares stems).
NOUNS: Mapping[str, frozenset[str]] = MappingProxyType({
    "light": frozenset({"light", "lamp", "lighting", "bulb", "chandelier", "sconce", "led",
                        "pendant", "strip", "lightstrip", "floodlight", "lightbulb",
                        "lantern", "spotlight", "downlight", "brightness"}),
    "switch": frozenset({"switch", "plug", "socket", "outlet", "power strip"}),
    "fan": frozenset({"fan", "ventilator", "ventilation", "extractor"}),
    "cover": frozenset({"blind", "shade", "curtain", "drape", "shutter", "awning",
                        "garage door", "gate", "cover", "skylight", "window", "damper",
                        "roller", "rolladen"}),
    "lock": frozenset({"lock", "door", "deadbolt"}),
    "climate": frozenset({"thermostat", "heating", "heat", "ac", "heater", "air conditioning",
                          "air conditioner", "air con", "hvac", "climate", "furnace",
                          "heat pump", "temperature"}),
    "water_heater": frozenset({"water heater", "boiler", "hot water"}),
    "humidifier": frozenset({"humidifier", "dehumidifier"}),
    "media_player": frozenset({"tv", "speaker", "music", "radio",
                               "stereo", "volume", "song", "track", "playback", "episode",
                               "media", "player", "sound", "audio", "show", "movie",
                               "podcast", "soundbar", "chromecast"}),
    "vacuum": frozenset({"vacuum", "robot", "roomba", "hoover", "vacuuming", "cleaner",
                         "cleaning", "hoovering", "clean", "mop", "mopping"}),
    "timer": frozenset({"timer", "countdown"}),
    "lawn_mower": frozenset({"mower", "lawnmower", "lawn mower"}),
    "alarm_control_panel": frozenset({"alarm", "security system", "security"}),
    "scene": frozenset({"scene", "mood"}),
    "script": frozenset({"script", "routine"}),
    "camera": frozenset({"camera", "doorbell", "feed"}),
    "sensor": frozenset({"temperature", "humidity", "sensor", "reading", "co2", "pressure",
                         "air quality", "power", "energy", "battery", "level"}),
    "binary_sensor": frozenset({"motion", "occupancy", "contact", "leak", "smoke",
                                "presence", "movement"}),
    "valve": frozenset({"valve", "sprinkler", "irrigation", "tap", "faucet"}),
    "weather": frozenset({"weather", "forecast"}),
})  # fmt: skip

# Home Assistant device classes, as people name them: "the doors" are the door contacts,
# "the garage" a garage door, "any leaks" the moisture sensors.
CLASS_NOUNS: Mapping[tuple[str, str], frozenset[str]] = MappingProxyType({
    ("binary_sensor", "door"): frozenset({"door"}),
    ("binary_sensor", "garage_door"): frozenset({"garage door", "garage"}),
    ("binary_sensor", "window"): frozenset({"window"}),
    ("binary_sensor", "opening"): frozenset({"door", "window", "opening"}),
    ("binary_sensor", "moisture"): frozenset({"leak", "water", "flood", "fluid", "moisture",
                                              "wet"}),
    ("binary_sensor", "motion"): frozenset({"motion", "movement", "someone", "anyone",
                                            "somebody", "anybody"}),
    ("binary_sensor", "occupancy"): frozenset({"occupancy", "occupied", "someone", "anyone"}),
    ("binary_sensor", "presence"): frozenset({"presence", "someone", "anyone"}),
    ("binary_sensor", "smoke"): frozenset({"smoke", "fire"}),
    ("binary_sensor", "gas"): frozenset({"gas"}),
    ("binary_sensor", "battery"): frozenset({"battery"}),
    ("sensor", "battery"): frozenset({"battery", "charge"}),
    ("sensor", "temperature"): frozenset({"temperature"}),
    ("sensor", "humidity"): frozenset({"humidity", "humid"}),
    ("sensor", "illuminance"): frozenset({"illuminance", "lux", "light level"}),
    ("cover", "garage"): frozenset({"garage door", "garage"}),
    ("cover", "blind"): frozenset({"blind"}),
    ("cover", "shade"): frozenset({"shade", "blind"}),
    ("cover", "shutter"): frozenset({"shutter"}),
    ("cover", "curtain"): frozenset({"curtain", "drape"}),
    ("cover", "awning"): frozenset({"awning"}),
    ("cover", "gate"): frozenset({"gate"}),
    ("cover", "window"): frozenset({"window"}),
    ("cover", "door"): frozenset({"door"}),
    ("media_player", "tv"): frozenset({"tv"}),
    ("media_player", "speaker"): frozenset({"speaker"}),
})  # fmt: skip

# The domains that "everything in the kitchen" switches: what a person thinks of as
# "things that are on". Heating, locks, covers and alarms are left alone on purpose.
EVERYTHING_DOMAINS = frozenset({"light", "switch", "fan", "media_player", "input_boolean"})

# Actions whose verb already names a domain ("dim" is for lights, "mute" for players).
ACTION_DOMAINS: Mapping[Action, tuple[str, ...]] = MappingProxyType({
    A.LOCK: ("lock",),
    A.UNLOCK: ("lock",),
    A.PLAY: ("media_player",),
    A.PAUSE: ("media_player", "vacuum"),
    A.NEXT: ("media_player",),
    A.PREVIOUS: ("media_player",),
    A.MUTE: ("media_player",),
    A.UNMUTE: ("media_player",),
    A.DOCK: ("vacuum", "lawn_mower"),
    A.LOCATE: ("vacuum",),
    A.ARM: ("alarm_control_panel",),
    A.DISARM: ("alarm_control_panel",),
    A.OSCILLATE: ("fan",),
    A.SNAPSHOT: ("camera",),
    A.OPEN: ("cover", "valve"),
    A.CLOSE: ("cover", "valve"),
})  # fmt: skip

# Verb phrases that name a domain more precisely than the action does.
PHRASE_DOMAINS: tuple[tuple[str, str], ...] = (
    (
        r"\b(?:dim|dimmer|brighten|brighter|bright|dark|darker|barely see|brightness|illuminate|light up)\b",
        "light",
    ),
    (r"\b(?:louder|quieter|volume|can not hear|loud|song|track|music|episode)\b", "media_player"),
    (r"\b(?:warmer|cooler|cold|chilly|freezing|hot|warm|heat|cool)\b", "climate"),
    (r"\b(?:open|opened|closed)\b", "cover"),
    (r"\blet (?:some |the |more )?(?:light|sun|sunshine|daylight) in", "cover"),
    (r"\b(?:locked|unlocked)\b", "lock"),
    (r"\b(?:vacuum|vacuuming|hoover|hoovering|cleaning|clean)\b", "vacuum"),
    (r"\b(?:stuffy|speed|faster|slower)\b", "fan"),
)

DESCRIPTIONS: Mapping[tuple[str, str], str] = MappingProxyType({
    ("light", "turn_on"): "turn on the light, make it brighter, change its colour",
    ("light", "turn_off"): "turn off the light, lights out, darkness",
    ("light", "get_state"): "is the light on, how bright is it",
    ("switch", "turn_on"): "switch the device on, power it up",
    ("switch", "turn_off"): "switch the device off, cut its power",
    ("switch", "get_state"): "is the device on or running",
    ("fan", "turn_on"): "start the fan, more air",
    ("fan", "turn_off"): "stop the fan",
    ("fan", "set_percentage"): "set the fan speed",
    ("cover", "open_cover"): "open the blinds, let light in",
    ("cover", "close_cover"): "close the blinds, more privacy",
    ("cover", "set_cover_position"): "move the blinds part of the way",
    ("cover", "get_state"): "are the blinds open or closed",
    ("lock", "lock"): "lock the door, secure it",
    ("lock", "unlock"): "unlock the door, let someone in",
    ("lock", "get_state"): "is the door locked",
    ("climate", "set_temperature"): "set the temperature of the heating",
    ("climate", "turn_on"): "turn on the heating or cooling",
    ("climate", "turn_off"): "turn off the heating or cooling",
    ("climate", "get_state"): "what is the temperature set to",
    ("media_player", "media_play"): "play music or video, resume playback",
    ("media_player", "media_pause"): "pause the music or video",
    ("media_player", "media_stop"): "stop playback",
    ("media_player", "media_next_track"): "skip to the next song",
    ("media_player", "media_previous_track"): "go back to the previous song",
    ("media_player", "volume_up"): "louder, raise the volume",
    ("media_player", "volume_down"): "quieter, lower the volume",
    ("media_player", "volume_mute"): "mute the sound, silence",
    ("media_player", "turn_on"): "turn on the tv or speaker",
    ("media_player", "turn_off"): "turn off the tv or speaker",
    ("media_player", "get_state"): "what is playing",
    ("vacuum", "start"): "start cleaning the floor, vacuum the house",
    ("vacuum", "return_to_base"): "send the vacuum back to its dock to charge",
    ("vacuum", "pause"): "pause the cleaning",
    ("vacuum", "stop"): "stop the vacuum",
    ("vacuum", "get_state"): "where is the vacuum, is it cleaning",
    ("alarm_control_panel", "alarm_arm_away"): "arm the alarm, nobody is home",
    ("alarm_control_panel", "alarm_disarm"): "disarm the alarm, I am home",
    ("alarm_control_panel", "get_state"): "is the alarm armed",
    ("scene", "turn_on"): "activate the scene",
    ("camera", "get_frame"): "show the camera picture, take a snapshot",
    ("sensor", "get_state"): "what does the sensor read, current value",
    ("binary_sensor", "get_state"): "is something detected, is it open",
})  # fmt: skip


def tool_for(domain: str, action: Action) -> str | None:
    return TOOLS.get(domain, {}).get(action)


def supports(domain: str, action: Action) -> bool:
    return action in TOOLS.get(domain, {})
