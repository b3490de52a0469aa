"""The point-in-time panel reads exactly what replaying the filings one by one gives.

``FundamentalsStore.metrics_by_replay`` and ``annual_history_by_replay`` replay each
company's filings up to a date (latest filing per period, best tag, TTM, fiscal years):
the readable specification. The panel that strategies read through must equal it on
every rebalance date of every config, for every name and metric: the same NaN pattern
and values within 1e-12 relative.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from airegime.asof import AsOfView
from airegime.config import load_config
from airegime.data.fundamentals import FundamentalsStore, Splits, normalise_facts
from airegime.engines.contract import trading_calendar
from airegime.engines.orders import rebalance_mask
from airegime.loading import load_context
from airegime.run import engine_settings
from benchmarks.synthetic import synthetic_facts

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "backtests").glob("*.yaml"))


def rebalance_dates(context, config) -> pd.DatetimeIndex:
    calendar = trading_calendar(context, engine_settings(config))
    return calendar[rebalance_mask(calendar, config.rebalance)]


def assert_panel_equals_replay(store: FundamentalsStore, names, dates, prices=None) -> None:
    """Metrics on every date; fiscal-year histories once per company and filing state (a
    history depends on nothing else, and the date-to-state lookup is the metrics')."""
    checked: set[int] = set()
    for date in dates:
        price = prices(date) if prices is not None else None
        replay = store.metrics_by_replay(names, date, price)
        panel = store.metrics_asof(names, date, price)
        pd.testing.assert_frame_equal(panel, replay, rtol=1e-12, check_exact=False, obj=str(date))
        for ticker, state in zip(names, store.panel.states(names, date), strict=True):
            if state in checked:
                continue
            checked.add(state)
            pd.testing.assert_frame_equal(
                store.annual_history(ticker, date),
                store.annual_history_by_replay(ticker, date),
                rtol=1e-12,
                check_exact=False,
                obj=f"{ticker} {date.date()}",
            )


@pytest.mark.slow
def test_panel_equals_the_replay_on_every_rebalance_date_of_every_config():
    """Configs sharing facts and filing lag are checked once on the union of their dates
    and names, with the prices the as-of view passes."""
    checks: dict[tuple, tuple] = {}
    for path in CONFIGS:
        config = load_config(path)
        context = load_context(config, ROOT, str(path), report_data=True)
        store = context.fundamentals
        if store is None:
            continue
        key = (config.data.fundamentals, store.lag_days)
        _, names, dates = checks.get(key, (context, set(), set()))
        checks[key] = (
            context,
            names | set(context.universe),
            dates | set(rebalance_dates(context, config)),
        )
    assert checks, "no config reads fundamentals"
    for context, names, dates in checks.values():
        names = [*sorted(names), "NOT_A_FILER"]

        def prices(date, context=context, names=names):
            known = [t for t in names if t in context.prices.close.columns]
            return AsOfView(context, date).closes(known, lookback=10).ffill().iloc[-1]

        assert_panel_equals_replay(context.fundamentals, names, sorted(dates), prices)


@pytest.mark.parametrize("lag_days", [0, 5])
def test_panel_equals_the_replay_weekly_with_other_filing_lags(lag_days):
    facts = normalise_facts(
        pd.read_csv(ROOT / "airegime" / "sample" / "fundamentals.csv.gz", dtype=str), "sample"
    )
    names = ["NVDA", "AAPL", "MSFT", "SNOW", "TSLA", "MRVL", "AVGO", "DLR"]
    store = FundamentalsStore(facts[facts["ticker"].isin(names)], "sample", lag_days=lag_days)
    dates = pd.date_range("2014-01-01", "2026-07-31", freq="W-WED")[::2]
    assert_panel_equals_replay(store, names, dates)


def test_panel_equals_the_replay_on_synthetic_filers():
    """10-Q/10-K cadence, restatements, tag switches, splits, scale slips, late listings
    and missing tags, every day a company files and the day after."""
    facts, splits = synthetic_facts(24, years=8, seed=3)
    store = FundamentalsStore(
        normalise_facts(facts, "synthetic"),
        "synthetic",
        lag_days=1,
        splits=Splits(splits),
        price_vintage=pd.Timestamp("2026-01-01"),
    )
    assert store.notes, "the generator's scale slips are dropped by the 50x rule"
    filed = pd.to_datetime(facts["filed"]).drop_duplicates().sort_values()
    dates = pd.DatetimeIndex(np.union1d(filed, filed + pd.Timedelta(days=1)))[::4]
    names = sorted(facts["ticker"].unique())
    prices = pd.Series(np.linspace(5, 500, len(names)), index=names)
    assert_panel_equals_replay(store, names, dates, lambda _: prices)


def test_breach_counts_are_those_of_the_annual_history():
    facts, splits = synthetic_facts(12, years=10, seed=5)
    store = FundamentalsStore(
        normalise_facts(facts, "synthetic"), "synthetic", splits=Splits(splits)
    )
    names = sorted(facts["ticker"].unique())
    for date in pd.date_range("2018-01-01", "2026-01-01", freq="QS"):
        for years in (1, 3, 5, 15):
            counts = store.capex_breach_counts(names, date, years)
            for ticker in names:
                history = store.annual_history_by_replay(ticker, date)
                both = history[["capex", "operating_cash_flow"]].dropna().tail(years)
                expected = float((both["capex"] > both["operating_cash_flow"]).sum())
                assert counts[ticker] == expected, (ticker, date, years)


def test_the_packed_sort_of_the_panel_orders_rows_as_lexsort():
    from airegime.data.panel import _stable_order

    rng = np.random.default_rng(0)
    keys = (
        rng.integers(0, 5, 2000),
        rng.integers(0, 3, 2000),
        rng.integers(0, 740_000, 2000) * rng.integers(0, 2, 2000),
        rng.integers(730_000, 740_000, 2000),
    )
    seq = np.arange(2000)
    expected = np.lexsort((seq, *reversed(keys)))
    assert np.array_equal(_stable_order(keys, seq), expected)
    wide = (keys[0] << 40, *keys[1:])  # 72 bits: lexsort itself
    assert np.array_equal(_stable_order(wide, seq), np.lexsort((seq, *reversed(wide))))
