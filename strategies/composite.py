"""ArticleComposite, the flagship: all of the article's rules in one portfolio.

Score: the weighted mean (``w_balance_sheet``, ``w_capex``, ``w_valuation``,
``w_supplier``) of the z-scored component scores of BalanceSheetQuality,
CapexDiscipline, ValuationDiscipline and SupplierTilt. ``missing`` and
``min_components`` act on two levels: a rule is scored only on enough of its metrics,
and a name only on enough rules (default: two; a rule it lacks counts as average with
its full weight), so a name without facts, known to the supplier rule alone, is left out
instead of being ranked on that rule. A component with a non-zero weight also brings
its exclusion rules. The selected portfolio is then underweighted
by China revenue (``china_power``, ``max_china_share``, ``unknown_china``). With every
weight but one at zero and the China rule off, it equals that one strategy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from airegime.asof import AsOfView
from airegime.strategy import SeriesNeed, Strategy
from airegime.weighting import normalise, zscore

from .balance_sheet import BalanceSheetParams, balance_sheet_eligible, balance_sheet_score
from .capex_discipline import CapexParams, capex_breach_tags, capex_score
from .common import (
    SAMPLE_TUNED,
    ChinaParams,
    apply_china,
    china_series_needs,
    combined_score,
    fundamentals,
    record_selection,
    weights_from_scores,
)
from .supplier_tilt import supplier_score
from .valuation import (
    ValuationParams,
    valuation_breaches,
    valuation_score,
)


class CompositeParams(BalanceSheetParams, CapexParams, ValuationParams, ChinaParams):
    selection: Literal["top_n", "tilt", "equal"] = "top_n"
    top_n: int = Field(6, ge=1)
    w_balance_sheet: float = Field(1.0, ge=0, description="weight of the balance-sheet score")
    w_capex: float = Field(1.0, ge=0, description="weight of the capex-discipline score")
    w_valuation: float = Field(1.0, ge=0, description="weight of the valuation score")
    w_supplier: float = Field(0.5, ge=0, description="weight of the supplier score")
    china_power: float = Field(1.0, ge=0)
    max_china_share: float = Field(0.35, ge=0, le=1)


#: Parameters that act only after the rules are scored (how the rules are weighted, the
#: selection, the China rule): every other parameter shapes a rule's own score or
#: exclusions, so it is part of the key under which those are memoised per date.
_AFTER_RULES = frozenset(
    {
        "selection",
        "top_n",
        "tilt_strength",
        "w_balance_sheet",
        "w_capex",
        "w_valuation",
        "w_supplier",
        "china_power",
        "max_china_share",
        "unknown_china",
        "adr_china_share",
        "china_measure",
    }
)


@dataclass(frozen=True)
class _Rules:
    """One date's rule scores and exclusions (they do not depend on the rules' weights)."""

    index: pd.Index
    scores: dict[str, pd.Series]
    zscores: dict[str, pd.Series]
    fcf_ok: np.ndarray
    fcf_negative: list[str]
    valuation: list[tuple[str, np.ndarray, list[str]]]
    breached: pd.Series
    breaching: list[str]
    capex_tags: list[tuple[str, str]]


def _rules(view: AsOfView, p: CompositeParams) -> _Rules:
    names = view.tradable()
    fund = fundamentals(view, names, p)
    scores = {
        "balance_sheet": balance_sheet_score(fund, p),
        "capex": capex_score(fund, p),
        "valuation": valuation_score(fund, p),
        "supplier": supplier_score(names, view.groups, view.suppliers),
    }
    breached, tags = capex_breach_tags(view, fund, p)
    fcf_ok = balance_sheet_eligible(fund, p).to_numpy(dtype=bool)
    valuation = []
    for reason, mask in valuation_breaches(fund, p).items():
        hit = mask.to_numpy(dtype=bool)
        valuation.append((reason, hit, [str(t) for t in fund.index[hit]]))
    return _Rules(
        index=fund.index,
        scores=scores,
        zscores={name: zscore(score) for name, score in scores.items()},
        fcf_ok=fcf_ok,
        fcf_negative=[str(t) for t in fund.index[~fcf_ok]],
        valuation=valuation,
        breached=breached,
        breaching=[str(t) for t in fund.index[breached.to_numpy(dtype=bool)]],
        capex_tags=tags,
    )


def composite_weights(
    view: AsOfView, p: CompositeParams, balance_sheet_boost: float = 1.0
) -> pd.Series:
    """The composite portfolio on the view's date (``balance_sheet_boost`` for regimes).

    The rules' scores and exclusions are memoised per date and rule parameters on the
    view's context, so the points of a sweep over the rules' weights, ``top_n`` or the
    China rule compute them once; what is recorded on the view is the same either way.
    """
    key = tuple(sorted((k, v) for k, v in p.model_dump().items() if k not in _AFTER_RULES))
    rules = view.cached(("composite_rules", key), lambda: _rules(view, p))
    scores, index = rules.scores, rules.index
    weights = {
        "balance_sheet": p.w_balance_sheet * balance_sheet_boost,
        "capex": p.w_capex,
        "valuation": p.w_valuation,
        "supplier": p.w_supplier,
    }
    eligible = np.ones(len(index), dtype=bool)
    breached = pd.Series(False, index=index)
    if p.w_balance_sheet:
        eligible &= rules.fcf_ok
        view.exclude(rules.fcf_negative, "TTM free cash flow negative")
    if p.w_valuation:
        for reason, hit, names in rules.valuation:
            eligible &= ~hit
            view.exclude(names, reason)
    if p.w_capex:
        breached = rules.breached
        for ticker, text in rules.capex_tags:
            view.tag(ticker, text)
        if p.action == "exclude":
            eligible &= ~breached.to_numpy(dtype=bool)
            view.exclude(rules.breaching, "capex discipline (capex > OCF in K of M years, or debt)")
    for name, zscored in rules.zscores.items():
        if weights[name]:
            view.record_scores(zscored, name)
    composite = zscore(combined_score(view, scores, weights, p, unit="rules"))
    ok = pd.Series(eligible, index=index)
    record_selection(view, "composite", composite, ok, p)
    selected = weights_from_scores(composite, ok, p)
    if p.w_capex and p.action == "penalize":
        view.tag(breached, f"capex discipline: weight x{p.penalty:g}")
        factor = breached.reindex(selected.index).map({True: p.penalty, False: 1.0})
        selected = normalise(selected * factor)
    return apply_china(selected, view, p)


class ArticleComposite(Strategy):
    """Balance sheet + capex discipline + valuation + supplier tilt, China-underweighted."""

    summary = "the article's rules combined: weighted scores, exclusions, China underweight"
    tuned_on = SAMPLE_TUNED
    needs = frozenset({"fundamentals", "china"})
    Params = CompositeParams

    def series_needs(self) -> list[SeriesNeed]:
        return china_series_needs(self.params)

    def target_weights(self, view: AsOfView) -> pd.Series:
        return composite_weights(view, self.params)
