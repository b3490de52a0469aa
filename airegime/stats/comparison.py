"""Compare runs: align them on common dates, tabulate metrics, regimes and bootstrap
differences.

Pure functions over :class:`~airegime.results.RunResult` objects; the page is
:mod:`airegime.reports.compare`, and running what is missing belongs to
:mod:`airegime.compare`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import BacktestConfig
from ..data.regimes import Period
from ..errors import DataError
from ..results import RunResult
from .bootstrap import bootstrap_difference
from .metrics import (
    TRADING_DAYS,
    annualisable,
    base_before,
    infer_periods_per_year,
    performance,
)
from .metrics_table import metrics_table as full_metrics_table


@dataclass
class Comparison:
    """Runs aligned on their common dates, with notes on anything that differed."""

    runs: list[RunResult]
    names: list[str]
    returns: pd.DataFrame
    benchmark: pd.Series
    benchmark_name: str
    notes: list[str] = field(default_factory=list)
    #: Returns per year the figures are annualised with (the runs' own when they agree).
    periods_per_year: int = TRADING_DAYS
    #: The valuation date the first common return is measured from.
    base: pd.Timestamp | None = None

    def base_of(self, index: pd.DatetimeIndex) -> pd.Timestamp | None:
        """The base of returns on ``index`` (a slice of the common dates)."""
        if not len(index):
            return None
        before = base_before(self.returns.index, index[0])
        return before if before is not None else self.base

    def benchmark_base(self) -> pd.Timestamp | None:
        """The base of the benchmark's returns: the date before its first one."""
        own = self.benchmark.dropna()
        return self.base_of(own.index) if len(own) else None


#: Config keys that never tell runs apart in a label (names, notes, the run's record).
UNLABELLED = ("name", "description", "provenance", "sweep")


def _flat(raw: Any, prefix: str = "") -> dict[str, Any]:
    """``{"strategy": {"params": {"top_n": 6}}}`` -> ``{"strategy.params.top_n": 6}``."""
    if not isinstance(raw, dict):
        return {prefix[:-1]: raw}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        out.update(_flat(value, f"{prefix}{key}."))
    return out


def _short(key: str, keys: list[str]) -> str:
    """The last part of a key path (``top_n``), or as many parts as keep it unambiguous;
    ``strategy.name`` is ``strategy``."""
    if key == "strategy.name":
        return "strategy"
    parts = key.split(".")
    for n in range(1, len(parts) + 1):
        tail = ".".join(parts[-n:])
        if sum(k == tail or k.endswith("." + tail) for k in keys) == 1:
            return tail
    return key


