"""``airegime compare``: one HTML report comparing runs, run folders or configs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import ResultsOption, console, guarded, summary_table


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
    from ..compare import compare as compare_items

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
    for line in out["verdicts"]["verdict"]:
        console.print(
            f"verdict: {line} (95% block bootstrap)"
            + ("; on different universes" if headline else ""),
            highlight=False,
            markup=False,
        )
    if universes is not None:
        from ..reports.universe import text_lines

        for line in text_lines(universes):
            console.print(line, highlight=False)
    console.print(f"report: {out['report']}", highlight=False, markup=False)
