"""What a run rests on is shown where its results are read: the hindsight, coverage and
fill-rule caveats near the top of the portfolio page and the tear sheet, and per run in
the comparison report."""

from __future__ import annotations

import html
import json
import shutil

import pytest

from airegime.paths import project_root
from airegime.reports.caveats import caveats_html, coverage_line
from airegime.reports.compare import write_comparison
from airegime.reports.portfolio import render
from airegime.run import run_backtest

ROOT = project_root()


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory):
    return run_backtest(
        ROOT / "backtests" / "quickstart.yaml",
        ["start=2025-01-01", "engine=vector"],
        results_root=tmp_path_factory.mktemp("results"),
    )


def top(page: str, n: int = 6000) -> str:
    """The start of a page's body (where a reader looks first)."""
    return page[page.index("<body") :][:n]


@pytest.mark.parametrize("name", ["portfolio.html", "tearsheet.html"])
def test_both_pages_carry_the_runs_caveats_near_the_top(quickstart, name):
    hindsight = quickstart.provenance["warnings"][0]
    assert hindsight.startswith("hindsight: universe ai_us was hand-picked")
    page = top((quickstart.run_dir / name).read_text())
    assert html.escape(hindsight) in page
    assert "fill rule next_close: orders fill at the next trading day&#x27;s close" in page
    assert "coverage: every name held was scored on every active rule" in page


def test_the_caveats_show_every_warning_of_the_run_and_its_coverage():
    provenance = {"fill": "next_open", "warnings": ["hindsight: picked later", "few names"]}
    metrics = {"uncovered_weight_mean": 0.084, "uncovered_weight_max": 0.25}
    shown = caveats_html(provenance, metrics)
    assert shown.count("<b>warning:</b>") == 2 and "few names" in shown
    assert "orders fill at the next trading day&#x27;s open" in shown
    assert "on average 8% of the target weight (at most 25%)" in shown


def test_a_run_made_before_coverage_was_measured_says_so(quickstart, tmp_path):
    old = shutil.copytree(quickstart.run_dir, tmp_path / "old-run")
    metrics = json.loads((old / "metrics.json").read_text())
    for key in ("uncovered_weight_mean", "uncovered_weight_max"):
        del metrics[key]
    (old / "metrics.json").write_text(json.dumps(metrics))
    assert coverage_line(metrics).startswith("coverage: not recorded")
    assert "coverage: not recorded" in render(old)


def test_the_comparison_report_carries_each_runs_caveats(quickstart, tmp_path):
    composite = run_backtest(
        ROOT / "backtests" / "article_composite.yaml",
        ["start=2025-01-01", "engine=vector", "universe=fundamentals_covered"],
        results_root=tmp_path,
        tearsheet=False,
        portfolio=False,
    )
    out = write_comparison(
        [quickstart, composite], tmp_path / "compare", ROOT / "data" / "regimes.yaml"
    )
    page = out["report"].read_text()
    section = page[page.index("<h2 id='caveats'>") :]
    section = section[: section.index("<h2", 10)]
    for run in (quickstart, composite):
        assert f"<h3>{run.config.name}</h3>" in section
        assert html.escape(run.provenance["warnings"][0]) in section
    assert section.count("fill rule next_close") == 2
