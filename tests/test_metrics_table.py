"""The metrics table of the tear sheet and the comparison (airegime.stats.metrics_table):
each column on its own dates, the run's annualisation, relative statistics for the
strategy only, blanks where a figure is undefined. One defect of the quickstart's tear
sheet per test, on small series made here."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from airegime.stats.metrics import performance
from airegime.stats.metrics_table import metrics_table, open_drawdown_marked

pytest.importorskip("quantstats")

DAYS = pd.bdate_range("2023-01-03", periods=300)
BASE = pd.Timestamp("2023-01-02")


def series(seed: int, n: int = 300, mean: float = 0.001, sd: float = 0.01) -> pd.Series:
    return pd.Series(np.random.default_rng(seed).normal(mean, sd, n), index=DAYS[:n])


@pytest.fixture(scope="module")
def strategy() -> pd.Series:
    bench = series(1)
    return (1.5 * bench + series(2, sd=0.005)).rename("Strategy")


@pytest.fixture(scope="module")
def benchmark() -> pd.Series:
    return series(1).rename("SPY")


@pytest.fixture(scope="module")
def table(strategy, benchmark) -> pd.DataFrame:
    return metrics_table({"Strategy": strategy}, ("SPY", benchmark), 252, {"Strategy": BASE})


def number(text: str) -> float:
    return float(text.replace("%", "").replace(",", ""))


def test_the_benchmark_column_comes_first(table):
    assert list(table.columns) == ["SPY", "Strategy"]


def test_headline_rows_are_the_run_metrics(table, strategy):
    ours = performance(strategy, 252, BASE)
    assert number(table.loc["Cumulative Return", "Strategy"]) == round(
        ours["total_return"] * 100, 2
    )
    assert number(table.loc["CAGR\ufe6a", "Strategy"]) == round(ours["cagr"] * 100, 2)
    assert number(table.loc["Sharpe", "Strategy"]) == round(ours["sharpe"], 2)
    assert number(table.loc["Volatility (ann.)", "Strategy"]) == round(ours["volatility"] * 100, 2)
    assert number(table.loc["Max Drawdown", "Strategy"]) == round(ours["max_drawdown"] * 100, 2)


def test_the_benchmark_column_leaves_r2_and_information_ratio_blank(table):
    # quantstats repeated the strategy's R² 0.79 and information ratio 0.08 under SPY
    assert table.loc["R^2", "SPY"] == "-" and table.loc["Information Ratio", "SPY"] == "-"
    assert table.loc["Beta", "SPY"] == "-" and table.loc["Treynor Ratio", "SPY"] == "-"


def test_r2_is_the_squared_correlation_with_the_benchmark(table, strategy, benchmark):
    assert number(table.loc["R^2", "Strategy"]) == round(strategy.corr(benchmark) ** 2, 2)


def test_the_information_ratio_is_annualised_like_the_sharpe_ratio(table, strategy, benchmark):
    active = strategy - benchmark
    expected = active.mean() / active.std() * math.sqrt(252)
    assert number(table.loc["Information Ratio", "Strategy"]) == round(expected, 2)


def test_treynor_ratio_is_the_annual_return_per_unit_of_beta(table, strategy, benchmark):
    # quantstats divided the cumulative return by beta: 1676.91% on the quickstart
    beta = np.cov(strategy, benchmark)[0, 1] / benchmark.var()
    expected = performance(strategy, 252, BASE)["cagr"] / beta
    assert number(table.loc["Treynor Ratio", "Strategy"]) == round(expected * 100, 2)


def test_a_benchmark_missing_its_first_days_is_measured_on_the_dates_it_has(strategy, benchmark):
    late = benchmark.copy()
    late.iloc[:60] = np.nan
    table = metrics_table({"Strategy": strategy}, ("SPY", late), 252, {"SPY": DAYS[59]})
    own = benchmark.iloc[60:]
    assert number(table.loc["Cumulative Return", "SPY"]) == round(((1 + own).prod() - 1) * 100, 2)
    assert number(table.loc["Volatility (ann.)", "SPY"]) == round(
        own.std() * math.sqrt(252) * 100, 2
    )
    assert table.loc["Start Period", "SPY"] == str(DAYS[60].date())


def test_trailing_periods_longer_than_the_series_are_blank(table):
    # quantstats showed the whole run's return as "3Y (ann.)" and "10Y (ann.)"
    assert table.loc["3Y (ann.)", "Strategy"] == "-" and table.loc["10Y (ann.)", "SPY"] == "-"
    assert table.loc["1Y", "Strategy"] != "-"


def test_an_open_drawdown_ends_not_recovered():
    drawdown = pd.Series([0.0, -0.1, 0.0, -0.05, -0.02], index=DAYS[:5])
    details = pd.DataFrame(
        {
            "start": [str(DAYS[1].date()), str(DAYS[3].date())],
            "end": [str(DAYS[1].date()), str(DAYS[4].date())],
            "max drawdown": [-10.0, -5.0],
        }
    )
    marked = open_drawdown_marked(details, drawdown)
    assert marked["end"].tolist() == [str(DAYS[1].date()), "not recovered"]


def test_the_max_drawdown_period_of_a_series_ending_in_it_is_not_recovered():
    falling = pd.Series([0.01] * 80 + [-0.01] * 20, index=DAYS[:100])
    table = metrics_table({"Strategy": falling}, None, 252)
    assert table.loc["Max DD Period End", "Strategy"] == "not recovered"


def test_a_strategy_that_never_moves_has_no_r2_and_a_zero_beta(benchmark):
    # quantstats stopped: "Cannot calculate a linear regression if all x values are identical"
    cash = pd.Series(0.0, index=benchmark.index)
    table = metrics_table({"Strategy": cash}, ("SPY", benchmark), 252)
    assert table.loc["R^2", "Strategy"] == "-" and table.loc["Correlation", "Strategy"] == "-"
    assert table.loc["Sharpe", "Strategy"] == "-"
    assert table.loc["Beta", "Strategy"] == "0.00"  # cash moves with nothing
    assert table.loc["Risk of Ruin", "Strategy"] == "-"


def test_a_benchmark_that_never_moves_leaves_beta_blank(strategy):
    flat = pd.Series(0.0, index=strategy.index)
    table = metrics_table({"Strategy": strategy}, ("SPY", flat), 252)
    assert table.loc["Beta", "Strategy"] == "-" and table.loc["Treynor Ratio", "Strategy"] == "-"


def test_too_few_returns_blank_every_annualised_row():
    short = series(5, n=20)
    table = metrics_table({"Strategy": short}, ("SPY", series(6, n=20)), 252)
    for row in ("CAGR\ufe6a", "Sharpe", "Sortino", "Volatility (ann.)", "Calmar", "Alpha"):
        assert table.loc[row, "Strategy"] == "-", row
    assert table.loc["Cumulative Return", "Strategy"] != "-"


def test_risk_of_ruin_is_a_percentage():
    qs = pytest.importorskip("quantstats")
    losing = series(8, mean=-0.01)
    table = metrics_table({"Strategy": losing}, None, 252)
    expected = qs.stats.risk_of_ruin(losing, prepare_returns=False) * 100
    assert number(table.loc["Risk of Ruin", "Strategy"]) == pytest.approx(expected, abs=0.006)


def test_a_single_return_still_shows_its_return_and_drawdown():
    one = series(9, n=1, mean=-0.003, sd=0.0)
    table = metrics_table({"Strategy": one}, ("SPY", one), 252)
    assert table.loc["Cumulative Return", "Strategy"] == "-0.30%"
    assert table.loc["Max Drawdown", "Strategy"] == "-0.30%"
    assert table.loc["CAGR\ufe6a", "Strategy"] == "-"
