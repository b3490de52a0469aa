"""``airegime sweep``: a parameter grid, run in parallel, ranked, with overfitting statistics."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from .common import (
    ResultsOption,
    SetOption,
    StrictDatesOption,
    console,
    err_console,
    fail,
    guarded,
    print_frame,
)


def ranking_title(metric: str, split: str | None) -> str:
    """The terminal table's title: the order it is in (in-sample with a split)."""
    order = f"in-sample {metric} (before {split})" if split else metric
    return f"top points by {order} (all in ranking.csv)"


def result_formats(columns) -> dict[str, str]:
    """Percent metrics as percentages (cagr 40.8%), the others with two decimals, like
    every other output; parameter columns keep their own format."""
    from ..stats.metrics import METRIC_NAMES, PERCENT_METRICS

    formats = {}
    for column in columns:
        base = str(column).removeprefix("is_").removeprefix("oos_")
        if base in PERCENT_METRICS:
            formats[str(column)] = "{:.1%}"
        elif base in ("trades", "commission_paid"):
            formats[str(column)] = "{:,.0f}"
        elif base in METRIC_NAMES:
            formats[str(column)] = "{:.2f}"
    return formats


def sweep(
    config: Annotated[Path, typer.Argument(help="The base backtest YAML")],
    grid: Annotated[
        list[str] | None,
        typer.Option(
            "--grid",
            "-g",
            help="KEY=V1,V2,... (repeatable with different keys); adds its key to the YAML's "
            "sweep: block, replacing that key's values there if it has it",
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

    from ..sweep import run_sweep

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
    for note in result.notes:
        console.print(f"[dim]note: {escape(note)}[/]", highlight=False)
    if result.skipped:
        console.print(f"resumed: {result.skipped} point(s) were already finished")
    shown = result.ranking.drop(columns=["point"]).head(10).set_index("rank")
    shown.columns = [str(c).rsplit(".", 1)[-1] for c in shown.columns]
    print_frame(shown, ranking_title(metric, split), result_formats(shown.columns))
    report = result.report
    if "deflated_sharpe" in report:
        dsr = report["deflated_sharpe"]
        annual = report.get("periods_per_year", 252) ** 0.5
        console.print(
            f"deflated Sharpe ratio of the best point: {dsr['dsr']:.3f} ({dsr['trials']:.0f} "
            f"trials; the best of as many skill-less tries: Sharpe {dsr['sr0'] * annual:.2f}"
            " annualised)"
        )
    if "pbo" in report:
        console.print(f"probability of backtest overfitting (CSCV): {report['pbo']['pbo']:.2f}")
    spa = report.get("spa") or {}
    if "p_consistent" in spa:
        console.print(
            f"SPA test of all {spa['trials']:.0f} points against {spa['baseline']}: p "
            f"{spa['p_consistent']:.3f} (Hansen; White's Reality Check p {spa['p_upper']:.3f})",
            highlight=False,
        )
    elif spa:
        console.print(f"SPA test against {spa['baseline']}: not computed ({spa.get('error')})")
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
    if report.get("reading"):
        console.print(f"reading: {report['reading']}", highlight=False, markup=False)
    if report.get("in_sample"):
        console.print(
            f"[yellow]warning:[/] {escape(report['in_sample'])}; the points tried before this "
            "sweep are not counted",
            highlight=False,
        )
    console.print(f"sweep folder: {result.directory}", highlight=False, markup=False)
    if result.errors:
        fail(f"{len(result.errors)} point(s) failed; see {result.directory / 'ranking.csv'}")
