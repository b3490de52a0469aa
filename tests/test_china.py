"""China exposure: point in time, unknown stays unknown, every figure has a source."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from airegime.data.china import ChinaExposure
from airegime.errors import DataError

TABLE = Path(__file__).resolve().parents[1] / "data" / "china_exposure.csv"


@pytest.fixture(scope="module")
def exposure() -> ChinaExposure:
    return ChinaExposure.from_csv(TABLE)


def test_a_figure_is_usable_from_its_filing_date(exposure):
    # NVDA FY2025 figure (13.1%) read from the FY2025 10-K, filed 2025-02-26.
    assert exposure.share_asof(["NVDA"], pd.Timestamp("2025-02-25"))["NVDA"] == 0.1692
    assert exposure.share_asof(["NVDA"], pd.Timestamp("2025-02-26"))["NVDA"] == 0.1311


def test_without_a_filing_date_a_figure_waits_60_days_after_year_end(exposure):
    # NVDA FY2024 ended 2024-01-28; no own-filing date in the table: known from 2024-03-28.
    assert exposure.share_asof(["NVDA"], pd.Timestamp("2024-03-27"))["NVDA"] == 0.2145
    assert exposure.share_asof(["NVDA"], pd.Timestamp("2024-03-28"))["NVDA"] == 0.1692


def test_undisclosed_tickers_are_unknown_not_zero(exposure):
    share = exposure.share_asof(["MSFT", "AAPL"], pd.Timestamp("2024-06-30"))
    assert np.isnan(share["MSFT"]) and share["AAPL"] == pytest.approx(0.1893)


def made_up(rows: list[tuple[str, str, str, float]]) -> ChinaExposure:
    """(ticker, fiscal_year_end, filed, share) rows; the source is not read here."""
    return ChinaExposure(
        pd.DataFrame(
            [(t, int(end[:4]), end, filed, share, "10-K") for t, end, filed, share in rows],
            columns=[
                "ticker",
                "fiscal_year",
                "fiscal_year_end",
                "filed",
                "china_revenue_share",
                "source",
            ],
        )
    )


def test_a_later_year_filed_first_does_not_hide_behind_an_earlier_year_filed_late():
    # FY2023 restated late (filed after FY2024's figure): the later fiscal year still wins
    exposure = made_up(
        [("X", "2023-12-31", "2025-06-01", 0.30), ("X", "2024-12-31", "2025-02-01", 0.20)]
    )
    assert exposure.share_asof(["X"], pd.Timestamp("2025-07-01"))["X"] == 0.20


def test_a_ticker_asked_for_twice_gets_its_share_twice(exposure):
    share = exposure.share_asof(["NVDA", "NVDA"], pd.Timestamp("2025-02-26"))
    assert share.tolist() == [0.1311, 0.1311]


def test_every_row_names_its_source_document():
    table = pd.read_csv(TABLE)
    assert table["source"].str.contains("10-K").all()
    assert table["china_revenue_share"].between(0, 1).all()


def test_a_row_without_source_is_rejected(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(
        "ticker,fiscal_year,fiscal_year_end,filed,china_revenue_share,source\n"
        "X,2024,2024-12-31,,0.2,\n"
    )
    with pytest.raises(DataError, match="row 2: every figure needs its source"):
        ChinaExposure.from_csv(path)
