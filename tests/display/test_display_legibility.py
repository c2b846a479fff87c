"""The board's contrast after DIN 32975 and the called number's height for a viewing distance."""

import dataclasses

import pytest

from aufruf import config
from display import legibility, render
from sites import EXAMPLE


def test_the_contrast_formula():
    assert legibility.din_contrast((255, 255, 255), (0, 0, 0)) == pytest.approx(1.0)
    assert legibility.din_contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(1.0)
    assert legibility.din_contrast((128, 128, 128), (128, 128, 128)) == 0.0
    # mid grey on white: L 0.216 and 1.0 -> K = 0.645, too weak for information
    assert legibility.din_contrast((128, 128, 128), (255, 255, 255)) == pytest.approx(0.645, abs=0.002)


@pytest.mark.parametrize("what,fg,bg", legibility.PAIRS)
def test_every_text_on_the_board_meets_din_32975(what, fg, bg):
    assert legibility.din_contrast(fg, bg) >= legibility.DIN_32975_MIN, what


def test_the_number_height_follows_the_viewing_distance():
    d = config.load(EXAMPLE).displays[0]
    big = legibility.number_check(dataclasses.replace(d, viewing_distance_m=8, diagonal_in=55))
    assert big.needed_mm == pytest.approx(56) and big.ok
    # the digits are measured on the rendered number: about 18 % of the screen height on 1080 lines
    assert 0.15 < big.digit_px / 1080 < 0.22
    small = legibility.number_check(dataclasses.replace(d, viewing_distance_m=15, diagonal_in=24))
    assert not small.ok and "TOO SMALL" in small.describe()
    assert small.diagonal_needed() > 24
    portrait = legibility.number_check(dataclasses.replace(d, orientation="portrait", viewing_distance_m=8,
                                                           diagonal_in=55))
    assert portrait.size_px == (1080, 1920)
    assert render.LINE_HEIGHT > 1
