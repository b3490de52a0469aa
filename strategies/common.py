"""Parameters shared by the article's strategies: how scores become weights, China rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from airegime.asof import AsOfView, private_copy, scores_record
from airegime.data.china_market import CHINA_PROXIES, CONTROLS, FACTOR_SERIES
from airegime.strategy import Params, SeriesNeed, TunedOn
from airegime.weighting import (
    Combined,
    active_components,
    china_multiplier,
    china_multiplier_array,
    combine_arrays,
    component_rows,
    kept,
    normalise,
    select,
    select_array,
)

__all__ = [
    "FACTOR_SERIES",
    "SAMPLE_TUNED",
    "ChinaParams",
    "SelectionParams",
    "apply_china",
    "china_rule_on",
    "china_series_needs",
    "combined_score",
    "fundamentals",
]

#: The built-in strategies' defaults were chosen while building them on the bundled sample
#: over the window of backtests/*.yaml; a run there is in-sample for those choices.
SAMPLE_TUNED = TunedOn("sample", dt.date(2016, 1, 1), dt.date(2026, 7, 31))


class SelectionParams(Params):
    selection: Literal["top_n", "tilt", "equal"] = Field(
        "top_n", description="top_n: equal weight over the best; tilt: weight by score"
    )
    top_n: int = Field(6, ge=1, description="names held with selection=top_n")
    tilt_strength: float = Field(0.5, ge=0, description="weight = 1 + strength x z-score")
    missing: Literal["neutral", "exclude"] = Field(
        "neutral",
        description="a component (rule, or metric within a rule) a name has no data for: "
        "neutral counts it as average (z = 0) with its full weight, so gaps never raise a "
        "score; exclude drops the name",
    )
    min_components: int = Field(
        2,
        ge=1,
        description="names scored on fewer of the active components (rules of a composite, "
        "metrics of a rule) are excluded; capped at the number active",
    )
    max_staleness_days: int | None = Field(
        None,
        ge=1,
        description="facts older than this (days since period end) count as missing; "
        "null = no limit (a 10-K-only filer is up to ~455 days stale)",
    )


class ChinaParams(Params):
    china_power: float = Field(0.0, ge=0, description="weights x (1 - China share) ** power")
    max_china_share: float = Field(1.0, ge=0, le=1, description="exclude names above this")
    unknown_china: Literal["zero", "median", "exclude"] = Field(
        "median", description="China share of names that do not disclose one"
    )
    adr_china_share: float | None = Field(
        1.0, ge=0, le=1, description="assumed share of the china_adr group; null = unknown"
    )
    china_measure: Literal["disclosed", "market", "blend"] = Field(
        "disclosed",
        description="China share from filings, from the rolling China beta of the stock "
        "(market), or filings where known and the beta elsewhere (blend)",
    )

    @model_validator(mode="after")
    def _cap_not_below_fill_in(self) -> ChinaParams:
        # unknown_china: median gives undisclosed names the median disclosed share, which is
        # above zero as soon as one company discloses; a zero cap then excludes all of them.
        # Caps between zero and that median are data-dependent: the run notes them.
        if self.unknown_china == "median" and self.max_china_share == 0:
            raise ValueError(
                "max_china_share 0 is below the median China share that unknown_china: "
                "median gives names without a disclosed share, so every such name would be "
                "excluded; set unknown_china: zero or exclude, or raise max_china_share"
            )
        return self


def china_shares(
    view: AsOfView, names: list[str], adr_share: float | None, measure: str = "disclosed"
) -> pd.Series:
    """Known China revenue shares of ``names`` (float by ticker, NaN = unknown), with the
    China ADRs' assumed share filled in. The universe's shares are computed once per date
    and (``adr_share``, ``measure``) for every strategy and sweep point sharing the view's
    context; the names are then cut from them."""
    if not set(names) <= set(view.universe):
        return _china_shares(view, names, adr_share, measure)
    universe = view.cached(
        ("china_shares", adr_share, measure, view.filing_lag_days),
        lambda: _china_shares(view, view.universe, adr_share, measure),
    )
    index = pd.Index(names, name="ticker")
    values = universe.to_numpy()[universe.index.get_indexer(index)]
    return pd.Series(values, index=index, name=universe.name)


def _china_shares(
    view: AsOfView, names: list[str], adr_share: float | None, measure: str
) -> pd.Series:
    share = view.china_share(names, measure=measure)
    if adr_share is not None:
        groups = view.groups
        adr = np.array([groups.get(t) == "china_adr" for t in names], dtype=bool)
        values = share.to_numpy().copy()
        values[adr & np.isnan(values)] = adr_share
        share = pd.Series(values, index=share.index, name=share.name)
    return share


def china_rule_on(params: ChinaParams) -> bool:
    """Whether the China rule can change a weight with these parameters."""
    return not (
        params.china_power == 0
        and params.max_china_share >= 1
        and params.unknown_china != "exclude"
    )


def china_series_needs(params: ChinaParams, prefix: str = "") -> list[SeriesNeed]:
    """The factor series the market-implied China share reads, when the rule uses it.

    ``market`` and ``blend`` regress each stock on China equities (KWEB, else FXI, else
    MCHI), SPY and SOXX; ``disclosed`` reads filings only, and a rule that is off
    (``china_power: 0``, no cap, unknowns kept) reads nothing.
    """
    if not china_rule_on(params) or params.china_measure == "disclosed":
        return []
    return [
        SeriesNeed(
            f"{prefix}china_measure: {params.china_measure} (the rolling China beta)",
            CONTROLS,
            CHINA_PROXIES,
            f"set strategy.params.{prefix}china_measure: disclosed",
        )
    ]


def apply_china(weights: pd.Series, view: AsOfView, params: ChinaParams) -> pd.Series:
    """Scale weights by the China rule and renormalise."""
    if weights.empty or not china_rule_on(params):
        return weights
    share = china_shares(view, list(weights.index), params.adr_china_share, params.china_measure)
    multiplier = china_multiplier(
        share, params.china_power, params.max_china_share, params.unknown_china
    )
    record_china(view, share, multiplier, params)
    return normalise(weights * multiplier)


def apply_china_array(
    view: AsOfView, index: pd.Index, pick: np.ndarray, weights: np.ndarray, params: ChinaParams
) -> pd.Series:
    """:func:`apply_china` of the weights ``weights`` (float (k,), summing to one) of
    ``index[pick]`` (``pick``: int (k,) positions in ``index``, which must hold the view's
    :meth:`~airegime.asof.AsOfView.tradable` names: their China shares are memoised per
    date). Returns the weights by ticker."""
    if not len(pick) or not china_rule_on(params):
        return pd.Series(weights, index=index[pick])
    adr, measure = params.adr_china_share, params.china_measure
    shares = view.cached(
        ("china_shares_of_tradable", adr, measure),
        lambda: (
            china_shares(view, [str(t) for t in index], adr, measure).to_numpy(),
            [str(t) for t in index],
        ),
    )
    # The same names and weights on a date (top-N picks often agree across sweep points)
    # give the same step: memoised with what it records, which depends on the names only.
    rule = (params.china_power, params.max_china_share, params.unknown_china)
    names = pick.tobytes()
    step = view.cached(
        ("china_step", adr, measure, *rule, names, weights.tobytes()),
        lambda: _china_step(
            view.cached(
                ("china_record", adr, measure, *rule, names),
                lambda: _china_rule(shares, pick, params),
            ),
            index,
            pick,
            weights,
        ),
    )
    step.record.replay(view)
    return private_copy(step.weights)


@dataclass(frozen=True)
class ChinaRecord:
    """What the China rule records on a view: the shares used (in
    :func:`~airegime.asof.scores_record` form), the names dropped as unknown or above the
    cap, the (ticker, text) tags of names scaled down, and the rule in words."""

    shares: dict[str, float | None]
    unknown: list[str]
    above: list[str]
    above_reason: str
    tags: list[tuple[str, str]]
    note: str

    def replay(self, view: AsOfView) -> None:
        """Record it on ``view``, in the order :func:`record_china` always has."""
        view.record_scores_dict(self.shares, "china_share")
        view.exclude(self.unknown, "China share unknown (unknown_china: exclude)")
        view.exclude(self.above, self.above_reason)
        for ticker, text in self.tags:
            view.tag(ticker, text)
        view.note(self.note)


@dataclass(frozen=True)
class _ChinaStep:
    """The China rule's step on one date: what it records and the weights it returns
    (shared by the sweep points that reach it: read-only)."""

    record: ChinaRecord
    weights: pd.Series


def _china_rule(
    shares: tuple[np.ndarray, list[str]], pick: np.ndarray, params: ChinaParams
) -> tuple[ChinaRecord, np.ndarray]:
    """What the China rule records for the names ``pick`` and their multipliers."""
    share = shares[0][pick]
    multiplier = china_multiplier_array(
        share, params.china_power, params.max_china_share, params.unknown_china
    )
    names = shares[1]
    return china_record([names[j] for j in pick.tolist()], share, multiplier, params), multiplier


def _china_step(
    rule: tuple[ChinaRecord, np.ndarray], index: pd.Index, pick: np.ndarray, weights: np.ndarray
) -> _ChinaStep:
    keep, scaled = kept(pick, weights * rule[1])
    return _ChinaStep(rule[0], pd.Series(scaled, index=index[keep]))


def fundamentals(view: AsOfView, names: list[str], params: SelectionParams) -> pd.DataFrame:
    """The view's fundamentals, with rows staler than ``max_staleness_days`` blanked."""
    fund = view.fundamentals(names)
    limit = params.max_staleness_days
    if limit is not None and "staleness_days" in fund:
        stale = ~(fund["staleness_days"] <= limit)
        fund.loc[stale, fund.columns.drop("staleness_days")] = np.nan
    return fund


