"""Market-implied China exposure: how much a stock moves with Chinese equities.

For each stock, a rolling least-squares regression of its daily returns on China
equities (KWEB; FXI, then MCHI, on days KWEB has no price), the US market (SPY) and
semiconductors (SOXX), with an intercept, over ``window`` trading days. The China
coefficient is the stock's sensitivity to China *beyond* what the US market and the
chip cycle explain. Row D uses returns up to and including D only, so the table can
be read through the as-of view like any other point-in-time data.

:func:`beta_to_share` maps that beta to an implied revenue share, so that it can stand
in for an undisclosed China revenue share (``china_measure: market | blend``).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from .. import paths
from .china import load_disclosed
from .context import LazyTable, MarketContext

CHINA_PROXIES = ("KWEB", "FXI", "MCHI")
CONTROLS = ("SPY", "SOXX")
#: Price series a strategy using China exposure should load (``Strategy.extra_series``).
FACTOR_SERIES = (*CHINA_PROXIES, *CONTROLS)
#: China beta read as "all revenue from China" (see :func:`beta_to_share`).
FULL_BETA = 1.0


def china_factor(closes: pd.DataFrame) -> pd.Series:
    """Daily returns of China equities: KWEB, else FXI, else MCHI on each day."""
    factor = pd.Series(np.nan, index=closes.index, dtype=float)
    for proxy in CHINA_PROXIES:
        if proxy in closes:
            factor = factor.fillna(closes[proxy].pct_change(fill_method=None))
    return factor


def china_betas(
    closes: pd.DataFrame, tickers: list[str], window: int = 252, min_obs: int = 126
) -> pd.DataFrame:
    """Rolling China beta (date x ticker), controlling for SPY and SOXX.

    OLS of each stock's daily return on [1, China, SPY, SOXX] over the last ``window``
    days up to and including D, on days where all four returns exist; NaN with fewer
    than ``min_obs`` such days. Computed from rolling sums of cross products, so each
    row depends only on earlier rows.
    """
    missing = [t for t in CONTROLS if t not in closes]
    if missing or not any(p in closes for p in CHINA_PROXIES):
        raise KeyError(f"china betas need {', '.join(FACTOR_SERIES[:1] + CONTROLS)} prices")
    factors = pd.DataFrame(
        {
            "one": 1.0,
            "china": china_factor(closes),
            "spy": closes["SPY"].pct_change(fill_method=None),
            "soxx": closes["SOXX"].pct_change(fill_method=None),
        }
    )
    x = factors.to_numpy()
    k = x.shape[1]
    factors_ok = ~np.isnan(x).any(axis=1)
    out = {}
    for ticker in tickers:
        y = closes[ticker].pct_change(fill_method=None).to_numpy() if ticker in closes else None
        if y is None:
            out[ticker] = np.full(len(closes), np.nan)
            continue
        ok = factors_ok & ~np.isnan(y)
        xm = np.where(ok[:, None], x, 0.0)
        ym = np.where(ok, y, 0.0)
        products = np.concatenate(
            [
                (xm[:, :, None] * xm[:, None, :]).reshape(len(xm), k * k),
                xm * ym[:, None],
                ok[:, None].astype(float),
            ],
            axis=1,
        )
        sums = pd.DataFrame(products).rolling(window, min_periods=1).sum().to_numpy()
        xtx = sums[:, : k * k].reshape(-1, k, k)
        xty = sums[:, k * k : k * k + k]
        n = sums[:, -1]
        beta = np.full(len(closes), np.nan)
        enough = n >= min_obs
        if enough.any():
            det = np.linalg.det(xtx[enough])
            solvable = np.abs(det) > 1e-18
            idx = np.where(enough)[0][solvable]
            beta[idx] = np.linalg.solve(xtx[idx], xty[idx][:, :, None])[:, 1, 0]
        out[ticker] = beta
    return pd.DataFrame(out, index=closes.index, columns=list(tickers))


def beta_to_share(beta: pd.DataFrame | pd.Series | float, full_beta: float = FULL_BETA):
    """Implied China revenue share from a China beta: ``clip(beta / full_beta, 0, 1)``.

    The rule: a stock that moves one-for-one with China equities beyond the US market
    and chips (beta = ``full_beta`` = 1, as a China ADR basket does) is read as all-China;
    no or negative sensitivity is read as none; linear in between. It is a ranking
    device, not an estimate of reported revenue: disclosed shares run 13-26% where the
    betas of the same names are mostly near zero (see the README's China section).
    NaN stays NaN.
    """
    if isinstance(beta, pd.DataFrame | pd.Series):
        return (beta / full_beta).clip(lower=0.0, upper=1.0)
    return float(np.clip(beta / full_beta, 0.0, 1.0)) if np.isfinite(beta) else float("nan")


def market_shares(closes: pd.DataFrame, tickers: list[str]) -> pd.DataFrame:
    """Market-implied China shares (date x ticker) of ``tickers``."""
    return beta_to_share(china_betas(closes, tickers))


def attach_china(context: MarketContext, root: Path) -> None:
    """Put disclosed and market-implied China exposure into ``context`` (once).

    Disclosed: ``data/china_exposure.csv`` plus any filing extracts cached by
    ``airegime data fetch --china`` (the curated table wins). Market-implied: from the
    context's own prices; None, with a note, when the factor series are not loaded.
    """
    notes = context.extras.setdefault("notes", [])
    if context.china is None:
        context.china = load_disclosed(paths.data_dir(root), paths.cache_dir(root))
    if context.china_market is not None:
        return
    close = context.prices.close
    absent = [t for t in CONTROLS if t not in close] + (
        [] if any(p in close for p in CHINA_PROXIES) else ["KWEB (or FXI, MCHI)"]
    )
    if absent:
        notes.append(
            f"market-implied China exposure unavailable: no prices for {', '.join(absent)}"
        )
        return
    # computed when a rule or page first reads it: seconds at hundreds of names
    context.china_market = LazyTable(partial(market_shares, close, list(context.universe)))
