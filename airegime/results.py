"""Run directories: the unit of reproducibility.

``results/<config name>/<run id>/`` holds ``config.yaml`` (the resolved config
with a ``provenance`` block: package versions, data fingerprint, fill rule),
``returns.csv``, ``weights.csv``, ``targets.csv``, ``trades.csv``,
``metrics.json``, ``diagnostics.json`` (per rebalance date, why the strategy chose
its weights), the portfolio exposure tables (see :mod:`airegime.exposures`),
``tearsheet.html`` and ``portfolio.html``. A run directory is created
exclusively: an existing one is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from .cache import atomic_write, atomic_write_text
from .config import BacktestConfig, validate_config

PACKAGES = ("airegime", "backtrader", "pandas", "numpy", "quantstats", "yfinance", "pydantic")


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def config_digest(config: BacktestConfig) -> str:
    return hashlib.sha256(json.dumps(config.snapshot(), sort_keys=True).encode()).hexdigest()[:8]


def unique_dir(base: Path, digest: str) -> Path:
    """A new ``base/<timestamp>-<digest>[-n]`` folder, created exclusively."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base.mkdir(parents=True, exist_ok=True)
    for n in range(1, 1000):
        candidate = base / f"{stamp}-{digest}{'' if n == 1 else f'-{n}'}"
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
    raise FileExistsError(f"{base}: could not find a free folder name")


def new_run_dir(results_root: Path, config: BacktestConfig) -> Path:
    """A fresh ``results/<name>/<timestamp>-<config hash>`` folder, never an existing one."""
    return unique_dir(results_root / config.name, config_digest(config))


def latest_run(results_root: Path, config: BacktestConfig) -> Path | None:
    """The newest complete run folder of exactly this resolved config, if any."""
    digest = config_digest(config)
    folder = results_root / config.name
    if not folder.is_dir():
        return None
    candidates = sorted(
        (
            p
            for p in folder.glob(f"*-{digest}*")
            if (p / "metrics.json").is_file() and (p / "tearsheet.html").is_file()
        ),
        reverse=True,
    )
    return candidates[0] if candidates else None


@dataclass
class RunResult:
    """One backtest's outputs, in memory and on disk."""

    config: BacktestConfig
    returns: pd.Series
    benchmark_returns: pd.Series
    weights: pd.DataFrame
    targets: pd.DataFrame
    trades: pd.DataFrame
    metrics: dict[str, float]
    run_dir: Path | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    #: Per rebalance date: scores, exclusions, tags, signals and notes the strategy recorded.
    diagnostics: dict[pd.Timestamp, dict[str, Any]] = field(default_factory=dict)

    @property
    def paths(self) -> dict[str, Path]:
        if self.run_dir is None:
            return {}
        names = (
            "config.yaml",
            "returns.csv",
            "weights.csv",
            "targets.csv",
            "trades.csv",
            "metrics.json",
            "diagnostics.json",
            "tearsheet.html",
            "portfolio.html",
        )
        return {n.split(".")[0]: self.run_dir / n for n in names if (self.run_dir / n).exists()}

    @property
    def tearsheet(self) -> Path | None:
        return self.paths.get("tearsheet")

    @property
    def portfolio_page(self) -> Path | None:
        return self.paths.get("portfolio")

    def save(self, run_dir: Path) -> None:
        """Write every table of the run into ``run_dir`` (atomically, file by file)."""
        self.run_dir = run_dir
        snapshot = {**self.config.snapshot(), "provenance": self.provenance}
        atomic_write_text(run_dir / "config.yaml", yaml.safe_dump(snapshot, sort_keys=False))
        frame = pd.DataFrame({"strategy": self.returns, "benchmark": self.benchmark_returns})
        frame.index.name = "date"
        _write_csv(run_dir / "returns.csv", frame)
        _write_csv(run_dir / "weights.csv", self.weights)
        _write_csv(run_dir / "targets.csv", self.targets)
        _write_csv(run_dir / "trades.csv", self.trades, index=False)
        atomic_write_text(run_dir / "metrics.json", json.dumps(self.metrics, indent=2))
        diagnostics = {str(pd.Timestamp(d).date()): v for d, v in self.diagnostics.items()}
        atomic_write_text(run_dir / "diagnostics.json", json.dumps(diagnostics, indent=1))

    @classmethod
    def load(cls, run_dir: str | Path) -> RunResult:
        """Read a run directory back, e.g. for comparison reports."""
        run_dir = Path(run_dir)
        raw = yaml.safe_load((run_dir / "config.yaml").read_text())
        provenance = raw.pop("provenance", {}) or {}
        config = validate_config(raw, str(run_dir / "config.yaml"))
        returns = pd.read_csv(run_dir / "returns.csv", index_col="date", parse_dates=["date"])
        weights = pd.read_csv(run_dir / "weights.csv", index_col="date", parse_dates=["date"])
        targets = pd.read_csv(run_dir / "targets.csv", index_col="date", parse_dates=["date"])
        trades = pd.read_csv(run_dir / "trades.csv", parse_dates=["date"])
        metrics = json.loads((run_dir / "metrics.json").read_text())
        diagnostics = load_diagnostics(run_dir)
        return cls(
            config,
            returns["strategy"],
            returns["benchmark"],
            weights,
            targets,
            trades,
            metrics,
            run_dir,
            provenance,
            diagnostics,
        )


def load_diagnostics(run_dir: Path) -> dict[pd.Timestamp, dict[str, Any]]:
    """``diagnostics.json`` of a run folder by date (empty for runs made before it existed)."""
    path = Path(run_dir) / "diagnostics.json"
    if not path.is_file():
        return {}
    return {pd.Timestamp(d): v for d, v in json.loads(path.read_text()).items()}


def _write_csv(path: Path, frame: pd.DataFrame, index: bool = True) -> None:
    atomic_write(path, lambda tmp: frame.to_csv(tmp, index=index, float_format="%.10g"))
