"""Pure building blocks that turn scores into weights (no backtrader, no I/O).

Strategies compose these like small algos: score -> z-score -> eligibility ->
selection (top N, tilt or equal) -> China adjustment -> normalisation.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

Selection = Literal["top_n", "tilt", "equal"]
Missing = Literal["neutral", "exclude"]


def zscore(values: pd.Series) -> pd.Series:
    """Cross-sectional z-score; NaN stays NaN; a constant series scores zero."""
    values = pd.Series(values, dtype=float)
    arr = values.to_numpy()
    finite = arr[~np.isnan(arr)]
    std = finite.std() if finite.size else np.nan
    if not np.isfinite(std) or std == 0:
        return values * 0.0
    return pd.Series((arr - finite.mean()) / std, index=values.index)


def combine(scores: dict[str, pd.Series], weights: dict[str, float]) -> pd.Series:
    """Weighted mean of z-scored components, ignoring components a name has no value for."""
    index = next(iter(scores.values())).index if scores else pd.Index([])
    active = {k: w for k, w in weights.items() if w}
    if not active:
        return pd.Series(0.0, index=index)
    values = np.vstack([zscore(scores[k].reindex(index)).to_numpy() for k in active])
    w = np.array(list(active.values()))[:, None]
    present = ~np.isnan(values)
    norm = (present * np.abs(w)).sum(axis=0)
    total = (np.where(present, values, 0.0) * w).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.Series(np.where(norm > 0, total / norm, np.nan), index=index)


def normalise(weights: pd.Series) -> pd.Series:
    """Non-negative weights scaled to sum to one (empty if nothing is positive)."""
    w = pd.Series(weights, dtype=float).fillna(0.0).clip(lower=0.0)
    w = w[w > 0]
    return w / w.sum() if len(w) else w


def select(
    scores: pd.Series,
    eligible: pd.Series | None = None,
    method: Selection = "top_n",
    top_n: int = 5,
    strength: float = 1.0,
    missing: Missing = "neutral",
) -> pd.Series:
    """Weights from scores: equal weight over the top N, a linear tilt, or equal weight.

    ``missing="neutral"`` gives names without a score the average score (0 for
    z-scores); ``"exclude"`` drops them. Ineligible names never get weight.
    """
    scores = pd.Series(scores, dtype=float)
    if eligible is not None:
        scores = scores[eligible.reindex(scores.index, fill_value=False).astype(bool)]
    scores = scores.fillna(0.0) if missing == "neutral" else scores.dropna()
    if scores.empty:
        return pd.Series(dtype=float)
    if method == "equal":
        return normalise(pd.Series(1.0, index=scores.index))
    if method == "top_n":
        ranked = scores.sort_values(ascending=False, kind="stable")
        return normalise(pd.Series(1.0, index=ranked.index[:top_n]))
    return normalise(1.0 + strength * scores)


def china_multiplier(
    share: pd.Series,
    power: float = 1.0,
    max_share: float = 1.0,
    unknown: Literal["zero", "median", "exclude"] = "median",
) -> pd.Series:
    """(1 - China share) ** power, zero above ``max_share``; unknown shares per policy."""
    share = pd.Series(share, dtype=float)
    known = share.dropna()
    if unknown == "zero":
        filled = share.fillna(0.0)
    elif unknown == "median":
        filled = share.fillna(float(known.median()) if len(known) else 0.0)
    else:
        filled = share
    multiplier = (1.0 - filled.clip(0.0, 1.0)) ** power
    multiplier[filled > max_share] = 0.0
    return multiplier.fillna(0.0)
