"""Valuation, net cash, margins and staleness on the bundled facts, across stock splits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from airegime.data.fundamental_sources import load_fundamentals
from airegime.data.fundamentals import FundamentalsStore, Splits, drop_jumps, normalise_facts
from airegime.data.prices import load_sample
from airegime.paths import project_root

ROOT = project_root()
NAMES = ["NVDA", "AAPL", "MSFT", "AMD", "QCOM", "AMZN", "GOOGL", "MU", "SNOW", "AVGO", "CRM"]


@pytest.fixture(scope="module")
def close() -> pd.DataFrame:
    return load_sample(NAMES).close


@pytest.fixture(scope="module")
def store(close) -> FundamentalsStore:
    return load_fundamentals("sample", NAMES, ROOT, price_vintage=close.index[-1])


def on(store, close, date: str, tickers=NAMES) -> pd.DataFrame:
    day = pd.Timestamp(date)
    return store.metrics_asof(tickers, day, close.loc[:day].ffill().iloc[-1])


def facts(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows, columns=["ticker", "tag", "period_start", "period_end", "filed", "value"]
    )
    return normalise_facts(frame.astype(str).replace("None", ""), "test")


# --- market cap and P/E on one split basis ----------------------------------------------


@pytest.mark.parametrize(
    ("ticker", "split", "ratio"),
    [
        ("NVDA", "2021-07-20", 4),
        ("NVDA", "2024-06-10", 10),
        ("AMZN", "2022-06-06", 20),
        ("GOOGL", "2022-07-18", 20),
    ],
)
def test_pe_never_jumps_by_a_split_ratio_around_a_split(store, close, ticker, split, ratio):
    # Every day from three months before to three months after the split, filings of
    # both split bases included: market cap moves only with the market, and P/E from
    # share counts agrees with price / TTM diluted EPS (two independent share bases).
    days = close.loc[pd.Timestamp(split) - pd.Timedelta(days=90) :].index[:125]
    rows = pd.DataFrame({d: on(store, close, str(d.date()), [ticker]).loc[ticker] for d in days}).T
    cap = rows["market_cap"].astype(float)
    step = (cap / cap.shift()).dropna()
    assert step.max() < 1.5 and step.min() > 1 / 1.5, (step.idxmax(), step.max(), ratio)
    price = close.loc[days, ticker]
    by_eps = price / rows["eps_diluted_ttm"].astype(float)
    agreement = by_eps / rows["pe_ttm"].astype(float)
    assert agreement.between(0.8, 1.25).all(), agreement.describe()


@pytest.mark.parametrize(
    ("ticker", "date", "low", "high"),
    [
        ("NVDA", "2024-06-28", 2.8e12, 3.3e12),  # after the 10:1 split, last 10-Q before it
        ("NVDA", "2021-06-30", 0.4e12, 0.6e12),  # before the 4:1 split
        ("AMZN", "2022-06-30", 0.95e12, 1.2e12),  # after the 20:1 split
        ("GOOGL", "2022-07-29", 1.3e12, 1.7e12),
        ("AAPL", "2020-09-30", 1.8e12, 2.2e12),
    ],
)
def test_market_cap_is_of_the_right_size_across_splits(store, close, ticker, date, low, high):
    assert low < on(store, close, date, [ticker]).loc[ticker, "market_cap"] < high


def test_share_counts_filed_before_a_split_are_put_on_the_price_basis():
    raw = facts(
        [
            ("X", "WeightedAverageNumberOfDilutedSharesOutstanding", "2024-01-01", "2024-03-31",
             "2024-05-01", 10),
            ("X", "EarningsPerShareDiluted", "2024-01-01", "2024-03-31", "2024-05-01", 4.0),
            ("X", "WeightedAverageNumberOfDilutedSharesOutstanding", "2024-04-01", "2024-06-30",
             "2024-08-01", 100),
        ]
    )  # fmt: skip
    splits = Splits(pd.DataFrame({"ticker": ["X"], "date": [pd.Timestamp("2024-06-10")],
                                  "ratio": [10.0]}))  # fmt: skip
    moved = splits.to_basis(raw, pd.Timestamp("2026-01-01"))
    assert moved["value"].tolist() == [100.0, 0.4, 100.0]
    # A split after the price vintage is not in the prices yet, so not applied either.
    assert splits.to_basis(raw, pd.Timestamp("2024-06-01"))["value"].tolist() == [10, 4.0, 100]


def test_loss_makers_get_a_price_to_sales_but_no_pe(store, close):
    row = on(store, close, "2024-06-28", ["SNOW"]).loc["SNOW"]
    assert row["net_income_ttm"] < 0 and np.isnan(row["pe_ttm"])
    assert row["ps_ttm"] == pytest.approx(row["market_cap"] / row["revenue_ttm"])
    assert row["ev_to_sales"] == pytest.approx(
        (row["market_cap"] - row["net_cash"]) / row["revenue_ttm"]
    )


def test_without_net_income_pe_is_price_over_diluted_eps(store, close):
    row = on(store, close, "2024-06-28", ["AVGO"]).loc["AVGO"]  # AVGO tags no NetIncomeLoss
    assert np.isnan(row["net_income_ttm"]) and 40 < row["pe_ttm"] < 120


def test_done_when_five_names_show_pe_net_cash_and_staleness(store, close):
    table = on(store, close, "2024-06-28", ["NVDA", "AAPL", "MSFT", "AMD", "QCOM"])
    assert table["pe_ttm"].notna().all()
    assert (table["short_term_investments"] > 0).all()
    assert table["staleness_days"].notna().all()


# --- net cash ---------------------------------------------------------------------------


def test_msft_net_cash_includes_short_term_investments(store, close):
    # MSFT 10-K FY2023 (balance sheet 2023-06-30): cash 34,704 + short-term investments
    # 76,558 - long-term debt 41,990 (USD m). Before: -7.3B, now +69.3B.
    row = on(store, close, "2023-08-01", ["MSFT"]).loc["MSFT"]
    assert row["net_cash"] == (34_704 + 76_558 - 41_990) * 1e6


def test_aapl_long_term_marketable_securities_are_reported_apart(store, close):
    # AAPL 10-Q Q2 FY2024 (2024-03-30): cash 32,695, current marketable securities 34,455,
    # non-current 95,187, LongTermDebt 102,600 (USD m).
    row = on(store, close, "2024-06-28", ["AAPL"]).loc["AAPL"]
    assert row["net_cash"] == (32_695 + 34_455 - 102_600) * 1e6
    assert row["long_term_investments"] == 95_187e6


# --- staleness and data quality ---------------------------------------------------------


def test_staleness_is_days_since_the_newest_period_end(store, close):
    table = on(store, close, "2024-06-28", ["NVDA", "MSFT"])
    # NVDA Q1 FY2025 ended 2024-04-28; MSFT files only 10-Ks here: FY2023 ended 2023-06-30.
    assert table.loc["NVDA", "staleness_days"] == 61
    assert table.loc["MSFT", "staleness_days"] == 364
    assert table.loc["MSFT", "ttm_age_days"] == 364


def test_a_company_with_no_facts_yet_has_no_staleness(store, close):
    assert np.isnan(on(store, close, "2024-06-28", ["CRM"]).loc["CRM", "staleness_days"])


def test_a_value_50x_off_its_neighbours_is_dropped_with_a_note():
    raw = facts(
        [
            ("X", "CashAndCashEquivalentsAtCarryingValue", None, "2017-09-30", "2017-11-01", 2e9),
            ("X", "CashAndCashEquivalentsAtCarryingValue", None, "2017-12-31", "2018-03-01", 5e4),
            ("X", "CashAndCashEquivalentsAtCarryingValue", None, "2018-03-31", "2018-05-01", 1e9),
        ]
    )
    kept, notes = drop_jumps(raw)
    assert kept["value"].tolist() == [2e9, 1e9]
    assert len(notes) == 1 and "X CashAndCashEquivalentsAtCarryingValue 2017-12-31" in notes[0]


def test_jumps_are_judged_within_each_company_and_a_row_without_a_ticker_is_left_alone():
    cash = "CashAndCashEquivalentsAtCarryingValue"
    raw = facts(
        [
            ("X", cash, None, "2017-09-30", "2017-11-01", 2e9),
            ("Y", cash, None, "2017-09-30", "2017-11-02", 3e4),
            ("X", cash, None, "2017-12-31", "2018-03-01", 5e4),
            ("Y", cash, None, "2017-12-31", "2018-03-02", 4e9),
            (None, cash, None, "2017-12-31", "2018-03-03", 1.0),
            ("X", cash, None, "2018-03-31", "2018-05-01", 1e9),
            ("Y", cash, None, "2018-03-31", "2018-05-02", 2e4),
        ]
    )
    kept, notes = drop_jumps(raw)
    assert kept["value"].tolist() == [2e9, 3e4, 1.0, 1e9, 2e4]
    assert [n.split(":")[0] for n in notes] == [f"X {cash} 2017-12-31", f"Y {cash} 2017-12-31"]


def test_debt_may_truly_rise_from_almost_nothing():
    raw = facts(
        [
            ("X", "LongTermDebt", None, "2021-12-25", "2022-02-03", 1e6),
            ("X", "LongTermDebt", None, "2022-03-26", "2022-05-04", 1.5e9),
        ]
    )
    assert len(drop_jumps(raw)[0]) == 2


def test_the_real_dlr_cash_slip_is_dropped(store):
    dlr = load_fundamentals("sample", ["DLR"], ROOT)
    assert any("DLR CashAndCashEquivalentsAtCarryingValue 2017-12-31" in n for n in dlr.notes)
    known = dlr.known("DLR", pd.Timestamp("2018-06-01"))
    cash = known[known["concept"] == "cash"].set_index("end")["value"]
    assert pd.Timestamp("2017-12-31") not in cash.index
    assert cash[pd.Timestamp("2018-03-31")] == 22_370_000


def test_unknown_net_cash_leaves_ev_to_sales_unknown(store, close):
    # AVGO's last long-term debt tag is 2022-07, over a year before its 2024 balance
    # sheets: its debt, so its net cash, is unknown, and so is its enterprise value
    # (not the market cap alone).
    row = on(store, close, "2024-06-28", ["AVGO"]).loc["AVGO"]
    assert np.isnan(row["net_cash"]) and row["market_cap"] > 0
    assert np.isnan(row["ev_to_sales"]) and row["ps_ttm"] > 0
