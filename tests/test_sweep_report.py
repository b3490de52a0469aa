"""The sweep page: ranked as stated, in- and out-of-sample side by side, linked points,
heatmaps, a scatter, and the overfitting statistics in words with annualised figures."""

from __future__ import annotations

import math
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from airegime.reports.sweep import colour_scale, ranking_html

RANKING = pd.DataFrame(
    {
        "rank": [1, 2, 3, 4],
        "point": ["p-aaa", "p-bbb", "p-ccc", "p-ddd"],
        "strategy.params.top_n": [3, 5, 3, 5],
        "strategy.params.w_supplier": [0.0, 0.0, 1.0, 1.0],
        "status": ["ok"] * 4,
        "sharpe": [1.1, 1.0, 0.9, 1.2],
        "is_sharpe": [1.3, 1.2, 1.1, 1.0],
        "oos_sharpe": [0.5, 0.9, 0.7, 1.4],
        "cagr": [0.31, 0.28, 0.25, 0.33],
        "max_drawdown": [-0.4, -0.35, -0.3, -0.45],
    }
)
REPORT = {
    "metric": "sharpe",
    "points": 4,
    "finished": 4,
    "best_point": "p-aaa",
    "deflated_sharpe": {
        "sharpe": 0.08,
        "sr0": 0.02,
        "trials": 4.0,
        "skew": -0.3,
        "kurtosis": 7.5,
        "dsr": 0.97,
    },
    "pbo": {"pbo": 0.75, "splits": 252, "blocks": 10},
    "split": {
        "date": "2023-01-01",
        "chosen_in_sample": "p-aaa",
        "chosen_is": 1.3,
        "chosen_oos": 0.5,
        "oos_best_point": "p-ddd",
        "oos_best": 1.4,
        "chosen_oos_rank": 4,
    },
}


def render() -> str:
    return ranking_html(RANKING, REPORT, SimpleNamespace(name="composite"))


def test_the_page_says_how_it_is_ranked_and_keeps_that_order():
    page = render()
    assert "ranked by in-sample Sharpe (before 2023-01-01)" in page
    rows = re.findall(r"<a href='points/(p-\w+)'>", page)
    assert rows == ["p-aaa", "p-bbb", "p-ccc", "p-ddd"]


def test_in_and_out_of_sample_columns_sit_side_by_side():
    head = re.search(r"<thead>(.*?)</thead>", render()).group(1)
    labels = re.findall(r"<th[^>]*>([^<]+)</th>", head)
    i = labels.index("in-sample Sharpe")
    assert labels[i + 1] == "out-of-sample Sharpe"
    assert "top_n" in labels and "w_supplier" in labels  # short parameter names


def test_fractions_are_shown_as_percentages():
    page = render()
    assert ">31.0%<" in page and ">-40.0%<" in page


def test_heatmap_and_scatter_are_drawn():
    page = render()
    assert "alt='heatmap of top_n x w_supplier'" in page
    assert "alt='in-sample vs out-of-sample'" in page


def test_overfitting_is_explained_in_words_with_annualised_figures():
    page = render()
    assert "Deflated Sharpe ratio 0.97" in page
    assert f"beats {0.02 * math.sqrt(252):.2f} (annualised)" in page
    assert f"Sharpe of {0.08 * math.sqrt(252):.2f} (annualised)" in page
    assert "Probability of backtest overfitting 0.75" in page
    assert "split 252 ways" in page
    assert "rank 4 of 4 out of sample" in page
    assert "<pre>" not in page  # no raw JSON dump


def test_the_engine_column_is_shown_but_is_not_a_swept_parameter():
    # the best points are confirmed on backtrader and the rest screened on the vector
    # engine, so a heatmap of a parameter against engine was a heatmap against rank
    ranking = RANKING.assign(engine=["backtrader", "backtrader", "vector", "vector"])
    page = ranking_html(ranking, REPORT, SimpleNamespace(name="composite"))
    assert "alt='heatmap of top_n x w_supplier'" in page
    assert "engine" not in "".join(re.findall(r"alt='heatmap of ([^']*)'", page))
    head = re.search(r"<thead>(.*?)</thead>", page).group(1)
    assert re.findall(r"<th[^>]*>([^<]+)</th>", head)[-1] == "figures from"
    assert "the 2 best points were confirmed on backtrader" in page


def test_a_narrow_sharpe_range_is_coloured_on_a_scale_half_a_unit_wide():
    # 1.15 to 1.19 went from deep red to deep green
    low, high = colour_scale(np.array([1.15, 1.17, 1.19]), "sharpe")
    assert (low, high) == pytest.approx((0.92, 1.42))


def test_a_wide_range_is_coloured_on_its_own_span():
    assert colour_scale(np.array([0.2, 1.4]), "sharpe") == pytest.approx((0.2, 1.4))


