"""The factor tear sheet (``factors.html``): one self-contained page, every text escaped.

Laid out like alphalens' full tear sheet: verdicts first, then quantile statistics,
returns analysis, information analysis and turnover analysis. Every number comes from
a :class:`~airegime.stats.factors.FactorReport`; the same tables are written beside the
page as CSV. Figures are drawn headless (Agg) and embedded as base64 PNG.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from ..stats.factors import FactorReport
from .html import e, img, num, page, pct, percent_axis, table, tidy

QUANTILE_NAMES = {3: "tercile", 4: "quartile", 5: "quintile", 10: "decile"}


def _grid(count: int, cols: int = 3, height: float = 2.3):
    import matplotlib.pyplot as plt

    cols = min(cols, max(count, 1))
    rows = max(1, math.ceil(count / cols))
    fig, axes = plt.subplots(
        rows, cols, figsize=(11, height * rows + 0.4), squeeze=False, sharex=True
    )
    for ax in list(axes.flat)[count:]:
        ax.axis("off")
    return fig, list(axes.flat)[:count]


def measured(report: FactorReport) -> list[str]:
    """Scores with an IC on at least one date (the others would draw empty panels)."""
    return [n for n, s in report.stats.items() if s.rank_ic.notna().to_numpy().any()]


def ic_figure(report: FactorReport) -> str:
    """Rank IC per date at the verdicts' horizon, one panel per score, with its mean over
    the last 12 dates."""
    names = measured(report)
    if not names:
        return ""
    fig, axes = _grid(len(names))
    for ax, name in zip(axes, names, strict=True):
        series = report.stats[name].rank_ic[report.horizon]
        ax.bar(series.index, series.fillna(0.0), width=20, color="#4c72b0", alpha=0.6)
        ax.plot(series.index, series.rolling(12, min_periods=6).mean(), color="#c0392b", lw=1.2)
        ax.axhline(0, color="black", lw=0.6)
        ax.set_ylim(-1, 1)
        ax.set_title(f"{name}: mean {num(series.mean(), 3, True)}", fontsize=9, loc="left")
        tidy(ax, legend=False)
    fig.suptitle(
        f"Rank IC per rebalance date, {report.horizon}-day returns (red: 12-date mean)",
        fontsize=10,
    )
    fig.tight_layout()
    return img(fig, "rank IC over time")


def quantile_figure(report: FactorReport) -> str:
    """Mean forward return by quantile at the verdicts' horizon, one panel per score."""
    names = measured(report)
    if not names:
        return ""
    fig, axes = _grid(len(names), height=2.1)
    for ax, name in zip(axes, names, strict=True):
        means = report.stats[name].quantile_returns[report.horizon].mean()
        colours = ["#c0392b" if v < 0 else "#2e7d32" for v in means.fillna(0.0)]
        ax.bar([str(k) for k in means.index], means.fillna(0.0), color=colours, alpha=0.75)
        ax.axhline(0, color="black", lw=0.6)
        percent_axis(ax, digits=1)
        ax.set_title(name, fontsize=9, loc="left")
        tidy(ax, legend=False)
    fig.suptitle(
        f"Mean {report.horizon}-day return by {QUANTILE_NAMES.get(report.quantiles, 'quantile')}"
        " (1 = lowest score)",
        fontsize=10,
    )
    fig.tight_layout()
    return img(fig, "mean return by quantile")


