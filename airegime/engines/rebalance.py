"""What happens on a rebalance date, independent of the engine that executes it.

Both engines call :func:`decide` (the strategy's weights, cleaned, and its
diagnostics) and :func:`resolve_fill` (which fill rule applies), so the fill rule is
a setting of the engine contract, not of either engine.

Fill rules (``execution.fill`` in a config):

- ``next_close``: orders sized on the signal day's close fill at the next trading
  day's close. The default for close-only data.
- ``next_open``: they fill at the next trading day's open. The default with full
  bars; it needs open prices.
- ``same_close``: they fill at the signal day's own close, which assumes a trader
  could act on a close before it is known. Available only as an explicit choice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from ..asof import AsOfView
from ..errors import ConfigError, StrategyError, user_code
from .orders import clean_weights

FillRule = Literal["next_close", "next_open", "same_close"]
FILL_RULES: tuple[str, ...] = ("next_close", "next_open", "same_close")
FILL_DESCRIPTIONS = {
    "next_close": "orders fill at the next trading day's close",
    "next_open": "orders fill at the next trading day's open",
    "same_close": "orders fill at the signal day's own close (optimistic)",
}


@dataclass
class Decision:
    """The cleaned target weights of one rebalance date, and why (strategy diagnostics)."""

    date: pd.Timestamp
    weights: pd.Series
    diagnostics: dict[str, Any] = field(default_factory=dict)


def resolve_fill(requested: str, has_bars: bool) -> FillRule:
    """``auto`` -> next_open with full bars, next_close with close-only data."""
    if requested == "auto":
        return "next_open" if has_bars else "next_close"
    if requested == "next_open" and not has_bars:
        raise ConfigError(
            "execution.fill: next_open needs open prices, but the data has closes only; "
            "use next_close (or auto)"
        )
    if requested not in FILL_RULES:
        raise ConfigError(
            f"execution.fill: unknown rule {requested!r}; use {', '.join(FILL_RULES)}"
        )
    return requested  # type: ignore[return-value]


def strategy_name(policy: Any) -> str:
    """The name a config gives the strategy (``registered_name``), else its class name."""
    return getattr(policy, "registered_name", None) or type(policy).__name__


def decide(context: Any, policy: Any, date: pd.Timestamp, cash_buffer: float) -> Decision:
    """Call the strategy on the as-of view of ``date`` and clean its weights.

    The diagnostics are what the strategy recorded on its view (scores, exclusions,
    tags, signals, notes; see :class:`~airegime.asof.AsOfView`) plus ``untradable``,
    the universe names without a price on ``date``.
    """
    view = AsOfView(context, date)
    tradable = view.tradable()
    # the user's code: an exception keeps its type, with the strategy and date attached
    with user_code(strategy_name(policy), str(view.date.date()), owner=type(policy).__module__):
        raw = policy.target_weights(view)
    try:
        weights = clean_weights(raw, tradable, cash_buffer)
    except ValueError as exc:
        raise StrategyError(
            f"strategy {strategy_name(policy)}, rebalance {view.date.date()}: {exc}"
        ) from None
    diagnostics = view.diagnostics() if hasattr(view, "diagnostics") else {}
    untradable = sorted(set(view.universe) - set(tradable))
    if untradable:
        diagnostics["untradable"] = untradable
    return Decision(date, weights, diagnostics)
