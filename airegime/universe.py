"""The reference table ``data/universes.yaml``: ticker groups and named universes."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from .errors import DataError


@dataclass(frozen=True)
class Universes:
    """Groups of tickers and named universes, read from ``data/universes.yaml``."""

    groups: dict[str, list[str]]
    universes: dict[str, list[str]]
    suppliers: list[str] = field(default_factory=list)
    source: Path | None = None

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
        """A universe name or an explicit list, as an ordered list of unique tickers."""
        if isinstance(universe, str):
            if universe not in self.universes:
                names = ", ".join(sorted(self.universes))
                raise KeyError(f"unknown universe '{universe}' (named universes: {names})")
            universe = self.universes[universe]
        return list(dict.fromkeys(t.upper() for t in universe))


@cache
def load_universes(path: Path) -> Universes:
    """Parse ``universes.yaml``; a missing or malformed file is a one-line DataError."""
    if not path.is_file():
        raise DataError(
            f"{path}: reference table not found; run from the project folder "
            "or set AIREGIME_HOME to it"
        )
    try:
        raw = yaml.safe_load(path.read_text()) or {}
        groups = {str(g): [str(t).upper() for t in ts] for g, ts in raw["groups"].items()}
        universes = {str(u): [str(t).upper() for t in ts] for u, ts in raw["universes"].items()}
    except (yaml.YAMLError, KeyError, AttributeError, TypeError) as exc:
        raise DataError(
            f"{path}: expected 'groups' and 'universes' mappings of ticker "
            f"lists ({exc.__class__.__name__}: {exc})"
        ) from None
    return Universes(groups, universes, [str(s) for s in raw.get("suppliers", [])], path)
