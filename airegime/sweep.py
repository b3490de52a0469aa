"""Parameter sweeps: a grid of configs, run in parallel, resumable, ranked.

A sweep lives in ``results/<name>/sweep-<hash>/`` where the hash covers the base config,
the grid and every option that changes the results (metric, split, walk-forward,
confirmed points, tear sheets; recorded in ``sweep.yaml``), so running the same command
again finds it and skips every point whose run folder is complete, and a sweep with other
settings never writes over it. Each point is a normal run folder under ``points/``; it is
written to a temporary folder and renamed into place when complete, so an interrupted
point leaves nothing that looks finished. Prices and reference data are loaded once per
sweep and handed to the workers (local processes, or a Dask cluster); the first point
runs before the workers start, so what the as-of views memoise (fundamentals metrics,
China shares, tradable names per date) is computed once and shared by every worker.

Points are screened on the vector engine by default; the best ``confirm`` points are then
run again on backtrader, the reference, and their run folders replaced by backtrader's.
If the two engines disagree on a confirmed point the sweep stops with an error. The
ranking's ``engine`` column says which engine produced each row's figures.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from . import paths
from .config import BacktestConfig, apply_overrides, load_config, parse_grid, validate_config
from .data.cache import atomic_write, atomic_write_text
from .data.context import MarketContext
from .data.yaml_reader import dump_yaml
from .engines import run_engine
from .engines.vector_engine import reconcile
from .errors import (
    AiregimeError,
    ConfigError,
    Interrupted,
    StrategyError,
    describe,
    did_you_mean,
    user_date,
    wording,
)
from .loading import check_window, load_context
from .reports.sweep import ranking_html
from .results import check_writable, staged_dir, unique_dir
from .run import backtest, engine_settings, write_reports
from .stats.metrics import METRIC_NAMES, base_before, infer_periods_per_year, performance
from .stats.overfitting import (
    deflated_sharpe_ratio,
    probability_of_backtest_overfitting,
    reading,
    sharpe,
    superior_predictive_ability,
    walk_forward,
)
from .stats.universe_effect import baseline_config

#: Metrics where smaller is better; every other metric is ranked descending.
LOWER_IS_BETTER = {"volatility", "turnover", "turnover_incl_initial"}
ProgressCallback = Callable[[int, int, str, str | None], None]


@dataclass
class SweepPoint:
    """One validated config of the grid, named by the hash of its resolved config."""

    point_id: str
    params: dict[str, Any]
    config: dict[str, Any]
    #: Other grid combinations that validated to the same config (shown in a note).
    aliases: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SweepResult:
    """The ranking of a sweep, its overfitting report and where they were written."""

    directory: Path
    ranking: pd.DataFrame
    report: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    skipped: int = 0
    #: What the user should know about the grid (combinations merged into one point).
    notes: list[str] = field(default_factory=list)


def expand(base: dict[str, Any], grid: dict[str, list[Any]], source: str) -> list[SweepPoint]:
    """Every combination of the grid applied to ``base``, validated like any config.

    Combinations that validate to the same config (``top_n`` given as 5, 5.0 and 05) are
    one point: it runs once and counts once in the ranking and every statistic; the
    others are kept in its ``aliases``.
    """
    keys = list(grid)
    points: dict[str, SweepPoint] = {}
    for values in itertools.product(*(grid[k] for k in keys)):
        params = dict(zip(keys, values, strict=True))
        raw = apply_overrides(
            base, [f"{k}={json.dumps(v, default=str)}" for k, v in params.items()]
        )
        raw["sweep"] = None
        config = validate_config(raw, f"{source} (grid point {params})").snapshot()
        # The engine is not part of a point's identity: both give the same answer.
        identity = {k: v for k, v in config.items() if k != "engine"}
        digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:10]
        point_id = f"p-{digest}"
        if point_id in points:
            points[point_id].aliases.append(params)
            continue
        points[point_id] = SweepPoint(point_id, params, config)
    return list(points.values())


def merged_notes(points: list[SweepPoint]) -> list[str]:
    """One note per point that several grid combinations validated to."""
    notes = []
    for point in points:
        if point.aliases:
            written = "; ".join(
                ", ".join(f"{k}={v!r}" for k, v in params.items())
                for params in [point.params, *point.aliases]
            )
            notes.append(
                f"{len(point.aliases) + 1} grid combinations are the same config after "
                f"validation ({written}): one point, run and counted once"
            )
    return notes


def sweep_id(
    base: dict[str, Any], grid: dict[str, list[Any]], settings: dict[str, Any] | None = None
) -> str:
    """The hash that names a sweep's folder: the base config (not its engine), the grid
    and the ``settings`` that change what the sweep writes (:func:`sweep_settings`)."""
    base = {k: v for k, v in base.items() if k != "engine"}
    payload: dict[str, Any] = {"base": base, "grid": grid}
    if settings:
        payload["settings"] = settings
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:8]


def sweep_settings(
    metric: str,
    split: str | None,
    walk_forward_days: tuple[int, int] | None,
    engine: str,
    confirm: int,
    tearsheets: bool,
) -> dict[str, Any]:
    """Every option besides the config and grid that changes a sweep's results: its
    ranking, overfitting report or point folders. The engine alone does not (both give the
    same figures, so switching engines resumes a sweep); the points it confirms on
    backtrader do (none when every point runs on backtrader)."""
    return {
        "metric": metric,
        "split": split,
        "walk_forward": list(walk_forward_days) if walk_forward_days else None,
        "confirm": confirm if engine == "vector" else 0,
        "tearsheets": tearsheets,
    }


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def sweep_directory(parent: Path, sid: str, grid: dict[str, Any], settings: dict[str, Any]) -> Path:
    """The folder of a sweep: ``sweep-<id>``, resumed when it was made by the same sweep
    (its ``sweep.yaml`` records the same grid and settings, or it has none yet). A folder
    of that name that records anything else is never written into: the sweep goes to a
    new ``<timestamp>-sweep-<id>`` folder (:func:`~airegime.results.unique_dir`)."""
    candidates = [parent / f"sweep-{sid}", *sorted(parent.glob(f"*-sweep-{sid}"))]
    for folder in candidates:
        if not folder.exists():
            continue
        record = folder / "sweep.yaml"
        if not record.is_file():
            return folder
        recorded = yaml.safe_load(record.read_text(encoding="utf-8")) or {}
        if _canonical([recorded.get("grid"), recorded.get("settings")]) == _canonical(
            [grid, settings]
        ):
            return folder
    if not candidates[0].exists():
        return candidates[0]
    return unique_dir(parent, f"sweep-{sid}")


# --- the work of one point (runs in a worker) ---------------------------------------------

_CONTEXT: dict[str, MarketContext] = {}


def _init_worker(context: MarketContext) -> None:
    import gc

    _ignore_interrupts()
    _CONTEXT["context"] = context
    # The context and its memo, inherited from the parent, live as long as the worker:
    # leave them out of the garbage collector's scans, and scan the young objects a
    # point leaves less often (a tenth of a sweep point's time otherwise).
    gc.freeze()
    gc.set_threshold(20_000, 50, 50)


def run_point(
    config: dict[str, Any], point_dir: str, tearsheet: bool, context: MarketContext | None = None
) -> dict[str, Any]:
    """Run one grid point into ``point_dir`` (atomically, like a run); never raises."""
    final = Path(point_dir)
    try:
        cfg = validate_config(config, str(final / "config.yaml"))
        context = context or _CONTEXT["context"]
        result = backtest(cfg, context, str(final))
        with staged_dir(final) as tmp:
            result.save(tmp)
            if tearsheet:  # the portfolio page and tear sheet, as a normal run writes them
                write_reports(result, context, tmp)
        return {"point": final.name, "error": None}
    except FileExistsError:
        if (final / "metrics.json").is_file():  # another run finished this point first
            return {"point": final.name, "error": None}
        if final.exists():  # never overwrite a folder this sweep did not make
            error = f"{final} exists but is incomplete; remove it to run this point again"
        else:
            error = f"{final} is being written by another sweep at the same time"
        return {"point": final.name, "error": error}
    except Exception as exc:  # noqa: BLE001 - a failing point must not stop the sweep
        return {"point": final.name, "error": describe(exc)}


class EngineMismatch(AiregimeError):
    """The vector engine and backtrader disagree on a point: a bug in the vector engine."""


def confirm_point(
    point: SweepPoint, context: MarketContext, point_dir: Path, tearsheet: bool
) -> None:
    """Run a point on backtrader and on the vector engine; keep backtrader's run folder.

    Raises :class:`EngineMismatch` if their trades or daily values differ.
    """
    cfg = validate_config({**point.config, "engine": "backtrader"}, str(point_dir))
    settings = engine_settings(cfg)
    try:
        reference = run_engine("backtrader", context, cfg.build_strategy(), settings)
        vector = run_engine("vector", context, cfg.build_strategy(), settings)
    except StrategyError as exc:
        raise StrategyError(f"{point_dir}: {exc}") from None
    difference = reconcile(reference, vector)
    if difference:
        raise EngineMismatch(
            f"sweep point {point.point_id} {point.params}: the vector engine and backtrader "
            f"disagree ({difference}); rerun the sweep with --engine backtrader and report "
            "this as a bug"
        )
    result = backtest(cfg, context, str(point_dir), engine_result=reference)
    with staged_dir(point_dir, replace=True) as tmp:
        result.save(tmp)
        if tearsheet:
            write_reports(result, context, tmp)


#: The confirmations a pool forked by :func:`confirm_points` runs (inherited, not pickled).
_CONFIRMATIONS: list[tuple] = []


def _confirm_one(i: int) -> None:
    confirm_point(*_CONFIRMATIONS[i])


def confirm_points(
    items: list[tuple], workers: int, meanwhile: Callable[[], None] | None = None
) -> None:
    """:func:`confirm_point` of each ``(point, context, folder, tearsheet)``; on up to
    ``workers`` processes forked from this one (their contexts' memos stay warm), else
    one after the other. The first mismatch or error is raised here.

    ``meanwhile``: work for this process while the forked ones confirm (after they are
    forked, so nothing it starts is inherited), or after the confirmations."""
    import multiprocessing as mp

    if workers <= 1 or len(items) <= 1 or "fork" not in mp.get_all_start_methods():
        for item in items:
            confirm_point(*item)
        if meanwhile:
            meanwhile()
        return
    from concurrent.futures import ProcessPoolExecutor

    _CONFIRMATIONS[:] = items
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(items)),
        mp_context=mp.get_context("fork"),
        initializer=_ignore_interrupts,
    )
    try:
        # a fork pool starts all its processes at the first submit
        futures = [pool.submit(_confirm_one, i) for i in range(len(items))]
        if meanwhile and _free_core(futures, workers):
            meanwhile()
        for future in futures:
            future.result()
    except BaseException:
        _stop(pool)
        raise
    finally:
        _CONFIRMATIONS.clear()
    pool.shutdown(wait=True)


def _free_core(futures: list[Any], workers: int) -> bool:
    """Wait until fewer confirmations are left than processes (a core is free): True, or
    False as soon as one failed (its error is raised at once, nothing else is started)."""
    from concurrent.futures import as_completed

    finished = as_completed(futures)
    for _ in range(len(futures) - min(workers, len(futures)) + 1):
        if next(finished).exception() is not None:
            return False
    return True


def _stop(pool: Any) -> None:
    """End a process pool now: pending work cancelled, its processes terminated."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()


def _ignore_interrupts() -> None:
    """In a worker: Ctrl-C is the parent's to handle, and its terminate() ends us at once."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def point_engine(folder: Path) -> str:
    """The engine that produced a point's run folder (older folders: backtrader)."""
    for line in (folder / "config.yaml").read_text(encoding="utf-8").splitlines():
        if line.startswith("engine:"):
            return line.split(":", 1)[1].strip()
    return "backtrader"


# --- executors ----------------------------------------------------------------------------


def _run_local(
    jobs: list[tuple], context: MarketContext, workers: int, on_done: Callable[[dict], None]
) -> None:
    if workers <= 1 or len(jobs) <= 1:
        for config, point_dir, tearsheet in jobs:
            on_done(run_point(config, point_dir, tearsheet, context))
        return
    # The first point runs here, so the workers forked below inherit a warm memo.
    on_done(run_point(*jobs[0], context))
    jobs = jobs[1:]
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=mp.get_context(method),
        initializer=_init_worker,
        initargs=(context,),
    )
    try:
        futures = [pool.submit(run_point, *job) for job in jobs]
        for future in as_completed(futures):
            on_done(future.result())
    except BaseException:
        # Interrupted (Ctrl-C) or failed: stop now. Points in flight only ever wrote a
        # temporary folder, which the next run of the sweep removes.
        _stop(pool)
        raise
    pool.shutdown(wait=True)


