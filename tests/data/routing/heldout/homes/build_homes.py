"""Writes the three held-out homes as Home Assistant-shaped entity lists.

The rooms and what is in each were chosen by hand (see ../README.md); this script only
spells the entities out, so that ids stay consistent. Run it from anywhere:

    python tests/data/routing/heldout/homes/build_homes.py

It is deterministic; the JSON files it writes are committed next to it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower().replace("'", "")).strip("_")


class Home:
    def __init__(self, name: str) -> None:
        self.name = name
        self.entities: list[dict[str, object]] = []
        self.floors: dict[str, dict[str, object]] = {}
        self.areas: dict[str, str | None] = {}

    def floor(self, name: str, level: int, aliases: list[str]) -> None:
        self.floors[name] = {"name": name, "level": level, "aliases": aliases}

    def add(self, domain: str, name: str, area: str | None, floor: str | None = None,
            device_class: str | None = None, aliases: list[str] | None = None,
            object_id: str | None = None) -> str:
        if area is not None and floor is None:
            floor = self.areas[area]
        oid = object_id or slug(f"{area} {name}" if area and not name.lower().startswith(area.lower()) else name)
        eid = f"{domain}.{oid}"
        if any(e["id"] == eid for e in self.entities):
            raise ValueError(f"{self.name}: duplicate id {eid}")
        entity: dict[str, object] = {"id": eid, "type": domain, "name": name, "area": area,
                                     "floor": floor, "aliases": aliases or []}
        if device_class:
            entity["device_class"] = device_class
        self.entities.append(entity)
        return eid

    def room(self, area: str, floor: str | None) -> None:
        self.areas[area] = floor

    def write(self) -> None:
        self.entities.sort(key=lambda e: str(e["id"]))
        (HERE / f"{self.name}_devices.json").write_text(
            json.dumps(self.entities, indent=1, ensure_ascii=False) + "\n")
        layout = {"floors": list(self.floors.values()),
                  "areas": [{"name": a, "floor": f} for a, f in self.areas.items()]}
        (HERE / f"{self.name}_layout.json").write_text(json.dumps(layout, indent=1) + "\n")


def flat() -> Home:
    """Priya's one-bedroom flat on the first floor of a city block (~50 devices)."""
    h = Home("flat")
    h.floor("First Floor", 1, [])
    for a in ("Living Room", "Kitchen", "Bedroom", "Bathroom", "Hallway", "Balcony"):
        h.room(a, "First Floor")
    # Living room
    h.add("light", "Ceiling Light", "Living Room")
    h.add("light", "Reading Lamp", "Living Room", aliases=["the lamp by the sofa"])
    h.add("light", "TV Backlight", "Living Room", object_id="tv_backlight")
    h.add("media_player", "Living Room TV", "Living Room", device_class="tv", object_id="living_room_tv")
    h.add("media_player", "Soundbar", "Living Room", device_class="speaker")
    h.add("cover", "Curtains", "Living Room", device_class="curtain")
    h.add("climate", "Living Room Radiator", "Living Room", object_id="living_room_radiator")
    h.add("sensor", "Living Room Temperature", "Living Room", device_class="temperature", object_id="living_room_temperature")
    h.add("sensor", "Living Room Humidity", "Living Room", device_class="humidity", object_id="living_room_humidity")
    h.add("fan", "Tower Fan", "Living Room")
    h.add("switch", "Christmas Tree", "Living Room", device_class="outlet")
    h.add("vacuum", "Robot Vacuum", "Living Room", aliases=["Roomba"], object_id="roomba")
    # Kitchen
    h.add("light", "Kitchen Light", "Kitchen", object_id="kitchen")
    h.add("light", "Under Cabinet Lights", "Kitchen")
    h.add("switch", "Coffee Machine", "Kitchen", device_class="outlet")
    h.add("switch", "Kettle", "Kitchen", device_class="outlet")
    h.add("switch", "Dishwasher Plug", "Kitchen", device_class="outlet", object_id="dishwasher_plug")
    h.add("media_player", "Kitchen Speaker", "Kitchen", device_class="speaker", object_id="kitchen_speaker")
    h.add("binary_sensor", "Fridge Door", "Kitchen", device_class="door", object_id="fridge_door")
    h.add("binary_sensor", "Kitchen Leak Sensor", "Kitchen", device_class="moisture", object_id="kitchen_leak")
    h.add("valve", "Water Main", "Kitchen", device_class="water", object_id="water_main")
    h.add("fan", "Cooker Hood", "Kitchen", object_id="cooker_hood")
    # Bedroom
    h.add("light", "Bedroom Light", "Bedroom", object_id="bedroom")
    h.add("light", "Bedside Lamp", "Bedroom")
    h.add("cover", "Bedroom Blinds", "Bedroom", device_class="blind", object_id="bedroom_blinds")
    h.add("climate", "Bedroom Radiator", "Bedroom", object_id="bedroom_radiator")
    h.add("sensor", "Bedroom Temperature", "Bedroom", device_class="temperature", object_id="bedroom_temperature")
    h.add("switch", "Electric Blanket", "Bedroom", device_class="outlet")
    h.add("fan", "Ceiling Fan", "Bedroom")
    h.add("media_player", "Bedroom Speaker", "Bedroom", device_class="speaker", object_id="bedroom_speaker")
    # Bathroom
    h.add("light", "Bathroom Light", "Bathroom", object_id="bathroom")
    h.add("light", "Mirror Light", "Bathroom")
    h.add("fan", "Extractor Fan", "Bathroom")
    h.add("switch", "Towel Rail", "Bathroom")
    h.add("sensor", "Bathroom Humidity", "Bathroom", device_class="humidity", object_id="bathroom_humidity")
    # Hallway
    h.add("light", "Hallway Light", "Hallway", object_id="hallway")
    h.add("lock", "Front Door Lock", "Hallway", object_id="front_door")
    h.add("binary_sensor", "Front Door", "Hallway", device_class="door", object_id="front_door")
    h.add("binary_sensor", "Hallway Motion", "Hallway", device_class="motion", object_id="hallway_motion")
    h.add("sensor", "Hallway Motion Battery", "Hallway", device_class="battery", object_id="hallway_motion_battery")
    h.add("sensor", "Front Door Lock Battery", "Hallway", device_class="battery", object_id="front_door_lock_battery")
    h.add("camera", "Doorbell", "Hallway", object_id="doorbell")
    # Balcony
    h.add("light", "Balcony String Lights", "Balcony", object_id="balcony_string_lights")
    h.add("binary_sensor", "Balcony Door", "Balcony", device_class="door", object_id="balcony_door")
    h.add("valve", "Balcony Planter Drip", "Balcony", device_class="water", object_id="balcony_drip")
    h.add("sensor", "Outside Temperature", "Balcony", device_class="temperature", object_id="outside_temperature")
    # Whole flat
    h.add("person", "Priya", None, object_id="priya")
    h.add("person", "Sam", None, object_id="sam")
    h.add("todo", "Shopping List", None, object_id="shopping_list")
    h.add("todo", "Chores", None, object_id="chores")
    h.add("timer", "Kitchen Timer", "Kitchen", object_id="kitchen")
    h.add("weather", "Home", None, object_id="home")
    h.add("scene", "Movie Night", None, object_id="movie_night")
    h.add("scene", "Good Morning", None, object_id="good_morning")
    h.add("script", "Leaving Home", None, object_id="leaving_home")
    return h


