"""Pure building blocks that turn scores into weights (no backtrader, no I/O).

Strategies compose these like small algos: score -> z-score -> eligibility ->
selection (top N, tilt or equal) -> China adjustment -> normalisation.

Missing data never raises a score: :func:`combine` counts a component a name lacks as
average (or drops the name) and leaves names with too few components unscored (NaN), and
:func:`select` never gives an unscored name weight. Ties at the top-N boundary share the
slots left, so no weight depends on the order of the names.
"""

from __future__ import annotations

from dataclasses import dataclass
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


def zscore_array(arr: np.ndarray) -> np.ndarray:
    """:func:`zscore` on a float array (n,): NaN stays NaN, a constant array scores 0."""
    finite = arr[~np.isnan(arr)]
    std = finite.std() if finite.size else np.nan
    if not np.isfinite(std) or std == 0:
        return arr * 0.0
    return (arr - finite.mean()) / std


def zscore(values: pd.Series) -> pd.Series:
    """Cross-sectional z-score; NaN stays NaN; a constant series scores zero."""
    values = _floats(values)
    return pd.Series(zscore_array(values.to_numpy()), index=values.index, name=None)


def active_components(weights: dict[str, float]) -> list[str]:
    """The components that count: those with a non-zero weight, in the given order."""
    return [k for k, w in weights.items() if w]


def component_rows(
    scores: dict[str, pd.Series], active: list[str], index: pd.Index
) -> list[np.ndarray]:
    """The raw values of the active components on ``index`` (NaN where a name has none)."""
    rows = []
    for k in active:
        component = scores[k]
        if not component.index.equals(index):
            component = component.reindex(index)
        rows.append(component.to_numpy(dtype=float))
    return rows


def _stacked(scores: dict[str, pd.Series], active: list[str], index: pd.Index) -> np.ndarray:
    """z-scores of the active components, one row per component (NaN where a name has none)."""
    return np.vstack([zscore_array(row) for row in component_rows(scores, active, index)])


def _index(scores: dict[str, pd.Series]) -> pd.Index:
    return next(iter(scores.values())).index if scores else pd.Index([])


def required_components(n_active: int, missing: Missing, min_components: int) -> int:
    """How many of ``n_active`` components a name needs to be scored: all of them with
    ``missing="exclude"``, else ``min_components`` capped at ``n_active``."""
    return n_active if missing == "exclude" else min(min_components, n_active)


@dataclass(frozen=True)
class Combined:
    """What :func:`combine_arrays` computed for ``n`` names over ``k`` active components.

    ``score``: float (n,), NaN = not scored; ``scored``: int (n,), the active components
    a name has a z-score on; ``lacking``: bool (k, n), True where the raw component value
    is missing (NaN); ``need``: components a name needs to be scored
    (:func:`required_components`).
    """

    score: np.ndarray
    scored: np.ndarray
    lacking: np.ndarray
    need: int


def combine_arrays(
    rows: list[np.ndarray],
    weights: list[float],
    missing: Missing = "neutral",
    min_components: int = 1,
    zscored: list[np.ndarray] | None = None,
) -> Combined:
    """:func:`combine` on arrays: ``rows`` are the raw values of the active components
    (each float (n,), NaN = no data, all of one length n), ``weights`` their non-zero
    weights (same order). With no rows there is nothing to size the result from: pass at
    least one row (``combine`` handles the case without active components).
    ``zscored``: the rows' :func:`zscore` values when the caller already has them."""
    raw = np.vstack(rows)
    values = np.vstack(zscored if zscored is not None else [zscore_array(r) for r in rows])
    w = np.asarray(weights, dtype=float)[:, None]
    present = ~np.isnan(values)
    total = (np.where(present, values, 0.0) * w).sum(axis=0)
    norm = np.abs(w).sum()
    scored = present.sum(axis=0)
    need = required_components(len(rows), missing, min_components)
    score = np.where(scored >= need, total / norm, np.nan)
    return Combined(score, scored, np.isnan(raw), need)


