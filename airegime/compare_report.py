"""The comparison report: one self-contained HTML page, every text escaped.

Figures are drawn headless (Agg) and embedded as base64 PNG; tables come from
:mod:`airegime.compare`. The same tables are written as CSV beside the page.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import os
from pathlib import Path

import pandas as pd
import yaml

from . import quiet  # noqa: F401  (Agg backend before pyplot)
from .compare import Comparison, equity_and_drawdown, rolling_sharpe

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:0.9em}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}
.note{background:#fff4d6;padding:0.5em 1em;border-left:4px solid #e0a800}
pre{background:#f6f6f6;padding:0.8em;overflow-x:auto;font-size:0.85em}
img{max-width:100%}
"""


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def figures(comparison: Comparison) -> dict[str, str]:
    """Equity and drawdown on shared axes, and rolling Sharpe, as base64 PNGs."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    frame = comparison.returns.assign(**{comparison.benchmark_name: comparison.benchmark})
    equity, drawdown = equity_and_drawdown(frame)
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(11, 7), sharex=True, gridspec_kw={"height_ratios": [2, 1]}
    )
    for name in frame.columns:
        style = {"color": "grey", "linestyle": "--"} if name == comparison.benchmark_name else {}
        top.plot(equity.index, equity[name], label=name, linewidth=1.2, **style)
        bottom.plot(drawdown.index, drawdown[name], linewidth=1.0, **style)
    top.set_yscale("log")
    top.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    top.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    top.set_ylabel("growth of 1 (log)")
    top.legend(loc="upper left", fontsize=8)
    bottom.set_ylabel("drawdown")
    top.grid(alpha=0.3)
    bottom.grid(alpha=0.3)
    out = {"equity and drawdown": _png(fig)}
    fig, ax = plt.subplots(figsize=(11, 3.5))
    rolling = rolling_sharpe(frame)
    for name in frame.columns:
        ax.plot(rolling.index, rolling[name], label=name, linewidth=1.0)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_ylabel("rolling 6-month Sharpe")
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    out["rolling Sharpe"] = _png(fig)
    return out


def summary_table(comparison: Comparison) -> pd.DataFrame:
    """Headline metrics of each strategy and the benchmark over the aligned dates."""
    from .metrics import performance

    frame = comparison.returns.assign(**{comparison.benchmark_name: comparison.benchmark})
    rows = [{"strategy": name, **performance(frame[name])} for name in frame.columns]
    return pd.DataFrame(rows)[
        ["strategy", "total_return", "cagr", "sharpe", "sortino", "max_drawdown", "volatility"]
    ]


def _table(frame: pd.DataFrame, percent: set[str] | None = None) -> str:
    shown = frame.copy()
    for col in shown.columns:
        if percent and col in percent:
            shown[col] = [("" if v != v else f"{v:.1%}") for v in shown[col]]
        elif shown[col].dtype.kind == "f":
            shown[col] = [("" if v != v else f"{v:.3f}") for v in shown[col]]
    return shown.to_html(escape=True, index=False, border=0)


def render(
    comparison: Comparison,
    metrics: pd.DataFrame,
    regimes: pd.DataFrame,
    bootstrap: pd.DataFrame,
    out_dir: Path,
    universes=None,
) -> str:
    e = html.escape
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>airegime comparison: {e(', '.join(comparison.names))}</title>"
        f"<style>{STYLE}</style></head><body>",
        f"<h1>Comparison: {e(', '.join(comparison.names))}</h1>",
        f"<p>{len(comparison.returns)} common trading days, "
        f"{comparison.returns.index[0].date()} to {comparison.returns.index[-1].date()}; "
        f"benchmark {e(comparison.benchmark_name)}; generated "
        f"{dt.datetime.now().isoformat(timespec='seconds')}.</p>",
    ]
    parts += [f"<p class='note'>{e(note)}</p>" for note in comparison.notes]
    if universes is not None:
        from .universe_report import html_section

        parts.append(html_section(universes, _table))
    parts.append("<h2>Summary on the common dates</h2>")
    parts.append(
        _table(summary_table(comparison), {"total_return", "cagr", "max_drawdown", "volatility"})
    )
    for title, png in figures(comparison).items():
        parts.append(
            f"<h2>{e(title.capitalize())}</h2><img alt='{e(title)}' "
            f"src='data:image/png;base64,{png}'>"
        )
    parts.append("<h2>Per regime (periods of data/regimes.yaml)</h2>")
    parts.append(
        _table(regimes, {"return", "max_drawdown"})
        if not regimes.empty
        else "<p>No regime period overlaps these dates.</p>"
    )
    parts.append("<h2>Against the baseline: block-bootstrap 95% intervals</h2>")
    if bootstrap.empty:
        parts.append("<p>Only one strategy: nothing to compare against.</p>")
    else:
        parts.append(
            "<p>Paired moving-block bootstrap (20-day blocks, 2000 draws, seed 0) of "
            "the difference to the first run. An interval that straddles zero means "
            "the difference is within noise.</p>"
        )
        shown = bootstrap[
            [
                "strategy",
                "baseline",
                "annual_return_diff",
                "annual_return_lo",
                "annual_return_hi",
                "sharpe_diff",
                "sharpe_lo",
                "sharpe_hi",
            ]
        ]
        parts.append(_table(shown, {"annual_return_diff", "annual_return_lo", "annual_return_hi"}))
    parts.append("<h2>All metrics (quantstats)</h2>")
    parts.append(metrics.reset_index().to_html(escape=True, index=False, border=0))
    parts.append("<h2>Runs</h2>")
    for name, run in zip(comparison.names, comparison.runs, strict=True):
        link = ""
        if run.tearsheet is not None:
            rel = os.path.relpath(run.tearsheet, out_dir)
            link = f" <a href='{e(rel)}'>tear sheet</a>"
        snapshot = yaml.safe_dump(run.config.snapshot(), sort_keys=False)
        parts.append(
            f"<h3>{e(name)}{link}</h3><p>{e(str(run.run_dir))}</p><pre>{e(snapshot)}</pre>"
        )
    parts.append("</body></html>")
    return "\n".join(parts)


def write_comparison(
    runs: list, out_root: Path, regimes_path: Path | None = None, universes=None
) -> dict:
    """Align ``runs``, write ``report.html`` and the CSV tables to a new folder.

    ``universes`` (a :class:`~airegime.universe_report.UniverseAnalysis`) adds the
    universe section, and its headline goes first among the notes.
    """
    import hashlib
    import json

    from .cache import atomic_write, atomic_write_text
    from .compare import align, bootstrap_table, metrics_table, regime_table
    from .regimes import load_regimes
    from .results import unique_dir

    comparison = align(runs)
    if universes is not None:
        head = [universes.headline] if universes.headline else []
        comparison.notes[:0] = head
        comparison.notes += universes.notes
    periods = (
        list(load_regimes(regimes_path).periods) if regimes_path and regimes_path.is_file() else []
    )
    metrics = metrics_table(comparison)
    regimes = regime_table(comparison, periods)
    bootstrap = bootstrap_table(comparison) if len(runs) > 1 else pd.DataFrame()
    key = json.dumps([str(r.run_dir) for r in runs]).encode()
    out_dir = unique_dir(out_root, hashlib.sha256(key).hexdigest()[:8])
    page = render(comparison, metrics, regimes, bootstrap, out_dir, universes)
    atomic_write_text(out_dir / "report.html", page)
    for name, table, index in (
        ("metrics.csv", metrics, True),
        ("regimes.csv", regimes, False),
        ("bootstrap.csv", bootstrap, False),
        *(
            (f"universe_{n}.csv", getattr(universes, n), False)
            for n in ("runs", "baselines", "effect")
            if universes is not None
        ),
    ):
        atomic_write(out_dir / name, lambda tmp, t=table, i=index: t.to_csv(tmp, index=i))
    return {
        "directory": out_dir,
        "report": out_dir / "report.html",
        "comparison": comparison,
        "metrics": metrics,
        "regimes": regimes,
        "bootstrap": bootstrap,
        "universes": universes,
    }


def compare(items: list, results_root: Path | None = None, on_step=None) -> dict:
    """Compare runs given as RunResult objects, run folders or config paths (run if needed).

    The first item is the baseline. Returns the report path, the aligned returns, the
    tables and the runs; see the README.
    """
    from . import paths
    from .compare import runs_for_configs
    from .errors import DataError
    from .results import RunResult

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
    from .compare import unique_names
    from .universe_report import analyse

    universes = analyse(runs, unique_names(runs), results_root, on_step)
    root = paths.project_root()
    out = write_comparison(
        runs,
        (results_root or paths.results_dir(root)) / "compare",
        paths.data_dir(root) / "regimes.yaml",
        universes,
    )
    out["runs"] = runs
    return out
