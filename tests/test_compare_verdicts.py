"""Verdicts against the baseline: two-sided bootstrap p-values, Holm over the strategies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from airegime.config import validate_config
from airegime.results import RunResult
from airegime.stats.comparison import Comparison, bootstrap_table, two_sided_p, verdict_table


def run(name: str, strategy: str = "equal_weight", source: str = "csv") -> RunResult:
    raw = {"name": name, "strategy": {"name": strategy}, "universe": "ai_us"}
    raw |= {"start": "2020-01-01", "end": "2024-12-31", "data": {"source": source, "path": "x"}}
    if source == "sample":
        raw["data"] = {"source": "sample"}
    empty = pd.Series(dtype=float)
    return RunResult(validate_config(raw), empty, empty, *[pd.DataFrame()] * 3, {})


def bootstrap(rows: list[tuple[str, float, float, float, float]]) -> pd.DataFrame:
    """(strategy, return diff, one-sided share <= 0 for return, Sharpe diff, for Sharpe)."""
    return pd.DataFrame(
        [
            {
                "strategy": name,
                "baseline": "base",
                "draws": 2000.0,
                "annual_return_diff": ret,
                "annual_return_lo": ret - 0.05,
                "annual_return_hi": ret + 0.05,
                "p_annual_return_le_0": p_ret,
                "sharpe_diff": sharpe,
                "sharpe_lo": sharpe - 0.2,
                "sharpe_hi": sharpe + 0.2,
                "p_sharpe_le_0": p_sharpe,
            }
            for name, ret, p_ret, sharpe, p_sharpe in rows
        ]
    )


def comparison(*runs: RunResult) -> Comparison:
    names = [r.config.name for r in runs]
    return Comparison(list(runs), names, pd.DataFrame(), pd.Series(dtype=float), "SPY")


def test_two_sided_p_doubles_the_smaller_tail_and_never_reaches_zero():
    assert two_sided_p(0.013, 2000) == pytest.approx(0.026)
    assert two_sided_p(0.9, 2000) == pytest.approx(0.2)
    assert two_sided_p(0.0, 2000) == pytest.approx(1 / 2000)


def test_a_difference_of_zero_in_every_resample_has_p_one():
    # every resample ties at zero: at or below zero in all of them, at or above in all
    assert two_sided_p(1.0, 2000, 1.0) == 1.0


def test_ties_at_zero_count_on_both_sides_of_the_two_sided_p():
    # 30% of resamples tie at zero: 40% at or below, 90% at or above -> 2 x 0.4
    assert two_sided_p(0.4, 2000, 0.9) == pytest.approx(0.8)


def test_identical_runs_are_identical_returns_with_p_one_not_a_significant_difference():
    days = pd.bdate_range("2020-01-01", periods=500)
    same = pd.Series(np.random.default_rng(3).normal(0.0005, 0.01, 500), index=days)
    runs = comparison(run("base"), run("a"))
    runs.returns = pd.DataFrame({"base": same, "a": same})
    table = verdict_table(runs, bootstrap_table(runs))
    row = table.iloc[0]
    assert (row["p_return"], row["p_return_holm"], row["p_sharpe"]) == (1.0, 1.0, 1.0)
    assert row["verdict"].startswith(
        "a: identical returns to base, no difference: annual return +0.0% [+0.0%, +0.0%] "
        "(p 1.000, Holm 1.000)"
    )


def test_returns_that_differ_by_floating_point_noise_are_identical():
    days = pd.bdate_range("2020-01-01", periods=500)
    same = pd.Series(np.random.default_rng(4).normal(0.0005, 0.01, 500), index=days)
    runs = comparison(run("base"), run("a"))
    runs.returns = pd.DataFrame({"base": same, "a": same + 1e-16})
    assert verdict_table(runs, bootstrap_table(runs)).loc[0, "p_return"] == 1.0


def test_p_values_are_holm_adjusted_over_the_strategies_compared():
    runs = comparison(run("base"), run("a"), run("b"), run("c"))
    table = verdict_table(
        runs,
        bootstrap(
            [("a", 0.1, 0.001, 0.3, 0.001), ("b", 0.1, 0.02, 0.3, 0.3), ("c", 0.1, 0.3, 0.3, 0.3)]
        ),
    )
    # two-sided 0.002, 0.04, 0.6 -> Holm: x3, x2 (0.08), x1 (0.6)
    assert table["p_return_holm"].tolist() == pytest.approx([0.006, 0.08, 0.6])


def test_a_difference_that_does_not_survive_holm_is_no_reliable_difference():
    runs = comparison(run("base"), run("a"), run("b"))
    table = verdict_table(
        runs, bootstrap([("a", 0.071, 0.013, -0.06, 0.7), ("b", 0.0, 0.5, 0.0, 0.5)])
    )
    line = table.loc[0, "verdict"]
    assert line.startswith("a: no reliable difference from base: annual return +7.1%")
    assert "(p 0.026, Holm 0.052)" in line and "Holm over 2 strategies" in line


def test_a_strategy_that_wins_on_both_measures_after_holm_beats_the_baseline():
    runs = comparison(run("base"), run("a"))
    line = verdict_table(runs, bootstrap([("a", 0.1, 0.001, 0.4, 0.002)])).loc[0, "verdict"]
    assert line.startswith("a: beats base on return and Sharpe")


def test_more_return_without_more_sharpe_is_called_risk():
    runs = comparison(run("base"), run("a"))
    line = verdict_table(runs, bootstrap([("a", 0.1, 0.001, 0.05, 0.3)])).loc[0, "verdict"]
    assert "higher return than base, but no reliable Sharpe difference (more risk" in line


def test_less_return_without_less_sharpe_is_called_less_risk():
    runs = comparison(run("base"), run("a"))
    line = verdict_table(runs, bootstrap([("a", -0.1, 0.999, -0.05, 0.7)])).loc[0, "verdict"]
    assert "lower return than base, but no reliable Sharpe difference (less risk" in line


def test_a_rule_tuned_on_this_sample_says_so_in_its_verdict():
    runs = comparison(run("base"), run("a", "regime_aware", source="sample"))
    table = verdict_table(runs, bootstrap([("a", 0.0, 0.5, 0.0, 0.5)]))
    assert table.loc[0, "verdict"].endswith(
        "in-sample: its defaults were chosen on this data and window"
    )
    assert "regime thresholds" in table.loc[0, "in_sample"]
