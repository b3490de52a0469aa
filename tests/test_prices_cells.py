"""A price file's cells: text where a number belongs, an impossible date or a file not in
UTF-8 is refused on one line naming the file, the row and the fix; a blank cell is a gap."""

from __future__ import annotations

from pathlib import Path

import pytest

from airegime.data.prices import read_ticker_csv
from airegime.errors import DataError

CLOSES = ["2023-03-15,150.5", "2023-03-16,151.25", "2023-03-17,152.0", "2023-03-20,151.75"]


def write(tmp_path: Path, lines: list[str], header: str = "date,adj_close") -> Path:
    path = tmp_path / "AAPL.csv"
    path.write_text("\n".join([header, *lines]) + "\n")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(DataError) as info:
        read_ticker_csv(path)
    return str(info.value)


def test_text_in_a_price_cell_is_refused_naming_file_date_column_and_value(tmp_path):
    path = write(tmp_path, [*CLOSES[:2], "2023-03-17,abc", CLOSES[3]])
    assert error_of(path) == (
        f"{path}: column 'adj_close' on 2023-03-17 (row 3) is 'abc', not a number; write a "
        "plain number such as 123.45, or leave the cell blank for a missing price"
    )


def test_a_number_with_a_thousands_separator_is_not_a_number(tmp_path):
    path = write(tmp_path, [*CLOSES[:2], '2023-03-17,"1,152.0"', CLOSES[3]])
    assert "column 'adj_close' on 2023-03-17 (row 3) is '1,152.0', not a number" in error_of(path)


def test_text_in_any_column_of_a_full_bar_is_refused_by_its_name(tmp_path):
    header = "date,open,high,low,close,adj_close,volume"
    rows = ["2023-03-15,1,2,0.5,1.5,1.5,100", "2023-03-16,1,2,0.5,1.5,1.5,lots"]
    message = error_of(write(tmp_path, rows, header))
    assert "column 'volume' on 2023-03-16 (row 2) is 'lots', not a number" in message


def test_a_blank_price_cell_stays_a_gap_for_the_checks(tmp_path):
    path = write(tmp_path, [*CLOSES[:2], "2023-03-17,", CLOSES[3]])
    frame = read_ticker_csv(path)
    assert frame["close"].isna().tolist() == [False, False, True, False]


def test_an_impossible_date_names_file_row_value_and_format(tmp_path):
    path = write(tmp_path, [*CLOSES[:2], "2023-13-45,152.0", CLOSES[3]])
    assert error_of(path) == (
        f"{path}: column 'date' row 3: '2023-13-45' is not a date; write dates as YYYY-MM-DD"
    )


def test_a_word_in_a_non_iso_date_column_names_its_row(tmp_path):
    path = write(tmp_path, ["03/15/2023,150.5", "yesterday,151.25"])
    assert error_of(path) == (
        f"{path}: column 'date' row 2: 'yesterday' is not a date; write dates as YYYY-MM-DD"
    )


def test_a_file_not_in_utf8_is_refused_asking_to_save_it_as_utf8(tmp_path):
    path = tmp_path / "AAPL.csv"
    path.write_bytes("date,adj_close,note\n2023-03-15,150.5,café\n".encode("latin-1"))
    message = error_of(path)
    assert message.startswith(f"{path}: cannot read CSV, it is not UTF-8 text (")
    assert message.endswith("); save it as UTF-8")
