"""The only module that knows backtrader: feeds, broker, costs and the weights adapter.

Every ticker of the universe is fed on one calendar (the union of trading
days in the backtest window) through :class:`ArrayFeed`, a
``bt.feeds.PandasDirectData`` whose preload copies whole columns at once. Days
before a listing or after the data ends carry the nearest real price so that
feeds stay aligned and ``runonce`` applies; the as-of view marks those days
untradable, so no strategy can buy at them.

Fills: with close-only data, orders placed on a rebalance date fill at that
date's close (backtrader's cheat-on-close); with full bars they fill at the
next day's open. Commission and slippage are both percentages of traded value;
slippage moves the fill price against the order.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass

import backtrader as bt
import numpy as np
import pandas as pd

from .asof import MarketContext
from .orders import clean_weights, plan_orders, rebalance_mask
from .strategy import Strategy


@dataclass
class EngineSettings:
    start: pd.Timestamp
    end: pd.Timestamp
    rebalance: str = "monthly"
    initial_cash: float = 1_000_000.0
    commission_bps: float = 0.0
    slippage_bps: float = 0.0
    cash_buffer: float = 0.0


@dataclass
class EngineResult:
    """What happened, day by day: values, cash, trades and the target weights asked for."""

    values: pd.Series
    cash: pd.Series
    trades: pd.DataFrame
    targets: pd.DataFrame
    fill: str
    rejected: list[str]


class ArrayFeed(bt.feeds.PandasDirectData):
    """PandasDirectData with a vectorised preload: the same lines, without a Python loop
    over rows (preloading row by row was a quarter of a backtest's time)."""

    def preload(self) -> None:
        frame = self.p.dataname
        stamps = np.array([ts.toordinal() for ts in frame.index], dtype=float)
        columns = {"datetime": stamps}
        columns.update(
            {
                name: frame[name].to_numpy(dtype=float)
                for name in ("open", "high", "low", "close", "volume", "openinterest")
            }
        )
        for name, values in columns.items():
            getattr(self.lines, name).array.extend(array("d", values))
        self.home()


class PercentCommission(bt.CommInfoBase):
    """Commission as a fraction of traded value, for stocks."""

    params = (("stocklike", True), ("commtype", bt.CommInfoBase.COMM_PERC), ("percabs", True))


class TargetWeightsAdapter(bt.Strategy):
    """Calls the pure strategy on rebalance dates and turns its weights into orders."""

    params = (("policy", None), ("context", None), ("mask", None), ("settings", None))

    def __init__(self) -> None:
        self.values: list[float] = []
        self.cash: list[float] = []
        self.trades: list[tuple] = []
        self.rejected: list[str] = []
        self.targets: dict[pd.Timestamp, pd.Series] = {}
        self.names = [d._name for d in self.datas]
        settings: EngineSettings = self.p.settings
        self.cost_rate = (settings.commission_bps + settings.slippage_bps) / 1e4

    def notify_order(self, order: bt.Order) -> None:
        if order.status == order.Completed:
            ex = order.executed
            self.trades.append(
                (
                    bt.num2date(ex.dt).date(),
                    order.data._name,
                    ex.size,
                    ex.price,
                    ex.size * ex.price,
                    ex.comm,
                )
            )
        elif order.status in (order.Margin, order.Rejected):
            when = bt.num2date(order.created.dt).date()
            self.rejected.append(f"{when} {order.data._name} ({order.getstatusname()})")

    def next(self) -> None:
        i = len(self) - 1
        broker = self.broker
        self.values.append(broker.getvalue())
        self.cash.append(broker.getcash())
        if not self.p.mask[i]:
            return
        date = pd.Timestamp(self.datas[0].datetime.date(0))
        view = self.p.context.view(date)
        weights = clean_weights(
            self.p.policy.target_weights(view), view.tradable(), self.p.settings.cash_buffer
        )
        self.targets[date] = weights
        shares = pd.Series({d._name: self.getposition(d).size for d in self.datas})
        prices = pd.Series({d._name: d.close[0] for d in self.datas})
        orders = plan_orders(
            shares[shares != 0], prices, weights, self.values[-1], self.cash[-1], self.cost_rate
        )
        by_name = dict(zip(self.names, self.datas, strict=True))
        for order in orders:
            data = by_name[order.ticker]
            if order.shares < 0:
                self.sell(data=data, size=-order.shares)
            else:
                self.buy(data=data, size=order.shares)


def _feed_frame(context: MarketContext, ticker: str, calendar: pd.DatetimeIndex) -> pd.DataFrame:
    prices = context.prices
    # Days before a listing carry its first price, days after its data ends the last one; a
    # ticker with no price in the window at all gets a placeholder 1.0. None of those days
    # is tradable (the as-of view says so), so these prices only keep the feeds aligned.
    close = prices.close[ticker].reindex(calendar).ffill().bfill().fillna(1.0)
    if prices.has_bars:
        fields = {f: getattr(prices, f)[ticker].reindex(calendar) for f in ("open", "high", "low")}
        fields = {f: s.fillna(close) for f, s in fields.items()}
        volume = prices.volume[ticker].reindex(calendar).fillna(0.0)
    else:
        fields = {f: close for f in ("open", "high", "low")}
        volume = pd.Series(0.0, index=calendar)
    return pd.DataFrame(
        {**fields, "close": close, "volume": volume, "openinterest": 0.0}, index=calendar
    )


def run_engine(context: MarketContext, policy: Strategy, settings: EngineSettings) -> EngineResult:
    """Run one backtest in backtrader and collect its records as pandas objects."""
    closes = context.prices.close
    calendar = closes.index[(closes.index >= settings.start) & (closes.index <= settings.end)]
    calendar = calendar[closes.loc[calendar, context.universe].notna().any(axis=1).to_numpy()]
    if len(calendar) < 2:
        raise ValueError(
            f"fewer than two trading days with prices in {settings.start.date()}"
            f"..{settings.end.date()}"
        )
    cerebro = bt.Cerebro(
        stdstats=False, runonce=True, preload=True, maxcpus=1, exactbars=False, quicknotify=True
    )
    for ticker in context.universe:
        cerebro.adddata(ArrayFeed(dataname=_feed_frame(context, ticker, calendar)), name=ticker)
    broker = cerebro.broker
    broker.setcash(settings.initial_cash)
    broker.addcommissioninfo(PercentCommission(commission=settings.commission_bps / 1e4))
    broker.set_slippage_perc(
        settings.slippage_bps / 1e4, slip_open=True, slip_limit=True, slip_match=True, slip_out=True
    )
    fill = "next_open" if context.prices.has_bars else "close"
    broker.set_coc(fill == "close")
    cerebro.addstrategy(
        TargetWeightsAdapter,
        policy=policy,
        context=context,
        mask=rebalance_mask(calendar, settings.rebalance),
        settings=settings,
    )
    adapter = cerebro.run()[0]
    trades = pd.DataFrame(
        adapter.trades, columns=["date", "ticker", "shares", "price", "value", "commission"]
    )
    trades["date"] = pd.to_datetime(trades["date"])
    targets = pd.DataFrame(adapter.targets).T.reindex(columns=context.universe).fillna(0.0)
    targets.index.name = "date"
    return EngineResult(
        values=pd.Series(adapter.values, index=calendar, name="value"),
        cash=pd.Series(adapter.cash, index=calendar, name="cash"),
        trades=trades,
        targets=targets,
        fill=fill,
        rejected=adapter.rejected,
    )


def holdings_from_trades(
    trades: pd.DataFrame, calendar: pd.DatetimeIndex, tickers: list[str]
) -> pd.DataFrame:
    """Shares held at each day's close, rebuilt from the fills."""
    if trades.empty:
        return pd.DataFrame(0.0, index=calendar, columns=tickers)
    flows = trades.pivot_table(index="date", columns="ticker", values="shares", aggfunc="sum")
    held = flows.reindex(columns=tickers, fill_value=0.0).fillna(0.0).cumsum()
    return held.reindex(calendar, method="ffill").fillna(0.0)


def daily_weights(result: EngineResult, closes: pd.DataFrame) -> pd.DataFrame:
    """Each ticker's share of portfolio value at each day's close."""
    calendar = result.values.index
    held = holdings_from_trades(result.trades, calendar, list(closes.columns))
    px = closes.reindex(calendar).ffill().bfill()
    weights = held * px.to_numpy() / result.values.to_numpy()[:, None]
    return weights.where(np.abs(weights) > 1e-12, 0.0)
