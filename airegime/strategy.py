"""The strategy contract: a function of the as-of view returning target weights.

A strategy subclasses :class:`Strategy`, declares its parameters as a pydantic
model named ``Params`` (so YAML and ``--set`` values are validated and unknown
parameters rejected) and implements :meth:`Strategy.target_weights`. It never
sees backtrader: the engine calls it on each rebalance date with an
:class:`~airegime.asof.AsOfView` that holds only what was knowable then.
"""

from __future__ import annotations

import datetime as dt
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


@dataclass(frozen=True)
class TunedOn:
    """The data on which a strategy's defaults were chosen (by hand or by a sweep).

    A run on that data and window is in-sample for those choices: its result shows how
    well they fit the sample, not how well the rule works elsewhere. Reports say so
    (:meth:`note`), and the sweep says that its trial count leaves these earlier tries out.
    """

    #: ``data.source`` of the runs the choices were made on (e.g. ``"sample"``).
    source: str
    start: dt.date
    end: dt.date
    #: What was chosen, in words (e.g. "its default parameters and regime thresholds").
    what: str = "its default parameters"
    #: The data in words (e.g. "the bundled sample").
    data: str = "the bundled sample"

    def overlap(self, source: str, start: dt.date, end: dt.date) -> tuple[dt.date, dt.date] | None:
        """The days of ``start..end`` on ``source`` that the choices saw (None: no overlap)."""
        first, last = max(start, self.start), min(end, self.end)
        return (first, last) if source == self.source and first <= last else None

    def note(self, strategy: str, source: str, start: dt.date, end: dt.date) -> str | None:
        """One line for a run of ``strategy`` on ``source`` over ``start..end``, or None."""
        span = self.overlap(source, start, end)
        if span is None:
            return None
        return (
            f"{strategy}: {self.what} were chosen on {self.data} ({self.start}..{self.end}); "
            f"this run uses that data over {span[0]}..{span[1]}, so its result there is "
            "in-sample, not a test of the rule"
        )


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
    #: Where the defaults were chosen (None: no tuned parameter, e.g. equal weight). A run
    #: on that data and window is then in-sample, and the compare, sweep and factor pages
    #: say so.
    tuned_on: ClassVar[TunedOn | None] = None

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

    def param_notes(self, universe: list[str]) -> list[str]:
        """Notes on parameter values that cannot act on ``universe`` (a note, not an error).

        The default looks at parameters by their conventional names, nested ones
        included: a ``top_n`` (or ``*_top_n``) above the number of names selects every
        eligible name; ``max_china_share: 0`` with ``unknown_china: exclude`` leaves only
        names that disclose no China revenue at all. Override it to add your own.
        """
        notes = []
        for path, params in _param_models(self.params):
            values = params.model_dump()
            for key, value in values.items():
                too_many = isinstance(value, int) and not isinstance(value, bool)
                if key.endswith("top_n") and too_many and value > len(universe):
                    notes.append(
                        f"strategy.params.{path}{key}={value} is above the {len(universe)} "
                        "names of the universe: every eligible name is held"
                    )
            if values.get("max_china_share") == 0 and values.get("unknown_china") == "exclude":
                notes.append(
                    f"strategy.params.{path}max_china_share=0 with unknown_china: exclude "
                    "excludes every name except those that disclose no China revenue"
                )
        return notes

    def describe(self) -> str:
        """The strategy and its parameters, as shown in titles and reports."""
        args = ", ".join(f"{k}={v}" for k, v in self.params.model_dump().items())
        return f"{type(self).__name__}({args})"


def _param_models(params: BaseModel, path: str = "") -> list[tuple[str, BaseModel]]:
    """``params`` and every parameter model nested in it, with the key path to each."""
    found = [(path, params)]
    for key in type(params).model_fields:
        value = getattr(params, key)
        if isinstance(value, BaseModel):
            found += _param_models(value, f"{path}{key}.")
    return found
