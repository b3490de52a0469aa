"""The quantstats HTML tear sheet of one run, against its benchmark, with its defects fixed.

The "Key Performance Metrics" table is :func:`airegime.stats.metrics_table.metrics_table`
(each column on its own dates, the run's annualisation, relative statistics for the
strategy only, open drawdowns "not recovered", blanks where a figure is undefined), so
the page agrees with metrics.json; a benchmark year not covered in full is blank in the
EOY table, and notes under the title say when the benchmark is measured on fewer dates
or the run is too short to annualise. quantstats 0.0.86 (pinned) also has seven defects
in its figures and template on this stack; each is fixed at its cause, only while our
report is drawn (:func:`quantstats_fixes`):

- **EOY returns chart**: quantstats resamples to a DatetimeIndex and lets pandas draw
  the bars; pandas 3 places bars of a DatetimeIndex at the dates' values (e.g. 50 for
  2020) while quantstats puts its year ticks at 0..n-1, so labels pile up on the left
  and bars on the right. We give the bars years as labels (categorical positions).
- **Rolling beta** was ``fillna(0)``-ed, drawing 0 until the window filled; ours is
  blank (NaN) until then.
- **Monthly heatmap** filled months outside the data with 0.00; they stay blank.
- **Template**: its ``<body onload="save()">`` calls a function that does not exist
  (a JavaScript error) and its favicon is fetched from qtpylib.io (a request to
  another site). Our template drops both and links the run's portfolio page.
- **Return quantiles**: quantstats resamples each period onto the daily index and
  forward-fills it, so a period whose calendar end is not a trading day (31 Dec 2022, a
  Saturday) never appears, and each period counts once per day. Ours has one value per
  calendar period (the sample's worst year was missing from the "Yearly" box).
- **Drawdown periods**: the chart titled "Worst 5 Drawdown Periods" shaded the five
  *longest*, while the table beside it lists the deepest; ours shades the deepest five.
- **Labels**: quantstats writes "﹪" (U+FE6A, small percent sign), which common fonts
  lack (rendered as a box); the page uses "%".
"""

from __future__ import annotations

import contextlib
import html
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..data.cache import atomic_write_text
from ..quiet import silenced
from ..stats.exposures import rolling_betas
from ..stats.metrics import annualisable, base_before, infer_periods_per_year, min_returns
from ..stats.metrics_table import (
    NOT_RECOVERED,
    drawdowns_marked,
    metrics_table,
    open_drawdown_marked,
)

if TYPE_CHECKING:
    from ..results import RunResult

SMALL_PERCENT = "\ufe6a"


