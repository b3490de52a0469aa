"""The universe section of a comparison, as terminal lines and as HTML: each run's
universe, each run against equal weight on it, and the universe effect (the numbers
come from :mod:`airegime.stats.universe_effect`)."""

from __future__ import annotations

import html

import pandas as pd

from ..stats.universe_effect import UniverseAnalysis
from .html import label, pct
from .html import table as html_table


def text_lines(analysis: UniverseAnalysis) -> list[str]:
    """The like-for-like numbers as short lines for the terminal."""
    lines = []
    for _, row in analysis.baselines.iterrows():
        ci = ""
        if "annual_return_lo" in row and row["annual_return_lo"] == row["annual_return_lo"]:
            ci = (
                f", annual return {pct(row['annual_return_diff'], signed=True)} "
                f"[{pct(row['annual_return_lo'], signed=True)}, "
                f"{pct(row['annual_return_hi'], signed=True)}]"
            )
        lines.append(
            f"{row['run']} vs equal weight on its universe {row['universe']}: "
            f"CAGR {row['cagr']:.1%} vs {row['baseline_cagr']:.1%} "
            f"({pct(row['cagr_diff'], signed=True)}){ci}"
        )
    for _, row in analysis.effect.iterrows():
        lines.append(
            f"universe effect {row['universe']}: equal weight {row['equal_weight_cagr']:.1%} "
            f"vs {row['sector_etf']} {row['sector_etf_cagr']:.1%} a year "
            f"({pct(row['cagr_diff'], signed=True)}), {row['start']}..{row['end']}"
        )
    return lines


def html_section(analysis: UniverseAnalysis) -> tuple[str, str, str]:
    """The comparison page's universe section as (anchor id, heading, HTML body)."""

    def table(frame: pd.DataFrame, percent: set[str] | None = None) -> str:
        formats = {c: pct for c in (percent or set()) if c in frame.columns}
        return html_table(frame, formats, {c: label(c) for c in frame.columns})

    e = html.escape
    parts = []
    if analysis.headline:
        parts.append(f"<p class='note'>{e(analysis.headline)}</p>")
    parts.append(table(analysis.runs))
    parts.append(
        "<h3>Each run against equal weight on its own universe</h3><p>Same dates, costs, "
        "data and fill rule; only the strategy differs. The annual-return interval is a "
        "paired block bootstrap (20-day blocks, 2000 draws, 95%).</p>"
    )
    parts.append(
        table(
            analysis.baselines,
            {
                "cagr",
                "baseline_cagr",
                "cagr_diff",
                "annual_return_diff",
                "annual_return_lo",
                "annual_return_hi",
            },
        )
    )
    parts.append(
        "<h3>Universe effect: equal weight of the universe against its sector ETF</h3>"
        "<p>How much of a result comes from choosing the names, before any strategy.</p>"
    )
    if analysis.effect.empty:
        parts.append("<p>No sector ETF prices for these universes.</p>")
    else:
        parts.append(
            table(
                analysis.effect,
                {
                    "equal_weight_cagr",
                    "sector_etf_cagr",
                    "cagr_diff",
                    "equal_weight_total",
                    "sector_etf_total",
                },
            )
        )
    parts += [f"<p class='note'>{e(note)}</p>" for note in analysis.notes]
    return "universes", "Universes and like-for-like baselines", "\n".join(parts)
