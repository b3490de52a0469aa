"""Output meant for scripts and shared folders: one line per path, group-readable files."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from airegime.data.cache import atomic_write_text
from airegime.paths import project_root

ROOT = project_root()


def test_result_files_get_the_permissions_of_any_new_file(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "metrics.json", "{}")
    finally:
        os.umask(old)
    assert oct((tmp_path / "metrics.json").stat().st_mode & 0o777) == oct(0o644)


@pytest.mark.slow
def test_piped_output_keeps_each_path_on_one_line(tmp_path):
    deep = tmp_path / ("a folder name long enough to pass eighty columns " * 2).strip()
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    config = str(ROOT / "backtests" / "quickstart.yaml")
    args = ["run", config, "--results-dir", str(deep), "--no-tearsheet", "-s", "start=2025-01-01"]
    out = subprocess.run(
        [sys.executable, "-m", "airegime.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    last = out.stdout.strip().splitlines()[-1]
    assert last.startswith("portfolio: ") and last.endswith("portfolio.html")
    assert os.path.isfile(last.removeprefix("portfolio: "))
    folder = [ln for ln in out.stdout.splitlines() if ln.startswith("run folder: ")]
    assert os.path.isdir(folder[0].removeprefix("run folder: "))


def test_paths_are_printed_as_they_are_not_as_rich_markup(tmp_path):
    from typer.testing import CliRunner

    from airegime.cli import app

    missing = tmp_path / "[red]plan:x:.yaml"
    out = CliRunner().invoke(app, ["run", str(missing)])
    assert out.exit_code == 2
    assert f"{missing}: config file not found" in out.output
