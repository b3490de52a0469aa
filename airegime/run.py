"""Run one backtest: config -> data -> engine -> run directory -> tear sheet."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from . import paths
from .asof import AsOfView
from .config import BacktestConfig, apply_overrides, load_config, validate_config
from .data.cache import atomic_write
from .data.context import MarketContext
from .data.universes import universe_line
from .engines import EngineResult, EngineSettings, daily_weights, filled_closes, run_engine
from .engines.contract import trading_calendar
from .engines.rebalance import FILL_DESCRIPTIONS
from .errors import (
    ConfigError,
    DataError,
    ResultsError,
    StrategyError,
    user_code,
    user_context,
    wording,
)
from .loading import (
    WINDOW_SLACK_DAYS,
    Step,
    check_window,
    coverage_notes,
    load_context,
    no_step,
)
from .reports.caveats import caveats_html
from .reports.portfolio import write_portfolio_page
from .reports.tearsheet import tearsheet_title, write_tearsheet
from .results import RunResult, check_writable, package_versions, staged_run
from .stats.exposures import TABLES, portfolio_tables
from .stats.metrics import (
    annualisable,
    benchmark_returns,
    infer_periods_per_year,
    min_returns,
    run_metrics,
)
from .stats.portfolio_checks import (
    china_cap_warning,
    china_rules,
    coverage_warning,
    degenerate_warning,
    held_after_fills,
    uncovered_weights,
)
from .strategy import Strategy


def engine_settings(config: BacktestConfig) -> EngineSettings:
    """The engine's share of a config: window, rebalancing, cash, costs and fill rule."""
    return EngineSettings(
        start=pd.Timestamp(config.start),
        end=pd.Timestamp(config.end),
        rebalance=config.rebalance,
        initial_cash=config.initial_cash,
        commission_bps=config.costs.commission_bps,
        slippage_bps=config.costs.slippage_bps,
        cash_buffer=config.cash_buffer,
        fill=config.execution.fill,
    )


