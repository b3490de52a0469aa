"""Config: validated once, and every error is one line naming file, key and fix."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from airegime.config import apply_overrides, load_config, parse_override
from airegime.errors import ConfigError

GOOD = """\
name: demo
strategy: {name: equal_weight}
universe: [NVDA, MSFT]
start: 2020-01-01
end: 2021-01-01
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "demo.yaml"
    path.write_text(text)
    return path


def error_of(path: Path, overrides: list[str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path, overrides)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_a_minimal_config_gets_documented_defaults(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    assert config.benchmark == "SPY"
    assert config.rebalance == "monthly"
    assert config.data.source == "sample"
    assert config.costs.commission_bps == 5.0
    assert config.start == dt.date(2020, 1, 1)


def test_unknown_key_names_file_and_key_path(tmp_path):
    message = error_of(write(tmp_path, GOOD + "costs: {comission_bps: 3}\n"))
    assert str(tmp_path / "demo.yaml") in message
    assert "costs.comission_bps: unknown key" in message


def test_wrong_type_names_expected_type_and_value(tmp_path):
    message = error_of(write(tmp_path, GOOD + "initial_cash: lots\n"))
    assert "initial_cash" in message and "'lots'" in message and "number" in message


def test_empty_date_range_is_rejected(tmp_path):
    message = error_of(write(tmp_path, GOOD.replace("2021-01-01", "2019-01-01")))
    assert "empty date range" in message


def test_unknown_strategy_lists_registered_ones(tmp_path):
    message = error_of(write(tmp_path, GOOD.replace("equal_weight", "nope")))
    assert "strategy.name: unknown strategy 'nope'" in message and "equal_weight" in message


def test_unknown_strategy_param_is_an_error(tmp_path):
    message = error_of(write(tmp_path, GOOD), ["strategy.params.top_n=3"])
    assert "strategy.params.top_n: unknown key" in message


def test_invalid_yaml_reports_line(tmp_path):
    message = error_of(write(tmp_path, "name: [unclosed\n"))
    assert "invalid YAML at line" in message


def test_missing_file_says_so(tmp_path):
    assert "config file not found" in error_of(tmp_path / "absent.yaml")


def test_set_overrides_any_key_and_is_validated(tmp_path):
    config = load_config(write(tmp_path, GOOD), ["rebalance=quarterly", "costs.slippage_bps=2.5"])
    assert config.rebalance == "quarterly"
    assert config.costs.slippage_bps == 2.5
    message = error_of(write(tmp_path, GOOD), ["rebalance=daily"])
    assert "rebalance" in message and "(with overrides)" in message
    assert "--set" not in message  # API callers never passed --set; the CLI says it


def test_cli_wording_is_only_switched_on_inside_a_command():
    from airegime.errors import use_cli_wording

    restore = use_cli_wording()
    try:
        with pytest.raises(ConfigError, match=r"^--set strategy"):
            parse_override("strategy.params.top_n")
    finally:
        restore()
    with pytest.raises(ConfigError, match=r"^override strategy"):
        parse_override("strategy.params.top_n")


def test_set_without_equals_sign_is_explained():
    with pytest.raises(ConfigError, match="expected KEY=VALUE"):
        parse_override("strategy.params.top_n")


def test_overrides_parse_yaml_values_and_create_parents():
    raw = apply_overrides({"a": 1}, ["b.c=[1, 2]", "d=0.5", "e=text"])
    assert raw == {"a": 1, "b": {"c": [1, 2]}, "d": 0.5, "e": "text"}


def test_strategy_given_as_module_path(tmp_path):
    config = load_config(
        write(tmp_path, GOOD.replace("equal_weight", "strategies.equal_weight:EqualWeight"))
    )
    assert type(config.build_strategy()).__name__ == "EqualWeight"


def test_nested_strategy_params_are_validated_too(tmp_path):
    text = GOOD.replace("equal_weight", "regime_aware")
    config = load_config(write(tmp_path, text), ["strategy.params.composite.top_n=3"])
    assert config.strategy.params["composite"]["top_n"] == 3
    message = error_of(write(tmp_path, text), ["strategy.params.composite.topn=3"])
    assert "strategy.params.composite.topn: unknown key" in message


def test_an_impossible_date_in_the_file_is_a_config_error(tmp_path):
    message = error_of(write(tmp_path, GOOD.replace("2020-01-01", "2020-02-30")))
    assert "demo.yaml" in message and "invalid date" in message


def test_an_impossible_date_given_by_set_names_the_key(tmp_path):
    message = error_of(write(tmp_path, GOOD), ["start=2024-13-01"])
    assert "start" in message and "2024-13-01" in message


# --- data: calendar, price-check limits, known moves ----------------------------------------


def test_price_check_limits_default_to_the_checks_own_defaults(tmp_path):
    from airegime.data.price_checks import DEFAULT_LIMITS

    config = load_config(write(tmp_path, GOOD))
    assert config.data.calendar == "XNYS"
    assert config.data.checks.limits() == DEFAULT_LIMITS
    assert config.data.known_moves == {}


def test_price_check_limits_are_set_from_the_yaml(tmp_path):
    text = GOOD + "data: {calendar: XSHG, checks: {max_fill_days: 6, split_min_sigmas: 20}}\n"
    config = load_config(write(tmp_path, text))
    limits = config.data.checks.limits()
    assert (limits.max_fill_days, limits.split_min_sigmas, limits.max_same_days) == (6, 20, 10)
    assert config.data.calendar == "XSHG"


def test_an_unknown_price_check_key_is_an_error(tmp_path):
    message = error_of(write(tmp_path, GOOD + "data: {checks: {max_fill: 6}}\n"))
    assert "data.checks.max_fill: unknown key" in message


def test_an_unknown_calendar_suggests_the_code(tmp_path):
    message = error_of(write(tmp_path, GOOD + "data: {calendar: xshg}\n"))
    assert "data.calendar: unknown exchange calendar 'xshg' (did you mean XSHG?)" in message


@pytest.mark.parametrize("value", ["none", "None", "null"])
def test_calendar_none_turns_the_exchange_calendar_off(tmp_path, value):
    config = load_config(write(tmp_path, GOOD + f"data: {{calendar: {value}}}\n"))
    assert config.data.calendar == "none"


def test_known_moves_are_dates_by_ticker(tmp_path):
    config = load_config(write(tmp_path, GOOD), ["data.known_moves={aapl: [2023-06-15]}"])
    assert config.data.known_moves == {"AAPL": [dt.date(2023, 6, 15)]}
    message = error_of(write(tmp_path, GOOD), ["data.known_moves={AAPL: [someday]}"])
    assert "data.known_moves.AAPL.0" in message


# --- how YAML is read ----------------------------------------------------------------------


def test_a_folder_given_as_the_config_file_is_named_a_folder(tmp_path):
    assert error_of(tmp_path) == f"{tmp_path}: is a folder; give the path of a YAML config file"


def test_a_run_folder_given_as_the_config_file_points_to_its_config(tmp_path):
    (tmp_path / "config.yaml").write_text(GOOD)
    assert error_of(tmp_path).endswith("(it holds config.yaml: pass that)")


def test_a_config_not_in_utf8_is_refused_asking_to_save_it_as_utf8(tmp_path):
    path = tmp_path / "demo.yaml"
    path.write_bytes((GOOD + "description: café\n").encode("latin-1"))
    assert error_of(path).endswith("; save it as UTF-8")


def test_a_key_given_twice_is_refused_with_its_line(tmp_path):
    path = write(tmp_path, GOOD + "rebalance: monthly\nrebalance: quarterly\n")
    assert error_of(path) == (
        f"{path} line 7: key 'rebalance' appears twice (first on line 6); keep one"
    )


def test_a_key_given_twice_in_a_nested_mapping_is_refused(tmp_path):
    path = write(tmp_path, GOOD + "costs:\n  commission_bps: 5\n  commission_bps: 10\n")
    assert error_of(path).startswith(f"{path} line 8: key 'commission_bps' appears twice")


def test_a_key_given_twice_exits_with_code_2_on_one_line(tmp_path):
    from typer.testing import CliRunner

    from airegime.cli import app

    path = write(tmp_path, GOOD + "rebalance: monthly\nrebalance: quarterly\n")
    out = CliRunner().invoke(app, ["run", str(path), "--no-tearsheet"])
    assert out.exit_code == 2
    assert out.output.strip() == (
        f"error: {path} line 7: key 'rebalance' appears twice (first on line 6); keep one"
    )


def test_a_key_given_twice_in_a_set_value_is_refused():
    with pytest.raises(
        ConfigError, match=r"data\.known_moves=\{A: \[\], A: \[\]\}: key 'A' appears"
    ):
        parse_override("data.known_moves={A: [], A: []}")


def test_leading_zero_tickers_in_the_yaml_stay_as_written(tmp_path):
    text = GOOD.replace("[NVDA, MSFT]", "[600519, 000858]") + "benchmark: 000300\n"
    config = load_config(write(tmp_path, text))
    assert (config.universe, config.benchmark) == (["600519", "000858"], "000300")


def test_leading_zero_tickers_given_by_set_stay_as_written(tmp_path):
    config = load_config(write(tmp_path, GOOD), ["universe=[600519]", "benchmark=000300"])
    assert (config.universe, config.benchmark) == (["600519"], "000300")


def test_a_plain_integer_ticker_is_its_decimal_text(tmp_path):
    config = load_config(write(tmp_path, GOOD), ["benchmark=600519"])
    assert config.benchmark == "600519"


def test_known_moves_of_a_numeric_ticker_are_keyed_by_its_text(tmp_path):
    config = load_config(write(tmp_path, GOOD), ["data.known_moves={600519: [2023-06-15]}"])
    assert config.data.known_moves == {"600519": [dt.date(2023, 6, 15)]}


def test_numbers_without_a_leading_zero_stay_numbers():
    assert [parse_override(f"a={v}")[1] for v in ("0", "10", "1500", "0.5")] == [0, 10, 1500, 0.5]


def test_the_day_move_limit_is_set_from_the_yaml_and_must_exceed_one(tmp_path):
    text = GOOD + "data: {checks: {max_day_move: 5}}\n"
    assert load_config(write(tmp_path, text)).data.checks.limits().max_day_move == 5.0
    message = error_of(write(tmp_path, GOOD + "data: {checks: {max_day_move: 1}}\n"))
    assert "data.checks.max_day_move: Input should be greater than 1" in message
