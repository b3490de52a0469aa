"""The comparison report: one self-contained HTML page, every text escaped.

The page is a list of sections, each a function of the aligned runs and their tables
(:data:`SECTIONS`); :data:`SECTION_HOOKS` lets another module add one (e.g. a view by
universe) without touching this one. Figures are drawn headless (Agg) and embedded as
base64 PNG; tables come from :mod:`airegime.compare` and are written as CSV beside it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from ..data.cache import atomic_write, atomic_write_text
from ..data.regimes import Period, load_regimes
from ..results import unique_dir
from ..stats.comparison import (
    Comparison,
    align,
    bootstrap_table,
    equity_and_drawdown,
    metrics_table,
    overlapping,
    regime_table,
    rolling_sharpe,
    verdict_table,
)
from ..stats.metrics import min_returns, performance
from .caveats import caveats_html, coverage_figure, coverage_series
from .html import e, img, num, page, pct, percent_axis, table, tidy
from .universe import html_section


@dataclass
class CompareTables:
    """Everything a section may show: the aligned runs and the computed tables."""

    comparison: Comparison
    metrics: pd.DataFrame
    regimes: pd.DataFrame
    bootstrap: pd.DataFrame
    periods: list[Period] = field(default_factory=list)
    out_dir: Path = Path(".")
    verdicts: pd.DataFrame = field(default_factory=pd.DataFrame)


Section = Callable[[CompareTables], "tuple[str, str, str] | None"]
#: Sections other modules add: each returns (id, heading, html) or None to skip.
SECTION_HOOKS: list[Section] = []


def _frame(comparison: Comparison) -> pd.DataFrame:
    return comparison.returns.assign(**{comparison.benchmark_name: comparison.benchmark})


def _style(name: str, comparison: Comparison) -> dict:
    if name == comparison.benchmark_name:
        return {"color": "grey", "linestyle": "--"}
    return {}


def equity_figure(comparison: Comparison, periods: list[Period]) -> str:
    """Growth of 1 on a log axis, regime periods shaded, and a period strip below."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator

    frame = _frame(comparison)
    equity, _ = equity_and_drawdown(frame)
    inside = [p for p in periods if p.start <= frame.index[-1] and p.end >= frame.index[0]]
    fig, (top, strip) = plt.subplots(
        2,
        1,
        figsize=(11, 5.2 + 0.22 * len(inside)),
        sharex=True,
        gridspec_kw={"height_ratios": [5, max(0.6, 0.3 * len(inside))]},
    )
    for name in frame.columns:
        top.plot(equity.index, equity[name], label=name, lw=1.3, **_style(name, comparison))
    top.set_yscale("log")
    top.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    top.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}x"))
    top.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    top.set_ylabel("growth of 1 (log scale)")
    colours = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860"]
    for i, period in enumerate(inside):
        colour = colours[i % len(colours)]
        start, end = max(period.start, frame.index[0]), min(period.end, frame.index[-1])
        top.axvspan(start, end, color=colour, alpha=0.06, lw=0)
        strip.barh(i, (end - start).days, left=start, height=0.6, color=colour, alpha=0.7)
        strip.text(start, i, f" {period.name}", va="center", fontsize=7.5, color="black")
    strip.set_yticks([])
    strip.set_ylim(len(inside) - 0.5, -0.5)
    strip.set_xlabel("regime periods (data/regimes.yaml); shaded above")
    for side in ("top", "right", "left"):
        strip.spines[side].set_visible(False)
    tidy(top, outside=True)
    return img(fig, "equity curves with regime periods")


def drawdown_figure(comparison: Comparison) -> str:
    """One small panel per strategy (benchmark in grey in each), on a shared scale."""
    import matplotlib.pyplot as plt

    frame = _frame(comparison)
    _, drawdown = equity_and_drawdown(frame)
    names = list(comparison.returns.columns)
    cols = 2 if len(names) > 1 else 1
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(11, 2.1 * rows + 0.3), sharex=True, sharey=True, squeeze=False
    )
    bench = drawdown[comparison.benchmark_name]
    for ax, name in zip(axes.flat, names, strict=False):
        ax.fill_between(drawdown.index, drawdown[name], 0, color="#c0392b", alpha=0.35, lw=0)
        ax.plot(drawdown.index, drawdown[name], color="#c0392b", lw=0.8)
        ax.plot(bench.index, bench, color="grey", lw=0.8, ls="--")
        low = drawdown[name].idxmin()
        ax.set_title(
            f"{name}: worst {drawdown[name].min():.0%} ({low.date()})", fontsize=9, loc="left"
        )
        percent_axis(ax)
        tidy(ax, legend=False)
    for ax in list(axes.flat)[len(names) :]:
        ax.axis("off")
    fig.suptitle(
        f"Drawdown from the running peak (dashed grey: {comparison.benchmark_name})",
        fontsize=10,
        y=1.0,
    )
    fig.tight_layout()
    return img(fig, "drawdowns")


