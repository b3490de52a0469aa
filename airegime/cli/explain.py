"""``airegime explain``: why a run held what it held on a date."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from .common import console, guarded


def explain(
    run_dir: Annotated[Path, typer.Argument(help="A run folder, results/<name>/<run id>")],
    date: Annotated[str, typer.Option("--date", "-d", help="Date D (YYYY-MM-DD)")],
) -> None:
    """The holdings decided on D (the last rebalance on or before it), each with its reason."""
    from ..explain import explain as explain_run

    with guarded():
        out = explain_run(run_dir, date)
    when = f" (the decision in force on {out.requested.date()})"
    when = "" if out.date == out.requested else when
    console.print(f"rebalance of {out.date.date()}{when}", highlight=False)
    for note in out.notes:
        console.print(f"rule: {note}", highlight=False)
    for tie in out.ties:
        console.print(f"tie: {tie}", highlight=False)
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
        text = col in ("ticker", "status", "reason", "scored on")
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
