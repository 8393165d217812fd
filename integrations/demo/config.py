"""The `demo:` section of configuration.yaml.

    integrations:
      demo:
        topic_prefix: demo        # every simulated topic lives under it
        motion_interval: 30       # seconds between motions in the hallway (randomised)
        person_interval: 60       # seconds between people at the front door (randomised)
        sensor_interval: 10       # seconds between temperature reports
        camera_interval: 5        # seconds between camera snapshots
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.located import Located, Problems, Section

_KEYS = ("topic_prefix", "motion_interval", "person_interval", "sensor_interval",
         "camera_interval")


@dataclass(frozen=True, slots=True)
class DemoConfig:
    topic_prefix: str = "demo"
    """Root of every topic the simulated devices use, so that they never meet a real
    Zigbee2MQTT, Home Assistant or Frigate on the same broker."""
    motion_interval: float = 30.0
    person_interval: float = 60.0
    sensor_interval: float = 10.0
    camera_interval: float = 5.0

    @property
    def zigbee2mqtt_topic(self) -> str:
        """The simulated Zigbee2MQTT's `mqtt.base_topic`."""
        return f"{self.topic_prefix}/zigbee2mqtt"

    @property
    def discovery_prefix(self) -> str:
        """Where the simulated sensor announces itself, as Home Assistant's discovery."""
        return f"{self.topic_prefix}/homeassistant"

    @property
    def frigate_topic(self) -> str:
        """The simulated Frigate's `mqtt.topic_prefix`."""
        return f"{self.topic_prefix}/frigate"

    @property
    def sensor_topic(self) -> str:
        """The simulated sensor's own base topic (`~` in its announcement)."""
        return f"{self.topic_prefix}/living_room_climate"


def validate(raw: Located | None) -> DemoConfig:
    """Check the section; a bare `demo:` means every default."""
    problems = Problems()
    section = Section(raw, problems, _KEYS)
    defaults = DemoConfig()
    prefix = section.text("topic_prefix", defaults.topic_prefix)
    node = section.get("topic_prefix")
    if node is not None and isinstance(node.value, str) and not _topic_ok(prefix):
        problems.add(node, f"expected an MQTT topic without wildcards or empty levels, "
                           f"got {node.describe()}")
    def seconds(key: str, default: float) -> float:
        return section.number(key, default, low=0, low_open=True)

    config = DemoConfig(
        topic_prefix=prefix,
        motion_interval=seconds("motion_interval", defaults.motion_interval),
        person_interval=seconds("person_interval", defaults.person_interval),
        sensor_interval=seconds("sensor_interval", defaults.sensor_interval),
        camera_interval=seconds("camera_interval", defaults.camera_interval),
    )
    problems.raise_if_any()
    return config


def _topic_ok(topic: str) -> bool:
    return not any(c in topic for c in "+#") and "" not in topic.split("/")
