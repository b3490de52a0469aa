"""The quantstats HTML tear sheet of one run, against its benchmark."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .quiet import silenced


def write_tearsheet(
    returns: pd.Series, benchmark: pd.Series, path: Path, title: str, benchmark_name: str
) -> Path:
    """Write quantstats' full HTML report; both series share the same naive dates."""
    import quantstats as qs

    strategy = returns.rename("Strategy")
    bench = benchmark.reindex(strategy.index).fillna(0.0).rename(benchmark_name)
    with silenced():
        qs.reports.html(
            strategy,
            benchmark=bench,
            output=str(path),
            title=title,
            download_filename=path.name,
            periods_per_year=252,
        )
    return path
