"""The quantstats HTML tear sheet of one run, against its benchmark."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .quiet import silenced

if TYPE_CHECKING:
    from .results import RunResult


def changed_params(strategy: Any) -> dict[str, Any]:
    """The strategy's parameters that differ from their defaults, nested ones dotted."""

    def flat(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in data.items():
            if isinstance(value, dict):
                out.update(flat(value, f"{prefix}{key}."))
            else:
                out[f"{prefix}{key}"] = value
        return out

    defaults = flat(type(strategy.params)().model_dump())
    return {k: v for k, v in flat(strategy.params.model_dump()).items() if defaults.get(k) != v}


def tearsheet_title(result: RunResult) -> str:
    """``name: strategy, fill rule`` plus only the parameters that differ from defaults."""
    config = result.config
    changed = changed_params(config.build_strategy())
    fill = result.provenance.get("fill", "")
    parts = [config.strategy.name, *([f"fill {fill}"] if fill else [])]
    parts += [f"{k}={v}" for k, v in changed.items()]
    return f"{config.name}: {', '.join(parts)}"


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