def house() -> Home:
    """The Okafor family house: basement, ground floor, first floor (~200 devices)."""
    h = Home("house")
    h.floor("Basement", -1, ["cellar"])
    h.floor("Ground Floor", 0, ["downstairs"])
    h.floor("First Floor", 1, ["upstairs"])
    ground = ("Living Room", "Kitchen", "Dining Room", "Hallway", "Toilet", "Utility Room", "Garage")
    first = ("Master Bedroom", "Ensuite", "Mia's Room", "Leo's Room", "Bathroom", "Landing", "Study")
    base = ("Playroom", "Laundry", "Boiler Room", "Gym")
    for a in ground:
        h.room(a, "Ground Floor")
    for a in first:
        h.room(a, "First Floor")
    for a in base:
        h.room(a, "Basement")
    for a in ("Garden", "Driveway", "Patio"):
        h.room(a, None)
    # Lights
    for a, names in {
        "Living Room": ["Ceiling Light", "Floor Lamp", "Corner Lamp", "Shelf Lights"],
        "Kitchen": ["Ceiling Light", "Island Pendants", "Under Cabinet Lights"],
        "Dining Room": ["Chandelier", "Wall Lights"],
        "Hallway": ["Ceiling Light", "Stair Lights"],
        "Toilet": ["Ceiling Light"],
        "Utility Room": ["Ceiling Light"],
        "Garage": ["Strip Light", "Workbench Light"],
        "Master Bedroom": ["Ceiling Light", "Anna's Bedside Lamp", "Tom's Bedside Lamp"],
        "Ensuite": ["Ceiling Light", "Mirror Light"],
        "Mia's Room": ["Ceiling Light", "Fairy Lights", "Desk Lamp"],
        "Leo's Room": ["Ceiling Light", "Night Light", "Desk Lamp"],
        "Bathroom": ["Ceiling Light", "Mirror Light"],
        "Landing": ["Ceiling Light"],
        "Study": ["Ceiling Light", "Desk Lamp"],
        "Playroom": ["Ceiling Light", "LED Strip"],
        "Laundry": ["Ceiling Light"],
        "Boiler Room": ["Bulb"],
        "Gym": ["Ceiling Light", "Mirror Light"],
        "Garden": ["Path Lights", "Shed Light", "Fence Lights"],
        "Driveway": ["Floodlight"],
        "Patio": ["Festoon Lights", "Wall Lantern"],
    }.items():
        for n in names:
            h.add("light", n, a)
    # Covers
    for a in ("Living Room", "Kitchen", "Dining Room", "Master Bedroom", "Mia's Room",
              "Leo's Room", "Study"):
        h.add("cover", "Blinds", a, device_class="blind")
    h.add("cover", "Curtains", "Master Bedroom", device_class="curtain")
    h.add("cover", "Curtains", "Living Room", device_class="curtain")
    h.add("cover", "Skylight", "Landing", device_class="window")
    h.add("cover", "Garage Door", "Garage", device_class="garage")
    h.add("cover", "Patio Awning", "Patio", device_class="awning", object_id="patio_awning")
    h.add("cover", "Driveway Gate", "Driveway", device_class="gate", object_id="driveway_gate")
    # Locks and doors
    h.add("lock", "Front Door", "Hallway", object_id="front_door")
    h.add("lock", "Back Door", "Kitchen", object_id="back_door")
    h.add("lock", "Garage Side Door", "Garage", object_id="garage_side_door")
    h.add("lock", "Shed", "Garden", object_id="shed")
    for a, n in (("Hallway", "Front Door"), ("Kitchen", "Back Door"), ("Garage", "Garage Side Door"),
                 ("Living Room", "Patio Door"), ("Garden", "Shed Door")):
        h.add("binary_sensor", n, a, device_class="door", object_id=slug(n))
    for a in ("Living Room", "Kitchen", "Master Bedroom", "Mia's Room", "Leo's Room",
              "Bathroom", "Study", "Playroom"):
        h.add("binary_sensor", "Window", a, device_class="window")
    # Climate: a radiator valve per room plus the boiler
    h.add("climate", "Thermostat", "Hallway", aliases=["heating", "central heating"])
    for a in ("Living Room", "Kitchen", "Master Bedroom", "Mia's Room", "Leo's Room",
              "Bathroom", "Study", "Playroom", "Gym"):
        h.add("climate", "Radiator", a)
    h.add("climate", "Air Conditioner", "Master Bedroom", aliases=["AC"])
    h.add("water_heater", "Hot Water", "Boiler Room", object_id="hot_water")
    # Sensors
    for a in ("Living Room", "Kitchen", "Master Bedroom", "Mia's Room", "Leo's Room",
              "Bathroom", "Study", "Playroom", "Gym", "Garage"):
        h.add("sensor", "Temperature", a, device_class="temperature")
    for a in ("Living Room", "Bathroom", "Ensuite", "Laundry", "Master Bedroom"):
        h.add("sensor", "Humidity", a, device_class="humidity")
    h.add("sensor", "Outdoor Temperature", "Garden", device_class="temperature", object_id="outdoor_temperature")
    for a in ("Hallway", "Landing", "Living Room", "Kitchen", "Garage", "Driveway", "Playroom"):
        h.add("binary_sensor", "Motion", a, device_class="motion")
        h.add("sensor", "Motion Battery", a, device_class="battery")
    for a in ("Front Door", "Back Door"):
        h.add("sensor", f"{a} Lock Battery", "Hallway" if a == "Front Door" else "Kitchen",
              device_class="battery", object_id=slug(a) + "_lock_battery")
    h.add("binary_sensor", "Smoke Alarm", "Hallway", device_class="smoke")
    h.add("binary_sensor", "Smoke Alarm", "Landing", device_class="smoke")
    h.add("binary_sensor", "Leak Sensor", "Laundry", device_class="moisture")
    h.add("binary_sensor", "Leak Sensor", "Boiler Room", device_class="moisture")
    h.add("sensor", "Energy Today", None, device_class="energy", object_id="energy_today")
    h.add("sensor", "Power", None, device_class="power", object_id="house_power")
    # Fans
    h.add("fan", "Ceiling Fan", "Master Bedroom")
    h.add("fan", "Desk Fan", "Study")
    h.add("fan", "Extractor Fan", "Bathroom")
    h.add("fan", "Extractor Fan", "Ensuite")
    h.add("fan", "Cooker Hood", "Kitchen")
    h.add("fan", "Pedestal Fan", "Gym")
    # Switches and plugs
    for a, n in (("Kitchen", "Coffee Machine"), ("Kitchen", "Kettle"), ("Kitchen", "Toaster"),
                 ("Living Room", "Christmas Tree"), ("Utility Room", "Dehumidifier Plug"),
                 ("Laundry", "Washing Machine"), ("Laundry", "Tumble Dryer"),
                 ("Garage", "Car Charger"), ("Garage", "Freezer"), ("Study", "Printer"),
                 ("Study", "Monitor Plug"), ("Gym", "Treadmill"), ("Playroom", "Games Console"),
                 ("Leo's Room", "Aquarium"), ("Garden", "Fountain Pump"),
                 ("Patio", "Patio Heater"), ("Bathroom", "Towel Rail"), ("Ensuite", "Towel Rail")):
        h.add("switch", n, a, device_class="outlet")
    h.add("switch", "Guest Mode", None, device_class="switch", object_id="guest_mode")
    # Media
    h.add("media_player", "TV", "Living Room", device_class="tv")
    h.add("media_player", "Sonos", "Living Room", device_class="speaker")
    h.add("media_player", "Speaker", "Kitchen", device_class="speaker")
    h.add("media_player", "Speaker", "Master Bedroom", device_class="speaker")
    h.add("media_player", "Speaker", "Mia's Room", device_class="speaker")
    h.add("media_player", "TV", "Playroom", device_class="tv")
    h.add("media_player", "Speaker", "Gym", device_class="speaker")
    h.add("media_player", "Speaker", "Bathroom", device_class="speaker")
    # Vacuums, valves, cameras
    h.add("vacuum", "Robot Vacuum", "Living Room", aliases=["Roomba", "Dusty"], object_id="downstairs_vacuum")
    h.add("vacuum", "Upstairs Robot Vacuum", "Landing", object_id="upstairs_vacuum")
    h.add("valve", "Garden Sprinklers", "Garden", device_class="water", object_id="garden_sprinklers")
    h.add("valve", "Vegetable Bed Drip", "Garden", device_class="water", object_id="veg_bed_drip")
    h.add("valve", "Water Main", "Utility Room", device_class="water", object_id="water_main")
    h.add("camera", "Front Door Camera", "Hallway", object_id="front_door")
    h.add("camera", "Driveway Camera", "Driveway", object_id="driveway")
    h.add("camera", "Garden Camera", "Garden", object_id="garden")
    h.add("camera", "Baby Monitor", "Leo's Room", object_id="baby_monitor")
    # People, lists, timers, weather, scenes, scripts
    for p in ("Anna", "Tom", "Mia", "Leo"):
        h.add("person", p, None, object_id=slug(p))
    h.add("todo", "Shopping List", None, object_id="shopping_list")
    h.add("todo", "Chores", None, object_id="chores")
    h.add("todo", "Mia's Homework", None, object_id="mia_homework")
    for a in ("Kitchen", "Laundry"):
        h.add("timer", f"{a} Timer", a, object_id=slug(a))
    h.add("weather", "Home", None, object_id="home")
    for s in ("Movie Night", "Dinner", "Bedtime", "Good Morning", "Homework", "Party"):
        h.add("scene", s, None, object_id=slug(s))
    for s in ("Goodnight", "Leaving Home", "Bath Time", "School Run"):
        h.add("script", s, None, object_id=slug(s))
    h.add("alarm_control_panel", "House Alarm", None, object_id="house")
    h.add("lawn_mower", "Lawn Mower", "Garden", object_id="lawn_mower")
    return h


