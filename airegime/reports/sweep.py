"""The sweep report (``ranking.html``): the ranking, parameter heatmaps, in-sample vs
out-of-sample, and the overfitting statistics explained in words.

Reads the sweep's ranking table and overfitting report (the same numbers as
``ranking.csv`` and ``overfitting.json``); links each point to its run folder. Near the
top, like every page that shows a run's numbers, the caveats the points rest on
(:mod:`airegime.reports.caveats`): their warnings (the universe's hindsight warning among
them), fill rule, universe and coverage, read from the point folders as written at run
time, and whether the strategy's defaults were chosen on this data.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..stats.metrics import PERCENT_METRICS
from .caveats import caveats_html
from .html import e, img, num, page, pct, table, tidy

TRADING_DAYS = 252


def metric_format(metric: str):
    if metric in PERCENT_METRICS:
        return lambda v: pct(v, 1)
    return lambda v: num(v, 2)


def metric_label(metric: str) -> str:
    labels = {"cagr": "CAGR", "max_drawdown": "max drawdown", "sharpe": "Sharpe"}
    labels["sortino"] = "Sortino"
    return labels.get(metric, metric.replace("_", " "))


def param_columns(ranking: pd.DataFrame, metric: str) -> list[str]:
    """The swept keys: every column that is not a result column.

    ``engine`` says which engine produced a row's figures (the best points are confirmed
    on backtrader, the rest screened on the vector engine): not a parameter, so no
    heatmap of it (that one showed top_n against engine, i.e. against rank)."""
    known = {"rank", "point", "status", "error", "engine"}
    known |= {metric, f"is_{metric}", f"oos_{metric}"}
    known |= {"cagr", "sharpe", "max_drawdown"}
    return [c for c in ranking.columns if c not in known]


def short(key: str) -> str:
    return key.removeprefix("strategy.params.")


def point_link(point: str, directory: Path | None) -> str:
    """Relative link to a point's portfolio page, tear sheet, or folder (what exists)."""
    folder = Path("points") / point
    target = folder
    if directory is not None:
        for name in ("portfolio.html", "tearsheet.html"):
            if (directory / folder / name).is_file():
                target = folder / name
                break
    return f"<a href='{e(target.as_posix())}'>{e(point)}</a>"


def ranking_table(ranking: pd.DataFrame, metric: str, directory: Path | None) -> str:
    params = param_columns(ranking, metric)
    fmt = metric_format(metric)
    split = f"is_{metric}" in ranking
    columns = ["rank", *params]
    if split:
        columns += [f"is_{metric}", f"oos_{metric}"]
    columns += [metric] + [c for c in ("cagr", "sharpe", "max_drawdown") if c in ranking]
    columns += ["engine"]
    columns = list(dict.fromkeys(c for c in columns if c in ranking))
    shown = ranking[columns].copy()
    shown.insert(1, "point", [point_link(p, directory) for p in ranking["point"]])
    headers = {p: short(p) for p in params}
    headers.update({"cagr": "CAGR", "max_drawdown": "max drawdown", "sharpe": "Sharpe"})
    headers[metric] = f"{metric_label(metric)} (whole period)"
    headers[f"is_{metric}"] = f"in-sample {metric_label(metric)}"
    headers[f"oos_{metric}"] = f"out-of-sample {metric_label(metric)}"
    headers["point"] = "point (run folder)"
    headers["engine"] = "figures from"
    formats: dict[str, Any] = {
        c: fmt for c in (metric, f"is_{metric}", f"oos_{metric}") if c in shown
    }
    formats.update({"cagr": lambda v: pct(v, 1), "max_drawdown": lambda v: pct(v, 1)})
    formats["sharpe"] = lambda v: num(v, 2)
    formats["point"] = lambda v: v
    html = table(shown, formats, headers, left=["point", *params, "engine"])
    # the point column holds links: un-escape that one column's anchors
    for link in shown["point"]:
        html = html.replace(e(link), link, 1)
    if "engine" in ranking and ranking["engine"].nunique() > 1:
        confirmed = int((ranking["engine"] == "backtrader").sum())
        html += (
            f"<p class='muted'>Figures from: the {confirmed} best points were confirmed on "
            "backtrader, the others screened on the vector engine (the sweep stops if the "
            "two disagree on a confirmed point).</p>"
        )
    if "status" in ranking and (ranking["status"] != "ok").any():
        bad = ranking[ranking["status"] != "ok"]
        html += (
            "<p class='note'>"
            + "; ".join(
                f"{e(r['point'])}: {e(str(r['status']))} {e(str(r.get('error', '')))}"
                for _, r in bad.iterrows()
            )
            + "</p>"
        )
    return html


