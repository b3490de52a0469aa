"""Price sources: the bundled sample and per-ticker CSV files, both formats."""

from __future__ import annotations

import pandas as pd
import pytest

from airegime.data.prices import load_csv_dir, load_sample, read_ticker_csv, sample_tickers
from airegime.errors import DataError
from tests.conftest import write_closes


def test_sample_covers_the_article_period_and_the_benchmarks():
    tickers = sample_tickers()
    for needed in ("NVDA", "MSFT", "SPY", "QQQ", "SOXX", "SMH", "TLT", "KWEB", "FXI"):
        assert needed in tickers
    data = load_sample(["NVDA", "SPY"])
    assert data.close.index[0] == pd.Timestamp("2015-01-02")
    assert data.close.index[-1] >= pd.Timestamp("2026-07-31")
    assert data.close.index.tz is None
    assert not data.has_bars


def test_sample_keeps_late_listings_as_nan_before_their_first_day():
    close = load_sample(["PLTR", "SPY"]).close
    assert close.loc[:"2020-09-29", "PLTR"].isna().all()
    assert close.loc["2020-09-30", "PLTR"] > 0


def test_sample_matches_the_shared_closes(shared_data):
    raw = pd.read_csv(shared_data / "closes" / "NVDA.csv", index_col="date", parse_dates=True)
    sample = load_sample(["NVDA"]).close["NVDA"]
    pd.testing.assert_series_equal(
        sample.loc[raw.index], raw["adj_close"], check_names=False, rtol=1e-6, check_freq=False
    )


def test_unknown_sample_ticker_is_named():
    with pytest.raises(DataError, match="no prices for NVDX"):
        load_sample(["NVDA", "NVDX"])


def test_full_bars_are_scaled_to_adjusted_prices(tmp_path):
    path = tmp_path / "X.csv"
    path.write_text(
        "date,open,high,low,close,adj_close,volume\n"
        "2024-01-02,10,12,9,11,5.5,100\n2024-01-03,11,11,10,10,5,200\n"
    )
    frame = read_ticker_csv(path)
    assert frame.loc["2024-01-02"].to_dict() == {
        "open": 5.0,
        "high": 6.0,
        "low": 4.5,
        "close": 5.5,
        "volume": 100.0,
    }


def test_close_only_files_give_close_only_data(tmp_path):
    (tmp_path / "A.csv").write_text("date,adj_close\n2024-01-02,1\n2024-01-03,2\n")
    (tmp_path / "B.csv").write_text("date,adj_close\n2024-01-03,5\n")
    data = load_csv_dir(tmp_path, ["A", "B"])
    assert not data.has_bars
    assert data.close["B"].isna().tolist() == [True, False]


def test_real_full_bar_files_load_with_bars(shared_data):
    data = load_csv_dir(shared_data / "prices", ["NVDA", "MSFT"])
    assert data.has_bars
    nvda = data.close["NVDA"]
    assert nvda.loc["2024-06-18"] == pytest.approx(135.58, rel=2e-3)  # adj ~ raw for NVDA
    assert (data.high["MSFT"] >= data.low["MSFT"]).all()


def test_missing_csv_file_names_ticker_and_path(tmp_path):
    (tmp_path / "A.csv").write_text("date,adj_close\n2024-01-02,1\n")
    with pytest.raises(DataError, match="no CSV file for B"):
        load_csv_dir(tmp_path, ["A", "B"])


def test_csv_with_wrong_columns_names_the_file(tmp_path):
    path = tmp_path / "A.csv"
    path.write_text("day,price\n2024-01-02,1\n")
    with pytest.raises(DataError, match=r"A\.csv: expected columns date,adj_close"):
        read_ticker_csv(path)


def test_empty_csv_is_an_error(tmp_path):
    path = tmp_path / "A.csv"
    path.write_text("date,adj_close\n")
    with pytest.raises(DataError, match="no rows"):
        read_ticker_csv(path)


def test_fingerprint_changes_when_a_price_changes():
    data = load_sample(["NVDA"])
    before = data.fingerprint()
    data.close.iloc[100, 0] += 0.01
    assert data.fingerprint() != before


# --- exported files: dates with UTC offsets, column names -----------------------------------

HISTORY_HEADER = "Date,Open,High,Low,Close,Adj Close,Volume,Dividends,Stock Splits\n"


def test_a_yfinance_history_export_reads_the_dates_as_written_across_a_dst_change(tmp_path):
    path = tmp_path / "AAPL.csv"
    path.write_text(
        HISTORY_HEADER
        + "2023-03-09 00:00:00-05:00,153.56,154.54,150.23,150.59,149.70,53833600,0.0,0.0\n"
        + "2023-03-10 00:00:00-05:00,150.21,150.94,147.61,148.50,147.62,68572400,0.0,0.0\n"
        + "2023-03-13 00:00:00-04:00,147.81,153.14,147.70,150.47,149.58,84457100,0.0,0.0\n"
    )
    frame = read_ticker_csv(path)
    assert list(frame.index) == [
        pd.Timestamp(d) for d in ("2023-03-09", "2023-03-10", "2023-03-13")
    ]
    assert frame.index.tz is None
    assert frame.loc["2023-03-13", "close"] == pytest.approx(149.58)
    assert frame.loc["2023-03-13", "open"] == pytest.approx(147.81 * 149.58 / 150.47)


