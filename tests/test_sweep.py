"""Sweeps: grids, parallel points, resume after interruption, failures, ranking, Dask."""

from __future__ import annotations

import json
import time

import pandas as pd
import pytest
import yaml

from airegime import RunResult
from airegime.errors import ConfigError
from airegime.sweep import expand, parse_grid, run_sweep
from tests.conftest import write_config

BASE = """\
name: sw
strategy: {name: article_composite}
universe: fundamentals_covered
start: 2023-06-01
end: 2024-12-31
"""


@pytest.fixture
def config(project):
    return write_config(project / "backtests" / "sw.yaml", BASE)


def test_grid_items_parse_values_as_yaml():
    assert parse_grid(["a.b=1,2.5,x", "c=true"]) == {"a.b": [1, 2.5, "x"], "c": [True]}
    with pytest.raises(ConfigError, match="expected KEY=V1,V2"):
        parse_grid(["a.b"])


def test_expansion_is_the_cartesian_product_and_validates_each_point():
    base = {
        "name": "x",
        "strategy": {"name": "article_composite"},
        "universe": "ai_us",
        "start": "2020-01-01",
        "end": "2021-01-01",
    }
    points = expand(
        base, {"strategy.params.top_n": [3, 5], "strategy.params.w_capex": [0, 1]}, "x.yaml"
    )
    assert len(points) == 4 and len({p.point_id for p in points}) == 4
    assert points[0].config["strategy"]["params"]["max_china_share"] == 0.35  # defaults filled
    with pytest.raises(ConfigError, match="top_n"):
        expand(base, {"strategy.params.top_n": [0]}, "x.yaml")


def test_dates_can_be_swept_like_any_value():
    base = {"name": "x", "strategy": {"name": "equal_weight"}, "universe": "ai_us"}
    base |= {"start": "2020-01-01", "end": "2021-01-01"}
    points = expand(base, parse_grid(["start=2020-01-01,2020-06-01"]), "x.yaml")
    assert [p.config["start"] for p in points] == ["2020-01-01", "2020-06-01"]


@pytest.mark.parametrize("split", ["2030-01-01", "2023-06-10", "not-a-date"])
def test_a_split_outside_the_window_is_refused_before_any_point_runs(config, project, split):
    with pytest.raises(ConfigError, match=f"split {split}: "):
        run_sweep(config, ["strategy.params.top_n=3,5"], split=split)
    assert not (project / "results").exists() or not any((project / "results").rglob("p-*"))


def two_point_folders(folder):
    """Two finished sweep points (600 business days from 2024-01-01) in ``folder``."""
    import numpy as np

    from airegime.sweep import SweepPoint

    dates = pd.bdate_range("2024-01-01", periods=600, name="date")
    rng = np.random.default_rng(0)
    points = []
    for n, drift in enumerate((0.001, 0.002)):
        point = folder / f"p-{n}"
        point.mkdir()
        daily = rng.normal(drift, 0.01, len(dates))
        pd.DataFrame({"strategy": daily, "benchmark": 0.0}, index=dates).to_csv(
            point / "returns.csv"
        )
        metrics = {"sharpe": drift, "cagr": drift, "max_drawdown": 0.0, "periods_per_year": 252}
        (point / "metrics.json").write_text(json.dumps(metrics))
        (point / "config.yaml").write_text("engine: vector\n")
        points.append(SweepPoint(f"p-{n}", {"top_n": n}, {}))
    return points


@pytest.mark.parametrize("with_report", [True, False])
def test_a_split_the_points_returns_leave_one_side_empty_is_refused_in_one_line(
    tmp_path, with_report
):
    """Also by the ranking that only picks the points to confirm, so the refusal comes
    before the confirmations, not after them."""
    from airegime.sweep import rank

    points = two_point_folders(tmp_path)
    message = r"split 2027-01-01: the points' returns run 2024-01-01..2026-04-17, so nothing"
    with pytest.raises(ConfigError, match=message):
        rank(points, tmp_path, "sharpe", "2027-01-01", None, {}, None, with_report)
    ranking, report = rank(points, tmp_path, "sharpe", "2025-01-01", None, {}, None, with_report)
    assert sorted(ranking["point"]) == ["p-0", "p-1"]
    assert ranking["is_sharpe"].is_monotonic_decreasing
    assert ("split" in report) == with_report


