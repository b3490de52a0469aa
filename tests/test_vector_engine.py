"""The vector engine gives the backtrader engine's answer: same trades, same daily values.

Every config in ``backtests/`` runs on both engines under each fill rule the bundled
sample allows (next_close, same_close), on a two-year window that spans listings and the
2020 crash; the quickstart runs its full length under each rule, and full bars from
``../shared/market-data/prices`` cover next_open. Trades must be identical (date, ticker,
shares), rejected orders the same, and values within 1e-9 relative.
"""

from __future__ import annotations

import dataclasses
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from airegime.asof import MarketContext
from airegime.config import BacktestConfig, load_config
from airegime.engines import EngineResult, EngineSettings
from airegime.engines.backtrader_engine import run_backtrader
from airegime.engines.vector_engine import reconcile, run_vector
from airegime.loading import load_context
from airegime.run import engine_settings as config_engine_settings
from airegime.run import run_backtest
from tests.conftest import write_config

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted(p.name for p in (ROOT / "backtests").glob("*.yaml"))
WINDOW = ("2019-07-01", "2021-06-30")


@cache
def sample_context(name: str) -> MarketContext:
    config = load_config(ROOT / "backtests" / name)
    return load_context(config, ROOT, name)


def settings(config: BacktestConfig, **changes) -> EngineSettings:
    return dataclasses.replace(config_engine_settings(config), **changes)


def assert_same(reference: EngineResult, vector: EngineResult) -> None:
    """Identical trades and rejections, values and cash within 1e-9 relative."""
    assert len(reference.trades) > 0
    pd.testing.assert_frame_equal(
        vector.trades[["date", "ticker", "shares"]], reference.trades[["date", "ticker", "shares"]]
    )
    np.testing.assert_allclose(vector.trades["price"], reference.trades["price"], rtol=1e-12)
    assert vector.rejected == reference.rejected
    assert vector.fill == reference.fill
    assert vector.values.index.equals(reference.values.index)
    np.testing.assert_allclose(vector.values, reference.values, rtol=1e-9, atol=0)
    np.testing.assert_allclose(vector.cash, reference.cash, rtol=1e-9, atol=1e-6)
    pd.testing.assert_frame_equal(vector.targets, reference.targets)
    assert reconcile(reference, vector) is None


def both(context: MarketContext, config: BacktestConfig, **changes) -> None:
    strategy = config.build_strategy()
    engine_settings = settings(config, **changes)
    assert_same(
        run_backtrader(context, strategy, engine_settings),
        run_vector(context, strategy, engine_settings),
    )


@pytest.mark.parametrize("fill", ["next_close", "same_close"])
@pytest.mark.parametrize("name", CONFIGS)
def test_every_config_trades_the_same_on_both_engines(name, fill):
    config = load_config(ROOT / "backtests" / name)
    start, end = map(pd.Timestamp, WINDOW)
    both(sample_context(name), config, fill=fill, start=start, end=end)


@pytest.mark.parametrize("fill", ["next_close", "same_close"])
def test_the_full_quickstart_trades_the_same_on_both_engines(fill):
    config = load_config(ROOT / "backtests" / "quickstart.yaml")
    both(sample_context("quickstart.yaml"), config, fill=fill)


def test_weekly_rebalances_without_a_cash_buffer_reject_the_same_orders():
    # No buffer: the broker's own rounding rejects some buys; the vector engine must agree.
    config = load_config(ROOT / "backtests" / "supplier_tilt.yaml")
    both(
        sample_context("supplier_tilt.yaml"),
        config,
        rebalance="weekly",
        cash_buffer=0.0,
        start=pd.Timestamp("2022-01-01"),
        end=pd.Timestamp("2023-06-30"),
    )


@pytest.fixture(scope="module")
def bars_context(request) -> tuple[BacktestConfig, MarketContext]:
    shared = ROOT.parent / "shared" / "market-data" / "prices"
    if not shared.is_dir():
        pytest.skip(f"shared market data not found at {shared.parent}")
    tickers = sorted(p.stem for p in shared.glob("*.csv"))
    config = load_config(
        ROOT / "backtests" / "quickstart.yaml",
        [
            "data.source=csv",
            f"data.path={shared}",
            f"universe=[{', '.join(tickers)}]",
            f"benchmark={tickers[0]}",
            "start=2015-01-01",
        ],
    )
    return config, load_context(config, ROOT, "full bars")


