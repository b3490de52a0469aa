"""The fault suite: each bad input or interruption of issue #12, end to end.

Every case gives its input, the one-line message expected, the exit code, and checks
that no run folder or cache entry was damaged or left half-written. All offline.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from airegime import run_backtest
from airegime.cli import INTERRUPTED_EXIT, app
from airegime.data import yahoo
from airegime.data.prices import load_sample
from airegime.errors import ConfigError, DataError, Interrupted, ResultsError
from airegime.results import RunResult, latest_run
from airegime.sweep import run_sweep
from tests.test_yahoo import recorded_payload

runner = CliRunner()
TICKERS = ("NVDA", "MSFT", "SPY")


# --- helpers -------------------------------------------------------------------------------


@pytest.fixture
def prices(tmp_path) -> Path:
    """Close-only CSVs of NVDA, MSFT and SPY, cut from the bundled sample."""
    folder = tmp_path / "prices"
    folder.mkdir()
    close = load_sample(list(TICKERS)).close.loc["2019-01-01":"2021-12-31"]
    for ticker in TICKERS:
        frame = close[ticker].rename("adj_close").rename_axis("date").reset_index()
        frame.to_csv(folder / f"{ticker}.csv", index=False, float_format="%.6f")
    return folder


@pytest.fixture
def config(project, prices) -> Path:
    text = {
        "name": "faults",
        "strategy": {"name": "equal_weight"},
        "universe": ["NVDA", "MSFT"],
        "benchmark": "SPY",
        "start": "2020-01-01",
        "end": "2020-12-31",
        "data": {"source": "csv", "path": str(prices)},
        "rebalance": "quarterly",
    }
    path = project / "backtests" / "faults.yaml"
    path.write_text(yaml.safe_dump(text))
    return path


def run(config: Path, *args: str):
    results = config.parent.parent / "results"
    return runner.invoke(
        app, ["run", str(config), "--results-dir", str(results), "--no-tearsheet", *args]
    )


def one_line(out) -> str:
    lines = [line for line in out.output.splitlines() if line.strip()]
    assert len(lines) == 1, out.output
    assert "Traceback" not in out.output
    return lines[0]


def nothing_written(project: Path) -> bool:
    """No run folder, complete or half-written (``.tmp-``), under results/<name>/."""
    return not list((project / "results").glob("*/*"))


def edit_csv(path: Path, change) -> None:
    frame = pd.read_csv(path)
    change(frame).to_csv(path, index=False)


# --- 1. validated price data: csv --------------------------------------------------------------


def test_duplicated_dates_are_refused_not_resolved(config, prices, project):
    edit_csv(prices / "NVDA.csv", lambda f: pd.concat([f, f.iloc[[300]]]))
    out = run(config)
    assert out.exit_code == 2
    assert f"{prices / 'NVDA.csv'}: duplicated dates 2020-03-12" in one_line(out)
    assert nothing_written(project)


def test_negative_prices_are_refused(config, prices, project):
    negative = lambda f: f.assign(adj_close=f.adj_close.where(f.date != "2020-08-06", -3))  # noqa: E731
    edit_csv(prices / "MSFT.csv", negative)
    out = run(config)
    assert out.exit_code == 2
    assert "MSFT.csv: non-positive close on 2020-08-06 (1 row)" in one_line(out)
    assert nothing_written(project)


def test_a_mostly_blank_column_is_refused(config, prices, project):
    rng = np.random.default_rng(0)
    blank = rng.random(757) < 0.8
    blank[[0, -1]] = False
    edit_csv(prices / "NVDA.csv", lambda f: f.assign(adj_close=f.adj_close.mask(blank)))
    out = run(config)
    assert out.exit_code == 2
    assert "NVDA.csv: no price on" in one_line(out) and "inside the series" in out.output
    assert nothing_written(project)


def test_a_truncated_file_is_not_a_stock_whose_data_ended(config, prices, project):
    raw = (prices / "NVDA.csv").read_bytes()
    (prices / "NVDA.csv").write_bytes(raw[: len(raw) // 2])
    out = run(config)
    assert out.exit_code == 2
    assert "NVDA.csv: the last line" in one_line(out) and "looks truncated" in out.output
    assert nothing_written(project)


def test_a_zero_byte_file_is_one_line(config, prices, project):
    (prices / "SPY.csv").write_bytes(b"")
    out = run(config)
    assert out.exit_code == 2
    assert one_line(out).endswith("SPY.csv: file is empty (0 bytes); download or copy it again")
    assert nothing_written(project)


def test_csv_source_without_a_path_says_which_key_is_missing(config, project):
    out = run(config, "--set", "data.path=null")
    assert out.exit_code == 2
    assert "data.path: required with data.source csv" in one_line(out)
    assert "known: )" not in out.output


# --- 1. validated price data: yahoo cache ------------------------------------------------------

START, END = dt.date(2024, 1, 2), dt.date(2024, 1, 31)


def offline(tickers, start, end):
    return pd.DataFrame()


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """A yahoo cache of NVDA and MSFT filled from the recorded payload."""
    monkeypatch.setattr(yahoo, "BACKOFF_S", 0.0)
    monkeypatch.setattr(yahoo, "_download", lambda tickers, start, end: recorded_payload())
    yahoo.YahooPrices(tmp_path, timeout_s=10).load(["NVDA", "MSFT"], START, END)
    return tmp_path


def truncate_half(path: Path) -> None:
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[: len(lines) // 2]))


def test_a_truncated_cache_is_refused_offline_and_left_as_it_was(cache, monkeypatch):
    data = cache / "yahoo" / "NVDA.csv"
    truncate_half(data)
    before = data.read_bytes()
    monkeypatch.setattr(yahoo, "_download", offline)
    with pytest.raises(DataError) as info:
        yahoo.YahooPrices(cache, timeout_s=10).load(["NVDA", "MSFT"], START, END)
    message = str(info.value)
    assert message.startswith(f"yahoo cache {data}: holds 10 rows to 2024-01-16, but its metadata")
    assert "downloading it again failed" in message and "\n" not in message
    assert data.read_bytes() == before


def test_a_truncated_cache_is_downloaded_again_when_online(cache):
    data = cache / "yahoo" / "NVDA.csv"
    truncate_half(data)
    loaded = yahoo.YahooPrices(cache, timeout_s=10).load(["NVDA", "MSFT"], START, END)
    assert loaded.close["NVDA"].index[-1] == pd.Timestamp("2024-01-31")
    assert any("NVDA.csv" in n and "downloaded again" in n for n in loaded.notes)


def test_a_zero_byte_cache_file_is_refused_offline(cache, monkeypatch):
    (cache / "yahoo" / "MSFT.csv").write_bytes(b"")
    monkeypatch.setattr(yahoo, "_download", offline)
    with pytest.raises(DataError, match=r"MSFT\.csv: file is empty \(0 bytes\)"):
        yahoo.YahooPrices(cache, timeout_s=10).load(["NVDA", "MSFT"], START, END)


def test_an_edited_cache_fails_its_checksum(cache, monkeypatch):
    data = cache / "yahoo" / "NVDA.csv"
    data.write_text(data.read_text().replace("48.154346", "49.154346"))
    monkeypatch.setattr(yahoo, "_download", offline)
    with pytest.raises(DataError, match="checksum mismatch"):
        yahoo.YahooPrices(cache, timeout_s=10).load(["NVDA"], START, END)


# --- 2. the run records what it ran ---------------------------------------------------------


def test_a_window_beyond_the_data_is_trimmed_with_a_note_and_recorded(config, project):
    out = run(config, "--set", "start=2010-01-01", "--set", "end=2030-12-31")
    assert out.exit_code == 0, out.output
    assert "window trimmed to the data: requested 2010-01-01..2030-12-31, run 2019-01-02" in (
        " ".join(out.output.split())
    )
    (folder,) = (project / "results" / "faults").iterdir()
    saved = yaml.safe_load((folder / "config.yaml").read_text())
    assert saved["start"] == "2010-01-01"  # the config as requested, reproducible
    assert saved["provenance"]["window"] == {
        "requested": {"start": "2010-01-01", "end": "2030-12-31"},
        "run": {"start": "2019-01-02", "end": "2021-12-31"},
    }


def test_strict_dates_refuses_a_window_beyond_the_data(config, project):
    out = run(config, "--set", "start=2010-01-01", "--strict-dates")
    assert out.exit_code == 2
    line = one_line(out)
    assert "start 2010-01-01: the data begin 2019-01-02" in line and "--strict-dates" in line
    assert nothing_written(project)


# --- 3. hard time limits ---------------------------------------------------------------------


def hang_like_yfinance(tickers, start, end):
    """Logs, prints and starts a non-daemon thread, then never answers."""
    import logging

    for ticker in tickers:
        logging.getLogger("yfinance").error("%s: Failed to get ticker '%s'", ticker, ticker)
    threading.Thread(target=time.sleep, args=(600,)).start()
    print("1 Failed download:")
    time.sleep(600)


def test_a_hanging_download_ends_within_the_limit_and_leaves_no_thread(tmp_path, monkeypatch):
    monkeypatch.setattr(yahoo, "_download", hang_like_yfinance)
    threads = set(threading.enumerate())
    started = time.monotonic()
    with pytest.raises(DataError, match="did not answer within 2 s for NVDA"):
        yahoo.YahooPrices(tmp_path, timeout_s=2).load(["NVDA"], START, END)
    assert time.monotonic() - started < 2 + 2
    # no thread the download started outlives it (threads of earlier tests may end meanwhile)
    assert set(threading.enumerate()) <= threads and not multiprocessing.active_children()
    assert not (tmp_path / "yahoo").exists() or not any((tmp_path / "yahoo").iterdir())


def no_network(tickers, start, end):
    import logging
    import warnings

    for _ in range(100):
        for ticker in tickers:
            logging.getLogger("yfinance").error(
                "['%s']: ConnectionError('no route to host')", ticker
            )
    warnings.warn("a yfinance FutureWarning", FutureWarning, stacklevel=1)
    print("\n1 Failed download:")
    return pd.DataFrame()


def test_yfinance_noise_is_one_summary_per_ticker_within_the_budget(tmp_path, monkeypatch, capfd):
    monkeypatch.setattr(yahoo, "_download", no_network)
    started = time.monotonic()
    with pytest.raises(DataError) as info:
        yahoo.YahooPrices(tmp_path, timeout_s=5, backoff_s=0.5).load(["NVDA", "MSFT"], START, END)
    assert time.monotonic() - started < 5 + 2
    message = str(info.value)
    assert "\n" not in message and "empty download for NVDA, MSFT" in message
    assert "NVDA: 100 yfinance messages, last: ['NVDA']: ConnectionError" in message
    assert "MSFT: 100 yfinance messages" in message
    captured = capfd.readouterr()
    assert "Failed download" not in captured.out + captured.err


def test_the_budget_covers_retries_and_backoff(tmp_path):
    calls = []

    def slow_empty(tickers, start, end):
        calls.append(time.monotonic())
        time.sleep(0.8)
        return pd.DataFrame()

    prices = yahoo.YahooPrices(tmp_path, timeout_s=2.5, attempts=5, download=slow_empty)
    started = time.monotonic()
    with pytest.raises(DataError):
        prices.load(["NVDA"], START, END)
    assert time.monotonic() - started < 2.5 + 1
    assert len(calls) < 5  # the budget, not the attempt count, ended it


# --- 4. atomic run folders --------------------------------------------------------------------


def test_a_run_killed_while_writing_its_tear_sheet_leaves_nothing(config, project, monkeypatch):
    import airegime.run

    def killed(*args, **kwargs):
        Path(args[2]).write_text("<html>half")
        raise KeyboardInterrupt

    monkeypatch.setattr(airegime.run, "write_tearsheet", killed)
    out = runner.invoke(app, ["run", str(config), "--results-dir", str(project / "results")])
    assert out.exit_code == INTERRUPTED_EXIT
    assert "interrupted: nothing was written" in one_line(out)
    assert nothing_written(project)


def test_readers_ignore_a_half_written_run_folder(config, project):
    first = run_backtest(config, results_root=project / "results", tearsheet=True)
    staging = first.run_dir.parent / f".tmp-{first.run_dir.name}-2"
    staging.mkdir()
    (staging / "metrics.json").write_text("{}")
    assert latest_run(project / "results", first.config) == first.run_dir
    with pytest.raises(ResultsError, match="an incomplete run folder"):
        RunResult.load(staging)
    out = runner.invoke(app, ["compare", str(first.run_dir), str(staging)])
    assert out.exit_code == 2 and "an incomplete run folder" in one_line(out)


def test_an_unwritable_results_folder_fails_before_the_backtest(config, project, monkeypatch):
    import airegime.run

    monkeypatch.setattr(airegime.run, "backtest", lambda *a, **k: pytest.fail("ran anyway"))
    blocked = project / "results-file"
    blocked.write_text("not a folder")
    out = runner.invoke(app, ["run", str(config), "--results-dir", str(blocked)])
    assert out.exit_code == 2
    assert f"{blocked}: cannot write results there" in one_line(out)


def test_an_unwritable_folder_of_the_run_name_fails_before_the_backtest(
    config, project, monkeypatch
):
    import airegime.run

    monkeypatch.setattr(airegime.run, "backtest", lambda *a, **k: pytest.fail("ran anyway"))
    (project / "results").mkdir(exist_ok=True)
    blocked = project / "results" / "faults"
    blocked.write_text("not a folder")
    out = run(config)
    assert out.exit_code == 2
    assert f"{blocked}: cannot write results there" in one_line(out)


@pytest.mark.parametrize("name", ["..", "../x", ".hidden", "a/b"])
def test_run_names_are_one_folder_name(config, project, name):
    out = run(config, "--set", f"name={name}")
    assert out.exit_code == 2
    assert "is not a folder name" in one_line(out)
    assert nothing_written(project) and not (project / "x").exists()


# --- 5. interruptions and API wording ----------------------------------------------------------


def test_ctrl_c_on_a_sweep_says_what_was_kept_and_resumes(config, project, monkeypatch):
    import airegime.sweep

    real = airegime.sweep.run_point
    calls = []

    def interrupted_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(airegime.sweep, "run_point", interrupted_second)
    out = runner.invoke(
        app, ["sweep", str(config), "--grid", "cash_buffer=0.01,0.02", "--workers", "1"]
    )
    assert out.exit_code == INTERRUPTED_EXIT
    line = next(ln for ln in out.output.splitlines() if "interrupted" in ln)
    assert "1 of 2 points are finished and kept in" in line
    assert "run the same command again" in line
    monkeypatch.setattr(airegime.sweep, "run_point", real)
    resumed = run_sweep(config, ["cash_buffer=0.01,0.02"], workers=1)
    assert resumed.skipped == 1 and not resumed.errors


def test_the_sweep_api_raises_interrupted_a_keyboard_interrupt(config, monkeypatch):
    import airegime.sweep

    monkeypatch.setattr(
        airegime.sweep, "run_point", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt)
    )
    with pytest.raises(Interrupted, match="0 of 2 points are finished") as info:
        run_sweep(config, ["cash_buffer=0.01,0.02"], workers=1)
    assert isinstance(info.value, KeyboardInterrupt)


def test_api_errors_name_api_arguments_not_cli_options(config):
    with pytest.raises(ConfigError) as info:
        run_backtest(config, ["rebalance=hourly"], save=False)
    assert "--set" not in str(info.value) and "(with overrides)" in str(info.value)
    with pytest.raises(DataError, match="strict_dates to trim"):
        run_backtest(config, ["start=2010-01-01"], save=False, strict_dates=True)


def test_an_unreadable_config_is_one_line(project):
    folder = project / "backtests" / "a-folder.yaml"
    folder.mkdir()
    out = runner.invoke(app, ["run", str(folder)])
    assert out.exit_code == 2 and "a-folder.yaml" in one_line(out)


def test_a_damaged_run_folder_is_a_results_error(config, project):
    result = run_backtest(config, results_root=project / "results", tearsheet=False)
    (result.run_dir / "returns.csv").write_text("garbage")
    with pytest.raises(ResultsError, match="cannot read the run folder"):
        RunResult.load(result.run_dir)
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    assert metrics  # the other files are untouched


# --- 6. real-world price files (issue #18) -----------------------------------------------------


def run_quietly(config: Path, *args: str):
    return run(config, "--no-portfolio", *args)


def edit_prices(path: Path, change) -> None:
    frame = pd.read_csv(path, index_col="date", parse_dates=["date"])
    change(frame).to_csv(path, float_format="%.6f")


def test_a_calm_path_after_a_date_changes_no_decision_before_it(config, prices):
    """A shell (flat through 2019, a stock from 2020) whose later prices are calmed."""
    days = pd.read_csv(prices / "NVDA.csv", parse_dates=["date"])["date"]
    rng = np.random.default_rng(5)
    flat = days.dt.year == 2019
    log = np.where(flat, rng.normal(0, 0.003, len(days)), rng.normal(0, 0.04, len(days)))
    shell = pd.DataFrame({"date": days, "adj_close": 10 * np.exp(np.cumsum(log))})
    shell.to_csv(prices / "SHL.csv", index=False, float_format="%.6f")
    cut = pd.Timestamp("2020-02-14")
    overrides = ["universe=[NVDA, MSFT, SHL]", "rebalance=monthly"]
    before = run_backtest(config, overrides, save=False)
    later = (shell["date"] > cut).to_numpy()
    calm = shell["adj_close"].to_numpy().copy()
    calm[later] = calm[~later][-1] * np.exp(np.cumsum(rng.normal(0, 0.001, later.sum())))
    shell.assign(adj_close=calm).to_csv(prices / "SHL.csv", index=False, float_format="%.6f")
    after = run_backtest(config, overrides, save=False)
    pd.testing.assert_frame_equal(before.targets.loc[:cut], after.targets.loc[:cut])
    assert before.targets.loc[:cut, "SHL"].gt(0).all()  # flat, noted, and tradable
    assert any(
        "SHL.csv: 2019-01-02..2020-01-08 trades flat" in n for n in before.provenance["notes"]
    )


def as_yfinance_history(path: Path) -> None:
    """Rewrite a close-only file as a yfinance ``history()`` export with UTC offsets."""
    frame = pd.read_csv(path, parse_dates=["date"])
    stamps = frame["date"].dt.tz_localize("America/New_York").dt.strftime("%Y-%m-%d %H:%M:%S%z")
    close = frame["adj_close"]
    pd.DataFrame(
        {
            "Date": stamps.str.replace(r"(\d\d)(\d\d)$", r"\1:\2", regex=True),
            "Open": close,
            "High": close,
            "Low": close,
            "Close": close,
            "Adj Close": close,
            "Volume": 1000,
            "Dividends": 0.0,
            "Stock Splits": 0.0,
        }
    ).to_csv(path, index=False)


def test_yfinance_history_exports_with_utc_offsets_run_like_plain_dates(config, prices):
    plain = run_backtest(config, ["execution.fill=next_close"], save=False)
    for ticker in TICKERS:
        as_yfinance_history(prices / f"{ticker}.csv")
    assert "2020-03-06 00:00:00-05:00" in (prices / "NVDA.csv").read_text()
    assert "2020-03-09 00:00:00-04:00" in (prices / "NVDA.csv").read_text()
    exported = run_backtest(config, ["execution.fill=next_close"], save=False)
    pd.testing.assert_frame_equal(plain.targets, exported.targets)
    pd.testing.assert_series_equal(plain.returns, exported.returns)


def test_a_week_missing_from_every_file_is_refused_naming_calendar_and_limit(
    config, prices, project
):
    for ticker in TICKERS:
        edit_prices(
            prices / f"{ticker}.csv", lambda f: f.drop(f.loc["2020-05-11":"2020-05-15"].index)
        )
    out = run_quietly(config)
    assert out.exit_code == 2
    line = one_line(out)
    assert "NVDA.csv: no price on 5 XNYS sessions 2020-05-11..2020-05-15 inside the series" in line
    assert "set data.calendar" in line and "data.checks.max_fill_days (now 3)" in line
    assert nothing_written(project)
    allowed = run_quietly(config, "--set", "data.checks.max_fill_days=5")
    assert allowed.exit_code == 0, allowed.output
    assert "no price on 2020-05-11, 2020-05-12" in " ".join(allowed.output.split())


def test_shanghai_files_run_on_the_shanghai_calendar_and_not_on_the_nyse_one(config, project):
    from airegime.data.price_checks import exchange_sessions

    days = exchange_sessions("XSHG", pd.Timestamp("2019-06-03"), pd.Timestamp("2021-03-31"))
    folder = project / "shanghai"
    rng = np.random.default_rng(8)
    for ticker in ("600519", "601318", "000300"):
        values = 100 * np.exp(np.cumsum(rng.normal(0, 0.015, len(days))))
        pd.DataFrame({"date": days.date, "adj_close": values}).to_csv(
            folder.mkdir(exist_ok=True) or folder / f"{ticker}.csv", index=False
        )
    sets = ["--set", f"data.path={folder}", "--set", "universe=['600519', '601318']"]
    sets += ["--set", "benchmark='000300'"]
    refused = run_quietly(config, *sets)
    assert refused.exit_code == 2
    assert "600519.csv: no price on 5 XNYS sessions 2019-10-01..2019-10-07" in one_line(refused)
    shanghai = run_quietly(config, *sets, "--set", "data.calendar=XSHG")
    assert shanghai.exit_code == 0, shanghai.output


def test_an_unadjusted_split_is_refused_unless_declared_or_listed(config, prices, project):
    right = run_backtest(config, save=False)
    split = pd.Timestamp("2020-07-20")
    edit_prices(prices / "NVDA.csv", lambda f: f.mul(np.where(f.index < split, 4.0, 1.0), axis=0))
    out = run_quietly(config)
    assert out.exit_code == 2
    line = one_line(out)
    assert "NVDA.csv: -7" in line and "on 2020-07-20" in line and "of a 4:1 split" in line
    assert line.endswith("set data.known_moves: {NVDA: [2020-07-20]}")
    declared = run_backtest(config, ["data.known_moves={NVDA: [2020-07-20]}"], save=False)
    assert declared.returns.min() < -0.35  # taken as a real move, as declared
    with (project / "data" / "splits.csv").open("a") as splits:
        splits.write("NVDA,2020-07-20,4\n")
    listed = run_backtest(config, save=False)
    pd.testing.assert_series_equal(listed.returns, right.returns, rtol=1e-9)
    assert any("prices before 2020-07-20 divided by 4" in n for n in listed.provenance["notes"])


@pytest.fixture
def bars(prices) -> Path:
    """The fixture's files as full bars (open 1% below the close, high/low around it)."""
    for ticker in TICKERS:
        frame = pd.read_csv(prices / f"{ticker}.csv")
        close = frame["adj_close"]
        frame = frame.assign(open=close * 0.99, high=close * 1.02, low=close * 0.97, close=close)
        frame.assign(volume=1000)[
            ["date", "open", "high", "low", "close", "adj_close", "volume"]
        ].to_csv(prices / f"{ticker}.csv", index=False, float_format="%.6f")
    return prices