@pytest.mark.parametrize("with_report", [True, False])
def test_walk_forward_windows_longer_than_the_returns_are_refused_in_one_line(
    tmp_path, with_report
):
    from airegime.sweep import rank

    points = two_point_folders(tmp_path)
    message = r"walk_forward 600:20: the training window is 600 days but the points have 600"
    with pytest.raises(ConfigError, match=message):
        rank(points, tmp_path, "sharpe", None, (600, 20), {}, None, with_report)
    _, report = rank(points, tmp_path, "sharpe", None, (500, 20), {}, None, with_report)
    assert len(report["walk_forward"]["windows"]) == 5 if with_report else report == {}


def test_a_sweep_writes_normal_run_folders_and_a_ranking(config):
    result = run_sweep(
        config, ["strategy.params.top_n=3,5"], metric="sharpe", workers=2, split="2024-06-30"
    )
    assert (result.directory / "ranking.csv").is_file()
    assert "<table" in (result.directory / "ranking.html").read_text()
    ranking = pd.read_csv(result.directory / "ranking.csv")
    assert ranking["status"].tolist() == ["ok", "ok"]
    assert ranking["is_sharpe"].is_monotonic_decreasing  # chosen on the in-sample part
    run = RunResult.load(result.directory / "points" / ranking["point"][0])
    assert run.config.strategy.params["top_n"] in (3, 5)
    report = json.loads((result.directory / "overfitting.json").read_text())
    assert {"deflated_sharpe", "pbo", "split"} <= set(report)
    assert report["split"]["chosen_in_sample"] == ranking["point"][0]


def test_every_point_is_tested_against_equal_weight_on_the_dates_it_was_chosen_on(config):
    result = run_sweep(config, ["strategy.params.top_n=3,5"], split="2024-06-30", confirm=0)
    spa = json.loads((result.directory / "overfitting.json").read_text())["spa"]
    assert spa["baseline"] == "equal weight on the same universe"
    assert spa["sample"] == "before the split" and spa["trials"] == 2
    assert 0 <= spa["p_consistent"] <= spa["p_upper"] <= 1
    assert (
        "Hansen's SPA test against equal weight" in (result.directory / "ranking.html").read_text()
    )


def test_a_sweep_on_the_sample_says_the_defaults_were_chosen_on_it(config):
    result = run_sweep(config, ["strategy.params.top_n=3,5"], confirm=0)
    assert "chosen on the bundled sample" in result.report["in_sample"]
    assert "the earlier tries that set the" in (result.directory / "ranking.html").read_text()


def test_an_interrupted_sweep_resumes_without_losing_or_redoing_points(config):
    seen = []

    def interrupt_after_first(done, total, point, error):
        seen.append(point)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(
            config, ["strategy.params.top_n=3,4,5"], workers=1, on_progress=interrupt_after_first
        )
    rerun = []
    result = run_sweep(
        config,
        ["strategy.params.top_n=3,4,5"],
        workers=1,
        on_progress=lambda d, t, p, e: rerun.append(p),
    )
    assert result.skipped == 1 and seen[0] not in rerun and len(rerun) == 2
    assert (result.ranking["status"] == "ok").all()
    again = run_sweep(config, ["strategy.params.top_n=3,4,5"], workers=1)
    assert again.skipped == 3