def record_china(
    view: AsOfView, share: pd.Series, multiplier: pd.Series, params: ChinaParams
) -> None:
    """Diagnostics of the China rule: the share used, names dropped, weights scaled."""
    tickers = [str(t) for t in share.index]
    china_record(tickers, share.to_numpy(), multiplier.to_numpy(), params).replay(view)


def china_record(
    tickers: list[str], values: np.ndarray, m: np.ndarray, params: ChinaParams
) -> ChinaRecord:
    """What :func:`record_china` records, without a view: the shares ``values`` and
    multipliers ``m`` (float (n,)) of ``tickers``."""
    unknown = np.isnan(values)
    with np.errstate(invalid="ignore"):
        above = values > params.max_china_share
    tags = []
    for j in np.flatnonzero((m > 0) & (m < 1)).tolist():
        known = "unknown, counted as " + params.unknown_china if unknown[j] else ""
        shown = known or f"{values[j]:.0%}"
        tags.append((tickers[j], f"China share {shown}: weight x{m[j]:.2f}"))
    return ChinaRecord(
        shares=scores_record(tickers, values),
        unknown=names_where(tickers, unknown & (m == 0)),
        above=names_where(tickers, above & (m == 0)),
        above_reason=f"China revenue share above max_china_share {params.max_china_share:.0%}",
        tags=tags,
        note=(
            f"China rule: weight x (1 - China share) ** {params.china_power:g}, "
            f"max share {params.max_china_share:.0%}, unknown shares: {params.unknown_china}"
        ),
    )


