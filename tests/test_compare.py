"""Comparison: alignment, regime table, seeded bootstrap, an escaped self-contained report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from airegime.data.regimes import Period
from airegime.reports.compare import write_comparison
from airegime.run import run_backtest
from airegime.stats.bootstrap import block_indices, bootstrap_difference
from airegime.stats.comparison import align, regime_table
from tests.conftest import write_config

CONFIG = """\
name: {name}
strategy: {{name: {strategy}}}
universe: fundamentals_covered
start: {start}
end: 2024-12-31
"""


def make_run(project, name, strategy="equal_weight", start="2022-01-01", extra=None):
    path = write_config(
        project / "backtests" / f"{strategy}-{start}.yaml",
        CONFIG.format(name=name, strategy=strategy, start=start),
    )
    return run_backtest(path, extra or [], tearsheet=False)


def test_block_indices_are_runs_of_consecutive_days():
    idx = block_indices(50, 10, 3, np.random.default_rng(0))
    assert idx.shape == (3, 50)
    assert (np.diff(idx[:, :10], axis=1) == 1).all()


def test_bootstrap_is_seeded_and_centred_on_the_observed_difference():
    rng = np.random.default_rng(5)
    a = pd.Series(rng.normal(0.001, 0.01, 1000))
    b = pd.Series(rng.normal(0.0, 0.01, 1000))
    first = bootstrap_difference(a, b, seed=1)
    assert first == bootstrap_difference(a, b, seed=1)
    assert first["annual_return_diff"] == pytest.approx((a.mean() - b.mean()) * 252)
    assert first["annual_return_lo"] < first["annual_return_diff"] < first["annual_return_hi"]


def test_identical_series_differ_by_exactly_nothing():
    a = pd.Series(np.random.default_rng(6).normal(0, 0.01, 300))
    out = bootstrap_difference(a, a)
    assert out["sharpe_lo"] == out["sharpe_hi"] == 0.0


def test_runs_with_different_ranges_are_aligned_with_a_note(project):
    first = make_run(project, "a", start="2022-01-01")
    second = make_run(project, "b", strategy="supplier_tilt", start="2023-01-01")
    comparison = align([first, second])
    assert comparison.returns.index[0] >= pd.Timestamp("2023-01-01")
    assert "date ranges differ" in comparison.notes[0]


def test_regime_table_measures_each_period(project):
    comparison = align([make_run(project, "a")])
    table = regime_table(
        comparison, [Period("x", pd.Timestamp("2023-01-01"), pd.Timestamp("2023-12-31"))]
    )
    row = table[table["strategy"] == "a"].iloc[0]
    inside = comparison.returns.loc["2023", "a"]
    assert row["return"] == pytest.approx((1 + inside).prod() - 1)


def test_report_is_self_contained_and_escapes_names(project):
    evil = make_run(project, "safe", extra=["name=x"])
    evil.config.name = "<script>alert(1)</script>"
    other = make_run(project, "b", strategy="supplier_tilt")
    out = write_comparison(
        [other, evil], project / "results" / "compare", project / "data" / "regimes.yaml"
    )
    page = out["report"].read_text()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("data:image/png;base64,") == 3  # equity, drawdowns, rolling Sharpe
    assert "src='http" not in page and 'src="http' not in page
    for name in ("metrics.csv", "regimes.csv", "bootstrap.csv"):
        assert (out["directory"] / name).is_file()
    assert "ai_boom" in (out["directory"] / "regimes.csv").read_text()
