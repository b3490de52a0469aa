"""What a portfolio held, measured: groups, China, fundamentals, turnover, contribution,
factor betas and stress replays.

Pure functions on pandas objects, plus :func:`portfolio_tables`, which gathers their
inputs from a run's :class:`~airegime.asof.MarketContext` at run time. The tables are
written into the run folder as ``portfolio_*.csv`` (see :data:`TABLES`), and the
portfolio page (:mod:`airegime.reports.portfolio`) renders them from there, so a report
never needs the market data again.

Conventions: ``weights`` are each name's share of portfolio value at a day's close
(``weights.csv``); the portfolio's return on day t comes from the weights held at the
close of t-1. Every measure that needs a per-name figure (China share, a fundamental)
reports the weight of names without one beside it, never silently as zero.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..asof import AsOfView

if TYPE_CHECKING:
    from ..data.context import MarketContext
    from ..results import RunResult

#: Factor series loaded beside every run when the price source has them (rolling betas).
FACTORS = ("SPY", "SOXX", "KWEB", "FXI", "MCHI", "TLT")
#: Factors the page draws betas for.
BETA_FACTORS = ("SPY", "SOXX", "KWEB", "TLT")
BETA_WINDOW = 126
#: Fundamentals profiled over time: metric -> how names are averaged. Capex / OCF is a
#: weighted median: one name with an operating cash flow near zero would swamp a mean.
PROFILE = {"net_cash_to_assets": "mean", "capex_to_ocf": "median", "pe_ttm": "harmonic"}
#: Metrics read only where positive (positive earnings, positive operating cash flow).
POSITIVE_ONLY = ("capex_to_ocf", "pe_ttm")
WORST_DAYS = 5
#: File name of each table in the run folder.
TABLES = {
    "groups": "portfolio_groups.csv",
    "china": "portfolio_china.csv",
    "fundamentals": "portfolio_fundamentals.csv",
    "turnover": "portfolio_turnover.csv",
    "contribution": "portfolio_contribution.csv",
    "contribution_groups": "portfolio_contribution_groups.csv",
    "betas": "portfolio_betas.csv",
    "stress": "portfolio_stress.csv",
    "signals": "portfolio_signals.csv",
}
EPS = 1e-9


def group_weights(
    weights: pd.DataFrame, groups: dict[str, str], suppliers: list[str] | None = None
) -> pd.DataFrame:
    """Weight per group by day, plus ``suppliers`` (the article's supplier groups'
    tickers), ``cash`` and ``names`` (the number of names held)."""
    labels = pd.Index([groups.get(t, "other") for t in weights.columns])
    by_group = weights.T.groupby(labels.to_numpy()).sum().T
    by_group = by_group[by_group.abs().sum().sort_values(ascending=False).index]
    supplier_set = set(suppliers or [])
    by_group["suppliers"] = weights[[t for t in weights.columns if t in supplier_set]].sum(axis=1)
    by_group["cash"] = (1.0 - weights.sum(axis=1)).clip(lower=0.0)
    by_group["names"] = (weights > EPS).sum(axis=1)
    by_group.index.name = "date"
    return by_group


def known_share_matrix(
    table: pd.DataFrame, tickers: list[str], calendar: pd.DatetimeIndex
) -> pd.DataFrame:
    """China shares by day as known then (``known_from``), NaN where nothing was known."""
    out = pd.DataFrame(np.nan, index=calendar, columns=tickers)
    for ticker, rows in table.groupby("ticker"):
        if ticker not in out.columns:
            continue
        series = rows.sort_values("known_from").groupby("known_from")["china_revenue_share"].last()
        out[ticker] = series.reindex(calendar.union(series.index)).ffill().reindex(calendar)
    return out


def weighted_share(weights: pd.DataFrame, shares: pd.DataFrame) -> pd.DataFrame:
    """Portfolio share (sum of weight x share over known names) and the unknown weight."""
    shares = shares.reindex(index=weights.index, columns=weights.columns)
    known = shares.notna() & (weights > EPS)
    return pd.DataFrame(
        {
            "share": (weights * shares.fillna(0.0)).sum(axis=1),
            "known_weight": weights.where(known, 0.0).sum(axis=1),
            "unknown_weight": weights.where(~known & (weights > EPS), 0.0).sum(axis=1),
        }
    )


def china_exposure(
    weights: pd.DataFrame, disclosed: pd.DataFrame, market: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Daily China exposure: disclosed (weighted revenue share) and, where the data has
    it, market-implied; each with the weight whose exposure is unknown."""
    d = weighted_share(weights, disclosed)
    out = pd.DataFrame(
        {
            "disclosed": d["share"],
            "disclosed_known_weight": d["known_weight"],
            "disclosed_unknown_weight": d["unknown_weight"],
        }
    )
    if market is not None and not market.empty:
        m = weighted_share(weights, market.reindex(weights.index).ffill())
        out["market"] = m["share"]
        out["market_unknown_weight"] = m["unknown_weight"]
    out.index.name = "date"
    return out


