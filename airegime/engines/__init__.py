"""Engines: turn a strategy's target weights into fills, values and trades.

``backtrader`` is the reference; ``vector`` gives the same trades and values without
backtrader's bar loop. Each engine module is imported only when it runs, so a run on
the vector engine never loads backtrader.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .contract import EngineResult, EngineSettings, daily_weights, filled_closes

if TYPE_CHECKING:
    from ..data.context import MarketContext
    from ..strategy import Strategy

ENGINES = ("backtrader", "vector")

__all__ = [
    "ENGINES",
    "EngineResult",
    "EngineSettings",
    "daily_weights",
    "filled_closes",
    "run_engine",
]


def run_engine(
    name: str, context: MarketContext, strategy: Strategy, settings: EngineSettings
) -> EngineResult:
    """Run ``backtrader`` (the reference) or ``vector`` (the same trades, much faster)."""
    if name == "vector":
        from .vector_engine import run_vector  # lazy: numpy only

        return run_vector(context, strategy, settings)
    from .backtrader_engine import run_backtrader  # lazy: loads backtrader

    return run_backtrader(context, strategy, settings)