@pytest.mark.parametrize(
    "first, second",
    [
        ({"split": "2024-06-30"}, {"split": "2024-03-29"}),
        ({"metric": "sharpe"}, {"metric": "cagr"}),
        ({"confirm": 0}, {"confirm": 1}),
    ],
)
def test_a_sweep_with_other_settings_never_overwrites_an_earlier_result(config, first, second):
    grid = ["strategy.params.top_n=3,5"]
    earlier = run_sweep(config, grid, workers=1, **{"confirm": 0, **first})
    page = (earlier.directory / "ranking.html").read_text()
    report = (earlier.directory / "overfitting.json").read_text()
    later = run_sweep(config, grid, workers=1, **{"confirm": 0, **second})
    assert later.directory != earlier.directory and later.skipped == 0
    assert (earlier.directory / "ranking.html").read_text() == page
    assert (earlier.directory / "overfitting.json").read_text() == report


def test_sweep_yaml_records_every_setting_that_changes_the_result(config):
    result = run_sweep(
        config, ["strategy.params.top_n=3,5"], metric="cagr", split="2024-06-30", confirm=1
    )
    record = yaml.safe_load((result.directory / "sweep.yaml").read_text())
    assert record["settings"] == {
        "metric": "cagr",
        "split": "2024-06-30",
        "walk_forward": None,
        "confirm": 1,
        "tearsheets": False,
    }


def test_a_folder_of_the_same_name_made_by_another_sweep_is_left_alone(config):
    grid = ["strategy.params.top_n=3,5"]
    earlier = run_sweep(config, grid, workers=1, confirm=0)
    record = earlier.directory / "sweep.yaml"
    record.write_text(record.read_text().replace("metric: sharpe", "metric: sortino"))
    page = (earlier.directory / "ranking.html").read_text()
    later = run_sweep(config, grid, workers=1, confirm=0)
    assert later.directory.name.endswith(earlier.directory.name) and later.skipped == 0
    assert later.directory != earlier.directory
    assert (earlier.directory / "ranking.html").read_text() == page
    assert "metric: sortino" in record.read_text()


def test_half_written_points_are_not_taken_as_finished(config):
    first = run_sweep(config, ["strategy.params.top_n=3"], workers=1)
    point = first.directory / "points" / first.ranking["point"][0]
    (point / "metrics.json").unlink()
    (first.directory / "points" / ".tmp-p-dead-123").mkdir()
    # The rerun runs the point again but never overwrites the folder it did not make: it
    # reports it, and the stale temporary folder of an interrupted run is cleaned away.
    result = run_sweep(config, ["strategy.params.top_n=3"], workers=1)
    assert not (first.directory / "points" / ".tmp-p-dead-123").exists()
    assert result.skipped == 0 and result.ranking["status"].tolist() == ["failed"]
    assert "exists but is incomplete" in result.ranking["error"][0]


def test_a_failing_point_is_reported_and_does_not_stop_the_others(project):
    config = write_config(
        project / "backtests" / "flaky.yaml",
        BASE.replace("article_composite", "tests.sweep_helpers:Flaky").replace(
            "name: sw", "name: flaky"
        ),
    )
    result = run_sweep(config, ["strategy.params.fail=false,true"], workers=2)
    statuses = dict(
        zip(result.ranking["strategy.params.fail"], result.ranking["status"], strict=True)
    )
    assert statuses == {False: "ok", True: "failed"}
    assert "fails on purpose" in next(iter(result.errors.values()))


def test_grids_can_live_in_the_yaml(project):
    config = write_config(
        project / "backtests" / "y.yaml", BASE + "sweep:\n  strategy.params.top_n: [3, 4]\n"
    )
    assert len(run_sweep(config, workers=1).ranking) == 2


def loopback_problem(timeout: float = 1.0) -> str | None:
    """Why a local Dask cluster cannot work here (no loopback networking), or None.

    A listening socket on 127.0.0.1 and a connection to it, within ``timeout`` seconds:
    where loopback is down the cluster would wait 30 s before failing.
    """
    import socket

    try:
        with socket.socket() as server:
            server.settimeout(timeout)
            server.bind(("127.0.0.1", 0))
            server.listen(1)
            with socket.create_connection(server.getsockname(), timeout=timeout):
                server.accept()[0].close()
    except OSError as exc:
        return f"loopback networking unavailable ({exc}); a Dask LocalCluster needs it"
    return None


