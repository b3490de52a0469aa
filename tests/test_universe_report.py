"""Like-for-like comparisons: runs grouped by universe, each against equal weight on its own
universe, and the universe's equal weight against its sector ETF."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from airegime.compare import baselines_for, compare
from airegime.config import validate_config
from airegime.results import RunResult
from airegime.stats.universe_effect import (
    analyse,
    baseline_config,
    baseline_table,
    headline,
    is_baseline_for,
    universe_effect,
)
from tests.conftest import write_config

DATES = pd.bdate_range("2024-01-02", periods=250)


def config(name="a", strategy="equal_weight", universe="ai_us", **extra):
    return validate_config(
        {
            "name": name,
            "strategy": {"name": strategy},
            "universe": universe,
            "start": "2024-01-01",
            "end": "2024-12-31",
            **extra,
        }
    )


def run(cfg, daily=0.001, seed=0) -> RunResult:
    noise = np.random.default_rng(seed).normal(0, 0.01, len(DATES))
    returns = pd.Series(daily + noise, index=DATES, name="strategy")
    universe = {"name": cfg.universe, "count": 34, "listed_after_start": [], "warning": None}
    return RunResult(
        cfg,
        returns,
        returns * 0,
        pd.DataFrame(),
        pd.DataFrame(),
        pd.DataFrame(),
        {},
        provenance={"fill": "next_close", "universe": universe},
    )


def test_runs_on_one_universe_need_no_headline():
    runs = [run(config("a")), run(config("b", "supplier_tilt"))]
    assert headline(runs, ["a", "b"]) is None


def test_runs_on_different_universes_get_a_headline_naming_both():
    runs = [run(config("q")), run(config("c", "article_composite", "fundamentals_covered"))]
    text = headline(runs, ["q", "c"])
    assert text.startswith("universes differ (q on ai_us (34 names); c on fundamentals_covered")


def test_equal_weight_with_the_same_settings_is_a_runs_baseline():
    target = config("t", "supplier_tilt")
    assert is_baseline_for(config("ew"), target)
    assert not is_baseline_for(config("ew", costs={"commission_bps": 0}), target)
    assert not is_baseline_for(config("ew", universe="suppliers"), target)
    assert not is_baseline_for(config("m", "supplier_tilt"), target)


def test_a_missing_baseline_is_equal_weight_on_the_same_universe_and_settings():
    target = config("t", "supplier_tilt", execution={"fill": "same_close"}, rebalance="weekly")
    base = baseline_config(target)
    assert (base.name, base.strategy.name) == ("equal_weight_ai_us", "equal_weight")
    assert is_baseline_for(base, target)
    listed = baseline_config(config("l", universe=["NVDA", "AAPL"]))
    assert listed.name.startswith("equal_weight_list-") and listed.universe == ["NVDA", "AAPL"]


def test_a_compared_equal_weight_run_serves_as_the_baseline_without_running_anything():
    ew, tilt = run(config("ew")), run(config("t", "supplier_tilt"))
    assert baselines_for([tilt, ew]) == [ew, ew]


def test_each_run_is_measured_against_its_own_baseline():
    ew, tilt = run(config("ew")), run(config("t", "supplier_tilt"), daily=0.002)
    table = baseline_table([ew, tilt], ["ew", "t"], [ew, ew]).set_index("run")
    assert table.loc["ew", "cagr_diff"] == 0
    assert "annual_return_diff" in table and np.isnan(table.loc["ew", "annual_return_diff"])
    assert table.loc["t", "annual_return_diff"] == pytest.approx(0.001 * 252)
    assert table.loc["t", "cagr"] > table.loc["t", "baseline_cagr"]


def test_the_universe_effect_is_equal_weight_against_the_sector_etf_on_the_same_dates():
    ew = run(config("ew"), daily=0.001)
    etf = pd.Series(0.0, index=pd.bdate_range("2023-01-02", "2025-06-30"), name="QQQ")
    effect = universe_effect(ew, etf)
    assert (effect["universe"], effect["sector_etf"]) == ("ai_us", "QQQ")
    assert effect["start"] == DATES[0].date() and effect["sector_etf_total"] == 0
    assert effect["cagr_diff"] == pytest.approx(effect["equal_weight_cagr"])


SHORT = """\
name: {name}
strategy: {{name: {strategy}}}
universe: {universe}
start: 2024-01-01
end: 2024-12-31
"""


def test_compare_on_different_universes_says_so_and_runs_the_missing_baseline(project):
    paths = [
        write_config(
            project / "backtests" / f"{name}.yaml",
            SHORT.format(name=name, strategy=strategy, universe=universe),
        )
        for name, strategy, universe in (
            ("quick", "equal_weight", "ai_us"),
            ("comp", "article_composite", "fundamentals_covered"),
        )
    ]
    out = compare(paths)
    assert out["comparison"].notes[0].startswith("universes differ (quick on ai_us (34 names)")
    baselines = out["universes"].baselines.set_index("run")
    assert baselines.loc["quick", "baseline"] == "quick"
    assert baselines.loc["comp", "baseline"] == "equal_weight_fundamentals_covered"
    assert out["universes"].effect["sector_etf"].tolist() == ["QQQ", "QQQ"]
    page = out["report"].read_text()
    assert "Each run against equal weight on its own universe" in page
    assert (out["directory"] / "universe_effect.csv").is_file()
    compare(paths)  # the stored baseline is reused, not run again
    assert len(list((project / "results" / "equal_weight_fundamentals_covered").iterdir())) == 1


def test_a_missing_sector_etf_is_noted_once_for_runs_of_one_universe():
    # an equal-weight run on backtrader and the same on the vector engine: each is its
    # own baseline, and neither data source has QQQ
    first, second = run(config("ew")), run(config("ew", engine="vector"))
    first.run_dir, second.run_dir = Path("results/ew/1"), Path("results/ew/2")

    def no_etf(run: RunResult, ticker: str) -> pd.Series:
        raise KeyError(ticker)

    analysis = analyse([first, second], ["ew #1", "ew #2"], [first, second], no_etf)
    assert analysis.notes == ["universe effect of ai_us: no QQQ ('QQQ')"]