def names_where(tickers: list[str], mask: np.ndarray) -> list[str]:
    """The tickers where ``mask`` (bool, one per ticker) is True, in order."""
    return [t for t, hit in zip(tickers, mask.tolist(), strict=True) if hit]


def combined_score(
    view: AsOfView,
    components: dict[str, pd.Series],
    weights: dict[str, float],
    params: SelectionParams,
    unit: str = "metrics",
) -> pd.Series:
    """The strategy's score from its components, with what it rests on recorded.

    :func:`~airegime.weighting.combine` under ``params.missing`` and
    ``params.min_components`` (NaN = not scored); on the view, per name, how many of the
    active components it was scored on (:meth:`~airegime.asof.AsOfView.record_components`),
    and each name left unscored as an exclusion naming the components it lacks.
    ``unit`` words the components in that reason ("rules", "metrics").
    """
    index = next(iter(components.values())).index if components else pd.Index([])
    active = active_components(weights)
    if not active:
        view.record_components(pd.Series(0, index=index, dtype=int), 0)
        return pd.Series(0.0, index=index)
    rows = component_rows(components, active, index)
    found = combine_arrays(
        rows, [weights[k] for k in active], params.missing, params.min_components
    )
    view.record_components(pd.Series(found.scored, index=index, dtype=int), len(active))
    names = [str(t) for t in index]
    for ticker, reason in unscored_reasons(found, active, names, params.missing, unit):
        view.exclude(ticker, reason)
    return pd.Series(found.score, index=index)


