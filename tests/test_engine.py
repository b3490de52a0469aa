"""The engine against portfolios computed by hand, and against pandas on real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from airegime.data.prices import load_sample
from airegime.run import run_backtest
from tests.conftest import write_closes, write_config

DATES = ["2024-01-29", "2024-01-30", "2024-01-31", "2024-02-01", "2024-02-02", "2024-02-05"]
A = [10.0, 11.0, 12.0, 12.0, 13.0, 13.0]
B = [20.0, 19.0, 20.0, 22.0, 22.0, 24.0]
C = [None, None, 5.0, 5.0, 6.0, 6.0]  # listed on the third day


def tiny_config(project, extra: str = "", fill: str = "same_close") -> str:
    folder = write_closes(project / "prices", {"A": A, "B": B, "BENCH": A}, DATES)
    return write_config(
        project / "backtests" / "tiny.yaml",
        f"""\
name: tiny
strategy: {{name: equal_weight}}
universe: [A, B]
benchmark: BENCH
start: 2024-01-01
end: 2024-02-29
data: {{source: csv, path: {folder}}}
rebalance: monthly
initial_cash: 1000
cash_buffer: 0
costs: {{commission_bps: 0, slippage_bps: 0}}
execution: {{fill: {fill}}}
{extra}""",
    )


def hand_computed_values() -> list[float]:
    # 2024-01-29: 1000 -> 50 A @ 10 and 25 B @ 20 at the close.
    v = [1000.0, 50 * 11 + 25 * 19, 50 * 12 + 25 * 20, 50 * 12 + 25 * 22]
    # 2024-02-01 is the first trading day of February: rebalance to 50/50 of 1150.
    a, b = 575 / 12, 575 / 22
    v += [a * 13 + b * 22, a * 13 + b * 24]
    return v


def test_zero_cost_run_equals_the_hand_computed_portfolio(project):
    result = run_backtest(tiny_config(project), save=False)
    expected = pd.Series(hand_computed_values(), index=pd.to_datetime(DATES))
    values = 1000 * (1 + result.returns).cumprod()
    np.testing.assert_allclose(values.to_numpy(), expected.iloc[1:].to_numpy(), rtol=1e-6)
    assert result.benchmark_returns.index.equals(result.returns.index)


def test_trades_record_sells_before_buys_on_the_rebalance(project):
    trades = run_backtest(tiny_config(project), save=False).trades
    feb = trades[trades["date"] == "2024-02-01"]
    assert feb["ticker"].tolist() == ["A", "B"]  # A is overweight (600 of 1150): sold first
    assert feb["shares"].tolist() == pytest.approx([575 / 12 - 50, 575 / 22 - 25])


def test_costs_lower_the_result_by_the_expected_amount(project):
    config = tiny_config(project)
    free = run_backtest(config, ["cash_buffer=0.01"], save=False)
    paid = run_backtest(
        config,
        ["cash_buffer=0.01", "costs.commission_bps=10", "costs.slippage_bps=20"],
        save=False,
    )
    # First day: 990 of buys pay 20 bps slippage on price, then 10 bps commission on that.
    expected_cost = 990 * ((1 + 0.002) * (1 + 0.001) - 1)
    v_free = 1000 * (1 + free.returns.iloc[0])
    v_paid = 1000 * (1 + paid.returns.iloc[0])
    assert v_free - v_paid == pytest.approx(expected_cost, rel=1e-6)
    assert paid.metrics["commission_paid"] > 0
    assert paid.metrics["total_return"] < free.metrics["total_return"]


def test_a_late_listing_is_bought_from_its_first_day_on(project):
    folder = write_closes(project / "prices", {"A": A, "B": B, "C": C, "BENCH": A}, DATES)
    config = tiny_config(project)
    result = run_backtest(config, [f"data.path={folder}", "universe=[A, B, C]"], save=False)
    targets = result.targets
    assert targets.loc["2024-01-29", "C"] == 0
    assert targets.loc["2024-02-01"].to_dict() == pytest.approx(
        {"A": 1 / 3, "B": 1 / 3, "C": 1 / 3}
    )
    assert any("C: prices start 2024-01-31" in n for n in result.provenance["notes"])


def test_full_bars_fill_at_the_next_open_by_default(project, shared_data):
    config = tiny_config(project)
    result = run_backtest(
        config,
        [
            f"data.path={shared_data / 'prices'}",
            "universe=[NVDA, MSFT]",
            "benchmark=NVDA",
            "start=2024-01-02",
            "end=2024-01-31",
            "execution.fill=auto",
        ],
        save=False,
    )
    first = result.trades.iloc[0]
    assert result.provenance["fill"] == "next_open"
    assert first["date"] == pd.Timestamp("2024-01-03")
    assert first["price"] == pytest.approx(result_open(shared_data, first["ticker"]), rel=1e-6)


def result_open(shared_data, ticker: str) -> float:
    raw = pd.read_csv(shared_data / "prices" / f"{ticker}.csv", index_col="date")
    row = raw.loc["2024-01-03"]
    return row["open"] * row["adj_close"] / row["close"]


def pandas_equal_weight(closes: pd.DataFrame, start: str, end: str) -> pd.Series:
    """An independent monthly equal-weight portfolio: rebalance at the first close of a month."""
    window = closes.loc[start:end].dropna(how="all")
    value, shares, values = 1.0, pd.Series(dtype=float), []
    last_month = None
    for day, row in window.iterrows():
        if shares.size:
            value = float((shares * row[shares.index]).sum())
        values.append(value)
        if day.month != last_month:
            listed = row.dropna()
            shares = value / len(listed) / listed
            last_month = day.month
    return pd.Series(values, index=window.index)


def test_equal_weight_matches_an_independent_pandas_computation_on_real_data(project):
    config = write_config(
        project / "backtests" / "ew.yaml",
        """\
