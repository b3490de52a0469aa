"""Price sanity checks shared by every source (sample, csv, yahoo and its cache).

A series that would give wrong numbers without failing is refused here, before it
reaches a strategy: duplicated dates, non-positive or non-finite prices, blank
stretches inside a series, sessions of the exchange without a price, long flat
stretches of identical prices, one-day moves the size of a stock split that the
series' own past never came near (a file not adjusted for a split), and any other
one-day move beyond ``max_day_move`` that its past never came near (a bad print); in
full-bar files, a row whose open or close lies outside its low..high, and a jump of the
adjustment factor ``adj_close / close`` beyond ``max_day_move`` that no split explains
(a typo in the raw close). Problems that can be repaired without inventing information
are repaired and reported as notes that name the file, the ticker, the dates and what was
changed.

**No look-ahead.** Every repair that changes a price on date D uses only prices up to
D, or a fixed, dated list: a blank of at most ``max_fill_days`` sessions takes the
previous close; a split is judged against the volatility *before* its day; rows
before a ticker's first day as the company meant (``data/first_days.csv``, e.g. VRT
before its SPAC merger) are dropped; a split listed in ``data/splits.csv`` that the
file is not adjusted for is adjusted (earlier prices divided by its ratio, so returns
never see it). A leading flat stretch that looks like a shell is only *noted*: telling
a shell from a calm start takes the prices after it, so dropping it would let later
prices decide what was tradable earlier.

**Calendars.** Gaps are judged against the exchange's own calendar
(``exchange_calendars``; ``data.calendar``, default XNYS), so Golden Week passes on
XSHG and a missing NYSE week fails on XNYS; rows on days the exchange is closed are
kept and noted. With ``calendar: none`` gaps are judged in calendar days
(``max_gap_days``).

The thresholds are the fields of :class:`SanityLimits` (``data.checks`` in a config,
documented in docs/data.md); every refusal a threshold decides names the setting
that would allow it.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from .cache import atomic_write

Where = Callable[[str], str]
#: Columns of a ticker's frame that must be positive where present (raw_close: the
#: unadjusted close of a full-bar file, checked before it is dropped).
PRICE_COLUMNS = ("open", "high", "low", "close", "raw_close")
#: Split ratios a one-day move is compared with (and their inverses: reverse splits).
SPLIT_RATIOS = (2, 3, 4, 5, 8, 10, 20)
#: The price ratio of each on its day (1/k for a k:1 split, k for a 1:k reverse split).
SPLIT_PRICE_RATIOS = np.array([*(1 / k for k in SPLIT_RATIOS), *SPLIT_RATIOS], dtype=float)
#: Returns of a series before a day needed to judge that day's move against them.
SPLIT_MIN_HISTORY = 20
#: The calendar judged against when a config names none (exchange_calendars code).
DEFAULT_CALENDAR = "XNYS"
#: Where the limits are set in a config; refusals name ``data.checks.<field>``.
CHECKS_KEY = "data.checks"


@dataclass(frozen=True)
class SanityLimits:
    """Thresholds of the price checks (``data.checks``; see the module docstring)."""

    #: Blank stretches inside a series (blank values, or sessions of the exchange without
    #: a row) up to this many sessions are filled with the previous close (with a note);
    #: longer ones are errors. Blank open/high/low of a full bar follow the same limit.
    max_fill_days: int = 3
    #: With ``calendar: none`` only: calendar days between two consecutive prices beyond
    #: which data are missing (the longest US market closure since 2001 spans 6).
    max_gap_days: int = 10
    #: The same close this many trading days in a row is placeholder data.
    max_same_days: int = 10
    #: A leading stretch of at least this many trading days ...
    flat_min_days: int = 60
    #: ... whose rolling ``flat_min_days`` volatility (annualised) stays below this ...
    flat_max_vol: float = 0.15
    #: ... while the rest of the series is at least this many times as volatile, is
    #: noted as looking like a shell or placeholder data (never dropped: see above).
    flat_vol_ratio: float = 4.0
    #: A one-day price ratio within this relative distance of a split ratio ...
    split_tolerance: float = 0.05
    #: ... whose log move is at least this many times the daily volatility of the
    #: ``split_history_days`` returns before it is refused as an un-adjusted split.
    split_min_sigmas: float = 10.0
    #: Returns before a day whose volatility a split-sized move is judged against.
    split_history_days: int = 252
    #: A one-day price ratio beyond this (up, or its inverse down: 3 means x3 or /3) that
    #: is also ``split_min_sigmas`` past daily volatilities is refused as a bad price.
    max_day_move: float = 3.0


DEFAULT_LIMITS = SanityLimits()


@dataclass(frozen=True)
class PriceRules:
    """Everything the checks are told from outside the price files (plain values).

    ``first_days``, ``splits`` and ``known_moves`` are keyed by ticker; dates are
    timezone-naive midnight timestamps.
    """

    limits: SanityLimits = DEFAULT_LIMITS
    #: exchange_calendars code (XNYS, XSHG, XLON, 24/7...) or None: calendar days only.
    calendar: str | None = DEFAULT_CALENDAR
    #: First day of a ticker as the company meant (``data/first_days.csv``).
    first_days: Mapping[str, pd.Timestamp] = field(default_factory=dict)
    #: Splits by ticker, {date: ratio (new shares per old share)} (``data/splits.csv``).
    splits: Mapping[str, Mapping[pd.Timestamp, float]] = field(default_factory=dict)
    #: One-day moves the user says are real (``data.known_moves``): they pass the split
    #: and ``max_day_move`` checks.
    known_moves: Mapping[str, frozenset[pd.Timestamp]] = field(default_factory=dict)
    #: Folder where the exchange calendar's days are kept between runs (None: not kept).
    cache: Path | None = None


DEFAULT_RULES = PriceRules()


def _days(index: pd.Index, limit: int = 3) -> str:
    """``2020-01-02, 2020-01-03 and 5 more`` for error lines."""
    dates = [pd.Timestamp(d).date().isoformat() for d in index[:limit]]
    more = len(index) - limit
    return ", ".join(dates) + (f" and {more} more" if more > 0 else "")


def _span(a: pd.Timestamp, b: pd.Timestamp) -> str:
    return f"{a.date()}..{b.date()}"


def _setting(name: str, limits: SanityLimits) -> str:
    return f"{CHECKS_KEY}.{name} (now {getattr(limits, name):g})"


# --- exchange calendars ------------------------------------------------------------------


@functools.cache
def _exchange_calendar(name: str, first_year: int, last_year: int):
    import exchange_calendars as xcals  # imported lazily: ~0.7 s, only csv/yahoo need it

    try:
        cls = type(xcals.get_calendar(name, start="2020-01-01", end="2020-12-31"))
    except xcals.errors.InvalidCalendarName:
        raise DataError(
            f"data.calendar: unknown exchange calendar {name!r}; use an exchange_calendars "
            "code such as XNYS, XSHG, XHKG, XLON, XTKS or 24/7, or none"
        ) from None
    start, end = pd.Timestamp(f"{first_year}-01-01"), pd.Timestamp(f"{last_year}-12-31")
    low, high = cls.bound_min(), cls.bound_max()
    start = max(start, low) if low is not None else start
    end = min(end, high) if high is not None else end
    return xcals.get_calendar(name, start=start, end=end)


def _years(first: pd.Timestamp, last: pd.Timestamp) -> tuple[int, int]:
    first_year = min(1990, pd.Timestamp(first).year)
    return first_year, max(dt.date.today().year + 2, pd.Timestamp(last).year)


@functools.cache
def _session_days(name: str, first_year: int, last_year: int, cache: Path | None) -> np.ndarray:
    """The sessions of calendar ``name`` built for ``first_year..last_year``, as
    datetime64[D] (sorted). Kept per process, and in ``cache`` (a folder) as a small
    ``.npy`` per calendar, years and exchange_calendars version, so that a later process
    neither imports exchange_calendars nor builds the calendar (about 0.5 s)."""
    from importlib import metadata

    try:
        version = metadata.version("exchange_calendars")
    except metadata.PackageNotFoundError:
        version = "unknown"
    safe = re.sub(r"[^A-Za-z0-9]+", "_", name)
    path = cache / f"sessions-{safe}-{first_year}-{last_year}-{version}.npy" if cache else None
    if path is not None and path.is_file():
        try:
            days = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError):
            days = None  # unreadable (empty, cut off, not .npy): built again below
        if _plausible_days(days):
            return days
    sessions = pd.DatetimeIndex(_exchange_calendar(name, first_year, last_year).sessions)
    if sessions.tz is not None:
        sessions = sessions.tz_localize(None)
    days = sessions.normalize().to_numpy().astype("datetime64[D]")
    if path is not None:
        try:
            atomic_write(path, lambda tmp: _save_days(tmp, days))
        except OSError:
            pass  # a read-only project: the next process builds the calendar again
    return days


def _plausible_days(days: object) -> bool:
    """A cached calendar as written: non-empty, one dimension of sorted datetime64[D]."""
    return (
        isinstance(days, np.ndarray)
        and days.dtype == np.dtype("datetime64[D]")
        and days.ndim == 1
        and days.size > 0
        and bool((days[1:] > days[:-1]).all())
    )


def _save_days(path: Path, days: np.ndarray) -> None:
    with open(path, "wb") as handle:  # a file object: np.save would add ".npy" to a name
        np.save(handle, days, allow_pickle=False)


def _calendar_days(
    name: str, first: pd.Timestamp, last: pd.Timestamp, cache: Path | None
) -> np.ndarray:
    return _session_days(name, *_years(first, last), cache)


def exchange_sessions(
    name: str, first: pd.Timestamp, last: pd.Timestamp, cache: Path | None = None
) -> pd.DatetimeIndex:
    """Trading days of exchange ``name`` (an exchange_calendars code) in ``first..last``.

    One calendar is built per process for 1990 to two years from today (about 0.6 s),
    wider when the data reach beyond it, and its days kept in ``cache`` (a folder) for
    later processes. Raises :class:`DataError` for an unknown code.
    """
    sessions = pd.DatetimeIndex(_calendar_days(name, first, last, cache).astype("datetime64[ns]"))
    return sessions[(sessions >= first) & (sessions <= last)]


def calendar_span(
    name: str, first: pd.Timestamp, last: pd.Timestamp, cache: Path | None = None
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The part of ``first..last`` that calendar ``name`` covers (some begin in 1956 or
    end in 2050); days outside it are not judged."""
    days = _calendar_days(name, first, last, cache)
    lo, hi = pd.Timestamp(days[0]), pd.Timestamp(days[-1])
    return max(pd.Timestamp(first), lo), min(pd.Timestamp(last), hi)


