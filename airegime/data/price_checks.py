"""Price sanity checks shared by every source (sample, csv, yahoo and its cache).

A series that would give wrong numbers without failing is refused here, before it
reaches a strategy: duplicated dates, non-positive or non-finite prices, blank
stretches inside a series, gaps much longer than any market closure, and long flat
stretches of identical prices. Problems that can be repaired without inventing
information are repaired and reported as notes that name the file, the ticker, the
dates and what was changed: a blank of at most ``max_fill_days`` trading days is
filled with the previous close, rows out of date order are sorted, and a leading
stretch that trades flat with near-zero volatility (a SPAC shell before its merger,
or placeholder data before a listing) is dropped, so the ticker starts after it.

The thresholds are the fields of :class:`SanityLimits`; the defaults are documented
in the README ("Price checks") and were set on the bundled sample: no real series
there trips them, and VRT's 2018-2020 shell period (annualised volatility about 7%,
against about 55% as Vertiv) does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError

Where = Callable[[str], str]
#: Columns of a ticker's frame that must be positive where present (raw_close: the
#: unadjusted close of a full-bar file, checked before it is dropped).
PRICE_COLUMNS = ("open", "high", "low", "close", "raw_close")


@dataclass(frozen=True)
class SanityLimits:
    """Thresholds of the price checks (see the module docstring and the README)."""

    #: Blank stretches inside a series up to this many trading days are filled with the
    #: previous close (with a note); longer ones are errors.
    max_fill_days: int = 3
    #: Calendar days between two consecutive prices of a series beyond which data are
    #: missing (the longest US market closure since 2001 spans 6 calendar days).
    max_gap_days: int = 10
    #: The same close this many trading days in a row is placeholder data.
    max_same_days: int = 10
    #: A leading stretch of at least this many trading days ...
    flat_min_days: int = 60
    #: ... whose rolling ``flat_min_days`` volatility (annualised) stays below this ...
    flat_max_vol: float = 0.15
    #: ... while the rest of the series is at least this many times as volatile, is
    #: shell or placeholder data and is dropped.
    flat_vol_ratio: float = 4.0


DEFAULT_LIMITS = SanityLimits()


def _days(index: pd.Index, limit: int = 3) -> str:
    """``2020-01-02, 2020-01-03 and 5 more`` for error lines."""
    dates = [pd.Timestamp(d).date().isoformat() for d in index[:limit]]
    more = len(index) - limit
    return ", ".join(dates) + (f" and {more} more" if more > 0 else "")


def _span(a: pd.Timestamp, b: pd.Timestamp) -> str:
    return f"{a.date()}..{b.date()}"


def check_rows(frame: pd.DataFrame, where: str) -> tuple[pd.DataFrame, list[str]]:
    """File-level checks of one ticker's rows (dates as index, price columns, volume).

    Refuses duplicated dates, non-finite or non-positive prices and blank values at
    the end of a file (a truncated download); sorts rows out of date order (a note).
    Blank rows elsewhere stay NaN and are judged by :func:`check_frame` on the
    combined calendar. Returns the frame and notes.
    """
    notes: list[str] = []
    dup = frame.index[frame.index.duplicated(keep=False)].unique()
    if len(dup):
        raise DataError(
            f"{where}: duplicated dates {_days(dup)}; keep one row per date "
            "(which one is right cannot be guessed)"
        )
    if not frame.index.is_monotonic_increasing:
        frame = frame.sort_index()
        notes.append(f"{where}: rows were not in date order; sorted by date")
    prices = frame[[c for c in PRICE_COLUMNS if c in frame.columns]]
    values = prices.to_numpy(dtype=float)
    bad_inf = ~np.isfinite(values) & ~np.isnan(values)
    if bad_inf.any():
        rows = frame.index[bad_inf.any(axis=1)]
        raise DataError(f"{where}: infinite prices on {_days(rows)}; fix or remove those rows")
    with np.errstate(invalid="ignore"):
        bad = values <= 0
    if bad.any():
        rows = frame.index[bad.any(axis=1)]
        cols = [c for c, hit in zip(prices.columns, bad.any(axis=0), strict=True) if hit]
        raise DataError(
            f"{where}: non-positive {'/'.join(cols)} on {_days(rows)} "
            f"({len(rows)} row{'s' if len(rows) > 1 else ''}); "
            "prices must be > 0, fix or remove those rows"
        )
    blank = frame["close"].isna().to_numpy()
    if blank.any() and not blank.all():
        last_valid = np.flatnonzero(~blank)[-1]
        if last_valid < len(frame) - 1:
            tail = frame.index[last_valid + 1 :]
            raise DataError(
                f"{where}: price blank on the last {len(tail)} rows "
                f"({_span(tail[0], tail[-1])}); the file looks truncated, download it again"
            )
    return frame, notes


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index pairs of the True runs of ``mask``."""
    padded = np.concatenate([[False], mask, [False]]).astype(int)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2], edges[1::2], strict=True))


