"""Price sanity checks: what every source refuses, repairs or drops, and the notes it leaves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from airegime.data.price_checks import (
    PriceRules,
    SanityLimits,
    check_series,
    check_split_moves,
    exchange_sessions,
)
from airegime.data.prices import (
    _sample_closes,
    load_csv_dir,
    load_sample,
    parse_dates,
    read_first_days,
)
from airegime.errors import DataError
from scripts import build_sample
from tests.conftest import ROOT, write_closes

DAYS = pd.bdate_range("2018-01-01", periods=600)


def random_walk(vol: float, n: int, seed: int = 0, start: float = 50.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return start * np.exp(np.cumsum(rng.normal(0, vol / np.sqrt(252), n)))


def test_a_flat_leading_stretch_is_noted_but_kept():
    shell = random_walk(0.05, 250, seed=1, start=10.0)
    company = random_walk(0.55, 350, seed=2, start=shell[-1])
    series = pd.Series(np.concatenate([shell, company]), index=DAYS)
    checked, notes = check_series(series, "X.csv X")
    (note,) = notes
    assert note.startswith("X.csv X: 2018-01-01..") and "a shell or placeholder data?" in note
    assert "data/first_days.csv" in note
    pd.testing.assert_series_equal(checked, series)  # judged with later prices: never acted on


def test_quiet_series_throughout_are_not_shells():
    bond_fund = pd.Series(random_walk(0.015, 600, seed=3), index=DAYS)
    assert check_series(bond_fund, "SHY")[1] == []


def test_a_calm_year_before_a_volatile_one_is_not_a_shell():
    calm = random_walk(0.07, 250, seed=4)
    normal = random_walk(0.20, 350, seed=5, start=calm[-1])
    series = pd.Series(np.concatenate([calm, normal]), index=DAYS)
    assert check_series(series, "SPY")[1] == []


def test_the_raw_vrt_file_is_noted_as_flat_until_early_2020(shared_data):
    raw = pd.read_csv(shared_data / "closes" / "VRT.csv", index_col="date", parse_dates=True)
    checked, notes = check_series(raw["adj_close"], "VRT.csv VRT")
    assert len(notes) == 1 and "VRT.csv VRT: 2018-08-02..2020-01-2" in notes[0]
    assert checked.first_valid_index() == pd.Timestamp("2018-08-02")


def test_the_raw_vrt_file_starts_on_its_first_day_as_vertiv_by_the_dated_list(shared_data):
    data = load_csv_dir(
        shared_data / "closes",
        ["VRT", "SPY"],
        PriceRules(first_days=read_first_days(ROOT / "data" / "first_days.csv")),
    )
    assert data.close["VRT"].first_valid_index() == pd.Timestamp("2020-02-07")
    assert any(
        "VRT.csv: 381 rows 2018-08-02..2020-02-06 dropped: the ticker is the company meant "
        "from 2020-02-07 (data/first_days.csv)" in note
        for note in data.notes
    )


def test_first_days_drop_the_rows_before_them_whatever_comes_later(tmp_path):
    days = pd.bdate_range("2024-01-02", periods=8)
    write_closes(tmp_path, {"A": [10.0, 10.1, 10.0, 10.1, 11, 13, 12, 14]}, list(days.date))
    rules = PriceRules(calendar=None, first_days={"A": days[4]})
    data = load_csv_dir(tmp_path, ["A"], rules)
    assert data.close["A"].first_valid_index() == days[4]
    assert data.close["A"].dropna().tolist() == [11, 13, 12, 14]


def test_no_other_shared_series_trips_the_checks(shared_data):
    for path in sorted((shared_data / "closes").glob("*.csv")):
        if path.stem == "VRT":
            continue
        raw = pd.read_csv(path, index_col="date", parse_dates=True)["adj_close"]
        assert check_series(raw, path.name)[1] == [], path.name


def test_the_bundled_vrt_starts_on_its_first_day_as_vertiv():
    data = load_sample(["VRT", "SPY"])
    assert data.close["VRT"].first_valid_index() == pd.Timestamp("2020-02-07")
    assert data.notes == []  # the sample is clean: nothing repaired


def test_the_build_script_takes_its_first_days_from_the_dated_list():
    assert build_sample.FIRST_DAYS == {"VRT": pd.Timestamp("2020-02-07")}


def test_a_short_blank_is_filled_with_a_note_naming_file_and_dates(tmp_path):
    (tmp_path / "A.csv").write_text(
        "date,adj_close\n2024-01-02,10\n2024-01-03,\n2024-01-04,12\n2024-01-05,13\n"
    )
    data = load_csv_dir(tmp_path, ["A"])
    assert data.close["A"].tolist() == [10, 10, 12, 13]
    assert data.notes == [
        f"{tmp_path / 'A.csv'}: no price on 2024-01-03; filled with the previous close (10)"
    ]


def test_a_long_blank_stretch_is_an_error_with_its_dates():
    series = pd.Series(100.0 + np.arange(30.0), index=DAYS[:30])
    series.iloc[10:20] = np.nan
    with pytest.raises(DataError, match=r"X\.csv: no price on 10 trading days 2018-01-15"):
        check_series(series, "X.csv")


def test_a_gap_longer_than_any_market_closure_is_an_error():
    series = pd.Series(100.0 + np.arange(30.0), index=DAYS[:30]).drop(DAYS[10:20])
    with pytest.raises(DataError, match="no rows between 2018-01-12 and 2018-01-29"):
        check_series(series, "X.csv")


def test_the_same_close_many_days_in_a_row_is_placeholder_data():
    series = pd.Series(100.0 + np.arange(30.0), index=DAYS[:30])
    series.iloc[5:20] = 42.0
    with pytest.raises(DataError, match="the same close 42 on 15 days in a row"):
        check_series(series, "X.csv")


def test_limits_are_parameters():
    series = pd.Series(100.0 + np.arange(30.0), index=DAYS[:30])
    series.iloc[10:15] = np.nan
    checked, notes = check_series(series, "X", SanityLimits(max_fill_days=5))
    assert checked.notna().all() and len(notes) == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("2024-01-02,10\n2024-01-02,11\n", "duplicated dates 2024-01-02"),
        ("2024-01-02,10\n2024-01-03,-1\n", "non-positive close on 2024-01-03"),
        ("2024-01-02,10\n2024-01-03,0\n", "non-positive close on 2024-01-03"),
        ("2024-01-02,10\n2024-01-03,inf\n", "infinite prices on 2024-01-03"),
        ("2024-01-02,10\n2024-01-03,\n", "blank on the last 1 rows"),
        ("2024-01-02,10\n2024-01-03,1", "does not end with a newline"),
    ],
)
def test_bad_rows_are_errors_naming_the_file(tmp_path, body, message):
    (tmp_path / "A.csv").write_text("date,adj_close\n" + body)
    with pytest.raises(DataError, match=message) as info:
        load_csv_dir(tmp_path, ["A"])
    assert str(info.value).startswith(str(tmp_path / "A.csv"))


def test_rows_out_of_order_are_sorted_with_a_note(tmp_path):
    (tmp_path / "A.csv").write_text("date,adj_close\n2024-01-03,11\n2024-01-02,10\n")
    data = load_csv_dir(tmp_path, ["A"])
    assert data.close["A"].tolist() == [10, 11] and "sorted by date" in data.notes[0]


# --- exchange calendars ------------------------------------------------------------------


def sessions(calendar: str, start: str, end: str) -> pd.DatetimeIndex:
    return exchange_sessions(calendar, pd.Timestamp(start), pd.Timestamp(end))


def write_days(folder, tickers: list[str], days: pd.DatetimeIndex) -> None:
    values = list(100.0 * np.exp(np.cumsum(np.random.default_rng(1).normal(0, 0.01, len(days)))))
    write_closes(folder, {t: values for t in tickers}, list(days.date))


def test_the_sample_rows_are_exactly_the_nyse_sessions():
    closes = _sample_closes()
    assert closes.index.equals(sessions("XNYS", "2015-01-02", "2026-08-03"))


def test_a_week_missing_from_every_file_is_refused_on_the_exchange_calendar(tmp_path):
    days = sessions("XNYS", "2023-01-03", "2023-06-30")
    write_days(tmp_path, ["A", "B"], days[(days < "2023-03-06") | (days > "2023-03-10")])
    with pytest.raises(DataError) as info:
        load_csv_dir(tmp_path, ["A", "B"])
    message = str(info.value)
    assert message.startswith(
        f"{tmp_path / 'A.csv'}: no price on 5 XNYS sessions 2023-03-06..2023-03-10 inside the "
        "series; if XNYS is not the exchange of this file, set data.calendar"
    )
    assert message.endswith(
        "raise data.checks.max_fill_days (now 3) to fill them with the previous close"
    )


def test_a_longer_fill_limit_fills_the_missing_week_with_notes(tmp_path):
    days = sessions("XNYS", "2023-01-03", "2023-06-30")
    write_days(tmp_path, ["A"], days[(days < "2023-03-06") | (days > "2023-03-10")])
    data = load_csv_dir(tmp_path, ["A"], PriceRules(limits=SanityLimits(max_fill_days=5)))
    assert data.close.index.equals(days)
    assert data.notes == [
        f"{tmp_path / 'A.csv'}: no price on 2023-03-06, 2023-03-07, 2023-03-08 and 2 more; "
        f"filled with the previous close ({data.close.loc['2023-03-03', 'A']:.6g})"
    ]


def test_a_session_no_file_has_is_filled_with_a_note(tmp_path):
    days = sessions("XNYS", "2023-01-03", "2023-03-31")
    write_days(tmp_path, ["A"], days.drop(pd.Timestamp("2023-02-15")))
    data = load_csv_dir(tmp_path, ["A"])
    assert pd.Timestamp("2023-02-15") in data.close.index
    assert data.close.loc["2023-02-15", "A"] == data.close.loc["2023-02-14", "A"]
    assert data.notes == [
        f"{tmp_path / 'A.csv'}: no price on 2023-02-15; filled with the previous close "
        f"({data.close.loc['2023-02-14', 'A']:.6g})"
    ]


SHANGHAI = sessions("XSHG", "2023-06-01", "2024-03-29")


def test_shanghai_holidays_pass_on_the_shanghai_calendar(tmp_path):
    assert pd.Timestamp("2023-10-02") not in SHANGHAI  # Golden Week
    assert pd.Timestamp("2024-02-12") not in SHANGHAI  # Spring Festival
    write_days(tmp_path, ["600519", "000300"], SHANGHAI)
    data = load_csv_dir(tmp_path, ["600519", "000300"], PriceRules(calendar="XSHG"))
    assert data.close.index.equals(SHANGHAI) and data.notes == []


def test_shanghai_holidays_are_refused_on_the_nyse_calendar_naming_the_setting(tmp_path):
    write_days(tmp_path, ["600519"], SHANGHAI)
    with pytest.raises(DataError, match=r"no price on 6 XNYS sessions 2023-09-29\.\.2023-10-06"):
        load_csv_dir(tmp_path, ["600519"])


def test_rows_on_days_the_exchange_is_closed_are_kept_and_noted(tmp_path):
    every_day = pd.date_range("2023-01-02", "2023-01-31")
    write_days(tmp_path, ["BTC"], every_day)
    write_days(tmp_path, ["SPY"], sessions("XNYS", "2023-01-02", "2023-01-31"))
    data = load_csv_dir(tmp_path, ["BTC", "SPY"])
    assert data.close.index.equals(every_day)
    assert data.close.loc["2023-01-07", "SPY"] == data.close.loc["2023-01-06", "SPY"]
    assert data.notes == [
        f"{tmp_path / 'BTC.csv'}: rows on 10 day(s) XNYS is closed (2023-01-02, 2023-01-07, "
        "2023-01-08 and 7 more); kept (other tickers carry their previous close on them); if "
        "the files come from another exchange, set data.calendar to it (e.g. XSHG, XLON, 24/7)"
    ]


def test_a_market_open_every_day_passes_on_the_24_7_calendar(tmp_path):
    write_days(tmp_path, ["BTC"], pd.date_range("2023-01-01", "2023-03-31"))
    assert load_csv_dir(tmp_path, ["BTC"], PriceRules(calendar="24/7")).notes == []


def test_without_a_calendar_gaps_are_judged_in_calendar_days(tmp_path):
    days = pd.bdate_range("2023-01-02", "2023-03-31")
    write_days(tmp_path, ["A"], days[(days < "2023-02-06") | (days > "2023-02-15")])
    with pytest.raises(DataError) as info:
        load_csv_dir(tmp_path, ["A"], PriceRules(calendar=None))
    assert "no rows between 2023-02-03 and 2023-02-16 (13 calendar days)" in str(info.value)
    assert "raise data.checks.max_gap_days (now 10)" in str(info.value)


def test_an_unknown_calendar_is_one_line():
    with pytest.raises(DataError, match=r"data\.calendar: unknown exchange calendar 'XXXX'"):
        sessions("XXXX", "2023-01-02", "2023-01-31")


# --- split-sized moves ---------------------------------------------------------------------

SPLIT_DAY = pd.Timestamp("2023-06-15")
YEAR = sessions("XNYS", "2022-06-01", "2023-12-29")


def apple_like(seed: int = 0) -> pd.Series:
    """A stock of 25% volatility around 180."""
    return pd.Series(random_walk(0.25, len(YEAR), seed=seed, start=150.0), index=YEAR)


def unadjusted(series: pd.Series, ratio: float = 4.0) -> pd.Series:
    """``series`` as a file not adjusted for a ``ratio``:1 split on SPLIT_DAY."""
    return series.where(series.index >= SPLIT_DAY, series * ratio)


def test_an_unadjusted_split_is_refused_with_ticker_date_and_ratio():
    series = unadjusted(apple_like())
    with pytest.raises(DataError) as info:
        check_split_moves(series, "AAPL.csv", "AAPL")
    message = str(info.value)
    move = series[SPLIT_DAY] / series.shift()[SPLIT_DAY] - 1
    assert message.startswith(f"AAPL.csv: {move:+.1%} on 2023-06-15 (")
    assert "of a 4:1 split and" in message and "times the daily volatility before it" in message
    assert message.endswith("set data.known_moves: {AAPL: [2023-06-15]}")


@pytest.mark.parametrize(
    ("ratio", "name"), [(2, "2:1 split"), (10, "10:1 split"), (0.2, "1:5 reverse split")]
)
def test_every_split_ratio_and_its_inverse_is_recognised(ratio, name):
    with pytest.raises(DataError, match=name):
        check_split_moves(unadjusted(apple_like(), ratio), "X.csv", "X")


def test_a_move_declared_real_passes():
    series = unadjusted(apple_like())
    check_split_moves(series, "AAPL.csv", "AAPL", known=frozenset({SPLIT_DAY}))


def test_a_halving_within_the_series_own_volatility_passes():
    wild = pd.Series(random_walk(2.0, len(YEAR), seed=4, start=50.0), index=YEAR)  # ~13% a day
    check_split_moves(unadjusted(wild, 2), "X.csv", "X")


def test_a_split_is_judged_on_the_volatility_before_it_only():
    """Wild prices after the split day must not excuse it: only earlier prices decide."""
    series = unadjusted(apple_like())
    wild_after = pd.Series(random_walk(3.0, len(YEAR), seed=9, start=1.0), index=YEAR)
    later = series.index > SPLIT_DAY
    series[later] = series[SPLIT_DAY] * wild_after[later] / wild_after[later].iloc[0]
    with pytest.raises(DataError, match="on 2023-06-15"):
        check_split_moves(series, "AAPL.csv", "AAPL")


def test_a_split_listed_in_splits_csv_adjusts_the_earlier_prices_with_a_note(tmp_path):
    right = apple_like()
    write_closes(tmp_path, {"AAPL": list(unadjusted(right))}, list(YEAR.date))
    rules = PriceRules(splits={"AAPL": {SPLIT_DAY: 4.0}})
    data = load_csv_dir(tmp_path, ["AAPL"], rules)
    file_move = unadjusted(right).pct_change()[SPLIT_DAY]
    pd.testing.assert_series_equal(
        data.close["AAPL"], right.round(6), check_names=False, check_freq=False
    )
    assert data.notes == [
        f"{tmp_path / 'AAPL.csv'}: prices before 2023-06-15 divided by 4: the file is not "
        f"adjusted for the 4:1 split of 2023-06-15 listed in data/splits.csv (a {file_move:+.1%} "
        "day otherwise)"
    ]


def test_a_listed_split_the_file_is_adjusted_for_changes_nothing(tmp_path):
    right = apple_like()
    write_closes(tmp_path, {"AAPL": list(right)}, list(YEAR.date))
    data = load_csv_dir(tmp_path, ["AAPL"], PriceRules(splits={"AAPL": {SPLIT_DAY: 4.0}}))
    assert data.notes == [] and data.close["AAPL"].round(6).equals(right.round(6))


def test_no_shared_series_looks_like_an_unadjusted_split(shared_data):
    for folder in ("closes", "prices"):
        for path in sorted((shared_data / folder).glob("*.csv")):
            raw = pd.read_csv(path, index_col="date", parse_dates=True)["adj_close"]
            check_split_moves(raw, path.name, path.stem)


def test_plain_iso_dates_are_read_as_the_days_written():
    days = parse_dates(pd.Series(["2023-03-10", "2023-03-13"], dtype=object), Path("f.csv"))
    assert days.name == "date" and [d.date().isoformat() for d in days] == [
        "2023-03-10",
        "2023-03-13",
    ]


def test_one_stamp_at_a_time_of_day_among_plain_dates_is_still_refused():
    values = pd.Series(["2023-03-10", "2023-03-13 09:30:00"], dtype=object)
    with pytest.raises(DataError, match="is not at midnight"):
        parse_dates(values, Path("f.csv"))


def test_midnight_stamps_with_their_offset_read_as_the_local_day():
    values = pd.Series(["2023-03-10 00:00:00-05:00", "2023-03-13 00:00:00-04:00"], dtype=object)
    days = parse_dates(values, Path("f.csv"))
    assert [d.date().isoformat() for d in days] == ["2023-03-10", "2023-03-13"]


def test_exchange_sessions_are_kept_in_the_cache_for_later_processes(tmp_path, monkeypatch):
    """The calendar's days are written once to the cache folder; a later process reads
    them back (the same days) without building the calendar again."""
    from airegime.data import price_checks

    first, last = pd.Timestamp("2019-06-03"), pd.Timestamp("2021-03-31")
    built = price_checks.exchange_sessions("XNYS", first, last)
    price_checks._session_days.cache_clear()
    assert price_checks.exchange_sessions("XNYS", first, last, tmp_path).equals(built)
    assert [p.suffix for p in tmp_path.iterdir()] == [".npy"]

    price_checks._session_days.cache_clear()  # a new process: only the file is left

    def no_build(*args):
        raise AssertionError("the calendar was built again")

    monkeypatch.setattr(price_checks, "_exchange_calendar", no_build)
    assert price_checks.exchange_sessions("XNYS", first, last, tmp_path).equals(built)
    assert price_checks.calendar_span("XNYS", first, last, tmp_path) == (first, last)
    price_checks._session_days.cache_clear()


@pytest.mark.parametrize(
    "content",
    [
        b"",  # an empty file
        b"\x93NUMPY garbage",  # cut off
        "empty",  # a valid .npy of no days
        "two-d",  # a valid .npy of the wrong shape
        "ints",  # a valid .npy of the wrong type
    ],
)
def test_a_damaged_calendar_cache_is_built_again(tmp_path, content):
    from airegime.data import price_checks

    first, last = pd.Timestamp("2020-01-02"), pd.Timestamp("2020-12-31")
    price_checks._session_days.cache_clear()
    built = price_checks.exchange_sessions("XNYS", first, last, tmp_path)
    (path,) = tmp_path.iterdir()
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        arrays = {
            "empty": np.array([], dtype="datetime64[D]"),
            "two-d": np.zeros((2, 2), dtype="datetime64[D]"),
            "ints": np.arange(5),
        }
        with open(path, "wb") as handle:
            np.save(handle, arrays[content])
    price_checks._session_days.cache_clear()
    assert price_checks.exchange_sessions("XNYS", first, last, tmp_path).equals(built)
    assert price_checks.calendar_span("XNYS", first, last, tmp_path) == (first, last)
    price_checks._session_days.cache_clear()
    assert np.load(path).size > 300  # the file was written again
