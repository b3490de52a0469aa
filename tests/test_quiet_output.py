"""Quiet output: per-ticker notes of one kind are one line in the terminal, the full list
stays in the run's config.yaml."""

from __future__ import annotations

import pandas as pd
import yaml
from typer.testing import CliRunner

from airegime.cli import app
from airegime.loading import collapse_notes

runner = CliRunner()


def late(ticker: str, date: str) -> str:
    return f"{ticker}: prices start {date}; tradable from then"


def test_per_ticker_notes_of_one_kind_become_one_line_in_place_of_the_first():
    notes = ["fill rule", late("ARM", "2023-09-14"), "other", late("PLTR", "2020-09-30")]
    assert collapse_notes(notes) == [
        "fill rule",
        "prices start late for 2 tickers: ARM 2023-09-14, PLTR 2020-09-30; tradable from "
        "then; see config.yaml",
        "other",
    ]


def test_a_single_note_of_a_kind_stays_as_it_is():
    assert collapse_notes([late("ARM", "2023-09-14")]) == [late("ARM", "2023-09-14")]


def test_a_long_list_names_the_first_tickers_and_counts_the_rest():
    notes = [late(f"T{i}", "2020-01-02") for i in range(9)]
    (line,) = collapse_notes(notes)
    assert "T5 2020-01-02 and 3 more; tradable from then; see config.yaml" in line


def test_kinds_are_collapsed_separately():
    notes = [
        late("A", "2020-01-02"),
        late("B", "2020-01-03"),
        "C: no prices in the window; never held",
        "D: no prices in the window; never held",
    ]
    assert collapse_notes(notes) == [
        "prices start late for 2 tickers: A 2020-01-02, B 2020-01-03; tradable from then; "
        "see config.yaml",
        "no prices in the window for 2 tickers: C, D; never held; see config.yaml",
    ]


def test_a_run_prints_one_line_for_late_starts_and_keeps_each_in_config_yaml(csv_config, project):
    folder = csv_config.parent.parent / "prices"
    for ticker, start in (("NVDA", "2020-03-02"), ("MSFT", "2020-04-01")):
        frame = pd.read_csv(folder / f"{ticker}.csv")
        frame[frame["date"] >= start].to_csv(folder / f"{ticker}.csv", index=False)
    results = project / "results"
    out = runner.invoke(
        app, ["run", str(csv_config), "--results-dir", str(results), "--no-tearsheet"]
    )
    assert out.exit_code == 0, out.output
    lines = [ln for ln in out.output.splitlines() if "prices start" in ln]
    assert lines == [
        "note: prices start late for 2 tickers: NVDA 2020-03-02, MSFT 2020-04-01; tradable "
        "from then; see config.yaml"
    ]
    (run_dir,) = (results / "user").iterdir()
    notes = yaml.safe_load((run_dir / "config.yaml").read_text())["provenance"]["notes"]
    assert late("NVDA", "2020-03-02") in notes and late("MSFT", "2020-04-01") in notes
