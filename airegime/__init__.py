"""airegime: backtests of AI-era equity strategies on backtrader, with quantstats tear sheets.

The public API is small:

- :func:`run_backtest` runs a YAML config (or a loaded :class:`BacktestConfig`)
  and returns a :class:`RunResult` with returns, weights, trades, metrics and paths.
- :func:`load_config` reads and validates a config, with ``--set`` style overrides.
- :func:`run_sweep` runs (or resumes) a parameter grid and ranks it;
  :func:`compare` writes one HTML report comparing runs, run folders or configs.
- :class:`Strategy`, :class:`Params` and :func:`register` define new strategies;
  :class:`AsOfView` is what a strategy sees on a rebalance date.
"""

from __future__ import annotations

from . import quiet as _quiet  # noqa: F401  (selects the Agg backend first)
from .asof import AsOfView, MarketContext
from .config import BacktestConfig, load_config
from .errors import AiregimeError, ConfigError, DataError
from .registry import register, registered
from .results import RunResult
from .run import run_backtest
from .strategy import Params, Strategy
from .sweep import SweepResult, run_sweep

__version__ = "0.1.0"


def compare(items: list, results_root=None) -> dict:
    """Compare runs given as RunResult objects, run folders or config paths (run if needed).

    Returns the report path, the aligned returns and the tables; see the README.
    """
    from pathlib import Path

    from . import paths
    from .compare import runs_for_configs
    from .compare_report import write_comparison

    runs = []
    for item in items:
        if isinstance(item, RunResult):
            runs.append(item)
        elif Path(item).suffix in (".yaml", ".yml"):
            runs += runs_for_configs([item], results_root)
        else:
            runs.append(RunResult.load(item))
    root = paths.project_root()
    return write_comparison(
        runs,
        (results_root or paths.results_dir(root)) / "compare",
        paths.data_dir(root) / "regimes.yaml",
    )


__all__ = [
    "AiregimeError",
    "AsOfView",
    "BacktestConfig",
    "ConfigError",
    "DataError",
    "MarketContext",
    "Params",
    "RunResult",
    "Strategy",
    "SweepResult",
    "compare",
    "load_config",
    "register",
    "registered",
    "run_backtest",
    "run_sweep",
]
