"""Missing data never scores: a component a name lacks counts as average or drops the
name, too few components leave it unscored, and ties never depend on list order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from airegime.asof import AsOfView
from airegime.config import validate_config
from airegime.data.context import MarketContext
from airegime.data.prices import PriceData
from airegime.paths import project_root
from airegime.run import run_backtest
from airegime.weighting import (
    Tie,
    combine,
    combine_arrays,
    components_scored,
    select,
    select_array,
    selection_weights,
    top_n_tie,
    top_n_tie_array,
)
from strategies.common import SelectionParams, combined_score

ROOT = project_root()
NO_FACTS = ["TSM", "ARM", "ASML", "AMAT", "KLAC", "VRT", "EQIX"]
COMPOSITE = {"balance_sheet": 1.0, "capex": 1.0, "valuation": 1.0, "supplier": 0.5}


def tiny_view(names: list[str]) -> AsOfView:
    """A view on one day of made-up prices, for what strategies record on it."""
    day = pd.Timestamp("2024-01-02")
    close = pd.DataFrame({t: [100.0] for t in names}, index=pd.DatetimeIndex([day]))
    return AsOfView(MarketContext(PriceData(close), names), day)


# --- combining components ----------------------------------------------------------------


def test_combine_arrays_gives_the_score_of_combine():
    rows = [np.array([1.0, 2.0, 3.0]), np.array([np.nan, 1.0, 2.0])]
    combined = combine_arrays(rows, [1.0, 2.0], "neutral", 1)
    expected = combine({"x": pd.Series(rows[0]), "y": pd.Series(rows[1])}, {"x": 1.0, "y": 2.0})
    assert combined.score.tolist() == expected.tolist()


def test_combine_arrays_counts_the_components_each_name_was_scored_on():
    rows = [np.array([1.0, np.nan, 3.0]), np.array([np.nan, np.nan, 2.0])]
    assert combine_arrays(rows, [1.0, 1.0]).scored.tolist() == [1, 0, 2]


def test_combine_arrays_marks_the_raw_values_a_name_lacks():
    rows = [np.array([1.0, np.nan]), np.array([np.nan, 2.0])]
    assert combine_arrays(rows, [1.0, 1.0]).lacking.tolist() == [[False, True], [True, False]]


def test_combine_arrays_leaves_a_name_below_min_components_unscored():
    rows = [np.array([1.0, 2.0, 3.0]), np.array([np.nan, 1.0, 2.0])]
    combined = combine_arrays(rows, [1.0, 1.0], "neutral", 2)
    assert combined.need == 2 and np.isnan(combined.score[0]) and not np.isnan(combined.score[1])


def test_combine_arrays_with_missing_exclude_needs_every_component():
    rows = [np.array([1.0, 2.0, 3.0]), np.array([np.nan, 1.0, 2.0]), np.array([1.0, 2.0, 4.0])]
    assert combine_arrays(rows, [1.0, 1.0, 1.0], "exclude", 1).need == 3


def test_a_missing_component_counts_as_average_with_its_full_weight():
    scores = {"x": pd.Series([1.0, 2.0, 3.0]), "y": pd.Series([np.nan, 1.0, 2.0])}
    combined = combine(scores, {"x": 1.0, "y": 1.0}, "neutral")
    z = 1.5**0.5  # z-scores of (1, 2, 3) are -1.2247, 0, 1.2247; of (1, 2) -1, 1
    assert combined.tolist() == pytest.approx([(-z + 0) / 2, (0 - 1) / 2, (z + 1) / 2])


def test_a_name_known_to_one_rule_is_not_favoured_over_one_with_full_average_data():
    # A and C are a strong and a weak company, B an average one, N has no facts at all;
    # B and N are both suppliers (the supplier rule scores them alike).
    rule = pd.Series({"A": 1.0, "B": 0.0, "C": -1.0, "N": np.nan})
    scores = {
        "balance_sheet": rule,
        "capex": rule,
        "valuation": rule,
        "supplier": pd.Series({"A": 0.0, "B": 1.0, "C": 0.0, "N": 1.0}),
    }
    neutral = combine(scores, COMPOSITE, "neutral", min_components=1)
    # supplier z-scores are -1, +1, -1, +1; B's fundamentals z-scores are 0
    assert neutral["B"] == pytest.approx(0.5 * 1.0 / 3.5)
    assert neutral["N"] == pytest.approx(neutral["B"])  # not above it, as it was (+1.0)
    assert np.isnan(combine(scores, COMPOSITE, "neutral", min_components=2)["N"])
    assert np.isnan(combine(scores, COMPOSITE, "exclude")["N"])
    assert combine(scores, COMPOSITE, "exclude")["B"] == pytest.approx(neutral["B"])


def test_min_components_counts_only_active_components_and_is_capped_at_their_number():
    scores = {
        "a": pd.Series([1.0, np.nan]),
        "b": pd.Series([2.0, 5.0]),
        "off": pd.Series([3.0, 4.0]),
    }
    weights = {"a": 1.0, "b": 1.0, "off": 0.0}
    assert components_scored(scores, weights).tolist() == [2, 1]
    assert combine(scores, weights, "neutral", min_components=2).isna().tolist() == [False, True]
    only_b = {"a": 0.0, "b": 1.0, "off": 0.0}
    assert combine(scores, only_b, "neutral", min_components=2).notna().all()  # 1 of 1 active


def test_a_name_scored_on_too_few_components_is_excluded_with_what_it_lacks():
    view = tiny_view(["X", "Y"])
    components = {
        "net_cash": pd.Series({"X": 1.0, "Y": np.nan}),
        "leverage": pd.Series({"X": 2.0, "Y": np.nan}),
        "fcf_margin": pd.Series({"X": 1.0, "Y": 3.0}),
    }
    score = combined_score(view, components, dict.fromkeys(components, 1.0), SelectionParams())
    assert score.notna().tolist() == [True, False]
    diagnostics = view.diagnostics()
    assert diagnostics["components"] == {"X": [3, 3], "Y": [1, 3]}
    assert diagnostics["excluded"] == {
        "Y": "scored on 1 of 3 metrics, fewer than min_components 2 "
        "(no data for net_cash, leverage)"
    }


def test_missing_exclude_drops_a_name_lacking_any_active_component():
    view = tiny_view(["X", "Y"])
    components = {"growth": pd.Series({"X": 1.0, "Y": 2.0}), "cheap": pd.Series({"X": 1.0})}
    params = SelectionParams(missing="exclude")
    score = combined_score(view, components, {"growth": 1.0, "cheap": 1.0}, params)
    assert score.notna().tolist() == [True, False]
    assert view.diagnostics()["excluded"] == {"Y": "no data for cheap (missing: exclude)"}


def test_a_name_without_a_score_is_never_selected():
    scores = pd.Series({"a": 1.0, "b": np.nan, "c": -1.0})
    assert select(scores, method="equal").index.tolist() == ["a", "c"]
    assert select(scores, method="top_n", top_n=3).index.tolist() == ["a", "c"]


# --- ties ---------------------------------------------------------------------------------


def test_names_tied_at_the_top_n_boundary_share_the_slots_left():
    scores = pd.Series({"a": 3.0, "b": 1.0, "c": 1.0, "d": 1.0, "e": 0.0})
    weights = select(scores, top_n=2)
    assert weights.to_dict() == pytest.approx({"a": 0.5, "b": 1 / 6, "c": 1 / 6, "d": 1 / 6})
    assert top_n_tie(scores, 2) == Tie(("b", "c", "d"), 1, 1.0)


def test_the_tie_rule_does_not_depend_on_the_order_of_the_names():
    scores = pd.Series({"a": 3.0, "b": 1.0, "c": 1.0, "d": 1.0, "e": 0.0})
    for order in (["e", "d", "c", "b", "a"], ["c", "a", "e", "b", "d"]):
        permuted = select(scores[order], top_n=2)
        pd.testing.assert_series_equal(permuted.sort_index(), select(scores, top_n=2).sort_index())


def test_scores_equal_but_for_rounding_are_tied():
    scores = pd.Series({"a": 2.0, "b": 0.1 + 0.2, "c": 0.3})  # 0.30000000000000004 and 0.3
    assert select(scores, top_n=2).to_dict() == pytest.approx({"a": 0.5, "b": 0.25, "c": 0.25})


def test_a_tie_that_fits_in_the_slots_decides_nothing():
    scores = pd.Series({"a": 3.0, "b": 1.0, "c": 1.0, "d": 0.0})
    assert top_n_tie(scores, 3) is None
    assert select(scores, top_n=3).to_dict() == pytest.approx(dict.fromkeys("abc", 1 / 3))


@pytest.mark.parametrize(
    ("values", "top_n"),
    [([3.0, 1.0, 1.0, 1.0, 0.0], 2), ([3.0, 1.0, 1.0, 0.0], 3), ([1.0, 2.0], 5), ([], 2)],
)
def test_one_split_gives_the_selection_weights_and_the_tie_of_the_scores(values, top_n):
    """The composite chooses and records its tie from one split of the scores: the same
    weights and tie as choosing and recording apart."""
    names = list("abcde")[: len(values)]
    arr = np.array(values, dtype=float)
    weights, tie = select_array(names, arr, "top_n", top_n)
    np.testing.assert_array_equal(weights, selection_weights(arr, "top_n", top_n))
    assert tie == top_n_tie_array(names, arr, top_n)


@pytest.mark.slow
def test_the_composite_holds_the_same_weights_whatever_the_order_of_the_universe():
    # with min_components 1 the seven names without facts tie on the supplier rule alone
    universe = ["NVDA", "MSFT", "AAPL", "AVGO", "QCOM", *NO_FACTS, "LRCX", "MU", "AMD", "INTC"]
    runs = []
    for names in (universe, universe[::-1]):
        config = validate_config(
            {
                "name": "c",
                "strategy": {"name": "article_composite", "params": {"min_components": 1}},
                "universe": names,
                "start": "2025-06-01",
                "end": "2026-01-31",
                "engine": "vector",
            }
        )
        runs.append(run_backtest(config, save=False))
    first, second = runs
    pd.testing.assert_frame_equal(first.targets, second.targets[first.targets.columns])
    ties = [d["selections"]["composite"].get("tie") for d in first.diagnostics.values()]
    assert any(ties), "the test needs a tie to decide something"
    assert {tuple(t["names"]) for t in ties if t} <= {tuple(sorted(NO_FACTS))}


@pytest.mark.slow
def test_the_composite_holds_under_a_tenth_of_its_weight_in_names_without_facts():
    result = run_backtest(
        ROOT / "backtests" / "article_composite.yaml", ["engine=vector"], save=False
    )
    in_no_facts = result.weights.reindex(columns=NO_FACTS).fillna(0.0).sum(axis=1)
    assert in_no_facts.mean() < 0.10
    last = result.diagnostics[result.targets.index[-1]]
    assert last["components"]["TSM"] == [1, 4]
    assert "fewer than min_components 2" in last["excluded"]["TSM"]
