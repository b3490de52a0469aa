"""Run directories: every file, never overwritten, reproducible from the snapshot."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from airegime import RunResult, run_backtest
from tests.conftest import ROOT, write_config

ROOT_DATA = ROOT / "airegime" / "sample"

SHORT = """\
name: short
strategy: {name: equal_weight}
universe: [NVDA, MSFT, AVGO]
start: 2024-01-01
end: 2024-12-31
"""


@pytest.fixture
def short_config(project):
    return write_config(project / "backtests" / "short.yaml", SHORT)


def test_a_run_writes_every_file_and_a_loadable_snapshot(short_config, project):
    result = run_backtest(short_config, tearsheet=False)
    assert result.run_dir.parent == project / "results" / "short"
    for name in (
        "config.yaml",
        "returns.csv",
        "weights.csv",
        "targets.csv",
        "trades.csv",
        "metrics.json",
    ):
        assert (result.run_dir / name).is_file(), name
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    for key in ("cagr", "sharpe", "sortino", "max_drawdown", "volatility", "turnover", "exposure"):
        assert key in metrics
    snapshot = yaml.safe_load((result.run_dir / "config.yaml").read_text())
    assert snapshot["provenance"]["data_fingerprint"] == result.provenance["data_fingerprint"]
    assert snapshot["provenance"]["versions"]["backtrader"] == "1.9.78.123"
    assert snapshot["costs"] == {"commission_bps": 5.0, "slippage_bps": 5.0}


def test_rerunning_the_snapshot_reproduces_the_returns(short_config):
    first = run_backtest(short_config, ["costs.commission_bps=3"], tearsheet=False)
    again = run_backtest(first.run_dir / "config.yaml", tearsheet=False)
    assert again.run_dir != first.run_dir
    pd.testing.assert_series_equal(first.returns, again.returns)
    assert again.config.costs.commission_bps == 3
    assert not any("data changed" in n for n in again.provenance["notes"])


@pytest.fixture
def relative_csv_config(project, monkeypatch):
    """A csv config whose data.path is relative (``prices``), run from the project folder."""
    from tests.conftest import make_csv_config

    config = make_csv_config(project, project / "prices")
    raw = yaml.safe_load(config.read_text())
    raw["data"]["path"] = "prices"
    config.write_text(yaml.safe_dump(raw))
    monkeypatch.chdir(project)
    return config


def test_a_relative_data_path_is_recorded_absolute_in_the_run_folder(relative_csv_config, project):
    result = run_backtest(relative_csv_config, tearsheet=False)
    saved = yaml.safe_load((result.run_dir / "config.yaml").read_text())
    assert saved["data"]["path"] == str(project / "prices")
    assert result.config.data.path == "prices"  # the config as given is unchanged


def test_a_run_folder_with_a_relative_data_path_reruns_from_another_directory(
    relative_csv_config, project, monkeypatch
):
    first = run_backtest(relative_csv_config, tearsheet=False)
    elsewhere = project / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    again = run_backtest(first.run_dir / "config.yaml", tearsheet=False)
    pd.testing.assert_series_equal(first.returns, again.returns)


def test_runs_never_overwrite_each_other(short_config):
    dirs = {run_backtest(short_config, tearsheet=False).run_dir for _ in range(3)}
    assert len(dirs) == 3


def test_a_run_dir_loads_back_into_a_result(short_config):
    result = run_backtest(short_config, tearsheet=False)
    loaded = RunResult.load(result.run_dir)
    pd.testing.assert_series_equal(
        loaded.returns, result.returns, check_freq=False, check_names=False, atol=1e-12
    )
    assert loaded.metrics == result.metrics


def test_weights_are_daily_and_sum_to_the_invested_share(short_config):
    result = run_backtest(short_config, save=False)
    total = result.weights.sum(axis=1)
    assert total.iloc[5:].between(0.97, 1.0).all()  # 1% cash buffer, small drift
    assert result.weights.index.equals(
        pd.DatetimeIndex(result.returns.index.insert(0, result.weights.index[0]))
    )


def test_a_changed_data_set_is_noticed(short_config):
    first = run_backtest(short_config, tearsheet=False)
    snapshot = yaml.safe_load((first.run_dir / "config.yaml").read_text())
    snapshot["provenance"]["data_fingerprint"] = "0000"
    (first.run_dir / "config.yaml").write_text(yaml.safe_dump(snapshot))
    again = run_backtest(first.run_dir / "config.yaml", save=False)
    assert "data changed" in again.provenance["notes"][0]


def test_a_changed_fundamentals_file_changes_the_fingerprint(project):
    facts = project / "facts.csv"
    pd.read_csv(ROOT_DATA / "fundamentals.csv.gz", dtype=str).to_csv(facts, index=False)
    config = write_config(
        project / "backtests" / "bs.yaml",
        SHORT.replace("equal_weight", "balance_sheet_quality") + f"data: {{fundamentals: csv, "
        f"fundamentals_path: {facts}}}\n",
    )
    first = run_backtest(config, save=False).provenance["data_fingerprint"]
    frame = pd.read_csv(facts, dtype=str)
    frame.loc[frame.index[frame["ticker"] == "NVDA"][0], "value"] = "1"  # a fact the run used
    frame.to_csv(facts, index=False)
    assert run_backtest(config, save=False).provenance["data_fingerprint"] != first


def test_a_staged_folder_may_replace_an_existing_one_only_when_asked(tmp_path):
    from airegime.results import staged_dir

    final = tmp_path / "point"
    final.mkdir()
    (final / "old.txt").write_text("screened")
    with pytest.raises(FileExistsError):
        with staged_dir(final):
            pass
    with staged_dir(final, replace=True) as tmp:
        (tmp / "new.txt").write_text("confirmed")
    assert [p.name for p in final.iterdir()] == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["point"]  # no staging folder left


def test_wide_tables_are_written_as_pandas_writes_them():
    """weights.csv and targets.csv take a faster path for hundreds of names: same bytes."""
    import numpy as np

    from airegime.results import _float_table_csv, _plain_float_table

    rng = np.random.default_rng(0)
    values = rng.random((60, 30))
    values[values < 0.6] = 0.0
    values[1, 3], values[2, 1], values[3, 2] = np.nan, -0.0, 1e-17
    values[4, 0], values[5, 5], values[6, 6] = 123456789.123, np.inf, -3.5
    values[20:40] = np.where(values[20] > 0, rng.random((20, 30)), values[20])  # one pattern
    values[25, 7], values[30, :] = np.nan, 0.0
    dates = pd.bdate_range("2016-01-01", periods=60, name="date")
    frame = pd.DataFrame(values, index=dates, columns=[f"S{i}" for i in range(30)])
    assert _plain_float_table(frame)
    assert _float_table_csv(frame) == frame.to_csv(float_format="%.10g")


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_a_date_index_at_midnight_is_recognised_in_every_resolution(unit):
    """pandas 3 reads dates in seconds or microseconds: a table by date still takes the
    fast path, and a time of day still keeps it out."""
    from airegime.results import _at_midnight

    dates = pd.DatetimeIndex(["2016-01-04", "2016-01-05"]).as_unit(unit)
    assert _at_midnight(dates)
    assert not _at_midnight(dates + pd.Timedelta(seconds=1))
    assert not _at_midnight(pd.DatetimeIndex(["2016-01-04", None]).as_unit(unit))


@pytest.mark.parametrize(
    "change",
    [
        lambda f: f.tz_localize("America/New_York"),  # pandas writes the offset
        lambda f: f.rename_axis(0),  # an index named 0
        lambda f: f.set_axis([1, 2.5], axis=1),  # names that are numbers
        lambda f: f.set_axis(["A", None], axis=1),
        lambda f: f.set_axis(["Société, SA", "B"], axis=1),  # quoted, not ASCII
    ],
)
def test_tables_the_fast_writer_would_print_otherwise_are_left_to_pandas(tmp_path, change):
    from airegime.results import _plain_float_table, _write_csv

    frame = pd.DataFrame(
        {"A": [0.5, 0.0], "B": [0.25, float("nan")]},
        index=pd.DatetimeIndex(["2016-01-04", "2016-01-05"], name="date"),
    )
    assert _plain_float_table(frame)
    odd = change(frame)
    assert not _plain_float_table(odd)
    _write_csv(tmp_path / "t.csv", odd)
    expected = odd.to_csv(float_format="%.10g", lineterminator="\n").encode("utf-8")
    assert (tmp_path / "t.csv").read_bytes() == expected


def test_run_folder_files_are_utf8_whatever_the_locale(tmp_path):
    """pandas writes CSV files in UTF-8 and configs are read as UTF-8: a run folder is
    written so under a C locale too."""
    import os
    import subprocess
    import sys

    code = (
        "import pandas as pd, sys; from pathlib import Path; "
        "from airegime.results import _write_csv; "
        "f = pd.DataFrame({'Soci\\u00e9t\\u00e9, SA': [1.0]}, "
        "index=pd.DatetimeIndex(['2016-01-04'])); "
        "_write_csv(Path(sys.argv[1]) / 't.csv', f)"
    )
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONIOENCODING": ""}
    env["PYTHONCOERCECLOCALE"] = "0"
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "t.csv").read_bytes() == b',"Soci\xc3\xa9t\xc3\xa9, SA"\n2016-01-04,1\n'


def test_a_staging_folder_gets_the_same_files_written_directly(short_config, tmp_path):
    """Inside a staging folder (renamed into place whole) the tables are written straight
    into their files, with no temporary file per table: the same bytes as anywhere else."""
    from airegime.results import staged_dir

    result = run_backtest(short_config, tearsheet=False, portfolio=False)
    result.save(tmp_path / "plain")
    with staged_dir(tmp_path / "staged") as stage:
        result.save(stage)
        assert sorted(p.name for p in stage.iterdir()) == sorted(
            p.name for p in (tmp_path / "plain").iterdir()
        )
    for path in (tmp_path / "plain").iterdir():
        assert (tmp_path / "staged" / path.name).read_bytes() == path.read_bytes(), path.name


def test_trade_records_are_written_as_pandas_writes_them():
    """trades.csv takes a faster path (a sweep writes a thousand): the same bytes."""
    import numpy as np

    from airegime.results import _plain_records, _records_csv

    trades = pd.DataFrame(
        {
            "date": pd.to_datetime(["2016-01-05", "2016-01-05", "2016-02-01", "2016-02-01"]),
            "ticker": ["META", "NVDA", "000300", "BRK-B"],
            "shares": [1628.340563123, -0.0, 3.0, -12.5],
            "price": [101.88665, 1e300, 5e-324, 36.720988],
            "value": [165906.164792, np.inf, 0.1 + 0.2, -1.0],
            "commission": [82.953082, 0.0, 1e-17, 3.0],
        }
    )
    assert _plain_records(trades)
    assert _records_csv(trades) == trades.to_csv(index=False, float_format="%.10g")
    empty = trades.iloc[:0]
    assert _records_csv(empty) == empty.to_csv(index=False, float_format="%.10g")


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.assign(ticker=["A,B", "X", "Y", "Z"]),  # needs quoting
        lambda t: t.assign(price=[1.0, float("nan"), 2.0, 3.0]),  # a gap
        lambda t: t.assign(date=t["date"] + pd.Timedelta(hours=1)),  # not at midnight
        lambda t: t.assign(shares=[1, 2, 3, 4]),  # integers
    ],
)
def test_trade_records_pandas_must_format_are_left_to_pandas(change):
    from airegime.results import _plain_records

    trades = pd.DataFrame(
        {
            "date": pd.to_datetime(["2016-01-05"] * 4),
            "ticker": ["A", "B", "C", "D"],
            "shares": [1.0, 2.0, 3.0, 4.0],
            "price": [1.0, 2.0, 3.0, 4.0],
        }
    )
    assert _plain_records(trades)
    assert not _plain_records(change(trades))


@pytest.mark.parametrize(
    "entry",
    [
        {"scores": {"composite": "SHARED"}},
        {"scores": {"composite": "SHARED"}, "excluded": {"A": "r"}, "untradable": ["B"]},
        {"signals": {"x": 1.0}, "scores": {"composite": "SHARED", "raw": {"A": 1}}},
    ],
)
def test_diagnostics_json_is_json_dumps_whatever_the_order_of_its_parts(entry):
    import json

    import numpy as np

    from airegime.asof import scores_record
    from airegime.results import _entry_json

    shared = scores_record(["A", "B"], np.array([0.5, np.nan]))
    entry = {**entry, "scores": {**entry["scores"], "composite": shared}}
    assert _entry_json(entry) == json.dumps(entry)


@pytest.mark.parametrize(
    "edit",
    [
        lambda shared, copy: shared.__setitem__("A", 9.0),  # the shared record, once rendered
        lambda shared, copy: copy.__setitem__("B", -0.0),  # equal to the shared one, not alike
        lambda shared, copy: copy.__setitem__("A", 2),
        lambda shared, copy: copy.update({"A": 2.0, "C": None}),
        lambda shared, copy: copy.pop("A"),
        lambda shared, copy: copy.clear(),
    ],
)
def test_a_shared_score_record_or_its_copy_renders_what_it_holds_after_an_edit(edit):
    """A strategy may edit a record it shares, or the copy its view keeps: the text in
    diagnostics.json is json.dumps of what each holds, never a stale shared text."""
    import json

    import numpy as np

    from airegime.asof import scores_record

    shared = scores_record(["A", "B"], np.array([2.0, 0.0]))
    shared.as_json()
    copy = shared.copy_for_view()
    edit(shared, copy)
    later = shared.copy_for_view()
    for record in (shared, copy, later, copy.copy_for_view()):
        assert record.as_json() == json.dumps(record)


def test_diagnostics_json_with_shared_scores_is_json_dumps_of_it():
    """Scores a strategy shares across sweep points render their JSON once: same text."""
    import json

    import numpy as np

    from airegime.asof import scores_record
    from airegime.results import _diagnostics_json

    shared = scores_record(["NVDA", "ASML", "ÄÖ"], np.array([1.23456789, np.nan, -0.5]))
    entry = {
        "scores": {"composite": shared, "china_share": {"NVDA": 0.17}},
        "excluded": {"ASML": "no data for capex"},
        "components": {"NVDA": [2, 3]},
        "notes": ["top 6 of 10 eligible"],
    }
    diagnostics = {"2020-01-02": entry, "2020-02-03": {"notes": ["x"]}}
    expected = (
        "{\n"
        + ",\n".join(f"{json.dumps(d)}: {json.dumps(e)}" for d, e in diagnostics.items())
        + "\n}"
    )
    assert _diagnostics_json(diagnostics) == expected
    assert json.loads(_diagnostics_json(diagnostics))["2020-01-02"]["scores"]["composite"] == {
        "NVDA": 1.234568,
        "ASML": None,
        "ÄÖ": -0.5,
    }


@pytest.mark.parametrize(
    "text",
    [
        "plain ASCII on a long line " * 8,
        "Ünïcode, López " * 8,
        "a tab\there, a carriage\rreturn, a form\x0cfeed " * 4,
        "two lines\nof a description",
    ],
)
def test_run_snapshots_are_written_as_safe_dump_writes_them(text):
    """config.yaml goes through libyaml's emitter when PyYAML has it: the same text."""
    import yaml

    from airegime.data.yaml_reader import dump_yaml

    snapshot = {
        "name": "x",
        "description": text,
        "universe": ["000300", "NVDA"],
        "params": {"top_n": 6, "w": 0.5, "none": None, "flag": True, "when": "2016-01-01"},
        "notes": ["a: b", "- dash", "quote ' and \" marks", "", text],
        text: "the text as a key",
    }
    assert dump_yaml(snapshot) == yaml.safe_dump(snapshot, sort_keys=False)
