"""Matter node dumps for tests: the shared fixtures, the old nested bridge dump converted to
the flat format, and dumps written here for device types the fixtures do not cover."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "matter"
if not FIXTURES.exists():
    FIXTURES = Path("/work/shared/fixtures/matter")

# the old format's cluster names and camelCase attributes, for the clusters its dump holds
_OLD_CLUSTERS: dict[str, tuple[int, dict[str, int]]] = {
    "Descriptor": (29, {"deviceTypeList": 0, "serverList": 1, "clientList": 2,
                        "partsList": 3}),
    "Basic": (40, {"dataModelRevision": 0, "vendorName": 1, "vendorID": 2, "productName": 3,
                   "productID": 4, "nodeLabel": 5, "location": 6, "hardwareVersion": 7,
                   "hardwareVersionString": 8, "softwareVersion": 9,
                   "softwareVersionString": 10, "uniqueID": 18}),
    "BridgedDeviceBasic": (57, {"vendorName": 1, "vendorID": 2, "productName": 3,
                                "nodeLabel": 5, "softwareVersion": 9,
                                "softwareVersionString": 10, "reachable": 17,
                                "uniqueID": 18}),
    "OnOff": (6, {"onOff": 0, "globalSceneControl": 16384, "onTime": 16385,
                  "offWaitTime": 16386, "startUpOnOff": 16387}),
}
_GLOBAL = {"generatedCommandList": 65528, "acceptedCommandList": 65529,
           "attributeList": 65531, "featureMap": 65532, "clusterRevision": 65533}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        if "type" in value and "revision" in value:  # DeviceTypeStruct: numeric field keys
            return {"0": value["type"], "1": value["revision"]}
        return {k: _plain(v) for k, v in value.items() if k != "_type"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def convert_old(dump: dict[str, Any]) -> dict[str, Any]:
    """The nested ``endpoint -> ClusterName -> camelCase`` dump to MatterNodeData."""
    attributes: dict[str, Any] = {}
    for endpoint, clusters in dump["attributes"].items():
        for name, values in clusters.items():
            cluster_id, names = _OLD_CLUSTERS[name]
            for attr, value in values.items():
                attr_id = names.get(attr, _GLOBAL.get(attr))
                if attr_id is not None:
                    attributes[f"{endpoint}/{cluster_id}/{attr_id}"] = _plain(value)
    return {"node_id": dump["node_id"], "date_commissioned": "2024-01-01T00:00:00",
            "last_interview": "2024-01-01T00:00:00", "interview_version": 6,
            "available": True, "is_bridge": True, "attributes": attributes,
            "attribute_subscriptions": []}


def fixture(name: str) -> dict[str, Any]:
    data = json.loads((FIXTURES / name).read_text())
    if name.startswith("fake-bridge"):
        return convert_old(data)
    return data


def _base(node_id: int, label: str, endpoint: dict[str, Any]) -> dict[str, Any]:
    attributes = {"0/29/0": [{"0": 22, "1": 1}], "0/29/1": [29, 40], "0/40/1": "Atmosphere",
                  "0/40/3": label, "0/40/5": "", "0/40/2": 65521}
    attributes.update(endpoint)
    return {"node_id": node_id, "date_commissioned": "2024-01-01T00:00:00",
            "last_interview": "2024-01-01T00:00:00", "interview_version": 6,
            "available": True, "is_bridge": False, "attributes": attributes,
            "attribute_subscriptions": []}


def written() -> dict[str, dict[str, Any]]:
    """Dumps for device types the shared fixtures lack."""
    return {
        "cover": _base(201, "Blind", {"1/29/0": [{"0": 514, "1": 2}], "1/29/1": [29, 258],
                                      "1/258/14": 2500, "1/258/0": 0}),
        "thermostat": _base(202, "Radiator", {
            "1/29/0": [{"0": 769, "1": 1}], "1/29/1": [29, 513], "1/513/0": 2150,
            "1/513/18": 2000, "1/513/17": 2600, "1/513/28": 4}),
        "fan": _base(203, "Fan", {"1/29/0": [{"0": 43, "1": 1}], "1/29/1": [29, 514],
                                  "1/514/0": 2, "1/514/2": 50, "1/514/3": 50}),
        "sensors": _base(204, "Air box", {
            "1/29/0": [{"0": 44, "1": 1}], "1/1027/0": 1013, "1/1028/0": 125,
            "1/1024/0": 40001, "1/91/0": 2, "1/1037/0": 612.0}),
        "colour": _base(205, "Colour bulb", {
            "1/29/0": [{"0": 269, "1": 1}], "1/6/0": True, "1/8/0": 127, "1/768/0": 127,
            "1/768/1": 254, "1/768/3": 20000, "1/768/4": 21000, "1/768/7": 370,
            "1/768/8": 2}),
        "odd": {"node_id": 206, "available": True, "attributes": {
            "1/6/0": None, "1/4242/0": 1, "1/1026/0": None}},
    }


def all_nodes() -> dict[str, dict[str, Any]]:
    names = ["dimmable-light.json", "door_lock.json", "contact-sensor.json",
             "generic_switch.json", "fake-bridge-two-light.json", "aqara_motion_p2.json",
             "eve_weather_sensor.json"]
    nodes = {name.removesuffix(".json"): fixture(name) for name in names}
    for i, node in enumerate(nodes.values(), start=1):
        node["node_id"] = i  # the fixtures reuse ids; the written ones start at 201
    nodes.update(written())
    return copy.deepcopy(nodes)
