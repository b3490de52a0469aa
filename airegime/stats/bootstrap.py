"""Paired moving-block bootstrap of the difference between two daily return series.

Daily returns are autocorrelated and volatility clusters, so resampling single days
understates the noise; resampling blocks of ``block`` consecutive days keeps most of
that structure. Both series are resampled with the same blocks (paired), so what is
measured is the uncertainty of their difference. Seeded: the same inputs give the same
interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataError

TRADING_DAYS = 252

#: Differences this small are ties: floating-point noise, not a difference (a backtrader
#: and a vector run of one config can differ by ~1e-16 a day).
TIE = 1e-12


def block_indices(n: int, block: int, draws: int, rng: np.random.Generator) -> np.ndarray:
    """``draws`` x ``n`` row indices made of random blocks of ``block`` consecutive days."""
    starts = rng.integers(0, n - block + 1, size=(draws, -(-n // block)))
    idx = (starts[:, :, None] + np.arange(block)[None, None, :]).reshape(draws, -1)
    return idx[:, :n]


def _annual_return(r: np.ndarray, periods_per_year: int = TRADING_DAYS) -> np.ndarray:
    return r.mean(axis=-1) * periods_per_year


def _annual_sharpe(r: np.ndarray, periods_per_year: int = TRADING_DAYS) -> np.ndarray:
    std = r.std(axis=-1, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(std > 0, r.mean(axis=-1) / std * np.sqrt(periods_per_year), np.nan)


def _share(hits: np.ndarray, diffs: np.ndarray, identical: bool) -> float:
    """The share of resamples with a defined difference (a Sharpe of a series without
    variance is not) that are ``hits``; 1 for identical series, NaN when none is defined."""
    if identical:
        return 1.0
    defined = ~np.isnan(diffs)
    return float(hits[defined].mean()) if defined.any() else float("nan")


def bootstrap_difference(
    a: pd.Series,
    b: pd.Series,
    block: int = 20,
    draws: int = 2000,
    seed: int = 0,
    level: float = 0.95,
    periods_per_year: int = TRADING_DAYS,
) -> dict[str, float]:
    """Point estimate and confidence interval of (a - b) in annual return and Sharpe.

    Annual return is the arithmetic mean return x ``periods_per_year`` (252 for exchange
    days, 365 for a 7-day market); Sharpe is annualised the same way, with rf = 0.
    ``p_*_le_0`` is the share of resamples in which the difference is <= 0 and
    ``p_*_ge_0`` the share in which it is >= 0: a resample with no difference (within
    :data:`TIE`, floating-point noise) counts in both, so two identical series have both
    shares 1. ``identical`` is 1.0 when the two series are equal day by day (within
    :data:`TIE`), else 0.0.
    """
    both = pd.concat([a, b], axis=1).dropna().to_numpy(dtype=float)
    n = len(both)
    if n < 2 * block:
        raise DataError(
            f"the bootstrap needs at least {2 * block} common days, the runs share {n}; "
            "compare runs over a longer common window"
        )
    rng = np.random.default_rng(seed)
    idx = block_indices(n, block, draws, rng)
    ra, rb = both[:, 0][idx], both[:, 1][idx]
    lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
    identical = bool(np.all(np.abs(both[:, 0] - both[:, 1]) <= TIE))
    out: dict[str, float] = {"days": float(n), "block": float(block), "draws": float(draws)}
    out["identical"] = float(identical)
    for name, stat in (("annual_return", _annual_return), ("sharpe", _annual_sharpe)):
        point = float(stat(both[:, 0], periods_per_year) - stat(both[:, 1], periods_per_year))
        diffs = stat(ra, periods_per_year) - stat(rb, periods_per_year)
        if identical:  # no difference in any resample, whatever the noise of the arithmetic
            point, diffs = 0.0, np.zeros_like(diffs)
        diffs = np.where(np.abs(diffs) <= TIE, 0.0, diffs)
        out[f"{name}_diff"] = 0.0 if abs(point) <= TIE else point
        out[f"{name}_lo"] = float(np.nanquantile(diffs, lo))
        out[f"{name}_hi"] = float(np.nanquantile(diffs, hi))
        out[f"p_{name}_le_0"] = _share(diffs <= 0, diffs, identical)
        out[f"p_{name}_ge_0"] = _share(diffs >= 0, diffs, identical)
    return out