def _flat_start(series: pd.Series, limits: SanityLimits) -> tuple[int, float, float] | None:
    """Index of the first day after a leading shell stretch, with both volatilities."""
    returns = np.log(series).diff().iloc[1:]
    n = limits.flat_min_days
    if len(returns) < 2 * n:
        return None
    rolling = returns.rolling(n).std().to_numpy() * np.sqrt(252)
    if not rolling[n - 1] < limits.flat_max_vol:
        return None
    above = np.flatnonzero(rolling[n - 1 :] >= limits.flat_max_vol)
    if not len(above):
        return None  # quiet all along (a short-bond fund): nothing to contrast with
    cut = n - 1 + int(above[0])  # first return whose window is no longer quiet
    flat = returns.iloc[:cut].std() * np.sqrt(252)
    rest = returns.iloc[cut:].std() * np.sqrt(252)
    if len(returns) - cut < n or not rest >= limits.flat_vol_ratio * flat:
        return None
    return cut + 1, float(flat), float(rest)  # +1: returns start at the second price


def check_series(
    series: pd.Series, where: str, limits: SanityLimits = DEFAULT_LIMITS
) -> tuple[pd.Series, list[str]]:
    """Checks of one ticker on the combined calendar; returns the repaired series and notes.

    ``series`` is NaN before the first and after the last price (not listed yet,
    data ended); NaN between them are blanks or missing rows.
    """
    notes: list[str] = []
    valid = series.dropna()
    if valid.empty:
        return series, notes
    first, last = valid.index[0], valid.index[-1]
    inside = series.loc[first:last]
    for a, b in _runs(inside.isna().to_numpy()):
        days = inside.index[a:b]
        if b - a > limits.max_fill_days:
            raise DataError(
                f"{where}: no price on {b - a} trading days {_span(days[0], days[-1])} "
                f"inside the series; fill them or drop the ticker"
            )
        notes.append(
            f"{where}: no price on {_days(days)}; filled with the previous close "
            f"({inside.iloc[a - 1]:.6g})"
        )
    if notes:
        series = series.copy()
        series.loc[first:last] = inside.ffill()
        valid = series.dropna()
    gaps = valid.index.to_series().diff().dt.days.to_numpy()
    long_gap = np.flatnonzero(gaps > limits.max_gap_days)
    if len(long_gap):
        i = long_gap[0]
        raise DataError(
            f"{where}: no rows between {valid.index[i - 1].date()} and {valid.index[i].date()} "
            f"({gaps[i]:.0f} calendar days; markets close for at most a few); "
            "rows are missing, download or fix the file"
        )
    same = np.concatenate([[False], valid.to_numpy()[1:] == valid.to_numpy()[:-1]])
    for a, b in _runs(same):
        if b - a + 1 >= limits.max_same_days:
            days = valid.index[a - 1 : b]
            raise DataError(
                f"{where}: the same close {valid.iloc[a]:.6g} on {len(days)} days in a row "
                f"({_span(days[0], days[-1])}): placeholder data, not prices; fix the file"
            )
    shell = _flat_start(valid, limits)
    if shell is not None:
        start, flat, rest = shell
        new_first = valid.index[start]
        series = series.copy()
        series.loc[:new_first] = np.nan
        series.loc[new_first] = valid.iloc[start]
        notes.append(
            f"{where}: {_span(first, valid.index[start - 1])} trades flat (annualised "
            f"volatility {flat:.0%}, against {rest:.0%} after): shell or placeholder data, "
            f"dropped; the ticker starts {new_first.date()}"
        )
    return series, notes


def check_frame(
    close: pd.DataFrame, where: Where, limits: SanityLimits = DEFAULT_LIMITS
) -> tuple[pd.DataFrame, list[str]]:
    """:func:`check_series` for every column of a wide close frame."""
    notes: list[str] = []
    columns = {}
    for ticker in close.columns:
        columns[ticker], found = check_series(close[ticker], where(ticker), limits)
        notes += found
    if not notes:
        return close, notes
    return pd.DataFrame(columns, index=close.index), notes
