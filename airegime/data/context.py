"""The market context: everything a run loaded (prices, reference tables, fundamentals).

A :class:`MarketContext` is built once per run (and once per sweep) by
:mod:`airegime.loading`; strategies never read it directly but through an
:class:`~airegime.asof.AsOfView`, which cuts it at a rebalance date. The context
memoises what views derive from it that no strategy parameter changes (tradable
names, fundamentals metrics, China shares per date), so every point of a sweep,
and every worker forked after the first point ran, shares one computation. A
context is read-only once loaded; a copy whose prices, fundamentals, China table
or extras were replaced starts afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd

from .prices import PriceData

if TYPE_CHECKING:
    from .china import ChinaExposure
    from .fundamentals import FundamentalsStore

T = TypeVar("T")
_MISSING = object()


class LazyTable:
    """A table computed on its first read, then kept: for inputs that cost seconds at
    scale and that many runs never read (the market-implied China shares). ``compute``
    should pickle (a module-level function or a ``functools.partial`` of one) so that a
    context sent to sweep workers can still compute it."""

    def __init__(self, compute: Callable[[], pd.DataFrame]) -> None:
        self._compute: Callable[[], pd.DataFrame] | None = compute
        self._value: pd.DataFrame | None = None

    def get(self) -> pd.DataFrame:
        if self._value is None:
            assert self._compute is not None
            self._value, self._compute = self._compute(), None
        return self._value


@dataclass
class MarketContext:
    """What a run knows in total; strategies only ever see slices of it."""

    prices: PriceData
    universe: list[str]
    groups: dict[str, str] = field(default_factory=dict)
    suppliers: list[str] = field(default_factory=list)
    fundamentals: FundamentalsStore | None = None
    china: ChinaExposure | None = None
    #: Market-implied China revenue shares (date x ticker), from
    #: :func:`airegime.data.china_market.attach_china`; row D uses prices up to D only.
    china_market: pd.DataFrame | LazyTable | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    #: Days after its filing date before a China figure counts (as ``data.filing_lag_days``).
    filing_lag_days: int = 0

    def memoised(self, key: tuple, compute: Callable[[], T]) -> T:
        """``compute()`` once per key for this context's data (see the module docstring)."""
        held = self.__dict__.get("_memo")
        if held is None or not self._same_sources(held[0]):
            sources = (
                self.prices,
                self.universe,
                self.fundamentals,
                self.china,
                self.china_market,
                self.extras,
            )
            held = self.__dict__["_memo"] = (sources, {})
        value = held[1].get(key, _MISSING)  # one lookup when it is known (the usual case)
        if value is _MISSING:
            value = held[1][key] = compute()
        return value

    def _same_sources(self, sources: tuple) -> bool:
        prices, universe, fundamentals, china, china_market, extras = sources
        return (
            prices is self.prices
            and universe is self.universe
            and fundamentals is self.fundamentals
            and china is self.china
            and china_market is self.china_market
            and extras is self.extras
        )

    def market_china_shares(self) -> pd.DataFrame | None:
        """The market-implied China shares (date x ticker), computed on first read."""
        table = self.china_market
        return table.get() if isinstance(table, LazyTable) else table

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