@pytest.mark.parametrize("fill", ["next_open", "next_close", "same_close"])
def test_full_bars_trade_the_same_on_both_engines(bars_context, fill):
    config, context = bars_context
    both(context, config, fill=fill)


def test_next_open_margin_calls_are_the_brokers(bars_context):
    # Without a buffer a gap up between the signal close and the next open leaves the
    # last buys short of cash: backtrader rejects them at the fill, and so must we.
    config, context = bars_context
    strategy = config.build_strategy()
    engine_settings = settings(config, fill="next_open", cash_buffer=0.0)
    reference = run_backtrader(context, strategy, engine_settings)
    assert any("(Margin)" in r for r in reference.rejected)
    assert_same(reference, run_vector(context, strategy, engine_settings))


DATES = pd.bdate_range("2024-01-29", periods=30).strftime("%Y-%m-%d").tolist()


def write_bars(folder: Path, tickers: dict[str, tuple[int, int]]) -> Path:
    """Random full bars; each ticker trades only on days [first, last)."""
    rng = np.random.default_rng(7)
    folder.mkdir(parents=True, exist_ok=True)
    for k, (ticker, (first, last)) in enumerate(tickers.items()):
        close = 20.0 * (k + 1) * np.exp(np.cumsum(rng.normal(0, 0.03, len(DATES))))
        opens = close * np.exp(rng.normal(0, 0.02, len(DATES)))
        frame = pd.DataFrame(
            {
                "date": DATES,
                "open": opens,
                "high": np.maximum(opens, close) * 1.01,
                "low": np.minimum(opens, close) * 0.99,
                "close": close,
                "adj_close": close,
                "volume": 1000,
            }
        ).iloc[first:last]
        frame.to_csv(folder / f"{ticker}.csv", index=False)
    return folder


@pytest.mark.parametrize("fill", ["next_open", "next_close", "same_close"])
def test_late_listings_and_early_ends_are_handled_the_same(project, fill):
    # C lists on day 8; D's data ends on day 12, while it is held, so its sale is rejected.
    folder = write_bars(project / "bars", {"A": (0, 30), "B": (0, 30), "C": (8, 30), "D": (0, 12)})
    config = write_config(
        project / "backtests" / "edges.yaml",
        f"""\
name: edges
strategy: {{name: equal_weight}}
universe: [A, B, C, D]
benchmark: A
start: 2024-01-01
end: 2024-12-31
data: {{source: csv, path: {folder}}}
rebalance: weekly
initial_cash: 10000
cash_buffer: 0.0
costs: {{commission_bps: 10, slippage_bps: 20}}
execution: {{fill: {fill}}}
""",
    )
    reference = run_backtest(config, save=False)
    vector = run_backtest(config, ["engine=vector"], save=False)
    assert vector.provenance["engine"] == "vector"
    pd.testing.assert_frame_equal(vector.trades, reference.trades)
    pd.testing.assert_series_equal(vector.returns, reference.returns, rtol=1e-9)
    assert vector.provenance["notes"] == reference.provenance["notes"]


@pytest.mark.parametrize(
    ("column", "change"),
    [("price", 1 + 1e-6), ("commission", 1.01), ("value", 1 + 1e-6)],
)
def test_the_sweeps_confirmation_catches_a_fill_price_or_commission_that_differs(column, change):
    """Same dates, tickers and shares but another fill price or commission is a mismatch."""
    config = load_config(ROOT / "backtests" / "quickstart.yaml")
    start, end = map(pd.Timestamp, WINDOW)
    reference = run_backtrader(
        sample_context("quickstart.yaml"),
        config.build_strategy(),
        settings(config, start=start, end=end),
    )
    assert reconcile(reference, reference) is None
    trades = reference.trades.copy()
    trades.loc[3, column] *= change
    found = reconcile(reference, dataclasses.replace(reference, trades=trades))
    assert found is not None and "trade 3 " in found and column in found