def components_scored(scores: dict[str, pd.Series], weights: dict[str, float]) -> pd.Series:
    """Per name, how many active components (non-zero weight) have a value (int Series)."""
    index = _index(scores)
    active = active_components(weights)
    if not active:
        return pd.Series(0, index=index, dtype=int)
    counts = (~np.isnan(_stacked(scores, active, index))).sum(axis=0)
    return pd.Series(counts, index=index, dtype=int)


def combine(
    scores: dict[str, pd.Series],
    weights: dict[str, float],
    missing: Missing = "neutral",
    min_components: int = 1,
) -> pd.Series:
    """Weighted mean of z-scored components; missing data never raises a name's score.

    ``scores`` maps component name -> raw values by name (one index shared by all, or
    reindexed to the first one's); ``weights`` maps component -> weight, and components
    with weight 0 are inactive. Each active component is z-scored across the names that
    have it. Then, per name:

    - ``missing="neutral"``: a component the name has no value for counts as the average
      (z = 0) with its full weight in the denominator, so a name known on part of the rule
      is shrunk toward the average instead of being ranked on the part it has;
    - ``missing="exclude"``: a name missing any active component is not scored (NaN).

    A name scored on fewer than ``min_components`` active components (capped at the number
    active) is not scored either (NaN). With no active component every name scores 0.
    """
    index = _index(scores)
    active = active_components(weights)
    if not active:
        return pd.Series(0.0, index=index)
    rows = component_rows(scores, active, index)
    combined = combine_arrays(rows, [weights[k] for k in active], missing, min_components)
    return pd.Series(combined.score, index=index)


