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
  LongTermDebtCurrent (or DebtCurrent), on the latest date that reports either. It
  counts only if that date is at most :data:`DEBT_MAX_AGE_DAYS` before the latest
  balance sheet, else it is unknown (NaN, and so are net cash, debt to equity and debt
  growth). A LongTermDebt of 0 where the same date tags non-zero non-current or current
  debt is not a total (ORCL's of 2022-05-31, beside 3.7B of DebtCurrent). A company
  that has tagged none of these debt tags is taken to have no debt.

- cash-like investments (current): CashCashEquivalentsAndShortTermInvestments where
  the company tags that total for the balance-sheet date, else cash plus the first of
  ShortTermInvestments, MarketableSecuritiesCurrent,
  AvailableForSaleSecuritiesDebtSecuritiesCurrent tagged for that date; long-term
  (MarketableSecuritiesNoncurrent, AvailableForSaleSecuritiesDebtSecuritiesNoncurrent)
  are reported apart and added to net cash only when a strategy asks for it.
- shares for market capitalisation: the latest cover-page count
  (dei EntityCommonStockSharesOutstanding) or balance-sheet count
  (CommonStockSharesOutstanding), else the diluted weighted average.

Flows are trailing twelve months: the latest fiscal year plus the current
year-to-date minus the same period a year earlier (all from 10-K/10-Q facts);
growth and FCF stability use fiscal years.

Share counts and per-share values are reported on the split basis of their filing
date (a split after the period but before the filing is applied retroactively, as
ASC 260 asks). The store puts every one of them on the split basis of the price
vintage (the last day of the loaded, split-adjusted prices) with ``data/splits.csv``,
so that market cap = split-adjusted price on D x shares holds across every split.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from ..errors import DataError
from .concepts import (
    AGE_COLUMNS,
    ANNUAL_DAYS,
    CONCEPTS,
    DEBT_CONCEPTS,
    DEBT_MAX_AGE_DAYS,
    FACT_COLUMNS,
    FLOWS,
    INSTANTS,
    JUMP_CHECKED,
    JUMP_RATIO,
    MARGIN_FLOWS,
    METRICS,
    NEAR_DAYS,
    PER_SHARE_CONCEPTS,
    SHARE_CONCEPTS,
    TAG_RANK,
)
from .panel import FundamentalsPanel

__all__ = [
    "AGE_COLUMNS",
    "ANNUAL_DAYS",
    "CONCEPTS",
    "DEBT_CONCEPTS",
    "DEBT_MAX_AGE_DAYS",
    "FACT_COLUMNS",
    "FLOWS",
    "INSTANTS",
    "JUMP_CHECKED",
    "JUMP_RATIO",
    "MARGIN_FLOWS",
    "METRICS",
    "NEAR_DAYS",
    "PER_SHARE_CONCEPTS",
    "SHARE_CONCEPTS",
    "TAG_RANK",
    "FundamentalsStore",
    "Splits",
]


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
    facts["ticker"] = _each_distinct(facts["ticker"], lambda t: t.astype(str).str.upper())
    for col in ("start", "end", "filed"):
        try:
            facts[col] = _each_distinct(
                facts[col], lambda d: pd.to_datetime(d.replace("", np.nan), errors="coerce")
            )
        except (ValueError, TypeError):  # e.g. dates with different UTC offsets
            name = {"start": "period_start", "end": "period_end"}.get(col, col)
            raise DataError(
                f"{source}: column {name}: cannot read its dates as one kind (they mix "
                "time zones or formats); write dates as YYYY-MM-DD"
            ) from None
    facts["value"] = pd.to_numeric(facts["value"], errors="coerce")
    bad = facts["end"].isna() | facts["filed"].isna() | facts["value"].isna()
    if bad.any():
        row = facts.index[bad][0]
        raise DataError(f"{source}: row {row + 2}: period_end, filed and value must be set")
    concepts = {t: c for t, (c, _) in TAG_RANK.items()}
    ranks = {t: r for t, (_, r) in TAG_RANK.items()}
    both = _each_distinct(
        facts["tag"],
        lambda tags: pd.DataFrame({"concept": tags.map(concepts), "rank": tags.map(ranks)}),
    )
    facts["concept"], facts["rank"] = both["concept"], both["rank"]
    return facts.sort_values("filed", kind="stable").reset_index(drop=True)


T = TypeVar("T", pd.Series, pd.DataFrame)


def _each_distinct(column: pd.Series, convert: Callable[[pd.Series], T]) -> T:
    """``convert(column)`` (a Series, or a frame of several columns derived from it)
    computed once per distinct value (a facts file repeats its tickers, dates and tags
    thousands of times), in order of first appearance, so a format that ``convert``
    infers from the first value is inferred from the same value."""
    codes, distinct = pd.factorize(column, use_na_sentinel=False)
    converted = convert(pd.Series(distinct, dtype=column.dtype, name=column.name))
    return converted.take(codes).set_axis(column.index)


Fact = tuple[int | None, int, float]  # (start ordinal or None, end ordinal, value)
Known = dict[str, list[Fact]]  # concept -> facts sorted by (end, start)


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


def debt_instant(known: Known, before: int | None = None) -> tuple[int | None, float]:
    """(date ordinal, total debt in USD) on the latest date that reports debt, whatever
    its age; ``(None, NaN)`` if neither LongTermDebt nor LongTermDebtNoncurrent is tagged
    (on or before ``before`` if given).

    LongTermDebt (which includes the current portion) where the company tags it for that
    date, otherwise LongTermDebtNoncurrent plus the current portion of the same date. A
    LongTermDebt of 0 does not override non-zero debt tagged for the same date: the total
    is then non-current plus current, or NaN where no non-current figure is tagged.
    """
    total = _instants(known, "long_term_debt", before)
    noncurrent = _instants(known, "long_term_debt_noncurrent", before)
    current = dict(_instants(known, "debt_current", before))
    if total and (not noncurrent or total[-1][0] >= noncurrent[-1][0]):
        end, value = total[-1]
        same_noncurrent = dict(noncurrent).get(end)
        same_current = current.get(end, 0.0)
        if value == 0 and (same_noncurrent or same_current):
            if same_noncurrent is None:
                return end, float("nan")
            return end, same_noncurrent + same_current
        return end, value
    if noncurrent:
        end, value = noncurrent[-1]
        return end, value + current.get(end, 0.0)
    return None, float("nan")


def total_debt(known: Known, reference: int | None, before: int | None = None) -> float:
    """Total debt in USD (:func:`debt_instant`) if dated at most
    :data:`DEBT_MAX_AGE_DAYS` before ``reference`` (a date ordinal: the balance-sheet
    date it stands beside); NaN if older, if ``reference`` is None or if none is tagged.
    """
    end, value = debt_instant(known, before)
    if end is None or reference is None or end < reference - DEBT_MAX_AGE_DAYS:
        return float("nan")
    return value


def debt_tagged(known: Known) -> bool:
    """Whether the company has tagged any debt concept (:data:`DEBT_CONCEPTS`) by now."""
    return any(_instants(known, concept, None) for concept in DEBT_CONCEPTS)


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


def _latest(values: list[tuple[int, float]]) -> tuple[int | None, float]:
    return values[-1] if values else (None, float("nan"))


def liquid_assets(known: Known) -> tuple[int | None, float, float]:
    """(balance-sheet date, cash, cash plus current cash-like investments) at that date.

    The date is the latest balance sheet (total assets, cash or the cash-and-short-term
    total). That total wins where tagged; else cash plus the first short-term tag of the
    date (none tagged there counts as none held). Cash not tagged for the date is NaN,
    never an older balance sheet's.
    """
    cash = dict(_instants(known, "cash", None))
    combined = dict(_instants(known, "cash_and_sti", None))
    assets = dict(_instants(known, "total_assets", None))
    if not cash and not combined and not assets:
        return None, float("nan"), float("nan")
    end = max([*cash, *combined, *assets])
    sti = dict(_instants(known, "short_term_investments", None))
    cash_value = cash.get(end, float("nan"))
    if end in combined:
        return end, cash_value, combined[end]
    return end, cash_value, cash_value + sti.get(end, 0.0)


def company_metrics(
    known: Known, stability_years: int = 4, capex_years: int = 5, last_filed: int | None = None
) -> dict[str, float]:
    """Every metric but the price- and date-based ones, from one company's known facts.

    Also returns the ordinals ``_ttm_end``, ``_balance_end`` and ``_shares_end`` (period
    ends behind the TTM flows, the balance sheet and the share count) for the ages.
    """
    out: dict[str, float] = {}
    flows = {concept: ttm(known, concept) for concept in (*FLOWS, *MARGIN_FLOWS)}
    period_end = max(
        (as_of for c, (_, as_of) in flows.items() if as_of is not None and c in FLOWS),
        default=None,
    )
    for concept, (value, as_of) in flows.items():
        # A flow not reported for the latest period is unknown, never an older year's value.
        out[f"{concept}_ttm"] = value if as_of == period_end else float("nan")
    capex_abs = abs(out["capex_ttm"])
    out["fcf_ttm"] = out["operating_cash_flow_ttm"] - capex_abs
    balance_end, out["cash"], liquid = liquid_assets(known)
    out["short_term_investments"] = liquid - out["cash"] if np.isfinite(out["cash"]) else liquid
    long_term = dict(_instants(known, "long_term_investments", None))
    out["long_term_investments"] = long_term.get(balance_end, 0.0) if balance_end else np.nan
    for concept in ("equity", "total_assets"):
        out[concept] = latest_instant(known, concept)
    out["total_debt"] = total_debt(known, balance_end)
    shares = known.get("diluted_shares", [])
    out["diluted_shares"] = shares[-1][2] if shares else float("nan")
    shares_end, out["shares_outstanding"] = _latest(_instants(known, "shares_outstanding", None))
    if shares_end is None and shares:
        shares_end = shares[-1][1]
    out["debt_to_equity"] = (
        _ratio(out["total_debt"], out["equity"]) if out["equity"] > 0 else float("nan")
    )
    # A company that has never tagged debt is taken to have none; one whose debt figure
    # is stale or unknown has unknown net cash.
    debt = out["total_debt"] if debt_tagged(known) else 0.0
    out["net_cash"] = liquid - debt
    out["net_cash_to_assets"] = _ratio(out["net_cash"], out["total_assets"])
    revenue_ttm = out["revenue_ttm"]
    out["fcf_margin"] = _ratio(out["fcf_ttm"], revenue_ttm)
    out["net_margin"] = _ratio(out["net_income_ttm"], revenue_ttm)
    out["operating_margin"] = _ratio(out["operating_income_ttm"], revenue_ttm)
    out["gross_margin"] = _ratio(out["gross_profit_ttm"], revenue_ttm)
    out["rd_intensity"] = _ratio(out["rd_expense_ttm"], revenue_ttm)
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
        year_ago = total_debt(known, period_end - 365, before=period_end - 365)
        out["debt_growth"] = (
            _ratio(out["total_debt"], year_ago) - 1 if year_ago > 0 else float("nan")
        )
    else:
        out["debt_growth"] = float("nan")
    out["period_end"] = _date(period_end)
    out["last_filed"] = _date(last_filed)
    out["_ttm_end"] = period_end
    out["_balance_end"] = balance_end
    out["_shares_end"] = shares_end
    return out


def price_metrics(row: dict, price: float, date_ordinal: int) -> dict[str, float]:
    """Market cap, P/E, P/S, EV/sales and the ages of one company's row on date D.

    ``price`` is the split-adjusted price of D; the row's share counts are on the same
    split basis. Market cap uses the latest share count, else diluted shares, else
    price x TTM net income / TTM diluted EPS. P/E is market cap over TTM net income (or
    price over TTM diluted EPS where net income is not tagged) and NaN for a loss; P/S
    and EV/sales still value a loss-maker.
    """
    out: dict[str, float] = {}
    shares = row["shares_outstanding"]
    if not np.isfinite(shares):
        shares = row["diluted_shares"]
    if not np.isfinite(shares) and row["eps_diluted_ttm"] > 0 and row["net_income_ttm"] > 0:
        shares = row["net_income_ttm"] / row["eps_diluted_ttm"]
    market_cap = price * shares if np.isfinite(price) else float("nan")
    out["market_cap"] = market_cap
    income, eps = row["net_income_ttm"], row["eps_diluted_ttm"]
    if np.isfinite(income):
        out["pe_ttm"] = market_cap / income if income > 0 else float("nan")
    else:  # no net income tagged (AVGO): price over TTM diluted EPS
        out["pe_ttm"] = price / eps if eps > 0 else float("nan")
    out["ps_ttm"] = _ratio(market_cap, row["revenue_ttm"]) if row["revenue_ttm"] > 0 else np.nan
    enterprise = market_cap - row["net_cash"]  # unknown net cash: unknown EV
    out["ev_to_sales"] = (
        _ratio(enterprise, row["revenue_ttm"]) if row["revenue_ttm"] > 0 else float("nan")
    )
    ages = {
        "ttm_age_days": row["_ttm_end"],
        "balance_sheet_age_days": row["_balance_end"],
        "shares_age_days": row["_shares_end"],
    }
    for column, end in ages.items():
        out[column] = float(date_ordinal - end) if end is not None else float("nan")
    newest = [e for e in (row["_ttm_end"], row["_balance_end"]) if e is not None]
    out["staleness_days"] = float(date_ordinal - max(newest)) if newest else float("nan")
    return out


def drop_jumps(facts: pd.DataFrame, ratio: float = JUMP_RATIO) -> tuple[pd.DataFrame, list[str]]:
    """Drop level facts more than ``ratio`` x (or 1/ratio of) the same company's neighbours.

    Point in time: a fact is judged at its own filing against the nearest earlier and
    later period of the same concept and kind (instant / duration) filed by then. It
    is dropped only if it is off against every such neighbour. Returns the kept facts
    and one note per dropped fact. Only groups whose values spread more than ``ratio``
    can hold such a fact, so the others are not looked at.
    """
    checked = facts["concept"].isin(JUMP_CHECKED) & (facts["value"] > 0)
    sub = facts.loc[checked]
    instant = sub["start"].isna()
    days = (sub["end"] - sub["start"]).dt.days.fillna(0)
    kind = np.where(instant, 0, np.where(days < 120, 1, np.where(days > 300, 4, 2)))
    sub = sub.assign(kind=kind)
    keys = ["ticker", "concept", "kind"]
    values = sub.groupby(keys, sort=False)["value"]
    sub = sub.loc[values.transform("max") / values.transform("min") > ratio]
    drop: list[int] = []
    dropped: dict[tuple, list[str]] = {}
    # Each group (in order of first appearance) in filing order, then end (stable): one
    # sort of all groups instead of one per group.
    group = sub.groupby(keys, sort=False).ngroup().fillna(-1).to_numpy(dtype=np.int64)
    filed, end = sub["filed"].to_numpy(), sub["end"].to_numpy()
    order = np.lexsort((np.arange(len(sub)), end, filed, group))
    group, ends = group[order], end[order].astype(np.int64)
    values = sub["value"].to_numpy()[order]
    bounds = np.flatnonzero(np.diff(group, prepend=-1, append=-1))
    for a, b in itertools.pairwise(bounds):
        if b - a < 2 or group[a] < 0:  # -1: a key is blank, in no group
            continue
        for i in a + np.flatnonzero(_judged_off(ends[a:b], values[a:b], ratio)):
            row = sub.iloc[order[i]]
            drop.append(sub.index[order[i]])
            key = (row["ticker"], row["tag"], row["end"].date(), row["value"])
            dropped.setdefault(key, []).append(str(row["filed"].date()))
    notes = [
        f"{ticker} {tag} {end}: {value:,.0f} is more than {ratio:.0f}x off its neighbouring "
        f"periods; dropped (filed {', '.join(filed)})"
        for (ticker, tag, end, value), filed in dropped.items()
    ]
    return facts.drop(index=drop), notes


def _judged_off(ends: np.ndarray, values: np.ndarray, ratio: float) -> np.ndarray:
    """Which facts of one group (in filing order) :func:`drop_jumps` drops.

    Fact i is judged against the facts before it that were kept: the one with the
    latest end before its own and the one with the earliest end after it (the first
    such fact on ties). Whether i is kept depends only on the facts before it, so
    iterating "drop what is off against the facts kept so far" from "all kept" reaches
    the one-by-one answer; it stops when nothing changes (in practice in two rounds).
    """
    n = len(ends)
    rows = np.arange(n)
    before = np.tri(n, k=-1, dtype=bool)  # [i, j]: j was judged before i
    lower = before & (ends[None, :] < ends[:, None])
    upper = before & (ends[None, :] > ends[:, None])
    with np.errstate(divide="ignore", invalid="ignore"):
        far = np.maximum(values[:, None] / values[None, :], values[None, :] / values[:, None])
    far = far > ratio
    low, high = np.iinfo(np.int64).min, np.iinfo(np.int64).max
    kept = np.ones(n, dtype=bool)
    while True:
        earlier, later = lower & kept[None, :], upper & kept[None, :]
        has_earlier, has_later = earlier.any(axis=1), later.any(axis=1)
        nearest_earlier = np.argmax(np.where(earlier, ends[None, :], low), axis=1)
        nearest_later = np.argmin(np.where(later, ends[None, :], high), axis=1)
        off = (
            (has_earlier | has_later)
            & (~has_earlier | far[rows, nearest_earlier])
            & (~has_later | far[rows, nearest_later])
        )
        if np.array_equal(kept, ~off):
            return off
        kept = ~off


@dataclass
class Splits:
    """Stock splits (``data/splits.csv``): ratio = new shares per old share, from ``date``."""

    table: pd.DataFrame  # ticker, date, ratio

    def factor_after(self, ticker: str, date: pd.Timestamp, until: pd.Timestamp) -> float:
        """Product of the ratios of ``ticker``'s splits in (date, until]."""
        rows = self.table[
            (self.table["ticker"] == ticker)
            & (self.table["date"] > date)
            & (self.table["date"] <= until)
        ]
        return float(rows["ratio"].prod()) if not rows.empty else 1.0

    def to_basis(self, facts: pd.DataFrame, vintage: pd.Timestamp | None) -> pd.DataFrame:
        """Share counts and per-share facts moved from their filing's basis to ``vintage``'s.

        A fact filed before a split (and the split on or before ``vintage``, or any
        split when ``vintage`` is None) is multiplied by the ratio (shares) or divided
        by it (per share), one split after another in the table's order.
        """
        facts = facts.copy()
        until = vintage if vintage is not None else pd.Timestamp.max
        shares = facts["concept"].isin(SHARE_CONCEPTS).to_numpy()
        per_share = facts["concept"].isin(PER_SHARE_CONCEPTS).to_numpy()
        rows = np.flatnonzero(shares | per_share)
        if not len(rows) or self.table.empty:
            return facts
        by_ticker = facts["ticker"].iloc[rows].groupby(facts["ticker"].iloc[rows]).indices
        filed = facts["filed"].to_numpy()
        values = facts["value"].to_numpy(dtype=float, copy=True)
        for ticker, date, ratio in self.table[["ticker", "date", "ratio"]].itertuples(False):
            if date > until or ticker not in by_ticker:
                continue
            own = rows[by_ticker[ticker]]
            own = own[filed[own] < np.datetime64(date)]
            values[own[shares[own]]] *= ratio
            values[own[per_share[own]]] /= ratio
        facts["value"] = values
        return facts

    @classmethod
    def from_csv(cls, path: Path) -> Splits:
        if not path.is_file():
            return cls(pd.DataFrame(columns=["ticker", "date", "ratio"]))
        table = pd.read_csv(path, parse_dates=["date"], comment="#")
        return cls(table[["ticker", "date", "ratio"]])


class FundamentalsStore:
    """Facts of many companies; :meth:`metrics_asof` is the only way strategies read them.

    On construction share counts and EPS are put on the split basis of
    ``price_vintage`` (see :meth:`Splits.to_basis`) and level facts that jump more
    than 50x against their neighbours are dropped (listed in :attr:`notes`). Reads go
    through the point-in-time panel (:class:`~airegime.data.panel.FundamentalsPanel`),
    built on the first read; :meth:`metrics_by_replay` and
    :meth:`annual_history_by_replay` replay the filings one by one, the readable
    specification the panel is tested against.
    """

    def __init__(
        self,
        facts: pd.DataFrame,
        source: str,
        lag_days: int = 0,
        splits: Splits | None = None,
        price_vintage: pd.Timestamp | None = None,
        point_in_time: bool = True,
    ) -> None:
        self.splits = splits or Splits(pd.DataFrame(columns=["ticker", "date", "ratio"]))
        self.price_vintage = price_vintage
        facts, self.notes = drop_jumps(self.splits.to_basis(facts, price_vintage))
        self.facts = facts
        self.source = source
        self.lag_days = lag_days
        self.point_in_time = point_in_time
        self._tickers = sorted(facts["ticker"].unique())
        self._panel: FundamentalsPanel | None = None
        self._replay: dict[str, tuple[list[tuple], list[int]]] | None = None
        self._replayed: dict[tuple, Any] = {}  # replay results by (ticker, filings, ...)

    def __getstate__(self) -> dict:
        """Picklable for sweep workers: the panel goes along, the replay memo stays behind."""
        state = self.__dict__.copy()
        state["_replay"], state["_replayed"] = None, {}
        state.pop("_cached", None)
        state.pop("_annual_cached", None)
        return state

    @property
    def tickers(self) -> list[str]:
        return list(self._tickers)

    @property
    def panel(self) -> FundamentalsPanel:
        """The point-in-time panel of every company's metrics, built once on first use."""
        if self._panel is None:
            self._panel = FundamentalsPanel(self.facts, self.lag_days)
        return self._panel

    def metrics_asof(
        self, tickers: list[str], date: pd.Timestamp, prices: pd.Series | None = None
    ) -> pd.DataFrame:
        """One row per ticker: the metrics of :data:`METRICS` as known on ``date``.

        ``prices`` are the split-adjusted closes of ``date`` (the loaded prices); without
        them the price-based columns are NaN. Tickers without facts filed by then (or
        none at all) get a row of NaN.
        """
        return self.panel.metrics(list(tickers), pd.Timestamp(date), prices)

    def annual_history(self, ticker: str, date: pd.Timestamp) -> pd.DataFrame:
        """Fiscal-year revenue, net income, OCF, capex and FCF known on ``date``
        (one row per fiscal year end, oldest first; capex as a positive outflow)."""
        return self.panel.annual_history(ticker, pd.Timestamp(date))

    def capex_breach_counts(self, tickers: list[str], date: pd.Timestamp, years: int) -> pd.Series:
        """Per ticker, the fiscal years among the last ``years`` (1..15) of its
        :meth:`annual_history` on ``date`` in which capex exceeded operating cash flow
        (years with both known; 0 without any)."""
        counts = self.panel.breach_counts(list(tickers), pd.Timestamp(date), years)
        return pd.Series(counts.astype(float), index=pd.Index(list(tickers), name="ticker"))

    # --- the per-filing replay: the specification the panel is held to ---------------

    def _rows(self, ticker: str, date: pd.Timestamp) -> list[tuple]:
        if self._replay is None:
            self._replay = {}
            for t, f in self.facts.groupby("ticker", sort=True):
                rows = as_rows(f)
                self._replay[t] = (rows, [r[0] for r in rows])
        rows, filed = self._replay.get(ticker, ([], []))
        cutoff = (pd.Timestamp(date) - pd.Timedelta(days=self.lag_days)).toordinal()
        return rows[: bisect.bisect_right(filed, cutoff)]

    def known(self, ticker: str, date: pd.Timestamp) -> pd.DataFrame:
        """The facts of ``ticker`` a reader had on ``date`` (latest filing per period)."""
        known = known_from_rows(self._rows(ticker, date))
        records = [
            (c, _date(st), _date(en), v) for c, facts in known.items() for st, en, v in facts
        ]
        return pd.DataFrame(records, columns=["concept", "start", "end", "value"])

    def annual_history_by_replay(self, ticker: str, date: pd.Timestamp) -> pd.DataFrame:
        """:meth:`annual_history` by replaying ``ticker``'s filings up to ``date``."""
        rows = self._rows(ticker, date)
        key = (ticker, len(rows), "annual")
        if key not in self._replayed:
            self._replayed[key] = annual_frame(known_from_rows(rows))
        return self._replayed[key].copy()

    def metrics_by_replay(
        self, tickers: list[str], date: pd.Timestamp, prices: pd.Series | None = None
    ) -> pd.DataFrame:
        """:meth:`metrics_asof` by replaying each company's filings up to ``date``."""
        date = pd.Timestamp(date)
        ordinal = date.toordinal()
        rows = {}
        for ticker in tickers:
            known_rows = self._rows(ticker, date)
            if not known_rows:
                rows[ticker] = {}
                continue
            key = (ticker, len(known_rows))
            if key not in self._replayed:
                known = known_from_rows(known_rows)
                self._replayed[key] = company_metrics(known, last_filed=known_rows[-1][0])
            row = dict(self._replayed[key])
            price = prices.get(ticker, np.nan) if prices is not None else np.nan
            row.update(price_metrics(row, float(price), ordinal))
            rows[ticker] = row
        frame = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=list(METRICS))
        frame.index.name = "ticker"
        return frame.reindex(tickers)