def fundamentals_profile(
    targets: pd.DataFrame, metrics: dict[pd.Timestamp, pd.DataFrame]
) -> pd.DataFrame:
    """Weighted fundamentals of the portfolio decided at each rebalance.

    ``metrics[date]`` holds the point-in-time metrics by ticker on that date. Ratios are
    weight-averaged over the names that have a value (capex / OCF: the weighted median
    over names with a positive operating cash flow); P/E is the weighted harmonic mean
    over positive P/Es (the portfolio's price over its earnings). ``*_coverage`` is the
    share of invested weight with a usable value.
    """
    rows = []
    for date, row in targets.iterrows():
        w = row[row > EPS]
        record: dict[str, Any] = {"date": date}
        table = metrics.get(date, pd.DataFrame())
        for metric, how in PROFILE.items():
            values = (
                table[metric].reindex(w.index)
                if metric in table
                else pd.Series(np.nan, index=w.index)
            )
            # P/E and capex / OCF mean nothing for a loss or a cash burn (a negative
            # OCF made the median read -1000%): those names count as uncovered.
            ok = values.notna() & (values > 0 if metric in POSITIVE_ONLY else True)
            covered = float(w[ok].sum())
            total = float(w.sum())
            if covered <= 0:
                record[metric] = np.nan
            elif how == "harmonic":
                record[metric] = covered / float((w[ok] / values[ok]).sum())
            elif how == "median":
                record[metric] = weighted_median(values[ok], w[ok])
            else:
                record[metric] = float((w[ok] * values[ok]).sum() / covered)
            record[f"{metric}_coverage"] = covered / total if total > 0 else np.nan
        rows.append(record)
    return pd.DataFrame(rows).set_index("date") if rows else pd.DataFrame()


def weighted_median(values: pd.Series, weights: pd.Series) -> float:
    """The value at which half of the weight lies below (lower median on a tie)."""
    order = values.sort_values().index
    cumulative = weights[order].cumsum() / weights.sum()
    return float(values[order][cumulative.to_numpy() >= 0.5 - 1e-12].iloc[0])


def turnover_by_day(trades: pd.DataFrame, values: pd.Series) -> pd.DataFrame:
    """One-way turnover of each trading day (traded value / 2 / the prior close's value)."""
    if trades.empty:
        return pd.DataFrame(columns=["bought", "sold", "turnover", "commission"])
    t = trades.assign(date=pd.to_datetime(trades["date"]))
    grouped = t.groupby("date")
    bought = grouped["value"].apply(lambda v: v[v > 0].sum())
    sold = grouped["value"].apply(lambda v: -v[v < 0].sum())
    before = values.shift(1).reindex(bought.index).fillna(values.iloc[0])
    out = pd.DataFrame(
        {
            "bought": bought / before,
            "sold": sold / before,
            "turnover": (bought + sold) / 2 / before,
            "commission": grouped["commission"].sum(),
        }
    )
    out.index.name = "date"
    return out