def backtest(
    config: BacktestConfig,
    context: MarketContext,
    source: str = "<config>",
    strict_dates: bool = False,
    engine_result: EngineResult | None = None,
) -> RunResult:
    """Run the engine on a loaded context and compute returns, weights and metrics.

    A window the data do not cover is trimmed with a note, or refused with
    ``strict_dates`` (see :func:`airegime.loading.check_window`). ``engine_result``,
    when given, is the engine's output for this config already computed (a sweep's
    confirmation run), so only the records are derived from it.
    """
    window, window_notes = check_window(context, config.start, config.end, strict_dates, source)
    strategy = config.build_strategy()
    settings = engine_settings(config)
    benchmark = config.benchmark.upper()
    bench_close = context.prices.close[benchmark]
    try:
        calendar = trading_calendar(context, settings)
    except DataError as exc:
        raise DataError(f"{source}: {exc}") from None
    # before the engine: a benchmark refused under strict_dates costs no computation
    bench, bench_base = context.memoised(
        ("benchmark_returns", benchmark, calendar.asi8.tobytes()),
        lambda: benchmark_returns(bench_close, calendar),
    )
    coverage = benchmark_coverage(benchmark, bench, bench_base, calendar, strict_dates, source)
    result = engine_result
    if result is None:
        try:
            result = run_engine(config.engine, context, strategy, settings)
        except (ConfigError, DataError, StrategyError) as exc:
            if user_context(exc) is not None:  # raised in the strategy: keep it as it is
                raise
            raise type(exc)(f"{source}: {exc}") from None
    values = result.values
    returns = values.pct_change().iloc[1:].rename("strategy")
    if not values.index.equals(calendar):
        bench, bench_base = benchmark_returns(bench_close, values.index)
    closes = context.prices.close[context.universe]
    filled = context.memoised(  # the same for every point of a sweep
        ("filled_closes", values.index.asi8.tobytes()),
        lambda: filled_closes(closes, values.index),
    )
    weights = daily_weights(result, closes, filled)
    ppy = config.data.periods_per_year or infer_periods_per_year(values.index)
    metrics = run_metrics(returns, bench, result.trades, values, weights, ppy, bench_base)
    uncovered = uncovered_weights(result.targets, result.diagnostics)
    metrics.update(coverage_metrics(uncovered))
    notes = [
        *window_notes,
        *([coverage] if coverage else []),
        *param_notes(strategy, config, context.universe),
        *context.extras.get("notes", []),
        *context.memoised(  # data only: the same for every point of a sweep
            ("coverage_notes", config.start, config.end),
            lambda: coverage_notes(context, config.start, config.end),
        ),
    ]
    if result.rejected:
        notes.append(
            f"{len(result.rejected)} order(s) rejected by the broker, first: "
            f"{result.rejected[0]}; raise cash_buffer"
        )
    notes.insert(0, f"fill rule {result.fill}: {FILL_DESCRIPTIONS[result.fill]}")
    info = context.extras.get("universe_info")
    universe = None
    if info:
        universe = copy.deepcopy(
            context.memoised(
                ("universe_record", config.start),
                lambda: info.record(context.prices.close, pd.Timestamp(config.start)),
            )
        )
    if universe:
        notes.insert(1, universe_line(universe, shown_start(window, config.start)))
    held = held_after_fills(weights, result.targets.index, result.fill)
    checks = config.checks
    warnings = [
        *([universe["warning"]] if universe else []),
        *strategy_notes(strategy, config),
        china_note(config, context, result.targets),
        degenerate_warning(held, checks.min_names, checks.max_cash),
        coverage_warning(uncovered, checks.max_uncovered),
        short_warning(returns, ppy, config.data.periods_per_year is not None),
    ]
    warnings = [w for w in warnings if w]
    provenance = {
        "created": dt.datetime.now().isoformat(timespec="seconds"),
        "strategy": describe_strategy(strategy, config),
        "versions": package_versions(),
        "data_source": context.prices.source,
        "data_fingerprint": context.fingerprint(),
        "fill": result.fill,
        "universe": universe,
        "warnings": warnings,
        "window": window,
        "engine": config.engine,
        "notes": notes,
    }
    previous = (config.provenance or {}).get("data_fingerprint")
    if previous and previous != provenance["data_fingerprint"]:
        notes.insert(
            0,
            f"data changed since the run this config came from "
            f"(fingerprint {previous} -> {provenance['data_fingerprint']})",
        )
    return RunResult(
        config,
        returns,
        bench.rename("benchmark"),
        weights,
        result.targets,
        result.trades,
        metrics,
        provenance=provenance,
        diagnostics=result.diagnostics,
    )


def shown_start(window: dict[str, dict[str, str]], start: dt.date) -> dt.date:
    """The start a run's notes speak of: the data's first day when the window was trimmed
    to it (see :func:`airegime.loading.check_window`), else the start as configured."""
    first = dt.date.fromisoformat(window["run"]["start"])
    return first if (first - start).days > WINDOW_SLACK_DAYS else start


def coverage_metrics(uncovered: pd.Series) -> dict[str, float]:
    """The metrics.json figures of :func:`~airegime.stats.portfolio_checks.uncovered_weights`:
    mean and max over the rebalance dates (0 when nothing was decided)."""
    if uncovered.empty:
        return {"uncovered_weight_mean": 0.0, "uncovered_weight_max": 0.0}
    return {
        "uncovered_weight_mean": float(uncovered.mean()),
        "uncovered_weight_max": float(uncovered.max()),
    }


