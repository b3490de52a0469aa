"""``airegime factors``: every recorded score measured against the returns after the fill."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from airegime.cli import app
from airegime.data.prices import load_sample
from airegime.errors import ConfigError
from airegime.factors import factors, score_frames

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "backtests" / "article_composite.yaml"
WINDOW = ["start=2023-01-01", "end=2024-12-31"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return factors(CONFIG, WINDOW, results_root=tmp_path_factory.mktemp("results"))


def test_score_frames_put_each_recorded_score_on_dates_by_tickers():
    diagnostics = {
        pd.Timestamp("2024-01-02"): {"scores": {"q": {"A": 1.0, "B": None}}},
        pd.Timestamp("2024-02-01"): {"scores": {"q": {"B": 2.0}, "v": {"A": -1.0}}},
    }
    frames = score_frames(diagnostics, ["A", "B", "C"])
    assert list(frames) == ["q", "v"]
    expected = [[1.0, np.nan, np.nan], [np.nan, 2.0, np.nan]]
    np.testing.assert_array_equal(frames["q"].to_numpy(), expected)
    assert frames["v"].columns.tolist() == ["A", "B", "C"]


def test_every_component_the_composite_and_each_china_measure_get_a_verdict(report):
    scores = report.verdicts["score"].tolist()
    for name in ("balance_sheet", "capex", "valuation", "supplier", "composite"):
        assert name in scores
    for measure in ("disclosed", "market", "blend"):
        assert f"china_share_{measure}" in scores or any(measure in n for n in report.notes)
    assert report.verdicts["verdict"].str.len().gt(20).all()


def test_a_rank_ic_is_reproduced_from_the_sample_closes_and_the_fill(report):
    # next_close: a score of date D meets the return from D's next close, 21 days on
    close = load_sample(["NVDA"]).close  # the calendar of the bundled sample
    prices = load_sample(list(report.scores["ticker"].unique())).close.reindex(close.index)
    date = report.dates[3]
    i = prices.index.get_loc(date)
    forward = prices.iloc[i + 22] / prices.iloc[i + 1] - 1
    day = report.scores[report.scores["date"] == date].set_index("ticker")
    score = day["composite"].where(day["tradable"]).dropna()
    expected = stats.spearmanr(score, forward[score.index]).statistic
    assert report.stats["composite"].rank_ic.loc[date, 21] == pytest.approx(expected, abs=1e-12)


def test_the_folder_holds_the_page_and_every_table_and_is_new_each_time(report, tmp_path):
    assert report.directory.name.startswith("factors-")
    assert report.page == report.directory / "factors.html"
    for name in report.tables():
        assert (report.directory / name).is_file(), name
    html = report.page.read_text()
    assert "Verdicts" in html and "Information analysis" in html and "Turnover analysis" in html
    assert "http://" not in html and "https://" not in html
    again = factors(CONFIG, WINDOW, results_root=report.directory.parents[1])
    assert again.directory != report.directory and report.page.is_file()


def test_the_page_says_the_defaults_were_chosen_on_this_sample(report):
    assert any("chosen on the bundled sample" in c for c in report.caveats)
    assert "in-sample, not a test of the rule" in report.page.read_text()


def test_a_horizon_outside_the_horizons_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="horizon 10: must be one of the horizons"):
        factors(CONFIG, WINDOW, results_root=tmp_path, horizon=10)


def test_the_command_prints_the_page_on_its_last_line(tmp_path):
    out = CliRunner().invoke(
        app,
        ["factors", str(CONFIG), "--results-dir", str(tmp_path), "--horizons", "1,21"]
        + [arg for item in WINDOW for arg in ("--set", item)],
    )
    assert out.exit_code == 0, out.output
    last = out.output.strip().splitlines()[-1]
    assert last.startswith("factor page: ") and last.endswith("factors.html")
    assert Path(last.removeprefix("factor page: ")).is_file()
    assert "composite: " in out.output


def test_bad_horizons_are_one_line(tmp_path):
    out = CliRunner().invoke(app, ["factors", str(CONFIG), "--horizons", "1,x"])
    assert out.exit_code == 2 and "--horizons 1,x" in out.output