MANOR_ROOMS = {
    "Basement": ["Cinema Room", "Wine Cellar", "Workshop", "Plant Room", "Basement Hall"],
    "Downstairs": ["Entrance Hall", "Living Room", "Snug", "Kitchen", "Pantry", "Dining Room",
                   "Library", "Office", "Boot Room", "Cloakroom", "Conservatory", "Games Room"],
    "Upstairs": ["Master Bedroom", "Master Bathroom", "Dressing Room", "Guest Bedroom",
                 "Guest Bathroom", "Nursery", "Kids Bedroom", "Kids Bathroom", "Landing",
                 "Gallery", "Yoga Room"],
    "Attic": ["Attic Studio", "Attic Storage"],
}
OUTDOOR = ["Garden", "Garage", "Driveway", "Terrace", "Pool House", "Greenhouse"]


def manor() -> Home:
    """The Lindqvist house: basement, downstairs, upstairs, attic, big garden (~500)."""
    h = Home("manor")
    h.floor("Basement", -1, ["cellar", "lower ground"])
    h.floor("Downstairs", 0, ["ground floor"])
    h.floor("Upstairs", 1, ["first floor"])
    h.floor("Attic", 2, ["loft", "second floor"])
    for floor, rooms in MANOR_ROOMS.items():
        for r in rooms:
            h.room(r, floor)
    for r in OUTDOOR:
        h.room(r, None)
    no_window = {"Wine Cellar", "Plant Room", "Basement Hall", "Pantry", "Cloakroom",
                 "Attic Storage", "Dressing Room", "Cinema Room"}
    wet = {"Master Bathroom", "Guest Bathroom", "Kids Bathroom", "Cloakroom", "Boot Room"}
    lived = {"Living Room", "Snug", "Kitchen", "Dining Room", "Library", "Office", "Conservatory",
             "Games Room", "Master Bedroom", "Guest Bedroom", "Nursery", "Kids Bedroom",
             "Yoga Room", "Attic Studio", "Cinema Room", "Workshop"}
    extra_lamps = {
        "Living Room": ["Floor Lamp", "Table Lamp", "Picture Light", "Wall Lights"],
        "Snug": ["Table Lamp", "Floor Lamp"],
        "Kitchen": ["Island Pendants", "Under Cabinet Lights", "Plinth Lights"],
        "Dining Room": ["Chandelier", "Wall Lights"],
        "Library": ["Reading Lamp", "Shelf Lights", "Desk Lamp"],
        "Office": ["Desk Lamp", "Floor Lamp"],
        "Master Bedroom": ["Left Bedside Lamp", "Right Bedside Lamp", "Wardrobe Light"],
        "Guest Bedroom": ["Bedside Lamp"],
        "Nursery": ["Night Light", "Table Lamp"],
        "Kids Bedroom": ["Bedside Lamp", "Star Projector"],
        "Master Bathroom": ["Mirror Light", "Bath Spotlights"],
        "Guest Bathroom": ["Mirror Light"],
        "Kids Bathroom": ["Mirror Light"],
        "Entrance Hall": ["Chandelier", "Wall Lights"],
        "Landing": ["Wall Lights"],
        "Gallery": ["Picture Lights", "Spotlights"],
        "Cinema Room": ["Step Lights", "Star Ceiling"],
        "Games Room": ["Pool Table Light", "Bar Lights"],
        "Conservatory": ["Lantern"],
        "Yoga Room": ["Floor Lamp"],
        "Attic Studio": ["Desk Lamp", "Easel Light"],
        "Workshop": ["Bench Light"],
        "Wine Cellar": ["Rack Lights"],
    }
    for floor, rooms in MANOR_ROOMS.items():
        for r in rooms:
            h.add("light", "Ceiling Light", r)
            for n in extra_lamps.get(r, []):
                h.add("light", n, r)
            h.add("binary_sensor", "Motion", r, device_class="motion")
            h.add("sensor", "Motion Battery", r, device_class="battery")
            h.add("sensor", "Temperature", r, device_class="temperature")
            if r in lived or r in wet:
                h.add("climate", "Radiator", r)
                h.add("sensor", "Humidity", r, device_class="humidity")
            if r not in no_window:
                h.add("binary_sensor", "Window", r, device_class="window")
                h.add("sensor", "Window Battery", r, device_class="battery")
                kind = "curtain" if r in {"Living Room", "Master Bedroom", "Guest Bedroom", "Snug"} else "blind"
                h.add("cover", "Curtains" if kind == "curtain" else "Blinds", r, device_class=kind)
            if r in lived:
                h.add("switch", "Socket", r, device_class="outlet")
            if r in wet:
                h.add("fan", "Extractor Fan", r)
                h.add("switch", "Towel Rail", r, device_class="outlet")
                h.add("binary_sensor", "Leak Sensor", r, device_class="moisture")
            if r in {"Living Room", "Kitchen", "Master Bedroom", "Kids Bedroom", "Office",
                     "Snug", "Conservatory", "Dining Room", "Yoga Room", "Master Bathroom",
                     "Games Room", "Library"}:
                h.add("media_player", "Speaker", r, device_class="speaker")
            if r in {"Living Room", "Snug", "Master Bedroom", "Games Room", "Kids Bedroom"}:
                h.add("media_player", "TV", r, device_class="tv")
    for r in ("Master Bedroom", "Guest Bedroom", "Office", "Attic Studio", "Yoga Room"):
        h.add("fan", "Ceiling Fan", r)
    h.add("fan", "Air Purifier", "Nursery")
    h.add("fan", "Cooker Hood", "Kitchen")
    h.add("fan", "Dehumidifier", "Wine Cellar")
    h.add("climate", "Air Conditioner", "Master Bedroom", aliases=["AC"])
    h.add("climate", "Air Conditioner", "Office", aliases=["AC"])
    h.add("climate", "Air Conditioner", "Attic Studio", aliases=["AC"])
    h.add("climate", "Underfloor Heating", "Kitchen")
    h.add("climate", "Underfloor Heating", "Master Bathroom")
    h.add("climate", "Wine Cooler", "Wine Cellar")
    h.add("climate", "Pool Heat Pump", "Pool House")
    h.add("water_heater", "Hot Water", "Plant Room", object_id="hot_water")
    h.add("media_player", "Cinema Projector", "Cinema Room", device_class="tv")
    h.add("media_player", "Cinema Amplifier", "Cinema Room", device_class="receiver")
    h.add("media_player", "Record Player", "Library", device_class="speaker")
    h.add("media_player", "Speaker", "Terrace", device_class="speaker")
    h.add("media_player", "Speaker", "Pool House", device_class="speaker")
    h.add("cover", "Projector Screen", "Cinema Room", device_class="shade")
    h.add("cover", "Roof Blinds", "Conservatory", device_class="shade")
    h.add("cover", "Roof Vent", "Conservatory", device_class="window")
    h.add("cover", "Skylight", "Landing", device_class="window")
    h.add("cover", "Skylight", "Attic Studio", device_class="window")
    # Kitchen appliances and other plugs
    for r, n in (("Kitchen", "Coffee Machine"), ("Kitchen", "Kettle"), ("Kitchen", "Toaster"),
                 ("Kitchen", "Dishwasher"), ("Kitchen", "Wine Fridge"), ("Pantry", "Freezer"),
                 ("Boot Room", "Dog Dryer"), ("Boot Room", "Washing Machine"),
                 ("Boot Room", "Tumble Dryer"), ("Office", "Printer"), ("Office", "Espresso Machine"),
                 ("Living Room", "Christmas Tree"), ("Entrance Hall", "Christmas Tree"),
                 ("Games Room", "Arcade Machine"), ("Workshop", "Compressor"),
                 ("Workshop", "Soldering Station"), ("Nursery", "Bottle Warmer"),
                 ("Master Bedroom", "Electric Blanket"), ("Guest Bedroom", "Electric Blanket"),
                 ("Attic Studio", "Kiln"), ("Yoga Room", "Diffuser"), ("Cinema Room", "Popcorn Machine")):
        h.add("switch", n, r, device_class="outlet")
    # Locks, doors
    for r, n in (("Entrance Hall", "Front Door"), ("Boot Room", "Back Door"),
                 ("Kitchen", "Kitchen Door"), ("Conservatory", "Conservatory Door"),
                 ("Garage", "Garage Side Door"), ("Pool House", "Pool House Door"),
                 ("Workshop", "Workshop Door"), ("Wine Cellar", "Cellar Door")):
        h.add("lock", n, r, object_id=slug(n))
        h.add("binary_sensor", n, r, device_class="door", object_id=slug(n))
        h.add("sensor", f"{n} Lock Battery", r, device_class="battery", object_id=slug(n) + "_lock_battery")
    h.add("lock", "Gun Safe", "Office", object_id="safe")
    h.add("binary_sensor", "Patio Doors", "Living Room", device_class="door", object_id="patio_doors")
    h.add("cover", "Patio Doors", "Living Room", device_class="door", object_id="patio_doors")
    h.add("lock", "Patio Doors", "Living Room", object_id="patio_doors")
    # Garage
    for n in ("Left Garage Door", "Right Garage Door"):
        h.add("cover", n, "Garage", device_class="garage", object_id=slug(n))
    for n in ("Ceiling Light", "Workbench Light", "Strip Light"):
        h.add("light", n, "Garage")
    h.add("switch", "Car Charger", "Garage", device_class="outlet")
    h.add("switch", "Garage Freezer", "Garage", device_class="outlet", object_id="garage_freezer")
    h.add("binary_sensor", "Motion", "Garage", device_class="motion")
    h.add("sensor", "Motion Battery", "Garage", device_class="battery")
    h.add("sensor", "Temperature", "Garage", device_class="temperature")
    h.add("vacuum", "Garage Sweeper", "Garage", object_id="garage_sweeper")
    h.add("camera", "Garage Camera", "Garage", object_id="garage")
    # Outside
    for r, names in {
        "Garden": ["Path Lights", "Tree Uplighters", "Pond Light", "Fence Lights", "Gazebo Lights"],
        "Driveway": ["Gate Lights", "Floodlight", "Bollards"],
        "Terrace": ["Wall Lanterns", "Festoon Lights", "Step Lights"],
        "Pool House": ["Ceiling Light", "Pool Lights", "Shower Light"],
        "Greenhouse": ["Grow Lights"],
    }.items():
        for n in names:
            h.add("light", n, r)
    h.add("cover", "Driveway Gate", "Driveway", device_class="gate", object_id="driveway_gate")
    h.add("cover", "Terrace Awning", "Terrace", device_class="awning", object_id="terrace_awning")
    h.add("cover", "Pool Cover", "Pool House", device_class="shade", object_id="pool_cover")
    h.add("cover", "Greenhouse Vent", "Greenhouse", device_class="window", object_id="greenhouse_vent")
    for r, n in (("Garden", "Front Lawn Sprinklers"), ("Garden", "Back Lawn Sprinklers"),
                 ("Garden", "Flower Bed Drip"), ("Greenhouse", "Greenhouse Misting"),
                 ("Plant Room", "Water Main"), ("Pool House", "Pool Fill Valve"),
                 ("Plant Room", "Heating Loop Valve")):
        h.add("valve", n, r, device_class="water" if "Heating" not in n else None, object_id=slug(n))
    h.add("switch", "Pool Pump", "Pool House", device_class="outlet", object_id="pool_pump")
    h.add("switch", "Fountain", "Garden", device_class="outlet", object_id="fountain")
    h.add("switch", "Pond Pump", "Garden", device_class="outlet", object_id="pond_pump")
    h.add("switch", "Patio Heater", "Terrace", device_class="outlet", object_id="patio_heater")
    h.add("switch", "Hot Tub", "Terrace", device_class="switch", object_id="hot_tub")
    h.add("sensor", "Outdoor Temperature", "Garden", device_class="temperature", object_id="outdoor_temperature")
    h.add("sensor", "Pool Temperature", "Pool House", device_class="temperature", object_id="pool_temperature")
    h.add("sensor", "Greenhouse Temperature", "Greenhouse", device_class="temperature", object_id="greenhouse_temperature")
    h.add("sensor", "Greenhouse Humidity", "Greenhouse", device_class="humidity", object_id="greenhouse_humidity")
    h.add("sensor", "Soil Moisture", "Greenhouse", device_class="moisture", object_id="greenhouse_soil_moisture")
    h.add("sensor", "Rain Today", "Garden", device_class="precipitation", object_id="rain_today")
    h.add("binary_sensor", "Gate Open", "Driveway", device_class="opening", object_id="driveway_gate")
    h.add("binary_sensor", "Motion", "Driveway", device_class="motion")
    h.add("binary_sensor", "Motion", "Terrace", device_class="motion")
    h.add("binary_sensor", "Motion", "Garden", device_class="motion")
    h.add("binary_sensor", "Mailbox", "Driveway", device_class="opening", object_id="mailbox")
    for r in ("Entrance Hall", "Landing", "Kitchen", "Attic Storage", "Basement Hall"):
        h.add("binary_sensor", "Smoke Alarm", r, device_class="smoke")
    h.add("lawn_mower", "Robot Mower", "Garden", object_id="robot_mower")
    for r, n in (("Front Door", "Entrance Hall"), ("Driveway", "Driveway"), ("Back Garden", "Garden"),
                 ("Terrace", "Terrace"), ("Nursery", "Nursery"), ("Pool", "Pool House")):
        h.add("camera", f"{r} Camera", n, object_id=slug(r))
    h.add("vacuum", "Robot Vacuum", "Kitchen", aliases=["Roomba"], object_id="downstairs_vacuum")
    h.add("vacuum", "Robot Vacuum", "Landing", object_id="upstairs_vacuum")
    h.add("vacuum", "Pool Robot", "Pool House", object_id="pool_robot")
    # Whole house
    for p in ("Erik", "Sofia", "Astrid", "Nils", "Grandma"):
        h.add("person", p, None, object_id=slug(p))
    h.add("device_tracker", "Erik's Phone", None, object_id="erik_phone")
    h.add("todo", "Shopping List", None, object_id="shopping_list")
    h.add("todo", "Garden Jobs", None, object_id="garden_jobs")
    h.add("todo", "Groceries", None, object_id="groceries")
    h.add("todo", "Packing List", None, object_id="packing_list")
    for r in ("Kitchen", "Pool House", "Attic Studio"):
        h.add("timer", f"{r} Timer", r, object_id=slug(r))
    h.add("weather", "Forecast", None, object_id="forecast")
    for s in ("Movie Night", "Dinner Party", "Reading", "Relax", "Wake Up", "All Off",
              "Pool Party", "Romantic", "Focus"):
        h.add("scene", s, None, object_id=slug(s))
    for s in ("Goodnight", "Away Mode", "Welcome Home", "Feed the Fish", "Morning Routine",
              "Holiday Lights"):
        h.add("script", s, None, object_id=slug(s))
    h.add("alarm_control_panel", "Alarm", None, object_id="house")
    h.add("sensor", "Solar Power", None, device_class="power", object_id="solar_power")
    h.add("sensor", "Home Battery", None, device_class="battery", object_id="home_battery")
    h.add("sensor", "Electricity Price", None, device_class="monetary", object_id="electricity_price")
    return h


if __name__ == "__main__":
    for home in (flat(), house(), manor()):
        home.write()
        print(home.name, len(home.entities))
