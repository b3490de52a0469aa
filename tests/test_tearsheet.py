"""The tear sheet, parsed: readable EOY bars, a blank rolling beta until its window
fills, a heatmap blank after the data, no scripts or outside requests, a short title."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from pandas.tseries.offsets import BDay

from airegime.config import load_config
from airegime.data.prices import load_sample
from airegime.paths import project_root
from airegime.reports.tearsheet import (
    period_returns,
    tearsheet_title,
    worst_drawdowns,
    write_tearsheet,
)
from airegime.stats.metrics import performance

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


# --- the page agrees with itself and with metrics.json (issue 18) ----------------------------

SYNTHETIC = pd.bdate_range("2023-01-03", periods=300)


@pytest.fixture(scope="module")
def partial(tmp_path_factory) -> tuple[str, pd.Series, pd.Series]:
    """A strategy that ends 10% below its peak, against a benchmark with no prices
    before 2023-03-28 (its 60th return)."""
    rng = np.random.default_rng(11)
    bench = pd.Series(rng.normal(0.0008, 0.01, 300), index=SYNTHETIC)
    strategy = 1.2 * bench + rng.normal(0.0005, 0.004, 300)
    strategy.iloc[-15:] = -0.007
    bench.iloc[:60] = np.nan
    path = tmp_path_factory.mktemp("partial") / "tearsheet.html"
    write_tearsheet(strategy, bench, path, "partial: a test", "SPY", base=SYNTHETIC[0] - BDay(1))
    return path.read_text(), strategy, bench


def metric_row(page: str, label: str) -> list[str]:
    row = re.search(rf"<tr><td>{re.escape(label)}</td>((?:<td>[^<]*</td>)+)</tr>", page)
    assert row, label
    return re.findall(r"<td>([^<]*)</td>", row.group(1))


def test_a_drawdown_still_open_at_the_end_is_not_listed_as_recovered(partial):
    page = partial[0]
    table = page[page.index('<div id="ddinfo">') :]
    first = re.search(r"<tr><td>([\d-]+)</td><td>([^<]+)</td>", table[table.index("<tbody>") :])
    assert first.group(2) == "not recovered"  # the deepest one is the open one
    assert metric_row(page, "Max DD Period End")[1] == "not recovered"


def test_the_page_headline_figures_are_the_run_metrics(partial):
    page, strategy, bench = partial
    ours = performance(strategy, 252, SYNTHETIC[0] - BDay(1))
    assert metric_row(page, "Cumulative Return")[1] == f"{ours['total_return'] * 100:,.2f}%"
    assert metric_row(page, "CAGR%")[1] == f"{ours['cagr'] * 100:.2f}%"
    assert metric_row(page, "Sharpe")[1] == f"{ours['sharpe']:.2f}"
    own = bench.dropna()
    assert metric_row(page, "Cumulative Return")[0] == f"{((1 + own).prod() - 1) * 100:,.2f}%"


def test_the_page_says_the_benchmark_is_measured_on_its_own_dates(partial):
    page, _, bench = partial
    own = bench.dropna()
    assert f"SPY has returns on {len(own)} of the strategy's 300 days (prices 2023-03-27" in page
    assert "(matched dates)" not in page


def test_a_year_the_benchmark_does_not_cover_is_blank_in_the_eoy_table(partial):
    page, _, _ = partial
    table = page[page.index('<div id="eoy">') :]
    rows = re.findall(r"<tr><td>(20\d\d)</td><td>([^<]*)</td>", table[: table.index("</table>")])
    assert rows[0] == ("2023", "-")  # SPY starts in March 2023
    assert rows[1][1] != "-"


def test_the_relative_statistics_are_blank_under_the_benchmark(partial):
    page, _, _ = partial
    for label in ("R^2", "Information Ratio", "Beta", "Treynor Ratio"):
        assert metric_row(page, label)[0] == "-", label


@pytest.fixture(scope="module")
def cash_page(tmp_path_factory) -> str:
    """A strategy that holds only cash, over 40 returns."""
    bench = pd.Series(np.random.default_rng(3).normal(0, 0.01, 40), index=SYNTHETIC[:40])
    cash = pd.Series(0.0, index=SYNTHETIC[:40])
    path = tmp_path_factory.mktemp("cash") / "tearsheet.html"
    write_tearsheet(cash, bench, path, "cash: a test", "SPY")
    return path.read_text()


def test_a_strategy_that_never_moves_gets_a_tear_sheet_with_r2_blank(cash_page):
    assert metric_row(cash_page, "R^2") == ["-", "-"]
    assert metric_row(cash_page, "Cumulative Return")[1] == "0.00%"


def test_a_page_with_too_few_returns_says_why_its_annualised_rows_are_blank(cash_page):
    assert "40 returns: too few to annualise (fewer than 63" in cash_page
    assert metric_row(cash_page, "CAGR%") == ["-", "-"]
