"""The airegime command, end to end on the bundled sample."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from airegime.cli import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


@pytest.mark.slow
def test_quickstart_writes_a_tear_sheet_with_its_sections(tmp_path):
    out = runner.invoke(
        app, ["run", str(ROOT / "backtests" / "quickstart.yaml"), "--results-dir", str(tmp_path)]
    )
    assert out.exit_code == 0, out.output
    (run_dir,) = (tmp_path / "quickstart").iterdir()
    html = (run_dir / "tearsheet.html").read_text()
    for section in (
        "Key Performance Metrics",
        "EOY Returns vs Benchmark",
        "Worst 10 Drawdowns",
        'id="dd_plot"',
        'id="monthly_heatmap"',
        'id="rolling_sharpe"',
        "quickstart: equal_weight, fill next_close",
        "portfolio.html",
    ):
        assert section in html, section
    assert "Sharpe" in out.output and "run folder" in out.output
    assert "Warning" not in out.output and "findfont" not in out.output


def run_quickstart(tmp_path, *overrides: str):
    args = ["run", str(ROOT / "backtests" / "quickstart.yaml"), "--results-dir", str(tmp_path)]
    for override in overrides:
        args += ["--set", override]
    return runner.invoke(app, args)


def test_a_bad_override_is_one_line_without_traceback(tmp_path):
    out = run_quickstart(tmp_path, "rebalance=hourly")
    assert out.exit_code == 2
    lines = [ln for ln in out.output.splitlines() if ln.strip()]
    assert "Traceback" not in out.output
    assert "rebalance" in out.output and "quickstart.yaml" in out.output
    assert len(lines) <= 3  # one message, possibly wrapped by the terminal width


def test_an_unknown_ticker_names_the_key(tmp_path):
    out = run_quickstart(tmp_path, "universe=[NVDA, NVDX]")
    assert out.exit_code == 2
    assert "universe: unknown ticker NVDX" in " ".join(out.output.split())


def test_list_strategies_shows_params_and_descriptions():
    out = runner.invoke(app, ["list", "strategies"])
    assert out.exit_code == 0 and "equal_weight" in out.output


def test_data_fundamentals_prints_the_point_in_time_table():
    out = runner.invoke(app, ["data", "fundamentals", "NVDA", "MSFT", "--as-of", "2023-06-30"])
    assert out.exit_code == 0, out.output
    assert "25,878,000,000" in out.output  # NVDA TTM revenue known on 2023-06-30
    assert "2022-06-30" in out.output  # MSFT's FY2023 10-K was not filed yet


def test_data_fundamentals_of_a_universe_is_readable_at_80_columns(monkeypatch):
    from airegime.cli import common

    monkeypatch.setattr(common.console, "width", 80)
    out = runner.invoke(app, ["data", "fundamentals", "--as-of", "2018-06-01"])
    assert out.exit_code == 0, out.output
    rows = [line for line in out.output.splitlines() if line[:1] in "┏┃┡│└"]
    assert max(len(row) for row in rows) <= 80 and "…" not in out.output
    assert "154,689,741,523" in out.output  # NVDA's market cap, whole
    assert "fundamentals known on 2018-06-01 (sample) (1/" in out.output


def test_data_fundamentals_shows_only_the_metrics_asked_for():
    out = runner.invoke(
        app, ["data", "fundamentals", "NVDA", "--as-of", "2018-06-01", "--metrics", "pe_ttm"]
    )
    assert out.exit_code == 0, out.output
    assert "pe_ttm" in out.output and "40.9" in out.output and "revenue_ttm" not in out.output


def test_column_chunks_fill_the_width_and_never_split_a_column():
    from airegime.cli.common import column_chunks

    # a first column 10 wide takes 14; each column its width + 3: 14 + 13 + 13 = 40
    assert column_chunks([10, 10, 10, 50], first=10, total=40) == [[0, 1], [2], [3]]


def test_data_china_and_prices_work_offline():
    china = runner.invoke(app, ["data", "china", "AAPL", "MSFT", "--as-of", "2024-06-30"])
    assert china.exit_code == 0 and "18.9%" in china.output
    prices = runner.invoke(app, ["data", "prices", "PLTR"])
    assert prices.exit_code == 0 and "2020-09-30" in prices.output


@pytest.fixture
def recorded_yahoo(monkeypatch):
    """yfinance's download replaced by the recorded NVDA/MSFT payload."""
    from airegime.data import yahoo
    from tests.test_yahoo import recorded_payload

    payload = recorded_payload()
    monkeypatch.setattr(yahoo, "_download", lambda tickers, start, end: payload)


def test_data_fetch_fills_the_cache_through_the_yahoo_source(project, recorded_yahoo):
    out = runner.invoke(
        app, ["data", "fetch", "NVDA", "MSFT", "--start", "2024-01-02", "--end", "2024-01-31"]
    )
    assert out.exit_code == 0, out.output
    assert "prices cached: 2 tickers" in out.output
    assert (project / "data" / "cache" / "yahoo" / "MSFT.csv").is_file()


def test_data_fetch_offline_is_a_one_line_error(project, monkeypatch):
    import pandas as pd

    from airegime.data import yahoo

    monkeypatch.setattr(yahoo, "_download", lambda tickers, start, end: pd.DataFrame())
    monkeypatch.setattr(yahoo, "BACKOFF_S", 0.0)
    out = runner.invoke(app, ["data", "fetch", "NVDA", "--start", "2024-01-02"])
    assert out.exit_code == 2
    assert "empty download for NVDA" in out.output and "Traceback" not in out.output


def test_data_prices_shows_the_yahoo_cache(project, recorded_yahoo):
    runner.invoke(app, ["data", "fetch", "NVDA", "--start", "2024-01-02", "--end", "2024-01-31"])
    out = runner.invoke(app, ["data", "prices", "--source", "yahoo"])
    assert out.exit_code == 0 and "NVDA" in out.output and "ohlcv" in out.output


def test_engine_option_runs_the_vector_engine_and_records_it(tmp_path):
    args = ["run", str(ROOT / "backtests" / "quickstart.yaml"), "--results-dir", str(tmp_path)]
    out = runner.invoke(
        app, [*args, "--no-tearsheet", "--engine", "vector", "--set", "end=2017-12-31"]
    )
    assert out.exit_code == 0, out.output
    (run_dir,) = (tmp_path / "quickstart").iterdir()
    config = (run_dir / "config.yaml").read_text()
    assert "\nengine: vector\n" in config and "  engine: vector\n" in config


def test_an_unknown_engine_is_one_line(tmp_path):
    args = ["run", str(ROOT / "backtests" / "quickstart.yaml"), "--results-dir", str(tmp_path)]
    out = runner.invoke(app, [*args, "--engine", "numpy"])
    assert out.exit_code == 2 and "Traceback" not in out.output
    assert "engine: Input should be 'backtrader' or 'vector'" in out.output
