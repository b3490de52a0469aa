"""Every page in a real browser: tear sheet, portfolio, comparison and sweep open with no
console errors and no request to another site, and show what they should.

Needs headless Chromium (Debian's ``chromium``) and the ``playwright`` package; the
tests skip with the reason when either is missing. ``.ci/run`` installs both. They also
take the screenshots the docs show, into a temporary folder: a test run never changes a
tracked file. ``AIREGIME_SCREENSHOTS=docs pytest tests/test_browser.py`` refreshes
docs/*.png (any other value is a folder to write them to).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from airegime.factors import factors
from airegime.reports.compare import write_comparison
from airegime.run import run_backtest
from airegime.sweep import run_sweep

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: Where the screenshots go: "docs" for the docs' own images, else a folder; unset: a
#: temporary folder.
SCREENSHOTS_ENV = "AIREGIME_SCREENSHOTS"

pytestmark = pytest.mark.browser


def screenshot_dir(temporary: Path) -> Path:
    """The folder screenshots are written to: ``temporary`` unless asked otherwise."""
    wanted = os.environ.get(SCREENSHOTS_ENV, "").strip()
    if not wanted:
        return temporary
    return ROOT / "docs" if wanted == "docs" else Path(wanted)


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    return screenshot_dir(tmp_path_factory.mktemp("screenshots"))


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("no headless Chromium on PATH (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("results")


@pytest.fixture(scope="module")
def quickstart(results):
    return run_backtest(ROOT / "backtests" / "quickstart.yaml", results_root=results)


def visit(browser, path: Path, height: int = 900):
    """Open ``path``; return the page, its console errors and any non-local requests."""
    page = browser.new_page(viewport={"width": 1280, "height": height})
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "request",
        lambda req: outside.append(req.url) if not req.url.startswith(("file:", "data:")) else None,
    )
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, errors, outside


def images_loaded(page) -> bool:
    return all(
        page.evaluate("(img) => img.complete && img.naturalWidth > 0", img)
        for img in page.query_selector_all("img")
    )


def test_tear_sheet_opens_without_errors_or_outside_requests(browser, quickstart, shots):
    page, errors, outside = visit(browser, quickstart.tearsheet)
    assert errors == [] and outside == []
    text = page.inner_text("body")
    assert "quickstart: equal_weight, fill next_close" in text
    assert "warning: hindsight: universe ai_us was hand-picked" in text
    assert "CAGR%" in text and "\ufe6a" not in text
    assert len(page.query_selector_all("svg")) >= 10
    page.screenshot(path=str(shots / "tearsheet.png"), full_page=False)


def test_portfolio_page_shows_holdings_china_and_stress(browser, quickstart, shots):
    page, errors, outside = visit(browser, quickstart.portfolio_page, height=1100)
    assert errors == [] and outside == []
    assert "warning: hindsight: universe ai_us was hand-picked" in page.inner_text("body")
    alts = [img.get_attribute("alt") for img in page.query_selector_all("img")]
    for alt in ("holdings by group and number of names", "China exposure over time"):
        assert alt in alts
    assert images_loaded(page)
    stress = page.inner_text("#stress + p + table")
    assert "DeepSeek-R1 sell-off" in stress and "Today's book" in stress
    page.screenshot(path=str(shots / "portfolio.png"), full_page=False)


def test_comparison_opens_without_errors_and_shows_every_strategy_and_plot(
    browser, results, quickstart, shots
):
    runs = [quickstart]
    for strategy in ("article_composite", "regime_aware"):
        runs.append(
            run_backtest(
                ROOT / "backtests" / f"{strategy}.yaml",
                ["start=2021-01-01"],
                results_root=results,
                tearsheet=False,
            )
        )
    out = write_comparison(runs, results / "compare", ROOT / "data" / "regimes.yaml")
    page, errors, outside = visit(browser, out["report"])
    assert errors == [] and outside == []
    text = page.inner_text("body")
    for run in runs:
        assert run.config.name in text
    assert len(page.query_selector_all("img")) == 4 and images_loaded(page)  # with coverage
    assert "Periods overlap" in text and "P (Sharpe)" in text
    assert "What each run rests on" in text
    verdicts = page.inner_text("#verdicts + p + ul")
    assert "Holm over 2 strategies" in verdicts
    assert "in-sample: its defaults were chosen on this data and window" in verdicts
    page.screenshot(path=str(shots / "compare.png"), full_page=False)


def test_sweep_report_opens_without_errors(browser, results, shots):
    sweep = run_sweep(
        ROOT / "backtests" / "article_composite.yaml",
        ["strategy.params.top_n=3,5", "strategy.params.w_supplier=0,1"],
        ["start=2023-01-01"],
        split="2024-07-01",
        workers=1,
        results_root=results,
    )
    page, errors, outside = visit(browser, sweep.directory / "ranking.html", height=1300)
    assert errors == [] and outside == []
    text = page.inner_text("body")
    assert "ranked by in-sample Sharpe" in text and "Deflated Sharpe ratio" in text
    assert "Hansen's SPA test against equal weight on the same universe: p" in text
    assert "its default parameters were chosen on the bundled sample" in text
    assert images_loaded(page) and len(page.query_selector_all("img")) == 2
    page.screenshot(path=str(shots / "sweep.png"), full_page=False)


def test_screenshots_go_to_a_temporary_folder_unless_asked(monkeypatch, tmp_path):
    monkeypatch.delenv(SCREENSHOTS_ENV, raising=False)
    assert screenshot_dir(tmp_path) == tmp_path
    monkeypatch.setenv(SCREENSHOTS_ENV, "docs")
    assert screenshot_dir(tmp_path) == ROOT / "docs"


def test_factor_page_opens_without_errors_and_shows_every_component(browser, tmp_path):
    report = factors(
        ROOT / "backtests" / "article_composite.yaml",
        ["start=2021-01-01"],
        results_root=tmp_path / "results",
    )
    page, errors, outside = visit(browser, report.page, height=1200)
    assert errors == [] and outside == []
    verdicts = page.inner_text("#verdicts + p + table")
    for name in ("balance_sheet", "capex", "valuation", "supplier", "composite"):
        assert name in verdicts
    assert "mean rank IC" in verdicts and "(HAC)" in verdicts
    assert images_loaded(page) and len(page.query_selector_all("img")) == 5
    # docs/factors.png only when asked for (AIREGIME_SCREENSHOTS=docs)
    page.screenshot(path=str(screenshot_dir(tmp_path) / "factors.png"), full_page=False)
