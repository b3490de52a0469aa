"""``airegime compare``: one HTML report comparing runs, run folders or configs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import ResultsOption, console, err_console, guarded, one_set_per_key, summary_table


def compare(
    run_dirs: Annotated[list[Path] | None, typer.Argument(help="Run folders to compare")] = None,
    configs: Annotated[
        list[Path] | None,
        typer.Option(
            "--configs", "-c", help="Configs to compare (their newest runs; missing ones are run)"
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            "-s",
            help="Override a key of every config, e.g. rebalance=quarterly (once per key)",
            callback=one_set_per_key,
        ),
    ] = None,
    vary: Annotated[
        list[str] | None,
        typer.Option(
            "--vary",
            help="KEY=V1,V2: one run of each config per value, e.g. "
            "strategy.params.top_n=6,10 (repeatable with different keys: every combination)",
        ),
    ] = None,
    results_dir: ResultsOption = None,
) -> None:
    """One HTML report: metrics side by side, curves, regimes, bootstrap vs the first run.

    Runs are labelled by the parameters in which they differ (article_composite top_n=10).
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..compare import compare as compare_items

    # `--configs a.yaml b.yaml`: typer gives the first to the option and the rest as arguments,
    # so the given order (the first is the baseline) is the option's, then the arguments.
    items = [*(configs or []), *(run_dirs or [])]
    kept = "runs that finished are kept and reused next time; run the command again"
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with guarded(kept), Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task("comparing", total=None)

        def on_progress(done: int, total: int, label: str) -> None:
            progress.update(task, completed=done, total=total)

        out = compare_items(
            items,
            results_dir,
            lambda step: progress.update(task, description=step),
            overrides=set_ or [],
            vary=vary or [],
            on_progress=on_progress,
        )
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
