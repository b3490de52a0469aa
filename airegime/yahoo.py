"""yfinance prices, cached per ticker under ``data/cache/yahoo/``.

yfinance returns an empty frame instead of raising when offline, and its own
timeouts do not cap a hang, so this module adds what a backtest needs: a hard
wall-clock limit, retries with exponential backoff, atomic cache writes, and an
error naming every ticker that came back empty. The cache holds Yahoo's raw
fields (``date,open,high,low,close,adj_close,volume``), the same format as the
``csv`` source, and is read back through the same parser.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from .cache import atomic_write, atomic_write_text
from .errors import DataError
from .prices import PriceData, combine, read_ticker_csv

#: Seconds before the first retry; later retries wait twice as long each time.
BACKOFF_S = 2.0
YAHOO_FIELDS = {
    "Open": "open",
    "High": "high",
    "Low": "low",
    "Close": "close",
    "Adj Close": "adj_close",
    "Volume": "volume",
}


class EmptyDownload(DataError):
    """yfinance returned no rows for some tickers."""


def _download(tickers: list[str], start: dt.date, end: dt.date) -> pd.DataFrame:
    import yfinance as yf  # imported lazily: only the yahoo source needs it

    return yf.download(
        tickers,
        start=start.isoformat(),
        end=(end + dt.timedelta(days=1)).isoformat(),
        auto_adjust=False,
        actions=False,
        progress=False,
        group_by="column",
        threads=True,
        multi_level_index=True,
    )


def parse_download(payload: pd.DataFrame, tickers: list[str]) -> dict[str, pd.DataFrame]:
    """Split a ``yf.download`` frame into one raw-field frame per ticker with data."""
    if payload is None or payload.empty:
        return {}
    frame = payload.copy()
    if not isinstance(frame.columns, pd.MultiIndex):
        frame.columns = pd.MultiIndex.from_product([frame.columns, tickers[:1]])
    # group_by="column" puts fields on level 0; group_by="ticker" on level 1.
    if not set(YAHOO_FIELDS).intersection(frame.columns.get_level_values(0)):
        frame = frame.swaplevel(0, 1, axis=1)
    index = pd.DatetimeIndex(frame.index)
    frame.index = (index.tz_localize(None) if index.tz is not None else index).normalize()
    result = {}
    for ticker in tickers:
        cols = {
            YAHOO_FIELDS[f]: frame[(f, ticker)]
            for f in YAHOO_FIELDS
            if (f, ticker) in frame.columns
        }
        if "adj_close" not in cols or "close" not in cols:
            continue
        one = pd.DataFrame(cols).dropna(subset=["close", "adj_close"])
        if not one.empty:
            one.index.name = "date"
            result[ticker] = one[[c for c in YAHOO_FIELDS.values() if c in one.columns]]
    return result


def run_with_timeout(func: Callable[[], pd.DataFrame], seconds: float) -> pd.DataFrame:
    """Run ``func`` in a daemon thread; give up after ``seconds`` even if it hangs."""
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = func()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=target, daemon=True, name="yfinance-download")
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise TimeoutError(f"yfinance did not answer within {seconds:.0f} s")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


class YahooPrices:
    """Download-on-miss price source with a per-ticker on-disk cache."""

    def __init__(
        self,
        cache_dir: Path,
        timeout_s: float = 120.0,
        attempts: int = 3,
        download: Callable[[list[str], dt.date, dt.date], pd.DataFrame] | None = None,
        backoff_s: float | None = None,
    ) -> None:
        self.cache_dir = cache_dir / "yahoo"
        self.timeout_s = timeout_s
        self.attempts = attempts
        self.download = download
        self.backoff_s = BACKOFF_S if backoff_s is None else backoff_s

    def _paths(self, ticker: str) -> tuple[Path, Path]:
        return self.cache_dir / f"{ticker}.csv", self.cache_dir / f"{ticker}.meta.json"

    def is_cached(self, ticker: str, start: dt.date, end: dt.date) -> bool:
        data, meta = self._paths(ticker)
        if not (data.is_file() and meta.is_file()):
            return False
        try:
            span = json.loads(meta.read_text())
            return span["start"] <= start.isoformat() and span["end"] >= end.isoformat()
        except (ValueError, KeyError):
            return False

    def fetch(self, tickers: list[str], start: dt.date, end: dt.date) -> None:
        """Download ``tickers`` and write them to the cache; raise naming any empty ones."""
        fetch_once = retry(
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential(multiplier=self.backoff_s, max=30),
            retry=retry_if_exception_type((EmptyDownload, TimeoutError, OSError)),
            reraise=True,
        )(self._fetch_once)
        fetch_once(tickers, start, end)

    def _fetch_once(self, tickers: list[str], start: dt.date, end: dt.date) -> None:
        pending = [t for t in tickers if not self.is_cached(t, start, end)] or tickers
        download = self.download or _download
        payload = run_with_timeout(lambda: download(pending, start, end), self.timeout_s)
        frames = parse_download(payload, pending)
        for ticker, frame in frames.items():
            data, meta = self._paths(ticker)
            atomic_write(data, lambda tmp, f=frame: f.to_csv(tmp, float_format="%.6f"))
            atomic_write_text(
                meta,
                json.dumps(
                    {
                        "start": start.isoformat(),
                        "end": end.isoformat(),
                        "downloaded": dt.date.today().isoformat(),
                    }
                ),
            )
        empty = [t for t in pending if t not in frames]
        if empty:
            raise EmptyDownload(
                f"yahoo: empty download for {', '.join(empty)} ({start}..{end}); check the "
                "tickers and your network, or use data.source: sample for offline runs"
            )

    def load(
        self, tickers: list[str], start: dt.date, end: dt.date, refresh: bool = False
    ) -> PriceData:
        todo = tickers if refresh else [t for t in tickers if not self.is_cached(t, start, end)]
        if todo:
            try:
                self.fetch(todo, start, end)
            except TimeoutError as exc:
                raise DataError(
                    f"yahoo: {exc} for {', '.join(todo)}; retry later or raise data.timeout_s"
                ) from None
        frames = {t: read_ticker_csv(self._paths(t)[0]) for t in tickers}
        frames = {t: f.loc[pd.Timestamp(start) : pd.Timestamp(end)] for t, f in frames.items()}
        empty = [t for t, f in frames.items() if f.empty]
        if empty:
            raise DataError(f"yahoo: no rows for {', '.join(empty)} in {start}..{end}")
        return combine(frames, source="yahoo")