def benchmark_coverage(
    name: str,
    returns: pd.Series,
    base: pd.Timestamp | None,
    calendar: pd.DatetimeIndex,
    strict: bool = False,
    source: str = "<config>",
) -> str | None:
    """A note when the benchmark's prices do not span the run (beyond ``WINDOW_SLACK_DAYS``
    at either end), naming its dates; a :class:`DataError` instead with ``strict``.

    ``returns`` and ``base`` are :func:`~airegime.stats.metrics.benchmark_returns`' output
    on the run's ``calendar``.
    """
    own = returns.dropna()
    run_start, run_end = calendar[0].date(), calendar[-1].date()
    if own.empty:
        message = f"benchmark {name} has no prices in the run's window {run_start}..{run_end}"
        if strict:
            raise DataError(f"{source}: {message}; choose another benchmark")
        return f"{message}; its figures are blank"
    first = pd.Timestamp(base if base is not None else own.index[0]).date()
    last = own.index[-1].date()
    short = (first - run_start).days > WINDOW_SLACK_DAYS or (run_end - last).days > (
        WINDOW_SLACK_DAYS
    )
    if not short:
        return None
    described = (
        f"benchmark {name} has prices only for {first}..{last} of the run's "
        f"{run_start}..{run_end} ({len(own)} of {len(returns)} returns)"
    )
    if strict:
        raise DataError(
            f"{source}: {described}; choose a benchmark that covers the window or run "
            f"without {wording('--strict-dates', 'strict_dates')} to measure it on its own dates"
        )
    return (
        f"{described}; its figures are measured on those dates only; "
        f"{wording('--strict-dates', 'strict_dates=True')} refuses instead"
    )


def short_warning(returns: pd.Series, periods_per_year: int, configured: bool) -> str | None:
    """A warning when the run has too few returns to annualise (see ``min_returns``)."""
    if annualisable(len(returns), periods_per_year):
        return None
    dates = sorted({str(returns.index[0].date()), str(returns.index[-1].date())})
    span = f" ({'..'.join(dates)})" if len(returns) else ""
    basis = "data.periods_per_year" if configured else "the data's calendar"
    return (
        f"too few returns to annualise: {len(returns)}{span}, fewer than "
        f"{min_returns(periods_per_year)} (a quarter of a year at {periods_per_year} a year, "
        f"from {basis}); CAGR, Sharpe, Sortino, volatility and turnover per year are left "
        "blank, total return and max drawdown are shown"
    )


def strategy_notes(strategy: Strategy, config: BacktestConfig) -> list[str]:
    """The strategy's own run warnings (its ``run_notes``), located if they raise."""
    with user_code(config.strategy.name, during="in run_notes", owner=type(strategy).__module__):
        return list(strategy.run_notes())


def param_notes(strategy: Strategy, config: BacktestConfig, universe: list[str]) -> list[str]:
    """Parameter values that cannot act on this universe (``Strategy.param_notes``)."""
    owner = type(strategy).__module__
    with user_code(config.strategy.name, during="in param_notes", owner=owner):
        return list(strategy.param_notes(list(universe)))


def describe_strategy(strategy: Strategy, config: BacktestConfig) -> str:
    """The strategy's ``describe()`` for the provenance, located if it raises."""
    with user_code(config.strategy.name, during="in describe", owner=type(strategy).__module__):
        return strategy.describe()


def china_note(config: BacktestConfig, context: MarketContext, targets: pd.DataFrame) -> str | None:
    """Warn when a China cap sits below the median share given to undisclosed names."""
    rules = [r for r in china_rules(config.strategy.params) if r[2] == "median" and r[1] < 1]
    if context.china is None or not rules or targets.empty:
        return None
    fill_ins, unknown = context.memoised(  # data only: the same for every point of a sweep
        ("china_fill_ins", pd.DatetimeIndex(targets.index).asi8.tobytes()),
        lambda: _fill_ins(context, targets.index),
    )
    return china_cap_warning(config.strategy.params, fill_ins, unknown)


def _fill_ins(context: MarketContext, dates: pd.Index) -> tuple[pd.Series, pd.Series]:
    fill_ins, unknown = {}, {}
    for date in dates:
        view = AsOfView(context, date)
        fill_ins[date], unknown[date] = view.cached(("china_fill_in",), lambda v=view: _fill_in(v))
    return pd.Series(fill_ins), pd.Series(unknown)


def _fill_in(view: AsOfView) -> tuple[float, int]:
    """The median disclosed China share of the tradable names (0 without any) and how
    many of them have none, on the view's date."""
    share = view.china_share(view.tradable())
    return (share.median() if share.notna().any() else 0.0), int(share.isna().sum())


