"""BalanceSheetQuality. Article rule: favour strong balance sheets, meaning low debt,
net cash and stable free cash flow.

Score: the weighted mean of z-scores of net cash / assets (cash plus short-term
investments minus debt; ``long_term_investments`` adds long-term marketable securities),
-debt / equity, FCF margin and FCF stability (mean / std of the last fiscal years' FCF).
Names whose known TTM free cash flow is negative are ineligible when
``require_positive_fcf``. Tune with ``w_*`` (component weights),
``selection``/``top_n``/``tilt_strength``, ``missing``/``min_components`` (a metric a
name lacks counts as average; a name with fewer than two metrics is not scored) and
``max_staleness_days``.
"""

from __future__ import annotations

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


class BalanceSheetParams(SelectionParams):
    w_net_cash: float = Field(1.0, ge=0, description="weight of net cash / total assets")
    w_leverage: float = Field(1.0, ge=0, description="weight of low debt / equity")
    w_fcf_margin: float = Field(1.0, ge=0, description="weight of FCF / revenue")
    w_fcf_stability: float = Field(1.0, ge=0, description="weight of FCF stability")
    require_positive_fcf: bool = Field(True, description="exclude names with negative TTM FCF")
    long_term_investments: bool = Field(
        False, description="count long-term marketable securities as cash in net cash"
    )


def balance_sheet_components(
    fund: pd.DataFrame, p: BalanceSheetParams
) -> tuple[dict[str, pd.Series], dict[str, float]]:
    """The metrics of the balance-sheet score (higher is stronger) and their weights."""
    arrays, weights = balance_sheet_component_arrays(fund, p)
    return {k: pd.Series(v, index=fund.index) for k, v in arrays.items()}, weights


def balance_sheet_component_arrays(
    fund: pd.DataFrame, p: BalanceSheetParams
) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """:func:`balance_sheet_components` as float arrays (one per row of ``fund``)."""

    def column(name: str) -> np.ndarray:
        return fund[name].to_numpy(dtype=float)

    net_cash = column("net_cash_to_assets")
    if p.long_term_investments:
        assets, invested = column("total_assets"), column("long_term_investments")
        with np.errstate(invalid="ignore", divide="ignore"):
            net_cash = (column("net_cash") + np.where(np.isnan(invested), 0.0, invested)) / (
                np.where(assets > 0, assets, np.nan)
            )
    return (
        {
            "net_cash": net_cash,
            "leverage": -column("debt_to_equity"),
            "fcf_margin": column("fcf_margin"),
            "fcf_stability": column("fcf_stability"),
        },
        {
            "net_cash": p.w_net_cash,
            "leverage": p.w_leverage,
            "fcf_margin": p.w_fcf_margin,
            "fcf_stability": p.w_fcf_stability,
        },
    )


def balance_sheet_score(fund: pd.DataFrame, p: BalanceSheetParams) -> pd.Series:
    """Higher is stronger: net cash, little leverage, high and steady free cash flow.

    NaN for a name scored on too few metrics (``p.missing``, ``p.min_components``)."""
    return combine(*balance_sheet_components(fund, p), p.missing, p.min_components)


def balance_sheet_score_array(fund: pd.DataFrame, p: BalanceSheetParams) -> np.ndarray:
    """:func:`balance_sheet_score` as a float array (one per row of ``fund``)."""
    return combine_values(*balance_sheet_component_arrays(fund, p), p.missing, p.min_components)


def balance_sheet_eligible(fund: pd.DataFrame, p: BalanceSheetParams) -> pd.Series:
    """False only where TTM FCF is known and negative (and the rule is on)."""
    if not p.require_positive_fcf:
        return pd.Series(True, index=fund.index)
    return ~(fund["fcf_ttm"] < 0)


class BalanceSheetQuality(Strategy):
    """Hold the strongest balance sheets (net cash, low leverage, steady FCF)."""

    summary = "rank by net cash, low debt/equity, FCF margin and FCF stability"
    tuned_on = SAMPLE_TUNED
    needs = frozenset({"fundamentals"})
    Params = BalanceSheetParams

    def target_weights(self, view: AsOfView) -> pd.Series:
        fund = fundamentals(view, view.tradable(), self.params)
        eligible = balance_sheet_eligible(fund, self.params)
        view.exclude(~eligible, "TTM free cash flow negative (require_positive_fcf)")
        components, weights = balance_sheet_components(fund, self.params)
        scores = zscore(combined_score(view, components, weights, self.params))
        record_selection(view, "balance_sheet", scores, eligible, self.params)
        return weights_from_scores(scores, eligible, self.params)
