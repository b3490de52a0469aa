"""Point-in-time fundamentals: no look-ahead, restatements, TTM, and real filings by hand."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from airegime.data.fundamental_sources import load_fundamentals, parse_yahoo_statements
from airegime.data.fundamentals import FundamentalsStore, normalise_facts
from airegime.data.sec import SecClient, parse_companyfacts
from airegime.errors import DataError

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "companyfacts_AAPL_subset.json"
COVERED = ["NVDA", "AAPL", "MSFT", "GOOGL", "SNOW", "TSLA", "MRVL", "AMZN"]


@pytest.fixture(scope="module")
def store() -> FundamentalsStore:
    return load_fundamentals("sample", COVERED, ROOT)


def at(store: FundamentalsStore, ticker: str, date: str) -> pd.Series:
    return store.metrics_asof([ticker], pd.Timestamp(date)).loc[ticker]


def test_a_filing_is_invisible_the_day_before_and_visible_on_its_date(store):
    # NVDA's Q1 FY2024 10-Q (quarter ended 2023-04-30) was filed on 2023-05-26.
    assert at(store, "NVDA", "2023-05-25")["period_end"] == pd.Timestamp("2023-01-29")
    assert at(store, "NVDA", "2023-05-26")["period_end"] == pd.Timestamp("2023-04-30")


def test_an_extra_filing_lag_delays_visibility():
    lagged = load_fundamentals("sample", ["NVDA"], ROOT, lag_days=5)
    assert at(lagged, "NVDA", "2023-05-30")["period_end"] == pd.Timestamp("2023-01-29")
    assert at(lagged, "NVDA", "2023-05-31")["period_end"] == pd.Timestamp("2023-04-30")


def test_nothing_filed_yet_gives_nan_not_an_error(store):
    row = at(store, "SNOW", "2015-06-30")
    assert row.drop(["period_end", "last_filed"]).isna().all()
    assert store.metrics_asof(["XXXX"], pd.Timestamp("2024-01-01")).loc["XXXX"].isna().all()


def test_nvda_fy2024_10k_by_hand(store):
    """NVDA 10-K for FY2024 (year ended 2024-01-28), filed 2024-02-21."""
    row = at(store, "NVDA", "2024-03-01")
    assert row["revenue_ttm"] == 60_922e6
    assert row["fcf_ttm"] == 28_090e6 - 1_069e6  # PaymentsToAcquireProductiveAssets
    assert row["total_debt"] == 9_709e6  # LongTermDebt, current portion included
    assert row["net_cash"] == 7_280e6 + 18_704e6 - 9_709e6  # cash + marketable securities
    assert row["operating_margin"] == pytest.approx(32_972 / 60_922)
    assert row["gross_margin"] == pytest.approx(44_301 / 60_922)
    assert row["rd_intensity"] == pytest.approx(8_675 / 60_922)
    assert row["debt_to_equity"] == pytest.approx(9_709 / 42_978)
    assert row["net_margin"] == pytest.approx(29_760 / 60_922)
    assert row["revenue_growth"] == pytest.approx(60_922 / 26_974 - 1)
    assert row["capex_to_ocf"] == pytest.approx(1_069 / 28_090)


def test_aapl_fy2022_10k_by_hand(store):
    """AAPL 10-K for FY2022 (year ended 2022-09-24), filed 2022-10-28."""
    row = at(store, "AAPL", "2022-11-15")
    assert row["revenue_ttm"] == 394_328e6
    assert row["net_margin"] == pytest.approx(99_803 / 394_328)
    assert row["fcf_ttm"] == 122_151e6 - 10_708e6
    assert row["fcf_margin"] == pytest.approx((122_151 - 10_708) / 394_328)


def test_msft_fy2023_10k_by_hand(store):
    """MSFT 10-K for FY2023 (year ended 2023-06-30), filed 2023-07-27."""
    row = at(store, "MSFT", "2023-08-01")
    assert row["revenue_ttm"] == 211_915e6
    assert row["fcf_ttm"] == 87_582e6 - 28_107e6
    assert row["total_debt"] == 41_990e6  # LongTermDebtNoncurrent; no current portion tagged
    assert row["debt_to_equity"] == pytest.approx(41_990 / 206_223)
    # cash + short-term investments - debt
    assert row["net_cash_to_assets"] == pytest.approx((34_704 + 76_558 - 41_990) / 411_976)


def test_ttm_adds_the_year_to_date_and_drops_last_years_same_period(store):
    # NVDA FY2023 revenue 26,974 + Q1 FY2024 7,192 - Q1 FY2023 8,288 (10-Q filed 2023-05-26).
    assert at(store, "NVDA", "2023-06-30")["revenue_ttm"] == (26_974 + 7_192 - 8_288) * 1e6


def test_a_flow_missing_for_the_latest_period_is_nan_not_last_years(store):
    # NVDA's FY2023 10-K capex is not in the data set: FCF must not mix FY2023 OCF with FY2022.
    row = at(store, "NVDA", "2023-03-01")
    assert row["operating_cash_flow_ttm"] == 5_641e6
    assert np.isnan(row["capex_ttm"]) and np.isnan(row["fcf_ttm"])


def test_recorded_companyfacts_payload_parses_with_restatements():
    facts = parse_companyfacts(json.loads(FIXTURE.read_text()), "AAPL")
    assert set(facts["tag"]) == {"Assets", "SalesRevenueNet"}  # unused tags and 8-Ks skipped
    assert "8-K" not in set(facts["form"])
    store = FundamentalsStore(normalise_facts(facts, "fixture"), "sec")

    def assets(date: str) -> float:
        known = store.known("AAPL", pd.Timestamp(date))
        rows = known[(known["concept"] == "total_assets") & (known["end"] == "2009-09-26")]
        return float(rows["value"].iloc[0])

    # FY2009 assets: 53,851m in the 10-K of 2009-10-27, restated to 47,501m on 2010-01-25.
    assert assets("2010-01-24") == 53_851e6
    assert assets("2010-01-25") == 47_501e6


def test_companyfacts_units_keep_usd_and_shares_only():
    payload = {
        "facts": {
            "us-gaap": {
                "Revenues": {
                    "units": {
                        "USD": [
                            {
                                "start": "2023-01-01",
                                "end": "2023-12-31",
                                "val": 10,
                                "form": "10-K",
                                "filed": "2024-02-01",
                            }
                        ],
                        "EUR": [
                            {
                                "start": "2023-01-01",
                                "end": "2023-12-31",
                                "val": 9,
                                "form": "10-K",
                                "filed": "2024-02-01",
                            }
                        ],
                    }
                }
            }
        }
    }
    facts = parse_companyfacts(payload, "X")
    assert facts["value"].tolist() == [10]


def test_sec_client_caches_and_requires_a_contact(tmp_path, monkeypatch):
    monkeypatch.delenv("SEC_USER_AGENT", raising=False)
    payload = json.loads(FIXTURE.read_text())
    calls = []

    def fake_get(url, agent):
        calls.append((url, agent))
        if url.endswith("company_tickers.json"):
            return {"0": {"cik_str": 320193, "ticker": "AAPL", "title": "Apple Inc."}}
        return payload

    with pytest.raises(DataError, match="User-Agent"):
        SecClient(tmp_path, None, fake_get).facts(["AAPL"])
    client = SecClient(tmp_path, "Jane Doe jane@example.com", fake_get)
    first = client.facts(["AAPL"])
    again = SecClient(tmp_path, "Jane Doe jane@example.com", fake_get).facts(["AAPL"])
    assert (tmp_path / "sec" / "CIK0000320193.json").is_file()
    assert calls[-1][0].endswith("CIK0000320193.json") and len(calls) == 2
    assert calls[-1][1] == "Jane Doe jane@example.com"
    pd.testing.assert_frame_equal(first, again)


def test_yahoo_statements_are_shifted_by_the_reporting_lag():
    statement = pd.DataFrame(
        {pd.Timestamp("2023-12-31"): [100.0, -20.0]}, index=["Total Revenue", "Capital Expenditure"]
    )
    facts = parse_yahoo_statements("X", [statement])
    assert set(facts["filed"]) == {pd.Timestamp("2024-03-30")}
    assert facts.set_index("tag").loc["PaymentsToAcquirePropertyPlantAndEquipment", "value"] == 20
    assert facts["period_start"].iloc[0] == pd.Timestamp("2023-01-01")


def test_csv_source_reads_the_shared_file(shared_data):
    store = load_fundamentals("csv", ["GOOGL"], ROOT, path=str(shared_data / "fundamentals.csv"))
    assert at(store, "GOOGL", "2024-03-01")["revenue_ttm"] > 300e9


def test_csv_without_required_columns_is_a_clear_error(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("ticker,tag,value\nX,Revenues,1\n")
    with pytest.raises(DataError, match="missing column"):
        load_fundamentals("csv", ["X"], ROOT, path=str(path))


def test_pe_uses_the_price_of_the_day_before_later_splits():
    facts = normalise_facts(
        pd.DataFrame(
            {
                "ticker": ["X", "X"],
                "tag": ["NetIncomeLoss", "WeightedAverageNumberOfDilutedSharesOutstanding"],
                "period_start": ["2023-01-01", "2023-01-01"],
                "period_end": ["2023-12-31", "2023-12-31"],
                "filed": ["2024-02-01", "2024-02-01"],
                "value": ["100", "10"],
            }
        ),
        "test",
    )
    from airegime.data.fundamentals import Splits

    splits = Splits(
        pd.DataFrame({"ticker": ["X"], "date": [pd.Timestamp("2024-06-10")], "ratio": [10.0]})
    )
    store = FundamentalsStore(
        facts, "test", splits=splits, price_vintage=pd.Timestamp("2026-01-01")
    )
    # Split-adjusted price 20 on 2024-03-01 was 200 before the 10:1 split: P/E = 200*10/100.
    row = store.metrics_asof(["X"], pd.Timestamp("2024-03-01"), pd.Series({"X": 20.0})).loc["X"]
    assert row["pe_ttm"] == pytest.approx(20.0)
