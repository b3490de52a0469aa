"""``airegime factors``: which of a strategy's scores carry information (factors.html)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from .common import ResultsOption, SetOption, StrictDatesOption, console, fail, guarded


def factors(
    config: Annotated[Path, typer.Argument(help="A backtest YAML whose strategy records scores")],
    set_: SetOption = None,
    quantiles: Annotated[int, typer.Option(help="Groups of names per date (3: terciles)")] = 3,
    horizons: Annotated[
        str, typer.Option(help="Forward-return horizons in trading days from the fill")
    ] = "1,5,21,63",
    horizon: Annotated[int, typer.Option(help="The horizon the verdicts judge")] = 21,
    results_dir: ResultsOption = None,
    strict_dates: StrictDatesOption = False,
) -> None:
    """Measure every score the strategy records against the returns after its fills: rank IC,
    quantile returns, turnover, a verdict per score; writes factors.html and CSV tables."""
    from ..factors import factors as run_factors

    days = [h.strip() for h in horizons.split(",") if h.strip()]
    if not days or not all(h.isdigit() and int(h) > 0 for h in days):
        fail(f"--horizons {horizons}: expected trading days separated by commas, e.g. 1,5,21,63")
    with guarded("nothing was written (the factor folder appears only when complete)"):
        with console.status("loading") as status:
            report = run_factors(
                config,
                set_ or [],
                results_root=results_dir,
                quantiles=quantiles,
                horizons=tuple(int(h) for h in days),
                horizon=horizon,
                on_step=lambda s: status.update(f"{config.name}: {s}"),
                strict_dates=strict_dates,
            )
    for caveat in report.caveats:
        console.print(f"[yellow]warning:[/] {escape(caveat)}", highlight=False)
    console.print(
        f"{report.name}: each score's rank IC with {report.horizon}-day returns from the fill "
        f"({report.fill}), {len(report.dates)} rebalance dates",
        highlight=False,
    )
    for _, row in report.verdicts.iterrows():
        console.print(f"{row['score']}: {row['verdict']}", highlight=False, markup=False)
    console.print(f"factor page: {report.page}", highlight=False, markup=False)
