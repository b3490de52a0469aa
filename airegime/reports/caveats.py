"""What a run's numbers rest on, near the top of every page that shows them.

The portfolio page, the tear sheet and the comparison report (per run) carry the same
caveats, taken from the run folder as written at run time, never recomputed: the run's
warnings (``provenance["warnings"]``: the universe's hindsight warning, missing data
above ``checks.max_uncovered``, degenerate portfolios, China caps, events traded with
hindsight), the fill rule (``provenance["fill"]``), the universe
(``provenance["universe"]``) and the coverage figures of ``metrics.json``
(``uncovered_weight_mean`` and ``uncovered_weight_max``). The series behind the coverage
figures is :func:`airegime.stats.portfolio_checks.uncovered_weights` of the run's targets
and diagnostics.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..results import RunResult, provenance_lines
from ..stats.portfolio_checks import uncovered_weights
from .html import e, img, percent_axis, tidy

#: Inline style of a warning box where the page's own CSS is not ours (the tear sheet).
WARNING_STYLE = (
    "background:#fff4d6;border-left:4px solid #e0a800;padding:6px 12px;margin:8px 0;"
    "font:13px/1.4 Arial,sans-serif"
)
BASIS_STYLE = "color:#555;margin:8px 0;font:13px/1.4 Arial,sans-serif"


def coverage_line(metrics: dict[str, Any]) -> str:
    """The coverage figures of a run in words (runs made before they existed say so)."""
    mean, high = metrics.get("uncovered_weight_mean"), metrics.get("uncovered_weight_max")
    if mean is None or high is None:
        return "coverage: not recorded (the run was made before airegime measured it)"
    if high <= 0:
        return (
            "coverage: every name held was scored on every active rule of the strategy "
            "(or the strategy scores nothing, as equal weight)"
        )
    return (
        f"coverage: on average {mean:.0%} of the target weight (at most {high:.0%}) was in "
        "names that at least one active rule had no data for"
    )


def basis_lines(provenance: dict[str, Any], metrics: dict[str, Any]) -> list[str]:
    """What the run rests on besides its warnings: fill rule, universe, coverage."""
    return [*provenance_lines(provenance), coverage_line(metrics)]


def caveats_html(provenance: dict[str, Any], metrics: dict[str, Any], inline: bool = False) -> str:
    """The run's warnings as notes, then one line of what it rests on (escaped HTML).

    ``inline`` styles the elements themselves, for pages whose CSS is not ours."""
    warnings = list(provenance.get("warnings") or [])
    note = f" style='{WARNING_STYLE}'" if inline else " class='note'"
    muted = f" style='{BASIS_STYLE}'" if inline else " class='muted'"
    parts = [f"<p{note}><b>warning:</b> {e(w)}</p>" for w in warnings]
    parts.append(f"<p{muted}>" + e("; ".join(basis_lines(provenance, metrics))) + "</p>")
    return f"<div class='caveats'>{''.join(parts)}</div>"


def coverage_series(run: RunResult) -> pd.Series | None:
    """Uncovered target weight per rebalance date, or None for a run made before coverage
    was recorded (its diagnostics cannot tell)."""
    if "uncovered_weight_mean" not in run.metrics:
        return None
    return uncovered_weights(run.targets, run.diagnostics)


def coverage_figure(series: dict[str, pd.Series], threshold: float | None = None) -> str:
    """Uncovered weight at each rebalance, one step line per run; the warning threshold
    (``checks.max_uncovered``) dashed when given."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 2.8))
    for name, values in series.items():
        ax.step(values.index, values.to_numpy(), where="post", lw=1.3, label=name)
    if threshold is not None:
        ax.axhline(threshold, color="#c0392b", lw=0.9, ls="--", label="checks.max_uncovered")
    ax.set_ylim(0, 1)
    ax.set_ylabel("weight without full data")
    percent_axis(ax)
    tidy(ax, outside=True)
    return img(fig, "uncovered weight at each rebalance")
