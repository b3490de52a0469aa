"""The portfolio page of a run (``portfolio.html``): what the strategy held and why.

Reads the run folder only: ``weights.csv``, ``targets.csv``, ``diagnostics.json``,
``config.yaml`` and the ``portfolio_*.csv`` tables that :mod:`airegime.stats.exposures`
wrote at run time. One self-contained page (figures inline as PNG, no scripts).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..data.cache import atomic_write_text
from ..results import RunResult
from ..stats.exposures import BETA_FACTORS, TABLES
from .caveats import caveats_html, coverage_figure, coverage_line, coverage_series
from .html import GROUP_COLORS, e, img, num, page, pct, percent_axis, table, tidy
from .tearsheet import tearsheet_title

TOP_NAMES = 5
RECENT_REBALANCES = 12


def load_tables(run_dir: Path) -> dict[str, pd.DataFrame]:
    """The ``portfolio_*.csv`` tables present in a run folder, by key."""
    out = {}
    for key, name in TABLES.items():
        path = run_dir / name
        if path.is_file() and path.stat().st_size > 1:
            index = {"contribution": "ticker", "contribution_groups": "group"}.get(key, 0)
            frame = pd.read_csv(path, index_col=index)
            if key not in ("contribution", "contribution_groups"):
                frame.index = pd.to_datetime(frame.index)
            out[key] = frame
    return out


def _weekly(frame: pd.DataFrame) -> pd.DataFrame:
    """Last row of each week: enough for multi-year charts, a fifth of the points."""
    return frame.groupby(frame.index.to_period("W")).tail(1)


def holdings_figure(groups: pd.DataFrame) -> str:
    import matplotlib.pyplot as plt

    weekly = _weekly(groups)
    cols = [c for c in weekly.columns if c not in ("suppliers", "names", "cash")]
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(11, 5.2), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    top.stackplot(
        weekly.index,
        *[weekly[c].clip(lower=0) for c in [*cols, "cash"]],
        labels=[*cols, "cash"],
        colors=[GROUP_COLORS.get(c, "#c7c7c7") for c in [*cols, "cash"]],
        alpha=0.9,
    )
    top.plot(weekly.index, weekly["suppliers"], color="black", lw=1.2, ls="--", label="suppliers")
    top.set_ylim(0, 1)
    top.set_ylabel("share of portfolio")
    percent_axis(top)
    tidy(top, outside=True)
    bottom.plot(weekly.index, weekly["names"], color="#333", lw=1.2, drawstyle="steps-post")
    bottom.set_ylabel("names held")
    bottom.set_ylim(0, max(1, weekly["names"].max()) * 1.15)
    tidy(bottom, legend=False)
    return img(fig, "holdings by group and number of names")


def china_figure(china: pd.DataFrame) -> str:
    """Exposure lines on their own scale above; the weight each measure cannot see below
    (on one 0-100% axis the few-percent lines were flattened under the unknown area)."""
    import matplotlib.pyplot as plt

    weekly = _weekly(china)
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(11, 4.6), sharex=True, gridspec_kw={"height_ratios": [2.2, 1]}
    )
    top.plot(
        weekly.index,
        weekly["disclosed"],
        color="#c0392b",
        lw=1.6,
        label="disclosed revenue share (names without one count as 0)",
    )
    if "market" in weekly:
        top.plot(
            weekly.index, weekly["market"], color="#8e44ad", lw=1.4, label="market-implied share"
        )
    shown = [c for c in ("disclosed", "market") if c in weekly]
    peak = float(weekly[shown].max().max()) if len(weekly) else 0.0
    top.set_ylim(0, max(0.05, peak * 1.15 if peak == peak else 0.05))
    top.set_ylabel("China share")
    percent_axis(top, digits=0 if peak > 0.1 else 1)
    tidy(top, outside=True)
    bottom.fill_between(
        weekly.index,
        0,
        weekly["disclosed_unknown_weight"],
        color="#c0392b",
        alpha=0.25,
        lw=0,
        label="no disclosed share",
    )
    if "market_unknown_weight" in weekly:
        bottom.plot(
            weekly.index,
            weekly["market_unknown_weight"],
            color="#8e44ad",
            lw=1.2,
            label="no market-implied estimate",
        )
    bottom.set_ylim(0, 1)
    bottom.set_ylabel("weight unseen")
    percent_axis(bottom)
    tidy(bottom, outside=True)
    return img(fig, "China exposure over time")


def profile_figure(profile: pd.DataFrame) -> str:
    import matplotlib.pyplot as plt

    panels = [
        ("net_cash_to_assets", "net cash / total assets", True),
        ("capex_to_ocf", "capex / operating cash flow (median)", True),
        ("pe_ttm", "trailing P/E (harmonic)", False),
    ]
    fig, axes = plt.subplots(1, 3, figsize=(11, 2.9))
    for ax, (col, title, as_pct) in zip(axes, panels, strict=True):
        cover = profile.get(f"{col}_coverage")
        coverage = float(cover.mean()) if cover is not None and cover.notna().any() else 0.0
        ax.set_title(f"{title}\n(average coverage {coverage:.0%} of weight)", fontsize=9)
        if col in profile and profile[col].notna().any():
            ax.plot(profile.index, profile[col], color="#2c3e50", lw=1.3, drawstyle="steps-post")
            if as_pct:
                percent_axis(ax)
        else:
            ax.text(0.5, 0.5, "unknown\n(no data)", ha="center", va="center", color="#888")
            ax.set_xticks([])
            ax.set_yticks([])
        ax.tick_params(labelsize=8)
        tidy(ax, legend=False)
    fig.autofmt_xdate()
    return img(fig, "fundamentals profile over time")


def bar_width_days(index: pd.DatetimeIndex) -> float:
    """Bars 80% as wide as the usual gap between trading days with fills, 3 to 25 days.

    A fixed 6-day bar is under 2 px on a ten-year axis, and the white edge the quantstats
    theme gives every patch (it is imported before this page is drawn) hid most of them,
    the largest included."""
    gaps = index.to_series().diff().dt.days.dropna()
    return float(min(max(0.8 * gaps.median(), 3.0), 25.0)) if len(gaps) else 5.0


def turnover_figure(turnover: pd.DataFrame) -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 2.8))
    width = bar_width_days(turnover.index)
    ax.bar(turnover.index, turnover["turnover"], width=width, color="#34495e", lw=0)
    ax.set_ylabel("one-way turnover")
    percent_axis(ax)
    tidy(ax, legend=False)
    return img(fig, "turnover per rebalance")


def contribution_figure(names: pd.DataFrame, groups: pd.DataFrame) -> str:
    import matplotlib.pyplot as plt

    shown = pd.concat([names["contribution"].head(10), names["contribution"].tail(5)])
    shown = shown[~shown.index.duplicated()].sort_values()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [3, 2]})
    left.barh(
        shown.index,
        shown,
        color=[GROUP_COLORS.get(names.loc[t, "group"], "#999") for t in shown.index],
    )
    left.set_title("by name (top 10 and bottom 5)", fontsize=9)
    percent_axis(left, "x")
    g = groups["contribution"].sort_values()
    right.barh(g.index, g, color=[GROUP_COLORS.get(x, "#999") for x in g.index])
    right.set_title("by group", fontsize=9)
    percent_axis(right, "x")
    for ax in (left, right):
        ax.axvline(0, color="black", lw=0.6)
        ax.tick_params(labelsize=8)
        tidy(ax, legend=False)
    fig.tight_layout()
    return img(fig, "contribution to return by name and group")


def betas_figure(betas: pd.DataFrame) -> str:
    import matplotlib.pyplot as plt

    colours = {"SPY": "#1f77b4", "SOXX": "#d62728", "KWEB": "#e377c2", "TLT": "#2ca02c"}
    fig, ax = plt.subplots(figsize=(11, 3.2))
    weekly = _weekly(betas)
    for name in [f for f in BETA_FACTORS if f in weekly]:
        ax.plot(weekly.index, weekly[name], lw=1.3, label=name, color=colours.get(name))
    ax.axhline(0, color="black", lw=0.6)
    ax.axhline(1, color="#999", lw=0.6, ls=":")
    ax.set_ylabel("126-day beta")
    tidy(ax, outside=True)
    return img(fig, "rolling betas")


def signals_figure(signals: pd.DataFrame) -> str | None:
    """On/off regime signals as strips, and the defensive share they caused."""
    import matplotlib.pyplot as plt

    flags = [
        c
        for c in signals.columns
        if set(signals[c].dropna().unique()) <= {0.0, 1.0} and c != "defensive_share"
    ]
    if not flags and "defensive_share" not in signals:
        return None
    fig, (top, bottom) = plt.subplots(
        2,
        1,
        figsize=(11, 1.2 + 0.45 * len(flags) + 1.6),
        sharex=True,
        gridspec_kw={"height_ratios": [max(len(flags), 1) * 0.45, 1.6]},
    )
    idx = signals.index
    ends = [
        *list(idx[1:]),
        idx[-1] + (idx[-1] - idx[-2] if len(idx) > 1 else pd.Timedelta(30, "D")),
    ]
    for row, name in enumerate(flags):
        for start, end, on in zip(idx, ends, signals[name].fillna(0).to_numpy(), strict=True):
            if on:
                top.axvspan(
                    start,
                    end,
                    ymin=(row + 0.15) / len(flags),
                    ymax=(row + 0.85) / len(flags),
                    color="#c0392b",
                    alpha=0.8,
                    lw=0,
                )
    top.set_yticks([(i + 0.5) / max(len(flags), 1) for i in range(len(flags))], flags, fontsize=8)
    top.set_ylim(0, 1)
    top.set_title("signals on (red) at each rebalance", fontsize=9)
    for side in ("top", "right"):
        top.spines[side].set_visible(False)
    if "defensive_share" in signals:
        bottom.step(idx, signals["defensive_share"], where="post", color="#2c3e50", lw=1.4)
        bottom.fill_between(
            idx, 0, signals["defensive_share"], step="post", color="#2c3e50", alpha=0.15
        )
        bottom.set_ylim(0, 1.05)
        bottom.set_ylabel("defensive share")
        percent_axis(bottom)
    tidy(bottom, legend=False)
    return img(fig, "regime signals and defensive share")


def top_positions(targets: pd.DataFrame, n: int = TOP_NAMES) -> pd.DataFrame:
    """The ``n`` largest target weights of each rebalance, newest first, as 'NVDA 8.2%'."""
    rows = {}
    for date, row in targets.iloc[::-1].iterrows():
        top = row[row > 0].sort_values(ascending=False).head(n)
        rows[date.date()] = {
            "names": int((row > 0).sum()),
            **{f"#{i + 1}": f"{t} {w:.1%}" for i, (t, w) in enumerate(top.items())},
        }
    frame = pd.DataFrame.from_dict(rows, orient="index").fillna("")
    frame.index.name = "rebalance"
    return frame


def stress_table(stress: pd.DataFrame, benchmark: str) -> str:
    shown = stress.reset_index()
    shown["date"] = pd.to_datetime(shown["date"]).dt.date.astype(str)
    cols = {
        "date": "Day",
        "label": "Event",
        "benchmark": benchmark,
        "held_then": "Book held then",
        "actual": "Run's return",
        "current_book": "Today's book",
        "current_unpriced_weight": "Unpriced then",
        "worst_now": "Today's book: worst names",
    }
    shown = shown[list(cols)].fillna({"worst_now": ""})
    return table(
        shown,
        {
            "benchmark": lambda v: pct(v, 1, True),
            "held_then": lambda v: pct(v, 1, True),
            "actual": lambda v: pct(v, 1, True),
            "current_book": lambda v: pct(v, 1, True),
            "current_unpriced_weight": lambda v: "" if v != v or v < 1e-9 else pct(v, 0),
        },
        cols,
        left=("date", "label", "worst_now"),
        signed_colours=("benchmark", "held_then", "actual", "current_book"),
    )


def turnover_label(metrics: dict) -> str:
    """What the turnover figure counts: without the initial purchase, and the figure with."""
    incl = metrics.get("turnover_incl_initial")
    if "turnover_incl_initial" not in metrics:  # run folders written before it existed
        return "turnover per year (initial purchase included)"
    return f"turnover per year, initial purchase left out ({num(incl, 2) or 'blank'} with it)"


def facts(run: RunResult, tables: dict[str, pd.DataFrame]) -> str:
    latest = run.weights.iloc[-1]
    held = latest[latest > 1e-9].sort_values(ascending=False)
    items = [(str(len(held)), f"names held on {run.weights.index[-1].date()}")]
    if len(held):
        items.append((f"{held.iloc[0]:.1%}", f"largest position ({held.index[0]})"))
    groups = tables.get("groups")
    if groups is not None:
        last = groups.iloc[-1].drop(["names", "suppliers", "cash"], errors="ignore")
        if len(held) and last.max() > 1e-9:
            items.append((f"{last.max():.0%}", f"largest group ({last.idxmax()})"))
        else:  # all cash: no group is the largest
            items.append(("-", "largest group: no holdings"))
        items.append((f"{groups['suppliers'].iloc[-1]:.0%}", "in the article's suppliers"))
    china = tables.get("china")
    if china is not None:
        row = china.iloc[-1]
        known = row.get("disclosed_known_weight", 1 - row["disclosed_unknown_weight"])
        items.append(
            (f"{row['disclosed']:.1%}", f"China revenue share, disclosed ({known:.0%} of weight)")
        )
        if "market" in china and row["market"] == row["market"]:
            seen = 1 - row.get("market_unknown_weight", 0.0)
            items.append(
                (f"{row['market']:.1%}", f"China share, market-implied ({seen:.0%} of weight)")
            )
        items.append((f"{row['disclosed_unknown_weight']:.0%}", "weight with no disclosed share"))
    betas = tables.get("betas")
    if betas is not None and "SPY" in betas and betas["SPY"].notna().any():
        items.append((f"{betas['SPY'].dropna().iloc[-1]:.2f}", "beta to SPY (last 126 days)"))
    items.append((num(run.metrics.get("turnover"), 2), turnover_label(run.metrics)))
    cells = "".join(f"<div class='fact'><b>{e(v)}</b><span>{e(t)}</span></div>" for v, t in items)
    return f"<div class='facts'>{cells}</div>"


def turnover_text(metrics: dict, per_day: pd.DataFrame) -> str:
    """The turnover section's words: the yearly figure and how it counts, the largest day
    after the initial purchase (the first day's bar, which builds the book from cash)."""
    annual = metrics.get("turnover")
    rest = per_day["turnover"].iloc[1:]
    largest = (
        f" The largest after it: {rest.max():.0%} on {rest.idxmax().date()}." if len(rest) else ""
    )
    if "turnover_incl_initial" in metrics:
        yearly = (
            f"{num(annual, 2)} a year on average without the initial purchase "
            f"({num(metrics.get('turnover_incl_initial'), 2)} with it)"
            if num(annual, 2)
            else "too few returns for a yearly figure"
        )
    else:
        yearly = f"{num(annual, 2)} a year on average, initial purchase included"
    return (
        "<p class='muted'>One-way turnover of each trading day with fills (traded value / 2 "
        f"/ portfolio value); {e(yearly)}. The first bar ({per_day.index[0].date()}, "
        f"{per_day['turnover'].iloc[0]:.0%}) is the initial purchase.{e(largest)}</p>"
    )


def render(run_dir: Path) -> str:
    """The portfolio page of ``run_dir`` as one HTML string."""
    run = RunResult.load(run_dir, staging_ok=True)
    tables = load_tables(run_dir)
    bench = run.config.benchmark.upper()
    title = tearsheet_title(run)
    nav = {"Tear sheet": "tearsheet.html"} if (run_dir / "tearsheet.html").is_file() else {}
    start, end = run.returns.index[0].date(), run.returns.index[-1].date()
    parts = [
        f"<h1>Portfolio: {e(run.config.name)}</h1>",
        f"<p class='sub'>{e(title)} &middot; {start} to {end} &middot; benchmark {e(bench)}"
        f" &middot; {e(run.config.rebalance)} rebalance</p>",
        caveats_html(run.provenance, run.metrics),
        facts(run, tables),
    ]
    sections: list[tuple[str, str, str]] = []  # (id, heading, html)
    if "groups" in tables:
        sections.append(
            (
                "holdings",
                "Holdings by group",
                "<p class='muted'>Share of portfolio value per group at each week's close "
                "(dashed: the article's supplier groups together); below, the number of "
                "names held.</p>" + holdings_figure(tables["groups"]),
            )
        )
    positions = top_positions(run.targets)
    recent = positions.head(RECENT_REBALANCES)
    sections.append(
        (
            "positions",
            "Top positions at each rebalance",
            f"<p class='muted'>Target weights decided at the last {len(recent)} rebalances "
            "(newest first); the rest below. <code>airegime explain RUN_DIR --date D</code> "
            "gives every name's score and reason.</p>"
            + table(recent, index=True)
            + f"<details><summary>all {len(positions)} rebalances</summary>"
            + table(positions.iloc[RECENT_REBALANCES:], index=True)
            + "</details>",
        )
    )
    coverage = coverage_series(run)
    if coverage is not None and coverage.max() > 0:  # else the caveats line says it
        threshold = run.config.checks.max_uncovered
        sections.append(
            (
                "coverage",
                "Coverage of the rules",
                "<p class='muted'>At each rebalance, the share of the target weight in names "
                "that at least one of the strategy's active rules had no data for (scored on "
                "fewer components than active; <code>airegime explain</code> gives each "
                f"name's count). The run warns above {threshold:.0%} "
                f"(<code>checks.max_uncovered</code>); {e(coverage_line(run.metrics))}.</p>"
                + coverage_figure({run.config.name: coverage}, threshold),
            )
        )
    if "china" in tables:
        china = tables["china"]
        market = "market" in china
        sections.append(
            (
                "china",
                "China exposure",
                "<p class='muted'>Top: the portfolio's China revenue share from disclosed "
                "figures known at the time (data/china_exposure.csv and fetched 10-K "
                "facts; weight x share summed over the names with a disclosure)"
                + (
                    " and the market-implied share (each name's rolling beta to China "
                    "equities beyond SPY and SOXX, clipped to 0-100%; a ranking device, "
                    "not an estimate of reported revenue, so compare its moves, not its "
                    "level, with the disclosed line)."
                    if market
                    else "; no market-implied measure in this run's data."
                )
                + " Below: the weight each measure cannot see, which the line above "
                "counts as zero.</p>" + china_figure(china),
            )
        )
    if "fundamentals" in tables:
        sections.append(
            (
                "fundamentals",
                "Fundamentals profile",
                "<p class='muted'>Weighted over the names decided at each rebalance that "
                "have the figure, point in time: net cash as a weighted mean, capex / "
                "operating cash flow as a weighted median over names with a positive cash "
                "flow, P/E as a weighted harmonic mean over positive P/Es (names with "
                "losses are left out); coverage is the share of weight with a usable "
                "value.</p>" + profile_figure(tables["fundamentals"]),
            )
        )
    if "turnover" in tables and not tables["turnover"].empty:
        t = tables["turnover"]
        sections.append(
            (
                "turnover",
                "Turnover per rebalance",
                turnover_text(run.metrics, t) + turnover_figure(t),
            )
        )
    if "contribution" in tables:
        names, groups = tables["contribution"], tables["contribution_groups"]
        total = float((1 + run.returns).prod() - 1)
        summed = float(names["contribution"].sum())
        sections.append(
            (
                "contribution",
                "Contribution to return",
                f"<p class='muted'>Each name's gains in units of the starting capital "
                f"(weight at the prior close x the day's return x the portfolio's growth "
                f"so far). They add up to {summed:.0%}; the run returned {total:.0%}, the "
                f"difference being costs.</p>" + contribution_figure(names, groups),
            )
        )
    if "betas" in tables and tables["betas"].notna().any().any():
        sections.append(
            (
                "betas",
                "Rolling betas",
                "<p class='muted'>Beta of the daily returns to each factor ETF over the last "
                "126 trading days; blank until the window has filled.</p>"
                + betas_figure(tables["betas"]),
            )
        )
    signals = tables.get("signals")
    if signals is not None and not signals.empty:
        figure = signals_figure(signals)
        if figure:
            sections.append(
                (
                    "signals",
                    "Regime signals",
                    "<p class='muted'>The signals the strategy recorded at each rebalance "
                    "and the defensive share they caused (all values in "
                    "portfolio_signals.csv).</p>" + figure,
                )
            )
    if "stress" in tables and not tables["stress"].empty:
        sections.append(
            (
                "stress",
                "Stress replays",
                "<p class='muted'>Each dated event of data/regimes.yaml and the benchmark's "
                "worst days in the backtest: the return of the book held at the prior "
                "close, the run's own return that day (after costs), and what today's "
                f"book ({run.weights.index[-1].date()}) would have returned on that day's "
                "actual prices. Names not listed then are left out (their weight is shown)."
                "</p>" + stress_table(tables["stress"], bench),
            )
        )
    parts.append(
        "<p>" + " &middot; ".join(f"<a href='#{sid}'>{e(h)}</a>" for sid, h, _ in sections) + "</p>"
    )
    for sid, heading, body in sections:
        parts.append(f"<h2 id='{sid}'>{e(heading)}</h2>{body}")
    notes = run.provenance.get("notes", [])
    if notes:
        parts.append("<h2>Notes</h2>" + "".join(f"<p class='note'>{e(n)}</p>" for n in notes))
    files = [*sorted(p.name for p in run_dir.glob("*.csv")), "diagnostics.json"]
    parts.append(
        "<p class='muted'>Tables in the run folder: "
        + ", ".join(f"<a href='{e(f)}'>{e(f)}</a>" for f in files)
        + ", <a href='config.yaml'>config.yaml</a>.</p>"
    )
    return page(f"Portfolio: {run.config.name}", parts, nav)


def write_portfolio_page(run_dir: Path) -> Path:
    path = Path(run_dir) / "portfolio.html"
    atomic_write_text(path, render(Path(run_dir)))
    return path
