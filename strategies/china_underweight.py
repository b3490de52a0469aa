"""ChinaUnderweight. Article rule: underweight names whose revenue depends on China.

Equal weight over the universe, each name scaled by ``(1 - China share) ** china_power``;
names above ``max_china_share`` are excluded. ``unknown_china`` says what a name
without a disclosed share counts as (zero, the universe median, or excluded);
``adr_china_share`` is the share assumed for the China ADR group (null = unknown).
``china_measure`` picks the share: ``disclosed`` (10-K figures), ``market`` (implied by
each stock's rolling China beta, see :mod:`airegime.data.china_market`) or ``blend``.
"""

from __future__ import annotations

import pandas as pd
from pydantic import Field

from airegime.asof import AsOfView
from airegime.strategy import SeriesNeed, Strategy
from airegime.weighting import normalise

from .common import SAMPLE_TUNED, ChinaParams, apply_china, china_series_needs


class ChinaUnderweightParams(ChinaParams):
    china_power: float = Field(1.0, ge=0, description="weights x (1 - China share) ** power")
    max_china_share: float = Field(0.25, ge=0, le=1, description="exclude names above this")


class ChinaUnderweight(Strategy):
    """Equal weight, scaled down by each name's dependence on Chinese revenue."""

    summary = "equal weight x (1 - China revenue share) ** k, capped at max_china_share"
    tuned_on = SAMPLE_TUNED
    needs = frozenset({"china"})
    Params = ChinaUnderweightParams

    def series_needs(self) -> list[SeriesNeed]:
        return china_series_needs(self.params)

    def target_weights(self, view: AsOfView) -> pd.Series:
        names = view.tradable()
        view.note(f"equal weight over the {len(names)} tradable names, then the China rule")
        return apply_china(normalise(pd.Series(1.0, index=names)), view, self.params)