#: The narrowest colour scale of a heatmap, per metric: differences smaller than this are
#: within the noise of a decade of daily returns (one standard error of an annualised
#: Sharpe ratio is about 0.35 over 10 years, of an annual return about 10 points at 30%
#: volatility), so they get nearby colours, not the ends of the scale.
MIN_COLOUR_SPAN = {
    "sharpe": 0.5,
    "sortino": 0.5,
    "cagr": 0.10,
    "total_return": 0.5,
    "volatility": 0.10,
    "max_drawdown": 0.10,
    "exposure": 0.10,
    "turnover": 0.5,
    "turnover_incl_initial": 0.5,
}


def colour_scale(cells: Any, metric: str) -> tuple[float, float]:
    """The (low, high) a heatmap's colours span: the cells' range, widened about its middle
    to at least ``MIN_COLOUR_SPAN`` (10% of the largest magnitude for other metrics), so
    that a range of 1.15 to 1.19 is not drawn from deep red to deep green."""
    values = pd.Series(cells.ravel() if hasattr(cells, "ravel") else cells, dtype=float).dropna()
    if values.empty:
        return 0.0, 1.0
    low, high = float(values.min()), float(values.max())
    floor = MIN_COLOUR_SPAN.get(metric, 0.1 * float(values.abs().max()))
    span = max(high - low, floor, 1e-12)
    middle = (low + high) / 2
    return middle - span / 2, middle + span / 2


def heatmaps(ranking: pd.DataFrame, metric: str) -> str:
    """For each pair of swept parameters (up to three pairs): the metric averaged over the
    other parameters, whole period (and out of sample with a split), coloured on
    :func:`colour_scale` with the scale's range written under each map."""
    import matplotlib.pyplot as plt

    ok = ranking[ranking.get("status", "ok") == "ok"] if "status" in ranking else ranking
    params = [p for p in param_columns(ranking, metric) if ok[p].nunique() > 1]
    pairs = list(itertools.combinations(params, 2))[:3]
    if not pairs:
        return ""
    values = [metric] + ([f"oos_{metric}"] if f"oos_{metric}" in ok else [])
    out = []
    fmt = metric_format(metric)
    for a, b in pairs:
        fig, axes = plt.subplots(1, len(values), figsize=(5.2 * len(values), 3.6), squeeze=False)
        captions = []
        for ax, value in zip(axes[0], values, strict=True):
            grid = ok.pivot_table(index=a, columns=b, values=value, aggfunc="mean")
            cells = grid.to_numpy(dtype=float)
            low, high = colour_scale(cells, metric)
            image = ax.imshow(cells, cmap="RdYlGn", aspect="auto", vmin=low, vmax=high)
            ax.grid(False)
            ax.set_xticks(range(len(grid.columns)), [str(c) for c in grid.columns])
            ax.set_yticks(range(len(grid.index)), [str(i) for i in grid.index])
            ax.set_ylabel(short(a))
            for (i, j), v in pd.DataFrame(cells).stack().items():
                extreme = high > low and abs((v - low) / (high - low) - 0.5) > 0.35
                colour = "white" if extreme else "black"
                ax.text(j, i, fmt(v), ha="center", va="center", fontsize=9, color=colour)
            where = "out of sample" if value.startswith("oos_") else "whole period"
            ax.set_title(f"{metric_label(metric)}, {where}", fontsize=9)
            ax.set_xlabel(short(b))
            fig.colorbar(image, ax=ax, shrink=0.8)
            shown = pd.Series(cells.ravel()).dropna()
            captions.append(
                f"{metric_label(metric)}, {where}: cells {fmt(shown.min())} to "
                f"{fmt(shown.max())}, colours {fmt(low)} (red) to {fmt(high)} (green)"
            )
        fig.tight_layout()
        out.append(img(fig, f"heatmap of {short(a)} x {short(b)}"))
        out.append(f"<p class='muted'>{e('; '.join(captions))}.</p>")
    return "".join(out)


