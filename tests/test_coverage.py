"""Every run measures how much of its weight rests on rules that had no data: per
rebalance, in metrics.json, and as a warning with the dates."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from airegime.asof import AsOfView
from airegime.config import Checks, load_config
from airegime.data.context import MarketContext
from airegime.data.prices import PriceData
from airegime.loading import load_context
from airegime.paths import project_root
from airegime.run import backtest, run_backtest, write_run
from airegime.stats.portfolio_checks import coverage_warning, uncovered_weights
from strategies.regime_aware import record_growth_coverage

ROOT = project_root()


def tiny_view(names: list[str]) -> AsOfView:
    """A view on one day of made-up prices, for what strategies record on it."""
    day = pd.Timestamp("2024-01-02")
    close = pd.DataFrame({t: [100.0] for t in names}, index=pd.DatetimeIndex([day]))
    return AsOfView(MarketContext(PriceData(close), names), day)


def test_uncovered_weight_is_the_weight_in_names_scored_on_fewer_components_than_active():
    dates = pd.to_datetime(["2024-01-02", "2024-02-01"])
    targets = pd.DataFrame({"A": [0.5, 0.5], "B": [0.3, 0.5], "C": [0.0, 0.0]}, index=dates)
    diagnostics = {dates[0]: {"components": {"A": [4, 4], "B": [3, 4], "C": [1, 4]}}}
    uncovered = uncovered_weights(targets, diagnostics)
    assert uncovered.tolist() == pytest.approx([0.3, 0.0])  # nothing recorded: covered


def test_uncovered_weight_counts_a_short_name_never_held_as_zero():
    dates = pd.to_datetime(["2024-01-02"])
    targets = pd.DataFrame({"A": [0.6], "B": [0.4]}, index=dates)
    diagnostics = {dates[0]: {"components": {"A": [3, 4], "Z": [1, 4]}}}
    assert uncovered_weights(targets, diagnostics).tolist() == [0.6]


def test_uncovered_weight_counts_a_missing_or_negative_target_as_zero():
    dates = pd.to_datetime(["2024-01-02"])
    targets = pd.DataFrame({"A": [np.nan], "B": [-0.1], "C": [0.25]}, index=dates)
    diagnostics = {dates[0]: {"components": {"A": [1, 4], "B": [1, 4], "C": [1, 4]}}}
    assert uncovered_weights(targets, diagnostics).tolist() == [0.25]


def test_uncovered_weight_sums_each_dates_short_names_in_their_recorded_order():
    """Bit for bit the sum numpy makes of one date's held weights in the order the
    components were recorded (a run's figure does not move with how dates are batched)."""
    rng = np.random.default_rng(7)
    names = [f"T{j}" for j in range(30)]
    dates = pd.date_range("2020-01-31", periods=40, freq="ME")
    values = rng.random((40, 30)) * (rng.random((40, 30)) < 0.6) / 3
    targets = pd.DataFrame(values, index=dates, columns=names)
    diagnostics = {}
    for date in dates[:-2]:  # the last two dates recorded nothing
        order = rng.permutation([*names, "NEVER_HELD"]).tolist()
        diagnostics[date] = {"components": {t: [int(rng.integers(0, 3)), 2] for t in order}}
    expected = []
    for date in dates:
        components = diagnostics.get(date, {}).get("components", {})
        short = [
            targets.at[date, t] if t in names else 0.0 for t, (k, n) in components.items() if k < n
        ]
        expected.append(float(np.array(short, dtype=float).sum()) if short else 0.0)
    assert uncovered_weights(targets, diagnostics).tolist() == expected


def test_the_coverage_warning_names_the_dates_above_the_limit():
    dates = pd.to_datetime(["2024-01-02", "2024-02-01", "2024-03-01", "2024-04-01", "2024-05-01"])
    uncovered = pd.Series([0.05, 0.30, 0.40, 0.0, 0.20], index=dates)
    warning = coverage_warning(uncovered, 0.10)
    assert warning.startswith("missing data: on 3 of 5 rebalance dates more than 10% of")
    assert "checks.max_uncovered" in warning
    assert warning.endswith("2024-02-01..2024-03-01 (2 dates): up to 40%; 2024-05-01: up to 20%")
    assert coverage_warning(uncovered, 0.40) is None


def test_names_held_by_the_growth_stance_alone_were_scored_on_momentum():
    view = tiny_view(["TSM", "NVDA"])
    view.record_components(pd.Series({"TSM": 1, "NVDA": 3}), 4)  # the composite's record
    record_growth_coverage(view, pd.Series({"TSM": 0.5, "NVDA": 0.2}), pd.Series({"NVDA": 0.3}))
    assert view.diagnostics()["components"] == {"TSM": [1, 1], "NVDA": [3, 4]}


def test_a_strategy_that_scores_nothing_is_fully_covered():
    result = run_backtest(
        ROOT / "backtests" / "quickstart.yaml",
        ["start=2024-01-01", "end=2024-06-30", "engine=vector"],
        save=False,
    )
    assert result.metrics["uncovered_weight_mean"] == result.metrics["uncovered_weight_max"] == 0
    assert not any("missing data" in w for w in result.provenance["warnings"])


@pytest.fixture(scope="module")
def early(tmp_path_factory):
    """The composite's config and loaded data in early 2017, when several held names lack
    a rule's data, and its saved run."""
    config = load_config(
        ROOT / "backtests" / "article_composite.yaml",
        ["start=2017-01-01", "end=2017-04-30", "engine=vector"],
    )
    context = load_context(config, ROOT, "test")
    result = backtest(config, context)
    write_run(result, tmp_path_factory.mktemp("results"), tearsheet=False)
    return config, context, result


def test_a_run_warns_when_weight_rests_on_rules_without_data(early):
    _, _, result = early
    uncovered = uncovered_weights(result.targets, result.diagnostics)
    assert result.metrics["uncovered_weight_mean"] == pytest.approx(uncovered.mean())
    assert result.metrics["uncovered_weight_max"] == pytest.approx(uncovered.max())
    assert uncovered.max() > 0.10
    warnings = [w for w in result.provenance["warnings"] if "missing data" in w]
    assert len(warnings) == 1
    assert str(uncovered[uncovered > 0.10].index[0].date()) in warnings[0]


def test_metrics_json_holds_the_coverage_figures(early):
    _, _, result = early
    saved = json.loads((result.run_dir / "metrics.json").read_text())
    assert saved["uncovered_weight_mean"] == pytest.approx(result.metrics["uncovered_weight_mean"])
    assert 0 < saved["uncovered_weight_mean"] <= saved["uncovered_weight_max"] <= 1


def test_a_higher_max_uncovered_silences_the_warning(early):
    config, context, _ = early
    relaxed = config.model_copy(update={"checks": Checks(max_uncovered=1.0)})
    warnings = backtest(relaxed, context).provenance["warnings"]
    assert not any("missing data" in w for w in warnings)


def test_the_terminal_summary_states_the_coverage_under_the_metrics():
    from airegime.cli.run import run_caption

    metrics = {"uncovered_weight_mean": 0.408, "uncovered_weight_max": 0.99}
    caption = run_caption({"fill": "next_close"}, metrics)
    assert caption == (
        "fills: next_close; weight without full data: 41% mean, 99% max; "
        "turnover: one-way, initial buy left out"
    )
    older = run_caption({"fill": "next_close"}, {})  # a run from before coverage was recorded
    assert older == "fills: next_close; turnover: one-way, initial buy left out"
