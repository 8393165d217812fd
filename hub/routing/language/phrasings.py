"""Many ways to ask each action of each kind of device, for the nearest-neighbour fallback.

When the verb lexicon hears no verb it knows ("the study is a mess, robbie", "engage the
porch lamp"), the resolver embeds the utterance and compares it with these phrasings of
the device's domain: the action whose nearest phrasings are closest wins, if it is close
enough and clearly ahead of the next (`hub.routing.language.resolve.Resolver`). The
phrasings are the team's own, written to cover registers (terse, chatty, indirect, wishes)
rather than vocabulary lists; the embedding model carries them to words nobody listed.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from hub.routing.language.lexicon import Action

A = Action

PHRASINGS: Mapping[str, Mapping[Action, tuple[str, ...]]] = MappingProxyType({
    "light": {
        A.ON: ("light on", "I need some light here", "brighten up the room with the lamp",
               "get the lamp going", "I can't see a thing, the light please",
               "illuminate the hallway", "lamp on please", "give me light"),
        A.OFF: ("light off", "no more light please", "kill the lamp", "darkness please",
                "it's too bright, switch the lamp off", "lights out",
                "I'm going to sleep, the lamp can go off", "extinguish the light"),
        A.QUERY: ("is the lamp on", "did I leave the light on", "what's the state of the light",
                  "are the lights still burning", "how bright is the lamp"),
    },
    "switch": {
        A.ON: ("power it up", "switch on the plug", "give the socket power", "start the machine",
               "get the heater running", "make me a coffee", "boil the kettle",
               "fire up the outlet"),
        A.OFF: ("cut the power", "switch the plug off", "unplug it", "stop the machine",
                "kill the power to the socket", "shut down the heater", "disconnect the outlet"),
        A.TOGGLE: ("flip the switch", "toggle the plug", "switch it the other way"),
        A.QUERY: ("is the plug on", "is the machine running", "does the socket have power"),
    },
    "fan": {
        A.ON: ("get some air moving", "fan on", "start the fan", "I need a breeze",
               "it's stuffy in here", "cool me down with the fan", "blow some air"),
        A.OFF: ("fan off", "stop the fan", "the fan is too noisy, stop it", "no more breeze",
                "it's cold enough, the fan can stop"),
        A.OSCILLATE: ("make the fan move side to side", "let the fan turn around",
                      "sweep the room with the fan", "have the fan rotate",
                      "the fan should swivel", "move the fan"),
        A.UP: ("faster fan", "more air", "stronger breeze", "speed the fan up"),
        A.DOWN: ("slower fan", "less air", "gentler breeze", "slow the fan down"),
        A.QUERY: ("is the fan running", "what speed is the fan at", "is the fan on"),
    },
    "cover": {
        A.OPEN: ("let the sunshine in", "raise the blinds", "roll the shutters up",
                 "draw back the curtains", "pull the shades up", "I want to see outside",
                 "open up the garage"),
        A.CLOSE: ("lower the blinds", "draw the curtains", "roll the shutters down",
                  "give me some privacy", "it's too sunny, shut the blinds", "bring the awning in",
                  "put the shades down", "shut the garage"),
        A.STOP: ("stop the blinds there", "halt the shutter", "freeze the curtains where they are"),
        A.QUERY: ("are the blinds open", "is the garage door closed", "what position are the shades"),
    },
    "lock": {
        A.LOCK: ("secure the door", "bolt it", "lock up", "make sure nobody can get in",
                 "lock the door behind me", "is it safe? lock it"),
        A.UNLOCK: ("let me in", "unbolt the door", "open the lock", "let the guests in",
                   "release the lock"),
        A.QUERY: ("is the door locked", "did I lock up", "is the lock secure"),
    },
    "climate": {
        A.UP: ("I'm cold", "it's freezing", "warm it up", "a bit warmer please", "heat up the room",
               "raise the temperature"),
        A.DOWN: ("I'm hot", "it's boiling in here", "cool it down", "a bit cooler please",
                 "lower the temperature"),
        A.ON: ("turn the heating on", "start the air conditioning", "get the heat going"),
        A.OFF: ("heating off", "stop the air conditioning", "shut off the climate"),
        A.QUERY: ("what's the thermostat set to", "how warm is it set", "is the heating on"),
    },
    "media_player": {
        A.PLAY: ("play", "resume", "keep playing", "carry on with the show", "start the music"),
        A.PAUSE: ("pause", "hold it", "wait a second with the music", "freeze the movie"),
        A.STOP: ("stop the music", "enough music", "end playback"),
        A.NEXT: ("next song", "skip this one", "I don't like this song", "another track please",
                 "move on to the following song", "change the song"),
        A.PREVIOUS: ("previous song", "go back a track", "play the last song again",
                     "the song before this one"),
        A.UP: ("louder", "I can't hear it", "turn it up", "pump up the volume", "crank it"),
        A.DOWN: ("quieter", "too loud", "turn it down", "lower the volume", "softer please"),
        A.MUTE: ("mute", "silence", "shut it up", "no sound please"),
        A.ON: ("turn on the tv", "wake the speaker", "switch on the telly"),
        A.OFF: ("turn off the tv", "shut the speaker down", "switch off the telly"),
        A.QUERY: ("what's playing", "what song is this", "is the tv on"),
    },
    "vacuum": {
        A.START: ("clean the floor", "the floor is dirty", "the room needs a clean",
                  "go vacuum", "time to hoover", "the kitchen is a mess", "start cleaning",
                  "get the robot going", "tidy up the floor"),
        A.PAUSE: ("pause the cleaning", "wait a moment", "take a break", "hold on robot"),
        A.STOP: ("stop cleaning", "enough cleaning", "halt the robot"),
        A.DOCK: ("go home", "back to the base", "return to the charger", "go recharge",
                 "park the robot", "send it to the dock"),
        A.LOCATE: ("where is the robot", "beep so I can find you", "find the vacuum"),
        A.QUERY: ("is the robot cleaning", "what is the vacuum doing", "is the vacuum docked"),
    },
})  # fmt: skip


def phrasings(domain: str) -> Mapping[Action, tuple[str, ...]]:
    return PHRASINGS.get(domain, MappingProxyType({}))
