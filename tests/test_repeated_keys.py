"""A key given twice to --grid, --vary or --set is refused, never silently last-wins;
a --grid key replaces that key of the YAML's sweep: block, with a note saying so."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from airegime.cli import app
from airegime.config import parse_grid
from airegime.errors import ConfigError
from airegime.sweep import run_sweep
from tests.conftest import write_config
from tests.test_sweep import BASE

runner = CliRunner()


@pytest.fixture
def config(project):
    return write_config(project / "backtests" / "sw.yaml", BASE)


def error_lines(out) -> list[str]:
    return [ln for ln in out.output.splitlines() if ln.startswith(("error:", "internal error:"))]


def test_a_grid_key_given_twice_is_refused_with_all_its_values_in_the_fix():
    with pytest.raises(ConfigError) as caught:
        parse_grid(["strategy.params.top_n=4,6", "strategy.params.top_n=8"])
    assert str(caught.value) == (
        "grid item strategy.params.top_n given twice; list all values once: "
        "strategy.params.top_n=4,6,8"
    )


def test_sweep_refuses_a_repeated_grid_key_in_one_line_with_exit_2(config):
    out = runner.invoke(
        app,
        ["sweep", str(config), "--grid", "top_n=4,6", "--grid", "top_n=8"],
    )
    assert out.exit_code == 2
    assert error_lines(out) == [
        "error: --grid top_n given twice; list all values once: top_n=4,6,8"
    ]


def test_compare_refuses_a_repeated_vary_key(config):
    out = runner.invoke(
        app,
        ["compare", "--configs", str(config), "--vary", "a=1", "--vary", "a=2"],
    )
    assert out.exit_code == 2
    assert error_lines(out) == ["error: --vary a given twice; list all values once: a=1,2"]


def test_a_set_key_given_twice_is_refused_rather_than_last_wins(config):
    out = runner.invoke(
        app,
        [
            "run",
            str(config),
            "--set",
            "start=2020-01-01",
            "--set",
            "start=2021-01-01",
        ],
    )
    assert out.exit_code == 2
    assert error_lines(out) == [
        "error: --set start given twice (start=2020-01-01, start=2021-01-01); keep one"
    ]


def test_grid_values_split_on_commas_outside_brackets_only():
    grid = parse_grid(["universe=[NVDA,AMD],[MSFT,AAPL]", "strategy.params.top_n=4,6"])
    assert grid == {
        "universe": [["NVDA", "AMD"], ["MSFT", "AAPL"]],
        "strategy.params.top_n": [4, 6],
    }


def test_a_grid_key_replaces_that_key_of_the_yaml_sweep_block_with_a_note(project):
    config = write_config(
        project / "backtests" / "y.yaml",
        BASE + "sweep:\n  strategy.params.top_n: [3, 4]\n  rebalance: [monthly]\n",
    )
    result = run_sweep(config, ["strategy.params.top_n=5"], workers=1, confirm=0)
    assert sorted(result.ranking["strategy.params.top_n"]) == [5]
    assert list(result.ranking["rebalance"]) == ["monthly"]
    assert result.notes[0] == (
        "grid_items strategy.params.top_n replaces the values of the config's sweep: block (3, 4)"
    )