def sharpe_figure(comparison: Comparison) -> str:
    import matplotlib.pyplot as plt

    frame = _frame(comparison)
    rolling = rolling_sharpe(frame, comparison.periods_per_year)
    fig, ax = plt.subplots(figsize=(11, 3.4))
    for name in frame.columns:
        ax.plot(rolling.index, rolling[name], label=name, lw=1.0, **_style(name, comparison))
    ax.axhline(0, color="black", lw=0.6)
    ax.set_ylabel("rolling 6-month Sharpe")
    tidy(ax, outside=True)
    return img(fig, "rolling Sharpe")


def summary_table(comparison: Comparison) -> pd.DataFrame:
    """Headline metrics of each strategy and the benchmark over the aligned dates (the
    benchmark on the ones it has a price), with the runs' annualisation."""
    frame = _frame(comparison)
    rows = []
    for name in frame.columns:
        own = frame[name].dropna()
        figures = performance(own, comparison.periods_per_year, comparison.base_of(own.index))
        rows.append({"strategy": name, **figures})
    return pd.DataFrame(rows)[
        ["strategy", "total_return", "cagr", "sharpe", "sortino", "max_drawdown", "volatility"]
    ]


def regime_wide(regimes: pd.DataFrame, periods_per_year: int = 252) -> str:
    """One row per strategy, one column group per period: annualised return, max drawdown."""
    periods = list(dict.fromkeys(regimes["period"]))
    strategies = list(dict.fromkeys(regimes["strategy"]))
    head1, head2 = ["<th rowspan='2' class='l'>Strategy</th>"], []
    for name in periods:
        row = regimes[regimes["period"] == name].iloc[0]
        years = row["days"] / periods_per_year
        short = "*" if row["days"] < periods_per_year else ""
        head1.append(
            f"<th colspan='2'>{e(name)}<br><span class='muted'>{row['start']} to "
            f"{row['end']} ({years:.1f} y){short}</span></th>"
        )
        head2 += ["<th>Ann. return</th>", "<th>Max DD</th>"]
    body = []
    for strategy in strategies:
        cells = [f"<td class='l'>{e(strategy)}</td>"]
        for name in periods:
            match = regimes[(regimes["period"] == name) & (regimes["strategy"] == strategy)]
            if match.empty:
                cells += ["<td></td>", "<td></td>"]
                continue
            r = match.iloc[0]
            sign = "neg" if r["annual_return"] < 0 else "pos" if r["annual_return"] >= 0 else ""
            cells.append(f"<td class='{sign}'>{e(pct(r['annual_return'], 1, True))}</td>")
            cells.append(f"<td>{e(pct(r['max_drawdown'], 1))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f"<table><thead><tr class='group'>{''.join(head1)}</tr><tr>{''.join(head2)}</tr>"
        f"</thead><tbody>{''.join(body)}</tbody></table>"
    )


# --- sections ---------------------------------------------------------------------------


def summary_section(t: CompareTables) -> tuple[str, str, str]:
    shown = summary_table(t.comparison)
    formats = {
        "total_return": lambda v: pct(v, 0),
        "cagr": lambda v: pct(v, 1),
        "sharpe": lambda v: num(v, 2),
        "sortino": lambda v: num(v, 2),
        "max_drawdown": lambda v: pct(v, 1),
        "volatility": lambda v: pct(v, 1),
    }
    headers = {"cagr": "CAGR", "max_drawdown": "Max drawdown"}
    return "summary", "Summary on the common dates", table(shown, formats, headers)


def caveats_section(t: CompareTables) -> tuple[str, str, str]:
    """Each run's warnings, fill rule, universe and coverage, as its own pages show them,
    and the uncovered weight of every run that recorded it on one chart."""
    parts = []
    series = {}
    for name, run in zip(t.comparison.names, t.comparison.runs, strict=True):
        parts.append(f"<h3>{e(name)}</h3>" + caveats_html(run.provenance, run.metrics))
        coverage = coverage_series(run)
        if coverage is not None:
            series[name] = coverage
    if series and any(s.max() > 0 for s in series.values()):
        parts.append(
            "<p class='muted'>Share of the target weight at each rebalance in names that at "
            "least one of the run's active rules had no data for (runs made before coverage "
            "was recorded are left out).</p>" + coverage_figure(series)
        )
    return "caveats", "What each run rests on", "".join(parts)


