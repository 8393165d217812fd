"""The `mqtt:` key: the broker settings and Home Assistant's manual MQTT entities together.

Home Assistant keeps its broker settings in the UI and uses `mqtt:` in configuration.yaml
only for entities, in one of two forms::

    mqtt:                         mqtt:
      light:                        - light:
        - name: Desk                    name: Desk
          command_topic: ...            command_topic: ...
      sensor: [...]                 - sensor: [...]

The hub reads both, unchanged, and keeps its broker keys (`host`, `port`...) in the same
place: in the mapping form next to the platforms, in the list form in any piece (each
broker key once). A platform's value is one entity (a mapping) or a list of them; the list
form's pieces are joined, as Home Assistant joins them. What comes out is the mapping
form, every entity still a `Located` with its own file:line and path, for the `mqtt`
integration (integrations/mqtt) to check and run, as it does for any integration section.
"""

from __future__ import annotations

from types import MappingProxyType

from hub.located import Located, Problems, Section, as_mapping

BROKER_KEYS = (
    "host", "port", "username", "password", "client_id", "keepalive", "protocol", "embedded",
    "tls",
)  # fmt: skip
PLATFORMS = (
    "alarm_control_panel", "binary_sensor", "button", "camera", "climate", "cover",
    "device_tracker", "event", "fan", "humidifier", "image", "lawn_mower", "light", "lock",
    "notify", "number", "scene", "select", "sensor", "siren", "switch", "text", "update",
    "vacuum", "valve", "water_heater",
)  # fmt: skip
"""Home Assistant's MQTT platforms: the keys its manual `mqtt:` configuration accepts.
Which of them the hub drives is the `mqtt` integration's to say (and to report)."""
INTEGRATION = "mqtt"
"""The integration that runs the entities under `mqtt:` (`integrations/mqtt`)."""
_ALLOWED = BROKER_KEYS + PLATFORMS


def read_mqtt(node: Located | None, problems: Problems) -> tuple[Section, Located | None]:
    """The broker settings (a Section over `BROKER_KEYS`) and the entities (the mapping
    form, platform -> list of entity mappings; None when there are none)."""
    if node is None or node.is_null:
        return Section(None, problems, BROKER_KEYS), None
    if not node.is_sequence:
        section = Section(node, problems, _ALLOWED)  # reports unknown keys, and non-mappings
        pieces = [node] if node.is_mapping else []
        return section, _entities(node, pieces, problems)
    broker: dict[str, Located] = {}
    pieces = []
    for piece in node:
        if not as_mapping(piece, problems) or piece.is_null:
            continue
        Section(piece, problems, _ALLOWED)  # unknown keys, with the nearest known one
        pieces.append(piece)
        for key, child in piece.items():
            if key not in BROKER_KEYS:
                continue
            first = broker.get(key)
            if first is not None:
                problems.add(
                    child,
                    f"{key} is already set at {first.key_where}; give each broker setting once",
                    at_key=True,
                )
                continue
            broker[key] = child
    joined = Located(MappingProxyType(broker), node.mark, node.path, node.key_mark)
    return Section(joined, problems, BROKER_KEYS), _entities(node, pieces, problems)


def _entities(node: Located, pieces: list[Located], problems: Problems) -> Located | None:
    found: dict[str, list[Located]] = {}
    marks: dict[str, Located] = {}
    for piece in pieces:
        for platform, value in piece.items():
            if platform not in PLATFORMS or value.is_null:
                continue
            marks.setdefault(platform, value)
            items = found.setdefault(platform, [])
            if value.is_mapping:
                items.append(value)
                continue
            if not value.is_sequence:
                problems.add(value, f"expected an entity (key: value lines) or a list of them, "
                             f"got {value.describe()}")
                continue
            for item in value:
                if item.is_mapping:
                    items.append(item)
                else:
                    problems.add(item, "expected a mapping (key: value lines), got "
                                 f"{item.describe()}")
    found = {platform: items for platform, items in found.items() if items}
    if not found:
        return None
    platforms = {
        platform: Located(tuple(items), marks[platform].mark, f"{node.path}.{platform}",
                          marks[platform].key_mark)
        for platform, items in found.items()
    }
    return Located(MappingProxyType(platforms), node.mark, node.path, node.key_mark)
