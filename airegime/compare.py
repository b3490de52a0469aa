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

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import paths
from .config import BacktestConfig, load_config, parse_grid
from .errors import ConfigError, DataError, wording
from .loading import Step, load_prices
from .reports.compare import write_comparison
from .results import RunResult, config_digest, latest_run
from .run import run_backtest
from .stats.comparison import run_labels, unique_names
from .stats.universe_effect import (
    UniverseAnalysis,
    analyse,
    baseline_config,
    is_baseline_for,
    universe_record,
)

#: ``on_progress(done, total, label)``: ``done`` of the ``total`` missing runs are finished;
#: ``label`` is the run starting now ("" once all are done).
Progress = Callable[[int, int, str], None]


def compare(
    items: list,
    results_root: Path | None = None,
    on_step: Step | None = None,
    *,
    overrides: list[str] | None = None,
    vary: list[str] | None = None,
    on_progress: Progress | None = None,
) -> dict:
    """Compare runs given as RunResult objects, run folders or config paths (run if needed).

    The first item is the baseline. ``overrides`` (``KEY=VALUE``, like ``--set``) apply
    to every config; ``vary`` (``KEY=V1,V2``, like a sweep's grid) turns each config into
    one run per combination, in the order given, so a config is compared with itself
    with parameters changed. Runs are labelled by the parameters in which they differ
    (:func:`~airegime.stats.comparison.run_labels`). A config's newest run with the same
    resolved config is reused; missing ones are run, reported through ``on_progress``.
    Returns the report path, the aligned returns, the tables and the runs; see the docs.
    """
    if (overrides or vary) and not any(_is_config(i) for i in items):
        raise ConfigError(
            f"{wording('--set/--vary', 'overrides/vary')} apply to configs; give "
            f"{wording('--configs a.yaml', 'config paths')} (run folders are compared as they are)"
        )
    wanted: list = []
    for item in items:
        if isinstance(item, RunResult):
            wanted.append(item)
        elif _is_config(item):
            wanted += variants(Path(item), overrides or [], vary or [])
        elif (Path(item) / "metrics.json").is_file():
            wanted.append(RunResult.load(item))
        else:
            raise DataError(
                f"{item}: not a run folder (no metrics.json); give "
                "results/<name>/<run id> or a config .yaml"
            )
    if not wanted:
        raise DataError(
            f"compare: give run folders, or {wording('--configs a.yaml b.yaml', 'config paths')}"
        )
    runs = runs_for_configs(wanted, results_root, on_step, on_progress)
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


def _is_config(item: object) -> bool:
    return isinstance(item, str | Path) and Path(item).suffix in (".yaml", ".yml")


@dataclass
class Variant:
    """One config to compare: its file, the overrides that make it, the validated result."""

    path: Path
    overrides: list[str]
    config: BacktestConfig


def variants(path: Path, overrides: list[str], vary: list[str]) -> list[Variant]:
    """``path`` with ``overrides``, once per combination of the ``vary`` values; combinations
    that validate to the same config are one variant."""
    grid = parse_grid(vary, "--vary")
    keys = list(grid)
    found: dict[str, Variant] = {}
    for values in itertools.product(*(grid[k] for k in keys)):
        extra = [f"{k}={json.dumps(v, default=str)}" for k, v in zip(keys, values, strict=True)]
        config = load_config(path, [*overrides, *extra])
        found.setdefault(config_digest(config), Variant(path, [*overrides, *extra], config))
    return list(found.values())


def runs_for_configs(
    items: list,
    results_root: Path | None = None,
    on_step: Step | None = None,
    on_progress: Progress | None = None,
) -> list[RunResult]:
    """Each item as a run: a RunResult as it is; a config path or :class:`Variant` as its
    newest run of the same resolved config, running those that are missing."""
    wanted = [variants(Path(i), [], [])[0] if isinstance(i, str | Path) else i for i in items]
    found: dict[int, RunResult] = {}
    missing: list[int] = []
    for n, item in enumerate(wanted):
        if isinstance(item, RunResult):
            found[n] = item
            continue
        root = results_root or paths.results_dir(paths.project_root(item.path))
        existing = latest_run(root, item.config)
        if existing is not None:
            found[n] = RunResult.load(existing)
        else:
            missing.append(n)
    labels = run_labels([w.config for w in wanted])
    for done, n in enumerate(missing):
        item = wanted[n]
        if on_progress:
            on_progress(done, len(missing), labels[n])

        def step(text: str, label: str = labels[n]) -> None:
            if on_step:
                on_step(f"running {label}: {text}")

        root = results_root or paths.results_dir(paths.project_root(item.path))
        found[n] = run_backtest(item.path, item.overrides, results_root=root, on_step=step)
    if on_progress and missing:
        on_progress(len(missing), len(missing), "")
    return [found[n] for n in range(len(wanted))]


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
