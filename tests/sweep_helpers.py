"""A strategy that fails on purpose, to test that one bad sweep point stops nothing."""

from __future__ import annotations

import pandas as pd

from airegime import AsOfView, Params, Strategy


class Flaky(Strategy):
    """Equal weight, or an error when ``fail`` is true."""

    class Params(Params):
        fail: bool = False

    def target_weights(self, view: AsOfView) -> pd.Series:
        if self.params.fail:
            raise RuntimeError("this point fails on purpose")
        names = view.tradable()
        return pd.Series(1.0 / len(names), index=names)
