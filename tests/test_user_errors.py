"""Errors point where the fix is: a bug in a user's strategy names its type, file, line,
strategy and rebalance date on one line; ``--debug`` shows the traceback; a bug inside
airegime says it is one; bad names get the closest known name; file-system problems say
what they are.
"""

from __future__ import annotations

import errno
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from airegime import run_backtest
from airegime.cli import app
from airegime.cli.common import os_error_line
from airegime.config import load_config
from airegime.errors import ConfigError, ResultsError, StrategyError, describe, user_context
from airegime.sweep import run_sweep

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()
USER_FILE = ROOT / "tests" / "user_strategies.py"


def line_of(text: str, path: Path = USER_FILE) -> int:
    """The line number of the first line of ``path`` containing ``text``."""
    lines = path.read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


@pytest.fixture
def config(csv_config) -> Path:
    return csv_config


def run(config: Path, *args: str, env: dict | None = None, debug: bool = False):
    results = config.parent.parent / "results"
    head = ["--debug"] if debug else []
    return runner.invoke(
        app,
        [*head, "run", str(config), "--results-dir", str(results), "--no-tearsheet", *args],
        env=env,
    )


def error_lines(out) -> list[str]:
    return [ln for ln in out.output.splitlines() if ln.startswith(("error:", "internal error:"))]


# --- errors in a user's strategy ----------------------------------------------------------


@pytest.mark.parametrize("engine", ["backtrader", "vector"])
def test_a_key_error_in_a_strategy_is_one_line_with_file_line_strategy_and_date(config, engine):
    out = run(config, "--set", "strategy.name=tests.user_strategies:Typo", "--engine", engine)
    assert out.exit_code == 2
    (line,) = error_lines(out)
    assert line == (
        f"error: KeyError: 'NVDAA' at tests/user_strategies.py:{line_of('the bug')} "
        "(strategy Typo, rebalance 2020-01-02); --debug shows the traceback"
    )
    assert "Traceback" not in out.output


def test_debug_prints_the_traceback_down_to_the_users_line(config):
    out = run(config, "--set", "strategy.name=tests.user_strategies:Typo", debug=True)
    assert out.exit_code == 2
    assert "Traceback (most recent call last)" in out.output
    assert 'return closes["NVDAA"].tail(1)  # the bug' in out.output
    assert out.output.splitlines()[-1].startswith("error: KeyError: 'NVDAA' at ")


def test_the_debug_environment_variable_prints_the_traceback_too(config):
    out = run(
        config, "--set", "strategy.name=tests.user_strategies:Typo", env={"AIREGIME_DEBUG": "1"}
    )
    assert "Traceback (most recent call last)" in out.output


def test_the_api_raises_the_original_exception_with_strategy_and_date_attached(config):
    with pytest.raises(KeyError) as info:
        run_backtest(config, ["strategy.name=tests.user_strategies:Typo"], save=False)
    context = user_context(info.value)
    assert (context.strategy, context.date) == ("Typo", "2020-01-02")
    assert (context.file, context.line) == ("tests/user_strategies.py", line_of("the bug"))
    assert any("rebalance 2020-01-02" in note for note in info.value.__notes__)


def test_an_error_in_a_strategys_constructor_names_the_line_and_what_it_was_doing(config):
    out = run(config, "--set", "strategy.name=tests.user_strategies:BrokenInit")
    (line,) = error_lines(out)
    assert out.exit_code == 2
    assert line.startswith(
        f"error: ZeroDivisionError: integer division or modulo by zero at "
        f"tests/user_strategies.py:{line_of('252 // 0')} (strategy "
        "tests.user_strategies:BrokenInit, creating it)"
    )


def test_an_error_while_importing_a_users_module_names_its_line(config):
    out = run(config, "--set", "strategy.name=tests.user_module_broken:Anything")
    (line,) = error_lines(out)
    where = line_of("the bug", ROOT / "tests" / "user_module_broken.py")
    assert out.exit_code == 2
    assert "NameError: name 'undefined_name' is not defined at " in line
    assert f"tests/user_module_broken.py:{where}" in line and "importing it" in line


