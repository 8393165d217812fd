import pytest

from hub.arguments import check_arguments
from hub.errors import PayloadError

LIGHT = {
    "type": "object",
    "properties": {
        "brightness_pct": {"type": "number", "minimum": 0, "maximum": 100},
        "color_name": {"type": "string", "minLength": 1},
        "rgb_color": {"type": "array", "items": {"type": "integer", "minimum": 0,
                                                 "maximum": 255}, "minItems": 3, "maxItems": 3},
        "effect": {"type": "string", "enum": ["colorloop", "random"]},
    },
    "additionalProperties": False,
}


def test_valid_arguments_pass() -> None:
    check_arguments(LIGHT, {"brightness_pct": 30, "rgb_color": [255, 0, 10]})
    check_arguments(LIGHT, {})


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"brightness_pct": 150}, "brightness_pct: expected 0..100, got 150"),
        ({"brightness_pct": "high"}, "brightness_pct: expected number, got 'high'"),
        ({"brightness_pct": True}, "brightness_pct: expected number, got True"),
        ({"rgb_color": [1, 2]}, "rgb_color: expected 3..3 items, got 2"),
        ({"rgb_color": [1, 2, 300]}, r"rgb_color\[2\]: expected 0..255, got 300"),
        ({"effect": "disco"}, "effect: expected one of 'colorloop', 'random', got 'disco'"),
        ({"brightnes_pct": 3}, "unknown argument 'brightnes_pct'; known: brightness_pct"),
        ([1], "arguments: expected object, got \\[1\\]"),
    ],
)
def test_bad_arguments_name_what_is_wrong(arguments: object, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        check_arguments(LIGHT, arguments, "arguments")


def test_required_argument() -> None:
    schema = {"type": "object", "properties": {"temperature": {"type": "number"}},
              "required": ["temperature"]}
    with pytest.raises(PayloadError, match="missing required argument 'temperature'"):
        check_arguments(schema, {})


def test_any_of_alternative_required_sets() -> None:
    from hub.domains import standard_tool

    tool = standard_tool("climate", "set_temperature")
    assert tool is not None
    check_arguments(tool.parameters, {"temperature": 21})
    check_arguments(tool.parameters, {"target_temp_low": 19, "target_temp_high": 23})
    with pytest.raises(PayloadError, match="none of the alternatives fits: .*'temperature'"):
        check_arguments(tool.parameters, {})
