"""The vector engine: backtrader's answer without backtrader's bar loop.

Between two order events a portfolio does not change, so its daily values are one
array expression over the closes; only the days on which something happens (a
rebalance, the day its orders are sent, the day they fill) run Python code. On those
days this module repeats, operation for operation, what the backtrader engine
(:mod:`airegime.engines.backtrader_engine`) and backtrader's ``BackBroker`` do: the same
:func:`~airegime.engines.rebalance.decide`, :func:`~airegime.engines.orders.plan_orders` and
:func:`~airegime.engines.orders.fit_to_cash` calls; the broker's cash check when orders are
submitted (a pseudo-execution at the creation price, whose running cash stays
negative after a rejection, so later buys of the batch are rejected too); fills in
the order sent (sells first) at the close (cheat-on-close) or the next open, with
percentage slippage and commission; and the broker's own float arithmetic for cash,
average prices and portfolio value. Trades, cash and values therefore match the
backtrader engine exactly; ``tests/test_vector_engine.py`` holds it to that.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.context import MarketContext
from ..strategy import Strategy
from .contract import EngineResult, EngineSettings, trading_calendar
from .orders import buy_scale, rebalance_mask
from .rebalance import decide, resolve_fill


@dataclass
class _Sent:
    """An order as the broker holds it: feed index, signed size, creation day, cheat-on-close."""

    j: int
    size: float
    created: int
    coc: bool


class _Broker:
    """The state and arithmetic of backtrader's ``BackBroker`` for long/short stock orders
    with percentage commission and slippage (``slip_out=True``), leverage 1 and no interest."""

    def __init__(self, cash: float, n: int, commission: float, slippage: float) -> None:
        self.cash = cash
        self.size = [0.0] * n
        self.price = [0.0] * n
        self.commission = commission
        self.slippage = slippage

    @staticmethod
    def _update(size0: float, price0: float, size: float, price: float) -> tuple:
        """``Position.update``: new size, new average price, units opened and closed."""
        new = size0 + size
        if not new:
            return new, 0.0, 0, size
        if not size0:
            return new, price, size, 0
        if size0 > 0:
            if size > 0:
                return new, (price0 * size0 + size * price) / new, size, 0
            if new > 0:
                return new, price0, 0, size
            return new, price, new, -size0
        if size < 0:
            return new, (price0 * size0 + size * price) / new, size, 0
        if new < 0:
            return new, price0, 0, size
        return new, price, new, -size0

    def _comm(self, size: float, price: float) -> float:
        return abs(size) * self.commission * price

    def check_submitted(self, orders: list[_Sent], created_price: np.ndarray) -> list[bool]:
        """``BackBroker.check_submitted``: pseudo-execute in turn at the creation price."""
        cash = self.cash
        clones: dict[int, list[float]] = {}
        accepted = []
        for o in orders:
            pos = clones.setdefault(o.j, [self.size[o.j], self.price[o.j]])
            price = float(created_price[o.j])
            pos[0], pos[1], opened, closed = self._update(pos[0], pos[1], o.size, price)
            if closed:
                closedvalue = -closed * price
                cash += closedvalue + 0
                cash -= self._comm(closed, price)
            if opened:
                cash -= opened * price
                cash -= self._comm(opened, price)
            accepted.append(cash >= 0.0)
        return accepted

    def fill_price(self, base: float, buy: bool) -> float:
        """``_slip_up`` / ``_slip_down`` with ``slip_out=True``: always the slipped price."""
        if not self.slippage:
            return base
        return base * (1 + self.slippage) if buy else base * (1 - self.slippage)

    def execute(self, o: _Sent, price: float) -> tuple[float, float, bool]:
        """``BackBroker._execute``: (size executed, commission, margin call on the opened part)."""
        j = o.j
        size0, price0 = self.size[j], self.price[j]
        _, _, opened, closed = self._update(size0, price0, o.size, price)
        pnl = -closed * (price - price0) * 1.0
        cash = self.cash
        closedcomm = openedcomm = 0.0
        if closed:
            closedvalue = -closed * price0
            cash += closedvalue + pnl
            closedcomm = self._comm(closed, price)
            cash -= closedcomm
            cash += 0.0
            self.cash = cash
        margin = False
        if opened:
            cash -= opened * price
            openedcomm = self._comm(opened, price)
            cash -= openedcomm
            if cash < 0.0:
                margin, opened, openedcomm = True, 0, 0.0
            else:
                self.cash = cash
        executed = closed + opened
        if executed:
            self.size[j], self.price[j], _, _ = self._update(size0, price0, executed, price)
        return executed, closedcomm + openedcomm, margin

    def value(self, closes: np.ndarray) -> float:
        """``BackBroker._get_value`` on one day: positions summed in feed order."""
        pvu = 0.0
        for j, size in enumerate(self.size):
            if not size:
                continue
            close = float(closes[j])
            dvalue = size * close
            unrealized = size * (close - self.price[j]) * 1.0
            if dvalue > 0:
                pvu += dvalue - unrealized
                pvu += unrealized
            else:
                pvu += dvalue
        return self.cash + pvu


def _values(
    close: np.ndarray, changes: list[tuple[int, float, list[float], list[float]]]
) -> np.ndarray:
    """Daily values from the book after each change: the broker's sum over the names in
    feed order, done for all days at once name by name (the book of each day is its
    segment's, repeated)."""
    n = close.shape[0]
    lengths = np.diff([c[0] for c in changes] + [n])
    sizes = np.repeat(np.array([c[2] for c in changes], dtype=float), lengths, axis=0)
    prices = np.repeat(np.array([c[3] for c in changes], dtype=float), lengths, axis=0)
    cash = np.repeat(np.array([c[1] for c in changes], dtype=float), lengths)
    pvu = np.zeros(n)
    for j in np.flatnonzero((sizes != 0).any(axis=0)).tolist():
        size = sizes[:, j]
        dvalue = size * close[:, j]
        unrealized = size * (close[:, j] - prices[:, j]) * 1.0
        summed = np.where(dvalue > 0, (pvu + (dvalue - unrealized)) + unrealized, pvu + dvalue)
        pvu = np.where(size != 0, summed, pvu)
    return cash + pvu


def _target_frame(
    targets: dict[pd.Timestamp, pd.Series], universe: list[str], index: dict[str, int]
) -> pd.DataFrame:
    """Target weights (rebalance date x universe, 0 where not wanted), as the backtrader
    engine's ``DataFrame(targets).T`` builds them, filled row by row."""
    matrix = np.zeros((len(targets), len(universe)))
    for row, weights in enumerate(targets.values()):
        if len(weights):
            matrix[row, [index[t] for t in weights.index.tolist()]] = weights.to_numpy(float)
    dates = pd.DatetimeIndex(list(targets), name="date")
    names = {w.index.name for w in targets.values()}  # kept when all agree, as a union does
    name = names.pop() if len(names) == 1 else None
    return pd.DataFrame(matrix, index=dates, columns=pd.Index(universe, dtype="str", name=name))


def _order_names(held: list[str], wanted: list[str]) -> list[str]:
    """The name order of ``plan_orders``: pandas' ``Index.union`` (sorted unless one side is
    empty or both are equal)."""
    if not wanted or held == wanted:
        return held
    if not held:
        return wanted
    return sorted(set(held).union(wanted))


def _fit(
    orders: list[tuple[int, float]], px: np.ndarray, cash: float, cost_rate: float
) -> list[tuple[int, float]]:
    """:func:`~airegime.engines.orders.fit_to_cash` on feed indexes (the same :func:`buy_scale`)."""
    sells = [o for o in orders if o[1] < 0]
    buys = [o for o in orders if o[1] > 0]
    scale = buy_scale(
        [-s * float(px[j]) for j, s in sells], [s * float(px[j]) for j, s in buys], cash, cost_rate
    )
    return sells + [(j, s * scale) for j, s in buys if s * scale > 0]


def _plan(
    universe: list[str],
    index: dict[str, int],
    sizes: list[float],
    px: np.ndarray,
    weights: pd.Series,
    value: float,
    cash: float,
    cost_rate: float,
    min_trade_value: float = 1e-6,
) -> list[tuple[int, float]]:
    """:func:`~airegime.engines.orders.plan_orders` on feed indexes, with its exact arithmetic."""
    held = [t for t, size in zip(universe, sizes, strict=True) if size != 0]
    wanted = dict(zip(weights.index.tolist(), weights.to_numpy(dtype=float).tolist(), strict=True))
    names = _order_names(held, list(wanted))
    pos = np.array([index[t] for t in names], dtype=int)
    price = px[pos]
    goal = np.array([wanted.get(t, 0.0) for t in names]) * value / price
    delta = goal - np.array(sizes)[pos]
    delta[np.abs(delta) * price < min_trade_value] = 0.0
    js, ds = pos.tolist(), delta.tolist()
    orders = [(j, d) for j, d in zip(js, ds, strict=True) if d < 0]
    orders += [(j, d) for j, d in zip(js, ds, strict=True) if d > 0]
    return _fit(orders, px, cash, cost_rate)


def feed_prices(
    context: MarketContext, calendar: pd.DatetimeIndex
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The engine feeds' closes and opens (placeholders outside a listing) and the live
    mask: float, float and bool (days, names), read-only, memoised on the context per
    calendar (every point of a sweep shares them)."""
    return context.memoised(
        ("feed_prices", calendar.asi8.tobytes()), lambda: _feed_prices(context, calendar)
    )


def _feed_prices(
    context: MarketContext, calendar: pd.DatetimeIndex
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    universe = context.universe
    raw = context.prices.close.loc[calendar, universe]
    close = raw.ffill().bfill().fillna(1.0)
    if context.prices.has_bars:
        opens = context.prices.open.loc[calendar, universe].fillna(close)
    else:
        opens = close
    arrays = close.to_numpy(dtype=float), opens.to_numpy(dtype=float), raw.notna().to_numpy()
    for array in arrays:
        array.flags.writeable = False
    return arrays


def run_vector(context: MarketContext, policy: Strategy, settings: EngineSettings) -> EngineResult:
    """Run one backtest with the vector engine; the result equals :func:`engine.run_engine`'s."""
    calendar = trading_calendar(context, settings)
    fill = resolve_fill(settings.fill, context.prices.has_bars)
    close, opens, live = feed_prices(context, calendar)
    universe = list(context.universe)
    index = {t: j for j, t in enumerate(universe)}
    mask = rebalance_mask(calendar, settings.rebalance)
    n = len(calendar)
    cost_rate = settings.cost_rate
    broker = _Broker(
        settings.initial_cash,
        len(universe),
        settings.commission_bps / 1e4,
        settings.slippage_bps / 1e4,
    )
    dates = calendar.date

    trades: list[tuple] = []
    rejected: list[str] = []
    targets: dict[pd.Timestamp, pd.Series] = {}
    diagnostics: dict[pd.Timestamp, dict] = {}
    changes = [(0, broker.cash, [0.0] * len(universe), [0.0] * len(universe))]
    submitted: list[_Sent] = []  # sent by the strategy, seen by the broker on the next day
    pending: list[tuple[int, float]] = []  # next_close: planned, sent on the next day

    rebalance_days = np.flatnonzero(mask).tolist()
    k, t = 0, 0

    def broker_step(t: int, sent: list[_Sent]) -> None:
        """The broker's step of day t: check what was sent, then fill it in order."""
        ok = broker.check_submitted(sent, close[sent[0].created])
        for o, accepted in zip(sent, ok, strict=True):
            if not accepted:
                rejected.append(f"{dates[o.created]} {universe[o.j]} (Margin)")
        for o, accepted in zip(sent, ok, strict=True):
            if not accepted:
                continue
            base = close[o.created, o.j] if o.coc else opens[t, o.j]
            price = broker.fill_price(float(base), o.size > 0)
            size, comm, margin = broker.execute(o, price)
            if size:
                day = o.created if o.coc else t
                recorded = (0.0 + size * price) / size
                trades.append(
                    (dates[day], universe[o.j], size, recorded, size * recorded, 0.0 + comm)
                )
            if margin:
                rejected.append(f"{dates[o.created]} {universe[o.j]} (Margin)")

    while t < n:
        if submitted:
            broker_step(t, submitted)
            submitted = []
            changes.append((t, broker.cash, list(broker.size), list(broker.price)))
        # -- the strategy's step of day t
        if pending and not mask[t]:  # a rebalance on t replaces them, as in the engine
            sent = _fit(pending, close[t], broker.cash, cost_rate)
            submitted = [_Sent(j, size, t, True) for j, size in sent]
        pending = []
        if mask[t]:
            date = pd.Timestamp(dates[t])  # as the backtrader engine builds it
            decision = decide(context, policy, date, settings.cash_buffer)
            targets[date] = decision.weights
            diagnostics[date] = decision.diagnostics
            orders = _plan(
                universe,
                index,
                broker.size,
                close[t],
                decision.weights,
                broker.value(close[t]),
                broker.cash,
                cost_rate,
            )
            fill_day = t if fill == "same_close" else t + 1
            if fill_day < n:
                kept = []
                for j, size in orders:
                    if size < 0 or live[fill_day, j]:  # sales go through at the last price
                        kept.append((j, size))
                    else:
                        rejected.append(f"{date.date()} {universe[j]} (no price on the fill day)")
                if fill == "next_close":
                    pending = kept
                else:
                    coc = fill == "same_close"
                    submitted = [_Sent(j, size, t, coc) for j, size in kept]
        # -- the next day on which anything happens
        while k < len(rebalance_days) and rebalance_days[k] <= t:
            k += 1
        upcoming = rebalance_days[k] if k < len(rebalance_days) else n
        t = t + 1 if (submitted or pending) else upcoming

    if submitted:
        # Orders sent on the last day fill at its close (cheat-on-close): the broker takes
        # one more step, as backtrader's does on the engine's extra bar. The book after it
        # shows in the trades, not in the last day's value (measured before its fills, as
        # every day's is).
        broker_step(n, submitted)
    values = _values(close, changes)
    cash = np.empty(n)
    bounds = [c[0] for c in changes] + [n]
    for (start, level, _, _), stop in zip(changes, bounds[1:], strict=True):
        cash[start:stop] = level
    trade_frame = pd.DataFrame(
        trades, columns=["date", "ticker", "shares", "price", "value", "commission"]
    )
    trade_frame["date"] = pd.to_datetime(trade_frame["date"])
    target_frame = _target_frame(targets, universe, index)
    return EngineResult(
        values=pd.Series(values, index=calendar, name="value"),
        cash=pd.Series(cash, index=calendar, name="cash"),
        trades=trade_frame,
        targets=target_frame,
        fill=fill,
        rejected=rejected,
        diagnostics=diagnostics,
    )


def reconcile(reference: EngineResult, vector: EngineResult, rtol: float = 1e-9) -> str | None:
    """The first difference between two engines' results, or None when they agree.

    Trades must be identical in date, ticker and shares, and equal within ``rtol``
    relative in fill price, traded value and commission; rejected orders the same;
    daily values and cash equal within ``rtol`` relative.
    """
    keys = ["date", "ticker", "shares"]
    ours, theirs = vector.trades[keys], reference.trades[keys]
    if len(ours) != len(theirs):
        return f"{len(ours)} trades against backtrader's {len(theirs)}"
    differs = (ours.to_numpy() != theirs.to_numpy()).any(axis=1)
    if differs.any():
        row = int(np.flatnonzero(differs)[0])
        mine, ref = ours.iloc[row], theirs.iloc[row]
        return (
            f"trade {row}: {mine['date'].date()} {mine['ticker']} {mine['shares']!r} against "
            f"backtrader's {ref['date'].date()} {ref['ticker']} {ref['shares']!r}"
        )
    for column in ("price", "value", "commission"):
        mine, ref = vector.trades[column].to_numpy(), reference.trades[column].to_numpy()
        off = ~np.isclose(mine, ref, rtol=rtol, atol=0.0)
        if off.any():
            row = int(np.flatnonzero(off)[0])
            trade = reference.trades.iloc[row]
            return (
                f"trade {row} ({trade['date'].date()} {trade['ticker']}): {column} "
                f"{mine[row]!r} against backtrader's {ref[row]!r}"
            )
    if vector.rejected != reference.rejected:
        return (
            f"rejected orders {vector.rejected[:3]} against backtrader's {reference.rejected[:3]}"
        )
    if not vector.values.index.equals(reference.values.index):
        return "the daily calendars differ"
    for name in ("values", "cash"):
        mine, ref = getattr(vector, name), getattr(reference, name)
        off = ~np.isclose(mine.to_numpy(), ref.to_numpy(), rtol=rtol, atol=1e-6)
        if off.any():
            day = int(np.flatnonzero(off)[0])
            return (
                f"{name} on {ref.index[day].date()}: {mine.iloc[day]!r} against "
                f"backtrader's {ref.iloc[day]!r}"
            )
    return None
