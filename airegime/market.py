"""Load what a config needs into a :class:`~airegime.asof.MarketContext`.

This is the data layer's front door: it resolves the universe, checks the
tickers, dispatches to the configured price source and attaches the
reference tables. Sweeps call it once and reuse the context for every point.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from . import paths
from .asof import MarketContext
from .config import BacktestConfig
from .errors import ConfigError, DataError, wording
from .prices import PriceData, load_csv_dir, load_sample, sample_tickers
from .universe import Universes, load_universes
from .yahoo import YahooPrices

#: Days of history loaded before ``start`` so that lookback signals are warm on day one.
WARMUP_DAYS = 420
#: Calendar days between a requested window edge and the first/last trading day with
#: data that count as covered (weekends and the longest market closures fit in it).
WINDOW_SLACK_DAYS = 7


def universe_tickers(config: BacktestConfig, universes: Universes, source: str) -> list[str]:
    try:
        tickers = universes.resolve(config.universe)
    except KeyError as exc:
        raise ConfigError(f"{source}: universe: {exc.args[0]}") from None
    if not tickers:
        raise ConfigError(f"{source}: universe: empty list; name at least one ticker")
    return tickers


def check_tickers(config: BacktestConfig, tickers: list[str], source: str) -> None:
    """Unknown tickers fail before any data is read, naming the key they came from."""
    if config.data.source == "sample":
        known = set(sample_tickers())
        where = "the bundled sample"
    elif config.data.source == "csv":
        folder = Path(config.data.path or "")
        known = {p.stem for p in folder.glob("*.csv")} if folder.is_dir() else set()
        where = f"data.path {folder}"
        if not folder.is_dir():
            raise ConfigError(
                f"{source}: data.path: folder '{folder}' not found; give a folder "
                "of <TICKER>.csv files"
            )
    else:
        return
    for key, values in (("universe", tickers), ("benchmark", [config.benchmark.upper()])):
        unknown = [t for t in values if t not in known]
        if unknown:
            listed = f"known: {', '.join(sorted(known))}" if known else "it has no .csv files"
            raise ConfigError(
                f"{source}: {key}: unknown ticker {', '.join(unknown)} (not in {where}; {listed})"
            )


def load_prices(config: BacktestConfig, tickers: list[str], root: Path) -> PriceData:
    if config.data.source == "sample":
        return load_sample(tickers)
    if config.data.source == "csv":
        return load_csv_dir(Path(config.data.path or ""), tickers)
    start = config.start - dt.timedelta(days=WARMUP_DAYS)
    yahoo = YahooPrices(paths.cache_dir(root), timeout_s=config.data.timeout_s)
    return yahoo.load(tickers, start, config.end, refresh=config.data.refresh)


def build_context(
    config: BacktestConfig,
    root: Path,
    source: str = "<config>",
    extra_series: list[str] | None = None,
) -> MarketContext:
    """Prices of the universe, benchmark and any extra series, plus reference tables."""
    universes = load_universes(paths.data_dir(root) / "universes.yaml")
    tickers = universe_tickers(config, universes, source)
    check_tickers(config, tickers, source)
    wanted = list(dict.fromkeys([*tickers, config.benchmark.upper(), *(extra_series or [])]))
    if config.data.source == "sample":
        wanted = [t for t in wanted if t in set(sample_tickers())]
    prices = load_prices(config, wanted, root)
    window = prices.close.loc[pd.Timestamp(config.start) : pd.Timestamp(config.end), tickers]
    if window.dropna(how="all").empty:
        raise DataError(
            f"{source}: no prices for the universe between {config.start} and "
            f"{config.end} in {prices.source}; check start/end"
        )
    return MarketContext(
        prices=prices,
        universe=tickers,
        groups=universes.group_map(),
        suppliers=[t for g in universes.suppliers for t in universes.groups.get(g, [])],
        extras={"universe_info": universes.info(config.universe), "notes": list(prices.notes)},
    )


def coverage_notes(context: MarketContext, start: dt.date, end: dt.date) -> list[str]:
    """Human notes on tickers that start late or end early inside the window."""
    notes = []
    close = context.prices.close
    window = close.loc[pd.Timestamp(start) : pd.Timestamp(end)]
    if window.empty:
        return notes
    first_day, last_day = window.index[0], window.index[-1]
    for ticker in context.universe:
        series = window[ticker].dropna()
        if series.empty:
            notes.append(f"{ticker}: no prices in the window; never held")
            continue
        if series.index[0] > first_day:
            notes.append(f"{ticker}: prices start {series.index[0].date()}; tradable from then")
        if series.index[-1] < last_day:
            notes.append(
                f"{ticker}: prices end {series.index[-1].date()}; sold at the next "
                "rebalance at its last price"
            )
    return notes


def run_window(context: MarketContext, start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """First and last trading day in ``start..end`` on which the universe has a price."""
    close = context.prices.close
    window = close.loc[pd.Timestamp(start) : pd.Timestamp(end), context.universe]
    days = window.index[window.notna().any(axis=1).to_numpy()]
    if days.empty:
        raise DataError(
            f"no prices for the universe between {start} and {end} in "
            f"{context.prices.source}; check start/end"
        )
    return days[0].date(), days[-1].date()


def check_window(
    context: MarketContext,
    start: dt.date,
    end: dt.date,
    strict: bool = False,
    source: str = "<config>",
) -> tuple[dict[str, dict[str, str]], list[str]]:
    """The window requested and the one the data allow, plus a note when they differ.

    With ``strict`` a window the data do not cover (beyond ``WINDOW_SLACK_DAYS`` at
    either end) is a :class:`DataError` instead of a trimmed run.
    """
    first, last = run_window(context, start, end)
    window = {
        "requested": {"start": start.isoformat(), "end": end.isoformat()},
        "run": {"start": first.isoformat(), "end": last.isoformat()},
    }
    short = []
    if (first - start).days > WINDOW_SLACK_DAYS:
        short.append(("start", start, first, "begin"))
    if (end - last).days > WINDOW_SLACK_DAYS:
        short.append(("end", end, last, "end"))
    if not short:
        return window, []
    described = " and ".join(f"{k} {asked}: the data {verb} {got}" for k, asked, got, verb in short)
    if strict:
        fixes = ", ".join(f"{key}: {got}" for key, _, got, _ in short)
        raise DataError(
            f"{source}: {described} ({context.prices.source}); set {fixes}, "
            f"or run without {wording('--strict-dates', 'strict_dates')} to trim the window "
            "to the data"
        )
    return window, [
        f"window trimmed to the data: requested {start}..{end}, run {first}..{last} "
        f"({context.prices.source}); {wording('--strict-dates', 'strict_dates=True')} "
        "refuses instead"
    ]
