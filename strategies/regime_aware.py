"""RegimeAware. Article rule: regimes matter (the AI boom, capex doubts, China catch-up
shocks, and rising rates as the danger for indebted companies).

Each rebalance blends a growth stance (equal weight, or momentum over the universe) with
the defensive ArticleComposite. The defensive share grows by ``blend_step`` for each
active signal (``mode: switch``: all-in on any signal):

- capex doubts: the universe's equal-weight basket is more than ``drawdown_threshold``
  below its one-year high, or trails SPY by more than ``relative_threshold`` over
  ``signal_days``;
- China catching up: KWEB beats SOXX by more than ``china_threshold`` over ``signal_days``;
- with ``use_events: true`` only, a shock event of ``data/regimes.yaml`` (china_shock,
  capex_doubt, macro_shock) dated in the last ``event_window_days``. Off by default: the
  event list was compiled after the fact, by someone who knew which days mattered, so
  trading on it flatters the backtest; the run says so when it is on. Per-regime tables
  use the events either way, as description.

In a rising-rate regime (TLT down more than ``rate_threshold`` over ``rate_days``) the
composite's balance-sheet weight is multiplied by ``rate_boost``. Signals use prices up to
the rebalance date; events count from their own date.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

import pandas as pd
from pydantic import Field

from airegime.asof import AsOfView
from airegime.data.regimes import basket, drawdown, trailing_return
from airegime.strategy import Params, SeriesNeed, Strategy
from airegime.weighting import normalise, select, top_n_tie

from .common import SAMPLE_TUNED, china_series_needs
from .composite import CompositeParams, composite_weights, kept_rules_key

SHOCKS = {"china_shock", "capex_doubt", "macro_shock"}


class RegimeParams(Params):
    growth: Literal["equal", "momentum"] = Field("momentum", description="the growth stance")
    momentum_days: int = Field(126, ge=5, description="momentum lookback (trading days)")
    momentum_top_n: int = Field(10, ge=1, description="names held by the momentum stance")
    mode: Literal["blend", "switch"] = Field(
        "blend", description="blend: blend_step per signal; switch: all-in on any signal"
    )
    blend_step: float = Field(0.5, gt=0, le=1, description="defensive share per signal")
    signal_days: int = Field(63, ge=5, description="window of the relative signals")
    drawdown_threshold: float = Field(0.15, gt=0, description="AI basket drawdown for doubt")
    relative_threshold: float = Field(0.08, gt=0, description="AI basket lag vs SPY for doubt")
    china_threshold: float = Field(0.10, gt=0, description="KWEB lead over SOXX for catch-up")
    use_events: bool = Field(
        False, description="also trade on the dated shock events (compiled after the fact)"
    )
    event_window_days: int = Field(60, ge=0, description="calendar days a shock event lasts")
    rate_days: int = Field(126, ge=5, description="window of the rate signal")
    rate_threshold: float = Field(0.05, gt=0, description="TLT fall that means rising rates")
    rate_boost: float = Field(2.0, ge=1, description="balance-sheet weight x in rising rates")
    composite: CompositeParams = Field(default_factory=CompositeParams)


def regime_signals(view: AsOfView, p: RegimeParams) -> dict[str, bool]:
    """Which regime signals are on at the view's date (pure function of the view)."""
    ai = basket(view.closes(lookback=260))
    spy, soxx, kweb, tlt = (
        view.series(t, lookback=max(p.rate_days, p.signal_days) + 1)
        for t in ("SPY", "SOXX", "KWEB", "TLT")
    )
    n = p.signal_days
    measured = {
        "ai_drawdown": drawdown(ai, 252),
        "ai_vs_spy": trailing_return(ai, n) - trailing_return(spy, n),
        "kweb_vs_soxx": trailing_return(kweb, n) - trailing_return(soxx, n),
        "tlt_return": trailing_return(tlt, p.rate_days),
    }
    for name, value in measured.items():
        view.signal(name, value)
    capex_doubt = (
        measured["ai_drawdown"] < -p.drawdown_threshold
        or measured["ai_vs_spy"] < -p.relative_threshold
    )
    china = measured["kweb_vs_soxx"] > p.china_threshold
    regimes = view.extra("regimes")
    since = view.date - pd.Timedelta(days=p.event_window_days)
    events = regimes.events_between(since, view.date, SHOCKS) if regimes and p.use_events else []
    shock = bool(events)
    if shock:
        view.signal("shock_events", "; ".join(f"{e.name} ({e.date.date()})" for e in events))
    rising_rates = measured["tlt_return"] < -p.rate_threshold
    return {
        "capex_doubt": bool(capex_doubt),
        "china_catch_up": bool(china),
        "shock_event": shock,
        "rising_rates": bool(rising_rates),
    }


