"""The reference table ``data/universes.yaml``: ticker groups and named universes."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..errors import ConfigError, DataError, did_you_mean
from .yaml_reader import read_yaml_file


@dataclass(frozen=True)
class Universes:
    """Groups of tickers and named universes, read from ``data/universes.yaml``."""

    groups: dict[str, list[str]]
    universes: dict[str, list[str]]
    suppliers: list[str] = field(default_factory=list)
    source: Path | None = None
    #: What each named universe is (selection, chosen, basis, sector_etf); see ``about:``.
    about: dict[str, dict[str, Any]] = field(default_factory=dict)

    def group_of(self, ticker: str) -> str | None:
        for group, members in self.groups.items():
            if ticker in members:
                return group
        return None

    def group_map(self) -> dict[str, str]:
        return {t: g for g, members in self.groups.items() for t in members}

    def known_tickers(self) -> set[str]:
        return {t for members in self.groups.values() for t in members}

    def resolve(self, universe: str | list[str]) -> list[str]:
        """A universe name or an explicit list, as an ordered list of unique tickers.

        An unknown name is a :class:`~airegime.errors.ConfigError` that suggests the
        closest known one.
        """
        if isinstance(universe, str):
            if universe not in self.universes:
                names = ", ".join(sorted(self.universes))
                hint = did_you_mean(universe, self.universes)
                raise ConfigError(
                    f"unknown universe '{universe}'{hint} (named universes: {names}; "
                    "or give a list of tickers)"
                )
            universe = self.universes[universe]
        return list(dict.fromkeys(t.upper() for t in universe))

    def info(self, universe: str | list[str]) -> UniverseInfo:
        """What a config's universe is: its name, how its names were chosen, its sector ETF.

        A list inherits the description of the smallest described universe holding all its
        names (a hand-picked subset is as hand-picked as the list it came from).
        """
        tickers = tuple(self.resolve(universe))
        if isinstance(universe, str):
            about = self.about.get(universe, {})
            return UniverseInfo(universe, tickers, **_about_fields(about))
        holders = [
            (len(self.universes[n]), n)
            for n in self.about
            if n in self.universes and set(tickers) <= set(self.universes[n])
        ]
        name = f"list of {len(tickers)}"
        if not holders:
            return UniverseInfo(name, tickers, basis="a list given in the config")
        parent = min(holders)[1]
        fields = _about_fields(self.about[parent])
        fields["basis"] = f"a list within {parent} ({fields['basis']})"
        return UniverseInfo(name, tickers, **fields)


@dataclass(frozen=True)
class UniverseInfo:
    """A run's universe and how it was chosen, for provenance and reports."""

    name: str
    tickers: tuple[str, ...]
    selection: str = "unknown"
    chosen: str = ""
    basis: str = ""
    sector_etf: str = "QQQ"

    @property
    def hand_picked(self) -> bool:
        return self.selection == "hand-picked"

    def hindsight_warning(self) -> str | None:
        """One line for a hand-picked list of today's names; None for anything else."""
        if not self.hand_picked:
            return None
        when = f" in {self.chosen}" if self.chosen else ""
        return (
            f"hindsight: universe {self.name} was hand-picked{when} ({self.basis}); a backtest "
            "on it already knows which companies became winners and omits those that faded"
        )

    def record(self, closes: pd.DataFrame, start: pd.Timestamp) -> dict[str, Any]:
        """Plain data for a run's provenance: name, count, names listed after ``start``."""
        return {
            "name": self.name,
            "count": len(self.tickers),
            "listed_after_start": listed_after(closes, list(self.tickers), start),
            "selection": self.selection,
            "chosen": self.chosen,
            "basis": self.basis,
            "sector_etf": self.sector_etf,
            "warning": self.hindsight_warning(),
        }


def listed_after(closes: pd.DataFrame, tickers: list[str], start: pd.Timestamp) -> list[str]:
    """Tickers whose first price comes after the first trading day on or after ``start``."""
    window = closes.loc[pd.Timestamp(start) :]
    if window.empty:
        return []
    first_day = window.index[0]
    late = []
    for ticker in tickers:
        series = closes[ticker].dropna() if ticker in closes else pd.Series(dtype=float)
        if series.empty or series.index[0] > first_day:
            late.append(ticker)
    return late


def universe_line(record: dict[str, Any], start: object) -> str:
    """``universe ai_us: 34 names, 6 listed after 2016-01-01 (ARM, ...)`` from a record."""
    late = record.get("listed_after_start") or []
    listed = f", {len(late)} listed after {start}" + (f" ({', '.join(late)})" if late else "")
    how = f"; {record['selection']}" if record.get("selection") not in (None, "unknown") else ""
    when = f" in {record['chosen']}" if record.get("chosen") and how else ""
    return f"universe {record['name']}: {record['count']} names{listed}{how}{when}"


def _about_fields(about: dict[str, Any]) -> dict[str, str]:
    return {
        "selection": str(about.get("selection", "unknown")),
        "chosen": str(about.get("chosen", "")),
        "basis": str(about.get("basis", "")),
        "sector_etf": str(about.get("sector_etf", "QQQ")).upper(),
    }


@cache
def load_universes(path: Path) -> Universes:
    """Parse ``universes.yaml``; a missing or malformed file is a one-line DataError."""
    if not path.is_file():
        raise DataError(
            f"{path}: reference table not found; run from the project folder "
            "or set AIREGIME_HOME to it"
        )
    try:
        raw = read_yaml_file(path) or {}
        groups = {str(g): [str(t).upper() for t in ts] for g, ts in raw["groups"].items()}
        universes = {str(u): [str(t).upper() for t in ts] for u, ts in raw["universes"].items()}
        about = {str(u): dict(a) for u, a in (raw.get("about") or {}).items()}
    except (yaml.YAMLError, KeyError, AttributeError, TypeError, ValueError) as exc:
        raise DataError(
            f"{path}: expected 'groups' and 'universes' mappings of ticker "
            f"lists ({exc.__class__.__name__}: {exc})"
        ) from None
    unknown = sorted(set(about) - set(universes))
    if unknown:
        raise DataError(
            f"{path}: about: {', '.join(unknown)} is not a named universe; "
            "describe only names listed under 'universes'"
        )
    suppliers = [str(s) for s in raw.get("suppliers", [])]
    return Universes(groups, universes, suppliers, path, about)