def test_the_page_states_each_heatmaps_colour_range():
    narrow = RANKING.assign(sharpe=[1.15, 1.16, 1.18, 1.19])
    page = ranking_html(narrow, REPORT, SimpleNamespace(name="composite"))
    assert "Sharpe, whole period: cells 1.15 to 1.19, colours 0.92 (red) to 1.42 (green)" in page


def test_the_deflated_sharpe_ratio_is_annualised_with_the_runs_periods_per_year():
    page = ranking_html(RANKING, {**REPORT, "periods_per_year": 365}, SimpleNamespace(name="c"))
    assert f"beats {0.02 * math.sqrt(365):.2f} (annualised)" in page


SPA = {
    "baseline": "equal weight on the same universe",
    "sample": "before the split",
    "p_consistent": 0.41,
    "p_lower": 0.3,
    "p_upper": 0.47,
    "trials": 4.0,
    "days": 500.0,
    "block": 20.0,
    "reps": 1000.0,
    "seed": 0.0,
    "best": "p-ddd",
    "best_excess": 0.0002,
    "chosen": "p-aaa",
    "chosen_excess": -0.0001,
}


def test_the_spa_p_value_is_on_the_page_with_its_baseline():
    page = ranking_html(RANKING, REPORT | {"spa": SPA}, SimpleNamespace(name="composite"))
    assert "Hansen's SPA test against equal weight on the same universe: p 0.410" in page
    assert "Reality Check, more conservative: p 0.470" in page
    assert "(p-ddd, +5.0% a year" in page


def test_a_reading_and_the_in_sample_note_are_shown_when_present():
    extra = {"reading": "They answer different questions.", "in_sample": "x: chosen here"}
    page = ranking_html(RANKING, REPORT | extra, SimpleNamespace(name="composite"))
    assert "Reading them together.</b> They answer different questions." in page
    assert "x: chosen here. The 4 points tried here count" in page


HINDSIGHT = "hindsight: universe ai_us was hand-picked in 2026 (the article list)"


def write_points(directory, extra_warning_for: str = "", uncovered=(0.1, 0.1, 0.1, 0.1)):
    """Point folders as a sweep writes them: config.yaml with its provenance, metrics.json."""
    import json

    import yaml

    for point, mean in zip(RANKING["point"], uncovered, strict=True):
        folder = directory / "points" / point
        folder.mkdir(parents=True)
        warnings = [HINDSIGHT] + (["China caps bind"] if point == extra_warning_for else [])
        provenance = {
            "warnings": warnings,
            "fill": "next_open",
            "universe": {"name": "ai_us", "count": 28, "listed_after_start": ["ARM"]},
        }
        (folder / "config.yaml").write_text(yaml.safe_dump({"name": "x", "provenance": provenance}))
        metrics = {"uncovered_weight_mean": mean, "uncovered_weight_max": 0.3}
        (folder / "metrics.json").write_text(json.dumps(metrics))


def test_the_points_caveats_open_the_page_before_the_ranking(tmp_path):
    write_points(tmp_path)
    page = ranking_html(RANKING, REPORT, SimpleNamespace(name="composite"), tmp_path)
    top = page[: page.index("id='ranking'")]
    assert f"<b>warning:</b> {HINDSIGHT}" in top
    assert "fill rule next_open" in top and "universe ai_us: 28 names, 1 listed after start" in top
    assert "on average 10% of the target weight (at most 30%)" in top


def test_warnings_of_other_points_than_the_chosen_one_are_named_with_their_count(tmp_path):
    write_points(tmp_path, extra_warning_for="p-ccc")
    page = ranking_html(RANKING, REPORT, SimpleNamespace(name="composite"), tmp_path)
    assert "other points carry their own warnings: China caps bind (1 of 4 points)" in page
    assert "<b>warning:</b> China caps bind" not in page  # p-aaa, the chosen, has none


def test_coverage_that_differs_across_points_is_given_as_a_range(tmp_path):
    write_points(tmp_path, uncovered=(0.1, 0.05, 0.2, 0.1))
    page = ranking_html(RANKING, REPORT, SimpleNamespace(name="composite"), tmp_path)
    assert "the average uncovered weight ranges from 5% to 20%" in page
    assert "Above: the chosen point, p-aaa" in page


def test_the_in_sample_note_is_among_the_caveats_before_the_ranking():
    page = ranking_html(
        RANKING, REPORT | {"in_sample": "x: chosen here"}, SimpleNamespace(name="c")
    )
    assert page.index("x: chosen here. The 4 points") < page.index("id='ranking'")


def test_a_warning_kind_leaves_out_its_dates_and_counts():
    from airegime.reports.sweep import warning_kind

    assert warning_kind("degenerate portfolio on 19 of 19 rebalance dates (fewer): x") == (
        "degenerate portfolio"
    )
    assert warning_kind("missing data: on 6 of 19 rebalance dates") == "missing data"