name: ew
strategy: {name: equal_weight}
universe: ai_us
start: 2019-01-01
end: 2026-07-31
cash_buffer: 0
costs: {commission_bps: 0, slippage_bps: 0}
execution: {fill: same_close}
""",
    )
    result = run_backtest(config, save=False)
    tickers = list(result.weights.columns)
    expected = pandas_equal_weight(load_sample(tickers).close, "2019-01-01", "2026-07-31")
    total = float((1 + result.returns).prod() - 1)
    assert total == pytest.approx(expected.iloc[-1] / expected.iloc[0] - 1, abs=1e-4)


def test_a_ticker_without_prices_in_the_window_is_never_held(project):
    config = write_config(
        project / "backtests" / "arm.yaml",
        """\
name: arm
strategy: {name: equal_weight}
universe: [ARM, NVDA]
benchmark: spy
start: 2019-01-01
end: 2020-12-31
""",
    )
    result = run_backtest(config, save=False)  # ARM lists in 2023
    assert np.isfinite(result.returns).all()
    assert (result.weights["ARM"] == 0).all()
    assert "ARM: no prices in the window; never held" in result.provenance["notes"]
    assert result.config.benchmark == "SPY"


def test_backtrader_feeds_stamp_each_bar_with_its_days_ordinal():
    from airegime.engines.backtrader_engine import ArrayFeed

    # before and after 1970, a leap day, an intraday time (the day counts, floored), in
    # pandas 3's second unit as in nanoseconds
    days = ["1969-12-31 18:00", "1970-01-01", "2016-02-29", "2024-11-29 15:30"]
    for unit in ("s", "ns"):
        index = pd.DatetimeIndex(days).as_unit(unit)
        frame = pd.DataFrame(
            {f: 1.0 for f in ("open", "high", "low", "close", "volume", "openinterest")},
            index=index,
        )
        feed = ArrayFeed(dataname=frame)
        feed.preload()
        stamps = list(feed.lines.datetime.array)
        assert stamps == [float(ts.toordinal()) for ts in index]
    tokyo = pd.DatetimeIndex(days).tz_localize("Asia/Tokyo")  # the wall clock's day counts
    frame = pd.DataFrame({"close": 1.0, "open": 1.0, "high": 1.0, "low": 1.0}, index=tokyo)
    feed = ArrayFeed(dataname=frame.assign(volume=1.0, openinterest=1.0))
    feed.preload()
    assert list(feed.lines.datetime.array) == [float(ts.toordinal()) for ts in tokyo]
