"""ValuationDiscipline. Article rule: a high P/E is only sustainable with strong growth
and margins.

A name with trailing P/E above ``max_pe`` is eligible only if its revenue growth is at
least ``min_growth`` and its net margin at least ``min_margin``; any name whose P/E per
point of growth (PEG) exceeds ``max_peg`` is excluded; with ``require_profit`` a
loss-maker (no P/E at all) is excluded. The rest are ranked by growth, margin and
cheapness (-P/E, or -P/S or -EV/sales with ``value_by``, which also value loss-makers).
P/E is market cap (split-adjusted price on D x point-in-time share count on the same
split basis) over TTM net income; see :mod:`airegime.data.fundamentals`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from airegime.asof import AsOfView
from airegime.strategy import Strategy
from airegime.weighting import combine, combine_values, zscore

from .common import (
    SAMPLE_TUNED,
    SelectionParams,
    combined_score,
    fundamentals,
    record_selection,
    weights_from_scores,
)


class ValuationParams(SelectionParams):
    max_pe: float = Field(35.0, gt=0, description="P/E above which growth must justify it")
    min_growth: float = Field(0.20, description="revenue growth needed for a high P/E")
    min_margin: float = Field(0.15, description="net margin needed for a high P/E")
    max_peg: float = Field(3.0, gt=0, description="P/E divided by growth in percent")
    require_profit: bool = Field(True, description="exclude names with TTM net loss")
    value_by: Literal["pe", "ps", "ev_to_sales"] = Field(
        "pe", description="multiple behind the cheapness score (ps/ev_to_sales value losses)"
    )


MULTIPLES = {"pe": "pe_ttm", "ps": "ps_ttm", "ev_to_sales": "ev_to_sales"}


def valuation_components(
    fund: pd.DataFrame, p: ValuationParams | None = None
) -> tuple[dict[str, pd.Series], dict[str, float]]:
    """The metrics of the valuation score (growth, margin, cheapness) and their weights."""
    multiple = fund[MULTIPLES[p.value_by if p is not None else "pe"]]
    return (
        {"growth": fund["revenue_growth"], "margin": fund["net_margin"], "cheap": -multiple},
        {"growth": 1.0, "margin": 1.0, "cheap": 1.0},
    )


def valuation_score_array(fund: pd.DataFrame, p: ValuationParams) -> np.ndarray:
    """:func:`valuation_score` as a float array (one per row of ``fund``)."""
    arrays = {
        "growth": fund["revenue_growth"].to_numpy(dtype=float),
        "margin": fund["net_margin"].to_numpy(dtype=float),
        "cheap": -fund[MULTIPLES[p.value_by]].to_numpy(dtype=float),
    }
    weights = {"growth": 1.0, "margin": 1.0, "cheap": 1.0}
    return combine_values(arrays, weights, p.missing, p.min_components)


def valuation_score(fund: pd.DataFrame, p: ValuationParams | None = None) -> pd.Series:
    """Higher is better value for the growth: growth, margin and a low multiple.

    NaN for a name scored on too few metrics (``p.missing``, ``p.min_components``)."""
    p = p or ValuationParams()
    return combine(*valuation_components(fund, p), p.missing, p.min_components)


def valuation_breaches(fund: pd.DataFrame, p: ValuationParams) -> dict[str, pd.Series]:
    """Each valuation rule as a mask (True = breached), keyed by the rule in words."""
    return {
        reason: pd.Series(hit, index=fund.index)
        for reason, hit in valuation_breach_masks(fund, p).items()
    }


def valuation_breach_masks(fund: pd.DataFrame, p: ValuationParams) -> dict[str, np.ndarray]:
    """:func:`valuation_breaches` as bool arrays (one per row of ``fund``)."""
    pe = fund["pe_ttm"].to_numpy(dtype=float)
    growth = fund["revenue_growth"].to_numpy(dtype=float)
    margin = fund["net_margin"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        unjustified = (pe > p.max_pe) & ~((growth >= p.min_growth) & (margin >= p.min_margin))
        peg = pe / (100.0 * np.where(growth > 0, growth, np.nan))
        loss = (
            fund["net_income_ttm"].to_numpy(dtype=float) <= 0
            if p.require_profit
            else np.zeros(len(fund), dtype=bool)
        )
        return {
            f"P/E above {p.max_pe:g} without growth >= {p.min_growth:.0%} and margin >= "
            f"{p.min_margin:.0%}": unjustified,
            f"PEG above {p.max_peg:g}": peg > p.max_peg,
            "TTM net loss (require_profit)": loss,
        }


def valuation_eligible(fund: pd.DataFrame, p: ValuationParams) -> pd.Series:
    """False where a high P/E lacks growth or margin, PEG is too high, or (opt.) a loss."""
    breached = pd.Series(False, index=fund.index)
    for mask in valuation_breaches(fund, p).values():
        breached |= mask
    return ~breached


class ValuationDiscipline(Strategy):
    """Accept a high P/E only with strong growth and margins."""

    summary = "high P/E only with strong growth and margins; PEG cap; no loss-makers"
    tuned_on = SAMPLE_TUNED
    needs = frozenset({"fundamentals"})
    Params = ValuationParams

    def target_weights(self, view: AsOfView) -> pd.Series:
        fund = fundamentals(view, view.tradable(), self.params)
        for reason, mask in valuation_breaches(fund, self.params).items():
            view.exclude(mask, reason)
        components, weights = valuation_components(fund, self.params)
        scores = zscore(combined_score(view, components, weights, self.params))
        eligible = valuation_eligible(fund, self.params)
        record_selection(view, "valuation", scores, eligible, self.params)
        return weights_from_scores(scores, eligible, self.params)
