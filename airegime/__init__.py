"""airegime: backtests of AI-era equity strategies on backtrader, with quantstats tear sheets.

The public API is small:

- :func:`run_backtest` runs a YAML config (or a loaded :class:`BacktestConfig`)
  and returns a :class:`RunResult` with returns, weights, trades, metrics and paths.
- :func:`load_config` reads and validates a config, with ``--set`` style overrides.
- :func:`run_sweep` runs (or resumes) a parameter grid and ranks it;
  :func:`compare` writes one HTML report comparing runs, run folders or configs;
  :func:`explain` says why a run held what it held on a date; :func:`factors` measures
  every score a strategy records against the returns that follow (factors.html).
- :class:`Strategy`, :class:`Params` and :func:`register` define new strategies
  (:class:`SeriesNeed`: the price series a rule reads beside the universe);
  :class:`AsOfView` is what a strategy sees on a rebalance date.
"""

from __future__ import annotations

from . import quiet as _quiet  # noqa: F401  (selects the Agg backend first)
from .asof import AsOfView
from .compare import compare
from .config import BacktestConfig, load_config
from .data.context import MarketContext
from .errors import AiregimeError, ConfigError, DataError
from .explain import explain
from .factors import factors
from .registry import register, registered
from .results import RunResult
from .run import run_backtest
from .stats.factors import FactorReport
from .strategy import Params, SeriesNeed, Strategy
from .sweep import SweepResult, run_sweep

__version__ = "0.1.0"


__all__ = [
    "AiregimeError",
    "AsOfView",
    "BacktestConfig",
    "ConfigError",
    "DataError",
    "FactorReport",
    "MarketContext",
    "Params",
    "RunResult",
    "SeriesNeed",
    "Strategy",
    "SweepResult",
    "compare",
    "explain",
    "factors",
    "load_config",
    "register",
    "registered",
    "run_backtest",
    "run_sweep",
]