def curves_section(t: CompareTables) -> tuple[str, str, str]:
    body = equity_figure(t.comparison, t.periods) + drawdown_figure(t.comparison)
    return "curves", "Equity and drawdowns", body


def sharpe_section(t: CompareTables) -> tuple[str, str, str]:
    return "sharpe", "Rolling Sharpe", sharpe_figure(t.comparison)


def regime_section(t: CompareTables) -> tuple[str, str, str]:
    if t.regimes.empty:
        return "regimes", "Per regime", "<p>No regime period overlaps these dates.</p>"
    pairs = overlapping([p for p in t.periods if p.name in set(t.regimes["period"])])
    note = ""
    if pairs:
        listed = "; ".join(f"{a} and {b}" for a, b in pairs)
        note = (
            f"<p class='note'>Periods overlap ({e(listed)}): a day can count in more than "
            "one column, so the columns are not independent.</p>"
        )
    ppy = t.comparison.periods_per_year
    body = (
        "<p class='muted'>Annualised return (CAGR over calendar time) and maximum drawdown "
        "inside each period of data/regimes.yaml. * shorter than a year: annualising "
        f"magnifies it; blank: fewer than {min_returns(ppy)} returns (a quarter of a year "
        f"at {ppy} a year), too few to annualise. Total returns and Sharpe ratios are in "
        "regimes.csv.</p>" + note + regime_wide(t.regimes, ppy)
    )
    return "regimes", "Per regime", body


def verdict_section(t: CompareTables) -> tuple[str, str, str] | None:
    """One line per strategy against the baseline, p-values Holm-adjusted over the
    strategies, and the in-sample notes (None with a single run)."""
    if t.verdicts.empty:
        return None
    base = t.comparison.names[0]
    lines = "".join(f"<li>{e(v)}</li>" for v in t.verdicts["verdict"])
    notes = [n for n in t.verdicts["in_sample"] if n]
    base_note = t.comparison.runs[0].config.in_sample_note()
    if base_note:
        notes.insert(0, base_note)
    tuned = "".join(f"<p class='note'>{e(n)}</p>" for n in dict.fromkeys(notes))
    body = (
        f"<p class='muted'>Each strategy against the baseline, {e(base)}, on the common "
        "dates: the difference in annual return and in Sharpe with its 95% block-bootstrap "
        "interval, a two-sided p-value from the same resamples, and that p-value "
        "Holm-adjusted over the strategies compared (statsmodels multipletests), so that "
        "comparing more strategies does not make a 'beats' easier to find. A verdict needs "
        "a Holm-adjusted p below 0.05.</p>"
        f"<ul>{lines}</ul>{tuned}"
    )
    return "verdicts", "Verdicts against the baseline", body


def bootstrap_section(t: CompareTables) -> tuple[str, str, str]:
    if t.bootstrap.empty:
        return "bootstrap", "Against the baseline", "<p>Only one strategy: nothing to compare.</p>"
    b = t.bootstrap
    shown = pd.DataFrame(
        {
            "strategy": b["strategy"],
            "baseline": b["baseline"],
            "annual return difference [95% interval]": [
                f"{pct(d, 1, True)} [{pct(lo, 1, True)}, {pct(hi, 1, True)}]"
                for d, lo, hi in zip(
                    b["annual_return_diff"],
                    b["annual_return_lo"],
                    b["annual_return_hi"],
                    strict=True,
                )
            ],
            "p (return)": t.verdicts["p_return"].to_numpy(),
            "Holm p (return)": t.verdicts["p_return_holm"].to_numpy(),
            "Sharpe difference [95% interval]": [
                f"{num(d, 2, True)} [{num(lo, 2, True)}, {num(hi, 2, True)}]"
                for d, lo, hi in zip(b["sharpe_diff"], b["sharpe_lo"], b["sharpe_hi"], strict=True)
            ],
            "p (Sharpe)": t.verdicts["p_sharpe"].to_numpy(),
            "Holm p (Sharpe)": t.verdicts["p_sharpe_holm"].to_numpy(),
        }
    )
    fmt = {c: (lambda v: num(v, 3)) for c in shown.columns if c.endswith(")") and "p (" in c}
    headers = {c: c[:1].upper() + c[1:] for c in shown.columns}
    body = (
        "<p class='muted'>Paired moving-block bootstrap (20-day blocks, 2000 draws, seed 0) "
        "of each strategy minus the first run. An interval that straddles zero means the "
        "difference is within noise; p is two-sided (twice the smaller share of resamples "
        "at or below zero and at or above it, so a difference of zero in every resample "
        "has p 1; at least 1/2000), and Holm p adjusts it for the number of "
        "strategies compared (bootstrap.csv keeps the one-sided shares).</p>"
        + table(shown, fmt, headers)
    )
    return "bootstrap", "Against the baseline: bootstrap intervals and p-values", body


