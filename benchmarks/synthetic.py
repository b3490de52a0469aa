"""A synthetic market of N names x D days: prices and SEC-like facts, for scale benchmarks.

Each company has a fiscal year ending in one of the twelve months, files a 10-Q
30-45 days after each of its first three quarters and a 10-K 55-75 days after its
year end, the way companyfacts reads: every filing repeats the comparative periods
(last year's quarter and year-to-date, the prior fiscal years, the prior balance
sheet) under its own filing date, sometimes restated. Flows are quarters and
year-to-date (income statement), year-to-date only (cash flows); balance sheets are
instants; the cover page carries a share count dated near the filing. On top of that:

- tag switches (``Revenues`` until a company adopts ASC 606, then
  ``RevenueFromContractWithCustomerExcludingAssessedTax``, both filed for a while),
- missing tags (no debt, no R&D, no gross profit, a capex line left out of a filing),
- stock splits (share counts and EPS on the basis of their filing; prices adjusted),
- scale slips (a value filed 1,000x too large, which the 50x rule drops),
- late listings (prices and filings start years into the window),
- capex above operating cash flow in some years (the capex rule has work to do).

Everything is drawn from ``numpy.random.default_rng(seed)``: the same arguments give
the same market.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

FACTORS = ("SPY", "KWEB", "FXI", "MCHI", "SOXX", "TLT")
INCOME = {  # concept -> (tag before ASC 606, tag after)
    "revenue": ("Revenues", "RevenueFromContractWithCustomerExcludingAssessedTax"),
    "net_income": ("NetIncomeLoss", "NetIncomeLoss"),
    "operating_income": ("OperatingIncomeLoss", "OperatingIncomeLoss"),
    "gross_profit": ("GrossProfit", "GrossProfit"),
    "rd_expense": ("ResearchAndDevelopmentExpense", "ResearchAndDevelopmentExpense"),
}
CASH_FLOWS = {
    "operating_cash_flow": "NetCashProvidedByUsedInOperatingActivities",
    "capex": "PaymentsToAcquirePropertyPlantAndEquipment",
}
INSTANTS = {
    "cash": "CashAndCashEquivalentsAtCarryingValue",
    "short_term_investments": "ShortTermInvestments",
    "total_assets": "Assets",
    "equity": "StockholdersEquity",
    "long_term_debt": "LongTermDebt",
}


def _month_end(year: int, month: int) -> pd.Timestamp:
    return pd.Timestamp(year=year, month=month, day=1) + pd.offsets.MonthEnd(0)


def synthetic_facts(
    n: int, years: int = 10, seed: int = 0, end: str = "2026-06-30"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(facts, splits) of ``n`` companies over ``years`` fiscal years up to ``end``.

    ``facts`` has the columns of a facts CSV (ticker, tag, period_start, period_end,
    filed, value); ``splits`` the columns of ``data/splits.csv`` (ticker, date, ratio).
    """
    rng = np.random.default_rng(seed)
    last = pd.Timestamp(end)
    rows: list[tuple] = []
    splits: list[tuple] = []
    for i in range(n):
        ticker = f"S{i:04d}"
        fy_month = int(rng.integers(1, 13))
        first_year = last.year - years - 1
        if rng.random() < 0.1:  # a late listing: facts start years into the window
            first_year += int(rng.integers(2, max(3, years - 1)))
        adopt_606 = int(rng.integers(first_year, last.year + 1))
        has_debt, has_rd, has_gp = rng.random() < 0.8, rng.random() < 0.7, rng.random() < 0.8
        split = None
        if rng.random() < 0.08:
            split = (
                last - pd.Timedelta(days=int(rng.integers(200, 365 * years))),
                float(rng.choice([2.0, 4.0, 10.0])),
            )
            splits.append((ticker, split[0], split[1]))
        revenue = 10 ** rng.uniform(8, 10.5) / 4  # per quarter
        growth = rng.normal(0.02, 0.03)
        margin_gp, margin_op = rng.uniform(0.35, 0.75), rng.uniform(-0.05, 0.35)
        rd_share, capex_share = rng.uniform(0.05, 0.2), rng.uniform(0.1, 1.3)
        shares = 10 ** rng.uniform(8, 10)
        quarters = []  # (start, end, figures)
        cash = revenue * rng.uniform(0.5, 3)
        debt = revenue * rng.uniform(0, 4) if has_debt else 0.0
        for year in range(first_year, last.year + 1):
            fy_end = _month_end(year, fy_month)
            for q in range(4):
                q_end = _month_end(
                    (fy_end - pd.DateOffset(months=9 - 3 * q)).year,
                    (fy_end - pd.DateOffset(months=9 - 3 * q)).month,
                )
                q_start = _month_end(
                    (q_end - pd.DateOffset(months=3)).year, (q_end - pd.DateOffset(months=3)).month
                ) + pd.Timedelta(days=1)
                revenue *= np.exp(growth + rng.normal(0, 0.05))
                op = revenue * (margin_op + rng.normal(0, 0.03))
                ocf = op * 1.2 + revenue * rng.normal(0, 0.03)
                shares *= np.exp(rng.normal(0.0, 0.005))
                cash = max(cash + ocf * 0.3, revenue * 0.1)
                debt = debt * np.exp(rng.normal(0, 0.08)) if has_debt else 0.0
                quarters.append(
                    (
                        q_start,
                        q_end,
                        q,
                        fy_end,
                        {
                            "revenue": revenue,
                            "gross_profit": revenue * margin_gp,
                            "operating_income": op,
                            "net_income": op * 0.8,
                            "rd_expense": revenue * rd_share,
                            "operating_cash_flow": ocf,
                            "capex": abs(ocf) * capex_share * np.exp(rng.normal(0, 0.2)),
                            "diluted_shares": shares,
                            "cash": cash,
                            "short_term_investments": cash * 0.5,
                            "total_assets": revenue * 8,
                            "equity": revenue * 4 - debt * 0.2,
                            "long_term_debt": debt,
                        },
                    )
                )

        def emit(concept_tag: str, start, end_, filed, value, slip_ok=True, ticker=ticker) -> None:
            if slip_ok and rng.random() < 0.0007:
                value *= 1000.0  # a scale slip
            rows.append((ticker, concept_tag, start, end_, filed, value))

        for k, (q_start, q_end, q, _fy_end, fig) in enumerate(quarters):
            filed = q_end + pd.Timedelta(
                days=int(rng.integers(30, 46) if q < 3 else rng.integers(55, 76))
            )
            if filed > last:
                break
            basis = split[1] if split is not None and filed >= split[0] else 1.0
            fy_start = quarters[k - q][0]
            prior = k - 4
            restate = 1.0 + (rng.normal(0, 0.02) if rng.random() < 0.05 else 0.0)
            year_tag = 1 if q_end.year >= adopt_606 else 0
            both_tags = q_end.year == adopt_606
            periods = []  # (start, end, index range) of the flows this filing reports
            if q < 3:
                periods.append((q_start, q_end, range(k, k + 1), "income"))
                if q > 0:
                    periods.append((fy_start, q_end, range(k - q, k + 1), "both"))
                else:
                    periods.append((fy_start, q_end, range(k, k + 1), "cash"))
            else:  # the 10-K: this year and the two before
                for back in range(3):
                    lo = k - 3 - 4 * back
                    if lo >= 0:
                        periods.append(
                            (
                                quarters[lo][0],
                                quarters[k - 4 * back][1],
                                range(lo, k - 4 * back + 1),
                                "both",
                            )
                        )
            if prior >= 0 and q < 3:
                pq_start = quarters[prior][0]
                periods.append((pq_start, quarters[prior][1], range(prior, prior + 1), "income"))
                if q > 0:
                    periods.append(
                        (
                            quarters[prior - q][0],
                            quarters[prior][1],
                            range(prior - q, prior + 1),
                            "both",
                        )
                    )
                else:
                    periods.append(
                        (quarters[prior][0], quarters[prior][1], range(prior, prior + 1), "cash")
                    )
            for start, end_, span, kind in periods:
                factor = restate if end_ < q_start else 1.0
                if kind in ("income", "both"):
                    for concept, tags in INCOME.items():
                        if (concept == "rd_expense" and not has_rd) or (
                            concept == "gross_profit" and not has_gp
                        ):
                            continue
                        value = sum(quarters[j][4][concept] for j in span) * factor
                        emit(tags[year_tag], start, end_, filed, value)
                        if concept == "revenue" and both_tags:
                            emit(tags[0], start, end_, filed, value * 1.001)
                    sh = np.mean([quarters[j][4]["diluted_shares"] for j in span])
                    ni = sum(quarters[j][4]["net_income"] for j in span)
                    emit(
                        "WeightedAverageNumberOfDilutedSharesOutstanding",
                        start,
                        end_,
                        filed,
                        sh * basis,
                    )
                    emit(
                        "EarningsPerShareDiluted",
                        start,
                        end_,
                        filed,
                        round(ni / sh / basis, 2),
                        False,
                    )
                if kind in ("cash", "both"):
                    for concept, tag in CASH_FLOWS.items():
                        if concept == "capex" and rng.random() < 0.03:
                            continue  # a capex line left out
                        emit(
                            tag,
                            start,
                            end_,
                            filed,
                            sum(quarters[j][4][concept] for j in span) * factor,
                        )
            balance_dates = [k] + ([k - q - 1] if k - q - 1 >= 0 else [])
            for j in balance_dates:
                fig_j = quarters[j][4]
                factor = restate if j != k else 1.0
                for concept, tag in INSTANTS.items():
                    if concept == "long_term_debt" and not has_debt:
                        continue
                    emit(tag, None, quarters[j][1], filed, fig_j[concept] * factor)
            cover = filed - pd.Timedelta(days=int(rng.integers(3, 20)))
            emit(
                "EntityCommonStockSharesOutstanding",
                None,
                cover,
                filed,
                fig["diluted_shares"] * 0.98 * basis,
            )
    facts = pd.DataFrame(
        rows, columns=["ticker", "tag", "period_start", "period_end", "filed", "value"]
    )
    return facts, pd.DataFrame(splits, columns=["ticker", "date", "ratio"])


