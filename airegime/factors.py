"""The factor tear sheet: which of a strategy's scores carry information about returns.

:func:`factors` runs a config's strategy (on the vector engine: the scores a strategy
records do not depend on the engine), reads every score it recorded on each
rebalance date (``diagnostics["scores"]``: each component, the composite, the China
share it used) and adds the China share of every tradable name by each measure
(disclosed, market, blend) from the run's context, whatever the strategy used. Each
score is then measured against the forward total returns of the run's own adjusted
prices, starting at the run's fill after the signal date (:mod:`airegime.stats.factors`),
and the page (:mod:`airegime.reports.factors`) and CSV tables are written to a new
folder ``results/<name>/factors-<timestamp>-<config hash>/``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from . import paths
from .asof import AsOfView
from .config import BacktestConfig, apply_overrides, load_config, validate_config
from .data.cache import atomic_write, atomic_write_text
from .data.context import MarketContext
from .data.regimes import load_regimes
from .engines.contract import trading_calendar
from .errors import ConfigError, ResultsError
from .loading import Step, load_context, no_step
from .reports.factors import render
from .results import check_writable, staged_run
from .run import backtest, engine_settings
from .stats.factors import FactorReport, analyse, fill_prices

#: China-share measures computed for every tradable name on each rebalance date.
CHINA_MEASURES = ("disclosed", "market", "blend")
#: Default forward-return horizons, in trading days.
HORIZONS = (1, 5, 21, 63)


def score_frames(
    diagnostics: dict[pd.Timestamp, dict], universe: list[str]
) -> dict[str, pd.DataFrame]:
    """Every score recorded in a run's diagnostics as a frame (rebalance dates x universe).

    Names a score did not record on a date are NaN (not scored); scores appear in the
    order the strategy first recorded them.
    """
    dates = sorted(diagnostics)
    names: dict[str, None] = {}
    for date in dates:
        names.update(dict.fromkeys(diagnostics[date].get("scores", {})))
    frames = {}
    for name in names:
        rows = {d: diagnostics[d].get("scores", {}).get(name, {}) for d in dates}
        frame = pd.DataFrame.from_dict(rows, orient="index", dtype=float)
        frames[name] = frame.reindex(index=pd.DatetimeIndex(dates), columns=universe)
    return frames


def china_frames(
    context: MarketContext, dates: pd.DatetimeIndex, tradable: pd.DataFrame
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The China revenue share of every tradable name by each measure, per rebalance date
    (as the as-of view shows it then), with a note for each measure the data cannot give."""
    frames, notes = {}, []
    if context.china is None and context.china_market is None:
        return frames, ["China shares: no China table loaded; the measures are left out"]
    for measure in CHINA_MEASURES:
        rows = {}
        for date in dates:
            names = list(tradable.columns[tradable.loc[date].to_numpy()])
            rows[date] = AsOfView(context, date).china_share(names, measure=measure)
        frame = pd.DataFrame(rows).T.reindex(index=dates, columns=tradable.columns)
        if frame.notna().to_numpy().any():
            frames[f"china_share_{measure}"] = frame.astype(float)
        else:
            notes.append(f"China share ({measure}): no name has one in this window; left out")
    return frames, notes


def prefers_low(name: str) -> bool:
    """Whether a rule favours low values of a score: China shares are underweighted."""
    return name.startswith("china_share")


