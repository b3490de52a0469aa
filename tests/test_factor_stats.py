"""Factor statistics, each against a value computed independently on small inputs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from airegime.data.prices import PriceData
from airegime.data.regimes import Period
from airegime.stats.factors import (
    analyse,
    by_period,
    fill_prices,
    forward_returns,
    holding_returns,
    holm,
    information_coefficient,
    mean_test,
    quantile_returns,
    quantiles,
    rank_autocorrelation,
    rank_ic,
    score_stats,
    spread_interval,
    top_turnover,
    verdict,
)

DAYS = pd.bdate_range("2024-01-01", periods=8)


def frame(rows: list[list[float]], names: str = "ABCDE", dates=None) -> pd.DataFrame:
    index = dates if dates is not None else pd.bdate_range("2024-01-01", periods=len(rows))
    return pd.DataFrame(rows, index=index, columns=list(names[: len(rows[0])]), dtype=float)


def test_rank_ic_equals_scipy_spearmanr_on_every_date_within_1e_12():
    rng = np.random.default_rng(7)
    scores = pd.DataFrame(rng.normal(size=(12, 9)).round(1))  # rounding makes ties
    returns = pd.DataFrame(rng.normal(0, 0.05, size=(12, 9)))
    scores.iloc[2, [0, 3]] = np.nan
    returns.iloc[5, 1] = np.nan
    mine = rank_ic(scores, returns, min_names=5)
    for date in scores.index:
        both = scores.loc[date].notna() & returns.loc[date].notna()
        expected = stats.spearmanr(scores.loc[date, both], returns.loc[date, both]).statistic
        assert abs(mine[date] - expected) < 1e-12


def test_pearson_ic_equals_scipy_pearsonr():
    rng = np.random.default_rng(8)
    scores = pd.DataFrame(rng.normal(size=(4, 7)))
    returns = pd.DataFrame(rng.normal(size=(4, 7)))
    mine = information_coefficient(scores, returns)
    for date in scores.index:
        expected = stats.pearsonr(scores.loc[date], returns.loc[date]).statistic
        assert mine[date] == pytest.approx(expected, abs=1e-12)


def test_a_date_with_fewer_names_than_min_names_has_no_ic():
    scores = frame([[1, 2, 3, np.nan, np.nan], [1, 2, 3, 4, 5]])
    returns = frame([[0.1, 0.2, 0.3, 0.4, 0.5], [0.1, 0.2, 0.3, 0.4, 0.5]])
    ic = rank_ic(scores, returns, min_names=4)
    assert math.isnan(ic.iloc[0]) and ic.iloc[1] == pytest.approx(1.0)


def test_forward_return_with_next_close_starts_at_the_next_close():
    prices = frame([[100.0], [110.0], [121.0], [133.1], [100.0]], names="A", dates=DAYS[:5])
    signal = DAYS[[0]]
    # signal day 0: fill at day 1's close (110); one day later 121; two days later 133.1
    assert forward_returns(prices, signal, 1, "next_close").iloc[0, 0] == pytest.approx(0.1)
    two = forward_returns(prices, signal, 2, "next_close").iloc[0, 0]
    assert two == pytest.approx(133.1 / 110 - 1)


def test_forward_return_with_same_close_starts_at_the_signal_close():
    prices = frame([[100.0], [150.0], [120.0]], names="A", dates=DAYS[:3])
    assert forward_returns(prices, DAYS[[0]], 1, "same_close").iloc[0, 0] == pytest.approx(0.5)


def test_forward_return_that_runs_past_the_last_day_is_missing():
    prices = frame([[100.0], [110.0], [121.0]], names="A", dates=DAYS[:3])
    out = forward_returns(prices, DAYS[[0, 1]], 1, "next_close")
    assert out.iloc[0, 0] == pytest.approx(0.1) and math.isnan(out.iloc[1, 0])


def test_holding_return_runs_from_one_fill_to_the_next():
    prices = frame([[100.0], [110.0], [99.0], [132.0], [120.0]], names="A", dates=DAYS[:5])
    out = holding_returns(prices, DAYS[[0, 2]], "next_close")
    # fills on days 1 and 3; the last holding runs to the last day (4)
    assert out.iloc[0, 0] == pytest.approx(132 / 110 - 1)
    assert out.iloc[1, 0] == pytest.approx(120 / 132 - 1)


def test_mean_test_t_is_newey_west_by_hand():
    x = np.array([0.1, -0.05, 0.2, 0.03, 0.12, -0.08, 0.07, 0.15])
    n, e = len(x), x - x.mean()
    gamma0, gamma1 = (e * e).sum() / n, (e[1:] * e[:-1]).sum() / n
    long_run = gamma0 + 2 * (1 - 1 / 2) * gamma1  # Bartlett weight of lag 1 of 1
    t = x.mean() / math.sqrt(long_run / n * n / (n - 1))  # small-sample correction
    out = mean_test(pd.Series(x), lags=1)
    assert out["t"] == pytest.approx(t, rel=1e-12)
    assert out["p"] == pytest.approx(2 * stats.norm.sf(abs(t)), rel=1e-9)


def test_mean_test_reports_mean_std_ir_and_hit_rate():
    out = mean_test(pd.Series([0.1, -0.1, 0.2, 0.4]), lags=0)
    assert out["mean"] == pytest.approx(0.15)
    assert out["std"] == pytest.approx(np.std([0.1, -0.1, 0.2, 0.4], ddof=1))
    assert out["ir"] == pytest.approx(0.15 / out["std"])
    assert out["hit_rate"] == 0.75 and out["n"] == 4


def test_terciles_split_untied_names_evenly_from_the_lowest_score():
    labels = quantiles(frame([[5, 1, 3, 4, 9, 7]], names="ABCDEF"), 3)
    assert labels.iloc[0].tolist() == [2.0, 1.0, 1.0, 2.0, 3.0, 3.0]


def test_tied_names_share_one_quantile():
    # C and D tie for ranks 2 and 3 (average 2.5), which the untied cut would split
    labels = quantiles(frame([[5, 1, 3, 3, 9, 7]], names="ABCDEF"), 3)
    assert labels.iloc[0, 2] == labels.iloc[0, 3] == 2.0


def test_quantile_returns_average_each_quantiles_names():
    labels = frame([[1, 1, 2, 3, 3]])
    returns = frame([[0.01, 0.03, 0.5, -0.02, 0.04]])
    out = quantile_returns(labels, returns, 3)
    assert out.iloc[0].tolist() == pytest.approx([0.02, 0.5, 0.01])


def test_spread_interval_is_seeded_and_brackets_the_mean():
    spread = pd.Series(np.random.default_rng(3).normal(0.01, 0.02, 60))
    first = spread_interval(spread, block=3, seed=4)
    assert first == spread_interval(spread, block=3, seed=4)
    assert first["mean"] == pytest.approx(spread.mean())
    assert first["lo"] < first["mean"] < first["hi"]


def test_rank_autocorrelation_is_one_for_a_stable_ranking_and_minus_one_reversed():
    scores = frame([[1, 2, 3, 4, 5], [10, 20, 30, 40, 50], [5, 4, 3, 2, 1]])
    out = rank_autocorrelation(scores)
    assert math.isnan(out.iloc[0])
    assert out.iloc[1:].tolist() == pytest.approx([1.0, -1.0])


def test_top_turnover_is_the_share_of_new_names_in_the_top_quantile():
    labels = frame([[3, 3, 1, 1], [1, 3, 3, 1]], names="ABCD")
    assert top_turnover(labels, 3).iloc[1] == 0.5  # B stayed, C is new


def test_by_period_averages_the_dates_inside_each_period():
    series = pd.Series(
        [0.1, 0.3, -0.2, 0.4],
        index=pd.to_datetime(["2020-01-01", "2020-02-01", "2021-01-01", "2021-02-01"]),
    )
    periods = [Period("a", pd.Timestamp("2020-01-01"), pd.Timestamp("2020-12-31"))]
    out = by_period(series, periods)
    assert out["mean"].tolist() == pytest.approx([0.2]) and out["dates"].tolist() == [2]


def test_holm_adjusts_as_by_hand_and_keeps_missing_values_missing():
    out = holm(pd.Series([0.01, 0.04, np.nan, 0.03], index=list("abcd")))
    # sorted 0.01, 0.03, 0.04 times 3, 2, 1 -> 0.03, 0.06, max(0.06, 0.04)
    assert out[["a", "d", "b"]].tolist() == pytest.approx([0.03, 0.06, 0.06])
    assert math.isnan(out["c"])


def test_verdict_without_evidence_says_so_with_its_numbers():
    line = verdict({"n": 120, "mean": 0.0104, "t": 0.41, "p": 0.68}, 1.0, 5)
    assert line.startswith("no evidence of information: mean rank IC +0.010, t 0.4 (HAC)")
    assert "120 dates" in line and "Holm p 1.00 over 5 scores" in line


def test_verdict_on_a_low_favoured_score_needs_a_negative_ic():
    stats_ = {"n": 100, "mean": 0.05, "t": 4.0, "p": 0.0001}
    against = verdict(stats_, 0.0004, 4, prefers_low=True)
    assert against.startswith("evidence of information against the direction the rule uses")
    assert verdict(stats_, 0.0004, 4).startswith("evidence of information in the direction")


def test_verdict_with_too_few_dates_does_not_judge():
    line = verdict({"n": 5, "mean": 0.3, "t": 3.0, "p": 0.003}, 0.01, 1)
    assert line.startswith("too few dates to judge: 5 date(s)")


def test_a_score_that_foretells_the_return_is_evidence_and_noise_is_not():
    rng = np.random.default_rng(11)
    days = pd.bdate_range("2020-01-01", periods=900)
    names = [f"T{i}" for i in range(20)]
    steps = rng.normal(0, 0.02, size=(900, 20))
    prices = pd.DataFrame(100 * np.exp(np.cumsum(steps, axis=0)), index=days, columns=names)
    dates = days[::21][:-2]
    future = forward_returns(prices, dates, 21, "next_close")
    noise = pd.DataFrame(rng.normal(size=future.shape), dates, names)
    scores = {"informed": future + 0.1 * noise * future.abs().mean().mean(), "noise": noise}
    tradable = pd.DataFrame(True, index=dates, columns=names)
    report = analyse(scores, tradable, prices, "next_close", name="t")
    by_score = report.verdicts.set_index("score")
    assert by_score.loc["informed", "mean_rank_ic"] > 0.8
    assert by_score.loc["informed", "verdict"].startswith("evidence of information in the")
    assert by_score.loc["noise", "verdict"].startswith("no evidence of information")
    assert report.summary["horizon"].unique().tolist() == [1, 5, 21, 63]


def test_next_open_measures_from_the_opens_and_the_close_rules_from_the_closes():
    close, opens = frame([[10.0], [11.0]], names="A"), frame([[9.0], [10.5]], names="A")
    data = PriceData(close=close, open=opens)
    assert fill_prices(data, "next_open") is opens
    assert fill_prices(data, "next_close") is close and fill_prices(data, "same_close") is close


def test_coverage_is_names_scored_over_names_tradable():
    scores = frame([[1, 2, np.nan, 4, np.nan]])
    tradable = frame([[1, 1, 1, 1, 0]]).astype(bool)
    returns = {1: frame([[0.1] * 5])}
    out = score_stats("s", scores, tradable, returns, frame([[0.1] * 5]), min_names=2)
    assert out.coverage.iloc[0].tolist() == [3, 4, 0.75]


def test_the_group_ic_ranks_names_within_each_group_only():
    rng = np.random.default_rng(2)
    dates = pd.bdate_range("2020-01-01", periods=300)
    names = list("ABCDEF")
    prices = pd.DataFrame(
        100 * np.exp(np.cumsum(rng.normal(0, 0.02, (300, 6)), axis=0)), dates, names
    )
    signal = dates[::21][:-2]
    scores = {"s": pd.DataFrame(rng.normal(size=(len(signal), 6)), signal, names)}
    groups = {"A": "x", "B": "x", "C": "x", "D": "y", "E": "y", "F": "y"}
    tradable = pd.DataFrame(True, signal, names)
    report = analyse(scores, tradable, prices, "next_close", groups=groups)
    within_x = rank_ic(
        scores["s"][["A", "B", "C"]], forward_returns(prices, signal, 21, "next_close"), 3
    )
    row = report.groups.set_index("group").loc["x"]
    assert row["mean"] == pytest.approx(within_x.mean()) and row["names"] == 3
