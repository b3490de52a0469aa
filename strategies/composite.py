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

from airegime.asof import AsOfView, scores_record
from airegime.strategy import SeriesNeed, Strategy
from airegime.weighting import (
    Combined,
    active_components,
    combine_arrays,
    kept,
    zscore_array,
)

from .balance_sheet import BalanceSheetParams, balance_sheet_score_array
from .capex_discipline import CapexParams, capex_breach_mask, capex_score_array
from .common import (
    SAMPLE_TUNED,
    ChinaParams,
    apply_china_array,
    china_series_needs,
    fundamentals,
    names_where,
    record_selection_array,
    unscored_reasons,
)
from .supplier_tilt import supplier_score_array
from .valuation import (
    ValuationParams,
    valuation_breach_masks,
    valuation_score_array,
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
    """One date's rule scores and exclusions (they do not depend on the rules' weights),
    as arrays over ``names`` (the tradable names, in the view's order)."""

    index: pd.Index
    names: list[str]
    scores: dict[str, np.ndarray]
    zscores: dict[str, np.ndarray]
    recorded: dict[str, dict[str, float | None]]
    fcf_ok: np.ndarray
    fcf_negative: list[str]
    valuation: list[tuple[str, np.ndarray, list[str]]]
    breached: np.ndarray
    breaching: list[str]
    capex_tags: list[tuple[str, str]]


def _rules(view: AsOfView, p: CompositeParams) -> _Rules:
    names = view.tradable()
    fund = fundamentals(view, names, p)
    scores = {
        "balance_sheet": balance_sheet_score_array(fund, p),
        "capex": capex_score_array(fund, p),
        "valuation": valuation_score_array(fund, p),
        "supplier": supplier_score_array(names, view.groups, view.suppliers),
    }
    zscores = {k: zscore_array(v) for k, v in scores.items()}
    hit, tags = capex_breach_mask(view, fund, p)
    fcf = fund["fcf_ttm"].to_numpy(dtype=float)
    fcf_ok = ~(fcf < 0) if p.require_positive_fcf else np.ones(len(fund), dtype=bool)
    tickers = [str(t) for t in fund.index]
    valuation = [
        (reason, rule_hit, names_where(tickers, rule_hit))
        for reason, rule_hit in valuation_breach_masks(fund, p).items()
    ]
    return _Rules(
        index=fund.index,
        names=tickers,
        scores=scores,
        zscores=zscores,
        recorded={k: scores_record(tickers, z) for k, z in zscores.items()},
        fcf_ok=fcf_ok,
        fcf_negative=names_where(tickers, ~fcf_ok),
        valuation=valuation,
        breached=hit,
        breaching=names_where(tickers, hit),
        capex_tags=tags,
    )


@dataclass(frozen=True)
class _Combined:
    """The composite score of one date and rule weights: z-scored (NaN = not scored),
    what :meth:`AsOfView.record_scores` and ``record_components`` keep of it, and the
    names left unscored with the reason."""

    score: np.ndarray
    recorded: dict[str, float | None]
    components: dict[str, list[int]]
    unscored: list[tuple[str, str]]


@dataclass(frozen=True)
class _Coverage:
    """What the names of one date were scored on, for one set of active rules (it does
    not depend on the rules' weights, only on which are non-zero): the ``components``
    record and the names left unscored with the reason."""

    components: dict[str, list[int]]
    unscored: list[tuple[str, str]]


def _coverage(rules: _Rules, found: Combined, active: list[str], p: CompositeParams) -> _Coverage:
    names = rules.names
    counts = found.scored.astype(int).tolist()
    return _Coverage(
        {t: [k, len(active)] for t, k in zip(names, counts, strict=True)},
        unscored_reasons(found, active, names, p.missing, "rules"),
    )


def _combined(
    view: AsOfView, rules: _Rules, weights: dict[str, float], p: CompositeParams, key: str
) -> _Combined:
    active = active_components(weights)
    names = rules.names
    if not active:
        score = zscore_array(np.zeros(len(names)))
        return _Combined(score, scores_record(names, score), {t: [0, 0] for t in names}, [])
    found = combine_arrays(
        [rules.scores[k] for k in active],
        [weights[k] for k in active],
        p.missing,
        p.min_components,
        zscored=[rules.zscores[k] for k in active],
    )
    # Shared by every set of weights with the same active rules (memoised per date).
    coverage = view.cached(
        ("composite_coverage", key, tuple(active)), lambda: _coverage(rules, found, active, p)
    )
    score = zscore_array(found.score)
    return _Combined(score, scores_record(names, score), coverage.components, coverage.unscored)


def rules_key(p: CompositeParams) -> str:
    """The parameters a rule's own scores and exclusions depend on, as text (a memo key:
    a string keeps its hash, so the lookups of every date do not hash the parameters)."""
    return repr(sorted((k, v) for k, v in p.__dict__.items() if k not in _AFTER_RULES))


def kept_rules_key(owner: object, p: CompositeParams) -> str:
    """:func:`rules_key` of ``p``, computed once and kept on ``owner`` (a strategy, whose
    parameters are frozen), so a run does not rebuild it on every date."""
    key = owner.__dict__.get("_rules_key")
    if key is None:
        key = owner.__dict__["_rules_key"] = rules_key(p)
    return key


def composite_weights(
    view: AsOfView,
    p: CompositeParams,
    balance_sheet_boost: float = 1.0,
    key: str | None = None,
) -> pd.Series:
    """The composite portfolio on the view's date (``balance_sheet_boost`` for regimes).

    The rules' scores and exclusions, and the combined score of each set of rule
    weights, are memoised per date on the view's context, so the points of a sweep over
    the rules' weights, ``top_n`` or the China rule compute them once; what is recorded
    on the view is the same either way. ``key``: ``rules_key(p)``, when the caller keeps it.
    """
    key = key if key is not None else rules_key(p)
    rules = view.cached(("composite_rules", key), lambda: _rules(view, p))
    weights = {
        "balance_sheet": p.w_balance_sheet * balance_sheet_boost,
        "capex": p.w_capex,
        "valuation": p.w_valuation,
        "supplier": p.w_supplier,
    }
    combined = view.cached(
        ("composite_score", key, tuple(weights.values())),
        lambda: _combined(view, rules, weights, p, key),
    )
    eligible = np.ones(len(rules.names), dtype=bool)
    if p.w_balance_sheet:
        eligible &= rules.fcf_ok
        view.exclude(rules.fcf_negative, "TTM free cash flow negative")
    if p.w_valuation:
        for reason, hit, names in rules.valuation:
            eligible &= ~hit
            view.exclude(names, reason)
    breached = rules.breached if p.w_capex else np.zeros(len(rules.names), dtype=bool)
    if p.w_capex:
        for ticker, text in rules.capex_tags:
            view.tag(ticker, text)
        if p.action == "exclude":
            eligible &= ~breached
            view.exclude(rules.breaching, "capex discipline (capex > OCF in K of M years, or debt)")
    for name, recorded in rules.recorded.items():
        if weights[name]:
            view.record_scores_dict(recorded, name)
    view.record_components_dict(combined.components)
    for ticker, reason in combined.unscored:
        view.exclude(ticker, reason)
    score = combined.score
    view.record_scores_dict(combined.recorded, "composite")
    pick, raw = record_selection_array(view, "composite", rules.names, score, eligible, p)
    if not pick.size:  # as select(): nothing eligible and scored
        if p.w_capex and p.action == "penalize":
            view.tag(names_where(rules.names, breached), f"capex discipline: weight x{p.penalty:g}")
        return pd.Series(dtype=float)
    pick, weight = kept(pick, raw)
    if p.w_capex and p.action == "penalize":
        view.tag(names_where(rules.names, breached), f"capex discipline: weight x{p.penalty:g}")
        pick, weight = kept(pick, weight * np.where(breached[pick], p.penalty, 1.0))
    return apply_china_array(view, rules.index, pick, weight, p)


class ArticleComposite(Strategy):
    """Balance sheet + capex discipline + valuation + supplier tilt, China-underweighted."""

    summary = "the article's rules combined: weighted scores, exclusions, China underweight"
    tuned_on = SAMPLE_TUNED
    needs = frozenset({"fundamentals", "china"})
    Params = CompositeParams

    def series_needs(self) -> list[SeriesNeed]:
        return china_series_needs(self.params)

    def target_weights(self, view: AsOfView) -> pd.Series:
        return composite_weights(view, self.params, key=kept_rules_key(self, self.params))
