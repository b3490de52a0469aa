"""The yahoo source, with yfinance mocked at the boundary: parsing, cache, errors."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pandas as pd
import pytest

from airegime.data.yahoo import YahooPrices, parse_download, run_with_timeout
from airegime.errors import DataError

FIXTURE = Path(__file__).parent / "fixtures" / "yfinance_download_NVDA_MSFT.csv"
START, END = dt.date(2024, 1, 2), dt.date(2024, 1, 31)


def recorded_payload() -> pd.DataFrame:
    return pd.read_csv(FIXTURE, header=[0, 1], index_col=0, parse_dates=True)


class FakeDownload:
    """Stands in for yfinance.download; counts calls and serves the recorded payload."""

    def __init__(self, payloads: list[pd.DataFrame]) -> None:
        self.payloads = payloads
        self.calls: list[list[str]] = []

    def __call__(self, tickers, start, end):
        self.calls.append(list(tickers))
        payload = self.payloads[min(len(self.calls), len(self.payloads)) - 1]
        keep = [c for c in payload.columns if c[1] in tickers]
        return payload[keep]


def source(tmp_path: Path, fake: FakeDownload) -> YahooPrices:
    return YahooPrices(tmp_path, timeout_s=5, download=fake, backoff_s=0.0)


def test_recorded_payload_parses_into_adjusted_bars(tmp_path):
    fake = FakeDownload([recorded_payload()])
    data = source(tmp_path, fake).load(["NVDA", "MSFT"], START, END)
    assert data.has_bars and data.source == "yahoo"
    assert data.close.loc["2024-01-02", "NVDA"] == pytest.approx(48.154346)
    factor = 48.154346 / 48.167999
    assert data.open.loc["2024-01-02", "NVDA"] == pytest.approx(49.244 * factor)
    assert data.close.index.tz is None


def test_parsing_accepts_group_by_ticker_and_timezone_aware_dates():
    payload = recorded_payload().swaplevel(0, 1, axis=1)
    payload.index = payload.index.tz_localize("America/New_York")
    frames = parse_download(payload, ["NVDA"])
    assert frames["NVDA"].index[0] == pd.Timestamp("2024-01-02")
    assert list(frames["NVDA"].columns) == ["open", "high", "low", "close", "adj_close", "volume"]


def test_second_load_reads_the_cache_without_downloading(tmp_path):
    fake = FakeDownload([recorded_payload()])
    source(tmp_path, fake).load(["NVDA", "MSFT"], START, END)
    source(tmp_path, fake).load(["NVDA", "MSFT"], START, END)
    assert len(fake.calls) == 1
    assert (tmp_path / "yahoo" / "NVDA.csv").is_file()
    assert not list((tmp_path / "yahoo").glob(".*tmp"))


def test_refresh_downloads_again(tmp_path):
    fake = FakeDownload([recorded_payload()])
    source(tmp_path, fake).load(["NVDA"], START, END)
    source(tmp_path, fake).load(["NVDA"], START, END, refresh=True)
    assert len(fake.calls) == 2


def test_empty_download_is_an_error_not_an_empty_backtest(tmp_path):
    fake = FakeDownload([pd.DataFrame()])
    with pytest.raises(DataError, match="empty download for NVDA, MSFT"):
        source(tmp_path, fake).load(["NVDA", "MSFT"], START, END)
    assert len(fake.calls) == 3  # retried with backoff before giving up


def test_partial_download_names_the_missing_ticker_and_keeps_the_rest(tmp_path):
    payload = recorded_payload()
    only_nvda = payload[[c for c in payload.columns if c[1] == "NVDA"]]
    fake = FakeDownload([only_nvda])
    with pytest.raises(DataError, match=r"empty download for MSFT \("):
        source(tmp_path, fake).load(["NVDA", "MSFT"], START, END)
    assert (tmp_path / "yahoo" / "NVDA.csv").is_file()
    assert fake.calls[1] == ["MSFT"]  # the retry asks only for what is still missing


def test_a_transient_failure_is_retried(tmp_path):
    fake = FakeDownload([pd.DataFrame(), recorded_payload()])
    data = source(tmp_path, fake).load(["NVDA"], START, END)
    assert len(fake.calls) == 2 and not data.close.empty


def test_a_hanging_download_hits_the_wall_clock_limit():
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        run_with_timeout(lambda: time.sleep(5), 0.2)
    assert time.monotonic() - started < 2


def test_hang_is_reported_as_a_data_error(tmp_path):
    def hang(tickers, start, end):
        time.sleep(3)

    prices = YahooPrices(tmp_path, timeout_s=0.1, attempts=1, download=hang, backoff_s=0.0)
    with pytest.raises(DataError, match="did not answer within"):
        prices.load(["NVDA"], START, END)
