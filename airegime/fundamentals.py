"""Point-in-time fundamentals: XBRL-style facts in, metrics as known on a date out.

Facts are long rows ``ticker, tag, start, end, filed, value`` (``start`` empty
for balance-sheet instants). On date D (minus an optional extra lag) only facts
with ``filed <= D`` exist, and for each period the latest such filing wins, so
a restated value counts only from its own filing date.

Concepts map to several us-gaap tags (companies switch tags over time); for a
given period the first tag in :data:`CONCEPTS` that has a value is used:

- revenue: Revenues, RevenueFromContractWithCustomerExcludingAssessedTax,
  RevenueFromContractWithCustomerIncludingAssessedTax, SalesRevenueNet
- capex: PaymentsToAcquirePropertyPlantAndEquipment, PaymentsToAcquireProductiveAssets
- total debt: LongTermDebt (current and non-current), else LongTermDebtNoncurrent +
  LongTermDebtCurrent (or DebtCurrent); a company that files balance sheets but never
  tags debt is taken to have none.

Flows are trailing twelve months: the latest fiscal year plus the current
year-to-date minus the same period a year earlier (all from 10-K/10-Q facts);
growth and FCF stability use fiscal years.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError

CONCEPTS: dict[str, tuple[str, ...]] = {
    "revenue": (
        "Revenues",
        "RevenueFromContractWithCustomerExcludingAssessedTax",
        "RevenueFromContractWithCustomerIncludingAssessedTax",
        "SalesRevenueNet",
    ),
    "net_income": ("NetIncomeLoss", "ProfitLoss"),
    "operating_cash_flow": (
        "NetCashProvidedByUsedInOperatingActivities",
        "NetCashProvidedByUsedInOperatingActivitiesContinuingOperations",
    ),
    "capex": ("PaymentsToAcquirePropertyPlantAndEquipment", "PaymentsToAcquireProductiveAssets"),
    "diluted_shares": ("WeightedAverageNumberOfDilutedSharesOutstanding",),
    "cash": (
        "CashAndCashEquivalentsAtCarryingValue",
        "CashCashEquivalentsRestrictedCashAndRestrictedCashEquivalents",
    ),
    "equity": (
        "StockholdersEquity",
        "StockholdersEquityIncludingPortionAttributableToNoncontrollingInterest",
    ),
    "total_assets": ("Assets",),
    "long_term_debt": ("LongTermDebt",),
    "long_term_debt_noncurrent": ("LongTermDebtNoncurrent",),
    "debt_current": ("LongTermDebtCurrent", "DebtCurrent"),
}
FLOWS = ("revenue", "net_income", "operating_cash_flow", "capex")
INSTANTS = (
    "cash",
    "equity",
    "total_assets",
    "long_term_debt",
    "long_term_debt_noncurrent",
    "debt_current",
)
TAG_RANK = {
    tag: (concept, rank) for concept, tags in CONCEPTS.items() for rank, tag in enumerate(tags)
}
FACT_COLUMNS = ("ticker", "tag", "start", "end", "filed", "value")
ANNUAL_DAYS = (340, 390)
METRICS = (
    "revenue_ttm",
    "net_income_ttm",
    "operating_cash_flow_ttm",
    "capex_ttm",
    "fcf_ttm",
    "total_debt",
    "cash",
    "equity",
    "total_assets",
    "diluted_shares",
    "debt_to_equity",
    "net_cash",
    "net_cash_to_assets",
    "fcf_margin",
    "net_margin",
    "capex_to_ocf",
    "revenue_growth",
    "fcf_stability",
    "capex_over_ocf_years",
    "debt_growth",
    "pe_ttm",
    "period_end",
    "last_filed",
)


def normalise_facts(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Check and type a long facts table; keep only the tags airegime uses."""
    frame = frame.rename(columns={"period_start": "start", "period_end": "end"})
    missing = [c for c in FACT_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(
            f"{source}: missing column(s) {', '.join(missing)}; expected "
            "ticker,tag,period_start,period_end,filed,value"
        )
    facts = frame.loc[frame["tag"].isin(TAG_RANK), list(FACT_COLUMNS)].copy()
    facts["ticker"] = facts["ticker"].astype(str).str.upper()
    for col in ("start", "end", "filed"):
        facts[col] = pd.to_datetime(facts[col].replace("", np.nan), errors="coerce")
    facts["value"] = pd.to_numeric(facts["value"], errors="coerce")
    bad = facts["end"].isna() | facts["filed"].isna() | facts["value"].isna()
    if bad.any():
        row = facts.index[bad][0]
        raise DataError(f"{source}: row {row + 2}: period_end, filed and value must be set")
    facts["concept"] = facts["tag"].map(lambda t: TAG_RANK[t][0])
    facts["rank"] = facts["tag"].map(lambda t: TAG_RANK[t][1])
    return facts.sort_values("filed", kind="stable").reset_index(drop=True)


Fact = tuple[int | None, int, float]  # (start ordinal or None, end ordinal, value)
Known = dict[str, list[Fact]]  # concept -> facts sorted by (end, start)
NEAR_DAYS = 10


def as_rows(facts: pd.DataFrame) -> list[tuple]:
    """Facts as (filed, concept, rank, start, end, value) tuples with day ordinals."""

    def ordinal(ts: pd.Timestamp) -> int | None:
        return None if pd.isna(ts) else ts.toordinal()

    return [
        (ordinal(f), c, r, ordinal(st), ordinal(en), float(v))
        for f, c, r, st, en, v in zip(
            facts["filed"],
            facts["concept"],
            facts["rank"],
            facts["start"],
            facts["end"],
            facts["value"],
            strict=True,
        )
    ]


def known_from_rows(rows: list[tuple]) -> Known:
    """Latest filing per period (rows are in filing order), then the best-ranked tag."""
    latest: dict[tuple, float] = {}
    for _, concept, rank, start, end, value in rows:
        latest[(concept, start, end, rank)] = value
    best: dict[tuple, tuple[int, float]] = {}
    for (concept, start, end, rank), value in latest.items():
        key = (concept, start, end)
        if key not in best or rank < best[key][0]:
            best[key] = (rank, value)
    known: Known = {}
    for (concept, start, end), (_, value) in best.items():
        known.setdefault(concept, []).append((start, end, value))
    for facts in known.values():
        facts.sort(key=lambda f: (f[1], f[0] or 0))
    return known


def annual_series(known: Known, concept: str) -> dict[int, tuple[int, float]]:
    """Fiscal-year values of a flow: {fiscal year end: (start, value)}, oldest first."""
    out: dict[int, tuple[int, float]] = {}
    for start, end, value in known.get(concept, []):
        if start is not None and ANNUAL_DAYS[0] <= end - start <= ANNUAL_DAYS[1]:
            out[end] = (start, value)
    return dict(sorted(out.items()))


def ttm(known: Known, concept: str) -> tuple[float, int | None]:
    """Trailing twelve months of a flow: last fiscal year + YTD - prior-year YTD."""
    annual = annual_series(known, concept)
    if not annual:
        return float("nan"), None
    fy_end = max(annual)
    fy_start, value = annual[fy_end]
    durations = [f for f in known.get(concept, []) if f[0] is not None]
    ytd = [f for f in durations if f[1] > fy_end and abs(f[0] - (fy_end + 1)) <= NEAR_DAYS]
    for _start, end, current in sorted(ytd, key=lambda f: -f[1]):
        prior = [
            f
            for f in durations
            if abs(f[1] - (end - 365)) <= NEAR_DAYS and abs(f[0] - fy_start) <= NEAR_DAYS
        ]
        if prior:
            return value + current - prior[-1][2], end
    return value, fy_end


def _instants(known: Known, concept: str, before: int | None) -> list[tuple[int, float]]:
    return [
        (end, value)
        for start, end, value in known.get(concept, [])
        if start is None and (before is None or end <= before)
    ]


def latest_instant(known: Known, concept: str, before: int | None = None) -> float:
    values = _instants(known, concept, before)
    return values[-1][1] if values else float("nan")


def total_debt(known: Known, before: int | None = None) -> float:
    """Debt on the latest balance-sheet date that reports it; NaN if debt is not tagged.

    LongTermDebt (which includes the current portion) where the company tags it for that
    date, otherwise LongTermDebtNoncurrent plus the current portion of the same date.
    """
    total = _instants(known, "long_term_debt", before)
    noncurrent = _instants(known, "long_term_debt_noncurrent", before)
    current = dict(_instants(known, "debt_current", before))
    if total and (not noncurrent or total[-1][0] >= noncurrent[-1][0]):
        return total[-1][1]
    if noncurrent:
        end, value = noncurrent[-1]
        return value + current.get(end, 0.0)
    return float("nan")


def _ratio(a: float, b: float) -> float:
    return a / b if b and np.isfinite(b) and np.isfinite(a) else float("nan")


def _date(ordinal: int | None) -> pd.Timestamp | None:
    return None if ordinal is None else pd.Timestamp.fromordinal(ordinal)


def annual_frame(known: Known) -> pd.DataFrame:
    """Fiscal-year flows (revenue, net income, OCF, capex, FCF) by fiscal year end."""
    columns = {c: {_date(e): v for e, (_, v) in annual_series(known, c).items()} for c in FLOWS}
    frame = pd.DataFrame(columns, columns=list(FLOWS), dtype=float).sort_index()
    frame["capex"] = frame["capex"].abs()
    frame["fcf"] = frame["operating_cash_flow"] - frame["capex"]
    frame.index.name = "fiscal_year_end"
    return frame


def company_metrics(
    known: Known, stability_years: int = 4, capex_years: int = 5, last_filed: int | None = None
) -> dict[str, float]:
    """Every metric but the price-based ones, from one company's known facts."""
    out: dict[str, float] = {}
    flows = {concept: ttm(known, concept) for concept in FLOWS}
    period_end = max((as_of for _, as_of in flows.values() if as_of is not None), default=None)
    for concept, (value, as_of) in flows.items():
        # A flow not reported for the latest period is unknown, never an older year's value.
        out[f"{concept}_ttm"] = value if as_of == period_end else float("nan")
    capex_abs = abs(out["capex_ttm"])
    out["fcf_ttm"] = out["operating_cash_flow_ttm"] - capex_abs
    for concept in ("cash", "equity", "total_assets"):
        out[concept] = latest_instant(known, concept)
    out["total_debt"] = total_debt(known)
    shares = known.get("diluted_shares", [])
    out["diluted_shares"] = shares[-1][2] if shares else float("nan")
    out["debt_to_equity"] = (
        _ratio(out["total_debt"], out["equity"]) if out["equity"] > 0 else float("nan")
    )
    out["net_cash"] = out["cash"] - out["total_debt"]
    out["net_cash_to_assets"] = _ratio(out["net_cash"], out["total_assets"])
    out["fcf_margin"] = _ratio(out["fcf_ttm"], out["revenue_ttm"])
    out["net_margin"] = _ratio(out["net_income_ttm"], out["revenue_ttm"])
    out["capex_to_ocf"] = _ratio(capex_abs, out["operating_cash_flow_ttm"])
    revenue = [v for _, v in annual_series(known, "revenue").values()]
    out["revenue_growth"] = (
        revenue[-1] / revenue[-2] - 1 if len(revenue) >= 2 and revenue[-2] > 0 else float("nan")
    )
    ocf = {e: v for e, (_, v) in annual_series(known, "operating_cash_flow").items()}
    capex = {e: abs(v) for e, (_, v) in annual_series(known, "capex").items()}
    years = sorted(set(ocf) & set(capex))
    fcf = np.array([ocf[y] - capex[y] for y in years[-stability_years:]])
    out["fcf_stability"] = (
        float(fcf.mean() / fcf.std(ddof=1))
        if len(fcf) >= 3 and fcf.std(ddof=1) > 0
        else float("nan")
    )
    recent = years[-capex_years:]
    out["capex_over_ocf_years"] = (
        float(sum(capex[y] > ocf[y] for y in recent)) if recent else float("nan")
    )
    if period_end is not None:
        year_ago = total_debt(known, before=period_end - 365)
        out["debt_growth"] = (
            _ratio(out["total_debt"], year_ago) - 1 if year_ago > 0 else float("nan")
        )
    else:
        out["debt_growth"] = float("nan")
    out["period_end"] = _date(period_end)
    out["last_filed"] = _date(last_filed)
    return out


@dataclass
class Splits:
    """Stock splits, to turn split-adjusted prices back into the prices of date D."""

    table: pd.DataFrame  # ticker, date, ratio

    def factor_after(self, ticker: str, date: pd.Timestamp, until: pd.Timestamp) -> float:
        rows = self.table[
            (self.table["ticker"] == ticker)
            & (self.table["date"] > date)
            & (self.table["date"] <= until)
        ]
        return float(rows["ratio"].prod()) if not rows.empty else 1.0

    @classmethod
    def from_csv(cls, path: Path) -> Splits:
        if not path.is_file():
            return cls(pd.DataFrame(columns=["ticker", "date", "ratio"]))
        table = pd.read_csv(path, parse_dates=["date"], comment="#")
        return cls(table[["ticker", "date", "ratio"]])


class FundamentalsStore:
    """Facts of many companies; :meth:`metrics_asof` is the only way strategies read them."""

    def __init__(
        self,
        facts: pd.DataFrame,
        source: str,
        lag_days: int = 0,
        splits: Splits | None = None,
        price_vintage: pd.Timestamp | None = None,
        point_in_time: bool = True,
    ) -> None:
        self.facts = facts
        self.source = source
        self.lag_days = lag_days
        self.splits = splits or Splits(pd.DataFrame(columns=["ticker", "date", "ratio"]))
        self.price_vintage = price_vintage
        self.point_in_time = point_in_time
        self._rows_by_ticker = {t: as_rows(f) for t, f in facts.groupby("ticker", sort=True)}
        self._filed_by_ticker = {
            t: [r[0] for r in rows] for t, rows in self._rows_by_ticker.items()
        }
        self._cached = lru_cache(maxsize=4096)(self._metrics_for_filings)
        self._annual_cached = lru_cache(maxsize=4096)(self._annual_for_filings)

    def __getstate__(self) -> dict:
        """Picklable for sweep workers: the memo caches stay behind."""
        state = self.__dict__.copy()
        state.pop("_cached", None)
        state.pop("_annual_cached", None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._cached = lru_cache(maxsize=4096)(self._metrics_for_filings)
        self._annual_cached = lru_cache(maxsize=4096)(self._annual_for_filings)

    @property
    def tickers(self) -> list[str]:
        return sorted(self._rows_by_ticker)

    def _rows(self, ticker: str, date: pd.Timestamp) -> list[tuple]:
        rows = self._rows_by_ticker.get(ticker, [])
        cutoff = (pd.Timestamp(date) - pd.Timedelta(days=self.lag_days)).toordinal()
        return rows[: bisect.bisect_right(self._filed_by_ticker[ticker], cutoff)] if rows else []

    def known(self, ticker: str, date: pd.Timestamp) -> pd.DataFrame:
        """The facts of ``ticker`` a reader had on ``date`` (latest filing per period)."""
        known = known_from_rows(self._rows(ticker, date))
        records = [
            (c, _date(st), _date(en), v) for c, facts in known.items() for st, en, v in facts
        ]
        return pd.DataFrame(records, columns=["concept", "start", "end", "value"])

    def annual_history(self, ticker: str, date: pd.Timestamp) -> pd.DataFrame:
        """Fiscal-year revenue, net income, OCF, capex and FCF known on ``date``."""
        return self._annual_cached(ticker, len(self._rows(ticker, date))).copy()

    def _annual_for_filings(self, ticker: str, n_known: int) -> pd.DataFrame:
        rows = self._rows_by_ticker.get(ticker, [])[:n_known]
        return annual_frame(known_from_rows(rows))

    def _metrics_for_filings(self, ticker: str, n_known: int) -> dict[str, float]:
        rows = self._rows_by_ticker[ticker][:n_known]
        return company_metrics(known_from_rows(rows), last_filed=rows[-1][0])

    def metrics_asof(
        self, tickers: list[str], date: pd.Timestamp, prices: pd.Series | None = None
    ) -> pd.DataFrame:
        """One row per ticker: the metrics of :data:`METRICS` as known on ``date``."""
        date = pd.Timestamp(date)
        cutoff = (date - pd.Timedelta(days=self.lag_days)).toordinal()
        rows = {}
        for ticker in tickers:
            filed = self._filed_by_ticker.get(ticker, [])
            n_known = bisect.bisect_right(filed, cutoff)
            if n_known == 0:
                rows[ticker] = {}
                continue
            row = dict(self._cached(ticker, n_known))
            price = prices.get(ticker, np.nan) if prices is not None else np.nan
            if not np.isfinite(row["diluted_shares"]):
                price = np.nan  # no share count, no market cap: P/E stays unknown
            if np.isfinite(price) and self.price_vintage is not None:
                price = price * self.splits.factor_after(ticker, date, self.price_vintage)
            market_cap = price * row["diluted_shares"]
            row["pe_ttm"] = (
                market_cap / row["net_income_ttm"] if row["net_income_ttm"] > 0 else float("nan")
            )
            rows[ticker] = row
        frame = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=list(METRICS))
        frame.index.name = "ticker"
        return frame.reindex(tickers)