def metrics_section(t: CompareTables) -> tuple[str, str, str]:
    shown = t.metrics.reset_index()
    shown.columns = ["Metric", *shown.columns[1:]]
    headers = {c: str(c) for c in shown.columns}  # run names as they are
    return "metrics", "All metrics (quantstats)", table(shown, headers=headers, left=("Metric",))


def runs_section(t: CompareTables) -> tuple[str, str, str]:
    parts = []
    for name, run in zip(t.comparison.names, t.comparison.runs, strict=True):
        links = []
        for label_, path in (("portfolio", run.portfolio_page), ("tear sheet", run.tearsheet)):
            if path is not None:
                links.append(f"<a href='{e(os.path.relpath(path, t.out_dir))}'>{label_}</a>")
        snapshot = yaml.safe_dump(run.config.snapshot(), sort_keys=False)
        parts.append(
            f"<h3>{e(name)} {' &middot; '.join(links)}</h3><p class='muted'>"
            f"{e(str(run.run_dir))}</p><details><summary>config</summary>"
            f"<pre>{e(snapshot)}</pre></details>"
        )
    return "runs", "Runs", "".join(parts)


SECTIONS: list[Section] = [
    verdict_section,
    summary_section,
    caveats_section,
    curves_section,
    sharpe_section,
    regime_section,
    bootstrap_section,
    metrics_section,
]


def render(
    comparison: Comparison,
    metrics: pd.DataFrame,
    regimes: pd.DataFrame,
    bootstrap: pd.DataFrame,
    out_dir: Path,
    periods: list[Period] | None = None,
    universes=None,
    verdicts: pd.DataFrame | None = None,
) -> str:
    if verdicts is None:
        verdicts = verdict_table(comparison, bootstrap)
    t = CompareTables(comparison, metrics, regimes, bootstrap, periods or [], out_dir, verdicts)
    title = ", ".join(comparison.names)
    parts = [
        f"<h1>Comparison: {e(title)}</h1>",
        f"<p class='sub'>{len(comparison.returns)} common trading days, "
        f"{comparison.returns.index[0].date()} to {comparison.returns.index[-1].date()}; "
        f"benchmark {e(comparison.benchmark_name)}; baseline {e(comparison.names[0])}; "
        f"generated {dt.datetime.now().isoformat(timespec='seconds')}.</p>",
    ]
    parts += [f"<p class='note'>{e(note)}</p>" for note in comparison.notes]
    hooks = [*SECTIONS, *SECTION_HOOKS, runs_section]
    if universes is not None:
        hooks.insert(0, lambda _t: html_section(universes))
    sections = [s(t) for s in hooks]
    sections = [s for s in sections if s is not None]
    parts.append(
        "<p>" + " &middot; ".join(f"<a href='#{sid}'>{e(h)}</a>" for sid, h, _ in sections) + "</p>"
    )
    parts += [f"<h2 id='{sid}'>{e(heading)}</h2>{body}" for sid, heading, body in sections]
    return page(f"airegime comparison: {title}", parts)


def write_comparison(
    runs: list, out_root: Path, regimes_path: Path | None = None, universes=None
) -> dict:
    """Align ``runs``, write ``report.html`` and the CSV tables to a new folder.

    ``universes`` (a :class:`~airegime.reports.universe.UniverseAnalysis`) adds the
    universe section, and its headline goes first among the notes.
    """
    import hashlib
    import json

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
    verdicts = verdict_table(comparison, bootstrap)
    key = json.dumps([str(r.run_dir) for r in runs]).encode()
    out_dir = unique_dir(out_root, hashlib.sha256(key).hexdigest()[:8])
    html_page = render(
        comparison, metrics, regimes, bootstrap, out_dir, periods, universes, verdicts
    )
    atomic_write_text(out_dir / "report.html", html_page)
    for name, frame, index in (
        ("metrics.csv", metrics, True),
        ("regimes.csv", regimes, False),
        ("bootstrap.csv", bootstrap, False),
        ("verdicts.csv", verdicts, False),
        *(
            (f"universe_{n}.csv", getattr(universes, n), False)
            for n in ("runs", "baselines", "effect")
            if universes is not None
        ),
    ):
        atomic_write(out_dir / name, lambda tmp, t=frame, i=index: t.to_csv(tmp, index=i))
    return {
        "directory": out_dir,
        "report": out_dir / "report.html",
        "comparison": comparison,
        "metrics": metrics,
        "regimes": regimes,
        "bootstrap": bootstrap,
        "verdicts": verdicts,
        "universes": universes,
    }