# --- one ticker's file -------------------------------------------------------------------


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


#: Relative tolerance of :func:`check_bar_rows`: open and close may lie this far outside
#: low..high (vendor rounding; 1e-4 is a cent on a 100 price). Real files: 0 (none outside).
BAR_TOLERANCE = 1e-4
#: A one-day jump of the adjustment factor that comes back within this relative distance
#: of its previous level the next day is a one-day error (dividends move it < 17% in the
#: real files).
FACTOR_RETURN_TOLERANCE = 0.05


def _raw(frame: pd.DataFrame, name: str) -> np.ndarray:
    """Column ``name`` of a full-bar frame as written in the file (the frame holds open,
    high and low scaled by ``close / raw_close``; scaled back here for messages)."""
    values = frame[name].to_numpy(dtype=float)
    if name in ("open", "high", "low"):
        with np.errstate(divide="ignore", invalid="ignore"):
            values = values * frame["raw_close"].to_numpy(dtype=float) / frame["close"].to_numpy()
    return values


def check_bar_rows(frame: pd.DataFrame, where: str, ticker: str) -> None:
    """Refuse a full bar whose open or close lies outside its low..high, or high < low.

    ``frame`` is one ticker's file after :func:`check_rows` (sorted dates; open, high,
    low scaled to the adjusted basis, close = adj_close, raw_close as written). All four
    scaled prices share one factor, so this judges the file's raw values: a raw close
    x100 (a typo) lies far above the high. A blank field is not judged here (the blank
    checks handle it). :data:`BAR_TOLERANCE` (relative) allows vendor rounding. Only the
    row itself decides: no other day is used. Raises :class:`DataError`, naming the
    first bad row with its values as written in the file.
    """
    if "raw_close" not in frame.columns:
        return
    o, h, lo, c = (_raw(frame, n) for n in ("open", "high", "low", "raw_close"))
    up, down = 1 + BAR_TOLERANCE, 1 - BAR_TOLERANCE
    with np.errstate(invalid="ignore"):
        tests = (
            ("high", "below low", h < lo * down),
            ("open", "above high", o > h * up),
            ("open", "below low", o < lo * down),
            ("close", "above high", c > h * up),
            ("close", "below low", c < lo * down),
        )
    bad = np.logical_or.reduce([hit for _, _, hit in tests])
    if not bad.any():
        return
    rows = np.flatnonzero(bad)
    i = rows[0]
    name, how, _ = next(t for t in tests if t[2][i])
    value = {"high": h, "open": o, "close": c}[name][i]
    limit = lo[i] if how.endswith("low") else h[i]
    raise DataError(
        f"{where}: {ticker} {name} {value:.6g} on {frame.index[i].date()} is {how} "
        f"{limit:.6g} (row: open {o[i]:.6g}, high {h[i]:.6g}, low {lo[i]:.6g}, close "
        f"{c[i]:.6g}): an impossible "
        "bar, most likely a typo (a misplaced decimal point?); fix that row so open and "
        "close lie within low..high"
        + (f" ({len(rows) - 1} more such row(s) after it)" if len(rows) > 1 else "")
    )


