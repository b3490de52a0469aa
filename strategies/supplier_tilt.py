"""SupplierTilt. Article rule: the opportunities sit with the suppliers (chips, chip
equipment, power and energy, data-center builders) more than with the hyperscalers
that spend the capex.

Weights are proportional to ``1 + tilt`` for suppliers, ``1 - tilt`` for hyperscalers and
1 for everyone else (groups from ``data/universes.yaml``). ``tilt: 0`` is equal weight;
``tilt: 1`` drops the hyperscalers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field

from airegime.asof import AsOfView
from airegime.strategy import Params, Strategy
from airegime.weighting import normalise

from .common import SAMPLE_TUNED


class SupplierTiltParams(Params):
    tilt: float = Field(0.5, ge=0, le=1, description="overweight of suppliers vs hyperscalers")


def supplier_score(names: list[str], groups: dict[str, str], suppliers: list[str]) -> pd.Series:
    """+1 for suppliers, -1 for hyperscalers, 0 otherwise."""
    return pd.Series(supplier_score_array(names, groups, suppliers), index=names, dtype=float)


def supplier_score_array(
    names: list[str], groups: dict[str, str], suppliers: list[str]
) -> np.ndarray:
    """:func:`supplier_score` as a float array (one per name)."""
    supplier_set = set(suppliers)
    return np.array(
        [
            1.0 if t in supplier_set else -1.0 if groups.get(t) == "hyperscaler" else 0.0
            for t in names
        ],
        dtype=float,
    )


class SupplierTilt(Strategy):
    """Overweight AI suppliers against the hyperscalers."""

    summary = "overweight chips, equipment, power and data centers vs hyperscalers"
    tuned_on = SAMPLE_TUNED
    Params = SupplierTiltParams

    def target_weights(self, view: AsOfView) -> pd.Series:
        score = supplier_score(view.tradable(), view.groups, view.suppliers)
        view.record_scores(score, "supplier")
        view.note(
            f"weight 1 + {self.params.tilt:g} (suppliers), 1 - {self.params.tilt:g} "
            "(hyperscalers), 1 (others), normalised"
        )
        return normalise(1.0 + self.params.tilt * score)
