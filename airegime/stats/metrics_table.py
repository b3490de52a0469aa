"""quantstats' table of metrics, with every figure right or blank ("-").

The tear sheet's "Key Performance Metrics" and the comparison's "All metrics" table are
quantstats' ``reports.metrics``; on its own it gets several figures wrong, and this
module builds the same table without those faults:

- **Each column on its own dates.** quantstats puts the strategy and the benchmark on
  one index, fills the benchmark's missing days with 0% and, with ``match_dates``, cuts
  both to start on the later of their first non-zero days (the quickstart's SPY made
  340.06% on the page against 340.80% in metrics.json). Here every column is computed
  by quantstats on its own series, NaN dates left out.
- **The run's annualisation.** CAGR over calendar time and the periods per year of the
  data's calendar (:mod:`airegime.stats.metrics`); the headline rows (cumulative return,
  CAGR, Sharpe, Sortino, volatility, max drawdown, Calmar, trailing and all-time
  annualised returns) are :func:`~airegime.stats.metrics.performance`'s, so a page agrees
  with metrics.json and the terminal summary. With too few returns to annualise, every
  annualised row is blank.
- **Relative statistics for the strategy only.** quantstats broadcast the strategy's
  R² and information ratio into the benchmark's column; here they, beta, alpha,
  correlation and the Treynor ratio are the strategy's against the benchmark on their
  common dates, blank in the benchmark's column, and blank where undefined (a strategy
  or benchmark that never moves: quantstats raised "Cannot calculate a linear
  regression if all x values are identical" and reported beta 0).
- **Treynor ratio** is the annual return (CAGR) per unit of beta; quantstats divided the
  *cumulative* return by beta (1676.91% on the quickstart). The **information ratio**
  is annualised like the Sharpe ratio beside it; quantstats' was per day.
- **Trailing periods** (MTD, 3M, 6M, YTD, 1Y, 3Y, 5Y, 10Y) are blank unless the series
  covers the whole period; quantstats showed the whole run's return as "10Y" on a
  one-year run.
- **Drawdowns still open** at the last date say "not recovered" instead of giving the
  last date as their recovery.
- **Risk of ruin** is a percentage (quantstats printed the probability 1.0 as "1.0%"),
  blank for a series that never moves.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

import numpy as np
import pandas as pd

from ..quiet import silenced
from .metrics import annualisable, cagr, elapsed_years, performance

BLANK = "-"
NOT_RECOVERED = "not recovered"
#: quantstats' row labels, as its table names them.
CAGR_ROW = "CAGR\ufe6a"
ANNUALISED_ROWS = (
    CAGR_ROW,
    "Sharpe",
    "Smart Sharpe",
    "Sortino",
    "Smart Sortino",
    "Sortino/√2",
    "Smart Sortino/√2",
    "Volatility (ann.)",
    "Calmar",
    "Risk-Adjusted Return",
    "3Y (ann.)",
    "5Y (ann.)",
    "10Y (ann.)",
    "All-time (ann.)",
    "Information Ratio",
    "Alpha",
    "Treynor Ratio",
)
#: Trailing periods: (row, months back from the last date or "month"/"year" to date).
TRAILING = (
    ("MTD", "month", False),
    ("3M", 3, False),
    ("6M", 6, False),
    ("YTD", "year", False),
    ("1Y", 12, False),
    ("3Y (ann.)", 36, True),
    ("5Y (ann.)", 60, True),
    ("10Y (ann.)", 120, True),
)
RELATIVE_ROWS = ("R^2", "Information Ratio", "Beta", "Alpha", "Correlation", "Treynor Ratio")


def pct(value: float, thousands: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return BLANK
    return f"{value * 100:,.2f}%" if thousands else f"{value * 100:.2f}%"


def ratio(value: float) -> str:
    if value is None or not math.isfinite(value):
        return BLANK
    return f"{value:.2f}"


def open_drawdown_marked(details: pd.DataFrame, drawdown: pd.Series) -> pd.DataFrame:
    """quantstats' drawdown details with the end of a drawdown still open at the last
    date replaced by "not recovered" (quantstats gave the last date as its recovery)."""
    if details.empty or drawdown.empty or not drawdown.iloc[-1] < 0:
        return details
    out = details.copy()
    out["end"] = out["end"].astype(object)
    last = out["start"].astype(str).max()
    out.loc[out["start"].astype(str) == last, "end"] = NOT_RECOVERED
    return out


@contextlib.contextmanager
def drawdowns_marked() -> Iterator[None]:
    """quantstats' ``drawdown_details`` marks an open drawdown while the block runs."""
    from unittest import mock

    import quantstats as qs

    original = qs.stats.drawdown_details

    def details(drawdown):
        if isinstance(drawdown, pd.DataFrame):
            parts = {c: details(drawdown[c]) for c in drawdown.columns}
            return pd.concat(parts, axis=1)
        return open_drawdown_marked(original(drawdown), drawdown)

    with mock.patch.object(qs.stats, "drawdown_details", details):
        yield