def changed_params(strategy: Any) -> dict[str, Any]:
    """The strategy's parameters that differ from their defaults, nested ones dotted."""

    def flat(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in data.items():
            if isinstance(value, dict):
                out.update(flat(value, f"{prefix}{key}."))
            else:
                out[f"{prefix}{key}"] = value
        return out

    defaults = flat(type(strategy.params)().model_dump())
    return {k: v for k, v in flat(strategy.params.model_dump()).items() if defaults.get(k) != v}


def tearsheet_title(result: RunResult) -> str:
    """``name: strategy, fill rule`` plus only the parameters that differ from defaults."""
    config = result.config
    changed = changed_params(config.build_strategy())
    fill = result.provenance.get("fill", "")
    parts = [config.strategy.name, *([f"fill {fill}"] if fill else [])]
    parts += [f"{k}={v}" for k, v in changed.items()]
    return f"{config.name}: {', '.join(parts)}"


# --- fixed plotting functions (same signatures as quantstats.plots) ----------------------


def yearly_returns(returns, benchmark=None, **kwargs):
    """quantstats' EOY bars with years as categorical labels (pandas-3 safe)."""
    from quantstats._plotting import core

    def by_year(series: pd.Series) -> pd.Series:
        out = (1 + series.fillna(0.0)).groupby(series.index.year).prod() - 1
        out.index = out.index.astype(str)
        return out.rename(series.name)

    years = by_year(returns)
    bench = by_year(benchmark.reindex(returns.index)) if benchmark is not None else None
    return core.plot_returns_bars(
        years,
        bench,
        hline=years.mean(),
        hlw=kwargs.get("hlw", 1.5),
        hlcolor="red",
        resample=None,
        title="EOY Returns vs Benchmark" if bench is not None else "EOY Returns",
        figsize=kwargs.get("figsize", (10, 5)),
        grayscale=kwargs.get("grayscale", False),
        ylabel=kwargs.get("ylabel", True),
        subtitle=False,  # quantstats' subtitle reads dates from the index
        savefig=kwargs.get("savefig"),
        show=kwargs.get("show", True),
    )


def rolling_beta(returns, benchmark, window1=126, window1_label="6-Months", window2=252, **kwargs):
    """Rolling beta to the benchmark, blank until each window has filled."""
    import matplotlib.pyplot as plt

    window2_label = kwargs.get("window2_label", "12-Months")
    factor = pd.Series(benchmark, index=returns.index).to_frame("b")
    fig, ax = plt.subplots(figsize=kwargs.get("figsize", (10, 3)))
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    fig.suptitle("Rolling Beta to Benchmark", y=0.94, fontweight="bold", fontsize=14)
    first = rolling_betas(returns, factor, window1)["b"]
    ax.plot(first, lw=1.5, label=window1_label, color="#348DC1")
    if window2:
        second = rolling_betas(returns, factor, window2)["b"]
        ax.plot(second, lw=1.0, label=window2_label, color="gray", alpha=0.8)
    ax.axhline(first.mean(), ls="--", lw=1.5, color="red", zorder=2)
    ax.axhline(0, ls="--", lw=1, color="black", zorder=2)
    ax.set_xlim(returns.index[0], returns.index[-1])
    fig.autofmt_xdate()
    ax.legend(fontsize=11)
    fig.tight_layout()
    savefig = kwargs.get("savefig")
    if savefig:
        fig.savefig(**savefig) if isinstance(savefig, dict) else fig.savefig(savefig)
    plt.close(fig)
    return None if kwargs.get("show", True) else fig


#: The periods of the return-quantiles chart and their pandas resampling rules.
PERIODS = {"Daily": None, "Weekly": "W-FRI", "Monthly": "ME", "Quarterly": "QE", "Yearly": "YE"}


def period_returns(returns: pd.Series, compounded: bool = True) -> dict[str, pd.Series]:
    """One return per calendar period that has data (a week, month, quarter, year)."""
    daily = returns.dropna()
    out = {"Daily": daily}
    for name, rule in PERIODS.items():
        if rule is None:
            continue
        grouped = daily.resample(rule)
        values = grouped.apply(lambda r: (1 + r).prod() - 1) if compounded else grouped.sum()
        out[name] = values[grouped.count() > 0]
    return out


def distribution(returns, fontname="Arial", grayscale=False, figsize=(10, 6), **kwargs):
    """quantstats' return-quantiles box plot with one value per calendar period."""
    import matplotlib.pyplot as plt
    from quantstats._plotting.core import _FLATUI_COLORS

    periods = period_returns(returns, kwargs.get("compounded", True))
    colors = ["#bbbbbb"] * 5 if grayscale else _FLATUI_COLORS[:5]
    fig, ax = plt.subplots(figsize=figsize)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    title = kwargs.get("title")
    fig.suptitle(
        f"{title} - Return Quantiles" if title else "Return Quantiles",
        y=0.94,
        fontweight="bold",
        fontsize=14,
    )
    boxes = ax.boxplot(
        [series.to_numpy() for series in periods.values()],
        tick_labels=[f"{name}\n(n={len(series)})" for name, series in periods.items()],
        patch_artist=True,
        widths=0.6,
        medianprops={"color": "black"},
        flierprops={"markersize": 4},
    )
    for patch, colour in zip(boxes["boxes"], colors, strict=True):
        patch.set_facecolor(colour)
    ax.axhline(0, ls="--", lw=1, color="#000000", zorder=0)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda x, _: f"{x:.0%}"))
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return _finish(fig, kwargs)


def worst_drawdowns(returns: pd.Series, periods: int = 5) -> pd.DataFrame:
    """The ``periods`` deepest drawdowns (start, valley, end, days, max drawdown in %),
    as in the tear sheet's "Worst 10 Drawdowns" table; one still open at the last date
    ends "not recovered"."""
    import quantstats as qs

    drawdown = qs.stats.to_drawdown_series(returns.fillna(0.0))
    details = open_drawdown_marked(qs.stats.drawdown_details(drawdown), drawdown)
    return details.sort_values("max drawdown", kind="mergesort").head(periods)


def drawdowns_periods(returns, periods=5, lw=1.5, figsize=(10, 5), **kwargs):
    """Cumulative returns with the ``periods`` deepest drawdowns shaded and labelled."""
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    import quantstats as qs
    from quantstats._plotting.core import format_pct_axis

    worst = worst_drawdowns(returns, periods)
    fig, ax = plt.subplots(figsize=figsize)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    title = kwargs.get("title")
    name = f"Worst {periods} Drawdown Periods (deepest)"
    fig.suptitle(f"{title} - {name}" if title else name, y=0.94, fontweight="bold", fontsize=14)
    compounded = kwargs.get("compounded", True)
    series = qs.stats.compsum(returns) if compounded else returns.cumsum()
    ax.plot(series, lw=lw, color="#348dc1")
    last = str(returns.index[-1].date())
    for _, row in worst.iterrows():
        end = last if row["end"] == NOT_RECOVERED else str(row["end"])
        start, end = mdates.datestr2num([str(row["start"]), end])
        ax.axvspan(start, end, color="red", alpha=0.1, lw=0)
        ax.text(
            start,
            1.0,
            f"{row['max drawdown']:.0f}%",
            transform=ax.get_xaxis_transform(),
            fontsize=9,
            color="#a00",
            va="bottom",
        )
    ax.axhline(0, ls="--", lw=1, color="#000000", zorder=2)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(format_pct_axis))
    fig.autofmt_xdate()
    fig.tight_layout()
    return _finish(fig, kwargs)