def run_backtest(
    config: BacktestConfig | str | Path,
    overrides: list[str] | None = None,
    results_root: Path | None = None,
    tearsheet: bool = True,
    save: bool = True,
    on_step: Step = no_step,
    strict_dates: bool = False,
    portfolio: bool = True,
) -> RunResult:
    """Run a config (a path or a loaded config) and, by default, write its run directory.

    ``strict_dates`` refuses a window the data do not cover instead of trimming it.
    ``portfolio=False`` leaves out the portfolio page and its tables (and the reference
    data loaded only for them), ``tearsheet=False`` the tear sheet.

    >>> result = run_backtest("backtests/quickstart.yaml", ["rebalance=quarterly"])
    >>> result.metrics["sharpe"], result.run_dir
    """
    if isinstance(config, BacktestConfig):
        source, root = f"<config {config.name}>", paths.project_root()
        if overrides:
            config = validate_config(
                apply_overrides(config.model_dump(mode="json"), overrides), source
            )
    else:
        source, root = str(config), paths.project_root(Path(config))
        config = load_config(config, overrides)
    results_root = results_root or paths.results_dir(root)
    if save:
        # before minutes of computation, not after; the run's own folder results/<name>
        # (possibly left by another user) is where the run will be written
        check_writable(results_root)
        check_writable(results_root / config.name)
    context = load_context(config, root, source, on_step, report_data=save and portfolio)
    on_step("running backtest")
    result = backtest(config, context, source, strict_dates)
    if save:
        write_run(result, results_root, tearsheet, on_step, context if portfolio else None)
    return result


def write_run(
    result: RunResult,
    results_root: Path,
    tearsheet: bool = True,
    on_step: Step = no_step,
    context: MarketContext | None = None,
) -> Path:
    """Write the run folder atomically: every file goes to a staging folder renamed at the end.

    Files added to a run (reports, tables) belong inside the ``staged_run`` block.
    """
    config = result.config
    try:
        with staged_run(results_root, config) as stage:
            result.save(stage.path)
            write_reports(result, context, stage.path, tearsheet, on_step)
    except OSError as exc:
        raise ResultsError(
            f"{results_root / config.name}: writing the run folder failed "
            f"({exc.strerror or exc}); nothing was kept, run again"
        ) from None
    result.run_dir = stage.final
    return stage.final


def write_reports(
    result: RunResult,
    context: MarketContext | None,
    run_dir: Path,
    tearsheet: bool = True,
    on_step: Step = no_step,
) -> list[str]:
    """The portfolio tables and page (with a context) and the tear sheet (optional) of a run.

    A page or table that fails never takes the run with it: the others are written, and
    the failure becomes one warning line in the run's provenance (``config.yaml`` is
    written again with it) and in the returned list. Disk errors (``OSError``) and
    Ctrl-C still stop the run.
    """
    failures: list[str] = []

    def attempt(what: str, write: Callable[[], object]) -> bool:
        try:
            write()
        except (OSError, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - a failing page must not lose the run
            text = str(exc).splitlines()[0] if str(exc) else ""
            failures.append(f"{what} not written: {type(exc).__name__}: {text}".rstrip(": "))
            return False
        return True

    if context is not None:
        on_step("measuring exposures")
        attempt("portfolio tables", lambda: write_tables(result, context, run_dir))
    if tearsheet:
        on_step("writing tear sheet")
        attempt(
            "tear sheet",
            lambda: write_tearsheet(
                result.returns,
                result.benchmark_returns,
                run_dir / "tearsheet.html",
                tearsheet_title(result),
                result.config.benchmark.upper(),
                periods_per_year=result.periods_per_year,
                base=result.base,
                caveats=caveats_html(result.provenance, result.metrics, inline=True),
            ),
        )
    if context is not None:  # last, so that it links to the tear sheet
        on_step("writing portfolio page")
        attempt("portfolio page", lambda: write_portfolio_page(run_dir))
    if failures:
        result.provenance["warnings"] = [*result.provenance.get("warnings", []), *failures]
        result.save_config(run_dir)
    return failures


def write_tables(result: RunResult, context: MarketContext, run_dir: Path) -> None:
    """The portfolio page's tables (``portfolio_*.csv``), each written atomically."""
    for key, table in portfolio_tables(result, context).items():
        atomic_write(run_dir / TABLES[key], lambda tmp, t=table: t.to_csv(tmp, float_format="%.8g"))
