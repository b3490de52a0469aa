"""The strategy contract: a function of the as-of view returning target weights.

A strategy subclasses :class:`Strategy`, declares its parameters as a pydantic
model named ``Params`` (so YAML and ``--set`` values are validated and unknown
parameters rejected) and implements :meth:`Strategy.target_weights`. It never
sees backtrader: the engine calls it on each rebalance date with an
:class:`~airegime.asof.AsOfView` that holds only what was knowable then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd
from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from .asof import AsOfView


class Params(BaseModel):
    """Base of every strategy's parameter model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Strategy:
    """Base class: subclasses set ``Params`` and implement ``target_weights``."""

    Params: ClassVar[type[Params]] = Params
    #: One line shown by ``airegime list strategies``.
    summary: ClassVar[str] = ""
    #: Reference data the strategy reads: any of "fundamentals", "china", "regimes".
    needs: ClassVar[frozenset[str]] = frozenset()
    #: Price series loaded beside the universe (regime signals), e.g. ("SPY", "TLT").
    extra_series: ClassVar[tuple[str, ...]] = ()

    def __init__(self, params: Params | dict[str, Any] | None = None) -> None:
        if isinstance(params, Params):
            self.params = params
        else:
            self.params = self.Params.model_validate(params or {})

    def target_weights(self, view: AsOfView) -> pd.Series:
        """Weights by ticker (non-negative, summing to at most 1) for the date of ``view``."""
        raise NotImplementedError

    def run_notes(self) -> list[str]:
        """Warnings a run on these parameters must show (e.g. inputs chosen with hindsight)."""
        return []

    def describe(self) -> str:
        """The strategy and its parameters, as shown in titles and reports."""
        args = ", ".join(f"{k}={v}" for k, v in self.params.model_dump().items())
        return f"{type(self).__name__}({args})"
