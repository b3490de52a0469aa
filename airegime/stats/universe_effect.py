"""Like-for-like comparisons: which universe each run rests on, and what that is worth.

Two runs on different universes differ by strategy *and* by the names chosen; a
headline difference between them mixes both. This module groups runs by universe,
sets each run against equal weight on its own universe (finding or running that
baseline) and measures the universe effect: equal weight of the universe against
its sector ETF (``about:`` in ``data/universes.yaml``) over the same dates, so a reader
sees how much of a result comes from picking the names.

Pure functions over :class:`~airegime.results.RunResult` objects: finding or running
the baselines and loading the sector ETF belong to :mod:`airegime.compare`, which
calls :func:`analyse`; :mod:`airegime.reports.universe` renders its tables.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .. import paths
from ..config import BacktestConfig, validate_config
from ..data.universes import load_universes
from ..errors import AiregimeError
from ..results import RunResult
from .bootstrap import bootstrap_difference
from .metrics import base_before, infer_periods_per_year, performance

DIFF_KEYS = ("annual_return_diff", "annual_return_lo", "annual_return_hi")


#: Config keys that must match for one run to be another's equal-weight baseline.
SAME_SETTINGS = ("start", "end", "rebalance", "initial_cash", "costs", "cash_buffer", "execution")


@dataclass
class UniverseAnalysis:
    """Universe of every run, each run against equal weight on it, and the universe effect."""

    runs: pd.DataFrame
    baselines: pd.DataFrame
    effect: pd.DataFrame
    headline: str | None = None
    notes: list[str] = field(default_factory=list)


def universe_key(config: BacktestConfig) -> str:
    """A named universe's name; a list's tickers, sorted (the same names group together)."""
    if isinstance(config.universe, str):
        return config.universe
    return ",".join(sorted({t.upper() for t in config.universe}))


def universe_record(run: RunResult) -> dict[str, Any]:
    """The run's universe as recorded at run time, or described now for older runs."""
    recorded = run.provenance.get("universe")
    if recorded:
        return recorded

    info = load_universes(paths.data_dir(paths.project_root()) / "universes.yaml").info(
        run.config.universe
    )
    return {
        "name": info.name,
        "count": len(info.tickers),
        "listed_after_start": None,
        "selection": info.selection,
        "chosen": info.chosen,
        "basis": info.basis,
        "sector_etf": info.sector_etf,
        "warning": info.hindsight_warning(),
    }


def runs_table(runs: list[RunResult], names: list[str]) -> pd.DataFrame:
    """One row per run: its universe, how many names, how many listed late, its fill rule."""
    rows = []
    for name, run in zip(names, runs, strict=True):
        record = universe_record(run)
        late = record.get("listed_after_start")
        rows.append(
            {
                "run": name,
                "strategy": run.config.strategy.name,
                "universe": record["name"],
                "names": record["count"],
                "listed_after_start": "" if late is None else len(late),
                "selection": " ".join(
                    str(x) for x in (record.get("selection"), record.get("chosen")) if x
                ),
                "fill": run.provenance.get("fill", "same_close (before fill rules)"),
            }
        )
    return pd.DataFrame(rows)


def groups(runs: list[RunResult], names: list[str]) -> dict[str, list[str]]:
    """Run names by universe key, in the order the universes first appear."""
    out: dict[str, list[str]] = {}
    for name, run in zip(names, runs, strict=True):
        out.setdefault(universe_key(run.config), []).append(name)
    return out


def headline(runs: list[RunResult], names: list[str]) -> str | None:
    """A one-line warning when the runs rest on different universes (None when they agree)."""
    grouped = groups(runs, names)
    if len(grouped) < 2:
        return None
    described = "; ".join(
        f"{', '.join(members)} on {universe_record(runs[names.index(members[0])])['name']} "
        f"({universe_record(runs[names.index(members[0])])['count']} names)"
        for members in grouped.values()
    )
    return (
        f"universes differ ({described}): a difference between these runs mixes the "
        "strategy with the choice of names; see each run against equal weight on its "
        "own universe"
    )


def baseline_config(config: BacktestConfig) -> BacktestConfig:
    """Equal weight on the run's universe, with its dates, costs, data and fill rule."""
    key = universe_key(config)
    if isinstance(config.universe, str):
        label = key
    else:
        label = f"list-{hashlib.sha256(key.encode()).hexdigest()[:8]}"
    raw = config.snapshot()
    raw.update(
        name=f"equal_weight_{label}",
        description=f"equal-weight baseline on {label}, made by airegime compare",
        strategy={"name": "equal_weight", "params": {}},
        sweep=None,
    )
    return validate_config(raw, f"<baseline of {config.name}>")


