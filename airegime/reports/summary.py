"""Side-by-side metrics of several runs, for the terminal and for Markdown (README)."""

from __future__ import annotations

import pandas as pd

from ..results import RunResult

COLUMNS = {
    "total_return": ("Total return", "{:.0%}"),
    "cagr": ("CAGR", "{:.1%}"),
    "sharpe": ("Sharpe", "{:.2f}"),
    "sortino": ("Sortino", "{:.2f}"),
    "max_drawdown": ("Max DD", "{:.1%}"),
    "volatility": ("Vol", "{:.1%}"),
    "turnover": ("Turnover/yr (excl. initial buy)", "{:.2f}"),
    "exposure": ("Exposure", "{:.0%}"),
}


def metrics_table(results: list[RunResult]) -> pd.DataFrame:
    """One row per run (named by config), one column per headline metric, plus the benchmark."""
    rows = {}
    for result in results:
        label = f"{result.config.name} ({result.config.strategy.name})"
        rows[label] = {k: result.metrics.get(k) for k in COLUMNS}
    if results:
        first = results[0]
        rows[f"benchmark {first.config.benchmark}"] = {
            k: first.metrics.get(f"benchmark_{k}") for k in COLUMNS
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "run"
    return frame


def formatted(frame: pd.DataFrame) -> pd.DataFrame:
    """Percentages and ratios as display strings, headers as labels."""
    out = pd.DataFrame(index=frame.index)
    for key, (label, fmt) in COLUMNS.items():
        out[label] = [("" if v is None or v != v else fmt.format(v)) for v in frame[key]]
    return out


def to_markdown(frame: pd.DataFrame) -> str:
    table = formatted(frame)
    header = "| run | " + " | ".join(table.columns) + " |"
    rule = "| --- | " + " | ".join("---:" for _ in table.columns) + " |"
    lines = [f"| {idx} | " + " | ".join(row) + " |" for idx, row in table.iterrows()]
    return "\n".join([header, rule, *lines])