def synthetic_prices(
    tickers: list[str],
    days: int,
    seed: int = 0,
    end: str = "2026-06-30",
    splits: pd.DataFrame | None = None,
    first_filed: dict[str, pd.Timestamp] | None = None,
) -> dict[str, pd.DataFrame]:
    """Full daily bars (split-adjusted) of ``tickers`` over ``days`` business days to
    ``end``; a name listed late (``first_filed`` after the start) starts on that date."""
    rng = np.random.default_rng(seed + 1)
    dates = pd.bdate_range(end=end, periods=days)
    drift = rng.normal(0.0004, 0.0004, len(tickers))
    steps = rng.normal(drift, 0.02, (days, len(tickers)))
    close = 50 * np.exp(np.cumsum(steps, axis=0))
    frames = {}
    for j, ticker in enumerate(tickers):
        frame = pd.DataFrame(
            {
                "open": close[:, j] * np.exp(rng.normal(0, 0.005, days)),
                "close": close[:, j],
            },
            index=dates,
        )
        frame["high"] = frame[["open", "close"]].max(axis=1) * 1.005
        frame["low"] = frame[["open", "close"]].min(axis=1) * 0.995
        frame["adj_close"] = frame["close"]
        frame["volume"] = 1e6
        listed = (first_filed or {}).get(ticker)
        if listed is not None and listed > dates[0]:
            frame = frame[frame.index >= listed]
        frames[ticker] = frame
    return frames


