"""Every YAML file airegime reads goes through one reader: no duplicate keys, no octal tickers."""

from __future__ import annotations

from pathlib import Path

import pytest

from airegime.data.regimes import load_regimes
from airegime.data.universes import load_universes
from airegime.errors import DataError


def _universes(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "universes.yaml"
    path.write_text(text)
    load_universes.cache_clear()
    return path


def test_a_leading_zero_ticker_in_universes_yaml_stays_as_written(tmp_path: Path) -> None:
    path = _universes(
        tmp_path, "groups:\n  index: [000300]\nuniverses:\n  china: [600519, 000300]\n"
    )
    universes = load_universes(path)
    assert universes.universes["china"] == ["600519", "000300"]


def test_a_universe_named_twice_in_universes_yaml_is_refused(tmp_path: Path) -> None:
    path = _universes(tmp_path, "groups:\n  chips: [NVDA]\nuniverses:\n  a: [NVDA]\n  a: [AMD]\n")
    with pytest.raises(DataError, match="'a' appears twice"):
        load_universes(path)


def test_a_malformed_regimes_yaml_is_one_data_error(tmp_path: Path) -> None:
    path = tmp_path / "regimes.yaml"
    path.write_text("events:\n  - name: x\n  - name: [unclosed\n")
    with pytest.raises(DataError, match=r"regimes\.yaml: not a readable YAML file"):
        load_regimes(path)
