"""Bad dates and lags given to ``airegime data`` commands are one line with the fix and
exit 2, the same words as ``explain --date`` and ``sweep --split``; no network is used."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from airegime.cli import app
from airegime.errors import ConfigError, user_date

runner = CliRunner()


def error_lines(out) -> list[str]:
    return [ln for ln in out.output.splitlines() if ln.startswith(("error:", "internal error:"))]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["data", "fundamentals", "NVDA", "--as-of", "2023-13-01"],
            "error: --as-of 2023-13-01: not a date; write dates as YYYY-MM-DD",
        ),
        (
            ["data", "china", "NVDA", "--as-of", "yesterday"],
            "error: --as-of yesterday: not a date; write dates as YYYY-MM-DD",
        ),
        (
            ["data", "fetch", "NVDA", "--start", "2023-13-01"],
            "error: --start 2023-13-01: not a date; write dates as YYYY-MM-DD",
        ),
        (
            ["data", "fetch", "NVDA", "--end", "soon"],
            "error: --end soon: not a date; write dates as YYYY-MM-DD",
        ),
    ],
)
def test_a_bad_date_in_a_data_command_is_one_line_with_exit_2(args, line):
    out = runner.invoke(app, args)
    assert out.exit_code == 2
    assert error_lines(out) == [line]


def test_a_negative_filing_lag_is_refused_like_filing_lag_days_in_a_config():
    out = runner.invoke(app, ["data", "fundamentals", "NVDA", "--lag", "-5"])
    assert out.exit_code == 2
    assert error_lines(out) == [
        "error: --lag -5: days after a filing before it counts must be 0 or more (runs use 1)"
    ]


def test_explain_and_sweep_share_the_same_date_reader():
    assert str(user_date("2023-01-31", "--split").date()) == "2023-01-31"
    with pytest.raises(ConfigError, match=r"^--split 2023-02-30: not a date; write dates as"):
        user_date("2023-02-30", "--split")