def test_a_dask_local_cluster_runs_a_small_sweep(config):
    pytest.importorskip("distributed")
    problem = loopback_problem()
    if problem:
        pytest.skip(problem)
    result = run_sweep(config, ["strategy.params.top_n=3,5"], workers=2, executor="dask")
    assert (result.ranking["status"] == "ok").all()


def test_the_loopback_probe_names_the_problem(monkeypatch):
    import socket

    def refused(*args, **kwargs):
        raise OSError(101, "Network is unreachable")

    monkeypatch.setattr(socket, "create_connection", refused)
    assert loopback_problem().startswith("loopback networking unavailable (")


def test_interrupting_parallel_workers_stops_at_once_and_resumes(config):
    def interrupt(done, total, point, error):
        raise KeyboardInterrupt

    grid = ["strategy.params.top_n=3,4,5,6"]
    with pytest.raises(KeyboardInterrupt):
        run_sweep(config, grid, workers=2, on_progress=interrupt)
    result = run_sweep(config, grid, workers=2)
    assert 1 <= result.skipped < 4
    assert (result.ranking["status"] == "ok").all() and len(result.ranking) == 4
    points = result.directory / "points"
    assert not list(points.glob(".tmp-*"))


def test_points_that_read_different_data_get_their_own_context(config):
    result = run_sweep(config, ["universe=hyperscalers,fundamentals_covered"], workers=1)
    for _, row in result.ranking.iterrows():
        run = RunResult.load(result.directory / "points" / row["point"])
        assert list(run.weights.columns) == (
            ["MSFT", "GOOGL", "AMZN", "META", "ORCL"]
            if row["universe"] == "hyperscalers"
            else run.weights.columns.tolist()
        )
        assert len(run.weights.columns) == (5 if row["universe"] == "hyperscalers" else 27)


def test_an_unknown_metric_fails_before_any_point_runs(config, project):
    with pytest.raises(ConfigError, match=r"^metric sharp: not a metric"):
        run_sweep(config, ["strategy.params.top_n=3,4"], metric="sharp")
    assert not (project / "results" / "sw").exists()


def test_points_are_screened_on_the_vector_engine_and_the_best_confirmed_on_backtrader(config):
    result = run_sweep(config, ["strategy.params.top_n=3,4,5,6"], workers=1, confirm=2)
    engines = result.ranking.set_index("rank")["engine"]
    assert engines.tolist() == ["backtrader", "backtrader", "vector", "vector"]
    best = RunResult.load(result.directory / "points" / result.ranking["point"][0])
    assert best.provenance["engine"] == "backtrader"
    again = run_sweep(config, ["strategy.params.top_n=3,4,5,6"], workers=1, confirm=2)
    assert again.skipped == 4
    pd.testing.assert_frame_equal(again.ranking, result.ranking)


def test_a_sweep_on_backtrader_keeps_the_same_point_ids(config):
    vector = run_sweep(config, ["strategy.params.top_n=3,4"], workers=1, confirm=0)
    reference = run_sweep(config, ["strategy.params.top_n=3,4"], workers=1, engine="backtrader")
    assert reference.directory == vector.directory and reference.skipped == 2
    assert set(vector.ranking["engine"]) == {"vector"}


def test_engines_that_disagree_stop_the_sweep_with_a_clear_error(config, monkeypatch):
    import airegime.engines.vector_engine as vector_engine
    from airegime.sweep import EngineMismatch

    real = vector_engine.run_vector

    def off_by_a_share(context, policy, settings):
        result = real(context, policy, settings)
        result.trades.loc[0, "shares"] += 1.0
        return result

    monkeypatch.setattr(vector_engine, "run_vector", off_by_a_share)
    with pytest.raises(EngineMismatch, match=r"disagree \(trade 0: .*--engine backtrader"):
        run_sweep(config, ["strategy.params.top_n=3,4"], workers=1, confirm=1)