def covers(series: pd.Series, base: pd.Timestamp | None, start: pd.Timestamp) -> bool:
    """Whether a series measured from ``base`` has a value at or before ``start``'s eve:
    its returns then include every day from ``start`` on."""
    first = base if base is not None else series.index[0]
    return pd.Timestamp(first) < start


def trailing_start(last: pd.Timestamp, period: str | int) -> pd.Timestamp:
    if period == "month":
        return last.replace(day=1)
    if period == "year":
        return last.replace(month=1, day=1)
    return last - pd.DateOffset(months=int(period))


def trailing_figure(
    series: pd.Series, base: pd.Timestamp | None, period: str | int, annual: bool, ppy: int
) -> float:
    """The series' return since ``period`` before its last date (compounded), annualised
    over calendar time for ``annual``; NaN unless the series covers the whole period."""
    last = series.index[-1]
    start = trailing_start(last, period)
    if not covers(series, base, start):
        return float("nan")
    inside = series[series.index >= start]
    total = float((1 + inside).prod() - 1)
    if not annual:
        return total
    if not annualisable(len(inside), ppy):
        return float("nan")
    earlier = series.index[series.index < start]
    since = earlier[-1] if len(earlier) else base
    return cagr(total, elapsed_years(inside.index, since, ppy))


def relative(strategy: pd.Series, benchmark: pd.Series, ppy: int, strategy_cagr: float) -> dict:
    """R², information ratio (annualised), beta, alpha (annualised), correlation and
    Treynor ratio (CAGR / beta) on the dates both have; NaN where undefined."""
    both = pd.concat([strategy, benchmark], axis=1, join="inner").dropna()
    out = dict.fromkeys(RELATIVE_ROWS, float("nan"))
    if len(both) < 3:
        return out
    r, b = both.iloc[:, 0].to_numpy(float), both.iloc[:, 1].to_numpy(float)
    sr, sb = r.std(ddof=1), b.std(ddof=1)
    if sr > 0 and sb > 0:
        corr = float(np.corrcoef(r, b)[0, 1])
        out["Correlation"], out["R^2"] = corr, corr**2
    if sb > 0:
        beta = float(np.cov(r, b)[0, 1] / b.var(ddof=1))
        out["Beta"] = beta
        if annualisable(len(both), ppy):
            out["Alpha"] = float((r.mean() - beta * b.mean()) * ppy)
            if beta != 0 and math.isfinite(strategy_cagr):
                out["Treynor Ratio"] = strategy_cagr / beta
    active = r - b
    if active.std(ddof=1) > 0 and annualisable(len(both), ppy):
        out["Information Ratio"] = float(active.mean() / active.std(ddof=1) * math.sqrt(ppy))
    return out


def quantstats_column(series: pd.Series, ppy: int, mode: str) -> pd.Series:
    """quantstats' display strings for one series on its own (no benchmark)."""
    import quantstats as qs

    with silenced(), drawdowns_marked():
        table = qs.reports.metrics(
            series,
            benchmark=None,
            display=False,
            mode=mode,
            internal=True,
            periods_per_year=ppy,
            prepare_returns=False,
            match_dates=False,
        )
    out = table.iloc[:, 0].astype(str)
    # separator rows are all named "": number them so that columns align by label
    count = iter(range(len(out)))
    out.index = [label or f"~{next(count)}" for label in out.index]
    return out


