"""A ``data.known_moves`` ticker the run does not load is noted, with the closest ticker
it does load, instead of being silently accepted."""

from __future__ import annotations

from airegime.config import load_config
from airegime.loading import build_context


def test_a_known_move_for_a_ticker_outside_the_run_is_noted_with_did_you_mean(csv_config, project):
    config = load_config(csv_config, ["data.known_moves={NVDAA: [2020-03-16], MSFT: []}"])
    notes = build_context(config, project, str(csv_config)).extras["notes"]
    assert [n for n in notes if n.startswith("data.known_moves")] == [
        "data.known_moves: NVDAA is not in this run's universe or benchmark, so its entry "
        "has no effect; did you mean NVDA?"
    ]