def test_sweep_yaml_counts_the_rows_each_engine_made_when_a_sweep_is_resumed(config):
    grid = ["strategy.params.top_n=3,4"]
    run_sweep(config, grid, workers=1, engine="backtrader")
    resumed = run_sweep(config, grid, workers=1, confirm=0)
    record = yaml.safe_load((resumed.directory / "sweep.yaml").read_text())
    assert record["engine"] == "vector" and record["figures_from"] == {"backtrader": 2}


@pytest.mark.parametrize("workers", [1, 2])
def test_the_sweep_process_does_its_own_work_while_confirmations_run(monkeypatch, workers):
    """``meanwhile`` (the report's imports) runs once in the sweep's own process, whether
    the confirmations run side by side or one after the other."""
    import os

    from airegime import sweep

    monkeypatch.setattr(sweep, "confirm_point", lambda *item: None)
    calls = []
    sweep.confirm_points([("a", None, None, False)] * 2, workers, lambda: calls.append(os.getpid()))
    assert calls == [os.getpid()]


def test_the_sweep_process_waits_for_a_free_core_before_its_own_work(monkeypatch, tmp_path):
    """With three confirmations on two processes, ``meanwhile`` starts once two have
    finished (one process left busy), not while both processes still confirm."""
    import multiprocessing as mp

    from airegime import sweep

    if "fork" not in mp.get_all_start_methods():
        pytest.skip("confirmations run one after the other without fork")

    def confirm(point, context, folder, tearsheet):
        if point == "last":
            time.sleep(1.0)
        (tmp_path / point).write_text("confirmed")

    monkeypatch.setattr(sweep, "confirm_point", confirm)
    seen = []
    items = [("first", None, None, False), ("second", None, None, False)]
    sweep.confirm_points(
        [*items, ("last", None, None, False)],
        2,
        lambda: seen.append(sorted(p.name for p in tmp_path.iterdir())),
    )
    assert seen == [["first", "second"]]


def test_a_confirmation_that_fails_stops_the_others_without_the_sweeps_own_work(
    monkeypatch, tmp_path
):
    """A mismatch found first is raised at once: no waiting for a free core, no report
    imports, and the confirmations still running are ended before they rewrite a folder."""
    import multiprocessing as mp

    from airegime import sweep

    if "fork" not in mp.get_all_start_methods():
        pytest.skip("confirmations run one after the other without fork")

    def confirm(point, context, folder, tearsheet):
        if point == "bad":
            raise sweep.EngineMismatch("bad disagrees")
        time.sleep(3.0)
        (tmp_path / point).write_text("confirmed")

    monkeypatch.setattr(sweep, "confirm_point", confirm)
    calls = []
    items = [("bad", None, None, False), ("slow", None, None, False), ("late", None, None, False)]
    with pytest.raises(sweep.EngineMismatch, match="bad disagrees"):
        sweep.confirm_points(items, 2, lambda: calls.append("meanwhile"))
    time.sleep(3.5)  # what a process left running would have written by now
    assert calls == [] and list(tmp_path.iterdir()) == []


def test_confirmations_run_side_by_side_and_a_mismatch_reaches_the_caller(monkeypatch):
    """The best points are confirmed on backtrader in forked workers; what one raises (a
    vector engine that disagrees) is raised in the sweep's own process."""
    import multiprocessing as mp
    import os

    from airegime import sweep

    if "fork" not in mp.get_all_start_methods():
        pytest.skip("confirmations run one after the other without fork")
    parent = os.getpid()

    def confirm(point, context, folder, tearsheet):
        if point == "bad":
            raise sweep.EngineMismatch(f"{point} disagrees (pid {os.getpid() != parent})")

    monkeypatch.setattr(sweep, "confirm_point", confirm)
    sweep.confirm_points([("good", None, None, False)] * 2, workers=2)
    with pytest.raises(sweep.EngineMismatch, match=r"bad disagrees \(pid True\)"):
        sweep.confirm_points([("good", None, None, False), ("bad", None, None, False)], 2)
