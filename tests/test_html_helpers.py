"""Shared HTML and plotting helpers: percent axes labelled at even, exact steps."""

from __future__ import annotations

import pytest

from airegime.reports.html import percent_axis, percent_digits


def labels(low: float, high: float, digits: int = 0) -> list[str]:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.set_ylim(low, high)
    percent_axis(ax, digits=digits)
    fig.canvas.draw()
    shown = [
        t.get_text()
        for t, v in zip(ax.get_yticklabels(), ax.get_yticks(), strict=True)
        if low - 1e-12 <= v <= high + 1e-12
    ]
    plt.close(fig)
    return shown


def test_percent_labels_step_evenly_where_rounding_gave_0_2_5_8_10_12():
    assert labels(0, 0.125) == ["0%", "2%", "4%", "6%", "8%", "10%", "12%"]


def test_percent_labels_below_one_percent_get_the_decimals_they_need():
    assert labels(0, 0.012) == ["0.0%", "0.2%", "0.4%", "0.6%", "0.8%", "1.0%", "1.2%"]


def test_every_percent_label_is_its_tick_exactly():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.set_ylim(-0.37, 0.06)
    percent_axis(ax)
    fig.canvas.draw()
    for text, value in zip(ax.get_yticklabels(), ax.get_yticks(), strict=True):
        assert float(text.get_text().rstrip("%")) == pytest.approx(value * 100)
    plt.close(fig)


def test_percent_digits_are_the_fewest_that_write_each_tick_exactly():
    assert percent_digits([0.0, 0.025, 0.05]) == 1
    assert percent_digits([0.0, 0.02, 0.04]) == 0
    assert percent_digits([0.0, 0.02], least=1) == 1
