"""The comparison page reads at a glance: percentages, a wide regime table, p-values."""

from __future__ import annotations

import re

import pandas as pd

from airegime.data.regimes import Period
from airegime.reports.compare import SECTION_HOOKS, regime_wide, write_comparison
from airegime.stats.comparison import overlapping
from tests.test_compare import make_run


def test_overlapping_periods_are_found_pairwise():
    day = pd.Timestamp
    periods = [
        Period("a", day("2020-01-01"), day("2021-12-31")),
        Period("b", day("2021-06-01"), day("2022-06-30")),
        Period("c", day("2023-01-01"), day("2023-12-31")),
    ]
    assert overlapping(periods) == [("a", "b")]


def test_regime_table_is_wide_one_row_per_strategy():
    rows = []
    for period, days in (("boom", 500), ("shock", 60)):
        for strategy, ann in (("ew", 0.25), ("SPY", -0.1)):
            rows.append(
                {
                    "period": period,
                    "start": "2023-01-02",
                    "end": "2024-12-31",
                    "days": days,
                    "strategy": strategy,
                    "annual_return": ann,
                    "max_drawdown": -0.2,
                }
            )
    html = regime_wide(pd.DataFrame(rows))
    assert html.count("<tr>") == 1 + 2  # one header row of measures, one row per strategy
    assert html.count("colspan='2'") == 2  # one column group per period
    assert "+25.0%" in html and "-10.0%" in html and "-20.0%" in html
    assert "(0.2 y)*" in html  # a period shorter than a year is flagged


def test_report_formats_percentages_and_shows_p_values_and_hooks(project):
    runs = [make_run(project, "a"), make_run(project, "b", strategy="supplier_tilt")]
    SECTION_HOOKS.append(lambda t: ("extra", "Extra section", f"<p>{len(t.comparison.names)}</p>"))
    try:
        out = write_comparison(
            runs, project / "results" / "compare", project / "data" / "regimes.yaml"
        )
    finally:
        SECTION_HOOKS.pop()
    page = out["report"].read_text()
    assert "CAGR%" not in page and "Max drawdown" in page
    assert re.search(r"<td class=''>-?\d+\.\d%</td>", page)  # CAGR shown as a percentage
    assert "P (return)" in page and "P (Sharpe)" in page
    assert f"{out['verdicts']['p_sharpe'].iloc[0]:.3f}" in page  # two-sided
    assert "Holm p (Sharpe)" in page
    assert "Periods overlap" in page
    assert "<h2 id='extra'>Extra section</h2><p>2</p>" in page
    metrics = pd.read_csv(out["directory"] / "metrics.csv", index_col="metric")
    assert metrics.loc["CAGR", "a"].endswith("%")


def test_the_report_opens_with_a_verdict_per_strategy_that_counts_every_strategy(project):
    runs = [make_run(project, "a"), make_run(project, "b", strategy="supplier_tilt")]
    runs.append(make_run(project, "c", strategy="china_underweight"))
    out = write_comparison(runs, project / "results" / "compare", project / "data" / "regimes.yaml")
    page = out["report"].read_text()
    sections = re.findall(r"<h2 id='(\w+)'>", page)
    assert sections[0] == "verdicts"
    assert out["verdicts"]["strategy"].tolist() == ["b", "c"]
    for line in out["verdicts"]["verdict"]:
        assert "Holm over 2 strategies" in line and line in page.replace("&#x27;", "'")
    assert (out["directory"] / "verdicts.csv").is_file()
