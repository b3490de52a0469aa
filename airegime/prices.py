"""Daily prices behind one interface: ``sample``, ``csv`` and ``yahoo`` sources.

Every source returns a :class:`PriceData`: wide frames (one column per ticker)
on a timezone-naive trading-day index, NaN where a ticker is not listed yet.
``close`` is always the dividend- and split-adjusted close, so returns are
total returns. Full bars (``csv`` with OHLC, ``yahoo``) also carry open, high
and low scaled by the same adjustment factor (``adj_close / close``) and the
raw volume; close-only data (``sample``, ``csv`` with ``date,adj_close``)
fills orders at the close.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError

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
            close, pick(self.open), pick(self.high), pick(self.low), pick(self.volume), self.source
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


# --- sample ------------------------------------------------------------------------------


@cache
def _sample_closes() -> pd.DataFrame:
    ref = resources.files("airegime") / "sample" / "closes.csv.gz"
    with resources.as_file(ref) as path:
        frame = pd.read_csv(path, index_col="date", parse_dates=["date"])
    frame.index = _naive_days(frame.index)
    return frame


def sample_tickers() -> list[str]:
    return list(_sample_closes().columns)


def load_sample(tickers: list[str]) -> PriceData:
    """The bundled snapshot: adjusted closes 2015-01-02..2026-08-03 (see airegime/sample)."""
    closes = _sample_closes()
    missing = [t for t in tickers if t not in closes.columns]
    if missing:
        raise DataError(
            f"sample data: no prices for {', '.join(missing)}; "
            f"the sample holds {', '.join(closes.columns)}"
        )
    return PriceData(close=closes[tickers].dropna(how="all"), source="sample")


# --- csv ---------------------------------------------------------------------------------


def read_ticker_csv(path: Path) -> pd.DataFrame:
    """One ticker's file: ``date,open,high,low,close,adj_close,volume`` or ``date,adj_close``.

    Returns columns open, high, low, close (all adjusted) and volume for full
    bars, or close alone for close-only files.
    """
    try:
        raw = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read CSV ({exc})") from None
    raw.columns = [str(c).strip().lower().replace(" ", "_") for c in raw.columns]
    if "date" not in raw.columns or "adj_close" not in raw.columns:
        raise DataError(
            f"{path}: expected columns date,adj_close (close-only) or "
            f"date,open,high,low,close,adj_close,volume; found {','.join(raw.columns)}"
        )
    if raw.empty:
        raise DataError(f"{path}: file has a header but no rows")
    try:
        index = _naive_days(pd.to_datetime(raw["date"], utc=False))
    except (ValueError, TypeError) as exc:
        raise DataError(f"{path}: column 'date' has values that are not dates ({exc})") from None
    adj = pd.to_numeric(raw["adj_close"], errors="coerce").to_numpy()
    if np.isnan(adj).all():
        raise DataError(f"{path}: column 'adj_close' has no numeric values")
    bars = {"open", "high", "low", "close", "volume"}.issubset(raw.columns)
    if bars:
        raw_close = pd.to_numeric(raw["close"], errors="coerce").to_numpy()
        factor = adj / raw_close
        frame = pd.DataFrame(
            {
                f: pd.to_numeric(raw[f], errors="coerce").to_numpy() * factor
                for f in ("open", "high", "low")
            },
            index=index,
        )
        frame["close"] = adj
        frame["volume"] = pd.to_numeric(raw["volume"], errors="coerce").to_numpy()
    else:
        frame = pd.DataFrame({"close": adj}, index=index)
    frame = frame[~frame.index.duplicated(keep="last")].sort_index()
    return frame.dropna(subset=["close"])


def combine(per_ticker: dict[str, pd.DataFrame], source: str) -> PriceData:
    """Align per-ticker frames on the union of their dates (NaN before a listing)."""
    bars = all("open" in f.columns for f in per_ticker.values())
    fields = BAR_FIELDS if bars else ("close",)
    wide = {
        f: pd.DataFrame({t: df[f] for t, df in per_ticker.items()}).sort_index() for f in fields
    }
    return PriceData(source=source, **wide)


def load_csv_dir(folder: Path, tickers: list[str]) -> PriceData:
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
    frames = {t: read_ticker_csv(folder / f"{t}.csv") for t in tickers}
    return combine(frames, source=f"csv:{folder}")
