"""Full-bar files: impossible bars and jumps of the adjustment factor are refused."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from airegime.cli import app
from airegime.data.price_checks import PriceRules, SanityLimits
from airegime.data.prices import load_csv_dir, read_ticker_csv
from airegime.errors import DataError

HEADER = "date,open,high,low,close,adj_close,volume\n"


def bars_file(folder: Path, rows: list[tuple], ticker: str = "AAPL") -> Path:
    """``<folder>/<ticker>.csv`` from (open, high, low, close, adj_close) rows on weekdays
    from 2024-01-02 (a blank is None)."""
    days = pd.bdate_range("2024-01-02", periods=len(rows))
    cell = lambda v: "" if v is None else f"{v:g}"  # noqa: E731
    lines = [
        f"{d.date()},{','.join(cell(v) for v in row)},1000\n"
        for d, row in zip(days, rows, strict=True)
    ]
    path = folder / f"{ticker}.csv"
    path.write_text(HEADER + "".join(lines))
    return path


def clean_rows(n: int = 6, factor: float = 0.98) -> list[list[float | None]]:
    """n plausible bars: close 100, 101, ..., adj_close = close * factor."""
    return [[c - 0.5, c + 1, c - 1, c, c * factor] for c in (100.0 + i for i in range(n))]


def test_close_above_high_is_refused_with_the_row(tmp_path):
    rows = clean_rows()
    rows[2][3] = 10200.0  # close 102 typed x100; adj_close untouched
    path = bars_file(tmp_path, rows)
    message = (
        f"{path}: AAPL close 10200 on 2024-01-04 is above high 103 (row: open 101.5, high "
        "103, low 101, close 10200): an impossible bar"
    )
    with pytest.raises(DataError, match=re.escape(message)):
        read_ticker_csv(path)


def test_open_above_high_is_refused(tmp_path):
    rows = clean_rows()
    rows[3][0] = 10250.0
    with pytest.raises(DataError, match=r"AAPL open 10250 on 2024-01-05 is above high 104 "):
        read_ticker_csv(bars_file(tmp_path, rows))


def test_close_below_low_is_refused(tmp_path):
    rows = clean_rows()
    rows[1][3] = 1.01
    with pytest.raises(DataError, match=r"AAPL close 1\.01 on 2024-01-03 is below low 100 "):
        read_ticker_csv(bars_file(tmp_path, rows))


def test_high_below_low_is_refused(tmp_path):
    rows = clean_rows()
    rows[4][1] = 10.5  # high 105 typed as 10.5
    with pytest.raises(DataError, match=r"AAPL high 10\.5 on 2024-01-08 is below low 103 "):
        read_ticker_csv(bars_file(tmp_path, rows))


def test_rounding_of_a_hundredth_of_a_percent_passes(tmp_path):
    rows = clean_rows()
    rows[2][0] = 103.005  # open 0.005 above the high 103 (5e-5 relative)
    frame = read_ticker_csv(bars_file(tmp_path, rows))
    assert frame["open"].iloc[2] == pytest.approx(103.005 * 0.98)


def test_blank_open_is_left_to_the_blank_checks(tmp_path):
    rows = clean_rows()
    rows[2][0] = None
    frame = read_ticker_csv(bars_file(tmp_path, rows))
    assert frame["open"].isna().tolist() == [False, False, True, False, False, False]


def test_one_day_factor_spike_is_refused_with_both_values(tmp_path):
    rows = clean_rows()
    rows[2][4] = 102 * 0.98 * 100  # adj_close x100 on one day: the bar itself is fine
    path = bars_file(tmp_path, rows)
    message = (
        f"{path}: AAPL adj_close/close changes x100 on 2024-01-04, close 102 and adj_close "
        "9996 (the row before: 101 and 98.98), beyond data.checks.max_day_move (now 3) for "
        "that day only (back on 2024-01-05): the close or the adj_close of that row is wrong"
    )
    with pytest.raises(DataError, match=re.escape(message)):
        read_ticker_csv(path)


def test_whole_row_typo_is_refused_by_the_factor(tmp_path):
    rows = clean_rows()
    rows[3][:4] = [v * 10 for v in rows[3][:4]]  # open/high/low/close x10, adj_close right
    with pytest.raises(DataError, match=r"changes x0\.1 on 2024-01-05, close 1030 "):
        read_ticker_csv(bars_file(tmp_path, rows))


def test_split_unadjusted_close_passes(tmp_path):
    rows = clean_rows()
    for row in rows[:3]:  # close not split-adjusted before a 4:1 split on 2024-01-05
        row[:4] = [v * 4 for v in row[:4]]
    frame = read_ticker_csv(bars_file(tmp_path, rows))
    assert frame["open"].iloc[0] == pytest.approx(99.5 * 0.98)


def test_lasting_jump_that_is_no_split_is_refused(tmp_path):
    rows = clean_rows()
    for row in rows[:3]:
        row[:4] = [v * 50 for v in row[:4]]
    with pytest.raises(DataError, match=r"x50 on 2024-01-05, .* and stays: .*data/splits\.csv"):
        read_ticker_csv(bars_file(tmp_path, rows))


def test_lasting_jump_of_a_listed_split_passes(tmp_path):
    rows = clean_rows()
    for row in rows[:3]:
        row[:4] = [v * 50 for v in row[:4]]
    bars_file(tmp_path, rows)
    rules = PriceRules(calendar=None, splits={"AAPL": {pd.Timestamp("2024-01-05"): 50.0}})
    data = load_csv_dir(tmp_path, ["AAPL"], rules)
    assert data.open["AAPL"].iloc[0] == pytest.approx(99.5 * 0.98)


def test_factor_limit_is_max_day_move(tmp_path):
    rows = clean_rows()
    rows[2][4] = 102 * 0.98 * 2.5  # a x2.5 spike: within the default x3
    bars_file(tmp_path, rows)
    assert len(load_csv_dir(tmp_path, ["AAPL"], PriceRules(calendar=None)).close) == 6
    rules = PriceRules(limits=SanityLimits(max_day_move=2.0), calendar=None)
    with pytest.raises(DataError, match=r"x2\.5 on 2024-01-04.*max_day_move \(now 2\)"):
        load_csv_dir(tmp_path, ["AAPL"], rules)


def test_no_real_full_bar_file_trips_the_bar_checks(shared_data):
    files = sorted((shared_data / "prices").glob("*.csv"))
    assert len(files) >= 30
    for path in files:
        read_ticker_csv(path)  # raises on an impossible bar or a factor jump


def test_the_largest_real_factor_change_is_vst_special_dividend(shared_data):
    """The figure docs/data.md gives for the factor check's margin."""
    biggest = {}
    for path in (shared_data / "prices").glob("*.csv"):
        raw = pd.read_csv(path, index_col="date")
        factor = raw["adj_close"] / raw["close"]
        ratio = (factor / factor.shift()).dropna()
        extreme = pd.concat([ratio, 1 / ratio], axis=1).max(axis=1)
        biggest[path.stem] = (float(extreme.max()), extreme.idxmax())
    name = max(biggest, key=lambda n: biggest[n][0])
    assert (name, biggest[name][1]) == ("VST", "2016-12-15")
    assert biggest[name][0] == pytest.approx(1.166, abs=1e-3)  # far inside x3


def test_the_cli_refuses_a_close_typo_with_exit_2_and_one_line(csv_config, tmp_path):
    folder = tmp_path / "prices"  # the close-only files of csv_config; NVDA as full bars
    frame = pd.read_csv(folder / "NVDA.csv")
    for name in ("open", "high", "low", "close"):
        frame[name] = frame["adj_close"]
    row = int((frame["date"] == "2020-03-02").to_numpy().nonzero()[0][0])
    frame.loc[row, "close"] *= 100
    frame["volume"] = 1000
    frame[["date", "open", "high", "low", "close", "adj_close", "volume"]].to_csv(
        folder / "NVDA.csv", index=False
    )
    results = str(tmp_path / "results")
    out = CliRunner().invoke(app, ["run", str(csv_config), "--results-dir", results])
    assert out.exit_code == 2
    (line,) = [ln for ln in out.output.splitlines() if ln.startswith("error:")]
    assert line.startswith(f"error: {folder / 'NVDA.csv'}: NVDA close ")
    assert " on 2020-03-02 is above high " in line
