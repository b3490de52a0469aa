"""Shared pieces of the ``airegime`` command: the typer apps, consoles, options, one-line
errors and tables.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import traceback
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from ..errors import Interrupted


class GuardedGroup(TyperGroup):
    """The root command: whatever a command lets escape becomes one line (see
    :func:`guarded`), never typer's page-long traceback."""

    def invoke(self, ctx: typer.Context) -> Any:
        with guarded():
            return super().invoke(ctx)


app = typer.Typer(
    cls=GuardedGroup,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Backtest AI-era equity strategies from YAML configs.",
)


list_app = typer.Typer(no_args_is_help=True, help="List strategies and universes.")


app.add_typer(list_app, name="list")


data_app = typer.Typer(no_args_is_help=True, help="Inspect and fetch prices and fundamentals.")


app.add_typer(data_app, name="data")


def make_console(stderr: bool = False) -> Console:
    """Never hard-wrap printed lines (a path stays on one line, so ``| tail -1`` works);
    when piped, tables get 200 columns instead of rich's default 80."""
    stream = sys.stderr if stderr else sys.stdout
    piped = not (hasattr(stream, "isatty") and stream.isatty())
    width = 200 if piped and "COLUMNS" not in os.environ else None
    return Console(stderr=stderr, soft_wrap=True, width=width, emoji=False)


console = make_console()


err_console = make_console(stderr=True)


#: Set to 1 to print the full traceback of any error, like ``--debug``.
DEBUG_ENV = "AIREGIME_DEBUG"
_DEBUG: ContextVar[bool] = ContextVar("airegime_debug", default=False)


def debugging() -> bool:
    """``--debug`` was given, or ``AIREGIME_DEBUG`` is set to something other than 0."""
    return _DEBUG.get() or os.environ.get(DEBUG_ENV, "").strip() not in ("", "0")


@app.callback()
def _global_options(
    ctx: typer.Context,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            help=f"Print the full traceback of any error (or set {DEBUG_ENV}=1).",
        ),
    ] = False,
) -> None:
    """Options of every command: ``--debug``. Errors raised inside a command name the
    CLI's options (--set, --strict-dates), not the API's arguments."""
    from ..errors import use_cli_wording

    ctx.call_on_close(use_cli_wording())
    token = _DEBUG.set(debug)
    ctx.call_on_close(lambda: _DEBUG.reset(token))


def one_set_per_key(values: list[str] | None) -> list[str] | None:
    """``--set``'s callback: a key given twice is refused rather than the last one winning."""
    from ..config import refuse_repeated_keys

    refuse_repeated_keys(values or [], "--set", "override")
    return values


SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        "-s",
        help="Override a config key, e.g. strategy.params.top_n=10 (repeatable, once per key).",
        callback=one_set_per_key,
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


def fail(message: str) -> NoReturn:
    """Print ``error: message`` on one line and exit 2 (bad input, not a bug)."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(USER_EXIT)


#: Exit codes: bad input or an error in the user's code; a bug in airegime; Ctrl-C.
USER_EXIT, INTERNAL_EXIT, INTERRUPTED_EXIT = 2, 1, 130


def os_error_line(exc: OSError) -> str:
    """A file-system error as ``<file>: <what>; <the fix>``."""
    where = f"{exc.filename}: " if exc.filename else ""
    fixes = {
        errno.EACCES: "permission denied; fix its permissions or choose another path",
        errno.EPERM: "operation not permitted; fix its permissions or choose another path",
        errno.EROFS: "the file system is read-only; choose a path on a writable disk",
        errno.ENOSPC: "the disk is full; free some space and run again",
        errno.EISDIR: "is a folder, not a file; give a file",
        errno.ENOTDIR: "a part of this path is a file, not a folder; choose another path",
        errno.EEXIST: "already exists and is not a folder; choose another path",
        errno.ENOENT: "not found; check the path",
    }
    fix = fixes.get(exc.errno) if exc.errno is not None else None
    return f"{where}{fix or exc.strerror or exc}"


def report_error(exc: BaseException) -> NoReturn:
    """One line for ``exc`` (the traceback first with ``--debug``), then the exit code.

    airegime's own errors and errors in the user's code (a strategy, a plugin, their
    module) are the user's to fix: exit 2. Anything else is a bug in airegime: it
    says so, with the --debug hint, and exits 1.
    """
    from ..errors import AiregimeError, describe, user_context

    debug = debugging()
    if debug:
        trace = "".join(traceback.format_exception(exc))
        err_console.print(trace, markup=False, highlight=False, end="", soft_wrap=True)
    hint = "" if debug else "; --debug shows the traceback"
    if user_context(exc) is not None:
        fail(describe(exc) + hint)
    if isinstance(exc, AiregimeError):
        fail(describe(exc))
    if isinstance(exc, OSError):
        fail(os_error_line(exc))
    err_console.print(
        f"[bold red]internal error:[/] {escape(describe(exc))}; this is a bug in airegime"
        + ("" if debug else ": run again with --debug and report the traceback"),
        highlight=False,
        soft_wrap=True,
    )
    raise typer.Exit(INTERNAL_EXIT)


@contextlib.contextmanager
def guarded(interrupted: str = "nothing was written; run the command again") -> Iterator[None]:
    """One line and a non-zero exit for every error, never a traceback unless asked for
    (``--debug``); see :func:`report_error`.

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
    except (typer.Exit, typer.Abort, typer.TyperException):
        raise  # typer's own: an exit code, or a usage error it prints itself
    except Exception as exc:  # noqa: BLE001 - every error is one line (see report_error)
        report_error(exc)


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


def _cell(value: Any, fmt: str | None) -> str:
    import pandas as pd

    if value is None or (isinstance(value, float) and value != value):
        return "-"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float):
        return (fmt or "{:.3g}").format(value)
    return str(value)


def column_chunks(widths: list[int], first: int, total: int) -> list[list[int]]:
    """Column positions in groups that fit ``total`` characters beside a first column
    ``first`` wide (each column takes its width plus 3 for padding and its border); a
    column wider than the room gets a group of its own."""
    chunks: list[list[int]] = [[]]
    used = first + 4
    for i, width in enumerate(widths):
        if chunks[-1] and used + width + 3 > total:
            chunks.append([])
            used = first + 4
        chunks[-1].append(i)
        used += width + 3
    return chunks


def print_frame(
    frame, title: str, formats: dict[str, str] | None = None, fit: bool = False
) -> None:
    """``frame`` as a table; with ``fit``, its columns are split over as many tables as
    it takes to show every cell whole at the terminal's width (numbered in the title)."""
    rows = [
        (str(idx), [_cell(v, (formats or {}).get(col)) for col, v in row.items()])
        for idx, row in frame.iterrows()
    ]
    columns = [str(c) for c in frame.columns]
    chunks = [list(range(len(columns)))]
    if fit and columns:
        first = max([len(frame.index.name or "")] + [len(i) for i, _ in rows])
        widths = [
            max([len(c)] + [len(cells[j]) for _, cells in rows]) for j, c in enumerate(columns)
        ]
        chunks = column_chunks(widths, first, console.width)
    for n, chunk in enumerate(chunks, 1):
        heading = title if len(chunks) == 1 else f"{title} ({n}/{len(chunks)})"
        table = Table(title=heading, title_justify="left")
        table.add_column(frame.index.name or "", no_wrap=fit)
        for j in chunk:
            table.add_column(columns[j], justify="right", no_wrap=fit)
        for idx, cells in rows:
            table.add_row(idx, *(cells[j] for j in chunk))
        console.print(table)
