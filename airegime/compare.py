"""Compare runs: the public :func:`compare`, which finds or runs what is missing and
writes the comparison page.

Runs are given as :class:`~airegime.results.RunResult` objects, run folders or config
paths; a config's newest run with the same resolved config is reused, and a missing
one is run. Each run is also set against equal weight on its own universe (a compared
run, else a stored one, else one run now). The numbers come from
:mod:`airegime.stats.comparison` and :mod:`airegime.stats.universe_effect`; the page
from :mod:`airegime.reports.compare`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import paths
from .config import load_config
from .errors import DataError
from .loading import Step, load_prices
from .reports.compare import write_comparison
from .results import RunResult, latest_run
from .run import run_backtest
from .stats.comparison import unique_names
from .stats.universe_effect import (
    UniverseAnalysis,
    analyse,
    baseline_config,
    is_baseline_for,
    universe_record,
)


def compare(items: list, results_root: Path | None = None, on_step=None) -> dict:
    """Compare runs given as RunResult objects, run folders or config paths (run if needed).

    The first item is the baseline. Returns the report path, the aligned returns, the
    tables and the runs; see the README.
    """
    runs = []
    for item in items:
        if isinstance(item, RunResult):
            runs.append(item)
        elif Path(item).suffix in (".yaml", ".yml"):
            runs += runs_for_configs([item], results_root, on_step)
        elif (Path(item) / "metrics.json").is_file():
            runs.append(RunResult.load(item))
        else:
            raise DataError(
                f"{item}: not a run folder (no metrics.json); give "
                "results/<name>/<run id> or a config .yaml"
            )
    if not runs:
        raise DataError("compare: give run folders, or --configs a.yaml b.yaml")
    if on_step:
        on_step("writing report")
    universes = universe_analysis(runs, unique_names(runs), results_root, on_step)
    root = paths.project_root()
    out = write_comparison(
        runs,
        (results_root or paths.results_dir(root)) / "compare",
        paths.data_dir(root) / "regimes.yaml",
        universes,
    )
    out["runs"] = runs
    return out


def runs_for_configs(configs: list, results_root=None, on_step=None) -> list[RunResult]:
    """The newest run of each config (same resolved config), running those that are missing."""
    runs = []
    for path in configs:
        config = load_config(path)
        root = results_root or paths.results_dir(paths.project_root(Path(path)))
        existing = latest_run(root, config)
        if existing is not None:
            runs.append(RunResult.load(existing))
            continue
        if on_step:
            on_step(f"running {Path(path).name}")
        runs.append(run_backtest(path, results_root=root))
    return runs


def baselines_for(
    runs: list[RunResult], results_root: Path | None = None, on_step: Step | None = None
) -> list[RunResult]:
    """Each run's equal-weight baseline: a compared run, else a stored run, else a new run."""
    root = results_root or paths.results_dir(paths.project_root())
    found: list[RunResult] = []
    for run in runs:
        match = next((r for r in [*runs, *found] if is_baseline_for(r.config, run.config)), None)
        if match is None:
            config = baseline_config(run.config)
            existing = latest_run(root, config)
            if existing is not None:
                match = RunResult.load(existing)
            else:
                if on_step:
                    on_step(f"running equal weight on {universe_record(run)['name']}")
                match = run_backtest(config, results_root=root)
        found.append(match)
    return found


def sector_returns(run: RunResult, ticker: str) -> pd.Series:
    """Daily returns of ``ticker`` (the universe's sector ETF) from the run's price source."""
    root = paths.project_root()
    close = load_prices(run.config, [ticker], root).close[ticker]
    return close.pct_change(fill_method=None).rename(ticker)


def universe_analysis(
    runs: list[RunResult],
    names: list[str],
    results_root: Path | None = None,
    on_step: Step | None = None,
) -> UniverseAnalysis:
    """The universe section's numbers: each run against its equal-weight baseline (found
    or run) and the universe effect against the sector ETF."""
    return analyse(runs, names, baselines_for(runs, results_root, on_step), sector_returns)
