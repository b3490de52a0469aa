"""The tear sheet, parsed: readable EOY bars, a blank rolling beta until its window
fills, a heatmap blank after the data, no scripts or outside requests, a short title."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pandas as pd
import pytest

from airegime.config import load_config
from airegime.data.prices import load_sample
from airegime.paths import project_root
from airegime.reports.tearsheet import (
    period_returns,
    tearsheet_title,
    worst_drawdowns,
    write_tearsheet,
)

ROOT = project_root()


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> str:
    closes = load_sample(["QQQ", "SPY"]).close.loc["2016-01-01":"2026-07-31"]
    returns = closes.pct_change().iloc[1:]
    path = tmp_path_factory.mktemp("tearsheet") / "tearsheet.html"
    write_tearsheet(returns["QQQ"], returns["SPY"], path, "qqq: a test", "SPY")
    return path.read_text()


def figure(page: str, div: str) -> str:
    start = page.index(f'<div id="{div}">')
    return page[start : page.index("</svg>", start)]


def rectangles(svg: str) -> list[tuple[float, float]]:
    """(left, right) of every bar-sized rectangle of an SVG figure (legend keys aside)."""
    spans = []
    plot = svg.split('<g id="legend_1">')[0]
    for d in re.findall(r'<g id="patch_\d+">\s*<path d="([^"]+)"', plot):
        xs = [float(x) for x in re.findall(r"[ML] ([-\d.]+) [-\d.]+", d)]
        if len(xs) == 4 and 0 < max(xs) - min(xs) < 50:
            spans.append((min(xs), max(xs)))
    return spans


def test_eoy_chart_has_one_labelled_bar_pair_per_year(page):
    svg = figure(page, "eoy_returns")
    ticks = re.findall(
        r'<g id="xtick_\d+">\s*<g id="line2d_\d+">\s*<path d="M ([\d.]+) [\d.]+.*?<!-- (\d{4}) -->',
        svg,
        flags=re.S,
    )
    assert [year for _, year in ticks] == [str(y) for y in range(2016, 2027)]
    bars = rectangles(svg)
    assert len(bars) == 2 * len(ticks)
    for x, year in ticks:  # the benchmark's bar ends and the strategy's starts at the tick
        touching = [b for b in bars if abs(b[0] - float(x)) < 0.5 or abs(b[1] - float(x)) < 0.5]
        assert len(touching) == 2, year


def test_rolling_beta_is_blank_until_its_six_month_window_fills(page):
    svg = figure(page, "rolling_beta")
    lines = []
    for d in re.findall(r'<path d="(M [\d.]+ [\d.]+(?:\s*L [\d.]+ [\d.]+){100,})', svg):
        xs = [float(x) for x in re.findall(r"[ML] ([\d.]+) [\d.]+", d)]
        lines.append((xs[0], xs[-1]))
    (start6, end), (start12, end12) = sorted(lines)  # the 6- and 12-month lines
    assert end == pytest.approx(end12)
    days = 2660  # 2016-01-05 .. 2026-07-31
    # Both end on the last day; the 6-month line starts after 126 days, not on day one.
    assert (end - start6) / (end - start12) == pytest.approx((days - 126) / (days - 252), rel=0.01)


def test_monthly_heatmap_leaves_months_after_the_data_blank(page):
    svg = figure(page, "monthly_heatmap")
    cells = re.findall(r"<!-- (-?\d+\.\d\d) -->", svg)
    assert len(cells) == 10 * 12 + 7  # 2016-01 .. 2026-07


def test_the_page_runs_no_script_and_requests_nothing_from_elsewhere(page):
    assert "onload" not in page and "<script" not in page
    sources = re.findall(r'(?:src|href)=["\']([^"\']+)', page)
    loaded = [s for s in sources if not s.startswith(("data:", "#", "portfolio.html"))]
    assert loaded == ["http://quantstats.io"]  # a link the reader may follow, not a request
    assert "<link rel='icon' href='data:,'>" in page


def test_labels_use_a_percent_sign_every_font_has(page):
    assert "\ufe6a" not in page
    assert "CAGR%" in page


def test_title_names_the_strategy_the_fill_rule_and_only_changed_parameters():
    config = load_config(
        ROOT / "backtests" / "regime_aware.yaml",
        ["strategy.params.momentum_top_n=5", "strategy.params.composite.top_n=6"],
    )
    run = SimpleNamespace(config=config, provenance={"fill": "next_close"})
    assert tearsheet_title(run) == "regime_aware: regime_aware, fill next_close, momentum_top_n=5"


def test_the_eoy_table_still_matches_the_chart_years(page):
    table = page[page.index('<div id="eoy">') :]
    years = re.findall(r"<td>(20\d\d)</td>", table[: table.index("</table>")])
    assert years == [str(y) for y in range(2016, 2027)]
    assert isinstance(pd.Timestamp(years[0]), pd.Timestamp)


def test_return_quantiles_count_every_calendar_period_once(page):
    # quantstats kept a year only if 31 Dec was a trading day (not 2016, 2017, 2022,
    # 2023), and counted each period once per day
    svg = figure(page, "returns_dist")
    assert "<!-- (n=11) -->" in svg  # 2016..2026
    closes = load_sample(["QQQ"]).close["QQQ"].loc["2016-01-01":"2026-07-31"]
    yearly = period_returns(closes.pct_change().iloc[1:])["Yearly"]
    assert list(yearly.index.year) == list(range(2016, 2027))
    in_2022 = closes["2022"].iloc[-1] / closes["2021"].iloc[-1] - 1
    assert yearly.loc["2022"].iloc[0] == pytest.approx(in_2022)


def test_the_drawdown_periods_chart_shades_the_deepest_like_the_table_beside_it(page):
    assert "<!-- Strategy - Worst 5 Drawdown Periods (deepest) -->" in figure(page, "dd_periods")
    returns = pd.Series(
        [0.0, -0.30, 0.45, 0.0, -0.05, 0.0, 0.0, 0.0, 0.06, 0.0],
        index=pd.bdate_range("2024-01-01", periods=10),
    )
    worst = worst_drawdowns(returns, 2)
    # the 1-day 30% fall ranks first, before the 4-day 5% one
    assert list(worst["max drawdown"].round(1)) == [-30.0, -5.0]
