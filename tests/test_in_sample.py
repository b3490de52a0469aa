"""Strategies say where their defaults were chosen; runs on that data say they are in-sample."""

from __future__ import annotations

import datetime as dt

from airegime.config import validate_config
from airegime.strategy import TunedOn


def config(strategy: str, source: str = "sample", start: str = "2016-01-01", **extra):
    raw = {"name": "x", "strategy": {"name": strategy}, "universe": "ai_us"}
    raw |= {"start": start, "end": "2026-07-31", "data": {"source": source, **extra}}
    return validate_config(raw)


def test_a_built_in_rule_on_the_bundled_sample_is_in_sample():
    note = config("article_composite").in_sample_note()
    assert note.startswith("article_composite: its default parameters were chosen on the ")
    assert "bundled sample (2016-01-01..2026-07-31)" in note and "in-sample" in note


def test_the_regime_strategy_names_its_thresholds():
    assert "regime thresholds" in config("regime_aware").in_sample_note()


def test_equal_weight_has_nothing_tuned():
    assert config("equal_weight").in_sample_note() is None


def test_other_data_is_not_the_sample_the_defaults_were_chosen_on(tmp_path):
    assert config("article_composite", "csv", path=str(tmp_path)).in_sample_note() is None


def test_the_note_names_the_days_a_run_shares_with_the_tuning_window():
    tuned = TunedOn("sample", dt.date(2016, 1, 1), dt.date(2020, 12, 31))
    note = tuned.note("s", "sample", dt.date(2019, 1, 1), dt.date(2024, 1, 1))
    assert "this run uses that data over 2019-01-01..2020-12-31" in note
    assert tuned.note("s", "sample", dt.date(2021, 1, 1), dt.date(2024, 1, 1)) is None
