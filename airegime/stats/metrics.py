"""Performance metrics of a run, computed with pandas and numpy (quantstats is not imported).

Definitions, with a risk-free rate of 0 and ``r`` the series of per-period returns:

- **total return**: ``prod(1 + r) - 1``.
- **CAGR**: ``(1 + total return) ** (1 / years) - 1`` where ``years`` is the *calendar*
  time the returns span: from the base (the valuation date the first return is measured
  from) to the last date, in days / 365.25. quantstats counts ``len(r) / periods`` years
  instead, which is right only when every year has exactly that many rows.
- **volatility**: ``std(r, ddof=1) * sqrt(periods_per_year)``.
- **Sharpe**: ``mean(r) / std(r, ddof=1) * sqrt(periods_per_year)`` (quantstats' sharpe).
- **Sortino**: ``mean(r) / sqrt(sum(r[r < 0] ** 2) / len(r)) * sqrt(periods_per_year)``
  (quantstats' sortino).
- **max drawdown**: the lowest ``equity / running peak - 1``, the starting value counting
  as the first peak (a loss on the first day is a drawdown).

**Periods per year** come from the data's calendar (:func:`infer_periods_per_year`): 252
for exchange days, 365 for markets that trade every day (crypto); ``data.periods_per_year``
in a config overrides it.

**Too few returns to annualise**: below :func:`min_returns` (a quarter of a year of
returns: 63 at 252 a year, 91 at 365) the annualised figures (CAGR, Sharpe, Sortino,
volatility, turnover per year) are NaN, shown blank. Over a quarter the CAGR raises the
total return to a power above 4 (a 5% month reads as 80% a year), and the standard error
of an annualised Sharpe ratio, about ``sqrt(periods_per_year / n)``, is 2 or more: larger
than any Sharpe ratio a strategy plausibly has, so the figure says nothing.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

TRADING_DAYS = 252
CALENDAR_DAYS = 365
DAYS_PER_YEAR = 365.25
#: Rows per calendar week from which a calendar counts as a 7-day market (5 for exchanges).
SEVEN_DAY_ROWS_PER_WEEK = 6.0
#: The shortest span annualised, as a share of a year of returns.
MIN_YEAR_SHARE = 0.25

PERFORMANCE_KEYS = ("total_return", "cagr", "sharpe", "sortino", "max_drawdown", "volatility")
#: The performance figures left blank when there are too few returns to annualise.
ANNUALISED_KEYS = ("cagr", "sharpe", "sortino", "volatility")
#: Every key of metrics.json that is not the benchmark's (rankable by sweeps).
METRIC_NAMES = (
    *PERFORMANCE_KEYS,
    "turnover",
    "turnover_incl_initial",
    "exposure",
    "commission_paid",
    "trades",
)
#: How metrics.json's two turnover figures are defined (written beside them).
TURNOVER_BASIS = (
    "one-way, per year: traded value / 2 / average portfolio value; turnover leaves out "
    "the initial purchase (the buys of the first day with trades), turnover_incl_initial "
    "counts it"
)
#: Metrics that are fractions shown as percentages (0.408 is printed 40.8%).
PERCENT_METRICS = frozenset({"total_return", "cagr", "max_drawdown", "volatility", "exposure"})


def infer_periods_per_year(index: pd.DatetimeIndex) -> int:
    """252 for a calendar of exchange days, 365 for one with a row (almost) every day.

    A 7-day market has rows on weekends and 6 or more rows per calendar week between
    its first and last date (an exchange has about 5; one that trades Sunday to
    Thursday has weekend rows but still 5 a week). Anything else, including fewer
    than two dates, gives 252.
    """
    if len(index) < 2:
        return TRADING_DAYS
    days = (index[-1] - index[0]).days
    if days <= 0 or not (index.dayofweek >= 5).any():
        return TRADING_DAYS
    per_week = (len(index) - 1) / days * 7
    return CALENDAR_DAYS if per_week >= SEVEN_DAY_ROWS_PER_WEEK else TRADING_DAYS


def min_returns(periods_per_year: int) -> int:
    """The fewest returns annualised: a quarter of a year of them (63 at 252, 91 at 365)."""
    return max(2, round(periods_per_year * MIN_YEAR_SHARE))


def default_base(first: pd.Timestamp, periods_per_year: int) -> pd.Timestamp:
    """The valuation date before ``first`` when nothing better is known: the previous
    weekday on an exchange calendar (a holiday in between is missed), the previous day
    on a 7-day one."""
    if periods_per_year == CALENDAR_DAYS:
        return first - pd.Timedelta(days=1)
    return first - pd.offsets.BDay(1)


def base_before(index: pd.DatetimeIndex, first: pd.Timestamp) -> pd.Timestamp | None:
    """The date of ``index`` just before ``first`` (the base of returns starting there);
    None when there is none (or ``index`` holds no dates)."""
    if not isinstance(index, pd.DatetimeIndex):
        return None
    earlier = index[index < first]
    return earlier[-1] if len(earlier) else None


def elapsed_years(
    index: pd.DatetimeIndex, base: pd.Timestamp | None, periods_per_year: int
) -> float:
    """Calendar years from ``base`` (or :func:`default_base`) to the last date."""
    start = base if base is not None else default_base(index[0], periods_per_year)
    return max((index[-1] - pd.Timestamp(start)).days, 1) / DAYS_PER_YEAR


def annualisable(count: int, periods_per_year: int) -> bool:
    """Whether ``count`` returns are enough to annualise (see :func:`min_returns`)."""
    return count >= min_returns(periods_per_year)


def max_drawdown(returns: pd.Series) -> float:
    """The deepest fall from a running peak, the starting value 1 being the first peak."""
    equity = (1 + returns.to_numpy(dtype=float)).cumprod()
    peak = np.maximum.accumulate(np.concatenate([[1.0], equity]))[1:]
    return float(min((equity / peak - 1).min(), 0.0)) if len(equity) else float("nan")


def cagr(total_return: float, years: float) -> float:
    """Compound annual growth of ``total_return`` earned over ``years`` calendar years."""
    if total_return <= -1:
        return -1.0
    return float((1 + total_return) ** (1 / years) - 1)


def performance(
    returns: pd.Series,
    periods_per_year: int | None = None,
    base: pd.Timestamp | None = None,
) -> dict[str, float]:
    """CAGR, Sharpe, Sortino, max drawdown, volatility and total return (rf = 0).

    NaN returns (dates a benchmark has no price) are left out, so a series is measured
    on the dates it has. ``periods_per_year`` defaults to the calendar's
    (:func:`infer_periods_per_year`); ``base`` is the valuation date the first return is
    measured from (default: :func:`default_base`). Below :func:`min_returns` returns the
    annualised figures are NaN.
    """
    r = returns.dropna().astype(float)
    out = dict.fromkeys(PERFORMANCE_KEYS, float("nan"))
    if r.empty:
        return out
    ppy = periods_per_year or infer_periods_per_year(r.index)
    total = float((1 + r).prod() - 1)
    out["total_return"] = total
    out["max_drawdown"] = max_drawdown(r)
    if not annualisable(len(r), ppy):
        return out
    out["cagr"] = cagr(total, elapsed_years(r.index, base, ppy))
    std = float(r.std(ddof=1))
    mean = float(r.mean())
    out["volatility"] = std * math.sqrt(ppy)
    out["sharpe"] = mean / std * math.sqrt(ppy) if std > 0 else float("nan")
    downside = math.sqrt(float((r[r < 0] ** 2).sum()) / len(r))
    out["sortino"] = mean / downside * math.sqrt(ppy) if downside > 0 else float("nan")
    return {k: (v if math.isfinite(v) else float("nan")) for k, v in out.items()}


def benchmark_returns(
    close: pd.Series, calendar: pd.DatetimeIndex
) -> tuple[pd.Series, pd.Timestamp | None]:
    """A benchmark's returns on the run's ``calendar`` and the date they are measured from.

    Dates before the benchmark's first price and after its last are NaN (never 0%: the
    benchmark is measured on the dates it has); a missing day inside its span carries
    the last price forward (0% that day, the move on the next). The base is the first
    calendar date with a price, at or before the window's start when the benchmark has one.
    """
    own = close.dropna()
    if own.empty or calendar.empty:
        return pd.Series(np.nan, index=calendar[1:], dtype=float), None
    prices = own.reindex(own.index.union(calendar)).ffill().reindex(calendar)
    prices[prices.index > own.index[-1]] = np.nan
    returns = prices.pct_change(fill_method=None).iloc[1:]
    return returns, prices.first_valid_index()


def initial_purchase(trades: pd.DataFrame) -> float:
    """Value bought on the first day with trades: the book built from cash."""
    if trades.empty:
        return 0.0
    first = trades[trades["date"] == trades["date"].min()]
    return float(first.loc[first["shares"] > 0, "value"].abs().sum())


def turnover(
    trades: pd.DataFrame,
    values: pd.Series,
    periods_per_year: int | None = None,
    include_initial: bool = False,
) -> float:
    """Annual one-way turnover: traded value / 2 / average portfolio value, per calendar
    year; the initial purchase (:func:`initial_purchase`) is left out unless
    ``include_initial``. NaN when the run is too short to annualise."""
    if values.empty:
        return float("nan")
    ppy = periods_per_year or infer_periods_per_year(values.index)
    if not annualisable(len(values) - 1, ppy):
        return float("nan")
    if trades.empty:
        return 0.0
    traded = float(trades["value"].abs().sum())
    if not include_initial:
        traded -= initial_purchase(trades)
    years = elapsed_years(values.index[1:], values.index[0], ppy)
    return float(traded / 2 / values.mean() / years)


def exposure(weights: pd.DataFrame) -> float:
    """Average share of portfolio value invested in stocks (1 - cash share)."""
    return float(weights.sum(axis=1).mean()) if not weights.empty else 0.0


def run_metrics(
    returns: pd.Series,
    benchmark: pd.Series,
    trades: pd.DataFrame,
    values: pd.Series,
    weights: pd.DataFrame,
    periods_per_year: int | None = None,
    benchmark_base: pd.Timestamp | None = None,
) -> dict[str, float | int | str]:
    """Everything written to ``metrics.json``: strategy stats, benchmark stats, costs.

    ``returns`` are measured from ``values.index[0]``; ``benchmark`` has NaN on the dates
    the benchmark has no price and is measured on the others, from ``benchmark_base``.
    """
    ppy = periods_per_year or infer_periods_per_year(values.index)
    base = values.index[0] if len(values) else None
    result: dict[str, float | int | str] = dict(performance(returns, ppy, base))
    result["turnover"] = turnover(trades, values, ppy)
    result["turnover_incl_initial"] = turnover(trades, values, ppy, include_initial=True)
    result["turnover_basis"] = TURNOVER_BASIS
    result["exposure"] = exposure(weights)
    result["commission_paid"] = float(trades["commission"].sum()) if not trades.empty else 0.0
    result["trades"] = len(trades)
    result["periods_per_year"] = ppy
    result["returns"] = int(returns.notna().sum())
    own = benchmark.dropna()
    bench = performance(own, ppy, benchmark_base if benchmark_base is not None else base)
    result.update({f"benchmark_{k}": v for k, v in bench.items()})
    result["benchmark_returns"] = len(own)
    return result
