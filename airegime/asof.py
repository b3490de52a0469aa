"""The as-of view: the one gate through which a strategy sees the world on date D.

:class:`MarketContext` holds everything a run loaded (prices, reference tables,
fundamentals); :meth:`MarketContext.view` cuts it at a date. Prices are cut by
position (rows up to and including D), fundamentals and China exposure by
filing date, so a strategy cannot read the future by construction. The
look-ahead tests exercise this class, not each strategy.

What a view reads does not depend on any strategy parameter, so the context
memoises it (tradable names, fundamentals metrics, fiscal-year history, China
shares, per date): every point of a sweep, and every worker forked after the
first point ran, shares one computation. A context is read-only once loaded; a
copy whose prices, fundamentals, China table or extras were replaced starts afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd

from .prices import PriceData

if TYPE_CHECKING:
    from .china import ChinaExposure
    from .fundamentals import FundamentalsStore

T = TypeVar("T")


@dataclass
class MarketContext:
    """What a run knows in total; strategies only ever see slices of it."""

    prices: PriceData
    universe: list[str]
    groups: dict[str, str] = field(default_factory=dict)
    suppliers: list[str] = field(default_factory=list)
    fundamentals: FundamentalsStore | None = None
    china: ChinaExposure | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def view(self, date: pd.Timestamp) -> AsOfView:
        return AsOfView(self, pd.Timestamp(date))

    def memoised(self, key: tuple, compute: Callable[[], T]) -> T:
        """``compute()`` once per key for this context's data (see the module docstring)."""
        sources = (self.prices, self.universe, self.fundamentals, self.china, self.extras)
        held = self.__dict__.get("_memo")
        if held is None or any(a is not b for a, b in zip(held[0], sources, strict=True)):
            held = self.__dict__["_memo"] = (sources, {})
        memo = held[1]
        if key not in memo:
            memo[key] = compute()
        return memo[key]

    def fingerprint(self) -> str:
        """A short hash of every input a run read: prices, facts, China table, events."""
        return self.memoised(("fingerprint",), self._fingerprint)

    def _fingerprint(self) -> str:
        import hashlib

        digest = hashlib.sha256(self.prices.fingerprint().encode())
        if self.fundamentals is not None:
            digest.update(pd.util.hash_pandas_object(self.fundamentals.facts).to_numpy().tobytes())
        if self.china is not None:
            digest.update(pd.util.hash_pandas_object(self.china.table).to_numpy().tobytes())
        regimes = self.extras.get("regimes")
        if regimes is not None:
            digest.update(repr(regimes.events).encode())
        return digest.hexdigest()[:16]


class AsOfView:
    """Prices up to ``date``, fundamentals filed on or before it, exposure known by it."""

    def __init__(self, context: MarketContext, date: pd.Timestamp) -> None:
        self._context = context
        self.date = date
        self._end = int(context.prices.close.index.searchsorted(date, side="right"))

    @property
    def universe(self) -> list[str]:
        return list(self._context.universe)

    @property
    def groups(self) -> dict[str, str]:
        return dict(self._context.groups)

    @property
    def suppliers(self) -> list[str]:
        """Groups the article calls suppliers (chips, equipment, power, data centers)."""
        return list(self._context.suppliers)

    def closes(self, tickers: list[str] | None = None, lookback: int | None = None) -> pd.DataFrame:
        """Adjusted closes up to and including the view's date (the universe by default)."""
        close = self._context.prices.close
        start = 0 if lookback is None else max(0, self._end - lookback)
        return close.iloc[start : self._end][tickers if tickers is not None else self.universe]

    def series(self, ticker: str, lookback: int | None = None) -> pd.Series:
        """One loaded series up to the view's date (benchmark, regime ETFs...)."""
        return self.closes([ticker], lookback)[ticker]

    def tradable(self) -> list[str]:
        """Universe tickers with a real price on the view's date (listed and not ended)."""
        return list(self._context.memoised(("tradable", self.date), self._tradable))

    def _tradable(self) -> list[str]:
        if self._end == 0:
            return []
        last = self._context.prices.close.iloc[self._end - 1][self.universe]
        listed = last.notna().to_numpy()
        on_date = self._context.prices.close.index[self._end - 1] == self.date
        return [t for t, ok in zip(self.universe, listed, strict=True) if ok and on_date]

    def fundamentals(self, tickers: list[str] | None = None) -> pd.DataFrame:
        """Point-in-time fundamental metrics by ticker (NaN where nothing was filed yet)."""
        tickers = list(tickers) if tickers is not None else self.universe
        if not set(tickers) <= set(self.universe):
            return self._fundamentals(tickers)
        # One row per ticker, so any list of names is a cut of the universe's frame.
        key = ("fundamentals", self.date, tuple(tickers))
        cut = self._context.memoised(key, lambda: self._universe_fundamentals().reindex(tickers))
        return cut.copy(deep=False)

    def _universe_fundamentals(self) -> pd.DataFrame:
        key = ("fundamentals", self.date)
        return self._context.memoised(key, lambda: self._fundamentals(self.universe))

    def _fundamentals(self, tickers: list[str]) -> pd.DataFrame:
        store = self._context.fundamentals
        if store is None:
            return pd.DataFrame(index=pd.Index(tickers, name="ticker"))
        prices = self.closes(tickers, lookback=10).ffill().iloc[-1] if self._end else None
        return store.metrics_asof(tickers, self.date, prices)

    def annual_history(self, ticker: str) -> pd.DataFrame:
        """Fiscal-year flows of one company as known on the view's date (oldest first)."""
        store = self._context.fundamentals
        if store is None:
            return pd.DataFrame()
        key = ("annual_history", self.date, ticker)
        history = self._context.memoised(key, lambda: store.annual_history(ticker, self.date))
        return history.copy(deep=False)

    def china_share(self, tickers: list[str] | None = None) -> pd.Series:
        """China revenue share by ticker as known on the view's date (NaN = unknown)."""
        tickers = list(tickers) if tickers is not None else self.universe
        china = self._context.china
        if china is None:
            return pd.Series(np.nan, index=pd.Index(tickers, name="ticker"), dtype=float)
        if not set(tickers) <= set(self.universe):
            return china.share_asof(tickers, self.date)
        key = ("china_share", self.date)
        share = self._context.memoised(key, lambda: china.share_asof(self.universe, self.date))
        values = share.to_numpy()[[self._position[t] for t in tickers]]
        return pd.Series(values, index=pd.Index(tickers, name="ticker"), name=share.name)

    @property
    def _position(self) -> dict[str, int]:
        return self._context.memoised(
            ("position",), lambda: {t: j for j, t in enumerate(self._context.universe)}
        )

    def extra(self, key: str, default: Any = None) -> Any:
        """Run-level inputs a strategy asked for (regime events and the like)."""
        return self._context.extras.get(key, default)
