"""The comparison report in a real browser: no console errors, every name and plot shown.

Needs headless Chromium (Debian's ``chromium``) and the ``playwright`` package; the
test skips with the reason when either is missing. ``.ci/run`` installs both. It also
saves the screenshot the README shows (docs/compare.png).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from airegime.compare_report import write_comparison
from airegime.run import run_backtest
from tests.conftest import write_config

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

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("no headless Chromium on PATH (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield instance
        instance.close()


def test_report_opens_without_errors_and_shows_every_strategy_and_plot(browser, project):
    runs = []
    for strategy in ("equal_weight", "article_composite", "regime_aware"):
        path = write_config(
            project / "backtests" / f"{strategy}.yaml",
            f"""\
name: {strategy}
strategy: {{name: {strategy}}}
universe: fundamentals_covered
start: 2021-01-01
end: 2026-07-31
""",
        )
        runs.append(run_backtest(path))
    out = write_comparison(runs, project / "results" / "compare", project / "data" / "regimes.yaml")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(out["report"].as_uri())
    page.wait_for_load_state("load")
    text = page.inner_text("body")
    for run in runs:
        assert run.config.name in text
    images = page.query_selector_all("img")
    assert len(images) == 2
    assert all(
        page.evaluate("(img) => img.complete && img.naturalWidth > 0", img) for img in images
    )
    assert errors == []
    page.screenshot(path=str(ROOT / "docs" / "compare.png"), full_page=False)
