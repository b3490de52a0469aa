"""Run metrics (airegime.stats.metrics): calendar-time CAGR, periods per year from the
calendar, no annualised figures from too few returns, a benchmark measured on its own
dates, turnover with and without the initial purchase. Small series made here."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from airegime.stats.metrics import (
    TURNOVER_BASIS,
    benchmark_returns,
    infer_periods_per_year,
    min_returns,
    performance,
    run_metrics,
    turnover,
)


def daily(values, start="2023-01-02", freq="D") -> pd.Series:
    index = pd.date_range(start, periods=len(values), freq=freq)
    return pd.Series(values, index=index, dtype=float)


def noise(n: int, seed: int = 0, mean: float = 0.001, sd: float = 0.02) -> np.ndarray:
    return np.random.default_rng(seed).normal(mean, sd, n)


# --- annualisation -----------------------------------------------------------------------


def test_cagr_is_the_total_return_over_elapsed_calendar_time():
    # a row every calendar day of 2023 (BTC.csv): 364 returns from 2023-01-01 to 12-31
    g = 1.23059343515189323 ** (1 / 364) - 1
    returns = daily([g] * 364)
    figures = performance(returns, base=pd.Timestamp("2023-01-01"))
    assert figures["total_return"] == pytest.approx(0.23059343515)
    assert figures["cagr"] == pytest.approx(1.23059343515 ** (365.25 / 364) - 1)
    assert round(figures["cagr"], 4) == 0.2315  # not 15.45%: 364 rows are not 1.44 years


def test_a_calendar_with_a_row_every_day_has_365_periods_a_year():
    assert infer_periods_per_year(pd.date_range("2023-01-01", "2023-12-31", freq="D")) == 365


def test_an_exchange_calendar_has_252_periods_a_year():
    assert infer_periods_per_year(pd.bdate_range("2023-01-02", "2023-12-29")) == 252


def test_a_sunday_to_thursday_exchange_still_has_252_periods_a_year():
    days = pd.date_range("2023-01-01", "2023-12-31", freq="D")
    assert infer_periods_per_year(days[days.dayofweek.isin([6, 0, 1, 2, 3])]) == 252


def test_a_few_weekdays_in_a_row_are_not_a_seven_day_market():
    assert infer_periods_per_year(pd.date_range("2026-07-28", "2026-07-31", freq="D")) == 252


def test_volatility_of_a_seven_day_market_is_annualised_with_365():
    returns = daily(noise(364))
    figures = performance(returns)
    assert figures["volatility"] == pytest.approx(returns.std() * math.sqrt(365))
    assert figures["sharpe"] == pytest.approx(returns.mean() / returns.std() * math.sqrt(365))


def test_periods_per_year_given_override_the_calendar():
    returns = daily(noise(364))
    assert performance(returns, 252)["volatility"] == pytest.approx(returns.std() * math.sqrt(252))


def test_sharpe_sortino_volatility_and_drawdown_follow_quantstats_definitions():
    qs = pytest.importorskip("quantstats")
    returns = daily(noise(500, seed=3), freq="B")
    ours = performance(returns, 252)
    assert ours["sharpe"] == pytest.approx(qs.stats.sharpe(returns, periods=252))
    assert ours["sortino"] == pytest.approx(qs.stats.sortino(returns, periods=252))
    assert ours["volatility"] == pytest.approx(qs.stats.volatility(returns, periods=252))
    assert ours["max_drawdown"] == pytest.approx(qs.stats.to_drawdown_series(returns).min())


def test_a_loss_on_the_first_day_is_a_drawdown():
    assert performance(daily([-0.1, 0.05]))["max_drawdown"] == pytest.approx(-0.1)


# --- too few returns -----------------------------------------------------------------------


def test_a_quarter_of_a_year_of_returns_is_the_fewest_annualised():
    assert (min_returns(252), min_returns(365)) == (63, 91)


def test_fewer_returns_than_a_quarter_of_a_year_give_no_annualised_figures():
    figures = performance(daily(noise(62), freq="B"), 252)
    assert all(math.isnan(figures[k]) for k in ("cagr", "sharpe", "sortino", "volatility"))
    assert figures["total_return"] == pytest.approx((1 + noise(62)).prod() - 1)
    assert figures["max_drawdown"] < 0


def test_a_quarter_of_a_year_of_returns_is_annualised():
    figures = performance(daily(noise(63), freq="B"), 252)
    assert not any(math.isnan(figures[k]) for k in ("cagr", "sharpe", "sortino", "volatility"))


def test_one_return_gives_no_cagr_or_sortino():
    # the 2-day window 2023-12-28..29 printed SPY "CAGR -51.84%, Sortino -15.87"
    figures = performance(pd.Series([-0.0028], index=[pd.Timestamp("2023-12-29")]), 252)
    assert math.isnan(figures["cagr"]) and math.isnan(figures["sortino"])
    assert figures["total_return"] == pytest.approx(-0.0028)


def test_a_series_that_never_moves_has_no_sharpe_and_zero_volatility():
    figures = performance(daily([0.0] * 100, freq="B"), 252)
    assert math.isnan(figures["sharpe"]) and math.isnan(figures["sortino"])
    assert figures["volatility"] == 0.0 and figures["cagr"] == 0.0


# --- benchmark on its own dates ------------------------------------------------------------


def test_a_benchmark_has_no_returns_before_its_first_price_or_after_its_last():
    calendar = pd.bdate_range("2023-01-02", periods=8)
    close = pd.Series([100.0, 101.0, 102.0, 103.0], index=calendar[2:6])
    returns, base = benchmark_returns(close, calendar)
    assert base == calendar[2]
    assert returns.isna().tolist() == [True, True, False, False, False, True, True]
    assert returns.loc[calendar[3]] == pytest.approx(0.01)


def test_a_benchmark_price_before_the_window_serves_as_its_first_day():
    calendar = pd.bdate_range("2023-01-03", periods=3)
    close = pd.Series([100.0, 110.0, 121.0], index=[pd.Timestamp("2022-12-30"), *calendar[1:]])
    returns, base = benchmark_returns(close, calendar)
    assert base == calendar[0]
    assert returns.tolist() == pytest.approx([0.10, 0.10])


def test_benchmark_metrics_are_measured_on_the_dates_it_has():
    calendar = pd.bdate_range("2023-01-02", periods=250)
    values = pd.Series(1e6, index=calendar)
    own = noise(200, seed=4, sd=0.01)
    bench = pd.Series(np.nan, index=calendar[1:])
    bench.iloc[49:] = own
    metrics = run_metrics(
        values.pct_change().iloc[1:],
        bench,
        pd.DataFrame(columns=["date", "ticker", "shares", "price", "value", "commission"]),
        values,
        pd.DataFrame(index=calendar),
        252,
        calendar[49],
    )
    assert metrics["benchmark_total_return"] == pytest.approx((1 + own).prod() - 1)
    assert metrics["benchmark_volatility"] == pytest.approx(own.std(ddof=1) * math.sqrt(252))
    assert metrics["benchmark_returns"] == 200


# --- turnover --------------------------------------------------------------------------------


def trades_frame(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["date", "ticker", "shares", "value"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame.assign(price=1.0, commission=0.0)


@pytest.fixture
def year_of_values() -> pd.Series:
    return pd.Series(100.0, index=pd.date_range("2023-01-01", "2024-01-01", freq="D"))


@pytest.fixture
def bought_then_rebalanced() -> pd.DataFrame:
    return trades_frame(
        [
            ("2023-01-02", "A", 50, 50.0),
            ("2023-01-02", "B", 50, 50.0),
            ("2023-07-03", "A", -10, -10.0),
            ("2023-07-03", "B", 10, 10.0),
        ]
    )


def test_turnover_leaves_out_the_initial_purchase(year_of_values, bought_then_rebalanced):
    # 20 traded after the book was built, /2, /100 average value, over 365/365.25 years
    expected = 20 / 2 / 100 / (365 / 365.25)
    assert turnover(bought_then_rebalanced, year_of_values) == pytest.approx(expected)


def test_turnover_with_the_initial_purchase_counts_it(year_of_values, bought_then_rebalanced):
    expected = 120 / 2 / 100 / (365 / 365.25)
    assert turnover(bought_then_rebalanced, year_of_values, include_initial=True) == (
        pytest.approx(expected)
    )


def test_metrics_json_reports_turnover_both_ways_and_says_which(
    year_of_values, bought_then_rebalanced
):
    returns = year_of_values.pct_change().iloc[1:]
    metrics = run_metrics(
        returns, returns * 0, bought_then_rebalanced, year_of_values, pd.DataFrame()
    )
    assert metrics["turnover"] < metrics["turnover_incl_initial"]
    assert metrics["turnover_basis"] == TURNOVER_BASIS
    assert "leaves out the initial purchase" in TURNOVER_BASIS


def test_turnover_is_blank_when_the_run_is_too_short_to_annualise(bought_then_rebalanced):
    values = pd.Series(100.0, index=pd.bdate_range("2023-01-02", periods=20))
    assert math.isnan(turnover(bought_then_rebalanced, values))