def write_market(folder: Path, n: int, days: int, seed: int = 0) -> dict[str, Path]:
    """Write a synthetic market for ``data.source: csv`` and ``data.fundamentals: csv``:
    ``prices/<TICKER>.csv`` (the names and the factor ETFs), ``fundamentals.csv`` and
    ``data/splits.csv``. Returns the paths; a folder already written is reused."""
    prices_dir, facts_path = folder / "prices", folder / "fundamentals.csv"
    splits_path = folder / "data" / "splits.csv"
    done = folder / "DONE"
    if not done.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        facts, splits = synthetic_facts(n, years=max(2, days // 252), seed=seed)
        facts.to_csv(facts_path, index=False)
        splits_path.parent.mkdir(parents=True, exist_ok=True)
        splits.to_csv(splits_path, index=False)
        tickers = sorted(facts["ticker"].unique())
        first = pd.to_datetime(facts["filed"]).groupby(facts["ticker"]).min().to_dict()
        frames = synthetic_prices(
            [*tickers, *FACTORS], days, seed, splits=splits, first_filed=first
        )
        prices_dir.mkdir(parents=True, exist_ok=True)
        for ticker, frame in frames.items():
            frame.rename_axis("date").to_csv(prices_dir / f"{ticker}.csv", float_format="%.6f")
        done.write_text("ok\n")
    return {"prices": prices_dir, "fundamentals": facts_path, "splits": splits_path}