def kept(positions: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`normalise` on arrays: of ``positions`` (int (n,)) with raw ``weights``
    (float (n,)), those with a positive weight and their weights scaled to sum to one
    (both empty if nothing is positive)."""
    keep = weights > 0  # NaN and negative weights count as zero
    kept_weights = weights[keep]
    if not kept_weights.size:
        return positions[keep], kept_weights
    return positions[keep], kept_weights / kept_weights.sum()


def combine_values(
    values: dict[str, np.ndarray],
    weights: dict[str, float],
    missing: Missing = "neutral",
    min_components: int = 1,
) -> np.ndarray:
    """:func:`combine` of components given as float arrays of one length n (NaN = no
    data): the score, float (n,), NaN = not scored; zeros with no active component."""
    active = active_components(weights)
    if not active:
        n = len(next(iter(values.values()))) if values else 0
        return np.zeros(n)
    rows = [np.asarray(values[k], dtype=float) for k in active]
    return combine_arrays(rows, [weights[k] for k in active], missing, min_components).score


def normalise(weights: pd.Series) -> pd.Series:
    """Non-negative weights scaled to sum to one (empty if nothing is positive)."""
    w = _floats(weights)
    arr = w.to_numpy()
    keep = arr > 0  # NaN and negative weights count as zero
    kept = arr[keep]
    if not kept.size:
        return w.iloc[:0]
    return pd.Series(kept / kept.sum(), index=w.index[keep], name=w.name)


#: Scores this close (relative to their size) are tied: z-scores of the same inputs may
#: differ in the last bits with the order in which names are summed.
TIE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Tie:
    """Names tied at the top-N boundary, more of them than the slots left (``slots``):
    they share those slots equally, so the tie decided their weights."""

    names: tuple[str, ...]
    slots: int
    score: float


def _top_n_split(arr: np.ndarray, top_n: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(above, tied, slots): names surely in the top N, names tied at its boundary, and
    the slots left for the tied names. Order-free: only the values decide."""
    if arr.size <= top_n:
        return np.ones(arr.size, dtype=bool), np.zeros(arr.size, dtype=bool), 0
    boundary = np.sort(arr)[::-1][top_n - 1]
    tolerance = TIE_TOLERANCE * max(1.0, abs(boundary))
    tied = np.abs(arr - boundary) <= tolerance
    above = (arr > boundary) & ~tied
    return above, tied, top_n - int(above.sum())


def top_n_tie(scores: pd.Series, top_n: int) -> Tie | None:
    """The tie at the top-``top_n`` boundary of ``scores`` (NaN = not scored) when it
    decided something (more tied names than slots left), else None."""
    values = _floats(scores)
    return top_n_tie_array([str(t) for t in values.index], values.to_numpy(), top_n)


def top_n_tie_array(names: list[str], arr: np.ndarray, top_n: int) -> Tie | None:
    """:func:`top_n_tie` on the scores ``arr`` (float (n,), NaN = not scored) of ``names``."""
    scored = ~np.isnan(arr)
    _, tied, slots = _top_n_split(arr[scored], top_n)
    if int(tied.sum()) <= slots:
        return None
    at = np.flatnonzero(scored)[tied]
    return Tie(tuple(sorted(names[j] for j in at.tolist())), slots, float(arr[at[0]]))


def select_array(
    names: list[str],
    arr: np.ndarray,
    method: Selection = "top_n",
    top_n: int = 5,
    strength: float = 1.0,
) -> tuple[np.ndarray, Tie | None]:
    """:func:`selection_weights` of ``arr`` (the scores of the eligible, scored
    ``names``: float (n,), no NaN) and, for ``top_n``, :func:`top_n_tie_array` of the
    same names, from one split of the scores."""
    if method != "top_n":
        return selection_weights(arr, method, top_n, strength), None
    above, tied, slots = _top_n_split(arr, top_n)
    count = int(tied.sum())
    weights = np.where(above, 1.0, np.where(tied, slots / count if count else 0.0, 0.0))
    if count <= slots:
        return weights, None
    at = np.flatnonzero(tied)
    return weights, Tie(tuple(sorted(names[j] for j in at.tolist())), slots, float(arr[at[0]]))


def select(
    scores: pd.Series,
    eligible: pd.Series | None = None,
    method: Selection = "top_n",
    top_n: int = 5,
    strength: float = 1.0,
) -> pd.Series:
    """Weights from scores: equal weight over the top N, a linear tilt, or equal weight.

    ``scores`` by name; NaN means the name was not scored (decide what missing data
    counts as in :func:`combine`) and a name without a score never gets weight, nor
    does an ineligible one. ``top_n``: names tied at the boundary (within
    :data:`TIE_TOLERANCE`) share the slots left equally, so no selection depends on the
    order of the names (see :func:`top_n_tie`). ``tilt``: weight 1 + ``strength`` x
    score, clipped at 0, normalised. Returns weights summing to 1 (empty if none).
    """
    scores = _floats(scores)
    arr, index = scores.to_numpy(), scores.index
    if eligible is not None:
        if eligible.index.equals(index):
            ok = eligible.to_numpy(dtype=bool)
        else:
            ok = eligible.reindex(index, fill_value=False).to_numpy(dtype=bool)
        arr, index = arr[ok], index[ok]
    index, arr = index[~np.isnan(arr)], arr[~np.isnan(arr)]
    if not arr.size:
        return pd.Series(dtype=float)
    return normalise(pd.Series(selection_weights(arr, method, top_n, strength), index=index))


def selection_weights(
    arr: np.ndarray, method: Selection = "top_n", top_n: int = 5, strength: float = 1.0
) -> np.ndarray:
    """:func:`select` on the scores of the eligible, scored names (float (n,), no NaN):
    the raw weights, float (n,), before :func:`normalise` (zeros are dropped there)."""
    if method == "equal":
        return np.ones(arr.size)
    if method == "top_n":
        above, tied, slots = _top_n_split(arr, top_n)
        share = slots / tied.sum() if tied.any() else 0.0
        return np.where(above, 1.0, np.where(tied, share, 0.0))
    return 1.0 + strength * arr


def china_multiplier(
    share: pd.Series,
    power: float = 1.0,
    max_share: float = 1.0,
    unknown: Literal["zero", "median", "exclude"] = "median",
) -> pd.Series:
    """(1 - China share) ** power, zero above ``max_share``; unknown shares per policy."""
    share = _floats(share)
    multiplier = china_multiplier_array(share.to_numpy(), power, max_share, unknown)
    return pd.Series(multiplier, index=share.index)


def china_multiplier_array(
    arr: np.ndarray,
    power: float = 1.0,
    max_share: float = 1.0,
    unknown: Literal["zero", "median", "exclude"] = "median",
) -> np.ndarray:
    """:func:`china_multiplier` on an array of shares (float (n,), NaN = unknown)."""
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
    return np.where(np.isnan(multiplier), 0.0, multiplier)
