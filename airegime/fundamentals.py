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


def known_on(facts: pd.DataFrame, date: pd.Timestamp, lag_days: int = 0) -> pd.DataFrame:
    """Facts filed on or before ``date - lag_days``; the latest filing per period wins."""
    cutoff = pd.Timestamp(date) - pd.Timedelta(days=lag_days)
    known = facts[facts["filed"] <= cutoff]
    keys = ["ticker", "concept", "rank", "start", "end"]
    latest = known.drop_duplicates(subset=keys, keep="last")  # facts are sorted by filed
    best = latest.sort_values("rank", kind="stable").drop_duplicates(
        subset=["ticker", "concept", "start", "end"], keep="first"
    )
    return best.sort_values(["concept", "end", "start"]).reset_index(drop=True)


def _near(a: pd.Timestamp, b: pd.Timestamp, days: int = 10) -> bool:
    return abs((a - b).days) <= days


def annual_series(facts: pd.DataFrame, concept: str) -> pd.Series:
    """Fiscal-year values of a flow concept, indexed by fiscal year end."""
    rows = facts[(facts["concept"] == concept) & facts["start"].notna()]
    days = (rows["end"] - rows["start"]).dt.days
    annual = rows[(days >= ANNUAL_DAYS[0]) & (days <= ANNUAL_DAYS[1])]
    return annual.drop_duplicates("end", keep="last").set_index("end")["value"].sort_index()


def ttm(facts: pd.DataFrame, concept: str) -> tuple[float, pd.Timestamp | None]:
    """Trailing twelve months of a flow: last fiscal year + YTD - prior-year YTD."""
    annual_rows = facts[(facts["concept"] == concept) & facts["start"].notna()]
    annual = annual_series(facts, concept)
    if annual.empty:
        return float("nan"), None
    fy_end = annual.index[-1]
    fy_start = annual_rows.loc[annual_rows["end"] == fy_end, "start"].iloc[-1]
    value, as_of = float(annual.iloc[-1]), fy_end
    ytd = annual_rows[
        (annual_rows["end"] > fy_end)
        & annual_rows["start"].map(lambda s: _near(s, fy_end + pd.Timedelta(days=1)))
    ]
    for _, current in ytd.sort_values("end", ascending=False).iterrows():
        prior_end = current["end"] - pd.DateOffset(years=1)
        prior = annual_rows[
            annual_rows["end"].map(lambda e, p=prior_end: _near(e, p))
            & annual_rows["start"].map(lambda s: _near(s, fy_start))
        ]
        if not prior.empty:
            value = value + float(current["value"]) - float(prior["value"].iloc[-1])
            as_of = current["end"]
            break
    return value, as_of


def _instants(facts: pd.DataFrame, concept: str, before: pd.Timestamp | None) -> pd.Series:
    rows = facts[(facts["concept"] == concept) & facts["start"].isna()]
    if before is not None:
        rows = rows[rows["end"] <= before]
    return rows.drop_duplicates("end", keep="last").set_index("end")["value"].sort_index()


def latest_instant(facts: pd.DataFrame, concept: str, before: pd.Timestamp | None = None) -> float:
    values = _instants(facts, concept, before)
    return float(values.iloc[-1]) if not values.empty else float("nan")


def total_debt(facts: pd.DataFrame, before: pd.Timestamp | None = None) -> float:
    """Debt on the latest balance-sheet date that reports it; NaN if debt is not tagged.

    LongTermDebt (which includes the current portion) where the company tags it for that
    date, otherwise LongTermDebtNoncurrent plus the current portion of the same date.
    """
    total = _instants(facts, "long_term_debt", before)
    noncurrent = _instants(facts, "long_term_debt_noncurrent", before)
    current = _instants(facts, "debt_current", before)
    last_total = total.index[-1] if not total.empty else None
    last_parts = noncurrent.index[-1] if not noncurrent.empty else None
    if last_total is not None and (last_parts is None or last_total >= last_parts):
        return float(total.iloc[-1])
    if last_parts is not None:
        return float(noncurrent.iloc[-1] + current.get(last_parts, 0.0))
    return float("nan")


def _ratio(a: float, b: float) -> float:
    return a / b if b and np.isfinite(b) and np.isfinite(a) else float("nan")