def test_weights_above_one_name_the_strategy_and_date(config):
    with pytest.raises(StrategyError, match=r"strategy Leveraged, rebalance 2020-01-02: target"):
        run_backtest(config, ["strategy.name=tests.user_strategies:Leveraged"], save=False)


def test_a_failed_sweep_point_is_located_in_the_ranking(config):
    result = run_sweep(
        config, ["strategy.name=equal_weight,tests.user_strategies:Typo"], workers=1, confirm=0
    )
    (error,) = result.errors.values()
    assert error.startswith(f"KeyError: 'NVDAA' at tests/user_strategies.py:{line_of('the bug')}")


# --- bugs inside airegime -----------------------------------------------------------------


def test_an_internal_error_says_it_is_a_bug_with_the_debug_hint(config, monkeypatch):
    import airegime.run

    def broken(*args, **kwargs):
        return None.metrics  # an AttributeError inside airegime's own code path

    monkeypatch.setattr(airegime.run, "run_metrics", broken)
    out = run(config)
    assert out.exit_code == 1
    (line,) = error_lines(out)
    assert line.startswith("internal error: AttributeError: 'NoneType' object has no attribute")
    assert "(airegime/run.py:" in line
    assert line.endswith(
        "this is a bug in airegime: run again with --debug and report the traceback"
    )


def test_a_key_error_inside_airegime_is_not_mistaken_for_bad_input(config, monkeypatch):
    import airegime.run

    monkeypatch.setattr(airegime.run, "run_metrics", lambda *a, **k: {}["sharpe"])
    out = run(config)
    assert out.exit_code == 1 and error_lines(out)[0].startswith(
        "internal error: KeyError: 'sharpe'"
    )


def test_an_airegime_error_stays_one_line_without_a_hint(config):
    out = run(config, "--set", "rebalance=hourly")
    (line,) = error_lines(out)
    assert out.exit_code == 2 and "--debug" not in line


def test_describe_gives_type_message_and_airegimes_line_for_other_errors():
    try:
        {}["x"]
    except KeyError as exc:
        assert describe(exc) == "KeyError: 'x'"  # raised in a test: no airegime line


# --- did you mean -------------------------------------------------------------------------


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return path


CONFIG = """\
name: c
strategy: {name: article_composite}
universe: ai_us
start: 2020-01-01
end: 2020-12-31
"""


def config_error(path: Path, overrides: list[str]) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path, overrides)
    return str(info.value)


def test_a_misspelt_strategy_name_suggests_the_registered_one(tmp_path):
    message = config_error(write_config(tmp_path, CONFIG), ["strategy.name=equal_wieght"])
    assert "unknown strategy 'equal_wieght'; did you mean 'equal_weight'?" in message


def test_a_misspelt_parameter_suggests_the_strategys_parameter(tmp_path):
    message = config_error(write_config(tmp_path, CONFIG), ["strategy.params.topn=10"])
    assert "strategy.params.topn: unknown key; did you mean 'top_n'?" in message


def test_a_misspelt_nested_parameter_suggests_from_the_nested_model(tmp_path):
    text = CONFIG.replace("article_composite", "regime_aware")
    message = config_error(write_config(tmp_path, text), ["strategy.params.composite.w_capx=1"])
    assert "strategy.params.composite.w_capx: unknown key; did you mean 'w_capex'?" in message


def test_a_misspelt_config_key_suggests_the_config_key(tmp_path):
    message = config_error(write_config(tmp_path, CONFIG), ["data.sorce=csv"])
    assert "data.sorce: unknown key; did you mean 'source'?" in message


def test_a_misspelt_choice_suggests_the_allowed_value(tmp_path):
    message = config_error(write_config(tmp_path, CONFIG), ["rebalance=montly"])
    assert "(got 'montly'); did you mean 'monthly'?" in message


def test_a_misspelt_universe_suggests_the_named_universe(project, tmp_path):
    path = write_config(project / "backtests", CONFIG.replace("ai_us", "ai_uss"))
    with pytest.raises(ConfigError, match=r"unknown universe 'ai_uss'; did you mean 'ai_us'\?"):
        run_backtest(path, save=False)


