"""Disclosed China revenue read from real 10-K inline XBRL, and the EDGAR fetch (mocked)."""

from __future__ import annotations

import pandas as pd
import pytest

from airegime.data.china import EXTRACTS, load_disclosed
from airegime.data.china_filings import EdgarChina, extract_china, is_china_member
from airegime.data.sec import SecClient
from airegime.errors import DataError
from airegime.paths import project_root

ROOT = project_root()
CURATED = pd.read_csv(ROOT / "data" / "china_exposure.csv")


def extract(shared_data, name: str, ticker: str, filed: str):
    return extract_china((shared_data / "filings" / name).read_bytes(), ticker, filed, name)


def curated(ticker: str, year: int) -> float:
    row = CURATED[(CURATED["ticker"] == ticker) & (CURATED["fiscal_year"] == year)]
    return float(row["china_revenue_share"].iloc[0])


def test_nvda_10k_reproduces_the_curated_shares_for_three_years(shared_data):
    rows, _ = extract(shared_data, "nvda-10-k-2025-02-26.html", "NVDA", "2025-02-26")
    shares = rows.set_index("fiscal_year")["china_revenue_share"]
    assert list(shares.index) == [2023, 2024, 2025]
    for year in (2023, 2024, 2025):
        assert shares[year] == pytest.approx(curated("NVDA", year), abs=1e-4)
    assert set(rows["member"]) == {"nvda:ChinaIncludingHongKongMember"}
    # Only the document's own fiscal year carries its filing date.
    assert rows.set_index("fiscal_year")["filed"].to_dict() == {
        2023: "",
        2024: "",
        2025: "2025-02-26",
    }


def test_tsla_fy2024_reproduces_the_curated_share(shared_data):
    rows, _ = extract(shared_data, "tsla-10-k-2025-01-30.html", "TSLA", "2025-01-30")
    row = rows.set_index("fiscal_year").loc[2024]
    assert row["china_revenue_share"] == pytest.approx(curated("TSLA", 2024), abs=1e-4)
    assert (row["axis"], row["member"]) == ("StatementGeographicalAxis", "country:CN")


def test_aapl_greater_china_is_found_and_labelled_a_segment(shared_data):
    rows, status = extract(shared_data, "aapl-10-k-2024-11-01.html", "AAPL", "2024-11-01")
    row = rows.set_index("fiscal_year").loc[2024]
    assert row["kind"] == "segment" and row["member"] == "aapl:GreaterChinaSegmentMember"
    assert row["china_revenue_share"] == pytest.approx(curated("AAPL", 2024), abs=1e-4)
    assert "segment" in status


def test_googl_regions_are_never_taken_as_china(shared_data):
    rows, status = extract(shared_data, "googl-10-k-2025-02-05.html", "GOOGL", "2025-02-05")
    assert rows.empty and status.startswith("not disclosed")


@pytest.mark.parametrize(
    ("member", "china"),
    [
        ("country:CN", True),
        ("nvda:ChinaIncludingHongKongMember", True),
        ("aapl:GreaterChinaSegmentMember", True),
        ("srt:AsiaPacificMember", False),
        ("us-gaap:EMEAMember", False),
        ("nvda:OtherCountriesMember", False),
        ("country:TW", False),
        ("aapl:RestOfAsiaPacificSegmentMember", False),
    ],
)
def test_only_members_that_denote_china_count(member, china):
    assert is_china_member(member) is china


def test_a_non_xbrl_document_is_not_disclosed_not_an_error():
    rows, status = extract_china(b"<html><body>10-K</body></html>", "X")
    assert rows.empty and "no XBRL" in status


# --- the online path, with recorded-shape payloads and no network -----------------------

SUBMISSIONS = {  # the fields of data.sec.gov/submissions/CIK0001045810.json that are read
    "cik": "1045810",
    "filings": {
        "recent": {
            "accessionNumber": ["0001045810-25-000023", "0001045810-25-000020"],
            "filingDate": ["2025-02-26", "2025-02-20"],
            "form": ["10-K", "8-K"],
            "primaryDocument": ["nvda-20250126.htm", "nvda-8k.htm"],
            "isInlineXBRL": [1, 0],
        }
    },
}


def test_fetch_reads_each_10k_caches_rows_and_the_curated_table_wins(
    shared_data, tmp_path, project
):
    document = (shared_data / "filings" / "nvda-10-k-2025-02-26.html").read_bytes()
    asked = []

    def get_json(url, agent):
        asked.append(url)
        if url.endswith("company_tickers.json"):
            return {"0": {"cik_str": 1045810, "ticker": "NVDA", "title": "NVIDIA CORP"}}
        return SUBMISSIONS

    def get_bytes(url, agent):
        asked.append(url)
        return document

    client = SecClient(project / "data" / "cache", "Jane Doe jane@example.com", get_json)
    edgar = EdgarChina(client, get_bytes)
    cache_file = project / "data" / "cache" / EXTRACTS
    rows, statuses = edgar.fetch(["NVDA"], cache_file)
    url = "https://www.sec.gov/Archives/edgar/data/1045810/000104581025000023/nvda-20250126.htm"
    assert asked[-1] == url  # the 10-K only, not the 8-K
    assert rows["fiscal_year"].tolist() == [2023, 2024, 2025]
    assert url in rows["source"].iloc[-1] and statuses[0].startswith("NVDA 10-K filed 2025-02-26")
    cached = pd.read_csv(cache_file)
    assert {"concept", "member", "filed", "source"} <= set(cached.columns)
    # Merged with the curated table: the curated rows win, the extract adds no new year here.
    merged = load_disclosed(project / "data", project / "data" / "cache")
    nvda = merged.table[merged.table["ticker"] == "NVDA"]
    assert len(nvda) == 3 and nvda["source"].str.contains("dgunning").all()


def test_an_extract_adds_years_the_curated_table_lacks(project):
    cache = project / "data" / "cache"
    cache.mkdir(parents=True)
    (cache / EXTRACTS).write_text(
        "ticker,fiscal_year,fiscal_year_end,filed,china_revenue_share,source\n"
        "QCOM,2024,2024-09-29,2024-11-06,0.46,10-K filed 2024-11-06; https://example\n"
    )
    merged = load_disclosed(project / "data", cache)
    assert merged.share_asof(["QCOM"], pd.Timestamp("2024-11-06"))["QCOM"] == 0.46
    assert merged.share_asof(["QCOM"], pd.Timestamp("2024-11-05")).isna().all()


def test_a_transport_error_is_one_line(project):
    def get_json(url, agent):
        raise ConnectionError("offline")

    edgar = EdgarChina(SecClient(project / "data" / "cache", "J j@example.com", get_json))
    with pytest.raises(DataError, match=r"sec: https://www\.sec\.gov/files/company_tickers\.json"):
        edgar.extract("NVDA")
