"""Daily prices behind one interface: ``sample``, ``csv`` and ``yahoo`` sources.

Every source returns a :class:`PriceData`: wide frames (one column per ticker)
on a timezone-naive trading-day index, NaN where a ticker is not listed yet.
``close`` is always the dividend- and split-adjusted close, so returns are
total returns. Full bars (``csv`` with OHLC, ``yahoo``) also carry open, high
and low scaled by the same adjustment factor (``adj_close / close``) and the
raw volume; close-only data (``sample``, ``csv`` with ``date,adj_close``)
fills orders at the close.

Every source passes its data through :mod:`airegime.data.price_checks` before
returning it; repairs (sorted rows, short blanks filled, a shell period dropped)
are listed in :attr:`PriceData.notes`, which reach the run's notes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, did_you_mean_each
from .price_checks import (
    DEFAULT_CALENDAR,
    DEFAULT_RULES,
    PriceRules,
    check_adjustment,
    check_bar_rows,
    check_bars,
    check_frame,
    check_rows,
)

BAR_FIELDS = ("open", "high", "low", "close", "volume")


@dataclass
class PriceData:
    """Adjusted daily prices of several tickers, aligned on one calendar."""

    close: pd.DataFrame
    open: pd.DataFrame | None = None
    high: pd.DataFrame | None = None
    low: pd.DataFrame | None = None
    volume: pd.DataFrame | None = None
    source: str = ""
    #: What the price checks repaired or dropped, one line each (they reach the run notes).
    notes: list[str] = field(default_factory=list)

    @property
    def has_bars(self) -> bool:
        """True when open/high/low exist, so orders can fill at the next open."""
        return self.open is not None

    @property
    def tickers(self) -> list[str]:
        return list(self.close.columns)

    def select(self, tickers: list[str]) -> PriceData:
        """The given tickers only, on the calendar of the dates where any of them trades."""
        missing = [t for t in tickers if t not in self.close.columns]
        if missing:
            raise DataError(f"{self.source}: no prices for {', '.join(missing)}")
        close = self.close[tickers].dropna(how="all")
        pick = lambda f: None if f is None else f.loc[close.index, tickers]  # noqa: E731
        return PriceData(
            close,
            pick(self.open),
            pick(self.high),
            pick(self.low),
            pick(self.volume),
            self.source,
            list(self.notes),
        )

    def fingerprint(self) -> str:
        """A short hash of the adjusted closes: a changed data set gets a new fingerprint."""
        digest = hashlib.sha256()
        digest.update(",".join(self.close.columns).encode())
        digest.update(self.close.index.strftime("%Y-%m-%d").str.cat().encode())
        digest.update(np.round(self.close.to_numpy(dtype=float), 6).tobytes())
        return digest.hexdigest()[:16]


def _naive_days(index: pd.Index) -> pd.DatetimeIndex:
    """Timezone-naive midnight dates: the one date convention used everywhere."""
    idx = pd.DatetimeIndex(index)
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    return idx.normalize()


def read_first_days(path: Path) -> dict[str, pd.Timestamp]:
    """``ticker,first_day,reason`` rows (``data/first_days.csv``): the first day of each
    ticker as the company meant; ``{}`` when the file does not exist."""
    if not path.is_file():
        return {}
    try:
        table = pd.read_csv(path, comment="#", dtype=str)
        days = pd.to_datetime(table["first_day"], format="%Y-%m-%d")
    except (OSError, KeyError, ValueError, pd.errors.ParserError) as exc:
        raise DataError(
            f"{path}: cannot read it ({str(exc).splitlines()[0]}); expected rows "
            "ticker,first_day,reason with dates as YYYY-MM-DD"
        ) from None
    return dict(zip(table["ticker"].str.strip().str.upper(), days, strict=True))


# --- sample ------------------------------------------------------------------------------


SAMPLE_FILE = "airegime/sample/closes.csv.gz"


@cache
def _sample_closes() -> pd.DataFrame:
    ref = resources.files("airegime") / "sample" / "closes.csv.gz"
    with resources.as_file(ref) as path:
        frame = pd.read_csv(path, index_col="date", parse_dates=["date"])
    frame.index = _naive_days(frame.index)
    return frame


def checked(
    data: PriceData,
    where: Callable[[str], str],
    rules: PriceRules = DEFAULT_RULES,
    sessions: pd.DatetimeIndex | None = None,
) -> PriceData:
    """``data`` after the price checks; a ticker's bars follow its repaired closes.

    Where the checks filled a close, that day's open, high and low are the close and
    its volume 0; where they dropped one, the bar goes too; a split adjustment scales
    the bar like the close. Blank open/high/low beside a close are filled with that
    close (an order filling at the open fills at the close) within
    ``max_fill_days``, with a note; longer runs are refused.
    """
    result = check_frame(data.close, where, rules, sessions)
    close = result.close
    notes = [*data.notes, *result.notes]
    fields: dict[str, pd.DataFrame] = {}
    if data.has_bars:
        before = data.close.reindex(close.index)
        filled = before.isna() & close.notna()
        dropped = before.notna() & close.isna()
        factor = result.factor
        for name in ("open", "high", "low"):
            frame = getattr(data, name).reindex(close.index) * factor
            fields[name] = frame.mask(dropped).mask(filled, close)
        if data.volume is not None:
            volume = data.volume.reindex(close.index) / factor
            fields["volume"] = volume.mask(dropped).mask(filled, 0.0)
        notes += check_bars(fields, close, where, rules.limits)
    return PriceData(close=close, source=data.source, notes=notes, **fields)


def sample_tickers() -> list[str]:
    return list(_sample_closes().columns)


def load_sample(tickers: list[str], rules: PriceRules = DEFAULT_RULES) -> PriceData:
    """The bundled snapshot: adjusted closes 2015-01-02..2026-08-03 (see airegime/sample).

    Its rows are exactly the NYSE sessions of that span (a test holds it to
    exchange_calendars' XNYS), so with the default calendar they serve as the sessions
    and no calendar needs building.
    """
    closes = _sample_closes()
    missing = [t for t in tickers if t not in closes.columns]
    if missing:
        hint = did_you_mean_each(missing, closes.columns).removeprefix("; ")
        raise DataError(
            f"sample data: no prices for {', '.join(missing)}{f' ({hint})' if hint else ''}; "
            f"the sample holds {', '.join(closes.columns)}"
        )
    data = PriceData(close=closes[tickers].dropna(how="all"), source="sample")
    sessions = closes.index if rules.calendar == DEFAULT_CALENDAR else None
    return checked(data, lambda t: f"{SAMPLE_FILE} {t}", rules, sessions)


# --- csv ---------------------------------------------------------------------------------


def _last_line_cut(path: Path) -> str | None:
    """The last line when the file does not end with a newline (a cut download or copy)."""
    with path.open("rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - 200))
        tail = handle.read()
    if not tail or tail.endswith(b"\n"):
        return None
    return tail.rsplit(b"\n", 1)[-1].decode(errors="replace")


#: Column names of common exports, normalised (lower case, runs of other characters as
#: ``_``), and the field each one means.
COLUMN_ALIASES = {
    "datetime": "date",
    "timestamp": "date",
    "time": "date",
    "adjclose": "adj_close",
    "adjusted_close": "adj_close",
    "adjustedclose": "adj_close",
    "adj_close_price": "adj_close",
    "vol": "volume",
}
_ISO_DATE = re.compile(
    r"^\s*(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?"
    r"\s*(?:Z|UTC|[+-]\d{2}:?\d{2})?\s*$"
)


def _column_names(columns: pd.Index, path: Path) -> list[str]:
    """``Adj Close``, ``Adj. Close``, ``adjclose``, ``Datetime`` ... as the fields they mean."""
    names = []
    for column in columns:
        name = re.sub(r"[^a-z0-9]+", "_", str(column).strip().lower()).strip("_")
        names.append(COLUMN_ALIASES.get(name, name))
    twice = sorted(
        {n for n in names if names.count(n) > 1 and n in ("date", *BAR_FIELDS, "adj_close")}
    )
    if twice:
        raise DataError(
            f"{path}: several columns mean {', '.join(twice)} "
            f"({', '.join(str(c) for c in columns)}); keep one of each"
        )
    return names


def parse_dates(values: pd.Series, path: Path) -> pd.DatetimeIndex:
    """Trading days of a daily file, as written: ``2023-03-10``, or a timestamp at local
    midnight with or without its UTC offset (``2023-03-10 00:00:00-05:00``, a yfinance
    ``history()`` export), mixed offsets across a DST change included.

    The date is taken as written, never converted: a time of day other than midnight
    means the stamps may have been moved to another time zone (a Shanghai bar of
    2023-03-10 is 2023-03-09 16:00 in UTC), so it is refused rather than shifted.
    Blank or unparseable dates are refused.
    """
    return _parse_dates(values, path)[0]


def _parse_dates(values: pd.Series, path: Path) -> tuple[pd.DatetimeIndex, bool]:
    """:func:`parse_dates`, and whether each value was read on its own (True), or with a
    format pandas inferred from the first value (False: a tail of ``values`` may read
    otherwise on its own)."""
    if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
        # The common case, every value a plain YYYY-MM-DD, in one vectorised parse; any
        # other value (a time, an offset, a blank, a typo) takes the checks below.
        plain = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
        if plain.notna().all():
            return pd.DatetimeIndex(plain, name="date"), True
    text = values.astype("string")
    blank = text.isna() | (text.str.strip() == "")
    if blank.any():
        row = int(np.flatnonzero(blank.to_numpy())[0])
        raise DataError(f"{path}: column 'date' is blank on data row {row + 1}; fix the file")
    parts = text.str.extract(_ISO_DATE)
    if parts[0].notna().all():
        clock = parts[[1, 2, 3, 4]].fillna("0").astype(float).to_numpy()
        timed = np.flatnonzero(clock.any(axis=1))
        if len(timed):
            i = int(timed[0])
            raise DataError(
                f"{path}: date {values.iloc[i]!r} (data row {i + 1}) is not at midnight: a "
                "daily row's trading day is its local date, and a time of day suggests the "
                "stamps were converted to another time zone; write local dates "
                "(YYYY-MM-DD), or local midnight with its offset"
            )
        days = pd.to_datetime(parts[0], format="%Y-%m-%d", errors="coerce")
        _refuse_non_dates(values, days, path)
        return pd.DatetimeIndex(days, name="date"), True
    try:
        parsed = pd.DatetimeIndex(pd.to_datetime(values, utc=False))
    except (ValueError, TypeError):
        each = [pd.to_datetime(v, utc=False, errors="coerce") for v in values]
        _refuse_non_dates(values, pd.Series(each, dtype=object), path)
        raise DataError(  # each value is a date, but not of one kind (mixed formats or zones)
            f"{path}: column 'date' mixes date formats or time zones; write dates as YYYY-MM-DD"
        ) from None
    if parsed.tz is not None:
        parsed = parsed.tz_localize(None)
    timed = np.flatnonzero(parsed != parsed.normalize())
    if len(timed):
        i = int(timed[0])
        raise DataError(
            f"{path}: date {values.iloc[i]!r} (data row {i + 1}) is not at midnight; "
            "daily files need one date per row (YYYY-MM-DD)"
        )
    return parsed.rename("date"), False


def _refuse_non_dates(values: pd.Series, parsed: pd.Series, path: Path) -> None:
    """Refuse the first value of ``values`` that ``parsed`` could not read (NaT)."""
    bad = np.flatnonzero(pd.isna(parsed).to_numpy())
    if len(bad):
        i = int(bad[0])
        raise DataError(
            f"{path}: column 'date' row {i + 1}: {str(values.iloc[i])!r} is not a date; "
            "write dates as YYYY-MM-DD"
        )


def _numbers(raw: pd.DataFrame, column: str, days: pd.DatetimeIndex, path: Path) -> np.ndarray:
    """Column ``column`` as floats: a blank cell is NaN (a gap the checks judge), a cell
    that is not a number (``abc``, ``1,234.5``, ``$12``) is refused with its row."""
    cells = raw[column]
    if pd.api.types.is_float_dtype(cells.dtype) or pd.api.types.is_integer_dtype(cells.dtype):
        return cells.to_numpy(dtype=float)  # read as numbers: no cell of text to refuse
    values = pd.to_numeric(cells, errors="coerce")
    text = cells.astype("string").str.strip()
    bad = np.flatnonzero((values.isna() & text.notna() & (text != "")).to_numpy())
    if len(bad):
        i = int(bad[0])
        more = f" ({len(bad) - 1} more such cell(s) below)" if len(bad) > 1 else ""
        raise DataError(
            f"{path}: column '{column}' on {days[i].date()} (row {i + 1}) is "
            f"{str(cells.iloc[i])!r}, not a number{more}; write a plain number such as "
            "123.45, or leave the cell blank for a missing price"
        )
    return values.to_numpy(dtype=float)


class SameDates:
    """The dates of the longest file read so far, parsed: a file whose date column is
    that file's, or its tail (a later listing), reuses them instead of parsing again
    (the files of one export share their dates). Only dates read value by value are
    kept, so equal text gives the dates :func:`parse_dates` returns."""

    def __init__(self) -> None:
        self._text: np.ndarray | None = None
        self._days: pd.DatetimeIndex | None = None

    def parse(self, values: pd.Series, path: Path) -> pd.DatetimeIndex:
        text = values.to_numpy()
        if self._text is not None and text.dtype == object and len(text) <= len(self._text):
            tail = self._text[len(self._text) - len(text) :]
            if len(text) and np.array_equal(text, tail):
                same = len(text) == len(self._days)
                return self._days if same else self._days[len(self._days) - len(text) :]
        days, each_alone = _parse_dates(values, path)
        longest = self._text is None or len(text) >= len(self._text)
        if text.dtype == object and each_alone and longest:
            self._text, self._days = text, days
        return days


def read_ticker_csv(
    path: Path,
    notes: list[str] | None = None,
    rules: PriceRules = DEFAULT_RULES,
    same_dates: SameDates | None = None,
) -> pd.DataFrame:
    """One ticker's file: ``date,open,high,low,close,adj_close,volume`` or ``date,adj_close``.

    Column names of common exports are accepted (``Date,Open,High,Low,Close,Adj
    Close,Volume`` and extra columns such as ``Dividends,Stock Splits``; see
    :data:`COLUMN_ALIASES`) and dates are read by :func:`parse_dates`.
    Returns columns open, high, low, close (all adjusted) and volume for full
    bars, or close alone for close-only files; rows with a blank price stay as
    NaN so that the checks of the combined calendar see them. Empty, unreadable,
    truncated or malformed files are :class:`DataError`; repairs are appended to
    ``notes``. Full bars are also refused when a row's open or close lies outside its
    low..high or the factor ``adj_close / close`` jumps for no split
    (:func:`~airegime.data.price_checks.check_bar_rows`,
    :func:`~airegime.data.price_checks.check_adjustment`; ``rules`` gives
    ``max_day_move`` and the splits; the file's name is the ticker).
    """
    try:
        cut = _last_line_cut(path)
        raw = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: file is empty (0 bytes); download or copy it again") from None
    except PermissionError:
        raise DataError(f"{path}: permission denied; make the file readable") from None
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}: cannot read CSV, it is not UTF-8 text "
            f"({str(exc).split(' in position')[0]}); save it as UTF-8"
        ) from None
    except (OSError, pd.errors.ParserError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{path}: cannot read CSV ({reason})") from None
    if cut is not None:
        raise DataError(
            f"{path}: the last line {cut!r} does not end with a newline, so the file looks "
            "truncated; download or copy it again (if it is complete, end it with a newline)"
        )
    raw.columns = _column_names(raw.columns, path)
    if "date" not in raw.columns or "adj_close" not in raw.columns:
        raise DataError(
            f"{path}: expected columns date,adj_close (close-only) or "
            f"date,open,high,low,close,adj_close,volume; found {','.join(raw.columns)}"
            + (
                " (no adjusted close: if Close is adjusted already, as in a yfinance "
                "history() export with auto_adjust, name it adj_close)"
                if "close" in raw.columns and "adj_close" not in raw.columns
                else ""
            )
        )
    if raw.empty:
        raise DataError(f"{path}: file has a header but no rows")
    index = (same_dates or SameDates()).parse(raw["date"], path)
    adj = _numbers(raw, "adj_close", index, path)
    if np.isnan(adj).all():
        raise DataError(f"{path}: column 'adj_close' has no numeric values")
    bars = {"open", "high", "low", "close", "volume"}.issubset(raw.columns)
    if bars:
        raw_close = _numbers(raw, "close", index, path)
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = adj / raw_close
        columns = {f: _numbers(raw, f, index, path) * factor for f in ("open", "high", "low")}
        columns["close"] = adj
        columns["volume"] = _numbers(raw, "volume", index, path)
        columns["raw_close"] = raw_close  # checked like the others, then dropped
        frame = pd.DataFrame(columns, index=index)
    else:
        frame = pd.DataFrame({"close": adj}, index=index)
    frame, found = check_rows(frame, str(path))
    ticker = path.stem
    check_bar_rows(frame, str(path), ticker)
    check_adjustment(frame, str(path), ticker, rules.limits, rules.splits.get(ticker.upper(), {}))
    frame = frame.drop(columns=["raw_close"], errors="ignore")
    if notes is not None:
        notes += found
    return frame


def _wide(per_ticker: dict[str, pd.DataFrame], fields: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """One frame per field, a column per ticker, on the sorted union of the tickers' dates
    (NaN where a ticker has no row): what ``pd.DataFrame({ticker: series})`` aligns to,
    built with one row lookup per ticker instead of one alignment per field."""
    frames = list(per_ticker.values())
    index = frames[0].index
    for frame in frames[1:]:
        if not frame.index.equals(index):
            index = index.union(frame.index)
    if not index.is_monotonic_increasing:
        index = index.sort_values()
    rows = [None if f.index.equals(index) else index.get_indexer(f.index) for f in frames]
    wide = {}
    for name in fields:
        values = np.full((len(index), len(frames)), np.nan)
        for j, (frame, at) in enumerate(zip(frames, rows, strict=True)):
            values[slice(None) if at is None else at, j] = frame[name].to_numpy(dtype=float)
        wide[name] = pd.DataFrame(values, index=index, columns=list(per_ticker))
    return wide


def combine(
    per_ticker: dict[str, pd.DataFrame],
    source: str,
    where: Callable[[str], str] | None = None,
    notes: list[str] | None = None,
    rules: PriceRules = DEFAULT_RULES,
) -> PriceData:
    """Align per-ticker frames on the union of their dates (NaN before a listing), checked.

    ``where(ticker)`` names a ticker's file in messages. Bars are kept only when every
    file has them; a close-only file among full-bar files is named in a note, since it
    is why fills fall back to the next close.
    """
    where = where or (lambda t: f"{source} {t}")
    close_only = [t for t, f in per_ticker.items() if "open" not in f.columns]
    bars = not close_only
    notes = list(notes or [])
    if close_only and len(close_only) < len(per_ticker):
        notes.append(
            f"{', '.join(where(t) for t in close_only)}: close-only (date,adj_close) beside "
            "full-bar files, so no opens are used: execution.fill auto fills at the next "
            f"close (next_close), and next_open is refused; give {', '.join(close_only)} "
            "full bars (date,open,high,low,close,adj_close,volume) to fill at the next open"
        )
    fields = BAR_FIELDS if bars else ("close",)
    data = PriceData(source=source, notes=notes, **_wide(per_ticker, fields))
    return checked(data, where, rules)


def load_csv_dir(folder: Path, tickers: list[str], rules: PriceRules = DEFAULT_RULES) -> PriceData:
    """Per-ticker CSV files ``<folder>/<TICKER>.csv``; a missing file is named in the error."""
    if not folder.is_dir():
        raise DataError(
            f"{folder}: price folder not found; set data.path to a folder of <TICKER>.csv files"
        )
    missing = [t for t in tickers if not (folder / f"{t}.csv").is_file()]
    if missing:
        raise DataError(
            f"{folder}: no CSV file for {', '.join(missing)} "
            f"(expected {folder / (missing[0] + '.csv')})"
        )
    notes: list[str] = []
    dates = SameDates()
    frames = {t: read_ticker_csv(folder / f"{t}.csv", notes, rules, dates) for t in tickers}
    return combine(frames, f"csv:{folder}", lambda t: str(folder / f"{t}.csv"), notes, rules)