def check_adjustment(
    frame: pd.DataFrame,
    where: str,
    ticker: str,
    limits: SanityLimits = DEFAULT_LIMITS,
    splits: Mapping[pd.Timestamp, float] | None = None,
) -> None:
    """Refuse a jump of the adjustment factor ``adj_close / close`` that no split explains.

    The factor changes on dividend days (by a few % at most; a special dividend more)
    and, where the file's close is not split-adjusted, by a split's ratio on its day.
    A day whose factor differs from the previous row's by a ratio beyond
    ``max_day_move`` (up, or its inverse down) means close or adj_close is wrong there;
    it is refused when

    * the factor comes back within :data:`FACTOR_RETURN_TOLERANCE` of its previous level
      the next day (a one-day error: no split reverts the next day), or
    * it stays, and the ratio is neither within ``split_tolerance`` of a split of that
      ticker on that day in ``splits`` (``data/splits.csv``) nor of a split ratio
      (:data:`SPLIT_RATIOS` or an inverse), or
    * it is the file's last row and not split-sized (nothing after it to judge).

    **Look-ahead.** Judging a spike uses the next row; that is acceptable here because
    the outcome is refusing the whole file (a data error the user must fix), never a
    repair or a trading decision that earlier days could see. Raises
    :class:`DataError` naming the day and both values.
    """
    if "raw_close" not in frame.columns:
        return
    close, raw_close = frame["close"].to_numpy(), frame["raw_close"].to_numpy()
    kept = ~(np.isnan(close) | np.isnan(raw_close))
    if kept.sum() < 2:
        return
    factor = close[kept] / raw_close[kept]
    logs = np.log(factor)
    step = np.diff(logs)  # step[i - 1]: factor of row i against row i - 1
    big = np.flatnonzero(np.abs(step) >= np.log(limits.max_day_move)) + 1
    if not len(big):
        return
    both = frame.loc[kept, ["close", "raw_close"]]
    _, distance = _nearest_split(np.exp(step[big - 1]))
    listed = {pd.Timestamp(d): r for d, r in (splits or {}).items()}
    for i, dist in zip(big, distance, strict=True):
        day = both.index[i]
        ratio = factor[i] / factor[i - 1]
        if i + 1 < len(both):
            back = abs(logs[i + 1] - logs[i - 1]) <= np.log1p(FACTOR_RETURN_TOLERANCE)
        else:
            back = False
        split = day in listed and abs(ratio / listed[day] - 1) <= limits.split_tolerance
        split_sized = dist <= limits.split_tolerance
        if not back and (split or split_sized):
            continue
        values = (
            f"close {both['raw_close'].iloc[i]:.6g} and adj_close {both['close'].iloc[i]:.6g} "
            f"(the row before: {both['raw_close'].iloc[i - 1]:.6g} and "
            f"{both['close'].iloc[i - 1]:.6g})"
        )
        if back:
            what = (
                f"for that day only (back on {both.index[i + 1].date()}): the close or the "
                "adj_close of that row is wrong (a typo?); fix it"
            )
        else:
            what = (
                "and stays: close and adj_close disagree from that day; fix the file, or, "
                f"if {day.date()} is a split the close column is not adjusted for, add "
                f"{ticker},{day.date()},<ratio> to data/splits.csv"
            )
        raise DataError(
            f"{where}: {ticker} adj_close/close changes x{ratio:.4g} on {day.date()}, "
            f"{values}, beyond {_setting('max_day_move', limits)} {what}"
        )


