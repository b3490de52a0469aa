"""Strategies with bugs, as a user might write them: the tests check where errors point."""

from __future__ import annotations

import pandas as pd

from airegime import AsOfView, Params, Strategy


class Typo(Strategy):
    """Reads a ticker that is not in the data: a KeyError from pandas."""

    class Params(Params):
        pass

    def target_weights(self, view: AsOfView) -> pd.Series:
        closes = view.closes()
        return closes["NVDAA"].tail(1)  # the bug


class Leveraged(Strategy):
    """Asks for twice the portfolio: weights no long-only portfolio can hold."""

    class Params(Params):
        pass

    def target_weights(self, view: AsOfView) -> pd.Series:
        return pd.Series(2.0, index=view.tradable()[:1])


class BrokenInit(Strategy):
    """Fails while it is created, before any rebalance."""

    class Params(Params):
        pass

    def __init__(self, params=None) -> None:
        super().__init__(params)
        self.lookback = 252 // 0  # the bug


class FirstN(Strategy):
    """Equal weight of the first ``top_n`` tradable names: a parameter the notes know."""

    class Params(Params):
        top_n: int = 3

    def target_weights(self, view: AsOfView) -> pd.Series:
        names = view.tradable()[: self.params.top_n]
        return pd.Series(1.0 / len(names), index=names)
