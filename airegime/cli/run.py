"""``airegime run`` and ``airegime table``: run configs and print their metrics."""

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
    guarded,
    print_frame,
    summary_table,
)


def run_caption(provenance: dict, metrics: dict | None = None) -> str:
    """What a run rests on, under its metrics: the fill rule, the universe, the coverage
    and how turnover counts (one-way, per year; the initial purchase only on the second
    row)."""
    parts = [f"fills: {provenance.get('fill', '?')}"]
    universe = provenance.get("universe")
    if universe:
        late = len(universe.get("listed_after_start") or [])
        parts.append(
            f"universe: {universe['name']} ({universe['count']} names, {late} listed after start)"
        )
    metrics = metrics or {}
    if "uncovered_weight_mean" in metrics:
        parts.append(
            f"weight without full data: {metrics['uncovered_weight_mean']:.0%} mean, "
            f"{metrics['uncovered_weight_max']:.0%} max"
        )
    parts.append("turnover: one-way, initial buy left out")
    return "; ".join(parts)


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
    from ..run import run_backtest

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
    from ..loading import collapse_notes

    for note in collapse_notes(result.provenance.get("notes", [])):
        console.print(f"[dim]note: {escape(note)}[/]", highlight=False)
    for warning in result.provenance.get("warnings", []):
        console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    metrics = result.metrics
    bench = {
        k.removeprefix("benchmark_"): v for k, v in metrics.items() if k.startswith("benchmark_")
    }
    from ..reports.tearsheet import tearsheet_title

    table = summary_table(
        tearsheet_title(result), {"strategy": metrics, result.config.benchmark: bench}
    )
    table.caption = run_caption(result.provenance, result.metrics)
    console.print(table)
    console.print(f"run folder: {result.run_dir}", highlight=False, markup=False)
    if result.portfolio_page:
        console.print(f"portfolio: {result.portfolio_page}", highlight=False, markup=False)
    if result.tearsheet:
        console.print(f"tear sheet: {result.tearsheet}", highlight=False, markup=False)


def table(
    configs: Annotated[list[Path], typer.Argument(help="Backtest YAML files")],
    set_: SetOption = None,
    markdown: Annotated[bool, typer.Option(help="Print a Markdown table (for the README)")] = False,
) -> None:
    """Run configs in memory (no run folders) and print their metrics side by side."""
    from rich.progress import Progress

    from ..reports.summary import formatted, metrics_table, to_markdown
    from ..run import run_backtest

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
    print_frame(formatted(frame), "metrics")
