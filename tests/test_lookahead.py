"""No look-ahead from the raw price files: change every price after a date, run again.

The README promises that a decision on date D uses only what was known on D. Prices
pass through cleaning (:mod:`airegime.data.price_checks`) before any strategy sees
them, so the promise is tested here on the *raw inputs*, before any check runs: the
bundled sample's loader input, a csv folder, and a yahoo download (yfinance mocked at
its boundary). Each raw input is perturbed after ``CUT`` in three ways (multiplied,
calmed, shuffled) and the run repeated; every target decided on or before ``CUT`` and
every trade made by then must be identical.

The data hold a synthetic shell: ``SHL`` trades flat near 10 through 2019 and moves
like a stock from 2020. A check that judged that stretch with later prices (as one
did, see issue #18) decides differently once the later prices are calmed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from airegime import run_backtest
from airegime.asof import AsOfView
from airegime.config import validate_config
from airegime.data import prices as prices_module
from airegime.data import yahoo
from airegime.strategy import Strategy
from airegime.weighting import normalise

CUT = pd.Timestamp("2020-02-14")
TICKERS = ["NVDA", "AMD", "MSFT", "INTC"]
BENCHMARK = "SPY"


class Momentum(Strategy):
    """Top 2 tradable names by 60-day return: reads prices, tradability and history."""

    def target_weights(self, view: AsOfView) -> pd.Series:
        closes = view.closes(view.tradable(), lookback=61)
        momentum = (closes.iloc[-1] / closes.iloc[0] - 1).dropna()
        return normalise(pd.Series(1.0, index=momentum.nlargest(2).index))


def raw_closes() -> pd.DataFrame:
    """Real sample closes 2018-2021 of a few names, plus the synthetic shell SHL."""
    real = prices_module._sample_closes()[[*TICKERS, BENCHMARK]].loc["2018-01-01":"2021-12-31"]
    days = real.index
    rng = np.random.default_rng(3)
    shell_days = (days >= "2019-01-02") & (days <= "2019-12-31")
    later = days > "2019-12-31"
    log = np.zeros(len(days))
    log[shell_days] = rng.normal(0, 0.05 / np.sqrt(252), shell_days.sum())
    log[later] = rng.normal(0.001, 0.60 / np.sqrt(252), later.sum())
    shell = pd.Series(10.0 * np.exp(np.cumsum(log)), index=days).where(days >= "2019-01-02")
    return real.assign(SHL=shell)


def _rebuilt(close: pd.DataFrame, log_returns: np.ndarray) -> pd.DataFrame:
    """Prices after CUT rebuilt from the last price on CUT and ``log_returns``."""
    out = close.copy()
    later = close.index > CUT
    last = close.loc[:CUT].iloc[-1].to_numpy()
    out.loc[later] = last * np.exp(np.cumsum(log_returns, axis=0))
    return out.where(close.notna())


def multiplied(close: pd.DataFrame) -> pd.DataFrame:
    """Every price after CUT times 1.3 and a random walk of 30% volatility."""
    later = close.index > CUT
    rng = np.random.default_rng(11)
    walk = np.exp(np.cumsum(rng.normal(0, 0.3 / np.sqrt(252), (later.sum(), close.shape[1])), 0))
    out = close.copy()
    out.loc[later] = close.loc[later].to_numpy() * 1.3 * walk
    return out


def calmed(close: pd.DataFrame) -> pd.DataFrame:
    """Every series after CUT replaced by a calm path (3% volatility) from its last price."""
    n = int((close.index > CUT).sum())
    rng = np.random.default_rng(12)
    return _rebuilt(close, rng.normal(0, 0.03 / np.sqrt(252), (n, close.shape[1])))


def shuffled(close: pd.DataFrame) -> pd.DataFrame:
    """Every series' daily returns after CUT in a random order."""
    later = close.index > CUT
    log = np.log(close).diff().to_numpy()[later]
    rng = np.random.default_rng(13)
    return _rebuilt(close, np.stack([rng.permutation(col) for col in log.T], axis=1))


PERTURBATIONS = {"multiplied": multiplied, "calmed": calmed, "shuffled": shuffled}


# --- the three sources, each fed a raw frame of closes -------------------------------------


def config(project: Path, data: dict) -> dict:
    return {
        "name": "lookahead",
        "strategy": {"name": "tests.test_lookahead:Momentum"},
        "universe": [*TICKERS, "SHL"],
        "benchmark": BENCHMARK,
        "start": "2019-01-01",
        "end": "2021-12-31",
        "rebalance": "monthly",
        "engine": "vector",
        "data": {"fundamentals": "none", **data},
    }


def run_sample(close: pd.DataFrame, project: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(prices_module, "_sample_closes", lambda: close)
    return run_backtest(validate_config(config(project, {"source": "sample"})), save=False)


def run_csv(close: pd.DataFrame, project: Path, monkeypatch: pytest.MonkeyPatch):
    folder = project / f"csv-{abs(hash(close.to_numpy().tobytes()))}"
    folder.mkdir()
    for ticker in close.columns:
        frame = close[ticker].dropna().rename("adj_close").rename_axis("date").reset_index()
        frame.to_csv(folder / f"{ticker}.csv", index=False, float_format="%.6f")
    return run_backtest(
        validate_config(config(project, {"source": "csv", "path": str(folder)})), save=False
    )


def download_payload(close: pd.DataFrame) -> pd.DataFrame:
    """What ``yf.download(..., group_by="column")`` returns: fields x tickers, full bars."""
    bars = {
        "Open": close * 0.995,
        "High": close * 1.01,
        "Low": close * 0.985,
        "Close": close * 1.002,  # raw close: the adjustment factor is adj / raw
        "Adj Close": close,
        "Volume": close * 0 + 1e6,
    }
    return pd.concat(bars, axis=1).rename_axis(["Price", "Ticker"], axis=1)


def run_yahoo(close: pd.DataFrame, project: Path, monkeypatch: pytest.MonkeyPatch):
    def download(tickers: list[str], start: dt.date, end: dt.date) -> pd.DataFrame:
        payload = download_payload(close.loc[str(start) : str(end)])
        return payload.loc[:, payload.columns.get_level_values(1).isin(tickers)]

    monkeypatch.setattr(yahoo, "_download", download)
    cfg = config(project, {"source": "yahoo", "refresh": True})
    return run_backtest(validate_config(cfg), save=False)


SOURCES: dict[str, Callable] = {"sample": run_sample, "csv": run_csv, "yahoo": run_yahoo}


@pytest.mark.parametrize("source", SOURCES)
def test_no_price_after_a_date_changes_a_target_or_trade_before_it(source, project, monkeypatch):
    run = SOURCES[source]
    close = raw_closes()
    base = run(close, project, monkeypatch)
    for name, perturb in PERTURBATIONS.items():
        other = run(perturb(close), project, monkeypatch)
        pd.testing.assert_frame_equal(
            base.targets.loc[:CUT], other.targets.loc[:CUT], obj=f"{source}, {name}: targets"
        )
        before = base.trades[base.trades["date"] <= CUT].reset_index(drop=True)
        after = other.trades[other.trades["date"] <= CUT].reset_index(drop=True)
        pd.testing.assert_frame_equal(before, after, obj=f"{source}, {name}: trades")
        later = base.targets.loc[CUT + pd.Timedelta(days=1) :]
        assert not later.equals(other.targets.loc[later.index]), f"{source}, {name}"
    assert base.targets.loc[:CUT, "SHL"].gt(0).any()  # the shell was in play before CUT
