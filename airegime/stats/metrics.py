"""Performance metrics of a run: quantstats' definitions plus turnover and exposure."""

from __future__ import annotations

import math

import pandas as pd

from ..quiet import silenced

TRADING_DAYS = 252
PERFORMANCE_KEYS = ("total_return", "cagr", "sharpe", "sortino", "max_drawdown", "volatility")
#: Every key of metrics.json that is not the benchmark's (rankable by sweeps).
METRIC_NAMES = (*PERFORMANCE_KEYS, "turnover", "exposure", "commission_paid", "trades")
#: Metrics that are fractions shown as percentages (0.408 is printed 40.8%).
PERCENT_METRICS = frozenset({"total_return", "cagr", "max_drawdown", "volatility", "exposure"})


def performance(returns: pd.Series) -> dict[str, float]:
    """CAGR, Sharpe, Sortino, max drawdown, volatility and total return (rf = 0, daily)."""
    import quantstats as qs

    if returns.empty:
        return dict.fromkeys(PERFORMANCE_KEYS, float("nan"))
    with silenced():
        stats = {
            "total_return": float((1 + returns).prod() - 1),
            "cagr": float(qs.stats.cagr(returns, periods=TRADING_DAYS)),
            "sharpe": float(qs.stats.sharpe(returns, periods=TRADING_DAYS)),
            "sortino": float(qs.stats.sortino(returns, periods=TRADING_DAYS)),
            "max_drawdown": float(qs.stats.to_drawdown_series(returns).min()),
            "volatility": float(qs.stats.volatility(returns, periods=TRADING_DAYS)),
        }
    return {k: (v if math.isfinite(v) else float("nan")) for k, v in stats.items()}


def turnover(trades: pd.DataFrame, values: pd.Series) -> float:
    """Annual one-way turnover: traded value / 2 / average portfolio value, per year."""
    if trades.empty or values.empty:
        return 0.0
    years = max(len(values) / TRADING_DAYS, 1e-9)
    return float(trades["value"].abs().sum() / 2 / values.mean() / years)


def exposure(weights: pd.DataFrame) -> float:
    """Average share of portfolio value invested in stocks (1 - cash share)."""
    return float(weights.sum(axis=1).mean()) if not weights.empty else 0.0


def run_metrics(
    returns: pd.Series,
    benchmark: pd.Series,
    trades: pd.DataFrame,
    values: pd.Series,
    weights: pd.DataFrame,
) -> dict[str, float]:
    """Everything written to ``metrics.json``: strategy stats, benchmark stats, costs."""
    result = performance(returns)
    result["turnover"] = turnover(trades, values)
    result["exposure"] = exposure(weights)
    result["commission_paid"] = float(trades["commission"].sum()) if not trades.empty else 0.0
    result["trades"] = len(trades)
    result.update({f"benchmark_{k}": v for k, v in performance(benchmark).items()})
    return result
