"""Start-up: the heavy libraries load only when a page, a statistic or that engine needs them.

quantstats (with scipy, seaborn and yfinance behind it), matplotlib and backtrader
cost seconds to import; a run on the vector engine without pages needs none of them.
Each check runs in a fresh interpreter, so what earlier tests imported does not count.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("quantstats", "matplotlib", "scipy", "backtrader")


def loaded_after(code: str, tmp_path: Path) -> set[str]:
    """The HEAVY modules imported once ``code`` has run in a new interpreter."""
    probe = (
        f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_import_airegime_loads_none_of_them(tmp_path):
    assert loaded_after("import airegime", tmp_path) == set()


@pytest.mark.slow
def test_a_vector_run_never_loads_backtrader(tmp_path):
    run = (
        "import airegime\n"
        "airegime.run_backtest('backtests/article_composite.yaml', ['engine=vector'], "
        f"results_root=__import__('pathlib').Path({str(tmp_path)!r}), tearsheet=False, "
        "portfolio=False)"
    )
    assert "backtrader" not in loaded_after(run, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("config", ["quickstart", "article_composite"])
def test_a_vector_run_without_pages_loads_no_plotting_or_statistics_library(tmp_path, config):
    run = (
        "import airegime\n"
        f"airegime.run_backtest('backtests/{config}.yaml', ['engine=vector'], "
        f"results_root=__import__('pathlib').Path({str(tmp_path)!r}), tearsheet=False, "
        "portfolio=False)"
    )
    assert loaded_after(run, tmp_path) == set()
