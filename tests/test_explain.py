"""Why a strategy did what it did: diagnostics recorded per rebalance, and ``explain``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from airegime import AsOfView, Params, Strategy
from airegime.cli import app
from airegime.config import validate_config
from airegime.engines.rebalance import decide
from airegime.explain import explain
from airegime.loading import build_context
from airegime.paths import project_root
from airegime.results import RunResult
from airegime.run import run_backtest

ROOT = project_root()
runner = CliRunner()


class Recording(Strategy):
    """Holds A; records a score for both names, excludes B with a reason, one signal."""

    class Params(Params):
        pass

    def target_weights(self, view: AsOfView) -> pd.Series:
        view.record_scores(pd.Series({"NVDA": 1.5, "MSFT": -0.5}), "quality")
        view.exclude("MSFT", "too much debt")
        view.signal("stress", True)
        view.note("top 1 by quality")
        return pd.Series({"NVDA": 1.0})


def test_decide_moves_what_the_strategy_recorded_into_the_decision():
    config = validate_config(
        {
            "name": "t",
            "strategy": {"name": "equal_weight"},
            "universe": ["NVDA", "MSFT", "ARM"],
            "start": "2020-01-01",
            "end": "2020-12-31",
        }
    )
    context = build_context(config, ROOT)
    decision = decide(context, Recording(), pd.Timestamp("2020-06-01"), cash_buffer=0.0)
    assert decision.weights.to_dict() == {"NVDA": 1.0}
    assert decision.diagnostics["scores"] == {"quality": {"NVDA": 1.5, "MSFT": -0.5}}
    assert decision.diagnostics["excluded"] == {"MSFT": "too much debt"}
    assert decision.diagnostics["signals"] == {"stress": True}
    assert decision.diagnostics["notes"] == ["top 1 by quality"]
    assert decision.diagnostics["untradable"] == ["ARM"]  # listed in 2023


@pytest.fixture(scope="module")
def composite_run(tmp_path_factory) -> RunResult:
    return run_backtest(
        ROOT / "backtests" / "article_composite.yaml",
        ["start=2024-01-01", "end=2025-06-30"],
        results_root=tmp_path_factory.mktemp("results"),
        tearsheet=False,
    )


def test_a_run_folder_keeps_the_diagnostics_of_every_rebalance(composite_run):
    loaded = RunResult.load(composite_run.run_dir)
    assert (composite_run.run_dir / "diagnostics.json").is_file()
    assert set(loaded.diagnostics) == set(composite_run.targets.index)
    first = loaded.diagnostics[composite_run.targets.index[0]]
    assert {"balance_sheet", "capex", "composite", "china_share"} <= set(first["scores"])
    assert any("top 6" in note for note in first["notes"])


def test_explain_gives_every_name_of_the_decision_its_status_and_reason(composite_run):
    out = explain(composite_run.run_dir, "2025-02-12")
    assert out.date == pd.Timestamp("2025-02-03")  # the rebalance in force on the 12th
    table = out.table.set_index("ticker")
    decided = composite_run.targets.loc["2025-02-03"]
    held = table[table["status"] == "held"]
    assert set(held.index) == set(decided[decided > 0].index)
    assert held["weight"].to_dict() == pytest.approx(decided[decided > 0].to_dict())
    excluded = table[table["status"] == "excluded"]
    assert not excluded.empty and (excluded["reason"] != "").all()
    assert "composite" in table.columns


def test_regime_aware_records_every_signal_and_its_defensive_share(tmp_path):
    result = run_backtest(
        ROOT / "backtests" / "regime_aware.yaml",
        ["start=2024-06-01", "end=2025-03-31", "strategy.params.use_events=true"],
        save=False,
    )
    for date, diagnostics in result.diagnostics.items():
        signals = diagnostics["signals"]
        for name in ("capex_doubt", "china_catch_up", "shock_event", "rising_rates"):
            assert isinstance(signals[name], bool), (date, name)
        active = sum(signals[k] for k in ("capex_doubt", "china_catch_up", "shock_event"))
        assert signals["defensive_share"] == min(1.0, 0.5 * active)
        assert {"ai_drawdown", "ai_vs_spy", "kweb_vs_soxx", "tlt_return"} <= set(signals)
    after_deepseek = result.diagnostics[pd.Timestamp("2025-02-03")]["signals"]
    assert after_deepseek["shock_event"] is True
    assert "DeepSeek" in after_deepseek["shock_events"]


def test_explain_before_the_first_rebalance_is_a_one_line_error(composite_run):
    out = runner.invoke(app, ["explain", str(composite_run.run_dir), "--date", "2020-01-01"])
    assert out.exit_code == 2
    assert "before the run's first rebalance 2024-01-02" in out.output
    assert "Traceback" not in out.output


def test_explain_after_the_run_ended_is_a_one_line_error(composite_run):
    out = runner.invoke(app, ["explain", str(composite_run.run_dir), "--date", "2030-01-01"])
    assert out.exit_code == 2
    assert "after the run's last day 2025-06-30" in out.output
    assert "Traceback" not in out.output


def test_the_explain_command_prints_the_holdings_with_reasons(composite_run):
    out = runner.invoke(
        app, ["explain", str(composite_run.run_dir), "--date", "2025-02-12"], terminal_width=200
    )
    assert out.exit_code == 0, out.output
    assert "rebalance of 2025-02-03 (the decision in force on 2025-02-12)" in out.output
    assert "rule: top 6 of" in out.output
    assert "held" in out.output and "excluded" in out.output
    assert Path(composite_run.run_dir).name in out.output