def factors(
    config: BacktestConfig | str | Path,
    overrides: list[str] | None = None,
    results_root: Path | None = None,
    quantiles: int = 3,
    horizons: tuple[int, ...] = HORIZONS,
    horizon: int = 21,
    min_names: int = 5,
    save: bool = True,
    on_step: Step = no_step,
    strict_dates: bool = False,
) -> FactorReport:
    """Measure every score a config's strategy records against the returns that follow.

    Returns a :class:`~airegime.stats.factors.FactorReport` (tables, verdicts and, with
    ``save``, ``directory`` and ``page``). ``quantiles``: groups of names per date
    (terciles by default); ``horizons``: forward-return horizons in trading days from the
    fill; ``horizon``: the one the verdicts judge (one of ``horizons``); ``min_names``:
    names with a score and a return needed for a date's IC. Raises
    :class:`~airegime.errors.ConfigError` for a bad setting, the run's own errors otherwise.

    >>> report = factors("backtests/article_composite.yaml")
    >>> report.verdicts[["score", "verdict"]], report.page
    """
    started = time.perf_counter()
    horizons = tuple(sorted({int(h) for h in horizons}))
    if not horizons or horizons[0] < 1:
        raise ConfigError(f"horizons {list(horizons)}: give trading days, each 1 or more")
    if horizon not in horizons:
        raise ConfigError(f"horizon {horizon}: must be one of the horizons {list(horizons)}")
    if quantiles < 2:
        raise ConfigError(f"quantiles {quantiles}: give 2 or more (3: terciles)")
    if min_names < 3:
        raise ConfigError(f"min_names {min_names}: a rank correlation needs 3 names or more")
    if isinstance(config, BacktestConfig):
        source, root = f"<config {config.name}>", paths.project_root()
        if overrides:
            raw = apply_overrides(config.model_dump(mode="json"), overrides)
            config = validate_config(raw, source)
    else:
        source, root = str(config), paths.project_root(Path(config))
        config = load_config(config, overrides)
    results_root = results_root or paths.results_dir(root)
    if save:
        check_writable(results_root / config.name)
    context = load_context(config, root, source, on_step, report_data=True)
    on_step("running the strategy")
    # The vector engine: the same decisions as backtrader, the scores are what matters here.
    run = backtest(config.model_copy(update={"engine": "vector"}), context, source, strict_dates)
    dates = pd.DatetimeIndex(sorted(run.diagnostics))
    calendar = trading_calendar(context, engine_settings(config))
    fill = run.provenance["fill"]
    prices = fill_prices(context.prices, fill).reindex(calendar)[context.universe]
    tradable = context.prices.close.reindex(dates)[context.universe].notna()
    on_step("measuring the scores")
    scores = score_frames(run.diagnostics, context.universe)
    china, notes = china_frames(context, dates, tradable)
    if not scores:
        notes.insert(
            0,
            f"strategy {config.strategy.name} records no scores (view.record_scores): only "
            "the China measures are measured",
        )
    if "china_share" in scores:
        notes.append(
            "china_share is the share the strategy used, recorded for the names it held "
            "(China ADRs at adr_china_share); the china_share_* rows measure every tradable "
            "name by each measure"
        )
    scores.update(china)
    if not scores:
        raise ConfigError(
            f"{source}: strategy {config.strategy.name} records no scores (view.record_scores); "
            "nothing to measure"
        )
    regimes_path = paths.data_dir(root) / "regimes.yaml"
    periods = list(load_regimes(regimes_path).periods) if regimes_path.is_file() else []
    report = analyse(
        scores,
        tradable,
        prices,
        fill,
        horizons,
        horizon,
        quantiles,
        min_names,
        periods,
        context.groups,
        frozenset(n for n in scores if prefers_low(n)),
        name=config.name,
        strategy=run.provenance.get("strategy", config.strategy.name),
    )
    report.notes = [*notes, *run.provenance.get("notes", [])]
    tuned = config.in_sample_note()
    report.caveats = [*([tuned] if tuned else []), *run.provenance.get("warnings", [])]
    if save:
        on_step("writing the factor page")
        write_factor_folder(report, results_root, config, time.perf_counter() - started)
    return report


def write_factor_folder(
    report: FactorReport, results_root: Path, config: BacktestConfig, seconds: float = 0.0
) -> Path:
    """Write ``factors.html`` and the CSV tables to a new ``factors-*`` folder under
    ``results/<name>/`` (staged, so it appears complete or not at all)."""
    try:
        with staged_run(results_root, config, prefix="factors-") as stage:
            for name, table in report.tables().items():
                atomic_write(
                    stage.path / name,
                    lambda tmp, t=table: t.to_csv(tmp, index=False, float_format="%.10g"),
                )
            report.directory = stage.final
            atomic_write_text(stage.path / "factors.html", render(report, seconds))
    except OSError as exc:
        raise ResultsError(
            f"{results_root / config.name}: writing the factor folder failed "
            f"({exc.strerror or exc}); nothing was kept, run again"
        ) from None
    report.page = stage.final / "factors.html"
    return stage.final
