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


def _floats(values) -> pd.Series:
    """``values`` as a float Series (no copy when it already is one)."""
    if isinstance(values, pd.Series) and values.dtype == np.float64:
        return values
    return pd.Series(values, dtype=float)


def _zscore_array(arr: np.ndarray) -> np.ndarray:
    finite = arr[~np.isnan(arr)]
    std = finite.std() if finite.size else np.nan
    if not np.isfinite(std) or std == 0:
        return arr * 0.0
    return (arr - finite.mean()) / std


def zscore(values: pd.Series) -> pd.Series:
    """Cross-sectional z-score; NaN stays NaN; a constant series scores zero."""
    values = _floats(values)
    return pd.Series(_zscore_array(values.to_numpy()), index=values.index, name=None)


def combine(scores: dict[str, pd.Series], weights: dict[str, float]) -> pd.Series:
    """Weighted mean of z-scored components, ignoring components a name has no value for."""
    index = next(iter(scores.values())).index if scores else pd.Index([])
    active = {k: w for k, w in weights.items() if w}
    if not active:
        return pd.Series(0.0, index=index)
    rows = []
    for k in active:
        component = scores[k]
        if not component.index.equals(index):
            component = component.reindex(index)
        rows.append(_zscore_array(component.to_numpy(dtype=float)))
    values = np.vstack(rows)
    w = np.array(list(active.values()))[:, None]
    present = ~np.isnan(values)
    norm = (present * np.abs(w)).sum(axis=0)
    total = (np.where(present, values, 0.0) * w).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.Series(np.where(norm > 0, total / norm, np.nan), index=index)


def normalise(weights: pd.Series) -> pd.Series:
    """Non-negative weights scaled to sum to one (empty if nothing is positive)."""
    w = _floats(weights)
    arr = w.to_numpy()
    keep = arr > 0  # NaN and negative weights count as zero
    kept = arr[keep]
    if not kept.size:
        return w.iloc[:0]
    return pd.Series(kept / kept.sum(), index=w.index[keep], name=w.name)


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
    scores = _floats(scores)
    arr, index = scores.to_numpy(), scores.index
    if eligible is not None:
        if eligible.index.equals(index):
            ok = eligible.to_numpy(dtype=bool)
        else:
            ok = eligible.reindex(index, fill_value=False).to_numpy(dtype=bool)
        arr, index = arr[ok], index[ok]
    if missing == "neutral":
        arr = np.where(np.isnan(arr), 0.0, arr)
    else:
        index, arr = index[~np.isnan(arr)], arr[~np.isnan(arr)]
    if not arr.size:
        return pd.Series(dtype=float)
    if method == "equal":
        return normalise(pd.Series(1.0, index=index))
    if method == "top_n":
        ranked = np.argsort(-arr, kind="stable")  # descending, ties in their order
        return normalise(pd.Series(1.0, index=index[ranked[:top_n]]))
    return normalise(pd.Series(1.0 + strength * arr, index=index))


def china_multiplier(
    share: pd.Series,
    power: float = 1.0,
    max_share: float = 1.0,
    unknown: Literal["zero", "median", "exclude"] = "median",
) -> pd.Series:
    """(1 - China share) ** power, zero above ``max_share``; unknown shares per policy."""
    share = _floats(share)
    arr = share.to_numpy()
    unknown_at = np.isnan(arr)
    if unknown == "zero":
        filled = np.where(unknown_at, 0.0, arr)
    elif unknown == "median":
        known = arr[~unknown_at]
        filled = np.where(unknown_at, float(np.median(known)) if known.size else 0.0, arr)
    else:
        filled = arr
    multiplier = (1.0 - np.clip(filled, 0.0, 1.0)) ** power
    with np.errstate(invalid="ignore"):
        multiplier[filled > max_share] = 0.0
    return pd.Series(np.where(np.isnan(multiplier), 0.0, multiplier), index=share.index)
