"""Equal weight: the baseline every article strategy is compared against."""

from __future__ import annotations

import pandas as pd

from airegime.asof import AsOfView
from airegime.strategy import Params, Strategy


class EqualWeight(Strategy):
    """Hold every tradable name of the universe in equal weight, rebalanced on schedule."""

    summary = "equal weight over every tradable name of the universe (the baseline)"

    class Params(Params):
        pass

    def target_weights(self, view: AsOfView) -> pd.Series:
        names = view.tradable()
        view.note(f"equal weight over the {len(names)} tradable names")
        return pd.Series(1.0 / len(names), index=names) if names else pd.Series(dtype=float)