def cumulative_figure(report: FactorReport) -> str:
    """Top-minus-bottom quantile, held from each fill to the next, compounded."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 3.6))
    for name in measured(report):
        s = report.stats[name]
        ax.plot(s.cumulative_spread.index, s.cumulative_spread, lw=1.2, label=name)
    ax.axhline(0, color="black", lw=0.6)
    percent_axis(ax)
    ax.set_ylabel("cumulative top minus bottom")
    tidy(ax, outside=True)
    return img(fig, "cumulative top-minus-bottom return")


def turnover_figure(report: FactorReport) -> str:
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 5), sharex=True)
    for name in measured(report):
        s = report.stats[name]
        top.plot(s.autocorrelation.index, s.autocorrelation, lw=1.0, label=name)
        bottom.plot(s.turnover.index, s.turnover, lw=1.0, label=name)
    top.set_ylabel("rank autocorrelation")
    bottom.set_ylabel("top-quantile turnover")
    percent_axis(bottom)
    tidy(top, outside=True)
    tidy(bottom, legend=False)
    return img(fig, "rank autocorrelation and turnover")


def coverage_figure(report: FactorReport) -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 3.0))
    for name, s in report.stats.items():
        ax.plot(s.coverage.index, s.coverage["coverage"], lw=1.1, label=name)
    ax.set_ylim(0, 1.05)
    percent_axis(ax)
    ax.set_ylabel("names scored / tradable")
    tidy(ax, outside=True)
    return img(fig, "coverage over time")


def _interval(mean: float, lo: float, hi: float) -> str:
    if math.isnan(lo):
        return pct(mean, 2, True)
    return f"{pct(mean, 2, True)} [{pct(lo, 2, True)}, {pct(hi, 2, True)}]"


def verdict_section(report: FactorReport) -> str:
    v = report.verdicts
    shown = pd.DataFrame(
        {
            "score": v["score"],
            "favours": v["rule_favours"],
            "mean rank IC": v["mean_rank_ic"],
            "t (HAC)": v["t_hac"],
            "Holm p": v["p_holm"],
            "dates": v["dates"],
            "verdict": v["verdict"],
        }
    )
    fmt = {
        "mean rank IC": lambda x: num(x, 3, True),
        "t (HAC)": lambda x: num(x, 1),
        "Holm p": lambda x: num(x, 3),
    }
    headers = {c: c[:1].upper() + c[1:] for c in shown.columns} | {"t (HAC)": "t (HAC)"}
    tests = int(v["p_holm"].notna().sum())
    return (
        f"<p class='muted'>Each score's rank IC (Spearman, across names) with its "
        f"{report.horizon}-day forward return on every rebalance date, averaged over dates; "
        "t from Newey-West (HAC) standard errors, which allow for overlapping returns and "
        f"autocorrelated ICs; p two-sided, then Holm-adjusted over the {tests} scores judged "
        "together. <b>Evidence</b> means a Holm-adjusted p below 0.05; 'favours' is the "
        "side the rule buys (high scores, or low China shares), so a rule needs an IC of "
        "that sign.</p>" + table(shown, fmt, headers, left=("score", "favours", "verdict"))
    )


def quantile_section(report: FactorReport) -> str:
    coverage = pd.DataFrame(
        {
            "score": list(report.stats),
            "names scored (mean)": [s.coverage["scored"].mean() for s in report.stats.values()],
            "tradable (mean)": [s.coverage["tradable"].mean() for s in report.stats.values()],
            "coverage (mean)": [s.coverage["coverage"].mean() for s in report.stats.values()],
            "coverage (lowest)": [s.coverage["coverage"].min() for s in report.stats.values()],
        }
    )
    fmt = {
        "names scored (mean)": lambda x: num(x, 1),
        "tradable (mean)": lambda x: num(x, 1),
        "coverage (mean)": lambda x: pct(x, 0),
        "coverage (lowest)": lambda x: pct(x, 0),
    }
    rows = []
    for name, s in report.stats.items():
        for k, r in s.quantile_stats.iterrows():
            rows.append({"score": name, "quantile": int(k), **r.to_dict()})
    quantile_table = pd.DataFrame(rows)
    qfmt = {
        "min": lambda x: num(x, 2, True),
        "mean": lambda x: num(x, 2, True),
        "max": lambda x: num(x, 2, True),
        "names_per_date": lambda x: num(x, 1),
    }
    return (
        "<p class='muted'>Coverage: names with a score / names with a price on the "
        "rebalance date. A name without a score is not in any quantile and in no IC.</p>"
        + table(coverage, fmt, {c: c[:1].upper() + c[1:] for c in coverage.columns})
        + coverage_figure(report)
        + f"<p class='muted'>{QUANTILE_NAMES.get(report.quantiles, 'quantile').capitalize()}s"
        " are cut on each date by rank (tied names share one), 1 = lowest score.</p>"
        + "<details><summary>score range and size of each quantile</summary>"
        + table(quantile_table, qfmt, {"names_per_date": "Names per date"})
        + "</details>"
    )


def returns_section(report: FactorReport) -> str:
    q, h = report.quantiles, report.horizon
    rows = []
    for name, s in report.stats.items():
        means = s.quantile_returns[h].mean()
        sp = report.spread[(report.spread["score"] == name) & (report.spread["horizon"] == h)]
        sp = sp.iloc[0]
        rows.append(
            {
                "score": name,
                **{f"Q{k}": means.get(k) for k in range(1, q + 1)},
                "top minus bottom [95% interval]": _interval(sp["mean"], sp["lo"], sp["hi"]),
            }
        )
    by_q = pd.DataFrame(rows)
    fmt = {f"Q{k}": (lambda x: pct(x, 2, True)) for k in range(1, q + 1)}
    spreads = report.spread.copy()
    wide = pd.DataFrame({"score": list(report.stats)})
    for horizon in report.horizons:
        part = spreads[spreads["horizon"] == horizon].set_index("score")
        wide[f"{horizon} days"] = [
            _interval(part.loc[n, "mean"], part.loc[n, "lo"], part.loc[n, "hi"])
            for n in wide["score"]
        ]
    headers = {c: c for c in wide.columns} | {"score": "Score"}
    return (
        f"<p class='muted'>Mean {h}-day total return from the fill after each rebalance date "
        f"(the run's fill rule: {e(report.fill)}), equal-weighted within each "
        f"{QUANTILE_NAMES.get(q, 'quantile')}, averaged over dates. The interval is a "
        "moving-block bootstrap of the mean top-minus-bottom spread over dates (blocks of "
        "at least 3 dates, covering the overlap of long horizons; 2000 draws, seed 0).</p>"
        + table(
            by_q,
            fmt,
            {
                "score": "Score",
                "top minus bottom [95% interval]": "Top minus bottom [95% interval]",
            },
        )
        + quantile_figure(report)
        + "<h3>Top minus bottom at every horizon [95% interval]</h3>"
        + table(wide, headers=headers)
        + "<h3>Cumulative top minus bottom</h3><p class='muted'>The top quantile bought and "
        "the bottom one sold at each fill and held to the next (no costs), compounded: a "
        "picture of when a score worked, not a tradable result.</p>" + cumulative_figure(report)
    )


def information_section(report: FactorReport) -> str:
    s = report.summary
    rank = s[s["method"] == "rank_ic"].set_index(["score", "horizon"])
    pearson = s[s["method"] == "ic"].set_index(["score", "horizon"])
    shown = rank.reset_index()[["score", "horizon", "mean", "std", "ir", "hit_rate", "t", "p", "n"]]
    shown["ic_mean"] = pearson["mean"].reindex(rank.index).to_numpy()
    shown["ic_t"] = pearson["t"].reindex(rank.index).to_numpy()
    fmt = {
        "horizon": lambda x: f"{int(x)} d",
        "mean": lambda x: num(x, 3, True),
        "std": lambda x: num(x, 3),
        "ir": lambda x: num(x, 2, True),
        "hit_rate": lambda x: pct(x, 0),
        "t": lambda x: num(x, 1),
        "p": lambda x: num(x, 3),
        "n": lambda x: "" if x != x else str(int(x)),
        "ic_mean": lambda x: num(x, 3, True),
        "ic_t": lambda x: num(x, 1),
    }
    headers = {
        "mean": "Rank IC mean",
        "std": "Std",
        "ir": "IR",
        "hit_rate": "Share > 0",
        "t": "t (HAC)",
        "p": "p",
        "n": "Dates",
        "ic_mean": "IC (Pearson) mean",
        "ic_t": "IC t (HAC)",
    }
    parts = [
        "<p class='muted'>Per score and horizon: the mean of the per-date rank IC, its "
        "standard deviation, IR = mean / std, the share of dates with a positive IC, and the "
        "t-statistic and p-value from Newey-West standard errors (statsmodels; lags: the "
        "larger of floor(4 (dates/100)^(2/9)) and the overlap of the horizon). Pearson "
        "IC beside it. p here is per test, not adjusted.</p>",
        table(shown, fmt, headers, left=("score",)),
        ic_figure(report),
    ]
    if not report.regimes.empty:
        wide = report.regimes.assign(
            cell=[
                f"{num(m, 3, True)} (t {num(t, 1)}, {int(n)})"
                for m, t, n in zip(
                    report.regimes["mean"],
                    report.regimes["t"],
                    report.regimes["dates"],
                    strict=True,
                )
            ]
        ).pivot(index="score", columns="period", values="cell")
        order = list(dict.fromkeys(report.regimes["period"]))
        wide = wide.reindex(index=list(report.stats), columns=order).reset_index()
        parts += [
            f"<h3>Rank IC per regime period ({report.horizon} days)</h3><p class='muted'>"
            "Mean rank IC of the rebalance dates inside each period of data/regimes.yaml "
            "(t from HAC errors, number of dates). Periods overlap, and a short period has few "
            "dates: read these as description, not as tests.</p>",
            table(wide, headers={c: c for c in wide.columns} | {"score": "Score"}),
        ]
    if not report.groups.empty:
        g = report.groups
        wide = g.assign(
            cell=[
                "" if n == 0 else f"{num(m, 3, True)} (t {num(t, 1)})"
                for m, t, n in zip(g["mean"], g["t"], g["dates"], strict=True)
            ]
        ).pivot(index="score", columns="group", values="cell")
        sizes = g.drop_duplicates("group").set_index("group")["names"]
        wide = wide.reindex(index=list(report.stats)).reset_index()
        headers = {c: f"{c} ({sizes[c]})" for c in sizes.index} | {"score": "Score"}
        parts += [
            f"<h3>Rank IC within each group ({report.horizon} days)</h3><p class='muted'>The "
            "rank IC computed among the names of one group of data/universes.yaml (number of "
            "names in brackets; dates with at least 3 of them scored). Does a score rank "
            "names within a group, or only separate the groups?</p>",
            table(wide, headers=headers),
        ]
    return "".join(parts)


def turnover_section(report: FactorReport) -> str:
    rows = [
        {
            "score": name,
            "rank_autocorrelation": s.autocorrelation.mean(),
            "top_turnover": s.turnover.mean(),
        }
        for name, s in report.stats.items()
    ]
    fmt = {"rank_autocorrelation": lambda x: num(x, 2), "top_turnover": lambda x: pct(x, 0)}
    headers = {
        "rank_autocorrelation": "Mean rank autocorrelation",
        "top_turnover": "Mean top-quantile turnover",
    }
    return (
        "<p class='muted'>Rank autocorrelation: Spearman correlation of a score with its value "
        "on the previous rebalance date, over the names scored on both. Turnover: the share "
        "of the top quantile's names that were not in it on the previous date.</p>"
        + table(pd.DataFrame(rows), fmt, headers)
        + turnover_figure(report)
    )


def render(report: FactorReport, seconds: float = 0.0) -> str:
    """The whole page."""
    first, last = report.dates[0].date(), report.dates[-1].date()
    took = f" in {seconds:.1f} s" if seconds else ""
    parts = [
        f"<h1>Factor tear sheet: {e(report.name)}</h1>",
        f"<p class='sub'>{e(report.strategy)}; {len(report.dates)} rebalance dates, {first} "
        f"to {last}; forward returns over {', '.join(str(h) for h in report.horizons)} "
        f"trading days from the fill ({e(report.fill)}); "
        f"{QUANTILE_NAMES.get(report.quantiles, f'{report.quantiles} quantile')}s; "
        f"generated {dt.datetime.now().isoformat(timespec='seconds')}{took}.</p>",
    ]
    parts += [f"<p class='note'>{e(c)}</p>" for c in report.caveats]
    sections = [
        ("verdicts", "Verdicts", verdict_section(report)),
        ("quantiles", "Quantile statistics", quantile_section(report)),
        ("returns", "Returns analysis", returns_section(report)),
        ("information", "Information analysis", information_section(report)),
        ("turnover", "Turnover analysis", turnover_section(report)),
    ]
    parts.append(
        "<p>" + " &middot; ".join(f"<a href='#{sid}'>{e(h)}</a>" for sid, h, _ in sections) + "</p>"
    )
    parts += [f"<h2 id='{sid}'>{e(h)}</h2>{body}" for sid, h, body in sections]
    files = " ".join(f"<a href='{e(n)}'>{e(n)}</a>" for n in report.tables())
    notes = "".join(f"<li>{e(n)}</li>" for n in report.notes)
    parts.append(
        "<h2 id='method'>Method and files</h2><p class='muted'>Scores are what the strategy "
        "recorded on each rebalance date (view.record_scores) over the names tradable that "
        "day, plus the China revenue share of every tradable name by each measure. Forward "
        "returns use only the run's own adjusted prices inside its window and start at the "
        "run's fill after the signal date, so nothing known on that date is in them. A date "
        f"needs {report.min_names} names with a score and a return for an IC. The tables: "
        f"{files}.</p>"
        + (f"<details><summary>run notes</summary><ul>{notes}</ul></details>" if notes else "")
    )
    return page(f"airegime factors: {report.name}", parts)