def _run_dask(
    jobs: list[tuple],
    context: MarketContext,
    address: str | None,
    workers: int,
    on_done: Callable[[dict], None],
) -> None:
    from distributed import Client, LocalCluster, as_completed

    if not jobs:
        return
    on_done(run_point(*jobs[0], context))  # warms the memo shipped with the context
    jobs = jobs[1:]
    cluster = None
    if address is None:
        cluster = LocalCluster(
            n_workers=max(workers, 1), threads_per_worker=1, processes=True, dashboard_address=None
        )
    with Client(address or cluster) as client:
        shared = client.scatter(context, broadcast=True)
        futures = [client.submit(run_point, *job, context=shared, pure=False) for job in jobs]
        for future in as_completed(futures):
            on_done(future.result())
    if cluster is not None:
        cluster.close()


# --- the sweep ----------------------------------------------------------------------------


def run_sweep(
    config_path: str | Path,
    grid_items: list[str] | None = None,
    overrides: list[str] | None = None,
    metric: str = "sharpe",
    workers: int = 1,
    split: str | None = None,
    walk_forward_days: tuple[int, int] | None = None,
    executor: str = "local",
    address: str | None = None,
    results_root: Path | None = None,
    tearsheets: bool = False,
    on_progress: ProgressCallback | None = None,
    strict_dates: bool = False,
    engine: str = "vector",
    confirm: int = 3,
) -> SweepResult:
    """Run (or resume) a grid over a config and rank the points by ``metric``.

    Points run on ``engine`` (vector by default); with the vector engine the best
    ``confirm`` points are run again on backtrader (see the module docstring).
    ``strict_dates`` refuses, before any point runs, a grid whose window the data
    do not cover; otherwise each point trims its window with a note.
    """
    config_path = Path(config_path)
    if engine not in ("vector", "backtrader"):
        raise ConfigError(
            f"{wording('--engine', 'engine')} {engine}: expected vector or backtrader"
            f"{did_you_mean(engine, ('vector', 'backtrader'))}"
        )
    if confirm < 0:
        raise ConfigError(f"--confirm {confirm}: expected a count of points, 0 or more")
    if metric not in METRIC_NAMES:
        raise ConfigError(
            f"{wording('--metric', 'metric')} {metric}: not a metric"
            f"{did_you_mean(metric, METRIC_NAMES)}; choose one of {', '.join(METRIC_NAMES)}"
        )
    if executor not in ("local", "dask"):
        raise ConfigError(
            f"{wording('--executor', 'executor')} {executor}: expected local or dask"
            f"{did_you_mean(executor, ('local', 'dask'))}"
        )
    base_config = load_config(config_path, overrides)
    if split is not None:
        check_split(split, base_config)
    base = base_config.model_dump(mode="json", exclude={"provenance"})
    grid = dict(base_config.sweep or {})
    given = parse_grid(grid_items or [])
    replaced = [
        f"{wording('--grid', 'grid_items')} {key} replaces the values of the config's sweep: "
        f"block ({', '.join(map(str, grid[key]))})"
        for key in given
        if key in grid and grid[key] != given[key]
    ]
    grid.update(given)
    if not grid:
        raise ConfigError(
            f"{config_path}: no grid: pass {wording('--grid', 'grid items')} KEY=V1,V2 "
            "or add a 'sweep:' "
            "mapping of key paths to value lists"
        )
    points = expand(base, grid, str(config_path))
    root = paths.project_root(config_path)
    settings = sweep_settings(metric, split, walk_forward_days, engine, confirm, tearsheets)
    parent = (results_root or paths.results_dir(root)) / base_config.name
    check_writable(parent)
    directory = sweep_directory(parent, sweep_id(base, grid, settings), grid, settings)
    points_dir = directory / "points"
    check_writable(points_dir)
    for stale in points_dir.glob(".tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)  # interrupted points: not results
    record = {
        "config": str(config_path),
        "overrides": overrides or [],
        "grid": grid,
        "settings": settings,
        "engine": engine,
        "points": {p.point_id: p.params for p in points},
    }
    atomic_write_text(directory / "sweep.yaml", dump_yaml(record))
    todo = [p for p in points if not (points_dir / p.point_id / "metrics.json").is_file()]
    errors: dict[str, str] = {}
    done = 0

    def on_done(outcome: dict) -> None:
        nonlocal done
        done += 1
        if outcome["error"]:
            errors[outcome["point"]] = outcome["error"]
        if on_progress:
            on_progress(done, len(todo), outcome["point"], outcome["error"])

    # Points that read the same data share one loaded context (usually all of them).
    groups: dict[str, list[SweepPoint]] = {}
    for point in todo:
        groups.setdefault(context_key(point.config), []).append(point)
    contexts: dict[str, MarketContext] = {}
    try:
        for key, members in groups.items():
            context = load_context(validate_config(members[0].config), root, str(config_path))
            contexts[key] = context
            if strict_dates:
                for point in members:
                    check_window(
                        context,
                        dt.date.fromisoformat(point.config["start"]),
                        dt.date.fromisoformat(point.config["end"]),
                        strict=True,
                        source=f"{config_path} (grid point {point.params})",
                    )
            jobs = [
                ({**p.config, "engine": engine}, str(points_dir / p.point_id), tearsheets)
                for p in members
            ]
            if executor == "dask":
                _run_dask(jobs, context, address, workers, on_done)
            else:
                _run_local(jobs, context, workers, on_done)
    except KeyboardInterrupt:
        finished = len(points) - len(todo) + done - len(errors)
        raise Interrupted(
            f"{finished} of {len(points)} points are finished and kept in {points_dir}; "
            "run the same command again to resume"
        ) from None
    memo: dict = {}
    confirming = engine == "vector" and confirm > 0
    # Before a confirmation only the order counts: the report is made on its figures.
    ranking, report = rank(
        points, points_dir, metric, split, walk_forward_days, errors, memo, not confirming
    )
    if confirming:
        by_id = {p.point_id: p for p in points}
        best = ranking[ranking["status"] == "ok"].head(confirm)
        screened = best.loc[best["engine"] != "backtrader", "point"] if len(best) else []
        confirmations = []
        for point_id in screened:
            point = by_id[point_id]
            key = context_key(point.config)
            if key not in contexts:
                contexts[key] = load_context(validate_config(point.config), root, str(config_path))
            confirmations.append((point, contexts[key], points_dir / point_id, tearsheets))
        confirming_ids = set(screened)
        unchanged = [
            points_dir / point_id
            for point_id in ranking.loc[ranking["status"] == "ok", "point"]
            if point_id not in confirming_ids
        ]

        def meanwhile() -> None:  # what the report needs that no confirmation changes
            _import_report_libraries()
            for folder in unchanged:
                point_returns(folder, memo)

        confirm_points(confirmations, workers if executor == "local" else 1, meanwhile=meanwhile)
        ranking, report = rank(points, points_dir, metric, split, walk_forward_days, errors, memo)
    if report.get("finished"):
        baseline = baseline_run(base_config, root, str(config_path))
        report.update(baseline_tests(points, points_dir, ranking, split, *baseline, memo))
    tuned = base_config.in_sample_note()
    if tuned:
        report["in_sample"] = tuned
    report["reading"] = reading(report)
    if "engine" in ranking:
        # A resumed sweep keeps the rows another --engine made: say which engine made them.
        counts = ranking["engine"].dropna().value_counts()
        record["figures_from"] = {str(k): int(v) for k, v in counts.sort_index().items()}
        atomic_write_text(directory / "sweep.yaml", dump_yaml(record))
    atomic_write(directory / "ranking.csv", lambda tmp: ranking.to_csv(tmp, index=False))
    atomic_write_text(
        directory / "ranking.html", ranking_html(ranking, report, base_config, directory)
    )
    atomic_write_text(directory / "overfitting.json", json.dumps(report, indent=2, default=str))
    return SweepResult(
        directory,
        ranking,
        report,
        errors,
        len(points) - len(todo),
        [*replaced, *merged_notes(points)],
    )


def _import_report_libraries() -> None:
    """Import what the overfitting report and the ranking page use (scipy's statistics,
    arch's bootstrap, pyplot: seconds together), e.g. while confirmations run elsewhere."""
    import arch.bootstrap  # noqa: F401
    import matplotlib.pyplot  # noqa: F401
    import scipy.stats  # noqa: F401


def baseline_run(
    config: BacktestConfig, root: Path, source: str
) -> tuple[str, pd.Series | None, str | None]:
    """Equal weight on the base config's universe, dates, costs, rebalancing and fill rule
    (run in memory on the vector engine): the baseline of the sweep's SPA test.

    Returns its name, its daily returns, and None, or the name, None and why it could not
    run (a sweep's ranking never fails for want of its baseline)."""
    name = "equal weight on the same universe"
    try:
        cfg = baseline_config(config).model_copy(update={"engine": "vector"})
        context = load_context(cfg, root, source, report_data=False)
        return name, backtest(cfg, context, source).returns, None
    except AiregimeError as exc:
        return name, None, str(exc)


#: Bootstrap of the SPA test: mean block length in days, draws, seed.
SPA_BLOCK, SPA_REPS, SPA_SEED = 20, 1000, 0


def baseline_tests(
    points: list[SweepPoint],
    points_dir: Path,
    ranking: pd.DataFrame,
    split: str | None,
    baseline_name: str,
    baseline: pd.Series | None,
    problem: str | None,
    memo: dict | None = None,
) -> dict[str, Any]:
    """Hansen's SPA test of every finished point against the baseline, on the dates the
    best point was chosen on (before ``split``, else all): ``{"spa": {...}}`` with its
    p-values, or the reason it is missing."""
    label = {"baseline": baseline_name, "sample": "before the split" if split else "all dates"}
    if baseline is None:
        return {"spa": {**label, "error": problem or "no baseline"}}
    returns = {}
    for point in points:
        folder = points_dir / point.point_id
        if (folder / "returns.csv").is_file():
            returns[point.point_id] = point_returns(folder, memo)
    matrix = pd.DataFrame(returns).dropna()
    if split:
        matrix = matrix[matrix.index < pd.Timestamp(split)]
    try:
        spa = superior_predictive_ability(baseline, matrix, SPA_BLOCK, SPA_REPS, SPA_SEED)
    except ValueError as exc:
        return {"spa": {**label, "error": str(exc)}}
    chosen = str(ranking.iloc[0]["point"])
    excess = (matrix[chosen] - baseline.reindex(matrix.index)).mean()
    return {"spa": {**label, **spa, "chosen": chosen, "chosen_excess": float(excess)}}


def point_returns(folder: Path, memo: dict | None = None) -> pd.Series:
    """A finished point's daily returns (``strategy`` of its ``returns.csv``, by date).

    ``memo``, a dict the caller keeps, holds what was read, keyed by the file's identity
    (inode, modification time, size): ranking twice (before and after the confirmation)
    and the SPA test then read each file once, and a confirmed point's rewritten folder
    is read again. Treat the Series as read-only."""
    path = folder / "returns.csv"
    found = path.stat()
    key = (str(path), found.st_ino, found.st_mtime_ns, found.st_size)
    if memo is not None and key in memo:
        return memo[key]
    series = pd.read_csv(path, index_col="date", parse_dates=["date"])["strategy"]
    if memo is not None:
        memo[key] = series
    return series


def context_key(config: dict[str, Any]) -> str:
    """What decides the data a point loads: universe, benchmark, data source, strategy."""
    keys = ["universe", "benchmark", "data"]
    if config["data"]["source"] == "yahoo":
        keys += ["start", "end"]  # the download range follows the dates
    picked = {k: config[k] for k in keys} | {"strategy": config["strategy"]["name"]}
    return json.dumps(picked, sort_keys=True, default=str)


def _better_first(metric: str) -> bool:
    return metric not in LOWER_IS_BETTER


#: Calendar days a ``--split`` must leave on each side of it.
MIN_SPLIT_DAYS = 30


def check_split(split: str, config: BacktestConfig) -> None:
    """Refuse, before any point runs, a split that is not a date inside the window."""
    flag = wording("--split", "split")
    cut = user_date(split, flag)
    start, end = pd.Timestamp(config.start), pd.Timestamp(config.end)
    if (
        not start + pd.Timedelta(days=MIN_SPLIT_DAYS)
        <= cut
        <= end - pd.Timedelta(days=MIN_SPLIT_DAYS)
    ):
        raise ConfigError(
            f"{flag} {split}: leaves less than {MIN_SPLIT_DAYS} days before or after it in the "
            f"window {start.date()}..{end.date()}; choose a date inside it"
        )


def rank(
    points: list[SweepPoint],
    points_dir: Path,
    metric: str,
    split: str | None,
    walk_forward_days: tuple[int, int] | None,
    errors: dict[str, str],
    memo: dict | None = None,
    with_report: bool = True,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The ranking table and the overfitting report from the finished point folders
    (``memo``: see :func:`point_returns`; ``with_report=False``: the ranking alone, and
    an empty report; the points' returns are then read only for a split or walk-forward)."""
    rows, returns, periods = [], {}, {}
    for point in points:
        folder = points_dir / point.point_id
        row: dict[str, Any] = {"point": point.point_id, **point.params}
        if (folder / "metrics.json").is_file():
            metrics = json.loads((folder / "metrics.json").read_text())
            row.update({"status": "ok", "engine": point_engine(folder), metric: metrics[metric]})
            if with_report or split or walk_forward_days:  # else the order alone: no returns
                series = point_returns(folder, memo)
                returns[point.point_id] = series
                ppy = metrics.get("periods_per_year") or infer_periods_per_year(series.index)
                periods[point.point_id] = int(ppy)
            if split:
                cut = pd.Timestamp(split)
                before, after = series[series.index < cut], series[series.index >= cut]
                base = base_before(series.index, after.index[0]) if len(after) else None
                row[f"is_{metric}"] = performance(before, ppy).get(metric)
                row[f"oos_{metric}"] = performance(after, ppy, base).get(metric)
            row.update({k: metrics[k] for k in ("cagr", "sharpe", "max_drawdown") if k != metric})
        else:
            row.update(
                {
                    "status": "failed" if point.point_id in errors else "missing",
                    "error": errors.get(point.point_id, ""),
                }
            )
        rows.append(row)
    ranking = pd.DataFrame(rows)
    sort_key = f"is_{metric}" if split else metric
    if sort_key in ranking:
        ranking = ranking.sort_values(
            sort_key, ascending=not _better_first(metric), na_position="last", kind="stable"
        )
    ranking.insert(0, "rank", range(1, len(ranking) + 1))
    if not with_report:
        # what the report would refuse in the returns is refused now, before confirmations
        if (split or walk_forward_days) and returns:
            matrix = pd.DataFrame(returns).dropna()
            before_split(matrix, split)
            if walk_forward_days:
                check_walk_forward(matrix, walk_forward_days)
        return ranking.reset_index(drop=True), {}
    report = overfitting_report(ranking, returns, metric, split, walk_forward_days, periods)
    return ranking.reset_index(drop=True), report


def before_split(matrix: pd.DataFrame, split: str | None) -> pd.DataFrame:
    """The rows of the points' returns (dates x points) before ``split`` (all without one).

    Raises ConfigError when the split leaves fewer than two dates before it or none after.
    """
    if not split:
        return matrix
    selection = matrix[matrix.index < pd.Timestamp(split)]
    if len(selection) < 2 or len(selection) == len(matrix):
        raise ConfigError(
            f"{wording('--split', 'split')} {split}: the points' returns run "
            f"{matrix.index[0].date()}..{matrix.index[-1].date()}, so nothing is left on one "
            "side of it; choose a date inside them (finished points are kept)"
        )
    return selection


def check_walk_forward(matrix: pd.DataFrame, days: tuple[int, int]) -> None:
    """Refuse walk-forward windows that leave no test window in the points' returns
    (dates x points): the training window must be shorter than the returns."""
    train, test = days
    if len(matrix) <= train:
        raise ConfigError(
            f"{wording('--walk-forward', 'walk_forward')} {train}:{test}: the training window "
            f"is {train} days but the points have {len(matrix)} days of returns; choose a "
            "shorter one (finished points are kept)"
        )


def overfitting_report(
    ranking: pd.DataFrame,
    returns: dict[str, pd.Series],
    metric: str,
    split: str | None,
    walk_forward_days: tuple[int, int] | None,
    periods: dict[str, int] | None = None,
) -> dict:
    """DSR, PBO, the split and walk-forward; ``periods_per_year`` (the points' own, from
    their metrics.json) annualises what the report states annualised."""
    report: dict[str, Any] = {"metric": metric, "points": len(ranking), "finished": len(returns)}
    if not returns:
        return report
    ppy = max((periods or {}).values(), default=0) or infer_periods_per_year(
        next(iter(returns.values())).index
    )
    report["periods_per_year"] = ppy
    matrix = pd.DataFrame(returns).dropna()
    selection = before_split(matrix, split)
    best = str(ranking.iloc[0]["point"])
    report["best_point"] = best
    report["deflated_sharpe"] = deflated_sharpe_ratio(
        selection[best].to_numpy(), sharpe(selection.to_numpy())
    )
    if len(returns) >= 2:
        blocks = 10 if len(matrix) >= 200 else 2
        pbo = probability_of_backtest_overfitting(matrix, blocks=blocks)
        report["pbo"] = {"pbo": pbo["pbo"], "splits": pbo["splits"], "blocks": blocks}
    if split:
        ok = ranking[ranking["status"] == "ok"]
        oos_best = ok.sort_values(f"oos_{metric}", ascending=not _better_first(metric)).iloc[0]
        report["split"] = {
            "date": split,
            "chosen_in_sample": best,
            "chosen_is": float(ok.iloc[0][f"is_{metric}"]),
            "chosen_oos": float(ok.iloc[0][f"oos_{metric}"]),
            "oos_best_point": str(oos_best["point"]),
            "oos_best": float(oos_best[f"oos_{metric}"]),
            "chosen_oos_rank": int(
                ok[f"oos_{metric}"].rank(ascending=not _better_first(metric))[ok.index[0]]
            ),
            "rank_correlation": float(ok[f"is_{metric}"].rank().corr(ok[f"oos_{metric}"].rank()))
            if len(ok) > 2
            else float("nan"),
        }
    if walk_forward_days:
        check_walk_forward(matrix, walk_forward_days)
        windows = walk_forward(matrix, *walk_forward_days)
        chained = windows.attrs["returns"]
        report["walk_forward"] = {
            "train_days": walk_forward_days[0],
            "test_days": walk_forward_days[1],
            "windows": windows.assign(
                start=windows["start"].astype(str), end=windows["end"].astype(str)
            ).to_dict("records"),
            "oos": performance(chained, ppy) if len(chained) else {},
        }
    return report
