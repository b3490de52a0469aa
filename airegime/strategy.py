"""The strategy contract: a function of the as-of view returning target weights.

A strategy subclasses :class:`Strategy`, declares its parameters as a pydantic
model named ``Params`` (so YAML and ``--set`` values are validated and unknown
parameters rejected) and implements :meth:`Strategy.target_weights`. It never
sees backtrader: the engine calls it on each rebalance date with an
:class:`~airegime.asof.AsOfView` that holds only what was knowable then.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd
from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from .asof import AsOfView


class Params(BaseModel):
    """Base of every strategy's parameter model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class SeriesNeed:
    """Price series one rule of a strategy reads beside the universe.

    The rule needs every ticker of ``series`` and, when ``any_of`` is given, at least
    one of those (alternatives such as KWEB, FXI or MCHI for China equities). A run
    whose price source lacks them stops with one line naming ``rule`` and ``fix``.
    """

    #: What reads the series, as a user would find it: ``china_measure: market``.
    rule: str
    series: tuple[str, ...] = ()
    any_of: tuple[str, ...] = ()
    #: How to run without them (a parameter that turns the rule off), if there is one.
    fix: str = ""


class Strategy:
    """Base class: subclasses set ``Params`` and implement ``target_weights``."""

    Params: ClassVar[type[Params]] = Params
    #: One line shown by ``airegime list strategies``.
    summary: ClassVar[str] = ""
    #: Reference data the strategy reads: any of "fundamentals", "china", "regimes".
    needs: ClassVar[frozenset[str]] = frozenset()
    #: Price series loaded beside the universe whatever the parameters, e.g. ("SPY", "TLT");
    #: a strategy whose parameters decide overrides :meth:`series_needs` instead.
    extra_series: ClassVar[tuple[str, ...]] = ()

    def __init__(self, params: Params | dict[str, Any] | None = None) -> None:
        if isinstance(params, Params):
            self.params = params
        else:
            self.params = self.Params.model_validate(params or {})

    def series_needs(self) -> list[SeriesNeed]:
        """The price series the rules in use read beside the universe, with those rules.

        Only these are loaded for the strategy, and each is required: a run whose price
        source lacks one stops before it starts. The default is :attr:`extra_series`,
        needed by the strategy as a whole.
        """
        if not self.extra_series:
            return []
        return [SeriesNeed(f"{type(self).__name__} (extra_series)", tuple(self.extra_series))]

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
