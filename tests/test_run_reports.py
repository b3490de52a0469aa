"""A run's figures and pages on price files people bring: a benchmark that does not cover
the window, too few returns to annualise, a strategy that holds only cash, a page that
fails. Small CSV folders made here (issue 18)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import yaml

from airegime.errors import DataError
from airegime.run import run_backtest
from airegime.strategy import Params, Strategy
from tests.conftest import write_closes, write_config

DAYS = [d.strftime("%Y-%m-%d") for d in pd.bdate_range("2023-01-02", "2023-12-29")]


class Cash(Strategy):
    """Holds nothing: every target is empty (all cash)."""

    class Params(Params):
        pass

    def target_weights(self, view) -> pd.Series:
        return pd.Series(dtype=float)


def walk(seed: int, n: int = len(DAYS)) -> list[float]:
    steps = np.random.default_rng(seed).normal(0.0008, 0.012, n)
    return list(100 * np.cumprod(1 + steps))


@pytest.fixture
def prices(project):
    """A and B every weekday of 2023; SPY only from 2023-03-15."""
    spy = walk(3)
    first = DAYS.index("2023-03-15")
    folder = write_closes(project / "closes", {"A": walk(1), "B": walk(2)}, DAYS)
    pd.DataFrame({"date": DAYS[first:], "adj_close": spy[first:]}).to_csv(
        folder / "SPY.csv", index=False
    )
    return folder


def make_config(project, folder, **keys) -> str:
    text = {
        "name": "files",
        "strategy": {"name": "equal_weight"},
        "universe": ["A", "B"],
        "benchmark": "SPY",
        "start": "2023-01-01",
        "end": "2023-12-31",
        "data": {"source": "csv", "path": str(folder), "fundamentals": "none"},
        **keys,
    }
    return write_config(project / "backtests" / "files.yaml", yaml.safe_dump(text))


def test_a_benchmark_that_starts_late_is_noted_with_its_dates(project, prices):
    result = run_backtest(make_config(project, prices), save=False)
    note = next(n for n in result.provenance["notes"] if n.startswith("benchmark SPY"))
    assert "has prices only for 2023-03-15..2023-12-29 of the run's 2023-01-02..2023-12-29" in note


def test_a_benchmark_that_starts_late_is_measured_on_its_own_dates(project, prices):
    result = run_backtest(make_config(project, prices), save=False)
    own = result.benchmark_returns.dropna()
    assert result.benchmark_returns.loc[:"2023-03-15"].isna().all()  # never 0%
    assert own.index[0] == pd.Timestamp("2023-03-16")
    assert result.metrics["benchmark_total_return"] == pytest.approx((1 + own).prod() - 1)
    assert result.metrics["benchmark_volatility"] == pytest.approx(own.std() * math.sqrt(252))


def test_strict_dates_refuse_a_benchmark_that_does_not_cover_the_window(project, prices):
    with pytest.raises(DataError, match="benchmark SPY has prices only for 2023-03-15"):
        run_backtest(make_config(project, prices), save=False, strict_dates=True)


def test_a_window_too_short_to_annualise_gives_blanks_and_a_warning(project, prices):
    result = run_backtest(
        make_config(project, prices, start="2023-12-27", end="2023-12-29"), save=False
    )
    for key in ("cagr", "sharpe", "sortino", "volatility", "turnover", "benchmark_cagr"):
        assert math.isnan(result.metrics[key]), key
    assert not math.isnan(result.metrics["benchmark_total_return"])
    warning = next(w for w in result.provenance["warnings"] if w.startswith("too few returns"))
    assert "fewer than 63 (a quarter of a year at 252 a year" in warning


def test_data_periods_per_year_sets_the_annualisation(project, prices):
    result = run_backtest(make_config(project, prices), save=False)
    data = {"source": "csv", "path": str(prices), "fundamentals": "none", "periods_per_year": 365}
    configured = run_backtest(make_config(project, prices, data=data), save=False)
    assert result.metrics["periods_per_year"] == 252
    assert configured.metrics["periods_per_year"] == 365
    assert configured.metrics["volatility"] == pytest.approx(
        result.metrics["volatility"] * math.sqrt(365 / 252)
    )


def test_a_cash_only_strategy_writes_its_run_folder_and_tear_sheet(project, prices):
    # quantstats stopped the run: "Cannot calculate a linear regression if all x values
    # are identical", exit 2, nothing written
    config = make_config(project, prices, strategy={"name": "tests.test_run_reports:Cash"})
    result = run_backtest(config, results_root=project / "results")
    assert (result.run_dir / "tearsheet.html").is_file()
    assert (result.run_dir / "portfolio.html").is_file()
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    assert metrics["total_return"] == 0.0 and math.isnan(metrics["sharpe"])
    page = (result.run_dir / "tearsheet.html").read_text()
    assert "<tr><td>R^2</td><td>-</td><td>-</td></tr>" in page


def test_a_page_that_fails_leaves_the_run_and_one_warning(project, prices, monkeypatch):
    import airegime.run

    def broken(*args, **kwargs):
        raise ValueError("Cannot calculate a linear regression\nsecond line")

    monkeypatch.setattr(airegime.run, "write_tearsheet", broken)
    result = run_backtest(make_config(project, prices), results_root=project / "results")
    warning = "tear sheet not written: ValueError: Cannot calculate a linear regression"
    assert warning in result.provenance["warnings"]
    assert (result.run_dir / "portfolio.html").is_file()
    assert not (result.run_dir / "tearsheet.html").exists()
    saved = yaml.safe_load((result.run_dir / "config.yaml").read_text())
    assert warning in saved["provenance"]["warnings"]


def test_a_run_without_pages_never_imports_quantstats(project, prices):
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from airegime.run import run_backtest\n"
        f"result = run_backtest({str(make_config(project, prices))!r}, save=False)\n"
        "assert result.metrics['cagr'] == result.metrics['cagr']\n"
        "print('quantstats' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
