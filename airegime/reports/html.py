"""Shared pieces of the HTML reports (portfolio, comparison, sweep): page shell, CSS,
escaped tables, number formats and headless matplotlib figures embedded as base64 PNG.

Every page built here is one self-contained file: no scripts, fonts, styles or
images from elsewhere (the favicon is an empty data URL, so browsers ask for none).
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd

from .. import quiet  # noqa: F401  (Agg backend before pyplot)

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
margin:1.5em auto;max-width:1200px;padding:0 1.5em;color:#222;line-height:1.4}
h1{font-size:1.6em;margin-bottom:0.2em}h2{margin-top:1.8em;border-bottom:1px solid #ddd;
padding-bottom:0.2em;font-size:1.25em}h3{font-size:1.05em;margin-bottom:0.3em}
.sub{color:#555;margin-top:0}.muted{color:#666;font-size:0.9em}
nav a{margin-right:1.2em}
table{border-collapse:collapse;margin:0.6em 0 1em;font-size:0.88em}
td,th{border:1px solid #d6d6d6;padding:3px 8px;text-align:right;vertical-align:top}
th{background:#f2f2f2;font-weight:600}
th.l,td.l{text-align:left}td:first-child{white-space:nowrap}
tr.group th{background:#e6ecf3;text-align:center}
.note{background:#fff4d6;padding:0.5em 1em;border-left:4px solid #e0a800;margin:0.5em 0}
.facts{display:flex;flex-wrap:wrap;gap:0.8em;margin:1em 0}
.fact{background:#f5f7fa;border:1px solid #e1e5ea;border-radius:6px;padding:0.5em 0.9em;
min-width:9em}.fact b{display:block;font-size:1.35em}.fact span{color:#555;font-size:0.85em}
.neg{color:#b00020}.pos{color:#006b2e}
pre{background:#f6f6f6;padding:0.8em;overflow-x:auto;font-size:0.85em}
img{max-width:100%;height:auto}
details{margin:0.5em 0 1em}summary{cursor:pointer;color:#0b5cad}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:1em}
@media (max-width:900px){.grid2{grid-template-columns:1fr}}
"""

#: One colour per group, the same on every page.
GROUP_COLORS = {
    "hyperscaler": "#1f77b4",
    "chips": "#d62728",
    "chip_equipment": "#ff7f0e",
    "software": "#9467bd",
    "datacenter": "#8c564b",
    "power_energy": "#bcbd22",
    "consumer_tech": "#17becf",
    "china_adr": "#e377c2",
    "etf": "#7f7f7f",
    "other": "#c7c7c7",
    "cash": "#eeeeee",
}

e = html.escape


def missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def pct(value: Any, digits: int = 1, signed: bool = False) -> str:
    """0.123 -> '12.3%' ('' for missing values)."""
    if missing(value):
        return ""
    return f"{value:+.{digits}%}" if signed else f"{value:.{digits}%}"


def num(value: Any, digits: int = 2, signed: bool = False) -> str:
    if missing(value):
        return ""
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


#: Words shown in capitals (or their usual form) in headers.
ACRONYMS = {"cagr": "CAGR", "etf": "ETF", "pe": "P/E", "ps": "P/S", "ttm": "TTM", "spy": "SPY"}


def label(name: str) -> str:
    """snake_case -> 'Snake case' for headers."""
    words = str(name).replace("_", " ").split(" ")
    words = [ACRONYMS.get(w.lower(), w) for w in words]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


Formatter = Callable[[Any], str]