def contributions(
    weights: pd.DataFrame, asset_returns: pd.DataFrame, groups: dict[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each name's (and group's) contribution to the total return, in units of the
    starting capital: the sum over days of weight held at the prior close x the name's
    return x the portfolio's growth until then. Summed over names it is the total
    return before costs."""
    w = weights.shift(1).iloc[1:]
    r = asset_returns.reindex(index=w.index, columns=w.columns).fillna(0.0)
    daily = w * r
    growth = (1.0 + daily.sum(axis=1)).cumprod().shift(1).fillna(1.0)
    names = pd.DataFrame(
        {
            "group": [groups.get(t, "other") for t in w.columns],
            "contribution": daily.mul(growth, axis=0).sum(),
            "sum_of_daily": daily.sum(),
            "average_weight": weights.mean(),
            "days_held": (weights > EPS).sum(),
        }
    )
    names = names[names["days_held"] > 0].sort_values("contribution", ascending=False)
    names.index.name = "ticker"
    by_group = (
        names.groupby("group")[["contribution", "sum_of_daily", "average_weight"]]
        .sum()
        .sort_values("contribution", ascending=False)
    )
    return names, by_group


def rolling_betas(
    returns: pd.Series, factors: pd.DataFrame, window: int = BETA_WINDOW
) -> pd.DataFrame:
    """Rolling beta of the strategy to each factor; NaN until the window has filled."""
    f = factors.reindex(returns.index)
    out = {}
    for name in f.columns:
        pair = pd.DataFrame({"r": returns, "f": f[name]})
        cov = pair["r"].rolling(window, min_periods=window).cov(pair["f"])
        var = pair["f"].rolling(window, min_periods=window).var()
        out[name] = cov / var.replace(0.0, np.nan)
    frame = pd.DataFrame(out, index=returns.index)
    frame.index.name = "date"
    return frame


def stress_days(
    events: list[tuple[str, pd.Timestamp]],
    benchmark: pd.Series,
    calendar: pd.DatetimeIndex,
    worst: int = WORST_DAYS,
) -> list[tuple[str, str, pd.Timestamp]]:
    """(label, kind, trading day) of each dated event (its first trading day on or after
    the date) and of the benchmark's ``worst`` days inside the backtest."""
    days = []
    for name, date in events:
        at = calendar.searchsorted(pd.Timestamp(date))
        if calendar[0] <= pd.Timestamp(date) and at < len(calendar):
            days.append((name, "event", calendar[at]))
    for rank, (date, _) in enumerate(benchmark.nsmallest(worst).items(), start=1):
        days.append((f"{benchmark.name} worst day #{rank}", "worst benchmark day", date))
    return days


def replay(weights: pd.Series, day_returns: pd.Series) -> tuple[float, float, str]:
    """A book replayed on one day's returns: (return, unpriced weight, worst three names)."""
    w = weights[weights > EPS]
    r = day_returns.reindex(w.index)
    priced = r.notna()
    losers = (w[priced] * r[priced]).sort_values().head(3)
    worst = ", ".join(f"{t} {r[t]:+.1%}" for t in losers.index if r[t] < 0)
    return float((w[priced] * r[priced]).sum()), float(w[~priced].sum()), worst


def stress_replays(
    days: list[tuple[str, str, pd.Timestamp]],
    weights: pd.DataFrame,
    asset_returns: pd.DataFrame,
    strategy_returns: pd.Series,
    benchmark_returns: pd.Series,
) -> pd.DataFrame:
    """For each stress day: the book held at the prior close and today's (latest) book,
    replayed on that day's actual returns, beside the benchmark and the run's own return."""
    latest = weights.iloc[-1]
    rows = []
    for label, kind, day in days:
        row: dict[str, Any] = {"date": day, "label": label, "kind": kind}
        row["benchmark"] = float(benchmark_returns.get(day, np.nan))
        rets = asset_returns.loc[day] if day in asset_returns.index else pd.Series(dtype=float)
        prior = weights.index[weights.index < day]
        if day in strategy_returns.index and len(prior):
            held, _, worst_then = replay(weights.loc[prior[-1]], rets)
            row.update(held_then=held, actual=float(strategy_returns[day]), worst_then=worst_then)
        else:
            row.update(held_then=np.nan, actual=np.nan, worst_then="")
        now, unpriced, worst_now = replay(latest, rets)
        row.update(current_book=now, current_unpriced_weight=unpriced, worst_now=worst_now)
        rows.append(row)
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame = frame.sort_values("date").drop_duplicates(["date", "label"]).set_index("date")
    return frame


def signal_table(diagnostics: dict[pd.Timestamp, dict]) -> pd.DataFrame:
    """Numeric and on/off signals each rebalance recorded (regime timeline)."""
    rows = {}
    for date, diag in diagnostics.items():
        values = {
            k: float(v)
            for k, v in diag.get("signals", {}).items()
            if isinstance(v, bool | int | float) and v is not None
        }
        if values:
            rows[pd.Timestamp(date)] = values
    frame = pd.DataFrame.from_dict(rows, orient="index").sort_index()
    frame.index.name = "date"
    return frame


def portfolio_tables(result: RunResult, context: MarketContext) -> dict[str, pd.DataFrame]:
    """Every table of the portfolio page, from the run's outputs and its market context."""
    weights = result.weights
    calendar = weights.index
    closes = context.prices.close
    asset_returns = closes[list(weights.columns)].pct_change(fill_method=None)
    tables: dict[str, pd.DataFrame] = {
        "groups": group_weights(weights, context.groups, context.suppliers)
    }
    if context.china is not None:
        disclosed = known_share_matrix(context.china.table, list(weights.columns), calendar)
        market = context.market_china_shares()  # market-implied shares (issue #10)
        tables["china"] = china_exposure(weights, disclosed, market)
    if context.fundamentals is not None:
        metrics = {
            d: AsOfView(context, d).fundamentals(list(weights.columns))
            for d in result.targets.index
        }
        tables["fundamentals"] = fundamentals_profile(result.targets, metrics)
    values = (1 + result.returns).cumprod() * float(result.config.initial_cash)
    values = pd.concat(
        [pd.Series([float(result.config.initial_cash)], index=[calendar[0]]), values]
    )
    tables["turnover"] = turnover_by_day(result.trades, values)
    names, groups = contributions(weights, asset_returns, context.groups)
    tables["contribution"], tables["contribution_groups"] = names, groups
    factors = [f for f in FACTORS if f in closes.columns]
    factor_returns = closes[factors].reindex(calendar).pct_change(fill_method=None)
    tables["betas"] = rolling_betas(result.returns, factor_returns)
    regimes = context.extras.get("regimes")
    events = [(e.name, e.date) for e in regimes.events] if regimes is not None else []
    bench = result.benchmark_returns.rename(result.config.benchmark.upper())
    days = stress_days(events, bench, closes.index)
    full_bench = closes[bench.name].pct_change(fill_method=None) if bench.name in closes else bench
    tables["stress"] = stress_replays(
        days, weights, asset_returns, result.returns, full_bench.rename(bench.name)
    )
    tables["signals"] = signal_table(result.diagnostics)
    return tables