def span_words(metric: str) -> str:
    """The narrowest colour scale of ``metric``'s heatmaps, in words."""
    floor = MIN_COLOUR_SPAN.get(metric)
    if floor is None:
        return "10% of the largest magnitude"
    if metric in PERCENT_METRICS or metric == "total_return":
        return f"{floor * 100:.0f} percentage points"
    return f"{floor:.2f}"


def scatter(ranking: pd.DataFrame, metric: str) -> str:
    """In-sample vs out-of-sample metric of every point; the chosen one marked."""
    import matplotlib.pyplot as plt

    is_col, oos_col = f"is_{metric}", f"oos_{metric}"
    ok = ranking.dropna(subset=[is_col, oos_col])
    if ok.empty:
        return ""
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    ax.scatter(ok[is_col], ok[oos_col], s=22, color="#34495e", alpha=0.7, label="points")
    chosen = ok.iloc[0]
    ax.scatter([chosen[is_col]], [chosen[oos_col]], s=80, color="#c0392b", label="chosen")
    low = min(ok[is_col].min(), ok[oos_col].min())
    high = max(ok[is_col].max(), ok[oos_col].max())
    ax.plot([low, high], [low, high], color="grey", lw=0.8, ls=":", label="out = in")
    ax.set_xlabel(f"in-sample {metric_label(metric)}")
    ax.set_ylabel(f"out-of-sample {metric_label(metric)}")
    if len(ok) > 2:
        rho = ok[is_col].rank().corr(ok[oos_col].rank())
        ax.set_title(f"rank correlation in vs out: {rho:+.2f}", fontsize=9)
    tidy(ax)
    return img(fig, "in-sample vs out-of-sample")


def overfitting_text(report: dict[str, Any], metric: str) -> str:
    """The deflated Sharpe ratio, PBO and the split in a sentence each, annualised."""
    parts = []
    annual = math.sqrt(report.get("periods_per_year", TRADING_DAYS))
    dsr = report.get("deflated_sharpe")
    if dsr:
        parts.append(
            f"<p><b>Deflated Sharpe ratio {dsr['dsr']:.2f}</b>: the probability that the "
            f"chosen point's true Sharpe ratio beats {dsr['sr0'] * annual:.2f} (annualised), "
            f"the best one would expect from {dsr['trials']:.0f} tries with no skill at all, "
            f"given its{' in-sample' if report.get('split') else ''} Sharpe of "
            f"{dsr['sharpe'] * annual:.2f} (annualised), its skew "
            f"({dsr['skew']:.2f}) and fat tails (kurtosis {dsr['kurtosis']:.1f}) (Bailey and "
            "López de Prado, 2014). Above 0.95 the best point is unlikely to be luck.</p>"
        )
    pbo = report.get("pbo")
    if pbo:
        parts.append(
            f"<p><b>Probability of backtest overfitting {pbo['pbo']:.2f}</b>: the dates were "
            f"cut into {pbo['blocks']} blocks and split {pbo['splits']} ways into halves; in "
            f"that share of the splits the point that was best on one half ranked below the "
            "median on the other (Bailey et al., 2015). Near 0 the ranking carries over; "
            "near 0.5 or above it does not.</p>"
        )
    spa = report.get("spa")
    if spa:
        parts.append(spa_text(spa, report.get("periods_per_year", TRADING_DAYS)))
    split = report.get("split")
    if split:
        parts.append(
            f"<p><b>Split {e(split['date'])}</b>: the point chosen before it "
            f"({e(split['chosen_in_sample'])}, {metric_label(metric)} "
            f"{metric_format(metric)(split['chosen_is'])}) scored "
            f"{metric_format(metric)(split['chosen_oos'])} after it, rank "
            f"{split['chosen_oos_rank']} of {report.get('finished', '?')} out of sample; the "
            f"best out of sample was {e(split['oos_best_point'])} with "
            f"{metric_format(metric)(split['oos_best'])}.</p>"
        )
    wf = report.get("walk_forward")
    if wf and wf.get("oos"):
        oos = wf["oos"]
        parts.append(
            f"<p><b>Walk-forward</b> (choose on {wf['train_days']} days, hold "
            f"{wf['test_days']}): chained out-of-sample Sharpe {num(oos.get('sharpe'), 2)}, "
            f"CAGR {pct(oos.get('cagr'), 1)} over {len(wf['windows'])} windows.</p>"
        )
    if report.get("reading"):
        parts.append(f"<p class='note'><b>Reading them together.</b> {e(report['reading'])}</p>")
    return "".join(parts) or "<p>Not enough finished points for overfitting statistics.</p>"