def defensive_share(signals: dict[str, bool], p: RegimeParams) -> float:
    active = sum(signals[k] for k in ("capex_doubt", "china_catch_up", "shock_event"))
    if p.mode == "switch":
        return 1.0 if active else 0.0
    return min(1.0, active * p.blend_step)


def growth_weights(view: AsOfView, p: RegimeParams) -> pd.Series:
    """The growth stance: equal weight, or the ``momentum_top_n`` names by trailing
    return (ties at the boundary share the slots left, as in every top-N selection)."""
    names = view.tradable()
    if p.growth == "equal" or not names:
        return normalise(pd.Series(1.0, index=names))
    closes = view.closes(names, lookback=p.momentum_days + 1)
    momentum = closes.iloc[-1] / closes.iloc[0] - 1
    view.record_scores(momentum, "momentum")
    tie = top_n_tie(momentum, p.momentum_top_n)
    view.record_selection(
        "momentum",
        "top_n",
        p.momentum_top_n,
        {"names": list(tie.names), "slots": tie.slots, "value": tie.score} if tie else None,
    )
    view.note(f"growth stance: top {p.momentum_top_n} by {p.momentum_days}-day return")
    return select(momentum, method="top_n", top_n=p.momentum_top_n)


def record_growth_coverage(view: AsOfView, growth: pd.Series, defensive: pd.Series) -> None:
    """Record names held through the growth stance alone as scored on 1 of 1 component:
    they were chosen on momentum, known for every name it holds (or by equal weight, which
    scores nothing), whatever the composite could see. Names the composite leg holds keep
    the composite's record, so their whole weight counts as uncovered when it lacked a
    rule (the growth part included: the conservative side)."""
    only_growth = growth.index[(growth > 0) & ~growth.index.isin(defensive.index[defensive > 0])]
    view.record_components(pd.Series(1, index=only_growth), 1)


class RegimeAware(Strategy):
    """Growth stance in calm markets, the article's composite when regimes turn."""

    summary = "blend momentum/equal weight with the composite on capex, China, rate regimes"
    tuned_on = replace(SAMPLE_TUNED, what="its default parameters and regime thresholds")
    needs = frozenset({"fundamentals", "china", "regimes"})
    Params = RegimeParams

    def series_needs(self) -> list[SeriesNeed]:
        """The regime signals read SPY, KWEB, SOXX and TLT on every rebalance date; the
        composite leg reads what its China rule needs."""
        return [
            SeriesNeed("the capex-doubt signal (AI basket against SPY)", ("SPY",)),
            SeriesNeed("the China catch-up signal (KWEB against SOXX)", ("KWEB", "SOXX")),
            SeriesNeed("the rising-rates signal (TLT over rate_days)", ("TLT",)),
            *china_series_needs(self.params.composite, "composite."),
        ]

    def run_notes(self) -> list[str]:
        if not self.params.use_events:
            return []
        return [
            "hindsight: use_events trades on the dated events of data/regimes.yaml, a list "
            "compiled after the fact by someone who knew which days mattered"
        ]

    def target_weights(self, view: AsOfView) -> pd.Series:
        signals = regime_signals(view, self.params)
        share = defensive_share(signals, self.params)
        boost = self.params.rate_boost if signals["rising_rates"] else 1.0
        for name, on in signals.items():
            view.signal(name, on)
        view.signal("defensive_share", share)
        view.signal("balance_sheet_boost", boost)
        view.note(
            f"{1 - share:.0%} growth stance ({self.params.growth}), {share:.0%} defensive "
            f"composite ({self.params.mode}: "
            f"{', '.join(k for k, v in signals.items() if v) or 'no signal on'})"
        )
        growth = growth_weights(view, self.params) * (1 - share)
        if share == 0:  # the composite would get no weight: skip it (same weights, faster)
            record_growth_coverage(view, growth, pd.Series(dtype=float))
            return normalise(growth)
        key = kept_rules_key(self, self.params.composite)
        defensive = composite_weights(view, self.params.composite, boost, key) * share
        record_growth_coverage(view, growth, defensive)
        return normalise(growth.add(defensive, fill_value=0.0))
