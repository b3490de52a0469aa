"""Variants: a config compared with itself with parameters changed, runs labelled by what
differs, progress while missing runs run, and grid values that are one point counted once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from airegime import compare, run_backtest
from airegime.cli import app
from airegime.cli.sweep import ranking_title, result_formats
from airegime.config import load_config
from airegime.errors import ConfigError
from airegime.stats.comparison import run_labels
from airegime.sweep import run_sweep
from tests.conftest import make_csv_config, make_project

ROOT = Path(__file__).resolve().parents[1]
COMPOSITE = ROOT / "backtests" / "article_composite.yaml"
FIRST_N = "strategy.name=tests.user_strategies:FirstN"
runner = CliRunner()


# --- labels -------------------------------------------------------------------------------


def test_runs_of_one_config_are_labelled_by_the_parameter_that_differs():
    configs = [
        load_config(COMPOSITE, ["strategy.params.top_n=6"]),
        load_config(COMPOSITE, ["strategy.params.top_n=10"]),
    ]
    assert run_labels(configs) == ["article_composite top_n=6", "article_composite top_n=10"]


def test_every_differing_parameter_is_in_the_label():
    configs = [
        load_config(COMPOSITE, ["strategy.params.top_n=6", "rebalance=quarterly"]),
        load_config(COMPOSITE, ["strategy.params.top_n=10"]),
    ]
    assert run_labels(configs) == [
        "article_composite top_n=6 rebalance=quarterly",
        "article_composite top_n=10 rebalance=monthly",
    ]


def test_runs_of_different_configs_keep_their_names():
    configs = [load_config(COMPOSITE), load_config(ROOT / "backtests" / "quickstart.yaml")]
    assert run_labels(configs) == ["article_composite", "quickstart"]


def test_runs_of_identical_configs_are_told_apart_by_their_folder():
    config = load_config(COMPOSITE)
    folders = [Path("results/a/20260101-1"), Path("results/a/20260102-2")]
    assert run_labels([config, config], folders) == [
        "article_composite (run 20260101-1)",
        "article_composite (run 20260102-2)",
    ]


def test_two_run_folders_that_differ_in_top_n_are_labelled_by_it_everywhere(csv_config, project):
    runs = [
        run_backtest(csv_config, [FIRST_N, f"strategy.params.top_n={n}"], tearsheet=False)
        for n in (1, 2)
    ]
    out = compare([run.run_dir for run in runs], project / "results")
    labels = ["user top_n=1", "user top_n=2"]
    assert out["comparison"].names == labels
    assert list(pd.read_csv(out["directory"] / "metrics.csv", index_col=0).columns[1:]) == labels
    assert out["bootstrap"].loc[0, ["strategy", "baseline"]].tolist() == labels[::-1]
    html = out["report"].read_text()
    assert all(label in html for label in labels) and "user #2" not in html


# --- compare --set and --vary -------------------------------------------------------------


@dataclass
class Varied:
    """One compare of a config with itself at top_n=1 and 2, in its own project."""

    config: Path
    results: Path
    out: dict
    progress: list[tuple[int, int, str]]


@pytest.fixture(scope="module")
def varied(tmp_path_factory) -> Iterator[Varied]:
    folder = tmp_path_factory.mktemp("varied")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIREGIME_HOME", str(make_project(folder)))
        config = make_csv_config(folder, folder / "prices")
        calls: list[tuple[int, int, str]] = []
        out = compare(
            [config],
            folder / "results",
            overrides=[FIRST_N],
            vary=["strategy.params.top_n=1,2"],
            on_progress=lambda done, total, label: calls.append((done, total, label)),
        )
        yield Varied(config, folder / "results", out, calls)


def test_vary_compares_a_config_with_itself_once_per_value(varied):
    assert [r.config.strategy.params["top_n"] for r in varied.out["runs"]] == [1, 2]
    assert varied.out["comparison"].names == ["user top_n=1", "user top_n=2"]


def test_progress_counts_the_missing_runs_by_their_labels(varied):
    assert varied.progress == [(0, 2, "user top_n=1"), (1, 2, "user top_n=2"), (2, 2, "")]


def test_a_second_compare_reuses_the_runs_the_first_made(varied):
    calls = []
    again = compare(
        [varied.config],
        varied.results,
        overrides=[FIRST_N],
        vary=["strategy.params.top_n=1,2"],
        on_progress=lambda *args: calls.append(args),
    )
    assert [r.run_dir for r in again["runs"]] == [r.run_dir for r in varied.out["runs"]]
    assert calls == []


def test_the_compare_command_takes_set_and_vary_and_labels_its_table(varied):
    out = runner.invoke(
        app,
        [
            "compare",
            "--configs",
            str(varied.config),
            "--set",
            FIRST_N,
            "--vary",
            "strategy.params.top_n=1,2",
            "--results-dir",
            str(varied.results),
        ],
        env={"AIREGIME_HOME": str(varied.config.parent.parent)},
    )
    assert out.exit_code == 0, out.output
    verdict = next(line for line in out.output.splitlines() if line.startswith("verdict:"))
    assert verdict.startswith("verdict: user top_n=2: ") and "than user top_n=1" in verdict
    assert "#2" not in out.output


def test_set_applies_to_every_config(csv_config, project):
    other = csv_config.with_name("other.yaml")
    other.write_text(csv_config.read_text().replace("name: user", "name: other"))
    out = compare([csv_config, other], project / "results", overrides=["rebalance=monthly"])
    assert [r.config.rebalance for r in out["runs"]] == ["monthly", "monthly"]


def test_vary_values_equal_after_validation_are_one_run(csv_config, project):
    out = compare([csv_config], project / "results", vary=["cash_buffer=0.02,0.020,2e-2"])
    assert len(out["runs"]) == 1


def test_set_without_a_config_is_refused(csv_config, project):
    run = run_backtest(csv_config, tearsheet=False)
    with pytest.raises(ConfigError, match=r"overrides/vary apply to configs"):
        compare([run.run_dir], project / "results", overrides=["rebalance=monthly"])


# --- sweeps: one point per config ---------------------------------------------------------


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sweep")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIREGIME_HOME", str(make_project(folder)))
        config = make_csv_config(folder, folder / "prices")
        grid = ["cash_buffer=0.01,0.02,0.020,2e-2"]
        yield run_sweep(config, grid, [FIRST_N], confirm=0)


def test_grid_values_equal_after_parsing_are_one_point(sweep):
    assert sorted(sweep.ranking["cash_buffer"]) == [0.01, 0.02]
    assert sweep.report["points"] == 2 and sweep.report["finished"] == 2


def test_a_merged_point_counts_once_in_the_trial_count(sweep):
    assert sweep.report["deflated_sharpe"]["trials"] == 2


def test_merged_grid_values_are_named_in_a_note(sweep):
    (note,) = sweep.notes
    assert note.startswith("3 grid combinations are the same config after validation")


def test_the_sweep_table_names_its_order_in_sample_with_a_split():
    assert ranking_title("sharpe", "2024-07-01").startswith(
        "top points by in-sample sharpe (before 2024-07-01)"
    )
    assert ranking_title("sharpe", None).startswith("top points by sharpe (")


def test_the_sweep_table_prints_percentages_like_the_rest():
    formats = result_formats(["top_n", "sharpe", "is_sharpe", "cagr", "max_drawdown"])
    assert formats["cagr"].format(0.408) == "40.8%"
    assert formats["max_drawdown"].format(-0.357) == "-35.7%"
    assert formats["is_sharpe"].format(1.0234) == "1.02"
    assert "top_n" not in formats
