"""From target weights to share orders: a pure function, sells before buys.

The engine calls :func:`plan_orders` on each rebalance date. Buys are scaled
down together when the cash left after the sells (net of estimated commission
and slippage) would not pay for them, so an order is never rejected for
margin and the portfolio never borrows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Order:
    ticker: str
    shares: float  # positive buys, negative sells


def clean_weights(weights: pd.Series, tradable: list[str], cash_buffer: float) -> pd.Series:
    """Validate a strategy's weights and scale them to leave ``cash_buffer`` in cash.

    NaN counts as zero; names that cannot trade on the date get zero; negative
    weights or a sum above one are programming errors of the strategy.
    """
    w = weights if _is_float_series(weights) else pd.Series(weights, dtype=float)
    arr, index = w.to_numpy(), w.index
    allowed = set(tradable)
    plain = (arr > 0).all() and np.isfinite(arr).all()  # the usual case: nothing to drop
    if not (plain and all(t in allowed for t in index.tolist())):
        arr = np.nan_to_num(arr, nan=0.0, posinf=np.inf, neginf=-np.inf)
        if (arr < -1e-12).any():
            bad = ", ".join(index[arr < 0].astype(str))
            raise ValueError(f"negative target weights for {bad}: strategies are long-only")
        keep = (arr > 0) & np.array([t in allowed for t in index], dtype=bool)
        arr, index = arr[keep], index[keep]
    total = float(arr.sum())
    if total > 1 + 1e-9:
        raise ValueError(f"target weights sum to {total:.6f} > 1")
    return pd.Series(arr * (1.0 - cash_buffer), index=index, name=w.name)


def _is_float_series(weights: object) -> bool:
    return isinstance(weights, pd.Series) and weights.dtype == np.float64


def plan_orders(
    shares: pd.Series,
    prices: pd.Series,
    targets: pd.Series,
    value: float,
    cash: float,
    cost_rate: float,
    min_trade_value: float = 1e-6,
) -> list[Order]:
    """Orders that move ``shares`` to ``targets`` (weights of ``value``) at ``prices``.

    ``cost_rate`` is commission plus slippage as a fraction of traded value.
    Sells come first in the returned list.
    """
    names = shares.index.union(targets.index)
    held = shares.reindex(names, fill_value=0.0)
    px = prices.reindex(names)
    goal = (targets.reindex(names, fill_value=0.0) * value / px).fillna(0.0)
    delta = goal - held
    traded = (delta.abs() * px).fillna(0.0)
    delta[traded < min_trade_value] = 0.0
    orders = [Order(t, float(s)) for t, s in delta[delta < 0].items()]
    orders += [Order(t, float(s)) for t, s in delta[delta > 0].items()]
    return fit_to_cash(orders, px, cash, cost_rate)


def fit_to_cash(
    orders: list[Order], prices: pd.Series, cash: float, cost_rate: float
) -> list[Order]:
    """Sells first, then buys scaled down together to what ``cash`` plus the sells pay for.

    Used when orders are planned and again, with the fill day's prices, just before
    orders sized on an earlier day are sent (``next_close``), so a buy is never
    rejected for lack of cash.
    """
    sells = [o for o in orders if o.shares < 0]
    buys = [o for o in orders if o.shares > 0]
    scale = buy_scale(
        [-o.shares * float(prices[o.ticker]) for o in sells],
        [o.shares * float(prices[o.ticker]) for o in buys],
        cash,
        cost_rate,
    )
    return sells + [Order(o.ticker, o.shares * scale) for o in buys if o.shares * scale > 0]


def buy_scale(sold: list[float], bought: list[float], cash: float, cost_rate: float) -> float:
    """The factor every buy is scaled by so that ``cash`` plus the sales (values ``sold``,
    net of costs) pay for the buys (values ``bought``, plus costs): 1 when they already do,
    0 when nothing is left. The one budget rule of both engines."""
    budget = cash + sum(sold) * (1 - cost_rate)
    spend = sum(bought) * (1 + cost_rate)
    if spend > budget > 0 and spend > 0:
        return (budget / spend) * (1 - 1e-9)
    if budget <= 0:
        return 0.0
    return 1.0


def rebalance_mask(index: pd.DatetimeIndex, frequency: str) -> np.ndarray:
    """True on the first day of ``index`` and on the first trading day of each period."""
    code = {"weekly": "W", "monthly": "M", "quarterly": "Q"}[frequency]
    periods = index.to_period(code).asi8
    mask = np.ones(len(index), dtype=bool)
    mask[1:] = periods[1:] != periods[:-1]
    return mask
