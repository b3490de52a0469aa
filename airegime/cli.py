"""The ``airegime`` command: thin wrappers around the Python API."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .errors import AiregimeError, Interrupted

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Backtest AI-era equity strategies from YAML configs.",
)
list_app = typer.Typer(no_args_is_help=True, help="List strategies and universes.")
app.add_typer(list_app, name="list")
data_app = typer.Typer(no_args_is_help=True, help="Inspect and fetch prices and fundamentals.")
app.add_typer(data_app, name="data")


def make_console(stderr: bool = False) -> Console:
    """Never hard-wrap printed lines (a path stays on one line, so ``| tail -1`` works);
    when piped, tables get 200 columns instead of rich's default 80."""
    import os

    stream = sys.stderr if stderr else sys.stdout
    piped = not (hasattr(stream, "isatty") and stream.isatty())
    width = 200 if piped and "COLUMNS" not in os.environ else None
    return Console(stderr=stderr, soft_wrap=True, width=width, emoji=False)


console = make_console()
err_console = make_console(stderr=True)


@app.callback()
def _cli_wording(ctx: typer.Context) -> None:
    """Errors raised inside a command name the CLI's options (--set, --strict-dates)."""
    from .errors import use_cli_wording

    ctx.call_on_close(use_cli_wording())


SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set", "-s", help="Override a config key, e.g. strategy.params.top_n=10 (repeatable)."
    ),
]
StrictDatesOption = Annotated[
    bool,
    typer.Option(
        "--strict-dates",
        help="Refuse a window the data do not cover (default: trim it with a note).",
    ),
]
ResultsOption = Annotated[
    Path | None,
    typer.Option("--results-dir", help="Where run folders go (default: results/ of the project)."),
]


