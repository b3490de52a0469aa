"""Price sanity checks: what every source refuses, repairs or drops, and the notes it leaves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from airegime.data.price_checks import SanityLimits, check_series
from airegime.data.prices import load_csv_dir, load_sample
from airegime.errors import DataError

DAYS = pd.bdate_range("2018-01-01", periods=600)


def random_walk(vol: float, n: int, seed: int = 0, start: float = 50.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return start * np.exp(np.cumsum(rng.normal(0, vol / np.sqrt(252), n)))


def test_a_synthetic_shell_stretch_is_dropped_with_a_note():
    shell = random_walk(0.05, 250, seed=1, start=10.0)
    company = random_walk(0.55, 350, seed=2, start=shell[-1])
    series = pd.Series(np.concatenate([shell, company]), index=DAYS)
    checked, notes = check_series(series, "X.csv X")
    (note,) = notes
    assert "X.csv X: 2018-01-01.." in note and "shell or placeholder data" in note
    first = checked.first_valid_index()
    assert DAYS[150] < first <= DAYS[260]  # near where the company starts trading
    assert checked.loc[first:].notna().all()


def test_quiet_series_throughout_are_not_shells():
    bond_fund = pd.Series(random_walk(0.015, 600, seed=3), index=DAYS)
    assert check_series(bond_fund, "SHY")[1] == []


def test_a_calm_year_before_a_volatile_one_is_not_a_shell():
    calm = random_walk(0.07, 250, seed=4)
    normal = random_walk(0.20, 350, seed=5, start=calm[-1])
    series = pd.Series(np.concatenate([calm, normal]), index=DAYS)
    assert check_series(series, "SPY")[1] == []


def test_the_raw_vrt_file_is_caught_as_a_shell_until_early_2020(shared_data):
    raw = pd.read_csv(shared_data / "closes" / "VRT.csv", index_col="date", parse_dates=True)
    checked, notes = check_series(raw["adj_close"], "VRT.csv VRT")
    assert len(notes) == 1 and "2018-08-02.." in notes[0]
    assert pd.Timestamp("2019-12-01") < checked.first_valid_index() <= pd.Timestamp("2020-02-10")


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
