"""Load what a config needs into a :class:`~airegime.data.context.MarketContext`.

The data layer's front door for a config: it resolves the universe, checks the
tickers, dispatches to the configured price source and attaches the reference
data the strategy needs (fundamentals, China exposure, regime events) and what the
portfolio page measures every run with. Runs call :func:`load_context`; sweeps call
it once and reuse the context for every point.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from . import paths
from .config import BacktestConfig
from .data.china_market import CHINA_PROXIES, CONTROLS, attach_china
from .data.context import MarketContext
from .data.fundamental_sources import YAHOO_LAG_DAYS, load_fundamentals
from .data.fundamentals import Splits
from .data.price_checks import PriceRules
from .data.prices import PriceData, load_csv_dir, load_sample, read_first_days, sample_tickers
from .data.regimes import load_regimes
from .data.universes import Universes, load_universes
from .data.yahoo import YahooPrices
from .errors import AiregimeError, ConfigError, DataError, did_you_mean_each, wording
from .stats.exposures import FACTORS
from .strategy import SeriesNeed

Step = Callable[[str], None]


def no_step(_: str) -> None:
    pass


#: Days of history loaded before ``start`` so that lookback signals are warm on day one.
WARMUP_DAYS = 420
#: Calendar days between a requested window edge and the first/last trading day with
#: data that count as covered (weekends and the longest market closures fit in it).
WINDOW_SLACK_DAYS = 7


def universe_tickers(config: BacktestConfig, universes: Universes, source: str) -> list[str]:
    try:
        tickers = universes.resolve(config.universe)
    except ConfigError as exc:
        raise ConfigError(f"{source}: universe: {exc}") from None
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
            hint = did_you_mean_each(unknown, known)
            raise ConfigError(
                f"{source}: {key}: unknown ticker {', '.join(unknown)}{hint} "
                f"(not in {where}; {listed})"
            )


def price_rules(config: BacktestConfig, root: Path) -> PriceRules:
    """What the price checks are told beside the files: the config's ``data.checks``,
    ``data.calendar`` and ``data.known_moves``, and the project's dated lists
    ``data/first_days.csv`` and ``data/splits.csv``."""
    data = paths.data_dir(root)
    splits: dict[str, dict[pd.Timestamp, float]] = {}
    table = Splits.from_csv(data / "splits.csv").table
    for ticker, date, ratio in table[["ticker", "date", "ratio"]].itertuples(index=False):
        splits.setdefault(str(ticker).upper(), {})[pd.Timestamp(date)] = float(ratio)
    return PriceRules(
        limits=config.data.checks.limits(),
        calendar=None if config.data.calendar == "none" else config.data.calendar,
        first_days=read_first_days(data / "first_days.csv"),
        splits=splits,
        known_moves={
            t: frozenset(pd.Timestamp(d) for d in days)
            for t, days in config.data.known_moves.items()
        },
        cache=paths.cache_dir(root),
    )


def load_prices(config: BacktestConfig, tickers: list[str], root: Path) -> PriceData:
    rules = price_rules(config, root)
    if config.data.source == "sample":
        return load_sample(tickers, rules)
    if config.data.source == "csv":
        return load_csv_dir(Path(config.data.path or ""), tickers, rules)
    start = config.start - dt.timedelta(days=WARMUP_DAYS)
    yahoo = YahooPrices(paths.cache_dir(root), timeout_s=config.data.timeout_s)
    return yahoo.load(tickers, start, config.end, refresh=config.data.refresh, rules=rules)


def source_tickers(config: BacktestConfig, root: Path) -> set[str] | None:
    """Tickers the price source has without a download: the sample's, the csv folder's
    files; None for yahoo (anything may be downloaded)."""
    if config.data.source == "sample":
        return set(sample_tickers())
    if config.data.source == "csv":
        folder = Path(config.data.path or "")
        return {p.stem for p in folder.glob("*.csv")} if folder.is_dir() else set()
    return None


def where_prices(config: BacktestConfig) -> str:
    """The price source as messages name it."""
    if config.data.source == "csv":
        return f"data.path {config.data.path}"
    return "the bundled sample" if config.data.source == "sample" else "yahoo"


def needed_series(
    config: BacktestConfig, root: Path, needs: list[SeriesNeed], source: str = "<config>"
) -> list[str]:
    """The series the strategy's rules read (:meth:`~airegime.strategy.Strategy.series_needs`),
    as the price source has them; one line naming each rule whose series it lacks."""
    have = source_tickers(config, root)
    wanted: list[str] = []
    failures, lacking, fixes = [], [], []
    for need in needs:
        if have is None:
            wanted += [*need.series, *need.any_of]
            continue
        missing = [t for t in need.series if t not in have]
        options = [t for t in need.any_of if t in have]
        if missing or (need.any_of and not options):
            asked = ", ".join(need.series)
            if need.any_of:
                asked += f"{' and ' if need.series else ''}one of {', '.join(need.any_of)}"
            failures.append(f"{need.rule} needs prices of {asked}")
            lacking += [*missing, *([] if options else need.any_of)]
            fixes += [need.fix] if need.fix else []
        wanted += [*need.series, *options]
    if failures:
        raise DataError(
            f"{source}: strategy {config.strategy.name}: {'; '.join(failures)}; "
            f"{where_prices(config)} has no {', '.join(dict.fromkeys(lacking))}; add them"
            + "".join(f", or {fix}" for fix in fixes)
        )
    return list(dict.fromkeys(wanted))


def build_context(
    config: BacktestConfig,
    root: Path,
    source: str = "<config>",
    extra_series: list[str] | None = None,
) -> MarketContext:
    """Prices of the universe, benchmark and any extra series, plus reference tables.

    Extra series the price source does not have are left out (callers that need one
    check first, with :func:`needed_series`).
    """
    universes = load_universes(paths.data_dir(root) / "universes.yaml")
    tickers = universe_tickers(config, universes, source)
    check_tickers(config, tickers, source)
    have = source_tickers(config, root)
    extra = [t for t in extra_series or [] if have is None or t in have]
    wanted = list(dict.fromkeys([*tickers, config.benchmark.upper(), *extra]))
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
        extras={
            "universe_info": universes.info(config.universe),
            "notes": [*known_move_notes(config, wanted), *prices.notes],
        },
    )


def known_move_notes(config: BacktestConfig, tickers: list[str]) -> list[str]:
    """A note for each ``data.known_moves`` ticker the run does not load: the entry does
    nothing, most likely a typo (with the closest loaded ticker) or a leftover."""
    return [
        f"data.known_moves: {ticker} is not in this run's universe or benchmark, so its "
        f"entry has no effect{did_you_mean_each([ticker], tickers)}"
        for ticker in config.data.known_moves
        if ticker not in tickers
    ]


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


#: Per-ticker notes of one kind (as :func:`coverage_notes` words them) and the one line
#: they collapse into in the terminal: a pattern with ``ticker`` (and ``date``), a headline.
TICKER_NOTE_KINDS = (
    (
        re.compile(r"^(?P<ticker>\S+): prices start (?P<date>\S+); tradable from then$"),
        "prices start late for {n} tickers: {items}; tradable from then",
    ),
    (
        re.compile(
            r"^(?P<ticker>\S+): prices end (?P<date>\S+); sold at the next rebalance at its "
            r"last price$"
        ),
        "prices end early for {n} tickers: {items}; sold at the next rebalance at their last price",
    ),
    (
        re.compile(r"^(?P<ticker>\S+): no prices in the window; never held$"),
        "no prices in the window for {n} tickers: {items}; never held",
    ),
)
#: Tickers listed in a collapsed line before "and N more".
SHOWN_TICKERS = 6


def _note_kind(note: str) -> tuple[int | None, dict[str, str]]:
    """Which of :data:`TICKER_NOTE_KINDS` ``note`` is, with its ticker and date."""
    for kind, (pattern, _) in enumerate(TICKER_NOTE_KINDS):
        if match := pattern.match(note):
            return kind, match.groupdict()
    return None, {}


def collapse_notes(notes: list[str], where: str = "config.yaml") -> list[str]:
    """Notes for the terminal: per-ticker notes of one kind become one line (at the place
    of the first), naming up to :data:`SHOWN_TICKERS` tickers and pointing to ``where``
    for the full list; other notes are kept as they are, in order."""
    groups: dict[int, list[dict[str, str]]] = {}
    for note in notes:
        kind, fields = _note_kind(note)
        if kind is not None:
            groups.setdefault(kind, []).append(fields)
    lines: list[str] = []
    done: set[int] = set()
    for note in notes:
        kind, _ = _note_kind(note)
        if kind is None or len(groups[kind]) == 1:
            lines.append(note)
        elif kind not in done:
            done.add(kind)
            found = groups[kind]
            shown = [" ".join(v for v in f.values() if v) for f in found[:SHOWN_TICKERS]]
            more = len(found) - len(shown)
            items = ", ".join(shown) + (f" and {more} more" if more else "")
            headline = TICKER_NOTE_KINDS[kind][1].format(n=len(found), items=items)
            lines.append(f"{headline}; see {where}")
    return lines


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
    first, last = context.memoised(
        ("run_window", start, end), lambda: run_window(context, start, end)
    )
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


def load_context(
    config: BacktestConfig,
    root: Path,
    source: str,
    on_step: Step = no_step,
    report_data: bool = True,
) -> MarketContext:
    """Prices plus whatever reference data the config's strategy needs, loaded once, and
    (``report_data``) what the portfolio page measures every run with."""
    on_step("loading prices")
    strategy = config.build_strategy()
    needed = needed_series(config, root, strategy.series_needs(), source)
    optional = available_series(config, root) if report_data else []
    context = build_context(config, root, source, [*needed, *optional])
    if report_data:
        absent = [t for t in FACTORS if t not in context.prices.close.columns]
        if absent:
            context.extras["notes"].append(
                f"portfolio page: no prices for {', '.join(absent)} in "
                f"{where_prices(config)}, so their rolling betas are left out"
                + (
                    " and so is the market-implied China share"
                    if not set(CONTROLS) <= set(context.prices.close.columns)
                    or not set(CHINA_PROXIES) & set(context.prices.close.columns)
                    else ""
                )
            )
    if strategy.needs:
        on_step("loading fundamentals")
        attach_reference_data(context, config, root, strategy.needs)
    if report_data:
        attach_report_data(context, config, root, strategy.needs)
    return context


def available_series(config: BacktestConfig, root: Path) -> list[str]:
    """The factor series of the portfolio page (:data:`~airegime.stats.exposures.FACTORS`) that
    the price source has without a download: the sample's, the csv folder's files, or
    those already in the yahoo cache."""
    if config.data.source == "sample":
        return [t for t in FACTORS if t in set(sample_tickers())]
    folder = (
        Path(config.data.path or "")
        if config.data.source == "csv"
        else paths.cache_dir(root) / "yahoo"
    )
    return [t for t in FACTORS if (folder / f"{t}.csv").is_file()]


def attach_report_data(
    context: MarketContext, config: BacktestConfig, root: Path, needs: frozenset[str]
) -> None:
    """Reference data the portfolio page measures every run with, whatever its strategy
    reads: the China table, the regime events and offline fundamentals. Loaded quietly
    (coverage notes are about what a strategy sees) and skipped when missing."""
    wanted = {"china", "regimes"}
    if config.data.fundamentals in ("sample", "csv"):
        wanted.add("fundamentals")
    missing = frozenset(wanted - set(needs))
    if not missing:
        return
    notes = list(context.extras.get("notes", []))
    try:
        attach_reference_data(context, config, root, missing)
    except AiregimeError:
        pass  # a report without these sections beats a failed run
    context.extras["notes"] = notes


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
            notes.extend(f"fundamentals: {note}" for note in store.notes)
            if not store.point_in_time:
                notes.append(
                    "fundamentals from yahoo are NOT point-in-time: each period is "
                    f"assumed filed {YAHOO_LAG_DAYS} days after its end"
                )
    if "china" in needs:
        context.filing_lag_days = config.data.filing_lag_days
        attach_china(context, root)
    if "regimes" in needs:
        context.extras["regimes"] = load_regimes(paths.data_dir(root) / "regimes.yaml")