def fail(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


#: Exit code of a command stopped by Ctrl-C (128 + SIGINT), as shells report it.
INTERRUPTED_EXIT = 130


@contextlib.contextmanager
def guarded(interrupted: str = "nothing was written; run the command again") -> Iterator[None]:
    """One line and a non-zero exit for every error a user can meet, never a traceback.

    ``interrupted`` says what Ctrl-C leaves behind; an :class:`Interrupted` raised by
    the API (a sweep) carries its own account of what was kept.
    """
    try:
        yield
    except Interrupted as exc:
        err_console.print(
            f"[yellow]interrupted:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
        )
        raise typer.Exit(INTERRUPTED_EXIT) from None
    except KeyboardInterrupt:
        err_console.print(f"[yellow]interrupted:[/] {escape(str(interrupted))}", highlight=False)
        raise typer.Exit(INTERRUPTED_EXIT) from None
    except (AiregimeError, ValueError, KeyError) as exc:
        text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
        fail(text.splitlines()[0] if text else type(exc).__name__)
    except OSError as exc:  # permissions, full disk, vanished files: name the file
        where = f"{exc.filename}: " if exc.filename else ""
        fail(f"{where}{exc.strerror or exc}")


METRIC_ROWS = (
    ("total_return", "Total return", "{:.1%}"),
    ("cagr", "CAGR", "{:.2%}"),
    ("sharpe", "Sharpe", "{:.2f}"),
    ("sortino", "Sortino", "{:.2f}"),
    ("max_drawdown", "Max drawdown", "{:.1%}"),
    ("volatility", "Volatility", "{:.1%}"),
    ("turnover", "Turnover / yr", "{:.2f}"),
    ("exposure", "Exposure", "{:.1%}"),
)


def summary_table(title: str, columns: dict[str, dict[str, float]]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("metric")
    for name in columns:
        table.add_column(name, justify="right")
    for key, label, fmt in METRIC_ROWS:
        cells = []
        for metrics in columns.values():
            value = metrics.get(key)
            cells.append("" if value is None or value != value else fmt.format(value))
        table.add_row(label, *cells)
    return table


def run_caption(provenance: dict) -> str:
    """What a run rests on, under its metrics: the fill rule and the universe."""
    parts = [f"fills: {provenance.get('fill', '?')}"]
    universe = provenance.get("universe")
    if universe:
        late = len(universe.get("listed_after_start") or [])
        parts.append(
            f"universe: {universe['name']} ({universe['count']} names, {late} listed after start)"
        )
    return "; ".join(parts)


@app.command()
def run(
    config: Annotated[Path, typer.Argument(help="A backtest YAML, e.g. backtests/quickstart.yaml")],
    set_: SetOption = None,
    results_dir: ResultsOption = None,
    tearsheet: Annotated[bool, typer.Option(help="Write the quantstats tear sheet.")] = True,
    portfolio: Annotated[
        bool, typer.Option(help="Write the portfolio page and its tables.")
    ] = True,
    strict_dates: StrictDatesOption = False,
    engine: Annotated[
        str | None,
        typer.Option(help="backtrader | vector (default: the config's engine, else backtrader)"),
    ] = None,
) -> None:
    """Run one backtest and write its run folder (returns, weights, trades, metrics, tear sheet)."""
    from .run import run_backtest

    with guarded("nothing was written (a run folder appears only when complete)"):
        with console.status("loading") as status:
            result = run_backtest(
                config,
                [*(set_ or []), *([f"engine={engine}"] if engine else [])],
                results_root=results_dir,
                tearsheet=tearsheet,
                on_step=lambda s: status.update(f"{config.name}: {s}"),
                strict_dates=strict_dates,
                portfolio=portfolio,
            )
    for note in result.provenance.get("notes", []):
        console.print(f"[dim]note: {escape(note)}[/]", highlight=False)
    for warning in result.provenance.get("warnings", []):
        console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    metrics = result.metrics
    bench = {
        k.removeprefix("benchmark_"): v for k, v in metrics.items() if k.startswith("benchmark_")
    }
    from .tearsheet import tearsheet_title

    table = summary_table(
        tearsheet_title(result), {"strategy": metrics, result.config.benchmark: bench}
    )
    table.caption = run_caption(result.provenance)
    console.print(table)
    console.print(f"run folder: {result.run_dir}", highlight=False, markup=False)
    if result.portfolio_page:
        console.print(f"portfolio: {result.portfolio_page}", highlight=False, markup=False)
    if result.tearsheet:
        console.print(f"tear sheet: {result.tearsheet}", highlight=False, markup=False)


@app.command()
def table(
    configs: Annotated[list[Path], typer.Argument(help="Backtest YAML files")],
    set_: SetOption = None,
    markdown: Annotated[bool, typer.Option(help="Print a Markdown table (for the README)")] = False,
) -> None:
    """Run configs in memory (no run folders) and print their metrics side by side."""
    from rich.progress import Progress

    from .run import run_backtest
    from .summary import formatted, metrics_table, to_markdown

    results = []
    with guarded("nothing was written"), Progress(console=err_console, transient=True) as progress:
        task = progress.add_task("running", total=len(configs))
        for config in configs:
            progress.update(task, description=f"running {config.name}")
            results.append(run_backtest(config, set_ or [], save=False))
            progress.advance(task)
    frame = metrics_table(results)
    if markdown:
        print(to_markdown(frame))
        return
    _print_frame(formatted(frame), "metrics")


@app.command()
def compare(
    run_dirs: Annotated[list[Path] | None, typer.Argument(help="Run folders to compare")] = None,
    configs: Annotated[
        list[Path] | None,
        typer.Option(
            "--configs", "-c", help="Configs to compare (their newest runs; missing ones are run)"
        ),
    ] = None,
    results_dir: ResultsOption = None,
) -> None:
    """One HTML report: metrics side by side, curves, regimes, bootstrap vs the first run."""
    from .compare_report import compare as compare_items

    # `--configs a.yaml b.yaml`: typer gives the first to the option and the rest as arguments,
    # so the given order (the first is the baseline) is the option's, then the arguments.
    items = [*(configs or []), *(run_dirs or [])]
    kept = "runs that finished are kept and reused next time; run the command again"
    with guarded(kept), console.status("comparing") as status:
        out = compare_items(items, results_dir, lambda step: status.update(step))
    runs = out["runs"]
    universes = out.get("universes")
    headline = universes.headline if universes is not None else None
    for note in out["comparison"].notes:
        label = "[bold red]headline:[/]" if note == headline else "[yellow]note:[/]"
        console.print(f"{label} {note}", highlight=False)
    metrics = dict(zip(out["comparison"].names, (r.metrics for r in runs), strict=True))
    console.print(summary_table("comparison", metrics))
    boot = out["bootstrap"]
    for _, row in boot.iterrows():
        console.print(
            f"{row['strategy']} - {row['baseline']}: Sharpe {row['sharpe_diff']:+.2f} "
            f"[{row['sharpe_lo']:+.2f}, {row['sharpe_hi']:+.2f}], annual return "
            f"{row['annual_return_diff']:+.1%} [{row['annual_return_lo']:+.1%}, "
            f"{row['annual_return_hi']:+.1%}] (95% block bootstrap)"
            + (" on different universes" if headline else ""),
            highlight=False,
        )
    if universes is not None:
        from .universe_report import text_lines

        for line in text_lines(universes):
            console.print(line, highlight=False)
    console.print(f"report: {out['report']}", highlight=False, markup=False)


@app.command()
def sweep(
    config: Annotated[Path, typer.Argument(help="The base backtest YAML")],
    grid: Annotated[
        list[str] | None,
        typer.Option(
            "--grid", "-g", help="KEY=V1,V2,... (repeatable); adds to the YAML's sweep: block"
        ),
    ] = None,
    set_: SetOption = None,
    metric: Annotated[str, typer.Option(help="Rank by this metric")] = "sharpe",
    workers: Annotated[int, typer.Option(help="Parallel workers (processes)")] = 2,
    split: Annotated[
        str | None,
        typer.Option(help="Choose on dates before this day, report after it (YYYY-MM-DD)"),
    ] = None,
    walk_forward: Annotated[
        str | None,
        typer.Option(help="TRAIN:TEST trading days of rolling walk-forward windows, e.g. 504:126"),
    ] = None,
    executor: Annotated[str, typer.Option(help="local | dask")] = "local",
    address: Annotated[
        str | None,
        typer.Option(help="Dask scheduler, e.g. tcp://HOST:8786 (default: a local cluster)"),
    ] = None,
    tearsheets: Annotated[bool, typer.Option(help="Write a tear sheet per point")] = False,
    results_dir: ResultsOption = None,
    strict_dates: StrictDatesOption = False,
    engine: Annotated[
        str, typer.Option(help="Screen the points on: vector (fast, default) | backtrader")
    ] = "vector",
    confirm: Annotated[
        int, typer.Option(help="Rerun the best N vector-engine points on backtrader")
    ] = 3,
) -> None:
    """Run a parameter grid in parallel (resumable), rank it, and report overfitting."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from .sweep import run_sweep

    windows = None
    if walk_forward:
        train, _, test = walk_forward.partition(":")
        if not (train.isdigit() and test.isdigit()):
            fail(f"--walk-forward {walk_forward}: expected TRAIN:TEST days, e.g. 504:126")
        windows = (int(train), int(test))
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with guarded():
        with Progress(*columns, console=err_console) as progress:
            task = progress.add_task(f"sweep {config.name}", total=None)

            def on_progress(done: int, total: int, point: str, error: str | None) -> None:
                progress.update(task, completed=done, total=total)
                if error:
                    progress.console.print(f"[red]{point} failed:[/] {error}", highlight=False)

            result = run_sweep(
                config,
                grid or [],
                set_ or [],
                metric,
                workers,
                split,
                windows,
                executor,
                address,
                results_dir,
                tearsheets,
                on_progress,
                strict_dates=strict_dates,
                engine=engine,
                confirm=confirm,
            )
    if result.skipped:
        console.print(f"resumed: {result.skipped} point(s) were already finished")
    shown = result.ranking.drop(columns=["point"]).head(10).set_index("rank")
    shown.columns = [str(c).rsplit(".", 1)[-1] for c in shown.columns]
    _print_frame(shown, f"top points by {metric} (all in ranking.csv)")
    report = result.report
    if "deflated_sharpe" in report:
        dsr = report["deflated_sharpe"]
        console.print(
            f"deflated Sharpe ratio of the best point: {dsr['dsr']:.3f} ({dsr['trials']:.0f} "
            f"trials; the best of as many skill-less tries: Sharpe {dsr['sr0'] * 252**0.5:.2f}"
            " annualised)"
        )
    if "pbo" in report:
        console.print(f"probability of backtest overfitting (CSCV): {report['pbo']['pbo']:.2f}")
    if "split" in report:
        s = report["split"]
        console.print(
            f"split {s['date']}: chosen in-sample {s['chosen_in_sample']} "
            f"{metric} {s['chosen_is']:.3f} in, {s['chosen_oos']:.3f} out "
            f"(rank {s['chosen_oos_rank']} out of sample; best out-of-sample "
            f"{s['oos_best_point']} {s['oos_best']:.3f})",
            highlight=False,
        )
    if "walk_forward" in report:
        oos = report["walk_forward"]["oos"]
        console.print(
            f"walk-forward out-of-sample: Sharpe {oos.get('sharpe', float('nan')):.2f},"
            f" CAGR {oos.get('cagr', float('nan')):.1%}"
        )
    console.print(f"sweep folder: {result.directory}", highlight=False, markup=False)
    if result.errors:
        fail(f"{len(result.errors)} point(s) failed; see {result.directory / 'ranking.csv'}")


@app.command()
def explain(
    run_dir: Annotated[Path, typer.Argument(help="A run folder, results/<name>/<run id>")],
    date: Annotated[str, typer.Option("--date", "-d", help="Date D (YYYY-MM-DD)")],
) -> None:
    """The holdings decided on D (the last rebalance on or before it), each with its reason."""
    from .explain import explain as explain_run

    with guarded():
        out = explain_run(run_dir, date)
    when = f" (the decision in force on {out.requested.date()})"
    when = "" if out.date == out.requested else when
    console.print(f"rebalance of {out.date.date()}{when}", highlight=False)
    for note in out.notes:
        console.print(f"rule: {note}", highlight=False)
    if out.signals:
        shown = []
        for name, value in out.signals.items():
            if isinstance(value, bool):
                shown.append(f"{name}={'on' if value else 'off'}")
            elif isinstance(value, float):
                shown.append(f"{name}={value:.3g}")
            else:
                shown.append(f"{name}={'-' if value is None else value}")
        console.print("signals: " + ", ".join(shown), highlight=False, soft_wrap=True)
    table = Table(title=f"{out.run_dir}: decided on {out.date.date()}", title_justify="left")
    formats = {"weight": "{:.1%}", "china_share": "{:.0%}", "momentum": "{:+.0%}"}
    for col in out.table.columns:
        text = col in ("ticker", "status", "reason")
        table.add_column(col, justify="left" if text else "right", no_wrap=col != "reason")
    for _, row in out.table.iterrows():
        cells = []
        for col, value in row.items():
            if isinstance(value, str):
                cells.append(value)
            elif value is None or value != value or (col == "weight" and value == 0):
                cells.append("-")
            else:
                cells.append(formats.get(str(col), "{:+.2f}").format(value))
        table.add_row(*cells)
    console.print(table)


@list_app.command("strategies")
def list_strategies(
    name: Annotated[
        str | None, typer.Argument(help="Show one strategy's parameters in full")
    ] = None,
) -> None:
    """Every registered strategy with its parameters and defaults (or one in full)."""
    from .registry import registered

    try:
        strategies = registered()
    except Exception as exc:  # noqa: BLE001 - a registry failure is one line too
        fail(f"cannot list strategies ({type(exc).__name__}: {exc})")
        return
    if name is not None:
        if name not in strategies:
            fail(f"unknown strategy '{name}' (registered: {', '.join(strategies)})")
            return
        cls = strategies[name]
        doc = sys.modules[cls.__module__].__doc__ or cls.__doc__ or ""
        console.print(f"[bold]{name}[/]: {cls.summary}\n\n{doc.strip()}\n", highlight=False)
        table = Table(title="parameters (strategy.params.*)", title_justify="left")
        for col in ("parameter", "default", "description"):
            table.add_column(col)
        for key, field in cls.Params.model_fields.items():
            table.add_row(
                key,
                repr(field.default)
                if field.default_factory is None
                else "(nested, see --set strategy.params." + key + ".*)",
                field.description or "",
            )
        console.print(table)
        return
    table = Table(
        title="strategies (airegime list strategies NAME for details)",
        title_justify="left",
        expand=True,
    )
    table.add_column("name", no_wrap=True)
    table.add_column("description and parameters (defaults)", ratio=1)
    for key, cls in strategies.items():
        params = " ".join(
            f"{k}={f.default!r}"
            for k, f in cls.Params.model_fields.items()
            if f.default_factory is None
        )
        nested = [k for k, f in cls.Params.model_fields.items() if f.default_factory is not None]
        if nested:
            params += " " + " ".join(f"{k}.*" for k in nested)
        table.add_row(key, f"{cls.summary}\n[dim]{params or '-'}[/]")
    console.print(table)
    from .registry import problems

    for entry, problem in problems.items():
        console.print(f"[yellow]note:[/] entry point {entry}: {problem}", highlight=False)


@list_app.command("universes")
def list_universes() -> None:
    """Named universes and ticker groups of data/universes.yaml."""
    from . import paths
    from .universe import load_universes

    with guarded():
        universes = load_universes(paths.data_dir(paths.project_root()) / "universes.yaml")
    table = Table(title=str(universes.source), title_justify="left")
    table.add_column("name")
    table.add_column("tickers")
    table.add_column("chosen")
    for name, tickers in universes.universes.items():
        info = universes.info(name)
        chosen = f"{info.selection} {info.chosen}".strip() + f", vs {info.sector_etf}"
        table.add_row(f"universe {name}", " ".join(tickers), chosen)
    for name, tickers in universes.groups.items():
        table.add_row(f"group {name}", " ".join(tickers), "")
    console.print(table)


def _root() -> Path:
    from . import paths

    return paths.project_root()


def _tickers_or_universe(tickers: list[str] | None, universe: str) -> list[str]:
    from . import paths
    from .universe import load_universes

    if tickers:
        return [t.upper() for t in tickers]
    return load_universes(paths.data_dir(_root()) / "universes.yaml").resolve(universe)


def _print_frame(frame, title: str, formats: dict[str, str] | None = None) -> None:
    import pandas as pd

    table = Table(title=title, title_justify="left")
    table.add_column(frame.index.name or "")
    for col in frame.columns:
        table.add_column(str(col), justify="right")
    for idx, row in frame.iterrows():
        cells = []
        for col, value in row.items():
            if value is None or (isinstance(value, float) and value != value):
                cells.append("-")
            elif isinstance(value, pd.Timestamp):
                cells.append(value.strftime("%Y-%m-%d"))
            elif isinstance(value, float):
                cells.append((formats or {}).get(col, "{:.3g}").format(value))
            else:
                cells.append(str(value))
        table.add_row(str(idx), *cells)
    console.print(table)


FUNDAMENTAL_FORMATS = {
    **{
        metric: "{:,.0f}"
        for metric in (
            "revenue_ttm",
            "net_income_ttm",
            "operating_cash_flow_ttm",
            "capex_ttm",
            "fcf_ttm",
            "operating_income_ttm",
            "gross_profit_ttm",
            "rd_expense_ttm",
            "total_debt",
            "cash",
            "short_term_investments",
            "long_term_investments",
            "equity",
            "total_assets",
            "net_cash",
            "diluted_shares",
            "shares_outstanding",
            "market_cap",
            "staleness_days",
            "ttm_age_days",
            "balance_sheet_age_days",
            "shares_age_days",
        )
    },
    **{
        metric: "{:.1%}"
        for metric in (
            "net_cash_to_assets",
            "fcf_margin",
            "net_margin",
            "operating_margin",
            "gross_margin",
            "rd_intensity",
            "capex_to_ocf",
            "revenue_growth",
            "debt_growth",
        )
    },
    "eps_diluted_ttm": "{:.2f}",
    "debt_to_equity": "{:.2f}",
    "fcf_stability": "{:.2f}",
    "capex_over_ocf_years": "{:.0f}",
    "pe_ttm": "{:.1f}",
    "ps_ttm": "{:.1f}",
    "ev_to_sales": "{:.1f}",
}


@data_app.command("fundamentals")
def data_fundamentals(
    tickers: Annotated[
        list[str] | None, typer.Argument(help="Tickers (default: the universe)")
    ] = None,
    as_of: Annotated[str, typer.Option("--as-of", help="Date D: only filings up to D")] = "",
    source: Annotated[str, typer.Option(help="sample | csv | sec | yahoo")] = "sample",
    path: Annotated[str | None, typer.Option(help="csv: the facts file")] = None,
    lag: Annotated[
        int, typer.Option(help="Days after each filing date before it counts (runs use 1)")
    ] = 1,
    universe: Annotated[
        str, typer.Option(help="Named universe when no tickers")
    ] = "fundamentals_covered",
) -> None:
    """The point-in-time fundamentals table as known on --as-of (default: today)."""
    import pandas as pd

    from .fundamental_sources import load_fundamentals
    from .prices import load_sample, sample_tickers

    with guarded():
        names = _tickers_or_universe(tickers, universe)
        date = pd.Timestamp(as_of) if as_of else pd.Timestamp.today().normalize()
        known = [t for t in names if t in sample_tickers()]
        sample = load_sample(known).close if known else None  # prices for P/E
        before = sample.loc[:date].ffill() if sample is not None else None
        prices = before.iloc[-1] if before is not None and not before.empty else None
        vintage = sample.index[-1] if sample is not None else None
        store = load_fundamentals(
            source, names, _root(), path=path, lag_days=lag, price_vintage=vintage
        )
        table = store.metrics_asof(names, date, prices).T
    table = table.astype(object)
    for metric, fmt in FUNDAMENTAL_FORMATS.items():
        table.loc[metric] = [fmt.format(v) if v == v else "-" for v in table.loc[metric]]
    table.index.name = "metric"
    _print_frame(table, f"fundamentals known on {date.date()} ({source})")
    console.print(
        "[dim]ages in days from a fact's period end to the as-of date: staleness_days for "
        "the newest statement, then TTM flows, balance sheet and share count; "
        "net_cash = cash + short-term investments - debt[/]",
        highlight=False,
    )
    missing = [t for t in names if t not in store.tickers]
    if missing:
        console.print(f"[dim]no facts for {', '.join(missing)} in {source}[/]", highlight=False)
    for note in store.notes:
        console.print(f"[dim]note: {escape(note)}[/]", highlight=False)


@data_app.command("china")
def data_china(
    tickers: Annotated[
        list[str] | None, typer.Argument(help="Tickers (default: ai_global)")
    ] = None,
    as_of: Annotated[str, typer.Option("--as-of", help="Date D")] = "",
    measure: Annotated[
        str, typer.Option(help="disclosed (10-K figures) | market (China beta) | blend")
    ] = "disclosed",
) -> None:
    """China revenue shares as known on --as-of; unknown ones are shown as '-'."""
    import pandas as pd

    from .china_market import china_exposure_asof

    with guarded():
        names = _tickers_or_universe(tickers, "ai_global")
        date = pd.Timestamp(as_of) if as_of else pd.Timestamp.today().normalize()
        frame, notes = china_exposure_asof(names, date, measure, _root())
    _print_frame(
        frame,
        f"China revenue share known on {date.date()} ({measure})",
        {"china_revenue_share": "{:.1%}", "china_beta": "{:.2f}"},
    )
    for note in notes:
        console.print(f"[dim]{note}[/]", highlight=False)


@data_app.command("prices")
def data_prices(
    tickers: Annotated[list[str] | None, typer.Argument(help="Tickers (default: all)")] = None,
    source: Annotated[
        str, typer.Option(help="sample | csv | yahoo (the download cache)")
    ] = "sample",
    path: Annotated[Path | None, typer.Option(help="csv: folder of <TICKER>.csv")] = None,
) -> None:
    """Coverage of a price source: first and last day, rows and gaps per ticker."""
    import pandas as pd

    from . import paths
    from .prices import load_csv_dir, load_sample, sample_tickers

    with guarded():
        if source == "sample":
            data = load_sample([t.upper() for t in tickers] if tickers else sample_tickers())
        elif source in ("csv", "yahoo"):
            folder = path if source == "csv" else paths.cache_dir(_root()) / "yahoo"
            if folder is None:
                fail("data prices: --source csv needs --path FOLDER")
                return
            names = (
                [t.upper() for t in tickers]
                if tickers
                else sorted(p.stem for p in folder.glob("*.csv"))
            )
            if not names:
                fail(f"data prices: no <TICKER>.csv files in {folder}")
                return
            data = load_csv_dir(folder, names)
        else:
            fail(f"data prices: --source {source}: expected sample, csv or yahoo (the cache)")
            return
    rows = {}
    for ticker in data.tickers:
        series = data.close[ticker].dropna()
        inside = data.close[ticker].loc[series.index[0] : series.index[-1]]
        rows[ticker] = {
            "first": series.index[0],
            "last": series.index[-1],
            "days": float(len(series)),
            "gaps": float(inside.isna().sum()),
            "bars": "ohlcv" if data.has_bars else "close",
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "ticker"
    _print_frame(frame, f"prices: {data.source}", {"days": "{:.0f}", "gaps": "{:.0f}"})


@data_app.command("fetch")
def data_fetch(
    tickers: Annotated[
        list[str] | None, typer.Argument(help="Tickers (default: ai_global)")
    ] = None,
    start: Annotated[str, typer.Option(help="First day")] = "2015-01-01",
    end: Annotated[str, typer.Option(help="Last day (default: today)")] = "",
    fundamentals: Annotated[str, typer.Option(help="Also fetch: sec | yahoo | none")] = "none",
    refresh: Annotated[bool, typer.Option(help="Download again even if cached")] = False,
    china: Annotated[
        bool,
        typer.Option(
            "--china", help="Only read China revenue shares from each ticker's 10-Ks (SEC)"
        ),
    ] = False,
    user_agent: Annotated[
        str | None, typer.Option(help="SEC User-Agent with a contact e-mail")
    ] = None,
) -> None:
    """Fill data/cache/ from Yahoo (prices) and SEC or Yahoo (fundamentals); needs network.

    With --china, read each ticker's recent 10-Ks on SEC EDGAR instead and cache the China
    revenue shares found in data/cache/china_extracted.csv (used beside
    data/china_exposure.csv, which wins where both give a year).
    """
    import datetime as dt

    from . import paths
    from .fundamental_sources import load_fundamentals
    from .yahoo import YahooPrices

    if china:
        fetch_china(tickers, refresh, user_agent)
        return
    with guarded("tickers already downloaded stay in the cache; run again for the rest"):
        names = _tickers_or_universe(tickers, "ai_global")
        first = dt.date.fromisoformat(start)
        last = dt.date.fromisoformat(end) if end else dt.date.today()
        with console.status(f"downloading prices of {len(names)} tickers"):
            data = YahooPrices(paths.cache_dir(_root())).load(names, first, last, refresh)
        console.print(f"prices cached: {len(data.tickers)} tickers, {len(data.close)} days")
        if fundamentals != "none":
            with console.status(f"downloading {fundamentals} fundamentals"):
                store = load_fundamentals(fundamentals, names, _root(), refresh=refresh)
            console.print(
                f"fundamentals cached: {len(store.tickers)} tickers, {len(store.facts)} facts"
            )


def fetch_china(tickers: list[str] | None, refresh: bool, agent: str | None) -> None:
    from . import paths
    from .china import EXTRACTS
    from .china_filings import EdgarChina
    from .sec import SecClient

    with guarded("figures already read stay in the cache; run again for the rest"):
        names = _tickers_or_universe(tickers, "ai_us")
        cache = paths.cache_dir(_root())
        edgar = EdgarChina(SecClient(cache, agent))
        with console.status(f"reading the 10-Ks of {len(names)} tickers on SEC EDGAR"):
            rows, statuses = edgar.fetch(names, cache / EXTRACTS, refresh)
    for status in statuses:
        console.print(status, highlight=False)
    console.print(f"China rows cached: {len(rows)} in {cache / EXTRACTS}", highlight=False)


def main() -> None:
    """Console-script entry point; SIGTERM ends a command like Ctrl-C (cleanly)."""
    import signal

    def terminate(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    try:
        app()
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(INTERRUPTED_EXIT)


if __name__ == "__main__":
    main()
