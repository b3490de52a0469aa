"""yfinance prices, cached per ticker under ``data/cache/yahoo/``.

yfinance returns an empty frame instead of raising when offline, its own timeouts
do not cap a hang, and its download threads keep a process alive long after any
caller gave up. So the download runs in a child process that is killed at the
deadline: ``data.timeout_s`` caps the whole fetch, retries and backoff included,
and no yfinance thread outlives it. The child's log lines, warnings and prints are
collected and summarised in one line per ticker instead of reaching the terminal.

The cache holds Yahoo's raw fields (``date,open,high,low,close,adj_close,volume``),
the same format as the ``csv`` source, read back through the same parser and price
checks. Each file has a metadata file with the span asked for and the rows, last
date and SHA-256 of what was written; a cache file that no longer matches it
(truncated, emptied, edited) is downloaded again when online and refused when not.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import io
import json
import logging
import multiprocessing as mp
import os
import re
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from ..errors import DataError
from .cache import atomic_write, atomic_write_text
from .price_checks import DEFAULT_RULES, PriceRules
from .prices import PriceData, combine, read_ticker_csv

#: Seconds before the first retry; later retries wait twice as long each time.
BACKOFF_S = 2.0
#: An attempt is not started with less than this many seconds of the budget left.
MIN_ATTEMPT_S = 1.0
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


def _call_download(tickers: list[str], start: dt.date, end: dt.date) -> pd.DataFrame:
    return _download(tickers, start, end)  # looked up at call time (tests replace it)


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
    """Run ``func`` in a daemon thread; give up after ``seconds`` even if it hangs.

    For in-process callables (tests, injected downloaders); yfinance itself runs in
    :func:`run_isolated`, whose deadline also ends the threads it started.
    """
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


class _Collect(logging.Handler):
    def __init__(self, lines: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            self.lines.append(record.getMessage())


def _child(conn, func: Callable[[], pd.DataFrame]) -> None:  # runs in the child process
    lines: list[str] = []
    root = logging.getLogger()
    root.handlers[:] = [_Collect(lines)]
    root.setLevel(logging.WARNING)
    for name in ("yfinance", "peewee", "urllib3"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    out = io.StringIO()
    try:
        with (
            warnings.catch_warnings(record=True) as caught,
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(out),
        ):
            warnings.simplefilter("always")
            try:
                value, error = func(), None
            except BaseException as exc:  # noqa: BLE001 - reported to the parent
                value, error = None, f"{type(exc).__name__}: {exc}"
        lines += [str(w.message) for w in caught]
        lines += [ln for ln in out.getvalue().splitlines() if ln.strip()]
        conn.send((value, error, lines))
    finally:
        conn.close()
        os._exit(0)  # do not wait for yfinance's own threads


def run_isolated(
    func: Callable[[], pd.DataFrame], seconds: float
) -> tuple[pd.DataFrame, list[str]]:
    """Run ``func`` in a child process killed after ``seconds``; return its value and the
    log lines, warnings and prints it produced. Raises TimeoutError at the deadline."""
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    context = mp.get_context(method)
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(send, func), daemon=True)
    process.start()
    send.close()
    try:
        if not receive.poll(max(seconds, 0.0)):
            raise TimeoutError(f"yfinance did not answer within {seconds:.0f} s")
        try:
            value, error, lines = receive.recv()
        except EOFError:
            raise OSError("the yfinance download process ended without an answer") from None
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receive.close()
    if error is not None:
        raise OSError(f"yfinance failed: {error}")
    return value, lines


def summarise(lines: list[str], tickers: list[str]) -> dict[str, str]:
    """yfinance's messages as one line per ticker they mention (``other``: the rest)."""
    per: dict[str, list[str]] = {}
    for line in lines:
        text = " ".join(line.split())
        named = [
            t for t in tickers if re.search(rf"(?<![A-Z0-9.^-]){re.escape(t)}(?![A-Z0-9])", text)
        ]
        for key in named or ["other"]:
            per.setdefault(key, []).append(text)
    return {
        key: f"{key}: {len(msgs)} yfinance message{'s' if len(msgs) > 1 else ''}, last: "
        f"{msgs[-1][:120]}"
        for key, msgs in per.items()
    }


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class YahooPrices:
    """Download-on-miss price source with a per-ticker on-disk cache, checked on read."""

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
        #: An injected downloader runs in a thread of this process; yfinance (the
        #: default) runs in a child process that the deadline kills.
        self.download = download
        self.backoff_s = BACKOFF_S if backoff_s is None else backoff_s
        #: yfinance's messages of the last fetch, one line per ticker.
        self.messages: dict[str, str] = {}

    def _paths(self, ticker: str) -> tuple[Path, Path]:
        return self.cache_dir / f"{ticker}.csv", self.cache_dir / f"{ticker}.meta.json"

    def _meta(self, ticker: str) -> dict | None:
        data, meta = self._paths(ticker)
        if not (data.is_file() and meta.is_file()):
            return None
        try:
            span = json.loads(meta.read_text())
            return span if isinstance(span, dict) and "start" in span and "end" in span else {}
        except (OSError, ValueError):
            return {}

    def is_cached(self, ticker: str, start: dt.date, end: dt.date) -> bool:
        span = self._meta(ticker)
        return bool(span) and span["start"] <= start.isoformat() and span["end"] >= end.isoformat()

    def damage(self, ticker: str) -> str | None:
        """Why the cached file of ``ticker`` cannot be trusted, or None when it is intact."""
        data, meta = self._paths(ticker)
        span = self._meta(ticker)
        if span == {}:
            return f"{meta} is unreadable"
        try:
            frame = read_ticker_csv(data)
        except DataError as exc:
            return str(exc).removeprefix(f"{data}: ")
        last = frame.index[-1].date().isoformat()
        rows = span.get("rows")
        if rows is not None and (rows != len(frame) or span.get("last") != last):
            return (
                f"holds {len(frame)} rows to {last}, but its metadata records {rows} rows "
                f"to {span.get('last')} (truncated or edited)"
            )
        if span.get("sha256") and span["sha256"] != _sha256(data):
            return "its content differs from what was downloaded (checksum mismatch)"
        if rows is None:  # metadata written before checksums: compare the dates at least
            through = min(span["end"], span.get("downloaded", span["end"]))
            if (dt.date.fromisoformat(through) - frame.index[-1].date()).days > 7:
                return f"ends {last}, but its metadata says it covers to {through}"
        return None

    def fetch(self, tickers: list[str], start: dt.date, end: dt.date) -> None:
        """Download ``tickers`` into the cache within ``timeout_s`` (retries included).

        Raises :class:`EmptyDownload` naming the tickers that came back empty, and
        TimeoutError when the budget runs out.
        """
        # imported here: tenacity (with asyncio) costs 25 ms at the start of every command
        from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

        deadline = time.monotonic() + self.timeout_s
        remaining = lambda: deadline - time.monotonic()  # noqa: E731
        backoff = wait_exponential(multiplier=self.backoff_s, max=30)
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts) | (lambda _: remaining() < MIN_ATTEMPT_S),
            wait=lambda state: max(0.0, min(backoff(state), remaining() - MIN_ATTEMPT_S)),
            retry=retry_if_exception_type((EmptyDownload, OSError)),
            reraise=True,
        )
        self.messages = {}
        pending = list(tickers)  # a retry asks only for what is still missing
        for attempt in retrying:
            with attempt:
                if remaining() <= 0:
                    raise TimeoutError(f"yfinance did not answer within {self.timeout_s:.0f} s")
                self._fetch_once(pending, start, end, remaining())

    def _fetch_once(self, pending: list[str], start: dt.date, end: dt.date, seconds: float) -> None:
        """One download of ``pending``; tickers written to the cache are removed from it."""
        if self.download is not None:
            download = self.download
            payload = run_with_timeout(lambda: download(pending, start, end), seconds)
            lines: list[str] = []
        else:
            call = functools.partial(_call_download, pending, start, end)
            payload, lines = run_isolated(call, seconds)
        self.messages = summarise(lines, pending)
        frames = parse_download(payload, pending)
        for ticker, frame in frames.items():
            self._store(ticker, frame, start, end)
        empty = [t for t in pending if t not in frames]
        pending[:] = empty
        if empty:
            said = "; ".join(self.messages[t] for t in empty if t in self.messages)
            said = said or self.messages.get("other", "")
            raise EmptyDownload(
                f"yahoo: empty download for {', '.join(empty)} ({start}..{end})"
                + (f" [{said}]" if said else "")
                + "; check the tickers and your network, or use data.source: sample offline"
            )

    def _store(self, ticker: str, frame: pd.DataFrame, start: dt.date, end: dt.date) -> None:
        data, meta = self._paths(ticker)
        atomic_write(data, lambda tmp: frame.to_csv(tmp, float_format="%.6f"))
        record = {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "downloaded": dt.date.today().isoformat(),
            "rows": len(frame),
            "last": frame.index[-1].date().isoformat(),
            "sha256": _sha256(data),
        }
        atomic_write_text(meta, json.dumps(record))

    def load(
        self,
        tickers: list[str],
        start: dt.date,
        end: dt.date,
        refresh: bool = False,
        rules: PriceRules = DEFAULT_RULES,
    ) -> PriceData:
        """Prices of ``tickers`` from the cache, downloading what is missing or damaged,
        through the price checks with ``rules``."""
        todo = tickers if refresh else [t for t in tickers if not self.is_cached(t, start, end)]
        damaged = {
            t: reason for t in tickers if t not in todo and (reason := self.damage(t)) is not None
        }
        todo = [*todo, *damaged]
        if todo:
            try:
                self.fetch(todo, start, end)
            except (DataError, TimeoutError, OSError) as exc:
                reason = str(exc).removeprefix("yahoo: ")
                if isinstance(exc, TimeoutError):
                    reason = f"{exc} for {', '.join(todo)}; retry later or raise data.timeout_s"
                if damaged:
                    ticker, why = next(iter(damaged.items()))
                    raise DataError(
                        f"yahoo cache {self._paths(ticker)[0]}: {why}; downloading it again "
                        f"failed ({reason}); connect and run again, or delete the file"
                    ) from None
                raise DataError(f"yahoo: {reason}") from None
        notes = [
            f"yahoo cache {self._paths(t)[0]}: {why}; downloaded again"
            for t, why in damaged.items()
        ]
        notes += list(self.messages.values())
        frames = {t: read_ticker_csv(self._paths(t)[0], notes, rules) for t in tickers}
        frames = {t: f.loc[pd.Timestamp(start) : pd.Timestamp(end)] for t, f in frames.items()}
        empty = [t for t, f in frames.items() if f.empty]
        if empty:
            raise DataError(f"yahoo: no rows for {', '.join(empty)} in {start}..{end}")
        return combine(frames, "yahoo", lambda t: str(self._paths(t)[0]), notes, rules)
