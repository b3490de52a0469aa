"""Shared pieces of the ``airegime`` command: the typer apps, consoles, options, one-line
errors and tables.
"""

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

from ..errors import AiregimeError, Interrupted

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
    from ..errors import use_cli_wording

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
    ("turnover_incl_initial", "  with initial buy", "{:.2f}"),
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


def project_root() -> Path:
    from .. import paths

    return paths.project_root()


def tickers_or_universe(tickers: list[str] | None, universe: str) -> list[str]:
    from .. import paths
    from ..data.universes import load_universes

    if tickers:
        return [t.upper() for t in tickers]
    return load_universes(paths.data_dir(project_root()) / "universes.yaml").resolve(universe)


def print_frame(frame, title: str, formats: dict[str, str] | None = None) -> None:
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