# --- one ticker on the combined calendar ---------------------------------------------------


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index pairs of the True runs of ``mask``."""
    padded = np.concatenate([[False], mask, [False]]).astype(int)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2], edges[1::2], strict=True))


def _flat_start(series: pd.Series, limits: SanityLimits) -> tuple[int, float, float] | None:
    """Index of the first day after a leading flat stretch, with both volatilities.

    Judged with the whole series (the "after" part is the future of the stretch), so
    it only ever feeds a note.
    """
    n = limits.flat_min_days
    if len(series) - 1 < 2 * n:
        return None
    # Most series are not quiet in their first window: a plain standard deviation of it
    # (within a margin of the rolling one's rounding) says so without the rolling pass.
    head = np.diff(np.log(series.to_numpy(dtype=float)[: n + 1]))
    if np.std(head, ddof=1) * np.sqrt(252) >= limits.flat_max_vol * (1 + 1e-6):
        return None
    returns = np.log(series).diff().iloc[1:]
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


def _split_name(ratio: float) -> str:
    """A price ratio near 1/4 is a ``4:1 split``; near 4 a ``1:4 reverse split``."""
    if ratio < 1:
        return f"{round(1 / ratio)}:1 split"
    return f"1:{round(ratio)} reverse split"


def _nearest_split(ratio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest split price ratio (1/k or k) of each day's ratio, and the relative distance."""
    candidates = SPLIT_PRICE_RATIOS
    distance = np.abs(ratio[:, None] / candidates[None, :] - 1)
    best = np.nanargmin(np.where(np.isnan(distance), np.inf, distance), axis=1)
    return candidates[best], distance[np.arange(len(ratio)), best]


