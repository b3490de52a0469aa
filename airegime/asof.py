"""The as-of view: the one gate through which a strategy sees the world on date D.

:class:`~airegime.data.context.MarketContext` holds everything a run loaded
(prices, reference tables, fundamentals); ``AsOfView(context, date)`` cuts it at a
date. Prices are cut by
position (rows up to and including D), fundamentals and China exposure by
filing date, so a strategy cannot read the future by construction. The
look-ahead tests exercise this class, not each strategy.

The view is also where a strategy says *why* it chose its weights: it may call
:meth:`AsOfView.record_scores`, :meth:`AsOfView.exclude`, :meth:`AsOfView.tag`,
:meth:`AsOfView.signal`, :meth:`AsOfView.note`, :meth:`AsOfView.record_components` (on
how many of its active rules each name was scored: the run's coverage) and
:meth:`AsOfView.record_selection` (the score a selection ranked on, and a tie that
decided it) while it decides. The engine
(:func:`airegime.engines.rebalance.decide`) stores what was recorded per rebalance date in
the run folder (``diagnostics.json``); ``airegime explain`` and the portfolio page
read it from there. Recording is optional and never changes the weights.

What a view reads does not depend on any strategy parameter, so the context
memoises it (tradable names, fundamentals metrics, fiscal-year history, China
shares, per date): every point of a sweep, and every worker forked after the
first point ran, shares one computation. A context is read-only once loaded; a
copy whose prices, fundamentals, China table or extras were replaced starts afresh.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from .data.context import MarketContext

_COPY_ON_WRITE = (
    int(pd.__version__.split(".")[0]) >= 3 or pd.get_option("mode.copy_on_write") is True
)
T = TypeVar("T")


class AsOfView:
    """Prices up to ``date``, fundamentals filed on or before it, exposure known by it."""

    def __init__(self, context: MarketContext, date: pd.Timestamp | str) -> None:
        self._context = context
        self.date = pd.Timestamp(date)
        self._day = self.date.value  # the memo's key for the date (an int hashes faster)
        # rows of the closes up to the date (memoised: every point of a sweep asks again)
        self._end = context.memoised(
            ("asof_end", self._day),
            lambda: int(context.prices.close.index.searchsorted(self.date, side="right")),
        )
        self._diagnostics: dict[str, Any] = {
            "scores": {},
            "excluded": {},
            "tags": {},
            "signals": {},
            "notes": [],
            "components": {},
            "selections": {},
        }

    @property
    def universe(self) -> list[str]:
        return list(self._context.universe)

    @property
    def groups(self) -> dict[str, str]:
        return dict(self._context.groups)

    @property
    def filing_lag_days(self) -> int:
        """Days after its filing date before a China figure counts (``data.filing_lag_days``)."""
        return self._context.filing_lag_days

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
        close = self._context.prices.close
        if close.index[self._end - 1] != self.date:
            return []
        # the universe's columns of the closes, as an array (memoised: one per context)
        listed = self._context.memoised(
            ("universe_listed",), lambda: close[self.universe].notna().to_numpy()
        )
        return [t for t, ok in zip(self.universe, listed[self._end - 1], strict=True) if ok]

    def fundamentals(self, tickers: list[str] | None = None) -> pd.DataFrame:
        """Point-in-time fundamental metrics by ticker (NaN where nothing was filed yet)."""
        tickers = list(tickers) if tickers is not None else self.universe
        if not set(tickers) <= set(self.universe):
            return self._fundamentals(tickers)
        # One row per ticker, so any list of names is a cut of the universe's frame.
        key = ("fundamentals", self.date, tuple(tickers))
        universe = self._universe_fundamentals
        same = tickers == self._context.universe  # the universe's frame itself, copied below
        cut = self._context.memoised(
            key, lambda: universe() if same else universe().reindex(tickers)
        )
        return private_copy(cut)

    def _universe_fundamentals(self) -> pd.DataFrame:
        key = ("fundamentals", self.date)
        return self._context.memoised(key, lambda: self._fundamentals(self.universe))

    def _fundamentals(self, tickers: list[str]) -> pd.DataFrame:
        store = self._context.fundamentals
        if store is None:
            return pd.DataFrame(index=pd.Index(tickers, name="ticker"))
        prices = None
        if self._end:
            # the last close within the 10 rows up to the date (the fill is memoised)
            close = self._context.prices.close
            recent = self._context.memoised(
                ("closes_filled_10",), lambda: close.ffill(limit=9).to_numpy(dtype=float)
            )
            columns = close.columns.get_indexer(tickers)
            if (columns >= 0).all():
                prices = pd.Series(recent[self._end - 1, columns], index=pd.Index(tickers))
            else:
                prices = self.closes(tickers, lookback=10).ffill().iloc[-1]
        return store.metrics_asof(tickers, self.date, prices)

    def annual_history(self, ticker: str) -> pd.DataFrame:
        """Fiscal-year flows of one company as known on the view's date (oldest first)."""
        store = self._context.fundamentals
        if store is None:
            return pd.DataFrame()
        key = ("annual_history", self.date, ticker)
        history = self._context.memoised(key, lambda: store.annual_history(ticker, self.date))
        return private_copy(history)

    def capex_breach_counts(self, years: int) -> pd.Series:
        """Per universe name, the fiscal years among the last ``years`` (1..15) of its
        :meth:`annual_history` in which capex exceeded operating cash flow (years with
        both known; 0 without any), read from the point-in-time panel in one step."""
        store = self._context.fundamentals
        if store is None:
            return pd.Series(0.0, index=pd.Index(self.universe, name="ticker"))
        key = ("capex_breach_counts", self.date, years)
        counts = self._context.memoised(
            key, lambda: store.capex_breach_counts(self.universe, self.date, years)
        )
        return counts.copy(deep=not _COPY_ON_WRITE)

    def china_share(
        self, tickers: list[str] | None = None, measure: str = "disclosed"
    ) -> pd.Series:
        """China revenue share by ticker as known on the view's date (NaN = unknown).

        ``measure``: ``disclosed`` (filings, known from their filing date), ``market``
        (the market-implied share from prices up to the view's date) or ``blend``
        (disclosed where known, else market-implied).
        """
        tickers = list(tickers) if tickers is not None else self.universe
        if measure not in ("disclosed", "market", "blend"):
            raise ValueError(f"china measure '{measure}': expected disclosed, market or blend")
        if not set(tickers) <= set(self.universe):
            return self._china_share(tickers, measure)
        key = ("china_share", measure, self.date, self._context.filing_lag_days)
        share = self._context.memoised(key, lambda: self._china_share(self.universe, measure))
        index = pd.Index(tickers, name="ticker")
        values = share.to_numpy()[share.index.get_indexer(index)]
        return pd.Series(values, index=index, name=share.name)

    def _china_share(self, tickers: list[str], measure: str) -> pd.Series:
        index = pd.Index(tickers, name="ticker")
        unknown = pd.Series(np.nan, index=index, dtype=float, name="china_revenue_share")
        disclosed = unknown
        if measure != "market" and self._context.china is not None:
            known_by = self.date - pd.Timedelta(days=self._context.filing_lag_days)
            disclosed = self._context.china.share_asof(tickers, known_by)
        if measure == "disclosed":
            return disclosed
        market = unknown
        table = self._context.market_china_shares()
        if table is not None and self._end > 0:
            market = table.iloc[self._end - 1].reindex(tickers).astype(float)
            market.index, market.name = index, "china_revenue_share"
        return market if measure == "market" else disclosed.fillna(market)

    def cached(self, key: tuple, compute: Callable[[], T]) -> T:
        """``compute()`` once per view date and ``key`` for this context: for values a
        strategy derives from what the view shows, which depend on nothing but the date
        and the key (put any parameter they use in the key). Treat the result as read-only.
        """
        return self._context.memoised(("cached", self._day, *key), compute)

    def extra(self, key: str, default: Any = None) -> Any:
        """Run-level inputs a strategy asked for (regime events and the like)."""
        return self._context.extras.get(key, default)

    # --- diagnostics: why the strategy chose its weights -------------------------------

    def record_scores(self, scores: pd.Series, name: str = "score") -> None:
        """Remember a score by ticker (e.g. ``"composite"``); NaN means no score."""
        if not (isinstance(scores, pd.Series) and scores.dtype == np.float64):
            scores = pd.Series(scores, dtype=float)
        tickers = [str(t) for t in scores.index.tolist()]
        self._diagnostics["scores"][name] = scores_record(tickers, scores.to_numpy())

    def record_scores_dict(self, recorded: dict[str, float | None], name: str = "score") -> None:
        """:meth:`record_scores` of a score already in its recorded form
        (:func:`scores_record`): for a strategy that memoises it across sweep points. A
        view keeps its own copy either way."""
        kept = recorded.copy_for_view() if isinstance(recorded, ScoresRecord) else dict(recorded)
        self._diagnostics["scores"][name] = kept

    def record_components(self, scored: pd.Series, active: int | pd.Series) -> None:
        """How many of the ``active`` components each name was scored on (the rest had no
        data): the rules a composite combines, or the metrics of a single rule.

        ``scored``: int by ticker; ``active``: one count for all, or int by ticker. Stored
        as ``diagnostics["components"][ticker] = [scored, active]`` (a later record of a
        name replaces it); a run's coverage is the target weight in names with
        scored < active.
        """
        counts = pd.Series(scored)
        found = counts.to_numpy().astype(int).tolist()
        totals = (
            active.reindex(counts.index).to_numpy().astype(int).tolist()
            if isinstance(active, pd.Series)
            else [int(active)] * len(found)
        )
        components = self._diagnostics["components"]
        for ticker, k, n in zip(counts.index.tolist(), found, totals, strict=True):
            components[str(ticker)] = [k, n]

    def record_components_dict(self, counts: dict[str, list[int]]) -> None:
        """:meth:`record_components` from ``{ticker: [scored, active]}`` (copied: a strategy
        may share ``counts`` across sweep points)."""
        self._diagnostics["components"].update(zip(counts, map(list, counts.values()), strict=True))

    def record_selection(
        self,
        score: str,
        method: str,
        top_n: int | None = None,
        tie: dict[str, Any] | None = None,
    ) -> None:
        """The score a selection ranked on, its method, and a tie at the top-N boundary
        that decided weights (``{"names": [...], "slots": k, "value": v}``: the tied names
        shared k slots). Stored under ``diagnostics["selections"][score]``."""
        entry: dict[str, Any] = {"method": method}
        if top_n is not None:
            entry["top_n"] = int(top_n)
        if tie:
            entry["tie"] = tie
        self._diagnostics["selections"][score] = entry

    def exclude(self, tickers: str | list[str] | pd.Series | pd.Index, reason: str) -> None:
        """Say that ``tickers`` got no weight because of ``reason`` (a rule, in words).

        ``tickers`` may be a boolean Series: the names where it is True are excluded.
        The first reason recorded for a name is kept.
        """
        for ticker in _names(tickers):
            self._diagnostics["excluded"].setdefault(ticker, reason)

    def tag(self, tickers: str | list[str] | pd.Series | pd.Index, text: str) -> None:
        """Annotate names that stay in the portfolio (e.g. ``"weight x0.5: capex > OCF"``)."""
        for ticker in _names(tickers):
            self._diagnostics["tags"].setdefault(ticker, []).append(text)

    def signal(self, name: str, value: float | bool | str) -> None:
        """A regime signal or setting that shaped the portfolio (e.g. ``defensive_share``)."""
        if isinstance(value, bool | np.bool_):
            value = bool(value)
        elif isinstance(value, int | float | np.integer | np.floating):
            value = None if np.isnan(value) else float(value)
        self._diagnostics["signals"][name] = value

    def note(self, text: str) -> None:
        """The rule applied, in words (e.g. ``"top 6 of 10 eligible by composite score"``)."""
        if text not in self._diagnostics["notes"]:
            self._diagnostics["notes"].append(text)

    def diagnostics(self) -> dict[str, Any]:
        """Everything recorded so far, empty parts left out (JSON-ready)."""
        return {k: v for k, v in self._diagnostics.items() if v}


