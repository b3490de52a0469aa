"""Regimes: dated events from ``data/regimes.yaml`` and signals computed from prices.

Every function here looks only at what it is given; the strategies pass it the
as-of view's series, so a signal on date D uses prices up to D and events
dated on or before D.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from ..errors import DataError
from .yaml_reader import read_yaml_file


@dataclass(frozen=True)
class Event:
    name: str
    date: pd.Timestamp
    kind: str
    source: str


@dataclass(frozen=True)
class Period:
    name: str
    start: pd.Timestamp
    end: pd.Timestamp


@dataclass(frozen=True)
class Regimes:
    events: tuple[Event, ...]
    periods: tuple[Period, ...]

    def events_between(
        self, start: pd.Timestamp, end: pd.Timestamp, kinds: set[str] | None = None
    ) -> list[Event]:
        """Events dated in ``(start, end]`` (optionally of some kinds)."""
        return [
            e for e in self.events if start < e.date <= end and (kinds is None or e.kind in kinds)
        ]


def load_regimes(path: Path) -> Regimes:
    """Read ``regimes.yaml``; every event needs a name, date, kind and source."""
    if not path.is_file():
        raise DataError(f"{path}: regime table not found")
    try:
        raw = read_yaml_file(path) or {}
    except (yaml.YAMLError, ValueError) as exc:
        raise DataError(
            f"{path}: not a readable YAML file ({exc.__class__.__name__}: {exc})"
        ) from None
    events, periods = [], []
    for i, item in enumerate(raw.get("events", [])):
        missing = [k for k in ("name", "date", "kind", "source") if not item.get(k)]
        if missing:
            raise DataError(f"{path}: events[{i}]: missing {', '.join(missing)}")
        events.append(
            Event(
                str(item["name"]),
                pd.Timestamp(item["date"]),
                str(item["kind"]),
                str(item["source"]),
            )
        )
    for i, item in enumerate(raw.get("periods", [])):
        if not all(isinstance(item.get(k), dt.date) for k in ("start", "end")):
            raise DataError(f"{path}: periods[{i}]: start and end must be dates (YYYY-MM-DD)")
        periods.append(
            Period(str(item["name"]), pd.Timestamp(item["start"]), pd.Timestamp(item["end"]))
        )
    return Regimes(tuple(sorted(events, key=lambda e: e.date)), tuple(periods))


def trailing_return(series: pd.Series, days: int) -> float:
    """Return over the last ``days`` observations (NaN if the history is too short)."""
    s = series.dropna()
    return float(s.iloc[-1] / s.iloc[-days - 1] - 1) if len(s) > days else float("nan")


def drawdown(series: pd.Series, days: int) -> float:
    """Distance of the last value below its maximum over the last ``days`` observations."""
    s = series.dropna().iloc[-days:]
    return float(s.iloc[-1] / s.max() - 1) if len(s) else float("nan")


def basket(closes: pd.DataFrame) -> pd.Series:
    """An equal-weight, daily-rebalanced index of the given closes (starts at 1)."""
    returns = closes.pct_change(fill_method=None).mean(axis=1).fillna(0.0)
    return (1 + returns).cumprod()