def test_a_misspelt_ticker_suggests_the_known_ticker(config):
    out = run(config, "--set", "universe=[NVDAA, MSFT]")
    (line,) = error_lines(out)
    assert "universe: unknown ticker NVDAA; did you mean NVDA?" in line


def test_a_misspelt_ticker_in_a_data_command_suggests_the_known_ticker():
    out = runner.invoke(app, ["data", "prices", "NVDAA"])
    (line,) = error_lines(out)
    assert line.startswith("error: sample data: no prices for NVDAA (did you mean NVDA?);")


def test_several_misspelt_tickers_each_get_their_suggestion(config):
    out = run(config, "--set", "universe=[NVDAA, MSFTT]")
    (line,) = error_lines(out)
    assert "unknown ticker NVDAA, MSFTT; did you mean NVDA for NVDAA, MSFT for MSFTT?" in line


def test_list_strategies_suggests_a_name():
    out = runner.invoke(app, ["list", "strategies", "equal_wieght"])
    assert out.exit_code == 2 and "did you mean 'equal_weight'?" in out.output


def test_a_misspelt_sweep_metric_suggests_the_metric(config):
    out = runner.invoke(
        app, ["sweep", str(config), "--grid", "cash_buffer=0.01", "--metric", "sharp"]
    )
    (line,) = error_lines(out)
    assert line.startswith("error: --metric sharp: not a metric; did you mean 'sharpe'?")


def test_a_misspelt_command_suggests_the_command():
    out = runner.invoke(app, ["compar"])
    assert out.exit_code == 2 and "Did you mean 'compare'?" in out.output


# --- parameter values that cannot act -----------------------------------------------------


def test_top_n_above_the_universe_is_a_note_not_an_error(config):
    result = run_backtest(
        config,
        ["strategy.name=tests.user_strategies:FirstN", "strategy.params.top_n=500"],
        save=False,
    )
    assert (
        "strategy.params.top_n=500 is above the 2 names of the universe: every eligible name "
        "is held" in result.provenance["notes"]
    )


def test_a_china_cap_of_zero_that_excludes_undisclosed_names_is_noted():
    from strategies.china_underweight import ChinaUnderweight

    strategy = ChinaUnderweight({"max_china_share": 0, "unknown_china": "exclude"})
    (note,) = strategy.param_notes(["NVDA", "MSFT"])
    assert note.startswith("strategy.params.max_china_share=0 with unknown_china: exclude")


def test_default_parameters_raise_no_note():
    from strategies.composite import ArticleComposite

    assert ArticleComposite().param_notes(["NVDA"] * 34) == []


# --- the file system ----------------------------------------------------------------------


def test_a_results_dir_that_is_a_file_says_it_is_a_file(config, project):
    blocker = project / "README.md"
    blocker.write_text("a file")
    out = run(config, "--results-dir", str(blocker))
    (line,) = error_lines(out)
    assert line == (
        f"error: {blocker}: cannot write results there: it is a file, not a folder; give a "
        "folder with --results-dir"
    )


def test_a_read_only_disk_is_not_told_to_fix_permissions(config, project, monkeypatch):
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    with pytest.raises(ResultsError) as info:
        run_backtest(config, results_root=project / "out")
    assert "the file system is read-only; give a folder on a writable disk" in str(info.value)
    assert "permission" not in str(info.value)


def test_the_api_names_results_root_and_the_cli_never_does(config, project):
    blocker = project / "file"
    blocker.write_text("")
    with pytest.raises(ResultsError, match=r"give a folder with results_root$"):
        run_backtest(config, results_root=blocker)
    out = run(config, "--results-dir", str(blocker))
    assert "results_root" not in out.output


def test_an_os_error_line_names_the_file_and_the_fix():
    error = OSError(errno.EROFS, "Read-only file system", "/mnt/x")
    assert (
        os_error_line(error)
        == "/mnt/x: the file system is read-only; choose a path on a writable disk"
    )
