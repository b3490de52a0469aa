"""Total debt, net cash and debt growth from small made-up filings: a debt figure counts
only while it is at most DEBT_MAX_AGE_DAYS older than the balance sheet beside it.

Every case is read through the panel (what strategies use) and the per-filing replay
(the specification) and must agree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from airegime.data.fundamentals import DEBT_MAX_AGE_DAYS, FundamentalsStore, normalise_facts

COLUMNS = ["total_debt", "net_cash", "debt_to_equity", "debt_growth"]


def balance_sheet(end: str, filed: str, cash: float = 100.0) -> list[tuple]:
    """Cash, total assets and equity on ``end`` (instants)."""
    return [
        ("CashAndCashEquivalentsAtCarryingValue", "", end, filed, cash),
        ("Assets", "", end, filed, 1000.0),
        ("StockholdersEquity", "", end, filed, 400.0),
    ]


def store_of(rows: list[tuple]) -> FundamentalsStore:
    frame = pd.DataFrame(
        rows, columns=["tag", "period_start", "period_end", "filed", "value"]
    ).assign(ticker="X")
    frame["value"] = frame["value"].astype(str)
    return FundamentalsStore(normalise_facts(frame, "test"), "test")


def read(store: FundamentalsStore, date: str) -> pd.Series:
    """The debt columns on ``date``; the panel and the replay must agree."""
    panel = store.metrics_asof(["X"], pd.Timestamp(date)).loc["X", COLUMNS]
    replay = store.metrics_by_replay(["X"], pd.Timestamp(date)).loc["X", COLUMNS]
    pd.testing.assert_series_equal(
        panel.astype(float), replay.astype(float), check_names=False, rtol=1e-12
    )
    return panel.astype(float)


def test_fresh_debt_counts():
    store = store_of(
        [
            *balance_sheet("2023-12-31", "2024-02-01"),
            ("LongTermDebt", "", "2023-12-31", "2024-02-01", 40),
        ]
    )
    row = read(store, "2024-03-01")
    assert row["total_debt"] == 40.0
    assert row["net_cash"] == 60.0
    assert row["debt_to_equity"] == pytest.approx(0.1)


def test_debt_older_than_the_limit_is_unknown_not_carried_forward():
    store = store_of(
        [
            *balance_sheet("2021-12-31", "2022-02-01"),
            ("LongTermDebt", "", "2021-12-31", "2022-02-01", 40),
            *balance_sheet("2023-12-31", "2024-02-01"),  # no debt tagged for this date
        ]
    )
    assert read(store, "2022-03-01")["total_debt"] == 40.0
    row = read(store, "2024-03-01")
    assert row.isna().all()  # total debt, net cash, debt to equity, debt growth


@pytest.mark.parametrize(
    ("days", "counts"), [(DEBT_MAX_AGE_DAYS, True), (DEBT_MAX_AGE_DAYS + 1, False)]
)
def test_the_age_limit_is_inclusive(days, counts):
    bs_end = pd.Timestamp("2023-12-31")
    debt_end = (bs_end - pd.Timedelta(days=days)).strftime("%Y-%m-%d")
    store = store_of(
        [
            ("LongTermDebtNoncurrent", "", debt_end, "2023-02-15", 30),
            ("LongTermDebtCurrent", "", debt_end, "2023-02-15", 5),
            *balance_sheet("2023-12-31", "2024-02-01"),
        ]
    )
    row = read(store, "2024-03-01")
    assert (row["total_debt"] == 35.0) if counts else np.isnan(row["total_debt"])
    assert (row["net_cash"] == 65.0) if counts else np.isnan(row["net_cash"])


def test_a_company_that_never_tagged_debt_has_none():
    row = read(store_of(balance_sheet("2023-12-31", "2024-02-01")), "2024-03-01")
    assert np.isnan(row["total_debt"])  # no debt figure ...
    assert row["net_cash"] == 100.0  # ... but net cash counts the debt as zero


def test_current_debt_alone_makes_net_cash_unknown():
    # DebtCurrent without any long-term total: the company has debt of unknown size.
    store = store_of(
        [
            *balance_sheet("2023-12-31", "2024-02-01"),
            ("DebtCurrent", "", "2023-12-31", "2024-02-01", 7),
        ]
    )
    row = read(store, "2024-03-01")
    assert np.isnan(row["total_debt"]) and np.isnan(row["net_cash"])


def test_a_zero_total_beside_nonzero_current_debt_is_not_debt_free():
    # ORCL's 10-K of 2022-06-21: LongTermDebt 0 and DebtCurrent 3,749M for 2022-05-31.
    store = store_of(
        [
            *balance_sheet("2022-05-31", "2022-06-21"),
            ("LongTermDebt", "", "2022-05-31", "2022-06-21", 0),
            ("DebtCurrent", "", "2022-05-31", "2022-06-21", 3749),
        ]
    )
    row = read(store, "2022-07-01")
    assert np.isnan(row["total_debt"]) and np.isnan(row["net_cash"])


def test_a_zero_total_gives_way_to_same_date_noncurrent_plus_current():
    store = store_of(
        [
            *balance_sheet("2022-05-31", "2022-06-21"),
            ("LongTermDebt", "", "2022-05-31", "2022-06-21", 0),
            ("LongTermDebtNoncurrent", "", "2022-05-31", "2022-06-21", 30),
            ("LongTermDebtCurrent", "", "2022-05-31", "2022-06-21", 5),
        ]
    )
    assert read(store, "2022-07-01")["total_debt"] == 35.0


def test_a_zero_total_alone_is_debt_free():
    store = store_of(
        [
            *balance_sheet("2022-05-31", "2022-06-21"),
            ("LongTermDebt", "", "2022-05-31", "2022-06-21", 0),
        ]
    )
    row = read(store, "2022-07-01")
    assert row["total_debt"] == 0.0 and row["net_cash"] == 100.0


def test_debt_is_used_only_from_its_filing_date():
    store = store_of(
        [
            ("LongTermDebt", "", "2021-12-31", "2022-02-01", 40),
            *balance_sheet("2023-12-31", "2024-02-01"),
            ("LongTermDebt", "", "2023-12-31", "2024-03-15", 50),  # filed after the balance sheet
        ]
    )
    assert np.isnan(read(store, "2024-03-14")["total_debt"])
    assert read(store, "2024-03-15")["total_debt"] == 50.0


def annual_flows(end: str, filed: str) -> list[tuple]:
    start = (pd.Timestamp(end) - pd.Timedelta(days=364)).strftime("%Y-%m-%d")
    return [
        ("Revenues", start, end, filed, 500.0),
        ("NetCashProvidedByUsedInOperatingActivities", start, end, filed, 80.0),
    ]


def test_debt_growth_needs_a_base_of_its_own_year():
    fresh = store_of(
        [
            ("LongTermDebt", "", "2022-12-31", "2023-02-01", 40),
            *annual_flows("2023-12-31", "2024-02-01"),
            *balance_sheet("2023-12-31", "2024-02-01"),
            ("LongTermDebt", "", "2023-12-31", "2024-02-01", 50),
        ]
    )
    assert read(fresh, "2024-03-01")["debt_growth"] == pytest.approx(0.25)
    stale = store_of(
        [
            ("LongTermDebt", "", "2020-12-31", "2021-02-01", 40),  # the only base: 3 years old
            *annual_flows("2023-12-31", "2024-02-01"),
            *balance_sheet("2023-12-31", "2024-02-01"),
            ("LongTermDebt", "", "2023-12-31", "2024-02-01", 50),
        ]
    )
    row = read(stale, "2024-03-01")
    assert row["total_debt"] == 50.0
    assert np.isnan(row["debt_growth"])
