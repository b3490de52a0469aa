"""Disclosed China revenue shares read from 10-K XBRL (inline XBRL or an XBRL instance).

A filing discloses China revenue when a revenue fact (Revenues,
RevenueFromContractWithCustomerExcludingAssessedTax, ...IncludingAssessedTax,
SalesRevenueNet) carries exactly one dimension, on the geographic axis
(srt:StatementGeographicalAxis) or the business-segment axis
(us-gaap:StatementBusinessSegmentsAxis), whose member denotes China: ``country:CN``
or a member named China, China including Hong Kong, Greater China, mainland China (see
:data:`CHINA_NAMES`; an allow-list, so Asia-Pacific, EMEA or "other countries" never
count). The share is that fact over the same concept's undimensioned total for the
same period. Where a geographic and a segment China figure both exist, a different
country figure wins (more precise); an equal one means the country line is the
segment's region, and the segment is kept.

:class:`EdgarChina` finds each 10-K of a company through SEC's submissions API and
caches the extracted rows (fiscal year, filing date, concept, axis, member, document
URL) in ``data/cache/china_extracted.csv``; tests run the extractor on real filings.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from lxml import etree

from ..errors import DataError
from .cache import atomic_write_text
from .sec import user_agent

REVENUE_CONCEPTS = (
    "Revenues",
    "RevenueFromContractWithCustomerExcludingAssessedTax",
    "RevenueFromContractWithCustomerIncludingAssessedTax",
    "SalesRevenueNet",
)
GEOGRAPHIC_AXIS = "StatementGeographicalAxis"
SEGMENT_AXIS = "StatementBusinessSegmentsAxis"
#: Member local names (lower case, "member"/"segment" suffixes removed) that mean China.
CHINA_NAMES = {
    "cn",
    "china",
    "chinaincludinghongkong",
    "chinaandhongkong",
    "greaterchina",
    "mainlandchina",
    "chinamainland",
    "peoplesrepublicofchina",
}
ANNUAL_DAYS = (340, 390)
COLUMNS = (
    "ticker",
    "fiscal_year",
    "fiscal_year_end",
    "filed",
    "china_revenue_share",
    "basis",
    "source",
    "concept",
    "axis",
    "member",
    "kind",
)


def is_china_member(member: str) -> bool:
    """True for members that denote China itself (never a broader region)."""
    local = member.split(":")[-1].lower()
    local = re.sub(r"(segment)?member$", "", local)
    return local in CHINA_NAMES


@dataclass(frozen=True)
class Context:
    start: pd.Timestamp | None
    end: pd.Timestamp
    dims: tuple[tuple[str, str], ...]  # (axis local name, member qname)


def _local(qname: str) -> str:
    return qname.split(":")[-1]


def _number(element: etree._Element) -> float | None:
    """The value of an ix:nonFraction (scale and sign applied) or an instance fact."""
    text = "".join(element.itertext()).strip()
    fmt = element.get("format", "")
    if "zerodash" in fmt or "fixed-zero" in fmt or text in {"-", "\u2014", "\u2013"}:
        value = 0.0
    else:
        text = re.sub(r"[^0-9.]", "", text.replace(",", "")) if element.get("name") else text
        try:
            value = float(text)
        except ValueError:
            return None
    value *= 10.0 ** int(element.get("scale", "0") or 0)
    return -value if element.get("sign") == "-" else value


def parse_xbrl(content: bytes) -> tuple[dict[str, Context], list[tuple[str, str, float]], dict]:
    """Contexts, numeric facts (concept, context id, value) and dei values of a document."""
    parser = etree.XMLParser(huge_tree=True, recover=True, resolve_entities=False)
    root = etree.fromstring(content, parser)
    if root is None:
        raise DataError("filing: not an XML/XHTML document")
    contexts: dict[str, Context] = {}
    for ctx in root.iter("{*}context"):
        start = ctx.find(".//{*}startDate")
        end = ctx.find(".//{*}endDate")
        instant = ctx.find(".//{*}instant")
        dims = tuple(
            (_local(m.get("dimension", "")), (m.text or "").strip())
            for m in ctx.iter("{*}explicitMember")
        )
        if end is not None and start is not None:
            contexts[ctx.get("id")] = Context(
                pd.Timestamp(start.text.strip()), pd.Timestamp(end.text.strip()), dims
            )
        elif instant is not None:
            contexts[ctx.get("id")] = Context(None, pd.Timestamp(instant.text.strip()), dims)
    facts: list[tuple[str, str, float]] = []
    dei: dict[str, str] = {}
    for element in root.iter():
        ref = element.get("contextRef")
        if ref is None or not isinstance(element.tag, str):
            continue
        tag = etree.QName(element).localname
        if tag in ("nonFraction", "nonNumeric"):
            concept = _local(element.get("name", ""))
        else:
            concept = tag
        if concept.startswith("Document") or concept in ("CurrentFiscalYearEndDate",):
            dei.setdefault(concept, "".join(element.itertext()).strip())
            continue
        if tag == "nonNumeric" or concept not in REVENUE_CONCEPTS:
            continue
        value = _number(element)
        if value is not None:
            facts.append((concept, ref, value))
    return contexts, facts, dei


def _prefer(a: tuple, b: tuple) -> tuple:
    """Of a geographic and a segment China figure for one period, the one to keep.

    Equal figures (within 0.5%) mean the "China" country line is the segment's region
    (Apple: "China includes Hong Kong and Taiwan", i.e. its Greater China segment), so
    the segment is kept and labelled as such; different ones keep the country figure.
    """
    if a[2] == b[2]:
        return a
    geo, seg = (a, b) if a[2] == "geographic" else (b, a)
    return seg if abs(geo[3] - seg[3]) <= 0.005 * abs(seg[3]) else geo


def _fiscal_year(dei: dict, period_end: pd.Timestamp) -> int:
    focus = dei.get("DocumentFiscalYearFocus", "")
    doc_end = dei.get("DocumentPeriodEndDate", "")
    try:
        years_back = round((pd.Timestamp(doc_end) - period_end).days / 365.25)
        return int(focus) - years_back
    except (ValueError, TypeError):
        return period_end.year


def extract_china(
    content: bytes, ticker: str, filed: str = "", url: str = ""
) -> tuple[pd.DataFrame, str]:
    """China revenue share per fiscal year disclosed in one 10-K, and a one-line status.

    Rows follow :data:`COLUMNS`. ``filed`` is set on the row of the document's own
    fiscal year only; prior years shown as comparatives get none (their original 10-K
    came earlier, so they are usable from fiscal year end + 60 days).
    """
    contexts, facts, dei = parse_xbrl(content)
    if not contexts:
        return pd.DataFrame(columns=COLUMNS), "no XBRL contexts (not an XBRL document)"
    totals: dict[tuple, float] = {}
    china: dict[tuple, tuple[str, str, str, float]] = {}  # (concept, start, end) -> ...
    for concept, ref, value in facts:
        ctx = contexts.get(ref)
        if ctx is None or ctx.start is None:
            continue
        days = (ctx.end - ctx.start).days
        if not ANNUAL_DAYS[0] <= days <= ANNUAL_DAYS[1]:
            continue
        key = (concept, ctx.start, ctx.end)
        if not ctx.dims:
            totals[key] = value
        elif len(ctx.dims) == 1 and ctx.dims[0][0] in (GEOGRAPHIC_AXIS, SEGMENT_AXIS):
            axis, member = ctx.dims[0]
            if not is_china_member(member):
                continue
            kind = "geographic" if axis == GEOGRAPHIC_AXIS else "segment"
            if key in china:
                china[key] = _prefer(china[key], (axis, member, kind, value))
            else:
                china[key] = (axis, member, kind, value)
    rows = {}
    doc_end = dei.get("DocumentPeriodEndDate", "")
    for (concept, start, end), (axis, member, kind, value) in china.items():
        total = totals.get((concept, start, end))
        if not total or total <= 0:
            continue
        year = _fiscal_year(dei, end)
        rank = REVENUE_CONCEPTS.index(concept)
        if year in rows and rows[year][0] <= rank:
            continue
        own = bool(doc_end) and abs((pd.Timestamp(doc_end) - end).days) <= 7
        label = "segment" if kind == "segment" else "geographic area"
        rows[year] = (
            rank,
            {
                "ticker": ticker,
                "fiscal_year": year,
                "fiscal_year_end": str(end.date()),
                "filed": filed if own else "",
                "china_revenue_share": round(value / total, 6),
                "basis": f"{member} {label} revenue / total revenue ({concept}; USD m: "
                f"{value / 1e6:.0f}/{total / 1e6:.0f})",
                "source": f"10-K filed {filed or '?'}, XBRL {concept} x {axis}={member}; {url}",
                "concept": concept,
                "axis": axis,
                "member": member,
                "kind": kind,
            },
        )
    frame = pd.DataFrame([row for _, row in rows.values()], columns=COLUMNS)
    if frame.empty:
        status = "not disclosed: no revenue fact with a China member on a geographic or "
        return frame, status + "segment axis"
    frame = frame.sort_values("fiscal_year").reset_index(drop=True)
    kinds = ", ".join(sorted(set(frame["kind"])))
    years = ", ".join(str(y) for y in frame["fiscal_year"])
    return frame, f"China revenue found ({kinds}) for fiscal years {years}"


SUBMISSIONS_URL = "https://data.sec.gov/submissions/CIK{cik:010d}.json"
ARCHIVE_URL = "https://www.sec.gov/Archives/edgar/data/{cik}/{accession}/{name}"
ANNUAL_FORMS = ("10-K", "10-K/A")


def _http_get_bytes(url: str, agent: str, timeout: float = 60.0) -> bytes:
    import requests

    response = requests.get(
        url, headers={"User-Agent": agent, "Accept-Encoding": "gzip"}, timeout=timeout
    )
    response.raise_for_status()
    return response.content


def annual_filings(submissions: dict) -> list[dict]:
    """The 10-K filings listed in a submissions payload (newest first)."""
    recent = submissions.get("filings", {}).get("recent", {})
    forms = recent.get("form", [])
    out = []
    for i, form in enumerate(forms):
        if form not in ANNUAL_FORMS:
            continue
        out.append(
            {
                "form": form,
                "filed": recent["filingDate"][i],
                "accession": recent["accessionNumber"][i],
                "document": recent["primaryDocument"][i],
                "inline": bool(recent.get("isInlineXBRL", [1] * len(forms))[i]),
            }
        )
    return out


def instance_name(index: dict) -> str | None:
    """The XBRL instance of a filing folder (``index.json``), for pre-inline 10-Ks."""
    names = [item["name"] for item in index.get("directory", {}).get("item", [])]
    for name in names:
        if name.endswith("_htm.xml"):
            return name
    skip = ("_cal.xml", "_def.xml", "_lab.xml", "_pre.xml", "FilingSummary.xml")
    plain = [n for n in names if n.endswith(".xml") and not n.endswith(skip)]
    return plain[0] if plain else None


def merge_extracts(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """One row per ticker and fiscal year: the year's own 10-K, else the latest comparative."""
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    rows = pd.concat(frames, ignore_index=True)
    rows["own"] = rows["filed"].astype(str) != ""
    rows = rows.sort_values(["ticker", "fiscal_year", "own"], kind="stable")
    return (
        rows.groupby(["ticker", "fiscal_year"], as_index=False)
        .last()
        .drop(columns="own")[list(COLUMNS)]
    )


