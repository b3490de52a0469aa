"""Weights to orders: pure functions, no backtrader."""

from __future__ import annotations

import pandas as pd
import pytest

from airegime.engines.orders import clean_weights, plan_orders, rebalance_mask


def test_sells_come_before_buys():
    orders = plan_orders(
        shares=pd.Series({"A": 10.0}),
        prices=pd.Series({"A": 10.0, "B": 5.0}),
        targets=pd.Series({"B": 1.0}),
        value=100.0,
        cash=0.0,
        cost_rate=0.0,
    )
    assert next((o.ticker, o.shares) for o in orders) == ("A", -10.0)
    assert orders[1].ticker == "B" and orders[1].shares == pytest.approx(20.0)


def test_buys_are_scaled_to_the_cash_available_after_costs():
    orders = plan_orders(
        shares=pd.Series(dtype=float),
        prices=pd.Series({"A": 10.0}),
        targets=pd.Series({"A": 1.0}),
        value=100.0,
        cash=100.0,
        cost_rate=0.01,
    )
    spend = orders[0].shares * 10.0 * 1.01
    assert spend <= 100.0 and spend == pytest.approx(100.0)


def test_names_without_a_price_today_are_dropped_and_weights_keep_the_buffer():
    weights = clean_weights(pd.Series({"A": 0.5, "B": 0.5, "C": float("nan")}), ["A"], 0.02)
    assert weights.to_dict() == {"A": pytest.approx(0.49)}


def test_negative_or_excess_weights_are_errors():
    with pytest.raises(ValueError, match="long-only"):
        clean_weights(pd.Series({"A": -0.1}), ["A"], 0.0)
    with pytest.raises(ValueError, match="sum to"):
        clean_weights(pd.Series({"A": 0.7, "B": 0.7}), ["A", "B"], 0.0)


@pytest.mark.parametrize(
    ("frequency", "expected"),
    [
        ("weekly", ["2024-01-29", "2024-02-05", "2024-02-12"]),
        ("monthly", ["2024-01-29", "2024-02-01", "2024-03-01"]),
        ("quarterly", ["2024-01-29"]),
    ],
)
def test_rebalance_on_first_day_and_first_trading_day_of_each_period(frequency, expected):
    days = pd.bdate_range("2024-01-29", "2024-03-05")
    days = days[(days != "2024-02-02")]
    picked = days[rebalance_mask(days, frequency)]
    assert [d.strftime("%Y-%m-%d") for d in picked][: len(expected)] == expected
    if frequency == "quarterly":
        assert len(picked) == 1