def table(
    frame: pd.DataFrame,
    formats: dict[str, Formatter] | None = None,
    headers: dict[str, str] | None = None,
    index: bool = False,
    left: Iterable[str] = (),
    signed_colours: Iterable[str] = (),
) -> str:
    """An escaped HTML table; ``formats`` per column, readable headers, text left-aligned."""
    formats = formats or {}
    headers = headers or {}
    data = frame.reset_index() if index else frame
    left_cols = set(left) | {c for c in data.columns if not pd.api.types.is_numeric_dtype(data[c])}
    colour = set(signed_colours)
    head = "".join(
        f"<th class='{'l' if c in left_cols else ''}'>{e(headers.get(c, label(c)))}</th>"
        for c in data.columns
    )
    rows = []
    for _, row in data.iterrows():
        cells = []
        for c in data.columns:
            value = row[c]
            fmt = formats.get(c)
            if fmt is not None:
                text = fmt(value)
            elif missing(value):
                text = ""
            elif isinstance(value, pd.Timestamp):
                text = str(value.date())
            elif isinstance(value, float):
                text = f"{value:.3g}"
            else:
                text = str(value)
            classes = ["l"] if c in left_cols else []
            if c in colour and not missing(value) and isinstance(value, int | float):
                classes.append("neg" if value < 0 else "pos")
            cells.append(f"<td class='{' '.join(classes)}'>{e(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def png(fig) -> str:
    """Base64 PNG of a matplotlib figure (closed afterwards)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def img(fig, alt: str) -> str:
    return f"<img alt='{e(alt)}' src='data:image/png;base64,{png(fig)}'>"


def percent_digits(locations: Iterable[float], least: int = 0, most: int = 4) -> int:
    """The fewest decimals (at least ``least``) that write every tick (a fraction, 0.025 =
    2.5%) exactly: rounding 2.5% and 7.5% to whole percents gave 0, 2, 5, 8, 10, 12%."""
    values = [v * 100 for v in locations if math.isfinite(v)]
    for digits in range(least, most + 1):
        if all(abs(round(v, digits) - v) < 1e-9 * max(1.0, abs(v)) for v in values):
            return digits
    return most


def percent_axis(ax, axis: str = "y", digits: int = 0) -> None:
    """Label an axis of fractions as percentages at even steps (1, 2 or 5 times a power of
    ten), each label exact: with ``digits`` decimals or as many more as a step needs."""
    from matplotlib.ticker import Formatter, MaxNLocator

    class Percent(Formatter):
        decimals = digits

        def set_locs(self, locs):
            super().set_locs(locs)
            view = self.axis.get_view_interval() if self.axis is not None else (-math.inf, math.inf)
            low, high = min(view), max(view)
            shown = [v for v in locs if low - 1e-12 <= v <= high + 1e-12]
            self.decimals = percent_digits(shown, digits)

        def __call__(self, x, pos=None):
            return f"{x * 100:.{self.decimals}f}%"

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(MaxNLocator(nbins="auto", steps=[1, 2, 5, 10]))
    target.set_major_formatter(Percent())


def tidy(ax, legend: bool = True, outside: bool = False) -> None:
    """Light grid, no top/right spines, legend beside the plot when ``outside``."""
    ax.grid(alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if legend and ax.get_legend_handles_labels()[0]:
        if outside:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
        else:
            ax.legend(fontsize=8, frameon=False)


def shade(ax, spans: Iterable[tuple[pd.Timestamp, pd.Timestamp, str]], alpha: float = 0.1):
    """Shade date spans (start, end, name) on a time axis, named at the top."""
    colours = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860"]
    top = ax.get_ylim()[1]
    for i, (start, end, name) in enumerate(spans):
        ax.axvspan(start, end, color=colours[i % len(colours)], alpha=alpha, lw=0)
        ax.text(start, top, f" {name}", fontsize=7, va="top", color="#444", clip_on=True)


def page(title: str, parts: list[str], nav: dict[str, str] | None = None) -> str:
    """The whole document: head with inline CSS and an empty favicon, then ``parts``."""
    links = ""
    if nav:
        links = "<nav>" + "".join(f"<a href='{e(h)}'>{e(t)}</a>" for t, h in nav.items()) + "</nav>"
    return "\n".join(
        [
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
            "<meta name='viewport' content='width=device-width, initial-scale=1'>",
            "<link rel='icon' href='data:,'>",
            f"<title>{e(title)}</title><style>{STYLE}</style></head><body>",
            links,
            *parts,
            "</body></html>",
        ]
    )
