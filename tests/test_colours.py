"""hub.colours against the values Home Assistant's colour helpers give.

The expected numbers are Home Assistant's: the pairs its own colour tests check
(homeassistant/util/color.py's behaviour), written here by hand. Wide RGB D65, not sRGB:
red is (0.701, 0.299).
"""

import pytest

from hub import colours
from hub.colours import GAMUT_A, ColourError, Gamut


@pytest.mark.parametrize(("rgb", "expected"), [
    ((0, 0, 0), (0, 0, 0)),
    ((255, 255, 255), (0.323, 0.329, 255)),
    ((0, 0, 255), (0.136, 0.04, 12)),
    ((0, 255, 0), (0.172, 0.747, 170)),
    ((255, 0, 0), (0.701, 0.299, 72)),
    ((128, 0, 0), (0.701, 0.299, 16)),
])
def test_rgb_to_xy_brightness_is_wide_rgb_d65(rgb, expected):
    assert colours.rgb_to_xy_brightness(*rgb) == expected


@pytest.mark.parametrize(("rgb", "expected"), [
    ((255, 0, 0), (0.7, 0.299, 72)),
    ((0, 255, 0), (0.215, 0.711, 170)),
    ((0, 0, 255), (0.138, 0.08, 12)),
])
def test_rgb_to_xy_moves_into_the_lights_gamut(rgb, expected):
    assert colours.rgb_to_xy_brightness(*rgb, GAMUT_A) == expected


def test_red_is_not_srgb():
    assert colours.rgb_to_xy(255, 0, 0) == (0.701, 0.299)
    assert colours.rgb_to_xy(255, 0, 0) != (0.64, 0.33)


@pytest.mark.parametrize(("xy", "brightness", "expected"), [
    ((1, 1), 0, (0, 0, 0)),
    ((0.35, 0.35), 128, (194, 186, 169)),
    ((1, 0), 255, (255, 0, 60)),
    ((0, 1), 255, (0, 255, 0)),
    ((0, 0), 255, (0, 63, 255)),
])
def test_xy_brightness_to_rgb(xy, brightness, expected):
    assert colours.xy_brightness_to_rgb(*xy, brightness) == expected


@pytest.mark.parametrize(("xy", "expected"), [
    ((1, 1), (47.294, 100)),
    ((0.35, 0.35), (38.182, 12.941)),
    ((1, 0), (345.882, 100)),
    ((0, 1), (120, 100)),
    ((0, 0), (225.176, 100)),
])
def test_xy_to_hs(xy, expected):
    assert colours.xy_to_hs(*xy) == expected


@pytest.mark.parametrize(("hs", "expected"), [
    ((180, 100), (0.151, 0.343)),
    ((350, 12.5), (0.356, 0.321)),
    ((140, 50), (0.229, 0.474)),
    ((0, 40), (0.474, 0.317)),
    ((360, 0), (0.323, 0.329)),
    ((0, 100), (0.701, 0.299)),
])
def test_hs_to_xy(hs, expected):
    assert colours.hs_to_xy(*hs) == expected


def test_hs_to_xy_in_gamut():
    assert colours.hs_to_xy(180, 100, GAMUT_A) == (0.17, 0.34)
    assert colours.hs_to_xy(0, 100, GAMUT_A) == (0.7, 0.299)


@pytest.mark.parametrize(("rgb", "hsv"), [
    ((0, 0, 0), (0, 0, 0)),
    ((255, 255, 255), (0, 0, 100)),
    ((0, 0, 255), (240, 100, 100)),
    ((0, 255, 0), (120, 100, 100)),
    ((255, 0, 0), (0, 100, 100)),
])
def test_rgb_hsv_round_trip(rgb, hsv):
    assert colours.rgb_to_hsv(*rgb) == hsv
    assert colours.hsv_to_rgb(*hsv) == rgb


def test_hs_to_rgb_truncates_as_home_assistant():
    assert colours.hs_to_rgb(30, 50) == (255, 191, 127)  # 191.25, 127.5 truncated


def test_gamut_membership():
    assert (0.3, 0.3) in GAMUT_A
    assert (0.701, 0.299) not in GAMUT_A
    assert colours.closest_in_gamut((0.3, 0.3), GAMUT_A) == (0.3, 0.3)
    flat = Gamut((0, 0), (0.5, 0.5), (1, 1))
    assert not colours.in_gamut((0.2, 0.2), flat)


def test_kelvin_and_mireds_floor_as_home_assistant():
    assert colours.kelvin_to_mired(2000) == 500
    assert colours.kelvin_to_mired(6500) == 153  # 153.8
    assert colours.mired_to_kelvin(153) == 6535  # 6535.9
    assert colours.mired_to_kelvin(500) == 2000


def test_kelvin_to_rgb():
    assert colours.kelvin_to_rgb(2000) == pytest.approx((255, 136.868, 13.904), abs=0.001)
    assert colours.kelvin_to_rgb(6500) == pytest.approx((255, 254.110, 250.042), abs=0.001)
    assert colours.kelvin_to_rgb(66000) == colours.kelvin_to_rgb(40000)
    assert colours.kelvin_to_rgb(100) == colours.kelvin_to_rgb(1000)
    assert colours.kelvin_to_hs(2700) == (28.395, 65.723)
    assert colours.kelvin_to_xy(2700) == (0.526, 0.387)


def test_rgbw():
    assert colours.rgb_to_rgbw(255, 255, 255) == (0, 0, 0, 255)
    assert colours.rgb_to_rgbw(255, 128, 0) == (255, 128, 0, 0)
    assert colours.rgb_to_rgbw(255, 200, 100) == (255, 165, 0, 165)
    assert colours.rgbw_to_rgb(0, 0, 0, 255) == (255, 255, 255)
    assert colours.rgbw_to_rgb(0, 0, 0, 0) == (0, 0, 0)


def test_colour_names():
    assert colours.name_to_rgb("red") == (255, 0, 0)
    assert colours.name_to_rgb("red") == (255, 0, 0)  # again: Pillow caches it as a tuple
    assert colours.name_to_rgb("Light Blue") == (173, 216, 230)
    assert colours.name_to_xy("red") == (0.701, 0.299)
    with pytest.raises(ColourError, match="color_name: unknown colour 'blurple'; use a CSS"):
        colours.name_to_rgb("blurple")
    with pytest.raises(ColourError, match="unknown colour '#ff0000'"):
        colours.name_to_rgb("#ff0000")  # names only, as Home Assistant's color_name
