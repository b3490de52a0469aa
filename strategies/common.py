"""Parameters shared by the article's strategies: how scores become weights, China rules."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from airegime.asof import AsOfView
from airegime.data.china_market import FACTOR_SERIES
from airegime.strategy import Params

__all__ = ["FACTOR_SERIES", "ChinaParams", "SelectionParams", "apply_china", "fundamentals"]
from airegime.weighting import china_multiplier, normalise, select


class SelectionParams(Params):
    selection: Literal["top_n", "tilt", "equal"] = Field(
        "top_n", description="top_n: equal weight over the best; tilt: weight by score"
    )
    top_n: int = Field(6, ge=1, description="names held with selection=top_n")
    tilt_strength: float = Field(0.5, ge=0, description="weight = 1 + strength x z-score")
    missing: Literal["neutral", "exclude"] = Field(
        "neutral", description="names without data: average score, or dropped"
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
    """Known China revenue shares, with the China ADRs' assumed share filled in."""
    share = view.china_share(names, measure=measure)
    if adr_share is not None:
        adrs = [t for t in names if view.groups.get(t) == "china_adr"]
        share.loc[adrs] = share.loc[adrs].fillna(adr_share)
    return share


def apply_china(weights: pd.Series, view: AsOfView, params: ChinaParams) -> pd.Series:
    """Scale weights by the China rule and renormalise."""
    if weights.empty or (
        params.china_power == 0
        and params.max_china_share >= 1
        and params.unknown_china != "exclude"
    ):
        return weights
    share = china_shares(view, list(weights.index), params.adr_china_share, params.china_measure)
    multiplier = china_multiplier(
        share, params.china_power, params.max_china_share, params.unknown_china
    )
    record_china(view, share, multiplier, params)
    return normalise(weights * multiplier)


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
    view.record_scores(share, "china_share")
    unknown = share.isna()
    view.exclude(unknown & (multiplier == 0), "China share unknown (unknown_china: exclude)")
    view.exclude(
        (share > params.max_china_share) & (multiplier == 0),
        f"China revenue share above max_china_share {params.max_china_share:.0%}",
    )
    for ticker, m in multiplier.items():
        if 0 < m < 1:
            known = "unknown, counted as " + params.unknown_china if unknown[ticker] else ""
            shown = known or f"{share[ticker]:.0%}"
            view.tag(ticker, f"China share {shown}: weight x{m:.2f}")
    view.note(
        f"China rule: weight x (1 - China share) ** {params.china_power:g}, "
        f"max share {params.max_china_share:.0%}, unknown shares: {params.unknown_china}"
    )


def record_selection(
    view: AsOfView,
    name: str,
    scores: pd.Series,
    eligible: pd.Series | None,
    params: SelectionParams,
) -> None:
    """Diagnostics of a score-based selection: the scores, the rule, names without a score."""
    view.record_scores(scores, name)
    ok = eligible.reindex(scores.index, fill_value=False) if eligible is not None else None
    n = int(ok.sum()) if ok is not None else len(scores)
    if params.missing == "exclude":
        view.exclude(scores.isna() & (ok if ok is not None else True), f"no {name} score")
    if params.selection == "top_n":
        view.note(f"top {params.top_n} of {n} eligible by {name} score, equal weight")
    elif params.selection == "tilt":
        view.note(f"{n} eligible, weight 1 + {params.tilt_strength:g} x {name} z-score")
    else:
        view.note(f"equal weight over {n} eligible")


def weights_from_scores(
    scores: pd.Series, eligible: pd.Series, params: SelectionParams
) -> pd.Series:
    return select(
        scores, eligible, params.selection, params.top_n, params.tilt_strength, params.missing
    )
