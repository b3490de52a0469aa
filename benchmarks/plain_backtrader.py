"""The reference point: an equal-weight monthly rebalance written in plain backtrader.

This is what a researcher would write by hand on the same data as
``backtests/quickstart.yaml`` (bundled sample, US AI universe, 2016-01..2026-07,
cheat-on-close fills, 5 bps commission, 5 bps slippage, 1% cash): feeds through
``bt.feeds.PandasDirectData``, ``order_target_percent`` sells first, then buys.
"""

from __future__ import annotations

import backtrader as bt
import pandas as pd

from airegime.data.prices import load_sample
from airegime.data.universes import load_universes


class MonthlyEqualWeight(bt.Strategy):
    params = (("listed", None), ("buffer", 0.01))

    def __init__(self) -> None:
        self.last_month = None
        self.values = []

    def next(self) -> None:
        self.values.append(self.broker.getvalue())
        today = self.datas[0].datetime.date(0)
        if today.month == self.last_month:
            return
        self.last_month = today.month
        listed = self.p.listed.loc[pd.Timestamp(today)]
        names = [d for d in self.datas if listed[d._name]]
        target = (1 - self.p.buffer) / len(names)
        value = self.broker.getvalue()
        orders = []
        for d in self.datas:
            goal = target if d in names else 0.0
            delta = goal * value / d.close[0] - self.getposition(d).size
            orders.append((delta, d))
        for delta, d in sorted(orders, key=lambda o: o[0]):  # sells first
            if delta < 0:
                self.sell(data=d, size=-delta)
            elif delta > 0:
                self.buy(data=d, size=delta)


def run_plain(tickers: list[str], start: str, end: str) -> list[float]:
    closes = load_sample(tickers).close.loc[start:end]
    closes = closes[closes.notna().any(axis=1)]
    cerebro = bt.Cerebro(stdstats=False, runonce=True, preload=True)
    for ticker in tickers:
        close = closes[ticker].ffill().bfill()
        frame = pd.DataFrame(
            {
                "open": close,
                "high": close,
                "low": close,
                "close": close,
                "volume": 0.0,
                "openinterest": 0.0,
            }
        )
        cerebro.adddata(bt.feeds.PandasDirectData(dataname=frame), name=ticker)
    cerebro.broker.setcash(1_000_000)
    cerebro.broker.setcommission(commission=0.0005)
    cerebro.broker.set_slippage_perc(0.0005, slip_out=True)
    cerebro.broker.set_coc(True)
    cerebro.addstrategy(MonthlyEqualWeight, listed=closes.notna())
    return cerebro.run()[0].values


def quickstart_tickers(root) -> list[str]:
    return load_universes(root / "data" / "universes.yaml").resolve("ai_us")
