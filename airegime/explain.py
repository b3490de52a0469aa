"""Why a run held what it held on a date: ``airegime explain RUN_DIR --date D``.

Reads the run folder only: ``targets.csv`` (the weights decided at each rebalance)
and ``diagnostics.json`` (what the strategy recorded on its as-of view: scores,
exclusions and their reasons, tags, regime signals, the rule in words). The
decision in force on D is the last rebalance on or before D.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import DataError, wording
from .results import load_diagnostics


@dataclass
class Explanation:
    """The decision in force on ``requested``: one row per universe name, and the signals."""

    run_dir: Path
    requested: pd.Timestamp
    date: pd.Timestamp
    table: pd.DataFrame
    signals: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def reason_for(
    ticker: str, weight: float, diagnostics: dict[str, Any], date: pd.Timestamp
) -> tuple[str, str]:
    """(status, reason) of one name in one decision, from the recorded diagnostics."""
    excluded = diagnostics.get("excluded", {}).get(ticker)
    tags = "; ".join(diagnostics.get("tags", {}).get(ticker, []))
    if weight > 0:
        parts = [tags] if tags else []
        if excluded:
            parts.append(f"left out of one sleeve: {excluded}")
        return "held", "; ".join(parts)
    if ticker in diagnostics.get("untradable", []):
        return "not tradable", f"no price on {date.date()} (not listed yet, or data ended)"
    if excluded:
        return "excluded", "; ".join([excluded, *([tags] if tags else [])])
    if any(ticker in scores for scores in diagnostics.get("scores", {}).values()):
        return "not selected", tags or "ranked below the names held (ties: universe order)"
    return "not held", tags


def explain(run_dir: str | Path, date: str | pd.Timestamp) -> Explanation:
    """The holdings decided on the last rebalance on or before ``date``, with reasons."""
    run_dir = Path(run_dir)
    path = run_dir / "targets.csv"
    if not path.is_file():
        raise DataError(f"{run_dir}: not a run folder (no targets.csv); give results/<name>/<id>")
    flag = wording("--date", "date")
    try:
        requested = pd.Timestamp(date)
    except ValueError:
        raise DataError(f"{flag} {date}: not a date; use YYYY-MM-DD") from None
    targets = pd.read_csv(path, index_col="date", parse_dates=["date"])
    before = targets.index[targets.index <= requested]
    if before.empty:
        raise DataError(
            f"{flag} {requested.date()}: before the run's first rebalance "
            f"{targets.index[0].date()}; give a later date"
        )
    returns = run_dir / "returns.csv"
    if returns.is_file():
        days = pd.read_csv(returns, usecols=["date"], parse_dates=["date"])["date"]
        if not days.empty and requested > days.iloc[-1]:
            raise DataError(
                f"{flag} {requested.date()}: after the run's last day {days.iloc[-1].date()}; "
                "nothing was decided or held then, give an earlier date"
            )
    decided = before[-1]
    weights = targets.loc[decided].fillna(0.0)
    diagnostics = load_diagnostics(run_dir).get(decided, {})
    scores = diagnostics.get("scores", {})
    rows = []
    for ticker, weight in weights.items():
        status, reason = reason_for(str(ticker), float(weight), diagnostics, decided)
        row: dict[str, Any] = {"ticker": ticker, "weight": float(weight), "status": status}
        for name, values in scores.items():
            row[name] = values.get(str(ticker))
        row["reason"] = reason
        rows.append(row)
    table = pd.DataFrame(rows)
    order = {"held": 0, "not selected": 1, "excluded": 2, "not held": 3, "not tradable": 4}
    table = table.sort_values(
        ["status", "weight", "ticker"],
        key=lambda col: col.map(order) if col.name == "status" else col,
        ascending=[True, False, True],
        kind="stable",
    ).reset_index(drop=True)
    return Explanation(
        run_dir,
        requested,
        decided,
        table,
        dict(diagnostics.get("signals", {})),
        list(diagnostics.get("notes", [])),
    )
