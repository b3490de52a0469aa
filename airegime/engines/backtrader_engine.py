"""The only module that knows backtrader: feeds, broker, costs and the weights adapter.

Every ticker of the universe is fed on one calendar (the union of trading
days in the backtest window) through :class:`ArrayFeed`, a
``bt.feeds.PandasDirectData`` whose preload copies whole columns at once. Days
before a listing or after the data ends carry the nearest real price so that
feeds stay aligned and ``runonce`` applies; the as-of view marks those days
untradable, so no strategy can buy at them.

Fills follow the run's fill rule (:mod:`airegime.engines.rebalance`): orders are sized
on the signal day's close; ``same_close`` submits them that day with
cheat-on-close, ``next_open`` submits them that day as market orders (they fill
at the next bar's open), and ``next_close`` submits them on the next trading day
with cheat-on-close, so they fill at that day's close (unless that day is itself a
rebalance date, whose newer decision replaces them); orders sent on the window's
last day fill at its close on an extra bar the adapter ignores. A buy of a name with no
real price on its fill day is not sent and is listed as rejected; a sale of a name whose
data ended goes through at its last price.
Commission and slippage are both percentages of traded value; slippage moves
the fill price against the order.
"""

from __future__ import annotations

from array import array

import backtrader as bt
import numpy as np
import pandas as pd

from ..data.context import MarketContext
from ..strategy import Strategy
from .contract import EngineResult, EngineSettings, trading_calendar
from .orders import Order, fit_to_cash, plan_orders, rebalance_mask
from .rebalance import decide, resolve_fill

#: ``date(1970, 1, 1).toordinal()``
_EPOCH_ORDINAL = 719163


class ArrayFeed(bt.feeds.PandasDirectData):
    """PandasDirectData with a vectorised preload: the same lines, without a Python loop
    over rows (preloading row by row was a quarter of a backtest's time)."""

    def preload(self) -> None:
        frame = self.p.dataname
        # ``Timestamp.toordinal()`` of every row: its (wall clock) day since 0001-01-01
        index = frame.index if frame.index.tz is None else frame.index.tz_localize(None)
        if index.hasnans:
            raise ValueError("a feed's dates have a gap (NaT)")
        days = index.to_numpy().astype("datetime64[D]").astype(np.int64)
        stamps = (days + _EPOCH_ORDINAL).astype(float)
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

    params = (
        ("policy", None),
        ("context", None),
        ("mask", None),
        ("settings", None),
        ("fill", "next_close"),
        ("live", None),
    )

    def __init__(self) -> None:
        self.values: list[float] = []
        self.cash: list[float] = []
        self.trades: list[tuple] = []
        self.rejected: list[str] = []
        self.targets: dict[pd.Timestamp, pd.Series] = {}
        self.diagnostics: dict[pd.Timestamp, dict] = {}
        self.names = [d._name for d in self.datas]
        settings: EngineSettings = self.p.settings
        self.cost_rate = settings.cost_rate
        self.fill = self.p.fill
        self.pending: list[Order] = []
        self.by_name = dict(zip(self.names, self.datas, strict=True))
        self.index = {name: j for j, name in enumerate(self.names)}

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
        if i >= len(self.p.mask):
            return  # the extra bar after the window: only the broker's step counts
        broker = self.broker
        self.values.append(broker.getvalue())
        self.cash.append(broker.getcash())
        if self.pending and not self.p.mask[i]:
            prices = pd.Series({d._name: d.close[0] for d in self.datas})
            self.submit(fit_to_cash(self.pending, prices, self.cash[-1], self.cost_rate), coc=True)
        # On a rebalance day the new decision replaces orders not yet sent (next_close on two
        # consecutive rebalance days, e.g. a start on a Friday with weekly rebalancing): it is
        # planned on the holdings as they are, so sending both would buy twice.
        self.pending = []
        if not self.p.mask[i]:
            return
        date = pd.Timestamp(self.datas[0].datetime.date(0))
        decision = decide(self.p.context, self.p.policy, date, self.p.settings.cash_buffer)
        weights = decision.weights
        self.targets[date] = weights
        self.diagnostics[date] = decision.diagnostics
        shares = pd.Series({d._name: self.getposition(d).size for d in self.datas})
        prices = pd.Series({d._name: d.close[0] for d in self.datas})
        orders = plan_orders(
            shares[shares != 0], prices, weights, self.values[-1], self.cash[-1], self.cost_rate
        )
        fill_day = i if self.fill == "same_close" else i + 1
        if fill_day >= len(self.p.live):
            return  # the last day's orders would fill after the backtest ends
        orders = [o for o in orders if self._fillable(o, fill_day, date)]
        if self.fill == "next_close":
            self.pending = orders
        else:
            self.submit(orders, coc=self.fill == "same_close")

    def _fillable(self, order: Order, fill_day: int, date: pd.Timestamp) -> bool:
        if order.shares < 0 or self.p.live[fill_day][self.index[order.ticker]]:
            return True  # a name whose data ended is sold at its last price
        self.rejected.append(f"{date.date()} {order.ticker} (no price on the fill day)")
        return False

    def submit(self, orders: list[Order], coc: bool) -> None:
        for order in orders:
            data = self.by_name[order.ticker]
            if order.shares < 0:
                self.sell(data=data, size=-order.shares, coc=coc)
            else:
                self.buy(data=data, size=order.shares, coc=coc)


def _feed_frame(context: MarketContext, ticker: str, calendar: pd.DatetimeIndex) -> pd.DataFrame:
    """The feed of one ticker over ``calendar`` plus one extra bar, a copy of the last
    day's, so that orders sent on the last day (cheat-on-close: they fill at its close
    in the broker's next step) are executed; the adapter ignores that bar."""
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
    frame = pd.DataFrame(
        {**fields, "close": close, "volume": volume, "openinterest": 0.0}, index=calendar
    )
    extra = frame.iloc[-1:].set_axis([calendar[-1] + pd.Timedelta(days=1)])
    return pd.concat([frame, extra])


def run_backtrader(
    context: MarketContext, policy: Strategy, settings: EngineSettings
) -> EngineResult:
    """Run one backtest in backtrader and collect its records as pandas objects."""
    closes = context.prices.close
    calendar = trading_calendar(context, settings)
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
    fill = resolve_fill(settings.fill, context.prices.has_bars)
    broker.set_coc(True)  # per order: only orders sent with coc=True fill at the close
    live = closes.loc[calendar, context.universe].notna().to_numpy()
    cerebro.addstrategy(
        TargetWeightsAdapter,
        policy=policy,
        context=context,
        mask=rebalance_mask(calendar, settings.rebalance),
        settings=settings,
        fill=fill,
        live=live,
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
        diagnostics=adapter.diagnostics,
    )