def company_metrics(
    facts: pd.DataFrame, stability_years: int = 4, capex_years: int = 5
) -> dict[str, float]:
    """Every metric but the price-based ones, from one company's known facts."""
    out: dict[str, float] = {}
    flows = {concept: ttm(facts, concept) for concept in FLOWS}
    period_end = max((as_of for _, as_of in flows.values() if as_of is not None), default=None)
    for concept, (value, as_of) in flows.items():
        # A flow not reported for the latest period is unknown, never an older year's value.
        out[f"{concept}_ttm"] = value if as_of == period_end else float("nan")
    capex_abs = abs(out["capex_ttm"])
    out["fcf_ttm"] = out["operating_cash_flow_ttm"] - capex_abs
    for concept in ("cash", "equity", "total_assets"):
        out[concept] = latest_instant(facts, concept)
    out["total_debt"] = total_debt(facts)
    shares = facts[facts["concept"] == "diluted_shares"]
    out["diluted_shares"] = float(shares["value"].iloc[-1]) if not shares.empty else float("nan")
    out["debt_to_equity"] = (
        _ratio(out["total_debt"], out["equity"]) if out["equity"] > 0 else float("nan")
    )
    out["net_cash"] = out["cash"] - out["total_debt"]
    out["net_cash_to_assets"] = _ratio(out["net_cash"], out["total_assets"])
    out["fcf_margin"] = _ratio(out["fcf_ttm"], out["revenue_ttm"])
    out["net_margin"] = _ratio(out["net_income_ttm"], out["revenue_ttm"])
    out["capex_to_ocf"] = _ratio(capex_abs, out["operating_cash_flow_ttm"])
    revenue = annual_series(facts, "revenue")
    out["revenue_growth"] = (
        float(revenue.iloc[-1] / revenue.iloc[-2] - 1)
        if len(revenue) >= 2 and revenue.iloc[-2] > 0
        else float("nan")
    )
    ocf = annual_series(facts, "operating_cash_flow")
    capex = annual_series(facts, "capex").abs()
    fcf = (ocf - capex).dropna()
    recent = fcf.iloc[-stability_years:]
    out["fcf_stability"] = (
        float(recent.mean() / recent.std())
        if len(recent) >= 3 and recent.std() > 0
        else float("nan")
    )
    both = pd.concat([ocf, capex], axis=1, keys=["ocf", "capex"]).dropna().iloc[-capex_years:]
    out["capex_over_ocf_years"] = (
        float((both["capex"] > both["ocf"]).sum()) if not both.empty else float("nan")
    )
    if period_end is not None:
        year_ago = total_debt(facts, before=period_end - pd.DateOffset(years=1))
        out["debt_growth"] = (
            _ratio(out["total_debt"], year_ago) - 1 if year_ago > 0 else float("nan")
        )
    else:
        out["debt_growth"] = float("nan")
    out["period_end"] = period_end
    out["last_filed"] = facts["filed"].max() if not facts.empty else None
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
        self._by_ticker = {t: f.reset_index(drop=True) for t, f in facts.groupby("ticker")}
        self._cached = lru_cache(maxsize=4096)(self._metrics_for_filings)

    @property
    def tickers(self) -> list[str]:
        return sorted(self._by_ticker)

    def known(self, ticker: str, date: pd.Timestamp) -> pd.DataFrame:
        """The facts of ``ticker`` a reader had on ``date`` (latest filing per period)."""
        facts = self._by_ticker.get(ticker)
        if facts is None:
            return pd.DataFrame(columns=[*FACT_COLUMNS, "concept", "rank"])
        return known_on(facts, date, self.lag_days)

    def _metrics_for_filings(self, ticker: str, n_known: int) -> dict[str, float]:
        facts = self._by_ticker[ticker]
        return company_metrics(known_on(facts.iloc[:n_known], pd.Timestamp.max))

    def metrics_asof(
        self, tickers: list[str], date: pd.Timestamp, prices: pd.Series | None = None
    ) -> pd.DataFrame:
        """One row per ticker: the metrics of :data:`METRICS` as known on ``date``."""
        date = pd.Timestamp(date)
        cutoff = date - pd.Timedelta(days=self.lag_days)
        rows = {}
        for ticker in tickers:
            facts = self._by_ticker.get(ticker)
            n_known = (
                int(facts["filed"].searchsorted(cutoff, side="right")) if facts is not None else 0
            )
            if n_known == 0:
                rows[ticker] = {}
                continue
            row = dict(self._cached(ticker, n_known))
            price = prices.get(ticker, np.nan) if prices is not None else np.nan
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
