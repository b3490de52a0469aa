"""Why a run held what it held on a date: ``airegime explain RUN_DIR --date D``.

Reads the run folder only: ``targets.csv`` (the weights decided at each rebalance)
and ``diagnostics.json`` (what the strategy recorded on its as-of view: scores,
exclusions and their reasons, tags, regime signals, the rule in words, how many
components each name was scored on, the selections and the ties that decided one).
The decision in force on D is the last rebalance on or before D. Names come in the
order of the decision: held (largest weight first), not selected (best score first),
excluded, then the rest; run folders written before components and selections were
recorded still read, without those columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import DataError, user_date, wording
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
    #: One line per tie at a top-N boundary that decided weights.
    ties: list[str] = field(default_factory=list)


def tie_lines(diagnostics: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """Each recorded tie in words, and the note to put on each tied name's row."""
    lines, marks = [], {}
    for score, selection in (diagnostics.get("selections") or {}).items():
        tie = selection.get("tie")
        if not tie:
            continue
        names, slots = tie["names"], tie["slots"]
        shared = f"{len(names)} names share {slots} slot{'s' if slots != 1 else ''} equally"
        lines.append(
            f"at the top-{selection.get('top_n', '?')} boundary by {score} "
            f"({tie['value']:+.2f}): {', '.join(names)} tie; {shared}"
        )
        for name in names:
            marks[name] = f"tied by {score} at the top-{selection.get('top_n', '?')} boundary"
    return lines, marks


def reason_for(
    ticker: str, weight: float, diagnostics: dict[str, Any], date: pd.Timestamp
) -> tuple[str, str]:
    """(status, reason) of one name in one decision, from the recorded diagnostics."""
    excluded = diagnostics.get("excluded", {}).get(ticker)
    tags = "; ".join(diagnostics.get("tags", {}).get(ticker, []))
    tied = tie_lines(diagnostics)[1].get(ticker)
    if weight > 0:
        parts = [p for p in (tied, tags) if p]
        if excluded:
            parts.append(f"left out of one sleeve: {excluded}")
        return "held", "; ".join(parts)
    if ticker in diagnostics.get("untradable", []):
        return "not tradable", f"no price on {date.date()} (not listed yet, or data ended)"
    if excluded:
        return "excluded", "; ".join([excluded, *([tags] if tags else [])])
    if any(ticker in scores for scores in diagnostics.get("scores", {}).values()):
        return "not selected", tags or "ranked below the names held"
    return "not held", tags


def selection_score(diagnostics: dict[str, Any]) -> str | None:
    """The score the final selection ranked on: the last one recorded as a selection (runs
    written before selections were recorded: the composite, else the first score)."""
    selections = list(diagnostics.get("selections") or {})
    scores = [k for k in diagnostics.get("scores", {}) if k != "china_share"]
    if selections:
        return selections[-1]
    if "composite" in scores:
        return "composite"
    return scores[0] if scores else None


def decision_order(table: pd.DataFrame, score: str | None) -> pd.DataFrame:
    """Held by weight, then not selected by ``score`` (best first), excluded, not held,
    not tradable; ticker within equal keys."""
    order = {"held": 0, "not selected": 1, "excluded": 2, "not held": 3, "not tradable": 4}
    ranked = table.assign(
        _status=table["status"].map(order),
        _weight=-table["weight"],
        _score=-pd.to_numeric(table[score], errors="coerce") if score in table else 0.0,
    )
    ranked.loc[ranked["status"] != "not selected", "_score"] = 0.0
    ranked = ranked.sort_values(
        ["_status", "_weight", "_score", "ticker"], na_position="last", kind="mergesort"
    )
    return ranked.drop(columns=["_status", "_weight", "_score"]).reset_index(drop=True)


def explain(run_dir: str | Path, date: str | pd.Timestamp) -> Explanation:
    """The holdings decided on the last rebalance on or before ``date``, with reasons."""
    run_dir = Path(run_dir)
    path = run_dir / "targets.csv"
    if not path.is_file():
        raise DataError(f"{run_dir}: not a run folder (no targets.csv); give results/<name>/<id>")
    flag = wording("--date", "date")
    requested = user_date(date, flag, DataError)
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
    components = diagnostics.get("components") or {}
    rows = []
    for ticker, weight in weights.items():
        status, reason = reason_for(str(ticker), float(weight), diagnostics, decided)
        row: dict[str, Any] = {"ticker": ticker, "weight": float(weight), "status": status}
        for name, values in scores.items():
            row[name] = values.get(str(ticker))
        if components:
            counted = components.get(str(ticker))
            row["scored on"] = f"{counted[0]}/{counted[1]}" if counted else ""
        row["reason"] = reason
        rows.append(row)
    table = decision_order(pd.DataFrame(rows), selection_score(diagnostics))
    return Explanation(
        run_dir,
        requested,
        decided,
        table,
        dict(diagnostics.get("signals", {})),
        list(diagnostics.get("notes", [])),
        tie_lines(diagnostics)[0],
    )
