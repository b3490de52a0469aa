"""Run directories: the unit of reproducibility.

``results/<config name>/<run id>/`` holds ``config.yaml`` (the resolved config
with a ``provenance`` block: package versions, data fingerprint, fill rule),
``returns.csv``, ``weights.csv``, ``targets.csv``, ``trades.csv``,
``metrics.json``, ``diagnostics.json`` (per rebalance date, why the strategy chose
its weights), the portfolio exposure tables (see :mod:`airegime.stats.exposures`),
``tearsheet.html`` and ``portfolio.html``.

A run folder is written whole or not at all: everything goes into a hidden
staging folder beside it (``.tmp-<run id>``, see :func:`staged_dir`), which is
renamed into place only when the last file, tear sheet included, is written. An
interrupted run leaves at most a ``.tmp-`` folder, which every reader ignores;
an existing run folder is never overwritten.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import functools
import hashlib
import itertools
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .config import BacktestConfig, validate_config
from .data.cache import atomic_write_text
from .data.yaml_reader import dump_yaml, read_yaml_file
from .engines.rebalance import FILL_DESCRIPTIONS
from .errors import AiregimeError, ResultsError, wording

#: Name prefix of folders still being written; readers skip them.
STAGING_PREFIX = ".tmp-"

#: The files every complete run folder holds (the tear sheet is optional).
RUN_FILES = (
    "config.yaml",
    "returns.csv",
    "weights.csv",
    "targets.csv",
    "trades.csv",
    "metrics.json",
)
PACKAGES = ("airegime", "backtrader", "pandas", "numpy", "quantstats", "yfinance", "pydantic")


def package_versions() -> dict[str, str]:
    """The installed versions of :data:`PACKAGES` (read once per process)."""
    return dict(_package_versions())


@functools.cache
def _package_versions() -> dict[str, str]:
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


def is_staging(folder: Path) -> bool:
    """True for a folder still being written (or left behind by an interrupted run)."""
    return folder.name.startswith(".")


def check_writable(folder: Path) -> None:
    """Fail now, before any computation, when run folders cannot be written under ``folder``.

    The message says what is wrong (a file in the way, a read-only disk, permissions,
    a full disk) and the fix, naming ``--results-dir`` in the CLI and ``results_root``
    in the API.
    """
    option = wording("--results-dir", "results_root")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ResultsError(
            f"{folder}: cannot write results there: {_why(folder, exc, option)}"
        ) from None


def _why(folder: Path, exc: OSError, option: str) -> str:
    """What stops ``folder`` from holding run folders, and the fix."""
    blocker = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None)
    if blocker == folder:
        return f"it is a file, not a folder; give a folder with {option}"
    if blocker is not None:
        return f"{blocker} is a file, not a folder; give another folder with {option}"
    if exc.errno == errno.EROFS:
        return f"the file system is read-only; give a folder on a writable disk with {option}"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"permission denied; fix its permissions or give another folder with {option}"
    if exc.errno == errno.ENOSPC:
        return f"the disk is full; free some space or give another folder with {option}"
    return f"{exc.strerror or type(exc).__name__}; give another folder with {option}"


@contextlib.contextmanager
def staged_dir(final: Path, replace: bool = False) -> Iterator[Path]:
    """Yield an empty staging folder beside ``final``; rename it to ``final`` on success.

    The staging folder (``.tmp-<name>``) is created exclusively, so two writers of
    the same folder cannot mix their files; on any exception, Ctrl-C included, it is
    removed and nothing appears at ``final``. Raises FileExistsError when ``final``
    (or another writer's staging folder) already exists, unless ``replace``: then an
    existing ``final`` is swapped out only once the new folder is complete (a sweep's
    confirmation run replacing a screened point).
    """
    tmp = final.parent / f"{STAGING_PREFIX}{final.name}"
    old = final.parent / f"{STAGING_PREFIX}{final.name}-old"
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists() and not replace:
        raise FileExistsError(f"{final} already exists")
    tmp.mkdir()
    try:
        yield tmp
        if final.exists():
            if not replace:
                raise FileExistsError(f"{final} already exists")
            final.rename(old)
        tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)


@dataclass
class Staging:
    """A run folder being written: files go to ``path``; ``final`` once complete."""

    path: Path
    final: Path


@contextlib.contextmanager
def staged_run(results_root: Path, config: BacktestConfig, prefix: str = "") -> Iterator[Staging]:
    """A new ``results/<name>/<prefix><timestamp>-<config hash>`` folder, written atomically.

    ``prefix`` names folders that are not runs (``factors-``: a factor tear sheet).

    >>> with staged_run(root, config) as stage:
    ...     result.save(stage.path)  # and any other file of the run
    >>> stage.final  # exists now, complete
    """
    base, digest = results_root / config.name, config_digest(config)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        final = base / f"{prefix}{stamp}-{digest}{'' if n == 1 else f'-{n}'}"
        if not (final.exists() or (base / f"{STAGING_PREFIX}{final.name}").exists()):
            break
    else:
        raise ResultsError(f"{base}: could not find a free run folder name")
    with staged_dir(final) as tmp:
        yield Staging(tmp, final)


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
            if not is_staging(p)
            and (p / "metrics.json").is_file()
            and (p / "tearsheet.html").is_file()
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
        names = (*RUN_FILES, "diagnostics.json", "tearsheet.html", "portfolio.html")
        return {n.split(".")[0]: self.run_dir / n for n in names if (self.run_dir / n).exists()}

    @property
    def tearsheet(self) -> Path | None:
        return self.paths.get("tearsheet")

    @property
    def portfolio_page(self) -> Path | None:
        return self.paths.get("portfolio")

    @property
    def periods_per_year(self) -> int | None:
        """Returns per year the run annualised with (None for folders written before
        metrics.json recorded it: infer it from the calendar then)."""
        stored = self.metrics.get("periods_per_year")
        return int(stored) if stored else None

    @property
    def base(self) -> pd.Timestamp | None:
        """The valuation date the first return is measured from (the run's first day)."""
        index = self.weights.index
        return index[0] if isinstance(index, pd.DatetimeIndex) and len(index) else None

    def save_config(self, run_dir: Path) -> None:
        """Write ``config.yaml``: the resolved config and its provenance block.

        A relative ``data.path`` or ``data.fundamentals_path`` was read against the
        current directory; the snapshot records it absolute, so the run folder's config
        reruns from any directory (the run id hashes the config as given).
        """
        snapshot = {**absolute_paths(self.config.snapshot()), "provenance": self.provenance}
        body = dump_yaml(snapshot)
        _write_text(run_dir / "config.yaml", header_comment(self.provenance) + body)

    def save(self, run_dir: Path) -> None:
        """Write every table of the run into ``run_dir``: file by file atomically, or
        straight into each file when ``run_dir`` is a staging folder (a
        :func:`staged_dir`, renamed into place as a whole once complete)."""
        self.run_dir = run_dir
        self.save_config(run_dir)
        frame = pd.DataFrame({"strategy": self.returns, "benchmark": self.benchmark_returns})
        frame.index.name = "date"
        _write_csv(run_dir / "returns.csv", frame)
        _write_csv(run_dir / "weights.csv", self.weights)
        _write_csv(run_dir / "targets.csv", self.targets)
        _write_csv(run_dir / "trades.csv", self.trades, index=False)
        _write_text(run_dir / "metrics.json", json.dumps(self.metrics, indent=2))
        diagnostics = {str(pd.Timestamp(d).date()): v for d, v in self.diagnostics.items()}
        _write_text(run_dir / "diagnostics.json", _diagnostics_json(diagnostics))

    @classmethod
    def load(cls, run_dir: str | Path, *, staging_ok: bool = False) -> RunResult:
        """Read a complete run directory back, e.g. for comparison reports.

        A staging folder (an interrupted run) or a folder with missing or unreadable
        files is a :class:`~airegime.errors.ResultsError`. ``staging_ok`` lets a run's
        own report writers read the folder before it is renamed into place.
        """
        run_dir = Path(run_dir)
        if is_staging(run_dir) and not staging_ok:
            raise ResultsError(
                f"{run_dir}: an incomplete run folder (interrupted while it was written); "
                "delete it and run the config again"
            )
        missing = [n for n in RUN_FILES if not (run_dir / n).is_file()]
        if missing:
            raise ResultsError(
                f"{run_dir}: not a complete run folder (no {', '.join(missing)}); give "
                "results/<name>/<run id>"
            )
        try:
            raw = read_yaml_file(run_dir / "config.yaml")
            provenance = raw.pop("provenance", {}) or {}
            config = validate_config(raw, str(run_dir / "config.yaml"))
            returns = pd.read_csv(run_dir / "returns.csv", index_col="date", parse_dates=["date"])
            weights = pd.read_csv(run_dir / "weights.csv", index_col="date", parse_dates=["date"])
            targets = pd.read_csv(run_dir / "targets.csv", index_col="date", parse_dates=["date"])
            trades = pd.read_csv(run_dir / "trades.csv", parse_dates=["date"])
            metrics = json.loads((run_dir / "metrics.json").read_text())
            diagnostics = load_diagnostics(run_dir)
        except AiregimeError:
            raise
        except (OSError, ValueError, KeyError, AttributeError, yaml.YAMLError) as exc:
            raise ResultsError(
                f"{run_dir}: cannot read the run folder ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else ''}); run the config again"
            ) from None
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


#: Keys of ``data`` that name a file or folder, read against the current directory.
PATH_KEYS = ("path", "fundamentals_path")


def absolute_paths(snapshot: dict[str, Any]) -> dict[str, Any]:
    """``snapshot`` with each relative path of :data:`PATH_KEYS` made absolute against the
    current directory (where the run read it); absolute paths stay as they are."""
    data = dict(snapshot.get("data") or {})
    for key in PATH_KEYS:
        value = data.get(key)
        if value and not Path(value).expanduser().is_absolute():
            data[key] = os.path.abspath(value)
    return {**snapshot, "data": data} if data else snapshot


def provenance_lines(provenance: dict[str, Any]) -> list[str]:
    """The fill rule and the universe a run's numbers rest on, one line each (either may
    be absent from ``provenance``); the config header and the pages' caveats share them."""
    lines = []
    fill = provenance.get("fill")
    if fill:
        lines.append(f"fill rule {fill}: {FILL_DESCRIPTIONS.get(fill, fill)}")
    universe = provenance.get("universe")
    if universe:
        late = len(universe.get("listed_after_start") or [])
        lines.append(
            f"universe {universe['name']}: {universe['count']} names, {late} listed after start"
        )
    return lines


def header_comment(provenance: dict[str, Any]) -> str:
    """``# fill rule ...`` lines that open a run's config.yaml: what its numbers rest on."""
    lines = provenance_lines(provenance)
    lines += [f"warning: {w}" for w in provenance.get("warnings") or []]
    return "".join(f"# {line}\n" for line in lines)


def load_diagnostics(run_dir: Path) -> dict[pd.Timestamp, dict[str, Any]]:
    """``diagnostics.json`` of a run folder by date (empty for runs made before it existed)."""
    path = Path(run_dir) / "diagnostics.json"
    if not path.is_file():
        return {}
    return {pd.Timestamp(d): v for d, v in json.loads(path.read_text()).items()}


def _diagnostics_json(diagnostics: dict[str, Any]) -> str:
    """One line per rebalance date: readable, and encoded by json's C encoder (an
    indented dump goes through the pure-Python one, seconds for hundreds of names)."""
    if not diagnostics:
        return "{}"
    lines = [f"{json.dumps(date)}: {_entry_json(entry)}" for date, entry in diagnostics.items()]
    return "{\n" + ",\n".join(lines) + "\n}"


def _entry_json(entry: Any) -> str:
    """``json.dumps(entry)``, with each score that renders its own JSON once (a shared
    :class:`~airegime.asof.ScoresRecord`) taken as rendered, and the parts after the
    scores encoded in one call."""
    scores = entry.get("scores") if isinstance(entry, dict) else None
    if (
        not isinstance(scores, dict)
        or not all(isinstance(k, str) for k in [*entry, *scores])
        or not any(hasattr(s, "as_json") for s in scores.values())
    ):
        return json.dumps(entry)
    inner = ", ".join(
        f"{json.dumps(name)}: {s.as_json() if hasattr(s, 'as_json') else json.dumps(s)}"
        for name, s in scores.items()
    )
    rendered = f'"scores": {{{inner}}}'
    if next(iter(entry)) != "scores":  # the scores in the middle: part by part
        return (
            "{"
            + ", ".join(
                rendered if key == "scores" else f"{json.dumps(key)}: {json.dumps(value)}"
                for key, value in entry.items()
            )
            + "}"
        )
    rest = {key: value for key, value in entry.items() if key != "scores"}
    return "{" + rendered + (", " + json.dumps(rest)[1:] if rest else "}")


def _write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` in UTF-8 (as :func:`atomic_write_text`): directly inside
    a staging folder (nothing reads it before the folder is renamed into place),
    atomically anywhere else."""
    if path.parent.name.startswith(STAGING_PREFIX) and path.parent.is_dir():
        path.write_text(text, encoding="utf-8")
    else:
        atomic_write_text(path, text)


def _write_csv(path: Path, frame: pd.DataFrame, index: bool = True) -> None:
    """``frame.to_csv(float_format="%.10g")``, byte for byte; a wide float table by date
    (weights, targets: one column per name, mostly zeros) is formatted with numpy and
    joined by row, which is several times faster for hundreds of names."""
    if index and _plain_float_table(frame):
        _write_text(path, _float_table_csv(frame))
        return
    if not index and _plain_records(frame):
        _write_text(path, _records_csv(frame))
        return
    _write_text(path, frame.to_csv(index=index, float_format="%.10g", lineterminator="\n"))


def _plain_float_table(frame: pd.DataFrame) -> bool:
    """Float columns, a tz-naive date index at midnight, text names (the index's may be
    None) that need no CSV quoting."""
    names = ["" if frame.index.name is None else frame.index.name, *frame.columns]
    return (
        isinstance(frame.index, pd.DatetimeIndex)
        and frame.index.tz is None
        and all(type(name) is str for name in names)
        and len(frame.columns) > 0
        and all(dtype == np.float64 for dtype in frame.dtypes)
        and _at_midnight(frame.index)
        and not any(_needs_quoting(name) for name in names)
    )


def _at_midnight(index: pd.DatetimeIndex) -> bool:
    """Every date of a tz-naive ``index`` at midnight (written as a bare date): ``index ==
    index.normalize()``, without the frequency inference of ``normalize``."""
    day = np.timedelta64(1, "D") // np.timedelta64(1, index.unit)  # in the index's unit
    return bool((index.asi8 % day == 0).all())


def _needs_quoting(text: str) -> bool:
    """Whether pandas' CSV writer would quote ``text`` (a separator, quote or line break)."""
    return any(c in text for c in ',"\n\r')


def _plain_records(frame: pd.DataFrame) -> bool:
    """Columns of dates at midnight, text that needs no CSV quoting, or floats; no gaps
    (a run's trades)."""
    if not len(frame.columns) or frame.isna().to_numpy().any():
        return False
    for name, column in frame.items():
        if _needs_quoting(str(name)):
            return False
        if column.dtype == np.float64:
            continue
        if pd.api.types.is_datetime64_dtype(column.dtype) and column.dt.tz is None:
            if not (column == column.dt.normalize()).all():
                return False
            continue
        if pd.api.types.is_string_dtype(column.dtype):
            values = column.tolist()
            if all(type(v) is str and not _needs_quoting(v) for v in values):
                continue
        return False
    return True


def _records_csv(frame: pd.DataFrame) -> str:
    """``frame.to_csv(index=False, float_format="%.10g")`` of a :func:`_plain_records`
    frame, byte for byte (pandas formats a small table several times slower)."""
    columns = []
    for _, column in frame.items():
        if column.dtype == np.float64:
            columns.append([format(v, ".10g") for v in column.tolist()])
        elif pd.api.types.is_datetime64_dtype(column.dtype):
            columns.append(column.dt.strftime("%Y-%m-%d").tolist())
        else:
            columns.append(column.tolist())
    lines = [",".join(map(str, frame.columns)), *map(",".join, zip(*columns, strict=True))]
    return "\n".join(lines) + "\n"


def _float_table_csv(frame: pd.DataFrame) -> str:
    """``frame.to_csv(float_format="%.10g")`` of a :func:`_plain_float_table` frame, byte
    for byte. Rows where the same cells are zero, blank or a number (the days between two
    rebalances of a weights table) share one ``%`` template, so a row is one formatting
    call instead of one per cell."""
    values = frame.to_numpy()
    blank = np.isnan(values)
    zero = (values == 0) & ~np.signbit(values)  # -0.0 prints -0
    kinds = np.where(blank, 1, np.where(zero, 0, 2)).astype(np.int8)
    dates = frame.index.strftime("%Y-%m-%d").tolist()
    lines = [",".join(["" if frame.index.name is None else frame.index.name, *frame.columns])]
    if len(values):
        starts = np.ones(len(values), dtype=bool)
        starts[1:] = (kinds[1:] != kinds[:-1]).any(axis=1)
        bounds = [*np.flatnonzero(starts).tolist(), len(values)]
        cell = ("0", "", "%.10g")
        for first, end in itertools.pairwise(bounds):
            kind = kinds[first]
            template = "%s," + ",".join([cell[k] for k in kind.tolist()])
            rows = values[first:end][:, kind == 2].tolist()
            lines += [template % (d, *row) for d, row in zip(dates[first:end], rows, strict=True)]
    return "\n".join(lines) + "\n"