def _finish(fig, kwargs: dict[str, Any]):
    """Save (as quantstats' ``savefig`` argument asks) and close, as quantstats does."""
    import matplotlib.pyplot as plt

    savefig = kwargs.get("savefig")
    if savefig:
        fig.savefig(**savefig) if isinstance(savefig, dict) else fig.savefig(savefig)
    plt.close(fig)
    return None if kwargs.get("show", True) else fig


def blank_outside(monthly: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    """A year x month table (quantstats' ``monthly_returns``, months as "JAN".."DEC")
    with the months before ``first`` and after ``last`` blank instead of 0."""
    out = monthly.astype(float)
    names = [m.upper() for m in pd.date_range("2000-01-01", periods=12, freq="MS").strftime("%b")]
    for year in out.index:
        for column in out.columns:
            month = str(column).upper()
            if month in names:
                stamp = pd.Timestamp(year=int(year), month=names.index(month) + 1, day=1)
                if stamp < first.replace(day=1) or stamp > last.replace(day=1):
                    out.loc[year, column] = np.nan
    return out


@contextlib.contextmanager
def quantstats_fixes(
    table: pd.DataFrame | None = None,
    returns: pd.Series | None = None,
    benchmark: pd.Series | None = None,
) -> Iterator[None]:
    """Swap in the fixed plotting functions while a quantstats report is drawn; with a
    ``table`` (:func:`~airegime.stats.metrics_table.metrics_table`), it is the report's
    metrics table, and with the run's ``returns`` and ``benchmark`` the EOY table
    leaves the benchmark's partly covered years blank."""
    from unittest import mock

    import quantstats as qs

    original_heatmap = qs.plots.monthly_heatmap
    original_monthly = qs.stats.monthly_returns
    original_compare = qs.stats.compare
    patches = []
    if table is not None:
        patches.append(mock.patch.object(qs.reports, "metrics", lambda *a, **k: table.copy()))
    if returns is not None and benchmark is not None:

        def compare(*args, **kwargs):
            out = original_compare(*args, **kwargs)
            if kwargs.get("aggregate", args[2] if len(args) > 2 else None) != "YE":
                return out
            return eoy_covered(out, returns, benchmark)

        patches.append(mock.patch.object(qs.stats, "compare", compare))

    def monthly_heatmap(returns, benchmark=None, **kwargs):
        first, last = returns.index[0], returns.index[-1]

        def monthly_returns(series, *args, **kw):
            return blank_outside(original_monthly(series, *args, **kw), first, last)

        with mock.patch.object(qs.stats, "monthly_returns", monthly_returns):
            return original_heatmap(returns, benchmark, **kwargs)

    with (
        mock.patch.object(qs.plots, "yearly_returns", yearly_returns),
        mock.patch.object(qs.plots, "rolling_beta", rolling_beta),
        mock.patch.object(qs.plots, "monthly_heatmap", monthly_heatmap),
        mock.patch.object(qs.plots, "distribution", distribution),
        mock.patch.object(qs.plots, "drawdowns_periods", drawdowns_periods),
        drawdowns_marked(),
        contextlib.ExitStack() as stack,
    ):
        for patch in patches:
            stack.enter_context(patch)
        yield


def template(portfolio_link: bool, notes: list[str] | None = None, caveats: str = "") -> str:
    """quantstats' report template without its broken onload call and outside favicon,
    with ``caveats`` (HTML: the run's warnings, fill rule, coverage) and the run's
    ``notes`` about its figures under the title, above everything else."""
    import quantstats as qs

    text = (Path(qs.__file__).parent / "report.html").read_text(encoding="utf-8")
    fixes = {
        '<body onload="save()">': "<body>",
        '<link rel="shortcut icon" href="https://qtpylib.io/favicon.ico" type="image/x-icon">': (
            "<link rel='icon' href='data:,'>"
        ),
    }
    for old, new in fixes.items():
        if old not in text:
            raise RuntimeError(f"quantstats report.html changed: {old!r} not found")
        text = text.replace(old, new)
    style = "margin:10px 0 0;background:#fff4d6;padding:4px 8px"
    head = "".join(
        f"<p style='{style}'>{html.escape(note, quote=False)}</p>" for note in notes or []
    )
    if portfolio_link:
        head += (
            "<p style='margin:10px 0 0'><a href='portfolio.html'>Portfolio page: holdings, "
            "China exposure, stress replays</a></p>"
        )
    return text.replace("<hr>", caveats + head + "<hr>", 1)


def page_notes(
    returns: pd.Series,
    benchmark: pd.Series,
    benchmark_name: str,
    periods_per_year: int,
    benchmark_base: pd.Timestamp | None = None,
) -> list[str]:
    """What the reader must know about the page's figures: a benchmark measured on fewer
    dates than the strategy (from ``benchmark_base``, its first price), or too few
    returns to annualise."""
    notes = []
    own = benchmark.dropna()
    if own.empty:
        notes.append(f"{benchmark_name} has no prices in this window: its column is blank.")
    elif len(own) < len(returns):
        first = (benchmark_base if benchmark_base is not None else own.index[0]).date()
        notes.append(
            f"{benchmark_name} has returns on {len(own)} of the strategy's {len(returns)} "
            f"days (prices {first}..{own.index[-1].date()}): its figures are "
            "measured on those dates only, its curves are flat where it has none, and a "
            "year it does not cover in full is blank in the EOY table."
        )
    if not annualisable(len(returns), periods_per_year):
        notes.append(
            f"{plural(len(returns), 'return')}: too few to annualise (fewer than "
            f"{min_returns(periods_per_year)}, a quarter of a year at {periods_per_year} a "
            "year), so CAGR, Sharpe, Sortino, volatility and the other annualised rows are "
            "blank (-)."
        )
    return notes


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def eoy_covered(table: pd.DataFrame, returns: pd.Series, benchmark: pd.Series) -> pd.DataFrame:
    """quantstats' EOY table (benchmark, strategy, multiplier, won; one row per year)
    with the benchmark's figures blank in years it does not cover in full."""
    own = benchmark.dropna()
    out = table.copy()
    bench_col, _, multiplier, won = out.columns[:4]
    partial = []
    for year in out.index:
        days = returns.index[returns.index.year == int(year)]
        if own.empty or not len(days) or own.index[0] > days[0] or own.index[-1] < days[-1]:
            partial.append(year)
    if not partial:
        return out
    for name in (bench_col, multiplier):
        out[name] = [f"{v:.2f}" if pd.notna(v) else "-" for v in out[name]]
        out.loc[partial, name] = "-"
    out[won] = out[won].astype(object)
    out.loc[partial, won] = "-"
    return out


def write_tearsheet(
    returns: pd.Series,
    benchmark: pd.Series,
    path: Path,
    title: str,
    benchmark_name: str,
    portfolio_link: bool = True,
    caveats: str = "",
    periods_per_year: int | None = None,
    base: pd.Timestamp | None = None,
) -> Path:
    """Write quantstats' full HTML report of a run against its benchmark.

    Both series have the run's naive dates; the benchmark is NaN on dates it has no
    price and is measured on the others. ``periods_per_year`` (default: from the
    calendar) and ``base`` (the run's first day, from which the first return is measured)
    give the same annualisation as metrics.json. The metrics table is
    :func:`~airegime.stats.metrics_table.metrics_table`'s, each column on its own dates.
    ``caveats``: HTML shown under the title (the run's warnings, fill rule, coverage; see
    :func:`airegime.reports.caveats.caveats_html`).
    """
    import quantstats as qs

    strategy = returns.rename("Strategy")
    bench = benchmark.reindex(strategy.index).rename(benchmark_name)
    ppy = periods_per_year or infer_periods_per_year(strategy.index)
    own = bench.dropna()
    calendar = strategy.index.insert(0, base) if base is not None else strategy.index
    bench_base = base_before(calendar, own.index[0]) if len(own) else None
    table = metrics_table(
        {"Strategy": strategy},
        (benchmark_name, bench),
        ppy,
        {"Strategy": base, benchmark_name: bench_base},
    )
    notes = page_notes(strategy, bench, benchmark_name, ppy, bench_base)
    with tempfile.TemporaryDirectory() as tmp:
        template_path = Path(tmp) / "report.html"
        template_path.write_text(template(portfolio_link, notes, caveats), encoding="utf-8")
        out = Path(tmp) / "tearsheet.html"
        with silenced(), quantstats_fixes(table, strategy, bench):
            qs.reports.html(
                strategy,
                benchmark=bench if len(own) else None,
                output=str(out),
                title=title,
                download_filename=path.name,
                periods_per_year=ppy,
                template_path=str(template_path),
                match_dates=False,
            )
        page = out.read_text(encoding="utf-8").replace(SMALL_PERCENT, "%")
    atomic_write_text(path, page)
    return path