def _point_record(folder: Path) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """A finished point's provenance (from its config.yaml) and metrics, or None."""
    try:
        text = (folder / "config.yaml").read_text(encoding="utf-8")
        # provenance is the snapshot's last top-level block: parse it alone (a sweep reads
        # a thousand of them), and the whole file when that does not give a mapping
        at = text.rfind("\nprovenance:\n")
        try:
            raw = yaml.load(text[at + 1 :], Loader=_LOADER) if at >= 0 else None
        except yaml.YAMLError:
            raw = None
        if not isinstance(raw, dict):
            raw = yaml.load(text, Loader=_LOADER) or {}
        return raw.get("provenance") or {}, json.loads((folder / "metrics.json").read_text())
    except (OSError, ValueError, yaml.YAMLError):
        return None


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def warning_kind(warning: str) -> str:
    """What a warning is about, without its dates and figures (the words before its colon,
    bracket or first ``on <number>``): ``degenerate portfolio``, ``missing data``."""
    head = re.split(r"[:(]| on \d", warning, maxsplit=1)[0].strip()
    return head if len(head) <= 60 else head[:57] + "..."


def caveats_section(ranking: pd.DataFrame, report: dict[str, Any], directory: Path | None) -> str:
    """What the points' numbers rest on, as the run pages show it: the in-sample note of
    the strategy's defaults, the chosen point's (the first ranked) warnings, fill rule,
    universe and coverage, then over every finished point the kinds of warning the
    others carry (with how many points) and the range of their coverage."""
    parts = []
    if report.get("in_sample"):
        parts.append(
            f"<p class='note'>{e(report['in_sample'])}. The {report.get('finished', 0)} points "
            "tried here count in the statistics below; the earlier tries that set the "
            "defaults and this grid do not, so all of them flatter the best point.</p>"
        )
    ok = ranking[ranking["status"] == "ok"] if "status" in ranking else ranking
    records = {}
    if directory is not None and "point" in ok:
        for point in ok["point"]:
            record = _point_record(directory / "points" / str(point))
            if record is not None:
                records[str(point)] = record
    if records:
        (chosen_id, (chosen, metrics)), n = next(iter(records.items())), len(records)
        parts.append(caveats_html(chosen, metrics))
        own = set(chosen.get("warnings") or [])
        kinds: dict[str, set[str]] = {}
        differs: set[str] = set()  # kinds with a warning the chosen point does not show
        for point, (provenance, _) in records.items():
            for warning in provenance.get("warnings") or []:
                kinds.setdefault(warning_kind(warning), set()).add(point)
                if warning not in own:
                    differs.add(warning_kind(warning))
        others = [
            f"{k} ({len(points)} of {n} points)" for k, points in kinds.items() if k in differs
        ]
        means = [m.get("uncovered_weight_mean") for _, m in records.values()]
        means = [v for v in means if v is not None]
        words = [f"Above: the chosen point, {chosen_id}"]
        if others:
            words.append(
                "other points carry their own warnings: "
                + "; ".join(others)
                + " (each point's config.yaml and pages give them)"
            )
        if means and max(means) > min(means):
            words.append(
                f"over the {n} finished points the average uncovered weight ranges from "
                f"{min(means):.0%} to {max(means):.0%}"
            )
        parts.append(f"<p class='muted'>{e('; '.join(words))}.</p>")
    if not parts:
        return ""
    return "<div id='caveats'>" + "".join(parts) + "</div>"