def test_a_daily_row_stamped_at_another_time_than_midnight_is_refused_not_shifted(tmp_path):
    path = tmp_path / "600519.csv"
    path.write_text("date,adj_close\n2023-03-09 16:00:00+00:00,10\n2023-03-12 16:00:00+00:00,11\n")
    with pytest.raises(DataError) as info:
        read_ticker_csv(path)
    assert str(info.value).startswith(
        f"{path}: date '2023-03-09 16:00:00+00:00' (data row 1) is not at midnight"
    )
    assert "write local dates (YYYY-MM-DD)" in str(info.value)


@pytest.mark.parametrize(
    "header",
    [
        "Date,Adj Close",
        "date,Adj. Close",
        "DATE,AdjClose",
        "Datetime,Adjusted Close",
        "timestamp,adjusted_close",
    ],
)
def test_common_column_names_of_exports_are_accepted(tmp_path, header):
    path = tmp_path / "A.csv"
    path.write_text(f"{header}\n2024-01-02,10\n2024-01-03,11\n")
    assert read_ticker_csv(path)["close"].tolist() == [10, 11]


def test_two_columns_meaning_the_same_field_are_refused(tmp_path):
    path = tmp_path / "A.csv"
    path.write_text("date,Adj Close,adj_close\n2024-01-02,10,10\n")
    with pytest.raises(DataError, match="several columns mean adj_close"):
        read_ticker_csv(path)


def test_an_auto_adjusted_export_without_adj_close_says_how_to_name_it(tmp_path):
    path = tmp_path / "A.csv"
    path.write_text("Date,Open,High,Low,Close,Volume\n2024-01-02,1,1,1,1,1\n")
    with pytest.raises(DataError, match=r"if Close is adjusted already.*name it adj_close"):
        read_ticker_csv(path)


def test_a_blank_date_is_refused(tmp_path):
    path = tmp_path / "A.csv"
    path.write_text("date,adj_close\n2024-01-02,10\n,11\n2024-01-04,12\n")
    with pytest.raises(DataError, match="column 'date' is blank on data row 2"):
        read_ticker_csv(path)


# --- blank fields in full bars ---------------------------------------------------------------

BARS = "date,open,high,low,close,adj_close,volume\n"


def write_bars(folder, ticker: str, rows: dict[str, tuple]) -> None:
    lines = [f"{d},{','.join('' if v is None else str(v) for v in r)}" for d, r in rows.items()]
    (folder / f"{ticker}.csv").write_text(BARS + "\n".join(lines) + "\n")


def bar_rows(days: list[str], blank_open: set[str] = frozenset()) -> dict[str, tuple]:
    return {
        d: (None if d in blank_open else 10.0 + i, 12.0 + i, 9.0 + i, 11.0 + i, 11.0 + i, 100)
        for i, d in enumerate(days)
    }


DAYS = ["2023-01-30", "2023-01-31", "2023-02-01", "2023-02-02", "2023-02-03", "2023-02-06"]


def test_a_blank_open_is_noted_and_orders_at_that_open_fill_at_the_close(tmp_path):
    write_bars(tmp_path, "AAPL", bar_rows(DAYS, {"2023-02-02"}))
    data = load_csv_dir(tmp_path, ["AAPL"])
    assert data.open.loc["2023-02-02", "AAPL"] == data.close.loc["2023-02-02", "AAPL"] == 14.0
    assert data.notes == [
        f"{tmp_path / 'AAPL.csv'}: open blank on 2023-02-02 (the close is there); filled with "
        "that day's close, so an order filling at that open fills at the close"
    ]


def test_blank_opens_beyond_the_fill_limit_are_refused_naming_the_setting(tmp_path):
    write_bars(tmp_path, "AAPL", bar_rows(DAYS, set(DAYS[1:5])))
    with pytest.raises(DataError) as info:
        load_csv_dir(tmp_path, ["AAPL"])
    assert str(info.value) == (
        f"{tmp_path / 'AAPL.csv'}: open blank on 4 days in a row (2023-01-31..2023-02-03) "
        "beside a close; fill the file, or raise data.checks.max_fill_days (now 3) to fill "
        "them with that day's close"
    )


def test_a_close_only_file_among_full_bars_says_why_fills_use_the_next_close(tmp_path):
    write_bars(tmp_path, "AAPL", bar_rows(DAYS))
    write_closes(tmp_path, {"SPY": [1.0, 1.1, 1.2, 1.1, 1.0, 1.1]}, DAYS)
    data = load_csv_dir(tmp_path, ["AAPL", "SPY"])
    assert not data.has_bars
    assert data.notes == [
        f"{tmp_path / 'SPY.csv'}: close-only (date,adj_close) beside full-bar files, so no "
        "opens are used: execution.fill auto fills at the next close (next_close), and "
        "next_open is refused; give SPY full bars (date,open,high,low,close,adj_close,volume) "
        "to fill at the next open"
    ]
