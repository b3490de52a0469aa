"""Run one backtest: config -> data -> engine -> run directory -> tear sheet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from . import paths
from .asof import MarketContext
from .china import ChinaExposure
from .config import BacktestConfig, load_config
from .engine import EngineResult, EngineSettings, daily_weights, run_engine
from .errors import AiregimeError
from .fundamental_sources import YAHOO_LAG_DAYS, load_fundamentals
from .market import build_context, coverage_notes
from .metrics import run_metrics
from .rebalance import FILL_DESCRIPTIONS
from .regimes import load_regimes
from .results import RunResult, new_run_dir, package_versions
from .strategy import Strategy
from .tearsheet import write_tearsheet

Step = Callable[[str], None]


def _no_step(_: str) -> None:
    pass


def run_engine_named(
    name: str, context: MarketContext, strategy: Strategy, settings: EngineSettings
) -> EngineResult:
    """Run ``backtrader`` (the reference) or ``vector`` (the same trades, much faster)."""
    if name == "vector":
        from .vector_engine import run_vector

        return run_vector(context, strategy, settings)
    return run_engine(context, strategy, settings)


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
    engine_result: EngineResult | None = None,
) -> RunResult:
    """Run the engine on a loaded context and compute returns, weights and metrics.

    ``engine_result``, when given, is the engine's output for this config already
    computed (a sweep's confirmation run), so only the records are derived from it.
    """
    strategy = config.build_strategy()
    result = engine_result
    if result is None:
        try:
            result = run_engine_named(config.engine, context, strategy, engine_settings(config))
        except ValueError as exc:
            raise AiregimeError(f"{source}: strategy {config.strategy.name}: {exc}") from None
    values = result.values
    returns = values.pct_change().iloc[1:].rename("strategy")
    bench_close = context.prices.close[config.benchmark.upper()]
    bench = bench_close.reindex(values.index).ffill().pct_change().iloc[1:].fillna(0.0)
    weights = daily_weights(result, context.prices.close[context.universe])
    metrics = run_metrics(returns, bench, result.trades, values, weights)
    notes = [*context.extras.get("notes", []), *coverage_notes(context, config.start, config.end)]
    if result.rejected:
        notes.append(
            f"{len(result.rejected)} order(s) rejected by the broker, first: "
            f"{result.rejected[0]}; raise cash_buffer"
        )
    notes.insert(0, f"fill rule {result.fill}: {FILL_DESCRIPTIONS[result.fill]}")
    provenance = {
        "created": dt.datetime.now().isoformat(timespec="seconds"),
        "strategy": strategy.describe(),
        "versions": package_versions(),
        "data_source": context.prices.source,
        "data_fingerprint": context.fingerprint(),
        "fill": result.fill,
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
    )


def run_backtest(
    config: BacktestConfig | str | Path,
    overrides: list[str] | None = None,
    results_root: Path | None = None,
    tearsheet: bool = True,
    save: bool = True,
    on_step: Step = _no_step,
) -> RunResult:
    """Run a config (a path or a loaded config) and, by default, write its run directory.

    >>> result = run_backtest("backtests/quickstart.yaml", ["rebalance=quarterly"])
    >>> result.metrics["sharpe"], result.run_dir
    """
    if isinstance(config, BacktestConfig):
        source, root = f"<config {config.name}>", paths.project_root()
        if overrides:
            from .config import apply_overrides, validate_config

            config = validate_config(
                apply_overrides(config.model_dump(mode="json"), overrides), source
            )
    else:
        source, root = str(config), paths.project_root(Path(config))
        config = load_config(config, overrides)
    context = load_context(config, root, source, on_step)
    on_step("running backtest")
    result = backtest(config, context, source)
    if save:
        run_dir = new_run_dir(results_root or paths.results_dir(root), config)
        result.save(run_dir)
        if tearsheet:
            on_step("writing tear sheet")
            title = f"{config.name}: {result.provenance['strategy']}"
            write_tearsheet(
                result.returns,
                result.benchmark_returns,
                run_dir / "tearsheet.html",
                title,
                config.benchmark.upper(),
            )
    return result


def load_context(
    config: BacktestConfig, root: Path, source: str, on_step: Step = _no_step
) -> MarketContext:
    """Prices plus whatever reference data the config's strategy needs, loaded once."""
    on_step("loading prices")
    strategy = config.build_strategy()
    context = build_context(config, root, source, list(strategy.extra_series))
    if strategy.needs:
        on_step("loading fundamentals")
        attach_reference_data(context, config, root, strategy.needs)
    return context


def attach_reference_data(
    context: MarketContext, config: BacktestConfig, root: Path, needs: frozenset[str]
) -> None:
    """Load fundamentals and China exposure into the context, with notes on coverage."""
    notes = context.extras.setdefault("notes", [])
    if "fundamentals" in needs:
        store = load_fundamentals(
            config.data.fundamentals,
            context.universe,
            root,
            path=config.data.fundamentals_path,
            lag_days=config.data.filing_lag_days,
            sec_user_agent=config.data.sec_user_agent,
            price_vintage=context.prices.close.index[-1],
            refresh=config.data.refresh,
        )
        context.fundamentals = store
        if store is not None:
            missing = [t for t in context.universe if t not in store.tickers]
            if missing:
                notes.append(
                    f"fundamentals ({store.source}): no facts for {', '.join(missing)};"
                    " strategies see NaN for them"
                )
            if not store.point_in_time:
                notes.append(
                    "fundamentals from yahoo are NOT point-in-time: each period is "
                    f"assumed filed {YAHOO_LAG_DAYS} days after its end"
                )
    if "china" in needs:
        context.china = ChinaExposure.from_csv(paths.data_dir(root) / "china_exposure.csv")
    if "regimes" in needs:
        context.extras["regimes"] = load_regimes(paths.data_dir(root) / "regimes.yaml")
