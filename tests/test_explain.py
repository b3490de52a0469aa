"""Why a strategy did what it did: diagnostics recorded per rebalance, and ``explain``."""

from __future__ import annotations

import json
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


def decided_folder(tmp_path: Path, diagnostics: dict) -> Path:
    """A run folder holding one decision (2024-03-01) and its diagnostics, nothing else."""
    weights = {"A": 0.5, "B": 0.25, "C": 0.25, "D": 0.0, "E": 0.0, "F": 0.0, "G": 0.0}
    targets = pd.DataFrame(weights, index=pd.DatetimeIndex(["2024-03-01"], name="date"))
    targets.to_csv(tmp_path / "targets.csv")
    (tmp_path / "diagnostics.json").write_text(json.dumps({"2024-03-01": diagnostics}))
    return tmp_path


TIED = {
    "scores": {"composite": {"A": 2.0, "B": 1.0, "C": 1.0, "D": 0.5, "E": 0.9, "F": None}},
    "excluded": {"F": "scored on 1 of 4 rules, fewer than min_components 2"},
    "components": {"A": [4, 4], "B": [4, 4], "C": [3, 4], "D": [4, 4], "E": [2, 4], "F": [1, 4]},
    "selections": {
        "composite": {
            "method": "top_n",
            "top_n": 2,
            "tie": {"names": ["B", "C"], "slots": 1, "value": 1.0},
        }
    },
    "untradable": ["G"],
}


def test_explain_orders_names_by_the_decision(tmp_path):
    table = explain(decided_folder(tmp_path, TIED), "2024-03-05").table
    assert table["ticker"].tolist() == ["A", "B", "C", "E", "D", "F", "G"]
    assert table["status"].tolist() == [
        "held",
        "held",
        "held",
        "not selected",
        "not selected",
        "excluded",
        "not tradable",
    ]


def test_explain_says_on_how_many_components_each_name_was_scored(tmp_path):
    table = explain(decided_folder(tmp_path, TIED), "2024-03-05").table.set_index("ticker")
    assert table["scored on"].to_dict() == {
        "A": "4/4",
        "B": "4/4",
        "C": "3/4",
        "D": "4/4",
        "E": "2/4",
        "F": "1/4",
        "G": "",
    }


def test_explain_marks_a_tie_once_where_it_decided_weights(tmp_path):
    out = explain(decided_folder(tmp_path, TIED), "2024-03-05")
    assert out.ties == [
        "at the top-2 boundary by composite (+1.00): B, C tie; 2 names share 1 slot equally"
    ]
    reasons = out.table.set_index("ticker")["reason"]
    assert [t for t, r in reasons.items() if "tied" in r] == ["B", "C"]
    assert not reasons.str.contains("universe order").any()
    printed = runner.invoke(app, ["explain", str(tmp_path), "--date", "2024-03-05"]).output
    assert printed.count("tie: at the top-2 boundary") == 1


def test_explain_reads_a_run_folder_written_before_components_were_recorded(tmp_path):
    old = {k: v for k, v in TIED.items() if k not in ("components", "selections")}
    out = explain(decided_folder(tmp_path, old), "2024-03-05")
    assert "scored on" not in out.table.columns and out.ties == []
    assert out.table["ticker"].tolist() == ["A", "B", "C", "E", "D", "F", "G"]
