"""Shared fixtures: the project root, the shared market data, tiny synthetic price sets."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "market-data"


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never touch the network: the HTTP and yfinance boundaries raise if reached."""

    def blocked(*args, **kwargs):
        raise RuntimeError("network access in a test: mock the boundary instead")

    import requests
    import yfinance

    monkeypatch.setattr(yfinance, "download", blocked)
    monkeypatch.setattr(yfinance, "Ticker", blocked)
    monkeypatch.setattr(requests.Session, "request", blocked)


@pytest.fixture
def shared_data() -> Path:
    """The development data beside the repo; tests that need it skip when it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"shared market data not found at {SHARED}")
    return SHARED


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A throwaway project folder with the real reference tables, used as AIREGIME_HOME."""
    monkeypatch.setenv("AIREGIME_HOME", str(make_project(tmp_path)))
    return tmp_path


def make_project(folder: Path) -> Path:
    """``folder`` as a project: the real reference tables in data/, an empty backtests/."""
    (folder / "data").mkdir()
    for item in (ROOT / "data").iterdir():
        if item.name != "cache":
            (shutil.copytree if item.is_dir() else shutil.copy)(item, folder / "data" / item.name)
    (folder / "backtests").mkdir()
    return folder


def write_closes(folder: Path, closes: dict[str, list[float]], dates: list[str]) -> Path:
    """Close-only per-ticker CSVs (``date,adj_close``) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for ticker, values in closes.items():
        frame = pd.DataFrame({"date": dates[: len(values)], "adj_close": values})
        frame.dropna().to_csv(folder / f"{ticker}.csv", index=False)
    return folder


def write_config(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.fixture
def csv_config(project: Path, tmp_path: Path) -> Path:
    """``backtests/user.yaml`` of a throwaway project: equal weight of NVDA and MSFT against
    SPY in 2020, quarterly, on close-only CSVs cut from the bundled sample (runs in ~1 s)."""
    return make_csv_config(project, tmp_path / "prices")


def make_csv_config(project: Path, folder: Path) -> Path:
    """The config of :func:`csv_config` in ``project``, its CSVs written to ``folder``."""
    import yaml

    from airegime.data.prices import load_sample

    folder.mkdir()
    close = load_sample(["NVDA", "MSFT", "SPY"]).close.loc["2019-06-01":"2020-12-31"]
    for ticker in close.columns:
        frame = close[ticker].rename("adj_close").rename_axis("date").reset_index()
        frame.to_csv(folder / f"{ticker}.csv", index=False)
    text = {
        "name": "user",
        "strategy": {"name": "equal_weight"},
        "universe": ["NVDA", "MSFT"],
        "start": "2020-01-01",
        "end": "2020-12-31",
        "data": {"source": "csv", "path": str(folder)},
        "rebalance": "quarterly",
    }
    path = project / "backtests" / "user.yaml"
    path.write_text(yaml.safe_dump(text))
    return path