class ScoresRecord(dict):
    """A score as :meth:`AsOfView.record_scores` keeps it (``{ticker: value or None}``).

    A strategy may make one once and record it on many views (the sweep points that
    share a date): :meth:`AsOfView.record_scores_dict` keeps a copy per view, so what one
    point's code does to its diagnostics never reaches another, and a copy nobody edited
    renders the shared record's JSON, made once (:meth:`as_json`). Any edit, of the copy
    or of the shared record, is noticed (each edit counts a version), so the text is
    always ``json.dumps`` of what the record holds."""

    def as_json(self) -> str:
        """``json.dumps(self)``: the shared record's text when this is an unedited copy of
        it and it was not edited since."""
        link = self.__dict__.get("_source")
        if link is not None:
            source, version = link
            if source.__dict__.get("_version", 0) == version:
                return source.as_json()
            return json.dumps(self)
        text = self.__dict__.get("_json")
        if text is None:
            text = self.__dict__["_json"] = json.dumps(self)
        return text

    def copy_for_view(self) -> ScoresRecord:
        """A copy that a view may hand to a strategy (edits stay in the copy)."""
        out = ScoresRecord(self)
        link = self.__dict__.get("_source")
        if link is None or link[0].__dict__.get("_version", 0) != link[1]:
            link = (self, self.__dict__.get("_version", 0))
        out.__dict__["_source"] = link
        return out

    def _edited(self) -> None:
        self.__dict__.pop("_source", None)
        self.__dict__.pop("_json", None)
        self.__dict__["_version"] = self.__dict__.get("_version", 0) + 1

    def __setitem__(self, key: Any, value: Any) -> None:
        self._edited()
        super().__setitem__(key, value)

    def __delitem__(self, key: Any) -> None:
        self._edited()
        super().__delitem__(key)

    def __ior__(self, other: Any) -> ScoresRecord:
        self._edited()
        return super().__ior__(other)

    def clear(self) -> None:
        self._edited()
        super().clear()

    def pop(self, *args: Any) -> Any:
        self._edited()
        return super().pop(*args)

    def popitem(self) -> tuple[Any, Any]:
        self._edited()
        return super().popitem()

    def setdefault(self, key: Any, default: Any = None) -> Any:
        self._edited()
        return super().setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._edited()
        super().update(*args, **kwargs)


def scores_record(tickers: list[str], values: np.ndarray) -> ScoresRecord:
    """A score as :meth:`AsOfView.record_scores` keeps it: ``{ticker: value}`` rounded to
    six decimals, None where NaN (``values``: float (n,), one per ticker)."""
    return ScoresRecord(
        (t, None if v != v else round(v, 6))  # v != v: NaN
        for t, v in zip(tickers, values.tolist(), strict=True)
    )


def private_copy(frame: T) -> T:
    """A copy of a memoised frame or Series that a strategy may edit without changing the
    memo: lazy under copy-on-write (pandas 3, or pandas 2 with the option on), a real copy
    otherwise."""
    return frame.copy(deep=not _COPY_ON_WRITE)


def _names(tickers: str | list[str] | pd.Series | pd.Index) -> list[str]:
    if isinstance(tickers, str):
        return [tickers]
    if isinstance(tickers, pd.Series) and pd.api.types.is_bool_dtype(tickers.dtype):
        mask = (
            tickers.to_numpy()
            if tickers.dtype == np.bool_
            else tickers.fillna(False).to_numpy(dtype=bool)
        )
        tickers = tickers.index[mask]
    return [str(t) for t in tickers]
