"""The ``airegime`` command: thin wrappers around the Python API."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from .errors import AiregimeError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Backtest AI-era equity strategies from YAML configs.",
)
list_app = typer.Typer(no_args_is_help=True, help="List strategies and universes.")
app.add_typer(list_app, name="list")
console = Console()
err_console = Console(stderr=True)

SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set", "-s", help="Override a config key, e.g. strategy.params.top_n=10 (repeatable)."
    ),
]
ResultsOption = Annotated[
    Path | None,
    typer.Option("--results-dir", help="Where run folders go (default: results/ of the project)."),
]


def fail(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


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


@app.command()
def run(
    config: Annotated[Path, typer.Argument(help="A backtest YAML, e.g. backtests/quickstart.yaml")],
    set_: SetOption = None,
    results_dir: ResultsOption = None,
    tearsheet: Annotated[bool, typer.Option(help="Write the quantstats tear sheet.")] = True,
) -> None:
    """Run one backtest and write its run folder (returns, weights, trades, metrics, tear sheet)."""
    from .run import run_backtest

    try:
        with console.status("loading") as status:
            result = run_backtest(
                config,
                set_ or [],
                results_root=results_dir,
                tearsheet=tearsheet,
                on_step=lambda s: status.update(f"{config.name}: {s}"),
            )
    except AiregimeError as exc:
        fail(str(exc))
        return
    for note in result.provenance.get("notes", []):
        console.print(f"[dim]note: {note}[/]", highlight=False)
    metrics = result.metrics
    bench = {
        k.removeprefix("benchmark_"): v for k, v in metrics.items() if k.startswith("benchmark_")
    }
    console.print(
        summary_table(
            f"{result.config.name}: {result.provenance['strategy']}",
            {"strategy": metrics, result.config.benchmark: bench},
        )
    )
    console.print(f"run folder: {result.run_dir}", highlight=False)
    if result.tearsheet:
        console.print(f"tear sheet: {result.tearsheet}", highlight=False)


@list_app.command("strategies")
def list_strategies() -> None:
    """Every registered strategy with its parameters and defaults."""
    from .registry import registered

    table = Table(title="strategies", title_justify="left")
    for col in ("name", "description", "parameters (defaults)"):
        table.add_column(col)
    for name, cls in registered().items():
        fields = cls.Params.model_fields
        params = ", ".join(f"{k}={f.default!r}" for k, f in fields.items()) or "-"
        table.add_row(name, cls.summary, params)
    console.print(table)


@list_app.command("universes")
def list_universes() -> None:
    """Named universes and ticker groups of data/universes.yaml."""
    from . import paths
    from .universe import load_universes

    try:
        universes = load_universes(paths.data_dir(paths.project_root()) / "universes.yaml")
    except AiregimeError as exc:
        fail(str(exc))
        return
    table = Table(title=str(universes.source), title_justify="left")
    table.add_column("name")
    table.add_column("tickers")
    for name, tickers in universes.universes.items():
        table.add_row(f"universe {name}", " ".join(tickers))
    for name, tickers in universes.groups.items():
        table.add_row(f"group {name}", " ".join(tickers))
    console.print(table)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