def spa_text(spa: dict[str, Any], periods_per_year: int = TRADING_DAYS) -> str:
    """Hansen's SPA test of every point against the baseline, in a sentence (mean excess
    returns per period, shown a year: x ``periods_per_year``)."""
    if "p_consistent" not in spa:
        return (
            f"<p><b>Test against {e(spa.get('baseline', 'the baseline'))}</b>: not computed "
            f"({e(str(spa.get('error', '')))}).</p>"
        )
    best = pct(spa["best_excess"] * periods_per_year, 1, True)
    chosen = pct(spa["chosen_excess"] * periods_per_year, 1, True)
    return (
        f"<p><b>Hansen's SPA test against {e(spa['baseline'])}: p "
        f"{spa['p_consistent']:.3f}</b>: the probability of a point beating the baseline by "
        f"as much as the best one did ({e(spa['best'])}, {best} a year: mean daily excess "
        f"return x {periods_per_year}; the chosen point {e(spa['chosen'])}: {chosen}) if "
        f"none of the {spa['trials']:.0f} points truly beats it, over {spa['days']:.0f} days "
        f"({e(spa['sample'])}). The test looks at every point at once, so trying more "
        "points does not make it easier to pass (Hansen, 2005; stationary bootstrap, "
        f"{spa['block']:.0f}-day mean blocks, {spa['reps']:.0f} draws, seed {spa['seed']:.0f}). "
        f"White's Reality Check, more conservative: p {spa['p_upper']:.3f}. Below 0.05, at "
        "least one point beat the baseline; the baseline is equal weight with the same "
        "dates, costs, rebalancing and fill rule.</p>"
    )


def ranking_html(
    ranking: pd.DataFrame,
    report: dict[str, Any],
    config: Any,
    directory: Path | None = None,
) -> str:
    """The whole sweep page (self-contained; links are relative to the sweep folder)."""
    metric = report["metric"]
    split = report.get("split")
    order = (
        f"ranked by in-sample {metric_label(metric)} (before {split['date']}), the way the "
        "point would have been chosen; the out-of-sample column beside it is what followed"
        if split
        else f"ranked by {metric_label(metric)} over the whole period"
    )
    parts = [
        f"<h1>Sweep of {e(config.name)}</h1>",
        f"<p class='sub'>{report.get('finished', 0)} of {report.get('points', 0)} points "
        f"finished; {e(order)}.</p>",
        caveats_section(ranking, report, directory),
        "<h2 id='ranking'>Ranking</h2>",
        ranking_table(ranking, metric, directory),
        "<h2 id='overfitting'>Is the best point more than luck?</h2>",
        overfitting_text(report, metric),
    ]
    if split:
        parts += ["<h2 id='scatter'>In-sample vs out-of-sample</h2>", scatter(ranking, metric)]
    maps = heatmaps(ranking, metric)
    if maps:
        parts += [
            "<h2 id='heatmaps'>Parameter heatmaps</h2><p class='muted'>The metric for each "
            "pair of swept parameters, averaged over the other parameters. The colours span "
            "the cells' range, widened to at least "
            f"{e(span_words(metric))} about its middle (under each map: the cells' range "
            "and the colours'), so that differences within noise are not drawn from one "
            "end of the scale to the other.</p>",
            maps,
        ]
    parts.append(
        "<p class='muted'>The same numbers: <a href='ranking.csv'>ranking.csv</a>, "
        "<a href='overfitting.json'>overfitting.json</a> (daily units), "
        "<a href='sweep.yaml'>sweep.yaml</a>.</p>"
    )
    return page(f"sweep {config.name}", parts)
