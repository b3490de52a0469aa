"""A researcher's own facts file (`data.fundamentals: csv`): unreadable files are one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from airegime.data.fundamental_sources import read_facts_csv
from airegime.errors import DataError

HEADER = "ticker,tag,period_start,period_end,filed,value\n"


def test_a_facts_file_that_is_not_utf8_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "facts.csv"
    path.write_bytes(
        (HEADER + "NVDA,Revenues,2023-01-30,2024-01-28,2024-02-21,6e10 é\n").encode("latin-1")
    )
    with pytest.raises(
        DataError, match=r"facts\.csv: cannot read CSV, it is not UTF-8 .*save it as UTF-8"
    ):
        read_facts_csv(path)


def test_an_empty_facts_file_is_refused_naming_the_header_it_needs(tmp_path: Path) -> None:
    path = tmp_path / "facts.csv"
    path.write_text("")
    with pytest.raises(
        DataError, match=r"facts\.csv: the fundamentals file is empty; expected a header"
    ):
        read_facts_csv(path)


def test_a_missing_facts_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"not found; set data\.fundamentals_path"):
        read_facts_csv(tmp_path / "nope.csv")


FACTS = (
    HEADER + "msft,Revenues,2023-07-01,2023-09-30,2023-10-24,56517000000\n"
    "MSFT,Assets,,2023-09-30,2023-10-24,411976000000.5\n"
    "NVDA,Revenues,2023-07-31,2023-10-29,2023-11-21,1.812e10\n"
)


def test_a_facts_file_reads_to_the_same_table_as_converting_each_cell(tmp_path: Path) -> None:
    import pandas as pd

    from airegime.data.fundamentals import normalise_facts

    path = tmp_path / "facts.csv"
    path.write_text(FACTS)
    facts = read_facts_csv(path)
    text = pd.read_csv(path, dtype=str).rename(
        columns={"period_start": "start", "period_end": "end"}
    )
    assert facts["ticker"].tolist() == ["MSFT", "MSFT", "NVDA"]
    assert facts["value"].tolist() == [float(v) for v in text["value"]]
    assert facts["start"].isna().tolist() == [False, True, False]
    assert facts["end"].tolist() == pd.to_datetime(text["end"]).tolist()
    assert facts["concept"].tolist() == normalise_facts(text, "x")["concept"].tolist()


def test_a_value_that_is_not_a_number_is_refused_with_its_row(tmp_path: Path) -> None:
    path = tmp_path / "facts.csv"
    path.write_text(FACTS.replace("1.812e10", "n/a!"))
    with pytest.raises(DataError, match=r"row 4: period_end, filed and value must be set"):
        read_facts_csv(path)


def refuses(tmp_path: Path, rows: str, match: str) -> None:
    """``read_facts_csv`` of HEADER + ``rows`` raises a DataError matching ``match``."""
    path = tmp_path / "facts.csv"
    path.write_text(HEADER + rows)
    with pytest.raises(DataError, match=match):
        read_facts_csv(path)


def test_a_value_column_of_true_and_false_is_refused_like_any_text(tmp_path: Path) -> None:
    refuses(
        tmp_path,
        "AAPL,Assets,,2019-12-31,2020-02-01,True\nAAPL,Assets,,2020-03-31,2020-05-01,\n",
        r"facts.csv: row 2: period_end, filed and value must",
    )


def test_rows_with_more_fields_than_the_header_are_refused_naming_the_header(
    tmp_path: Path,
) -> None:
    refuses(
        tmp_path,
        "1,AAPL,Revenues,2010-01-01,2010-12-31,2011-02-01,5\n",
        "the rows have more fields than the header names",
    )


def test_facts_dates_with_different_utc_offsets_are_refused_in_one_line(tmp_path: Path) -> None:
    refuses(
        tmp_path,
        "AAPL,Revenues,2010-01-01,2010-12-31T00:00:00+01:00,2011-02-01,5\n"
        "AAPL,Revenues,2011-01-01,2011-12-31T00:00:00+02:00,2012-02-01,6\n",
        "column period_end: cannot read its dates as one kind",
    )