def column(series: pd.Series, base: pd.Timestamp | None, ppy: int, mode: str) -> pd.Series:
    """One column of the table: quantstats' figures with ours where they differ."""
    series = series.dropna().astype(float)
    if series.empty:
        return pd.Series(dtype=object)
    out = quantstats_column(series, ppy, mode).copy()
    perf = performance(series, ppy, base)
    moves = bool((series != 0).any())

    def put(row: str, text: str) -> None:
        if row in out.index:
            out[row] = text

    put("Cumulative Return", pct(perf["total_return"], thousands=True))
    put(CAGR_ROW, pct(perf["cagr"]))
    put("All-time (ann.)", pct(perf["cagr"]))
    put("Sharpe", ratio(perf["sharpe"]))
    put("Sortino", ratio(perf["sortino"]))
    put("Sortino/√2", ratio(perf["sortino"] / math.sqrt(2)))
    put("Volatility (ann.)", pct(perf["volatility"]))
    put("Max Drawdown", pct(perf["max_drawdown"]))
    if perf["max_drawdown"] == 0:
        for row in ("Max DD Date", "Max DD Period Start", "Max DD Period End"):
            put(row, BLANK)
    calmar = perf["cagr"] / -perf["max_drawdown"] if perf["max_drawdown"] < 0 else math.nan
    put("Calmar", ratio(calmar))
    in_market = float((series != 0).mean())
    put("Risk-Adjusted Return", pct(perf["cagr"] / in_market if in_market else math.nan))
    for row, period, annual in TRAILING:
        value = trailing_figure(series, base, period, annual, ppy)
        put(row, pct(value))
    if "Risk of Ruin" in out.index:
        import quantstats as qs

        ruin = float(qs.stats.risk_of_ruin(series, prepare_returns=False)) if moves else math.nan
        put("Risk of Ruin", pct(ruin))
    if not annualisable(len(series), ppy):
        for row in ANNUALISED_ROWS:
            put(row, BLANK)
    return out


def metrics_table(
    strategies: dict[str, pd.Series],
    benchmark: tuple[str, pd.Series] | None,
    periods_per_year: int,
    bases: dict[str, pd.Timestamp | None] | None = None,
    mode: str = "full",
) -> pd.DataFrame:
    """quantstats' metrics table (display strings, "-" where blank), one column per
    series computed on its own dates, the benchmark's column first.

    ``bases`` gives each series' base date (the valuation date its first return is
    measured from); ``benchmark`` is (name, returns), NaN where it has no price. In
    ``"full"`` mode the strategies' R², information ratio, beta, alpha, correlation and
    Treynor ratio against the benchmark are added, blank in the benchmark's column.
    """
    bases = bases or {}
    series = dict(strategies)
    if benchmark is not None:
        series = {benchmark[0]: benchmark[1], **series}
    columns = {
        name: column(s, bases.get(name), periods_per_year, mode) for name, s in series.items()
    }
    rows = next((list(c.index) for c in columns.values() if len(c)), [])
    for values in columns.values():
        rows += [r for r in values.index if r not in rows]
    table = pd.DataFrame({n: c.reindex(rows) for n, c in columns.items()}, index=rows)
    if benchmark is not None and mode == "full":
        table = with_relative_rows(table, strategies, benchmark, periods_per_year, bases)
    table = table.fillna(BLANK).replace({"": BLANK, "nan": BLANK, "%": BLANK})
    separators = [str(label).startswith("~") for label in table.index]
    table.loc[separators] = ""
    table.index = ["" if sep else label for sep, label in zip(separators, table.index, strict=True)]
    return table


def with_relative_rows(
    table: pd.DataFrame,
    strategies: dict[str, pd.Series],
    benchmark: tuple[str, pd.Series],
    ppy: int,
    bases: dict[str, pd.Timestamp | None],
) -> pd.DataFrame:
    """R² and the information ratio after the volatility row, then beta, alpha,
    correlation and Treynor ratio at the end (quantstats' places)."""
    name, bench = benchmark
    figures = {}
    for strategy, returns in strategies.items():
        own = returns.dropna()
        growth = performance(own, ppy, bases.get(strategy))["cagr"] if len(own) else math.nan
        figures[strategy] = relative(own, bench.dropna(), ppy, growth)
    formats = {
        "R^2": ratio,
        "Information Ratio": ratio,
        "Beta": ratio,
        "Alpha": ratio,
        "Correlation": pct,
        "Treynor Ratio": pct,
    }
    extra = pd.DataFrame(
        {
            column_name: [
                BLANK if column_name == name else formats[row](figures[column_name][row])
                for row in RELATIVE_ROWS
            ]
            for column_name in table.columns
        },
        index=list(RELATIVE_ROWS),
    )
    rows = list(table.index)
    at = rows.index("Volatility (ann.)") + 1 if "Volatility (ann.)" in rows else len(rows)
    separator = pd.DataFrame({c: [""] for c in table.columns}, index=["~relative"])
    return pd.concat([table.iloc[:at], extra.iloc[:2], table.iloc[at:], separator, extra.iloc[2:]])
