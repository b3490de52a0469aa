"""Warnings about what a run actually held: too few names, mostly cash, a China cap that
excludes every undisclosed name, weight in names a rule had no data for.

Pure functions over a run's target weights (one row per rebalance date) and plain
parameter dicts, so they are testable without a backtest. A run lists what they find
in its summary, with the dates.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd


def degenerate_dates(targets: pd.DataFrame, min_names: int, max_cash: float) -> pd.DataFrame:
    """Rebalance dates holding fewer than ``min_names`` names or more than ``max_cash`` cash.

    ``targets`` has one row per rebalance date and one column per ticker (weights); the
    result has the columns ``names`` and ``cash`` (1 minus the invested share).
    """
    names = (targets > 1e-9).sum(axis=1)
    cash = (1.0 - targets.clip(lower=0.0).sum(axis=1)).clip(lower=0.0)
    flagged = (names < min_names) | (cash > max_cash + 1e-9)
    return pd.DataFrame({"names": names[flagged], "cash": cash[flagged]})


def held_after_fills(weights: pd.DataFrame, rebalances: pd.Index, fill: str) -> pd.DataFrame:
    """What the portfolio actually held once each rebalance's orders could fill: the daily
    weights at the close of the fill day (the rebalance day itself with ``same_close``,
    the next trading day otherwise), one row per rebalance date. Rejected or unfilled
    orders show here and not in the targets; a fill day past the run's end holds what the
    last day held."""
    shift = 0 if fill == "same_close" else 1
    position = weights.index.get_indexer(rebalances)
    rows = [min(p + shift, len(weights) - 1) for p in position if p >= 0]
    held = weights.iloc[rows].copy()
    held.index = rebalances[position >= 0]
    return held


def _runs(dates: list[pd.Timestamp], calendar: list[pd.Timestamp]) -> Iterator[list]:
    """Consecutive stretches of ``dates`` along ``calendar`` (the rebalance dates)."""
    position = {d: i for i, d in enumerate(calendar)}
    stretch: list[pd.Timestamp] = []
    for date in dates:
        if stretch and position[date] != position[stretch[-1]] + 1:
            yield stretch
            stretch = []
        stretch.append(date)
    if stretch:
        yield stretch


def _span(stretch: list[pd.Timestamp]) -> str:
    """A stretch of rebalance dates as one date, or first..last with its count."""
    if len(stretch) == 1:
        return f"{stretch[0].date()}"
    return f"{stretch[0].date()}..{stretch[-1].date()} ({len(stretch)} dates)"


def degenerate_warning(
    targets: pd.DataFrame, min_names: int, max_cash: float, shown: int = 6
) -> str | None:
    """One line naming the degenerate rebalance dates (stretches as first..last), or None."""
    if targets.empty:
        return None
    flagged = degenerate_dates(targets, min_names, max_cash)
    if flagged.empty:
        return None
    parts = []
    names, cashes = flagged["names"].to_numpy(), flagged["cash"].to_numpy()
    first = 0  # a stretch is the next len(stretch) rows of ``flagged``
    for stretch in _runs(list(flagged.index), list(targets.index)):
        rows = slice(first, first + len(stretch))
        first += len(stretch)
        low, high = int(names[rows].min()), int(names[rows].max())
        held = f"{low}" if low == high else f"{low}-{high}"
        cash = cashes[rows].max()
        parts.append(f"{_span(stretch)}: {held} names, up to {cash:.0%} cash")
    more = f"; and {len(parts) - shown} more stretches" if len(parts) > shown else ""
    return (
        f"degenerate portfolio on {len(flagged)} of {len(targets)} rebalance dates "
        f"(fewer than {min_names} names or more than {max_cash:.0%} cash; "
        f"checks.min_names / checks.max_cash): " + "; ".join(parts[:shown]) + more
    )


def uncovered_weights(
    targets: pd.DataFrame, diagnostics: dict[pd.Timestamp, dict[str, Any]]
) -> pd.Series:
    """Per rebalance date, the target weight in names for which at least one active
    component of the strategy had no data (0 to 1).

    ``targets``: one row per rebalance date, one column per ticker (weights).
    ``diagnostics``: per date, what the strategy recorded; its ``components`` entry maps
    ticker -> [components scored, components active] (see
    :meth:`airegime.asof.AsOfView.record_components`). A date without that entry, as
    with strategies that score nothing (equal weight), is fully covered: 0.
    """
    column = {t: j for j, t in enumerate(targets.columns)}
    weights = targets.to_numpy(dtype=float)
    values = np.zeros(len(targets))
    rows: list[int] = []  # per short name of every date: its date's row, its column
    at: list[int] = []
    for i, date in enumerate(targets.index):
        components = (diagnostics.get(date) or {}).get("components") or {}
        short = [column.get(t, -1) for t, (scored, active) in components.items() if scored < active]
        rows += [i] * len(short)
        at += short
    if at:
        cols = np.array(at)
        held = np.where(cols >= 0, weights[rows, cols], np.nan)  # -1: a name never held
        held = np.clip(np.nan_to_num(held, nan=0.0), 0.0, None)
        # Each date's sum over its own names, in their order: the bits of a sum per date.
        bounds = np.flatnonzero(np.diff(rows, prepend=-1, append=-1)).tolist()
        for first, end in itertools.pairwise(bounds):
            values[rows[first]] = float(held[first:end].sum())
    return pd.Series(values, index=targets.index, dtype=float, name="uncovered_weight")


def coverage_warning(uncovered: pd.Series, max_uncovered: float, shown: int = 6) -> str | None:
    """One line naming the rebalance dates whose uncovered weight (see
    :func:`uncovered_weights`) is above ``max_uncovered`` (stretches as first..last)."""
    flagged = uncovered[uncovered > max_uncovered + 1e-9]
    if flagged.empty:
        return None
    parts = []
    values, first = flagged.to_numpy(), 0  # a stretch is the next len(stretch) values
    for stretch in _runs(list(flagged.index), list(uncovered.index)):
        parts.append(f"{_span(stretch)}: up to {values[first : first + len(stretch)].max():.0%}")
        first += len(stretch)
    more = f"; and {len(parts) - shown} more stretches" if len(parts) > shown else ""
    return (
        f"missing data: on {len(flagged)} of {len(uncovered)} rebalance dates more than "
        f"{max_uncovered:.0%} of the target weight is in names that at least one active rule "
        f"could not score (checks.max_uncovered; airegime explain shows which): "
        + "; ".join(parts[:shown])
        + more
    )


def china_rules(params: dict[str, Any], where: str = "strategy.params") -> Iterator[tuple]:
    """Every China rule in a (nested) params dict: (key path, max_china_share, unknown_china)."""
    if "max_china_share" in params and "unknown_china" in params:
        yield where, params["max_china_share"], params["unknown_china"]
    for key, value in params.items():
        if isinstance(value, dict):
            yield from china_rules(value, f"{where}.{key}")


def china_cap_warning(
    params: dict[str, Any], fill_ins: pd.Series, unknown_names: pd.Series
) -> str | None:
    """A China cap below the share given to undisclosed names (``unknown_china: median``).

    ``fill_ins`` is the median known share on each rebalance date, ``unknown_names`` how
    many names disclosed none then; a cap below the fill-in excludes every such name.
    """
    for where, cap, unknown in china_rules(params):
        if unknown != "median":
            continue
        hit = (fill_ins > cap) & (unknown_names > 0)
        if hit.any():
            first = hit.idxmax()
            return (
                f"{where}.max_china_share {cap:.0%} is below the median China share "
                f"({fill_ins[hit].min():.0%}-{fill_ins[hit].max():.0%}) that "
                f"unknown_china: median gives names without a disclosed share, so all of them "
                f"(up to {int(unknown_names[hit].max())}) are excluded on {int(hit.sum())} "
                f"rebalance dates from {first.date()}; set unknown_china: zero or exclude, "
                "or raise the cap"
            )
    return None