class EdgarChina:
    """China revenue shares of each 10-K of a company, read from SEC EDGAR online."""

    def __init__(
        self, client: Any, get_bytes: Callable[[str, str], bytes] = _http_get_bytes
    ) -> None:
        self.client = client  # a SecClient: user agent, rate limit, JSON cache
        self.get_bytes = get_bytes

    def _document(self, url: str) -> bytes:
        self.client.wait()
        try:
            return self.get_bytes(url, user_agent(self.client.agent))
        except DataError:
            raise
        except Exception as exc:  # noqa: BLE001 - any transport error becomes one line
            raise DataError(f"sec: {url}: {exc.__class__.__name__}: {exc}") from None

    def extract(
        self, ticker: str, refresh: bool = False, max_filings: int = 10
    ) -> tuple[pd.DataFrame, list[str]]:
        """Rows of every recent 10-K of ``ticker`` (newest ``max_filings``) and statuses."""
        ciks = self.client.cik_map()
        if ticker not in ciks:
            raise DataError(f"sec: no CIK for {ticker} in SEC's company_tickers.json")
        cik = ciks[ticker]
        submissions = self.client.cached_json(
            f"submissions/CIK{cik:010d}.json", SUBMISSIONS_URL.format(cik=cik), refresh
        )
        frames, statuses = [], []
        for filing in annual_filings(submissions)[:max_filings]:
            folder = filing["accession"].replace("-", "")
            name = filing["document"]
            if not filing["inline"]:
                index = self.client.cached_json(
                    f"index/{cik}-{folder}.json",
                    ARCHIVE_URL.format(cik=cik, accession=folder, name="index.json"),
                    refresh,
                )
                name = instance_name(index) or name
            url = ARCHIVE_URL.format(cik=cik, accession=folder, name=name)
            rows, status = extract_china(self._document(url), ticker, filing["filed"], url)
            frames.append(rows)
            statuses.append(f"{ticker} {filing['form']} filed {filing['filed']}: {status}")
        return merge_extracts(frames), statuses

    def fetch(
        self, tickers: list[str], cache_file: Path, refresh: bool = False
    ) -> tuple[pd.DataFrame, list[str]]:
        """Extract ``tickers`` and merge them into ``cache_file`` (atomic write)."""
        old = (
            pd.read_csv(cache_file, dtype={"filed": str}, keep_default_na=False)
            if cache_file.is_file()
            else pd.DataFrame(columns=COLUMNS)
        )
        frames, statuses = [old[~old["ticker"].isin(tickers)]], []
        for ticker in tickers:
            rows, notes = self.extract(ticker, refresh)
            frames.append(rows)
            statuses.extend(notes)
        merged = pd.concat([f for f in frames if not f.empty], ignore_index=True)
        merged = merged.reindex(columns=list(COLUMNS)).sort_values(["ticker", "fiscal_year"])
        atomic_write_text(cache_file, merged.to_csv(index=False))
        return merged, statuses