def _value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ",".join(_value(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return "-" if value is None else str(value)


def differences(configs: list[BacktestConfig]) -> list[dict[str, Any]]:
    """For each config, the keys (paths) whose values differ among ``configs``, with its value."""
    flats = [_flat(c.snapshot()) for c in configs]
    keys = sorted(
        {k for f in flats for k in f if k.split(".")[0] not in UNLABELLED},
        key=lambda k: (not k.startswith("strategy."), k),
    )
    varying = [k for k in keys if len({repr(f.get(k)) for f in flats}) > 1]
    return [{k: f.get(k) for k in varying} for f in flats]


def run_labels(
    configs: list[BacktestConfig], folders: list[Path | None] | None = None
) -> list[str]:
    """A label per run: its config name, plus, among runs of the same name, the parameters
    in which they differ (``article_composite top_n=10``). Runs of identical configs are
    told apart by their run folder (or ``#2``, ``#3``)."""
    folders = folders or [None] * len(configs)
    by_name: dict[str, list[int]] = {}
    for i, config in enumerate(configs):
        by_name.setdefault(config.name, []).append(i)
    labels = [c.name for c in configs]
    for name, members in by_name.items():
        if len(members) < 2:
            continue
        diffs = differences([configs[i] for i in members])
        keys = list(diffs[0])
        for i, diff in zip(members, diffs, strict=True):
            shown = " ".join(f"{_short(k, keys)}={_value(v)}" for k, v in diff.items())
            labels[i] = f"{name} {shown}".strip()
    counts = Counter(labels)
    for j, folder in enumerate(folders):  # identical configs: told apart by their folder
        if counts[labels[j]] > 1 and folder is not None:
            labels[j] = f"{labels[j]} (run {folder.name})"
    seen: Counter[str] = Counter()
    for j, label in enumerate(labels):  # still the same (the same folder twice): numbered
        seen[label] += 1
        if seen[label] > 1:
            labels[j] = f"{label} #{seen[label]}"
    return labels


def unique_names(runs: list[RunResult]) -> list[str]:
    """The label of each run (see :func:`run_labels`), unique among ``runs``."""
    return run_labels([r.config for r in runs], [r.run_dir for r in runs])


def align(runs: list[RunResult]) -> Comparison:
    """Common dates of every run; notes where date ranges or benchmarks differ."""
    if not runs:
        raise DataError("nothing to compare: give at least one run")
    names = unique_names(runs)
    notes = []
    spans = {n: (r.returns.index[0], r.returns.index[-1]) for n, r in zip(names, runs, strict=True)}
    if len(set(spans.values())) > 1:
        described = "; ".join(f"{n}: {a.date()}..{b.date()}" for n, (a, b) in spans.items())
        notes.append(f"date ranges differ ({described}); compared on the common dates")
    benchmarks = {r.config.benchmark for r in runs}
    if len(benchmarks) > 1:
        notes.append(
            f"benchmarks differ ({', '.join(sorted(benchmarks))}); "
            f"{runs[0].config.benchmark} of {names[0]} is used for all"
        )
    returns = pd.concat(
        [r.returns.rename(n) for n, r in zip(names, runs, strict=True)], axis=1, join="inner"
    ).dropna()
    if returns.empty:
        raise DataError("the runs share no dates; compare runs whose windows overlap (start/end)")
    benchmark = runs[0].benchmark_returns.reindex(returns.index)
    own = benchmark.dropna()
    bench_name = runs[0].config.benchmark
    if len(own) < len(returns):
        where = f"{own.index[0].date()}..{own.index[-1].date()}, " if len(own) else ""
        notes.append(
            f"benchmark {bench_name} has prices on {where}{len(own)} of the "
            f"{len(returns)} common dates; its figures are measured on those dates only"
        )
    stored = {r.periods_per_year for r in runs}
    if len(stored) == 1 and None not in stored:
        periods = int(stored.pop())
    else:
        periods = infer_periods_per_year(returns.index)
        if len(stored - {None}) > 1:
            notes.append(
                f"the runs annualise differently ({', '.join(map(str, sorted(stored - {None})))} "
                f"returns a year); compared at {periods}, from the common dates"
            )
    calendar = pd.DatetimeIndex(sorted(set().union(*(r.weights.index for r in runs))))
    base = base_before(calendar, returns.index[0])
    return Comparison(runs, names, returns, benchmark, bench_name, notes, periods, base)


def metrics_table(comparison: Comparison) -> pd.DataFrame:
    """quantstats' metrics of every strategy and the benchmark, side by side, as quantstats
    formats them for display (percentages as "39.72%", not as rounded fractions), each
    column on its own dates with the comparison's annualisation
    (:func:`~airegime.stats.metrics_table.metrics_table`)."""
    names = list(comparison.returns.columns)
    bases = {name: comparison.base for name in names}
    bases[comparison.benchmark_name] = comparison.benchmark_base()
    table = full_metrics_table(
        {name: comparison.returns[name] for name in names},
        (comparison.benchmark_name, comparison.benchmark),
        comparison.periods_per_year,
        bases,
        mode="basic",
    )
    # quantstats marks percentage rows with a small percent sign; the values carry "%" now
    table.index = [str(i).replace("\ufe6a", "").replace("%", "").strip() for i in table.index]
    table.index.name = "metric"
    return table


def regime_table(comparison: Comparison, periods: list[Period]) -> pd.DataFrame:
    """Return, max drawdown and Sharpe of each strategy (and the benchmark) per period."""
    frame = comparison.returns.assign(**{comparison.benchmark_name: comparison.benchmark})
    rows = []
    for period in periods:
        inside = frame.loc[period.start : period.end]
        if len(inside) < 5:
            continue
        for name in frame.columns:
            own = inside[name].dropna()
            stats = performance(own, comparison.periods_per_year, comparison.base_of(own.index))
            rows.append(
                {
                    "period": period.name,
                    "start": inside.index[0].date(),
                    "end": inside.index[-1].date(),
                    "days": len(inside),
                    "annualised": annualisable(len(inside), comparison.periods_per_year),
                    "strategy": name,
                    "return": stats["total_return"],
                    "annual_return": stats["cagr"],
                    "max_drawdown": stats["max_drawdown"],
                    "sharpe": stats["sharpe"],
                }
            )
    return pd.DataFrame(rows)


def overlapping(periods: list[Period]) -> list[tuple[str, str]]:
    """Pairs of periods that share days (a day can then count in both)."""
    return [
        (a.name, b.name)
        for i, a in enumerate(periods)
        for b in periods[i + 1 :]
        if a.start <= b.end and b.start <= a.end
    ]


def bootstrap_table(
    comparison: Comparison, block: int = 20, draws: int = 2000, seed: int = 0
) -> pd.DataFrame:
    """Each strategy against the first (the baseline): differences with 95% intervals."""
    base = comparison.names[0]
    rows = []
    for name in comparison.names[1:]:
        diff = bootstrap_difference(
            comparison.returns[name],
            comparison.returns[base],
            block=block,
            draws=draws,
            seed=seed,
            periods_per_year=comparison.periods_per_year,
        )
        rows.append({"strategy": name, "baseline": base, **diff})
    return pd.DataFrame(rows)


def equity_and_drawdown(returns: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    equity = (1 + returns).cumprod()
    return equity, equity / equity.cummax() - 1


def rolling_sharpe(
    returns: pd.DataFrame, periods_per_year: int = TRADING_DAYS, window: int | None = None
) -> pd.DataFrame:
    """Annualised Sharpe ratio over a rolling ``window`` (default: half a year of returns)."""
    window = window or periods_per_year // 2
    mean = returns.rolling(window).mean()
    std = returns.rolling(window).std()
    return (mean / std.replace(0, np.nan)) * np.sqrt(periods_per_year)


def two_sided_p(p_le_0: float, draws: float, p_ge_0: float | None = None) -> float:
    """Two-sided bootstrap p-value: twice the smaller of the shares of resamples at or
    below zero (``p_le_0``) and at or above zero (``p_ge_0``), capped at 1 and at least
    ``1 / draws`` (the resolution of the bootstrap).

    A resample with no difference counts on both sides, so a difference that is zero in
    every resample (identical runs) has p = 1, not a significant one. Without ``p_ge_0``
    (a ``bootstrap.csv`` written before it was kept) it is taken as ``1 - p_le_0``, which
    is right when no resample ties at zero.
    """
    if p_ge_0 is None or p_ge_0 != p_ge_0:
        p_ge_0 = 1 - p_le_0
    if p_le_0 != p_le_0:
        return float("nan")
    return float(min(1.0, max(2 * min(p_le_0, p_ge_0), 1 / draws)))


#: Family-wise error rate of the comparison verdicts.
ALPHA = 0.05


def _pct(value: float) -> str:
    return f"{value:+.1%}"


def _two_sided(b: pd.DataFrame, name: str) -> list[float]:
    """:func:`two_sided_p` of each row of a bootstrap table for ``name``."""
    le = b[f"p_{name}_le_0"]
    ge = b[f"p_{name}_ge_0"] if f"p_{name}_ge_0" in b else pd.Series([None] * len(b))
    return [two_sided_p(p, d, g) for p, d, g in zip(le, b["draws"], ge.tolist(), strict=True)]


def verdict_table(comparison: Comparison, bootstrap: pd.DataFrame) -> pd.DataFrame:
    """One verdict per strategy against the baseline (the first run), counting every test.

    From :func:`bootstrap_table`: two-sided p-values of the annual-return and Sharpe
    differences, each Holm-adjusted over the strategies compared with the baseline
    (statsmodels ``multipletests``), and a line that says what they support at a
    family-wise 5%; ``in_sample`` holds the run's note when its defaults were chosen
    on its own data and window (:meth:`~airegime.config.BacktestConfig.in_sample_note`).
    Empty with fewer than two runs.
    """
    from statsmodels.stats.multitest import multipletests

    columns = ["strategy", "baseline", "p_return", "p_return_holm", "p_sharpe"]
    columns += ["p_sharpe_holm", "in_sample", "verdict"]
    if bootstrap.empty:
        return pd.DataFrame(columns=columns)
    b = bootstrap.reset_index(drop=True)
    p_return = _two_sided(b, "annual_return")
    p_sharpe = _two_sided(b, "sharpe")
    holm_return = multipletests(p_return, method="holm")[1]
    holm_sharpe = multipletests(p_sharpe, method="holm")[1]
    runs = dict(zip(comparison.names, comparison.runs, strict=True))
    k = len(b)
    counted = f"Holm over {k} strateg{'y' if k == 1 else 'ies'}"
    rows = []
    for i, row in b.iterrows():
        ret_ok, sharpe_ok = holm_return[i] < ALPHA, holm_sharpe[i] < ALPHA
        up_ret, up_sharpe = row["annual_return_diff"] > 0, row["sharpe_diff"] > 0
        if row.get("identical", 0.0) == 1.0:
            head = f"identical returns to {row['baseline']}, no difference"
        elif ret_ok and sharpe_ok and up_ret == up_sharpe:
            head = f"{'beats' if up_ret else 'trails'} {row['baseline']} on return and Sharpe"
        elif ret_ok and sharpe_ok:
            head = (
                f"{'higher' if up_ret else 'lower'} return but "
                f"{'higher' if up_sharpe else 'lower'} Sharpe than {row['baseline']}"
            )
        elif ret_ok:
            head = (
                f"{'higher' if up_ret else 'lower'} return than {row['baseline']}, but no "
                "reliable Sharpe difference "
                f"({'more risk, not more skill' if up_ret else 'less risk, not less skill'})"
            )
        elif sharpe_ok:
            head = (
                f"{'higher' if up_sharpe else 'lower'} Sharpe than {row['baseline']}, but no "
                "reliable return difference"
            )
        else:
            head = f"no reliable difference from {row['baseline']}"
        note = runs[row["strategy"]].config.in_sample_note()
        line = (
            f"{row['strategy']}: {head}: annual return {_pct(row['annual_return_diff'])} "
            f"[{_pct(row['annual_return_lo'])}, {_pct(row['annual_return_hi'])}] "
            f"(p {p_return[i]:.3f}, Holm {holm_return[i]:.3f}), Sharpe "
            f"{row['sharpe_diff']:+.2f} [{row['sharpe_lo']:+.2f}, {row['sharpe_hi']:+.2f}] "
            f"(p {p_sharpe[i]:.3f}, Holm {holm_sharpe[i]:.3f}); {counted}"
        )
        if note:
            line += "; in-sample: its defaults were chosen on this data and window"
        rows.append(
            {
                "strategy": row["strategy"],
                "baseline": row["baseline"],
                "p_return": p_return[i],
                "p_return_holm": float(holm_return[i]),
                "p_sharpe": p_sharpe[i],
                "p_sharpe_holm": float(holm_sharpe[i]),
                "in_sample": note or "",
                "verdict": line,
            }
        )
    return pd.DataFrame(rows, columns=columns)