def adjust_listed_splits(
    series: pd.Series, where: str, splits: Mapping[pd.Timestamp, float], limits: SanityLimits
) -> tuple[pd.Series, pd.Series, list[str]]:
    """Splits of ``data/splits.csv`` that the series is not adjusted for, adjusted.

    A listed split of ratio k whose day shows a price ratio within ``split_tolerance``
    of 1/k means the file holds unadjusted prices there: every earlier price is
    divided by k (returns are unchanged except on that day). Returns the series, the
    factor applied to each day's prices and notes.
    """
    factor = pd.Series(1.0, index=series.index)
    notes: list[str] = []
    valid = series.dropna()
    for day, ratio in sorted(splits.items()):
        if day not in valid.index:
            continue
        i = valid.index.get_loc(day)
        if i == 0:
            continue
        move = valid.iloc[i] / valid.iloc[i - 1]
        if abs(move * ratio - 1) > limits.split_tolerance:
            continue  # adjusted already (or not that split): nothing to do
        factor.loc[factor.index < day] /= ratio
        notes.append(
            f"{where}: prices before {day.date()} divided by {ratio:g}: the file is not "
            f"adjusted for the {_split_name(1 / ratio)} of {day.date()} listed in "
            f"data/splits.csv (a {move - 1:+.1%} day otherwise)"
        )
    if notes:
        series = series * factor
    return series, factor, notes


def check_split_moves(
    series: pd.Series,
    where: str,
    ticker: str,
    limits: SanityLimits = DEFAULT_LIMITS,
    known: frozenset[pd.Timestamp] = frozenset(),
) -> None:
    """Refuse a one-day move the size of a split that the series' past never came near.

    A day is refused when its price ratio is within ``split_tolerance`` of a split
    ratio (:data:`SPLIT_RATIOS` or an inverse) and its log move is at least
    ``split_min_sigmas`` times the standard deviation of the ``split_history_days``
    daily log returns before it (at least :data:`SPLIT_MIN_HISTORY` of them): only
    earlier prices decide. Days in ``known`` are real moves and pass.
    """
    valid = series.dropna()
    if len(valid) <= SPLIT_MIN_HISTORY + 1:
        return
    logret = np.log(valid).diff()
    ratio = np.exp(logret.to_numpy())
    nearest, distance = _nearest_split(np.nan_to_num(ratio, nan=1.0))
    candidate = distance <= limits.split_tolerance
    if not candidate.any():
        return
    hits, sigmas = _unexplained(valid, logret, candidate, limits, known)
    if not hits:
        return
    i = hits[0]
    day = valid.index[i]
    raise DataError(
        f"{where}: {ratio[i] - 1:+.1%} on {day.date()} ({valid.iloc[i - 1]:.6g} -> "
        f"{valid.iloc[i]:.6g}) is within {distance[i]:.1%} of a {_split_name(nearest[i])} "
        f"and {sigmas[i]:.0f} times the daily volatility before it: the prices look "
        "unadjusted for a split; use split-adjusted prices, add the split to "
        f"data/splits.csv (adjusts the earlier prices), or, if the move is real, set "
        f"data.known_moves: {{{ticker}: [{day.date()}]}}"
        + (f" ({len(hits) - 1} more such day(s) after it)" if len(hits) > 1 else "")
    )


