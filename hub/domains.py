"""The standard tools of each Home Assistant domain and of each AI kind.

A device capability declared with only its id, type, name and area gets the tools of its
domain from here, named as Home Assistant names its services (``light.turn_on``) with
parameters named as its service fields (``brightness_pct``). Every device domain also has
``get_state``. AI kinds (``llm/chat``, ``vision/detect``...) get their natural tool.

An unknown type has no standard tools: `standard_tools` returns ``()`` and the capability
must declare its own (a guess could promise a tool that the device does not have).

Two additions to Home Assistant's fields, both marked in their descriptions:
``duration`` on ``turn_on`` of on/off devices (turn off again after that many seconds), and
``get_state`` itself. Camera frames come from ``camera.get_frame`` as binary JPEG.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

from hub.model import Tool

Schema = Mapping[str, Any]

# -- schema builders: every schema is read-only (MappingProxyType, tuples) -------------------


def _schema(**items: Any) -> Schema:
    return MappingProxyType({k: v for k, v in items.items() if v is not None})


def _number(description: str, low: float | None = None, high: float | None = None,
            *, integer: bool = False) -> Schema:
    return _schema(type="integer" if integer else "number", description=description,
                   minimum=low, maximum=high)


def _integer(description: str, low: int | None = None, high: int | None = None) -> Schema:
    return _number(description, low, high, integer=True)


def _text(description: str) -> Schema:
    return _schema(type="string", description=description)


def _flag(description: str) -> Schema:
    return _schema(type="boolean", description=description)


def _enum(description: str, *values: str) -> Schema:
    return _schema(type="string", description=description, enum=list(values))


def _binary(description: str, media_type: str) -> Schema:
    return _schema(type="string", description=description, contentEncoding="base64",
                   contentMediaType=media_type)


def _array(description: str, items: Schema, low: int | None = None,
           high: int | None = None) -> Schema:
    return _schema(type="array", description=description, items=items, minItems=low,
                   maxItems=high)


def _object(properties: Mapping[str, Schema] | None = None, required: Iterable[str] = (),
            *, any_of: Iterable[Iterable[str]] = (), closed: bool = True) -> Schema:
    """An object schema; `any_of` lists alternative sets of required properties."""
    alternatives = [_schema(required=list(group)) for group in any_of]
    return _schema(
        type="object",
        properties=MappingProxyType(dict(properties or {})),
        required=list(required) or None,
        anyOf=alternatives or None,
        additionalProperties=False if closed else None,
    )


def _tool(name: str, description: str, parameters: Schema | None = None, *,
          result: Schema | None = None, timeout: float = 10.0) -> Tool:
    return Tool(name=name, description=description, parameters=parameters or _object(),
                result=result or _schema(), timeout=timeout)


# -- shared fields --------------------------------------------------------------------------

_TRANSITION = _number("Seconds to fade over.", 0, 6553)
_DURATION = _integer(
    "Atmosphere: turn off again after this many seconds (e.g. 300 for 'for five minutes').",
    1, 86400,
)
_CODE = _text("The code of the lock or alarm, when it needs one.")
_PERCENT = _integer("Percent, 0..100.", 0, 100)
_HVAC_MODES = ("off", "heat", "cool", "heat_cool", "auto", "dry", "fan_only")

def _light_on() -> dict[str, Schema]:
    return {
    "brightness_pct": _number("Brightness in percent; 0 turns the light off.", 0, 100),
    "brightness_step_pct": _number("Change brightness by this many percent.", -100, 100),
    "brightness": _integer("Brightness on the 0..255 scale.", 0, 255),
    "brightness_step": _integer("Change brightness by this much on the 0..255 scale.",
                                -255, 255),
    "color_name": _text("A CSS colour name, e.g. 'red', 'warmwhite' or 'purple'."),
    "color_temp_kelvin": _integer("Colour temperature in kelvin (warm 2700, cold 6500).",
                                  1000, 10000),
    "rgb_color": _array("Red, green and blue, each 0..255.", _integer("0..255", 0, 255), 3, 3),
    "hs_color": _array("Hue (0..360) and saturation (0..100).", _number("hue or saturation",
                                                                        0, 360), 2, 2),
    "transition": _TRANSITION,
    "effect": _text("A light effect by name (the light lists its effects)."),
    "flash": _enum("Flash the light: short or long.", "short", "long"),
    }


def _get_state() -> Tool:
    return _tool(
        "get_state",
        "Read the current state and its attributes.",
        result=_object({
            "state": _schema(type="object",
                             description="The last known state, e.g. {\"state\": \"on\"}."),
            "available": _flag("Whether the device answers."),
        }, ("state", "available"), closed=False),
        timeout=5.0,
    )


def _simple(*names_and_descriptions: tuple[str, str]) -> tuple[Tool, ...]:
    return tuple(_tool(name, description) for name, description in names_and_descriptions)


def _on_off(thing: str, *, duration: bool = False) -> tuple[Tool, ...]:
    turn_on = _object({"duration": _DURATION}) if duration else None
    return (
        _tool("turn_on", f"Turn the {thing} on.", turn_on),
        _tool("turn_off", f"Turn the {thing} off."),
        _tool("toggle", f"Turn the {thing} on if it is off, off if it is on."),
    )


def _select(thing: str) -> tuple[Tool, ...]:
    cycle = _object({"cycle": _flag("Wrap around at the end of the list (default true).")})
    return (
        _tool("select_option", f"Select an option of the {thing}.",
              _object({"option": _text("The option, as listed.")}, ("option",))),
        _tool("select_first", f"Select the first option of the {thing}."),
        _tool("select_last", f"Select the last option of the {thing}."),
        _tool("select_next", f"Select the next option of the {thing}.", cycle),
        _tool("select_previous", f"Select the previous option of the {thing}.", cycle),
    )


def _light() -> tuple[Tool, ...]:
    return (
        _tool("turn_on", "Turn the light on, or change its brightness or colour.",
              _object({**_light_on(), "duration": _DURATION})),
        _tool("turn_off", "Turn the light off.",
              _object({"transition": _TRANSITION, "flash": _light_on()["flash"]})),
        _tool("toggle", "Turn the light on if it is off, off if it is on.",
              _object(_light_on())),
    )


def _fan() -> tuple[Tool, ...]:
    step = _object({"percentage_step": _integer("Percent to change the speed by.", 0, 100)})
    return (
        _tool("turn_on", "Turn the fan on.", _object({
            "percentage": _integer("Speed in percent.", 0, 100),
            "preset_mode": _text("A preset mode by name."),
            "duration": _DURATION,
        })),
        _tool("turn_off", "Turn the fan off."),
        _tool("toggle", "Turn the fan on if it is off, off if it is on."),
        _tool("set_percentage", "Set the fan speed in percent; 0 turns it off.",
              _object({"percentage": _integer("Speed in percent.", 0, 100)}, ("percentage",))),
        _tool("increase_speed", "Make the fan faster.", step),
        _tool("decrease_speed", "Make the fan slower.", step),
        _tool("oscillate", "Start or stop oscillating.",
              _object({"oscillating": _flag("True to oscillate.")}, ("oscillating",))),
        _tool("set_direction", "Set the direction the fan turns.",
              _object({"direction": _enum("forward or reverse", "forward", "reverse")},
                      ("direction",))),
        _tool("set_preset_mode", "Set a preset mode of the fan.",
              _object({"preset_mode": _text("A preset mode by name.")}, ("preset_mode",))),
    )


def _cover() -> tuple[Tool, ...]:
    return (
        *_simple(
            ("open_cover", "Open the cover (blind, curtain, garage door...)."),
            ("close_cover", "Close the cover."),
            ("stop_cover", "Stop the cover where it is."),
            ("toggle", "Open the cover if it is closed, close it if it is open."),
        ),
        _tool("set_cover_position", "Move the cover to a position: 0 closed, 100 open.",
              _object({"position": _PERCENT}, ("position",))),
        *_simple(
            ("open_cover_tilt", "Tilt the slats open."),
            ("close_cover_tilt", "Tilt the slats closed."),
            ("stop_cover_tilt", "Stop tilting."),
            ("toggle_cover_tilt", "Tilt open if closed, closed if open."),
        ),
        _tool("set_cover_tilt_position", "Tilt the slats to a position: 0 closed, 100 open.",
              _object({"tilt_position": _PERCENT}, ("tilt_position",))),
    )


def _lock() -> tuple[Tool, ...]:
    code = _object({"code": _CODE})
    return (
        _tool("lock", "Lock it.", code),
        _tool("unlock", "Unlock it.", code),
        _tool("open", "Open the latch (for locks that can open the door).", code),
    )


def _climate() -> tuple[Tool, ...]:
    temperature = _number("Target temperature, in the unit the device uses.")
    hvac_mode = _enum("The HVAC mode.", *_HVAC_MODES)
    return (
        _tool("set_temperature", "Set the target temperature, or a low..high range.",
              _object({
                  "temperature": temperature,
                  "target_temp_high": _number("Upper bound of a target range."),
                  "target_temp_low": _number("Lower bound of a target range."),
                  "hvac_mode": hvac_mode,
              }, any_of=(("temperature",), ("target_temp_low", "target_temp_high")))),
        _tool("set_hvac_mode", "Set the mode: off, heat, cool, heat_cool, auto, dry, fan_only.",
              _object({"hvac_mode": hvac_mode}, ("hvac_mode",))),
        _tool("set_fan_mode", "Set the fan mode (e.g. auto, low, high).",
              _object({"fan_mode": _text("A fan mode the device lists.")}, ("fan_mode",))),
        _tool("set_preset_mode", "Set a preset (e.g. eco, away, boost).",
              _object({"preset_mode": _text("A preset the device lists.")}, ("preset_mode",))),
        _tool("set_humidity", "Set the target humidity.",
              _object({"humidity": _PERCENT}, ("humidity",))),
        _tool("set_swing_mode", "Set the swing mode.",
              _object({"swing_mode": _text("A swing mode the device lists.")},
                      ("swing_mode",))),
        *_on_off("climate device"),
    )


def _media_player() -> tuple[Tool, ...]:
    return (
        *_on_off("media player"),
        *_simple(
            ("media_play", "Play."),
            ("media_pause", "Pause."),
            ("media_stop", "Stop playing."),
            ("media_play_pause", "Play if paused, pause if playing."),
            ("media_next_track", "Skip to the next track."),
            ("media_previous_track", "Go back to the previous track."),
            ("volume_up", "Turn the volume up a step."),
            ("volume_down", "Turn the volume down a step."),
            ("clear_playlist", "Clear the playlist."),
        ),
        _tool("volume_set", "Set the volume: 0 silent, 1 loudest.",
              _object({"volume_level": _number("Volume, 0..1.", 0, 1)}, ("volume_level",))),
        _tool("volume_mute", "Mute or unmute.",
              _object({"is_volume_muted": _flag("True to mute.")}, ("is_volume_muted",))),
        _tool("media_seek", "Seek to a position in the current track.",
              _object({"seek_position": _number("Seconds from the start.", 0)},
                      ("seek_position",))),
        _tool("select_source", "Select an input source (e.g. HDMI 1, Spotify).",
              _object({"source": _text("A source the player lists.")}, ("source",))),
        _tool("select_sound_mode", "Select a sound mode.",
              _object({"sound_mode": _text("A sound mode the player lists.")},
                      ("sound_mode",))),
        _tool("play_media", "Play a media item.", _object({
            "media_content_id": _text("What to play: a URL, a playlist or an item id."),
            "media_content_type": _text("Its type, e.g. music, playlist, video, url."),
            "enqueue": _enum("Queue it instead of playing now.", "add", "next", "play",
                             "replace"),
            "announce": _flag("Play it as an announcement over what is playing."),
        }, ("media_content_id", "media_content_type"))),
        _tool("shuffle_set", "Turn shuffle on or off.",
              _object({"shuffle": _flag("True to shuffle.")}, ("shuffle",))),
        _tool("repeat_set", "Set the repeat mode.",
              _object({"repeat": _enum("off, all or one", "off", "all", "one")}, ("repeat",))),
    )


def _vacuum() -> tuple[Tool, ...]:
    return (
        *_simple(
            ("start", "Start cleaning."),
            ("pause", "Pause cleaning."),
            ("stop", "Stop cleaning."),
            ("return_to_base", "Go back to the dock."),
            ("locate", "Make the vacuum beep so it can be found."),
            ("clean_spot", "Clean the spot where it is."),
        ),
        _tool("set_fan_speed", "Set the suction power.",
              _object({"fan_speed": _text("A fan speed the vacuum lists.")}, ("fan_speed",))),
        _tool("send_command", "Send a command of the vacuum's own.", _object({
            "command": _text("The command."),
            "params": _schema(type="object", description="Its parameters."),
        }, ("command",))),
    )


def _camera() -> tuple[Tool, ...]:
    return (
        _tool("get_frame", "Take the current picture from the camera (a JPEG image).",
              result=_schema(type="string", contentMediaType="image/jpeg",
                             description="The frame, as binary JPEG data."),
              timeout=10.0),
        *_simple(("turn_on", "Turn the camera on."), ("turn_off", "Turn the camera off.")),
    )


def _siren() -> tuple[Tool, ...]:
    return (
        _tool("turn_on", "Sound the siren.", _object({
            "tone": _text("A tone the siren lists."),
            "volume_level": _number("Volume, 0..1.", 0, 1),
            "duration": _integer("Seconds to sound for.", 1),
        })),
        *_on_off("siren")[1:],
    )


def _humidifier() -> tuple[Tool, ...]:
    return (
        *_on_off("humidifier"),
        _tool("set_humidity", "Set the target humidity.",
              _object({"humidity": _PERCENT}, ("humidity",))),
        _tool("set_mode", "Set the mode (e.g. eco, boost).",
              _object({"mode": _text("A mode the device lists.")}, ("mode",))),
    )


def _water_heater() -> tuple[Tool, ...]:
    mode = _text("An operation mode the device lists (e.g. eco, electric, gas).")
    return (
        *_on_off("water heater")[:2],
        _tool("set_temperature", "Set the target water temperature.", _object({
            "temperature": _number("Target temperature, in the unit the device uses."),
            "operation_mode": mode,
        }, ("temperature",))),
        _tool("set_operation_mode", "Set the operation mode.",
              _object({"operation_mode": mode}, ("operation_mode",))),
        _tool("set_away_mode", "Turn away mode on or off.",
              _object({"away_mode": _flag("True when away.")}, ("away_mode",))),
    )


def _valve() -> tuple[Tool, ...]:
    return (
        *_simple(
            ("open_valve", "Open the valve."),
            ("close_valve", "Close the valve."),
            ("stop_valve", "Stop the valve where it is."),
            ("toggle", "Open the valve if it is closed, close it if it is open."),
        ),
        _tool("set_valve_position", "Move the valve to a position: 0 closed, 100 open.",
              _object({"position": _PERCENT}, ("position",))),
    )


def _alarm() -> tuple[Tool, ...]:
    code = _object({"code": _CODE})
    return tuple(
        _tool(name, description, code)
        for name, description in (
            ("alarm_arm_home", "Arm the alarm for when people are at home."),
            ("alarm_arm_away", "Arm the alarm for when everyone is away."),
            ("alarm_arm_night", "Arm the alarm for the night."),
            ("alarm_arm_vacation", "Arm the alarm for a holiday away."),
            ("alarm_arm_custom_bypass", "Arm the alarm, bypassing some zones."),
            ("alarm_disarm", "Disarm the alarm."),
            ("alarm_trigger", "Trigger the alarm."),
        )
    )


def _value(description: str, schema: Schema) -> tuple[Tool, ...]:
    return (_tool("set_value", description, _object({"value": schema}, ("value",))),)


def _remote() -> tuple[Tool, ...]:
    return (
        _tool("turn_on", "Turn the remote's device on.",
              _object({"activity": _text("An activity to start.")})),
        *_on_off("remote's device")[1:],
        _tool("send_command", "Send commands (button names or codes).", _object({
            "command": _array("The commands, in order.", _text("A command."), 1),
            "device": _text("The device to send them to."),
            "num_repeats": _integer("How often to send each.", 1, 255),
        }, ("command",))),
    )


def _counter() -> tuple[Tool, ...]:
    return (
        *_simple(("increment", "Add one step."), ("decrement", "Take one step away."),
                 ("reset", "Go back to the initial value.")),
        *_value("Set the counter.", _integer("The new value.")),
    )


def _timer() -> tuple[Tool, ...]:
    return (
        _tool("start", "Start or restart the timer.",
              _object({"duration": _integer("Seconds to run for.", 1)})),
        *_simple(("pause", "Pause the timer."), ("cancel", "Cancel the timer."),
                 ("finish", "Finish the timer now.")),
    )


def _image(kind: str) -> Schema:
    return _binary(f"The {kind}, base64-encoded.", "image/*")


def _chat() -> tuple[Tool, ...]:
    message = _object({
        "role": _enum("Who speaks.", "system", "user", "assistant", "tool"),
        "content": _text("What is said."),
    }, ("role", "content"), closed=False)
    return (_tool("chat", "Answer the conversation's last message.", _object({
        "messages": _array("The conversation so far, oldest first.", message, 1),
        "temperature": _number("Sampling temperature; 0 is the most predictable.", 0, 2),
        "max_tokens": _integer("Longest answer, in tokens.", 1),
    }, ("messages",)), result=_object({"message": message}, ("message",), closed=False),
        timeout=120.0),)


def _detect() -> tuple[Tool, ...]:
    box = _array("x1, y1, x2, y2 in pixels.", _number("coordinate"), 4, 4)
    detection = _object({"label": _text("What was found."), "score": _number("0..1", 0, 1),
                         "box": box}, ("label", "score"), closed=False)
    return (_tool("detect", "Find objects (people, cars, animals...) in an image.", _object({
        "image": _image("image (JPEG or PNG)"),
        "labels": _array("Only these labels, e.g. ['person'].", _text("A label.")),
        "min_score": _number("Leave out detections scored lower, 0..1.", 0, 1),
    }, ("image",)), result=_object({"detections": _array("What was found.", detection)},
                                   ("detections",), closed=False), timeout=30.0),)


def _describe() -> tuple[Tool, ...]:
    return (_tool("describe", "Describe what an image shows.", _object({
        "image": _image("image (JPEG or PNG)"),
        "prompt": _text("What to look for or ask about the image."),
    }, ("image",)), result=_object({"text": _text("The description.")}, ("text",),
                                   closed=False), timeout=60.0),)


def _transcribe() -> tuple[Tool, ...]:
    return (_tool("transcribe", "Turn speech in a recording into text.", _object({
        "audio": _binary("The recording (WAV, FLAC, MP3 or OGG), base64-encoded.", "audio/*"),
        "language": _text("The spoken language as an ISO 639-1 code, if known (e.g. 'en')."),
    }, ("audio",)), result=_object({"text": _text("What was said.")}, ("text",),
                                   closed=False), timeout=60.0),)


def _embed() -> tuple[Tool, ...]:
    vector = _array("One vector.", _number("component"))
    return (_tool("embed", "Turn texts into embedding vectors.", _object({
        "texts": _array("The texts.", _text("A text."), 1),
    }, ("texts",)), result=_object({
        "model": _text("The model id; vectors of different models are never compared."),
        "vectors": _array("One vector per text, in order.", vector),
    }, ("model", "vectors"), closed=False), timeout=30.0),)


def _search() -> tuple[Tool, ...]:
    hit = _object({"title": _text("Title."), "url": _text("Where it is."),
                   "snippet": _text("The matching passage.")}, closed=False)
    return (_tool("search", "Search for documents that match a query.", _object({
        "query": _text("What to look for."),
        "limit": _integer("Most results to return.", 1, 100),
    }, ("query",)), result=_object({"results": _array("Best first.", hit)}, ("results",),
                                   closed=False), timeout=30.0),)


# -- issue 13 (ha-devices): the rest of Home Assistant's MQTT entity platforms --------------


def _update() -> tuple[Tool, ...]:
    return (
        _tool("install", "Install the available update (firmware or software).", _object({
            "version": _text("The version to install; the latest when left out."),
            "backup": _flag("Back up before installing, when the device can."),
        }), timeout=30.0),
    )


def _notify() -> tuple[Tool, ...]:
    return (
        _tool("send_message", "Send a notification message.", _object({
            "message": _text("What to say."),
            "title": _text("A title, for services that show one."),
        }, ("message",))),
    )


_MORE_DEVICES: Mapping[str, Callable[[], tuple[Tool, ...]]] = {
    "update": _update,
    "notify": _notify,
    "image": tuple,
    "tag": tuple,
}
"""Domains added with Home Assistant's MQTT platforms (update, notify; image and tag are
read-only: an image's picture, a scanned tag's trigger)."""

# -- end of issue 13's block -----------------------------------------------------------------


# -- Home Assistant's entity model for routing (issue 11): to-do lists, people, timers'
# operations, weather forecasts, media search. Kept in one block; `_DEVICES` takes it last.


def _todo() -> tuple[Tool, ...]:
    item = _text("The item's summary (its text), as shown in the list.")
    status = _enum("needs_action or completed", "needs_action", "completed")
    return (
        _tool("add_item", "Add an item to the list.", _object({
            "item": item,
            "due_date": _text("The day it is due, YYYY-MM-DD."),
            "due_datetime": _text("When it is due, YYYY-MM-DD HH:MM:SS."),
            "description": _text("More detail about the item."),
        }, ("item",))),
        _tool("update_item", "Rename an item or mark it done.", _object({
            "item": item,
            "rename": _text("The new summary."),
            "status": status,
        }, ("item",))),
        _tool("remove_item", "Remove items from the list.",
              _object({"item": _array("The items.", item, 1)}, ("item",))),
        _tool("get_items", "The items of the list.", _object({"status": _array(
            "Only items of these statuses.", status)})),
        *_simple(("remove_completed_items", "Remove the items that are done.")),
    )


def _timer_operations() -> tuple[Tool, ...]:
    return (
        *_timer(),
        _tool("change", "Add time to (or, negative, take time from) a running timer.",
              _object({"duration": _integer("Seconds to add; negative to take away.")},
                      ("duration",))),
    )


def _weather() -> tuple[Tool, ...]:
    return (_tool("get_forecasts", "The weather forecast.", _object({
        "type": _enum("daily, hourly or twice_daily", "daily", "hourly", "twice_daily"),
    }, ("type",))),)


def _media_player_with_search() -> tuple[Tool, ...]:
    return (
        *_media_player(),
        _tool("search_media", "Search the player's media library.", _object({
            "search_query": _text("What to look for, e.g. an album's or an artist's name."),
            "media_content_type": _text("What kind: music, album, artist, playlist, track..."),
        }, ("search_query",))),
    )


_HA_MODEL: Mapping[str, Callable[[], tuple[Tool, ...]]] = MappingProxyType({
    "todo": _todo,
    "person": tuple,
    "timer": _timer_operations,
    "weather": _weather,
    "media_player": _media_player_with_search,
})


# -- agents (issue 10: agents are capabilities; hub/agents/) ---------------------------------


def _agent() -> tuple[Tool, ...]:
    step = _object({"kind": _text("model, tool or action."),
                    "tool": _text("The tool called (capability_id/tool)."),
                    "arguments": _schema(type="object", description="Its arguments."),
                    "seconds": _number("How long it took.")}, closed=False)
    return (_tool("handle", "Hand a request or an event to the agent; it acts with the "
                  "hub's tools and answers.", _object({
                      "text": _text("A request in words, e.g. 'who is at the door?'."),
                      "event": _schema(type="object", description=(
                          "What happened: a trigger's variables (capability, name, intent, "
                          "payload, priority).")),
                  }, any_of=(("text",), ("event",))), result=_object({
                      "answer": _text("The agent's answer in words."),
                      "tool_calls": _array("The tools it called, in order.", step),
                      "steps": _array("Every step: model requests and tool calls.", step),
                      "error": _text("Why the turn failed, when it did."),
                  }, ("answer", "tool_calls"), closed=False), timeout=120.0),)


_AGENTS: Mapping[str, Callable[[], tuple[Tool, ...]]] = MappingProxyType({"agent": _agent})
"""Agents (hub/agents/): one standard tool, ``handle``."""

# -- end of agents ---------------------------------------------------------------------------


# Builders, not values: every call makes fresh schemas, so no caller can change another's.
_DEVICES: Mapping[str, Callable[[], tuple[Tool, ...]]] = MappingProxyType({
    "light": _light,
    "switch": lambda: _on_off("switch", duration=True),
    "fan": _fan,
    "cover": _cover,
    "lock": _lock,
    "climate": _climate,
    "media_player": _media_player,
    "vacuum": _vacuum,
    "camera": _camera,
    "button": lambda: (_tool("press", "Press the button."),),
    "scene": lambda: (
        _tool("turn_on", "Activate the scene.", _object({"transition": _TRANSITION})),
    ),
    "script": lambda: (
        _tool("turn_on", "Run the script.", _object({
            "variables": _schema(type="object", description="Variables for the script."),
        })),
        *_on_off("script")[1:],
    ),
    "number": lambda: _value("Set the number.",
                             _number("The new value (within the device's range).")),
    "select": lambda: _select("select"),
    "siren": _siren,
    "humidifier": _humidifier,
    "water_heater": _water_heater,
    "valve": _valve,
    "alarm_control_panel": _alarm,
    "input_boolean": lambda: _on_off("helper", duration=True),
    "input_number": lambda: (*_value("Set the number.", _number("The new value.")),
                             *_simple(("increment", "Add one step."),
                                      ("decrement", "Take one step away."))),
    "input_select": lambda: _select("list"),
    "input_text": lambda: _value("Set the text.", _text("The new text.")),
    "input_button": lambda: (_tool("press", "Press the button."),),
    "text": lambda: _value("Set the text.", _text("The new text.")),
    "lawn_mower": lambda: _simple(("start_mowing", "Start mowing."),
                                  ("pause", "Pause mowing."), ("dock", "Go back to the dock.")),
    "remote": _remote,
    "counter": _counter,
    "timer": _timer,
    "sensor": tuple,
    "binary_sensor": tuple,
    "event": tuple,
    "device_tracker": tuple,
    "weather": tuple,
    **_MORE_DEVICES,
    **_HA_MODEL,  # issue 11's block above
})
_AI: Mapping[str, Callable[[], tuple[Tool, ...]]] = MappingProxyType({
    "llm/chat": _chat,
    "vision/detect": _detect,
    "vision/describe": _describe,
    "audio/transcribe": _transcribe,
    "embeddings": _embed,
    "search": _search,
})

DEVICE_DOMAINS: frozenset[str] = frozenset(_DEVICES)
"""Home Assistant domains with standard tools; each has ``get_state``."""
AI_KINDS: frozenset[str] = frozenset(_AI)
"""AI service kinds with a standard tool."""
AGENT_TYPES: frozenset[str] = frozenset(_AGENTS)
"""Agent capabilities (hub/agents/)."""
KNOWN_TYPES: frozenset[str] = DEVICE_DOMAINS | AI_KINDS | AGENT_TYPES


def is_device_domain(type_: str) -> bool:
    """True for Home Assistant device domains (``light``), false for AI kinds and others."""
    return type_ in _DEVICES


def standard_tools(type_: str) -> tuple[Tool, ...]:
    """The standard tools of a domain or AI kind; ``()`` for a type we do not know."""
    device = _DEVICES.get(type_)
    if device is not None:
        return (*device(), _get_state())
    ai = _AI.get(type_) or _AGENTS.get(type_)
    return ai() if ai is not None else ()


def standard_tool(type_: str, name: str) -> Tool | None:
    for tool in standard_tools(type_):
        if tool.name == name:
            return tool
    return None