def test_a_blank_open_on_a_fill_day_is_noted_and_fills_at_that_close(config, bars):
    path = bars / "NVDA.csv"
    frame = pd.read_csv(path)
    frame.loc[frame["date"] == "2020-04-02", "open"] = np.nan  # fill day of 2020-04-01
    frame.to_csv(path, index=False, float_format="%.6f")
    out = run_quietly(config)
    assert out.exit_code == 0, out.output
    assert f"{path}: open blank on 2020-04-02 (the close is there)" in " ".join(out.output.split())
    result = run_backtest(config, save=False)
    fill = result.trades[
        (result.trades["date"] == "2020-04-02") & (result.trades["ticker"] == "NVDA")
    ]
    close = frame.loc[frame["date"] == "2020-04-02", "adj_close"].item()
    side = np.sign(fill["shares"].item())
    assert fill["price"].item() == pytest.approx(close * (1 + side * 5e-4), rel=1e-9)


def test_a_close_only_benchmark_among_full_bars_says_why_fills_use_the_next_close(
    config, bars, prices
):
    close = pd.read_csv(prices / "SPY.csv")[["date", "adj_close"]]
    close.to_csv(prices / "SPY.csv", index=False)
    out = run_quietly(config)
    assert out.exit_code == 0, out.output
    text = " ".join(out.output.split())
    assert "fill rule next_close" in text
    assert "SPY.csv: close-only (date,adj_close) beside full-bar files" in text


def test_a_folder_without_the_factor_etfs_runs_a_rule_that_needs_none(config, prices):
    out = run(config, "--set", "strategy.name=china_underweight")
    assert out.exit_code == 0, out.output
    assert (
        f"portfolio page: no prices for SOXX, KWEB, FXI, MCHI, TLT in data.path {prices}, so "
        "their rolling betas are left out and so is the market-implied China share"
    ) in " ".join(out.output.split())


def test_a_rule_whose_series_are_missing_is_one_line_naming_it(config, prices, project):
    out = run_quietly(
        config,
        "--set",
        "strategy.name=china_underweight",
        "--set",
        "strategy.params.china_measure=market",
    )
    assert out.exit_code == 2
    assert one_line(out).endswith(
        "strategy china_underweight: china_measure: market (the rolling China beta) needs "
        f"prices of SPY, SOXX and one of KWEB, FXI, MCHI; data.path {prices} has no SOXX, KWEB, "
        "FXI, MCHI; add them, or set strategy.params.china_measure: disclosed"
    )
    assert nothing_written(project)