def unscored_reasons(
    found: Combined, active: list[str], names: list[str], missing: str, unit: str
) -> list[tuple[str, str]]:
    """(name, reason) for each of ``names`` that :func:`~airegime.weighting.combine_arrays`
    left unscored (``found``), naming the ``active`` components ("rules", "metrics":
    ``unit``) it lacks."""
    out = []
    for j in np.flatnonzero(found.scored < found.need).tolist():
        lacking = ", ".join(k for k, gap in zip(active, found.lacking[:, j], strict=True) if gap)
        if missing == "exclude":
            reason = f"no data for {lacking} (missing: exclude)"
        else:
            reason = (
                f"scored on {found.scored[j]} of {len(active)} {unit}, fewer than "
                f"min_components {found.need} (no data for {lacking})"
            )
        out.append((names[j], reason))
    return out


def record_selection(
    view: AsOfView,
    name: str,
    scores: pd.Series,
    eligible: pd.Series | None,
    params: SelectionParams,
) -> None:
    """Diagnostics of a score-based selection: the scores, the rule, and a tie at the
    top-N boundary that decided weights (names not scored are never selected)."""
    view.record_scores(scores, name)
    ok = np.ones(len(scores), dtype=bool)
    if eligible is not None:
        if eligible.index.equals(scores.index):
            ok = eligible.to_numpy(dtype=bool)
        else:
            ok = eligible.reindex(scores.index, fill_value=False).to_numpy(dtype=bool)
    tickers = [str(t) for t in scores.index]
    record_selection_array(view, name, tickers, scores.to_numpy(dtype=float), ok, params)


def record_selection_array(
    view: AsOfView,
    name: str,
    tickers: list[str],
    scores: np.ndarray,
    eligible: np.ndarray,
    params: SelectionParams,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`record_selection` on arrays, without recording the scores themselves:
    ``scores`` (float (n,), NaN = not scored) and ``eligible`` (bool (n,)) of ``tickers``.

    Returns the positions of the eligible, scored names (int (k,), in their order) and
    their raw weights (:func:`~airegime.weighting.selection_weights`, float (k,))."""
    pick = np.flatnonzero(eligible & ~np.isnan(scores))
    raw, found = select_array(
        [tickers[j] for j in pick.tolist()],
        scores[pick],
        params.selection,
        params.top_n,
        params.tilt_strength,
    )
    tie = None
    if found is not None:
        tie = {"names": list(found.names), "slots": found.slots, "value": found.score}
    view.record_selection(
        name, params.selection, params.top_n if params.selection == "top_n" else None, tie
    )
    n = len(pick)
    if params.selection == "top_n":
        view.note(f"top {params.top_n} of {n} eligible by {name} score, equal weight")
    elif params.selection == "tilt":
        view.note(f"{n} eligible, weight 1 + {params.tilt_strength:g} x {name} z-score")
    else:
        view.note(f"equal weight over {n} eligible")
    return pick, raw


def weights_from_scores(
    scores: pd.Series, eligible: pd.Series, params: SelectionParams
) -> pd.Series:
    """Weights by the selection rule of ``params``; names without a score get none."""
    return select(scores, eligible, params.selection, params.top_n, params.tilt_strength)
