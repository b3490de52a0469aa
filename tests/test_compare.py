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


def test_identical_series_are_at_or_below_and_at_or_above_zero_in_every_resample():
    a = pd.Series(np.random.default_rng(6).normal(0, 0.01, 300))
    out = bootstrap_difference(a, a)
    assert (out["p_annual_return_le_0"], out["p_annual_return_ge_0"], out["identical"]) == (
        1.0,
        1.0,
        1.0,
    )


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


# --- annualisation and the benchmark's dates (issue 18) -----------------------------------------


def synthetic_run(name: str, returns: pd.Series, benchmark: pd.Series, ppy: int | None = None):
    from airegime.config import validate_config
    from airegime.results import RunResult

    config = validate_config(
        {
            "name": name,
            "strategy": {"name": "equal_weight"},
            "universe": ["A"],
            "start": str(returns.index[0].date()),
            "end": str(returns.index[-1].date()),
        }
    )
    calendar = returns.index.insert(0, returns.index[0] - pd.Timedelta(days=1))
    weights = pd.DataFrame({"A": 1.0}, index=calendar)
    metrics = {"periods_per_year": ppy} if ppy else {}
    return RunResult(config, returns, benchmark, weights, weights, pd.DataFrame(), metrics)


def test_a_comparison_annualises_with_the_runs_periods_per_year():
    days = pd.date_range("2023-01-02", periods=364, freq="D")
    a = pd.Series(np.random.default_rng(1).normal(0.001, 0.02, 364), index=days)
    comparison = align([synthetic_run("a", a, a, 365), synthetic_run("b", a * 0.5, a, 365)])
    assert comparison.periods_per_year == 365
    table = regime_table(comparison, [Period("all", days[0], days[-1])])
    row = table[table["strategy"] == "a"].iloc[0]
    assert row["annual_return"] == pytest.approx((1 + a).prod() ** (365.25 / 364) - 1)


def test_a_regime_period_too_short_to_annualise_has_no_annual_return():
    days = pd.bdate_range("2023-01-02", periods=300)
    a = pd.Series(np.random.default_rng(2).normal(0.001, 0.02, 300), index=days)
    comparison = align([synthetic_run("a", a, a)])
    short = Period("month", days[100], days[120])
    row = regime_table(comparison, [short]).iloc[0]
    assert np.isnan(row["annual_return"]) and not row["annualised"]
    assert row["return"] == pytest.approx((1 + a.iloc[100:121]).prod() - 1)


def test_a_benchmark_missing_days_is_noted_and_never_counted_as_zero():
    days = pd.bdate_range("2023-01-02", periods=300)
    a = pd.Series(np.random.default_rng(3).normal(0.001, 0.02, 300), index=days)
    bench = a.copy()
    bench.iloc[:50] = np.nan
    comparison = align([synthetic_run("a", a, bench)])
    assert comparison.benchmark.iloc[:50].isna().all()
    assert any(
        "benchmark SPY has prices on" in n and "250 of the 300" in n for n in comparison.notes
    )
