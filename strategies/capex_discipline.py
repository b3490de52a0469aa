"""CapexDiscipline. Article rule: beware capex that outruns operating cash flow, i.e.
dependence on outside financing, and debt that rises fast.

A name breaches when its capex exceeded operating cash flow in at least ``max_breaches``
of its last ``lookback_years`` fiscal years, or when its debt grew more than
``max_debt_growth`` in a year. ``action: exclude`` drops breaching names;
``action: penalize`` multiplies their weight by ``penalty``. The rest are weighted by
``selection`` over the score -capex/OCF and -debt growth (default: equal weight); a name
needs both metrics (``min_components``, ``missing``) to be weighted at all.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from airegime.asof import AsOfView
from airegime.strategy import Strategy
from airegime.weighting import combine, combine_values, normalise, zscore

from .common import (
    SAMPLE_TUNED,
    SelectionParams,
    combined_score,
    fundamentals,
    record_selection,
    weights_from_scores,
)


class CapexParams(SelectionParams):
    selection: Literal["top_n", "tilt", "equal"] = Field(
        "equal", description="how the names that pass are weighted"
    )
    max_breaches: int = Field(2, ge=1, description="K: capex > OCF in K of the last M years")
    lookback_years: int = Field(5, ge=1, le=15, description="M: fiscal years looked at")
    max_debt_growth: float = Field(0.5, description="breach above this yearly debt growth")
    action: Literal["exclude", "penalize"] = Field(
        "exclude", description="drop breaching names, or multiply their weight by penalty"
    )
    penalty: float = Field(0.5, ge=0, le=1, description="weight multiplier when penalised")


def capex_breaches(history: pd.DataFrame, years: int) -> int:
    """Fiscal years among the last ``years`` in which capex exceeded operating cash flow."""
    if history.empty:
        return 0
    capex = history["capex"].to_numpy(dtype=float)
    ocf = history["operating_cash_flow"].to_numpy(dtype=float)
    both = ~(np.isnan(capex) | np.isnan(ocf))
    return int((capex[both][-years:] > ocf[both][-years:]).sum())


def breach_counts(view: AsOfView, years: int) -> pd.Series:
    """:func:`capex_breaches` of every universe name on the view's date, read in one step
    from the view (computed once per date and ``years`` for every strategy and sweep
    point that shares the context)."""
    return view.capex_breach_counts(years)


def capex_components(fund: pd.DataFrame) -> tuple[dict[str, pd.Series], dict[str, float]]:
    """The metrics of the capex score (higher is more disciplined) and their weights."""
    return (
        {"capex_to_ocf": -fund["capex_to_ocf"], "debt_growth": -fund["debt_growth"]},
        {"capex_to_ocf": 1.0, "debt_growth": 1.0},
    )


def capex_score_array(fund: pd.DataFrame, p: CapexParams) -> np.ndarray:
    """:func:`capex_score` as a float array (one per row of ``fund``)."""
    arrays = {
        "capex_to_ocf": -fund["capex_to_ocf"].to_numpy(dtype=float),
        "debt_growth": -fund["debt_growth"].to_numpy(dtype=float),
    }
    weights = {"capex_to_ocf": 1.0, "debt_growth": 1.0}
    return combine_values(arrays, weights, p.missing, p.min_components)


def capex_score(fund: pd.DataFrame, p: CapexParams | None = None) -> pd.Series:
    """Higher is more disciplined: capex well covered by OCF, debt not rising.

    NaN for a name scored on too few metrics (``p.missing``, ``p.min_components``)."""
    p = p or CapexParams()
    return combine(*capex_components(fund), p.missing, p.min_components)


def capex_breach_tags(
    view: AsOfView, fund: pd.DataFrame, p: CapexParams
) -> tuple[pd.Series, list[tuple[str, str]]]:
    """:func:`capex_breached` without touching the view's diagnostics: the breach mask
    (bool by ticker of ``fund``) and the tags it would record, as (ticker, text) in order."""
    hit, tags = capex_breach_mask(view, fund, p)
    return pd.Series(hit, index=fund.index), tags


def capex_breach_mask(
    view: AsOfView, fund: pd.DataFrame, p: CapexParams
) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """:func:`capex_breach_tags` with the mask as a bool array (one per row of ``fund``)."""
    found = breach_counts(view, p.lookback_years)
    at = found.index.get_indexer(fund.index)  # -1: not in the universe (no count)
    counts = np.where(at >= 0, found.to_numpy(dtype=float)[np.maximum(at, 0)], np.nan)
    growth = fund["debt_growth"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        capex = counts >= p.max_breaches
        debt = growth > p.max_debt_growth
    names = [str(t) for t in fund.index]
    tags = [
        (names[j], f"capex > OCF in {counts[j]:.0f} of the last {p.lookback_years} years")
        for j in np.flatnonzero(capex).tolist()
    ]
    tags += [
        (names[j], f"debt grew {growth[j]:.0%} in a year") for j in np.flatnonzero(debt).tolist()
    ]
    return capex | debt, tags


def capex_breached(view: AsOfView, fund: pd.DataFrame, p: CapexParams) -> pd.Series:
    """True where a name breaks the K-of-M capex rule or the debt-growth limit."""
    breached, tags = capex_breach_tags(view, fund, p)
    for ticker, text in tags:
        view.tag(ticker, text)
    return breached


class CapexDiscipline(Strategy):
    """Avoid names whose capex outruns operating cash flow or whose debt climbs fast."""

    summary = "exclude/penalise capex > OCF in K of M years and fast-rising debt"
    tuned_on = SAMPLE_TUNED
    needs = frozenset({"fundamentals"})
    Params = CapexParams

    def target_weights(self, view: AsOfView) -> pd.Series:
        fund = fundamentals(view, view.tradable(), self.params)
        breached = capex_breached(view, fund, self.params)
        if self.params.action == "exclude":
            view.exclude(breached, "capex discipline (capex > OCF in K of M years, or debt)")
        scores = zscore(combined_score(view, *capex_components(fund), self.params))
        if self.params.action == "exclude":
            record_selection(view, "capex", scores, ~breached, self.params)
            return weights_from_scores(scores, ~breached, self.params)
        record_selection(view, "capex", scores, None, self.params)
        view.tag(breached, f"capex discipline: weight x{self.params.penalty:g}")
        weights = weights_from_scores(scores, None, self.params)
        factor = breached.reindex(weights.index).map({True: self.params.penalty, False: 1.0})
        return normalise(weights * factor)
