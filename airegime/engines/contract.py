"""The engine contract: what goes into an engine and what comes out.

Both engines (:mod:`airegime.engines.backtrader_engine`, the reference, and
:mod:`airegime.engines.vector_engine`, its exact twin) take a market context, a
strategy and :class:`EngineSettings` and return an :class:`EngineResult`; fill
timing is a setting of this contract (:mod:`airegime.engines.rebalance`), not of
either engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..data.context import MarketContext
from ..errors import DataError


@dataclass
class EngineSettings:
    start: pd.Timestamp
    end: pd.Timestamp
    rebalance: str = "monthly"
    initial_cash: float = 1_000_000.0
    commission_bps: float = 0.0
    slippage_bps: float = 0.0
    cash_buffer: float = 0.0
    fill: str = "auto"

    @property
    def cost_rate(self) -> float:
        """What a buy costs per unit of value beyond its price: the commission is charged
        on the slipped price, so (1 + s)(1 + c) - 1; budgeting with it never overspends."""
        c, s = self.commission_bps / 1e4, self.slippage_bps / 1e4
        return c + s + c * s


@dataclass
class EngineResult:
    """What happened, day by day: values, cash, trades and the target weights asked for."""

    values: pd.Series
    cash: pd.Series
    trades: pd.DataFrame
    targets: pd.DataFrame
    fill: str
    rejected: list[str]
    #: Per rebalance date, why the strategy chose its weights (``Decision.diagnostics``).
    diagnostics: dict[pd.Timestamp, dict[str, Any]] = field(default_factory=dict)


def trading_calendar(context: MarketContext, settings: EngineSettings) -> pd.DatetimeIndex:
    """The days of the backtest window on which at least one universe ticker has a price
    (memoised on the context per window: every point of a sweep shares it)."""
    return context.memoised(
        ("trading_calendar", settings.start, settings.end),
        lambda: _trading_calendar(context, settings),
    )


def _trading_calendar(context: MarketContext, settings: EngineSettings) -> pd.DatetimeIndex:
    closes = context.prices.close
    calendar = closes.index[(closes.index >= settings.start) & (closes.index <= settings.end)]
    calendar = calendar[closes.loc[calendar, context.universe].notna().any(axis=1).to_numpy()]
    if len(calendar) < 2:
        raise DataError(
            f"fewer than two trading days with prices in {settings.start.date()}"
            f"..{settings.end.date()}; widen start/end"
        )
    return calendar


def holdings_from_trades(
    trades: pd.DataFrame, calendar: pd.DatetimeIndex, tickers: list[str]
) -> pd.DataFrame:
    """Shares held at each day's close, rebuilt from the fills."""
    if trades.empty:
        return pd.DataFrame(0.0, index=calendar, columns=tickers)
    flows = trades.pivot_table(index="date", columns="ticker", values="shares", aggfunc="sum")
    held = flows.reindex(columns=tickers, fill_value=0.0).fillna(0.0).cumsum()
    return held.reindex(calendar, method="ffill").fillna(0.0)


def daily_weights(
    result: EngineResult, closes: pd.DataFrame, filled: np.ndarray | None = None
) -> pd.DataFrame:
    """Each ticker's share of portfolio value at each day's close.

    ``filled``: :func:`filled_closes` of ``closes`` on the result's calendar, when the
    caller keeps it across runs (a sweep's points share it).
    """
    calendar = result.values.index
    tickers = list(closes.columns)
    trades = result.trades
    if filled is None:
        filled = filled_closes(closes, calendar)
    if trades.empty or trades.duplicated(["date", "ticker"]).any():
        held = holdings_from_trades(trades, calendar, tickers)
        columns = held.columns
        held = held.to_numpy()
    else:  # one fill per day and name: the pivot is a scatter (same sums, no grouping)
        days = pd.DatetimeIndex(trades["date"])
        unique = days.unique().sort_values()
        position = {t: j for j, t in enumerate(tickers)}
        flows = np.zeros((len(unique), len(tickers)))
        cols = np.array([position.get(t, -1) for t in trades["ticker"].tolist()], dtype=int)
        rows = unique.get_indexer(days)
        ok = cols >= 0
        flows[rows[ok], cols[ok]] = trades["shares"].to_numpy(dtype=float)[ok]
        total = np.cumsum(flows, axis=0)
        at = unique.searchsorted(calendar, side="right") - 1  # the last trade day on or before
        held = np.where((at >= 0)[:, None], total[np.maximum(at, 0)], 0.0)
        columns = pd.Index(tickers, name="ticker")
    weights = held * filled / result.values.to_numpy()[:, None]
    weights = np.where(np.abs(weights) > 1e-12, weights, 0.0)
    return pd.DataFrame(weights, index=calendar, columns=columns)


def filled_closes(closes: pd.DataFrame, calendar: pd.DatetimeIndex) -> np.ndarray:
    """``closes`` on ``calendar``, gaps filled forward then backward: float (days, names)."""
    return closes.reindex(calendar).ffill().bfill().to_numpy()