def is_baseline_for(candidate: BacktestConfig, config: BacktestConfig) -> bool:
    """Whether ``candidate`` is equal weight on the same universe, dates, costs and data."""
    if candidate.strategy.name != "equal_weight":
        return False
    if universe_key(candidate) != universe_key(config):
        return False
    a, b = candidate.snapshot(), config.snapshot()
    same_data = all(a["data"][k] == b["data"][k] for k in ("source", "path"))
    return same_data and all(a[k] == b[k] for k in SAME_SETTINGS)


def run_base(run: RunResult, index: pd.DatetimeIndex) -> pd.Timestamp | None:
    """The valuation date before ``index[0]`` in ``run``'s calendar (its base there)."""
    if not len(index):
        return None
    return base_before(run.weights.index, index[0])


def baseline_table(
    runs: list[RunResult], names: list[str], baselines: list[RunResult]
) -> pd.DataFrame:
    """Each run against equal weight on its own universe, on their common dates."""
    rows = []
    for name, run, base in zip(names, runs, baselines, strict=True):
        both = pd.concat([run.returns, base.returns], axis=1, join="inner").dropna()
        ppy = run.periods_per_year or infer_periods_per_year(both.index)
        start = run_base(run, both.index)
        mine = performance(both.iloc[:, 0], ppy, start)
        theirs = performance(both.iloc[:, 1], ppy, start)
        row = {
            "run": name,
            "universe": universe_record(run)["name"],
            "baseline": base.config.name,
            "cagr": mine["cagr"],
            "baseline_cagr": theirs["cagr"],
            "cagr_diff": mine["cagr"] - theirs["cagr"],
            "sharpe": mine["sharpe"],
            "baseline_sharpe": theirs["sharpe"],
        }
        same = base is run or both.iloc[:, 0].equals(both.iloc[:, 1])
        if not same and len(both) >= 40:
            diff = bootstrap_difference(both.iloc[:, 0], both.iloc[:, 1], periods_per_year=ppy)
            row |= {k: diff[k] for k in DIFF_KEYS}
        rows.append(row)
    return pd.DataFrame(rows)


def universe_effect(baseline: RunResult, etf: pd.Series) -> dict[str, Any]:
    """Equal weight of a universe against its sector ETF over the baseline's dates."""
    ew = baseline.returns
    sector = etf.reindex(ew.index)
    ppy = baseline.periods_per_year or infer_periods_per_year(ew.index)
    mine = performance(ew, ppy, baseline.base)
    theirs = performance(sector, ppy, run_base(baseline, sector.dropna().index))
    return {
        "universe": universe_record(baseline)["name"],
        "sector_etf": etf.name,
        "start": ew.index[0].date(),
        "end": ew.index[-1].date(),
        "equal_weight_cagr": mine["cagr"],
        "sector_etf_cagr": theirs["cagr"],
        "cagr_diff": mine["cagr"] - theirs["cagr"],
        "equal_weight_total": mine["total_return"],
        "sector_etf_total": theirs["total_return"],
    }


def analyse(
    runs: list[RunResult],
    names: list[str],
    baselines: list[RunResult],
    sector_returns: Callable[[RunResult, str], pd.Series],
) -> UniverseAnalysis:
    """Everything the comparison page shows about universes.

    ``baselines`` holds each run's equal-weight baseline (same order as ``runs``);
    ``sector_returns(run, ticker)`` gives a sector ETF's daily returns from the run's
    price source (an :class:`AiregimeError` or ``KeyError`` there becomes a note).
    """
    effects, notes, seen = [], [], set()
    for run, base in zip(runs, baselines, strict=True):
        key = (universe_key(run.config), str(base.run_dir), base.returns.index[0])
        if key in seen:
            continue
        seen.add(key)
        etf = universe_record(run).get("sector_etf") or "QQQ"
        try:
            effects.append(universe_effect(base, sector_returns(base, etf)))
        except (AiregimeError, KeyError) as exc:
            note = f"universe effect of {universe_record(run)['name']}: no {etf} ({exc})"
            if note not in notes:  # runs of one universe with their own baselines: once
                notes.append(note)
    fills = {r.provenance.get("fill") for r in runs}
    if len(fills) > 1:
        notes.append(
            f"fill rules differ ({', '.join(sorted(str(f) for f in fills))}): same_close "
            "flatters a run against next-day fills"
        )
    return UniverseAnalysis(
        runs_table(runs, names),
        baseline_table(runs, names, baselines),
        pd.DataFrame(effects),
        headline(runs, names),
        notes,
    )