def _past_sigmas(logret: pd.Series, limits: SanityLimits) -> np.ndarray:
    """Each day's absolute log move in daily volatilities of the ``split_history_days``
    returns before it (NaN with fewer than :data:`SPLIT_MIN_HISTORY`): no later price."""
    past = (
        logret.shift(1)
        .rolling(limits.split_history_days, min_periods=SPLIT_MIN_HISTORY)
        .std()
        .to_numpy()
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.abs(logret.to_numpy()) / past


def _unexplained(
    valid: pd.Series,
    logret: pd.Series,
    candidate: np.ndarray,
    limits: SanityLimits,
    known: frozenset[pd.Timestamp],
) -> tuple[list[int], np.ndarray]:
    """Positions of the ``candidate`` days whose move is at least ``split_min_sigmas``
    past volatilities and that ``known`` does not declare real, with every day's sigmas."""
    sigmas = _past_sigmas(logret, limits)
    hits = np.flatnonzero(candidate & (sigmas >= limits.split_min_sigmas))
    return [int(i) for i in hits if valid.index[i] not in known], sigmas


def check_day_moves(
    series: pd.Series,
    where: str,
    ticker: str,
    limits: SanityLimits = DEFAULT_LIMITS,
    known: frozenset[pd.Timestamp] = frozenset(),
) -> None:
    """Refuse a one-day move beyond ``max_day_move`` that the series' past never came near.

    A day is refused when its price ratio to the previous close is at least
    ``max_day_move`` (or at most its inverse) and its log move is at least
    ``split_min_sigmas`` times the daily volatility of the ``split_history_days``
    returns before it (at least :data:`SPLIT_MIN_HISTORY`): only prices up to that
    day decide. Run after :func:`check_split_moves`, which names split-sized moves
    more precisely. Days in ``known`` are real moves and pass.
    """
    valid = series.dropna()
    if len(valid) <= SPLIT_MIN_HISTORY + 1:
        return
    logret = np.log(valid).diff()
    big = np.abs(logret.to_numpy()) >= np.log(limits.max_day_move)
    if not big.any():
        return
    hits, sigmas = _unexplained(valid, logret, big, limits, known)
    if not hits:
        return
    i = hits[0]
    day = valid.index[i]
    ratio = valid.iloc[i] / valid.iloc[i - 1]
    raise DataError(
        f"{where}: x{ratio:.4g} in one day on {day.date()} ({valid.iloc[i - 1]:.6g} -> "
        f"{valid.iloc[i]:.6g}) is beyond {_setting('max_day_move', limits)} and "
        f"{sigmas[i]:.0f} times the daily volatility before it: a bad price; fix the file, "
        f"or, if the move is real, set data.known_moves: {{{ticker}: [{day.date()}]}}"
        + (f" ({len(hits) - 1} more such day(s) after it)" if len(hits) > 1 else "")
    )


def check_series(
    series: pd.Series,
    where: str,
    limits: SanityLimits = DEFAULT_LIMITS,
    sessions: np.ndarray | None = None,
    calendar: str | None = None,
) -> tuple[pd.Series, list[str]]:
    """Checks of one ticker on the combined calendar; returns the repaired series and notes.

    ``series`` is NaN before the first and after the last price (not listed yet,
    data ended); NaN between them are blanks or missing rows. ``sessions`` marks the
    index days on which ``calendar`` trades (None: every row counts and gaps are
    judged in calendar days with ``max_gap_days``); a blank on a day the exchange is
    closed (a row only other files have) takes the previous close without a note.
    """
    notes: list[str] = []
    valid = series.dropna()
    if valid.empty:
        return series, notes
    first, last = valid.index[0], valid.index[-1]
    inside = series.loc[first:last]
    lo = series.index.get_loc(first)
    is_session = (
        np.ones(len(inside), dtype=bool) if sessions is None else sessions[lo : lo + len(inside)]
    )
    unit = f"{calendar} sessions" if sessions is not None else "trading days"
    for a, b in _runs(inside.isna().to_numpy()):
        days = inside.index[a:b][is_session[a:b]]
        if len(days) > limits.max_fill_days:
            hint = (
                f"if {calendar} is not the exchange of this file, set data.calendar to its "
                "exchange (e.g. XSHG, XHKG, XLON, 24/7); else "
                if sessions is not None
                else ""
            )
            raise DataError(
                f"{where}: no price on {len(days)} {unit} {_span(days[0], days[-1])} inside "
                f"the series; {hint}fill the rows or drop the ticker, or raise "
                f"{_setting('max_fill_days', limits)} to fill them with the previous close"
            )
        if len(days):
            notes.append(
                f"{where}: no price on {_days(days)}; filled with the previous close "
                f"({inside.iloc[a - 1]:.6g})"
            )
    if inside.isna().any():
        series = series.copy()
        series.loc[first:last] = inside.ffill()
        valid = series.dropna()
    if sessions is None:
        gaps = valid.index.to_series().diff().dt.days.to_numpy()
        long_gap = np.flatnonzero(gaps > limits.max_gap_days)
        if len(long_gap):
            i = long_gap[0]
            raise DataError(
                f"{where}: no rows between {valid.index[i - 1].date()} and "
                f"{valid.index[i].date()} ({gaps[i]:.0f} calendar days); rows are missing, "
                "download or fix the file; if the market was closed, set data.calendar to "
                f"its exchange or raise {_setting('max_gap_days', limits)}"
            )
    same = np.concatenate([[False], valid.to_numpy()[1:] == valid.to_numpy()[:-1]])
    for a, b in _runs(same):
        if b - a + 1 >= limits.max_same_days:
            days = valid.index[a - 1 : b]
            raise DataError(
                f"{where}: the same close {valid.iloc[a]:.6g} on {len(days)} days in a row "
                f"({_span(days[0], days[-1])}): placeholder data, not prices; fix the file, "
                f"or raise {_setting('max_same_days', limits)} if the price did not move"
            )
    shell = _flat_start(valid, limits)
    if shell is not None:
        start, flat, rest = shell
        notes.append(
            f"{where}: {_span(first, valid.index[start - 1])} trades flat (annualised "
            f"volatility {flat:.0%}, against {rest:.0%} after): a shell or placeholder "
            "data? kept, since only later prices tell; if the ticker was not yet the "
            "company meant, give its first day in data/first_days.csv"
        )
    return series, notes


def check_bars(
    fields: dict[str, pd.DataFrame],
    close: pd.DataFrame,
    where: Where,
    limits: SanityLimits = DEFAULT_LIMITS,
) -> list[str]:
    """Blank open/high/low beside a close, filled in ``fields`` with that close.

    A blank open means an order filling at it fills at the close instead: noted with
    the ticker and days within ``max_fill_days`` in a row, refused beyond. Returns
    the notes.
    """
    names = ("open", "high", "low")
    blank = {n: fields[n].isna() & close.notna() for n in names}
    notes = []
    any_blank = np.logical_or.reduce([blank[n].to_numpy() for n in names])
    for ticker, rows in zip(close.columns, any_blank.T, strict=True):
        if not rows.any():
            continue
        label = where(ticker)
        for a, b in _runs(rows):
            days = close.index[a:b]
            which = "/".join(n for n in names if blank[n][ticker].iloc[a:b].any())
            if b - a > limits.max_fill_days:
                raise DataError(
                    f"{label}: {which} blank on {b - a} days in a row "
                    f"({days[0].date()}..{days[-1].date()}) beside a close; fill the file, "
                    f"or raise {CHECKS_KEY}.max_fill_days (now {limits.max_fill_days}) to "
                    "fill them with that day's close"
                )
            notes.append(
                f"{label}: {which} blank on {_days(days)} (the close is there); filled "
                "with that day's close, so an order filling at that open fills at the close"
            )
        for n in names:
            fields[n][ticker] = fields[n][ticker].fillna(close[ticker])
    return notes


# --- a wide frame of closes -----------------------------------------------------------------


@dataclass
class Checked:
    """What :func:`check_frame` made of a wide close frame."""

    close: pd.DataFrame
    notes: list[str]
    #: Factor applied to each price by a split adjustment (1.0 where none), same shape.
    factor: pd.DataFrame


def _moving_columns(close: pd.DataFrame, limits: SanityLimits) -> np.ndarray:
    """Per column of a wide close frame, whether :func:`check_split_moves` and
    :func:`check_day_moves` may find a day to judge: a day-on-day move that is
    split-sized or beyond ``max_day_move``, or a blank between the first and last price
    (the checks fill blanks first, which joins prices this screen sees apart). A column
    with neither skips both checks, which would find nothing. The screen is wider than
    the checks by a margin (1e-9) that covers their other order of float operations."""
    values = close.to_numpy(dtype=float)
    rows, cols = values.shape
    if rows < 2:
        return np.zeros(cols, dtype=bool)
    have = ~np.isnan(values)
    count = have.sum(axis=0)
    first = np.argmax(have, axis=0)
    last = rows - 1 - np.argmax(have[::-1], axis=0)
    gaps = (count > 0) & (last - first + 1 > count)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = values[1:] / values[:-1]
        moved = np.abs(np.log(ratio)) >= np.log(limits.max_day_move) - MARGIN
        for split in SPLIT_PRICE_RATIOS:
            moved |= np.abs(ratio / split - 1) <= limits.split_tolerance + MARGIN
    return moved.any(axis=0) | gaps


#: Float margin of the screen in :func:`_moving_columns`.
MARGIN = 1e-9


def check_frame(
    close: pd.DataFrame,
    where: Where,
    rules: PriceRules = DEFAULT_RULES,
    sessions: pd.DatetimeIndex | None = None,
) -> Checked:
    """:func:`check_series` and the split checks for every column of a wide close frame.

    The frame is first put on the exchange's calendar (``rules.calendar``; ``sessions``
    may give its days in the frame's span when they are known already): sessions no file
    has become rows to judge as blanks, rows on days the exchange is closed are kept and
    noted once. Rows before a ticker's first day in ``rules.first_days`` are dropped.
    """
    limits = rules.limits
    notes: list[str] = []
    if close.empty:
        return Checked(close, notes, pd.DataFrame(1.0, index=close.index, columns=close.columns))
    lo, hi = close.index[0], close.index[-1]
    if rules.calendar is not None and sessions is None:
        sessions = exchange_sessions(rules.calendar, lo, hi, rules.cache)
        lo, hi = calendar_span(rules.calendar, lo, hi, rules.cache)
    if sessions is not None:
        sessions = sessions[(sessions >= lo) & (sessions <= hi)]
        judged = close.index[(close.index >= lo) & (close.index <= hi)]
        closed = judged.difference(sessions)
        close = close.reindex(close.index.union(sessions).rename(close.index.name))
        on_closed = close.loc[closed].notna().any(axis=0).to_numpy()
        having = [t for t, hit in zip(close.columns, on_closed, strict=True) if hit]
        if having:
            notes.append(
                f"{', '.join(where(t) for t in having)}: rows on {len(closed)} day(s) "
                f"{rules.calendar} is closed ({_days(closed)}); kept (other tickers carry "
                "their previous close on them); if the files come from another exchange, "
                "set data.calendar to it (e.g. XSHG, XLON, 24/7)"
            )
        is_session = close.index.isin(sessions) | (close.index < lo) | (close.index > hi)
    columns, factors = {}, {}
    moving = _moving_columns(close, limits)
    for ticker, moves in zip(close.columns, moving, strict=True):
        series = close[ticker]
        label = where(ticker)
        first_day = rules.first_days.get(ticker)
        if first_day is not None and series.loc[: first_day - pd.Timedelta(days=1)].notna().any():
            before = series.loc[: first_day - pd.Timedelta(days=1)].dropna()
            series = series.mask(series.index < first_day)
            notes.append(
                f"{label}: {len(before)} rows {_span(before.index[0], before.index[-1])} "
                f"dropped: the ticker is the company meant from {first_day.date()} "
                "(data/first_days.csv)"
            )
        series, found = check_series(
            series, label, limits, is_session if sessions is not None else None, rules.calendar
        )
        notes += found
        series, factor, found = adjust_listed_splits(
            series, label, rules.splits.get(ticker, {}), limits
        )
        notes += found
        if moves or found:  # else neither check has a day to judge (see _moving_columns)
            known = rules.known_moves.get(ticker, frozenset())
            check_split_moves(series, label, ticker, limits, known)
            check_day_moves(series, label, ticker, limits, known)
        columns[ticker], factors[ticker] = series, factor
    checked = pd.DataFrame(columns, index=close.index).dropna(how="all")
    factor = pd.DataFrame(factors, index=close.index).loc[checked.index]
    return Checked(checked, notes, factor)
