"""``airegime data fundamentals|china|prices|fetch``: inspect point-in-time data, fill the cache."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

if TYPE_CHECKING:
    import pandas as pd

from ..errors import ConfigError, did_you_mean, user_date
from .common import console, fail, guarded, print_frame, project_root, tickers_or_universe

FUNDAMENTAL_FORMATS = {
    **{
        metric: "{:,.0f}"
        for metric in (
            "revenue_ttm",
            "net_income_ttm",
            "operating_cash_flow_ttm",
            "capex_ttm",
            "fcf_ttm",
            "operating_income_ttm",
            "gross_profit_ttm",
            "rd_expense_ttm",
            "total_debt",
            "cash",
            "short_term_investments",
            "long_term_investments",
            "equity",
            "total_assets",
            "net_cash",
            "diluted_shares",
            "shares_outstanding",
            "market_cap",
            "staleness_days",
            "ttm_age_days",
            "balance_sheet_age_days",
            "shares_age_days",
        )
    },
    **{
        metric: "{:.1%}"
        for metric in (
            "net_cash_to_assets",
            "fcf_margin",
            "net_margin",
            "operating_margin",
            "gross_margin",
            "rd_intensity",
            "capex_to_ocf",
            "revenue_growth",
            "debt_growth",
        )
    },
    "eps_diluted_ttm": "{:.2f}",
    "debt_to_equity": "{:.2f}",
    "fcf_stability": "{:.2f}",
    "capex_over_ocf_years": "{:.0f}",
    "pe_ttm": "{:.1f}",
    "ps_ttm": "{:.1f}",
    "ev_to_sales": "{:.1f}",
}


def data_fundamentals(
    tickers: Annotated[
        list[str] | None, typer.Argument(help="Tickers (default: the universe)")
    ] = None,
    as_of: Annotated[str, typer.Option("--as-of", help="Date D: only filings up to D")] = "",
    source: Annotated[str, typer.Option(help="sample | csv | sec | yahoo")] = "sample",
    path: Annotated[str | None, typer.Option(help="csv: the facts file")] = None,
    lag: Annotated[
        int, typer.Option(help="Days after each filing date before it counts (runs use 1)")
    ] = 1,
    universe: Annotated[
        str, typer.Option(help="Named universe when no tickers")
    ] = "fundamentals_covered",
    metrics: Annotated[
        str,
        typer.Option(
            "--metrics", help="Comma-separated metrics to show, e.g. pe_ttm,net_margin (all)"
        ),
    ] = "",
) -> None:
    """The point-in-time fundamentals table as known on --as-of (default: today): one row
    per metric, the tickers in as many tables as fit the terminal's width."""
    import pandas as pd

    from ..data.fundamental_sources import load_fundamentals
    from ..data.prices import load_sample, sample_tickers

    with guarded():
        names = tickers_or_universe(tickers, universe)
        if lag < 0:
            raise ConfigError(
                f"--lag {lag}: days after a filing before it counts must be 0 or more (runs use 1)"
            )
        date = user_date(as_of, "--as-of") if as_of else pd.Timestamp.today().normalize()
        known = [t for t in names if t in sample_tickers()]
        sample = load_sample(known).close if known else None  # prices for P/E
        before = sample.loc[:date].ffill() if sample is not None else None
        prices = before.iloc[-1] if before is not None and not before.empty else None
        vintage = sample.index[-1] if sample is not None else None
        store = load_fundamentals(
            source, names, project_root(), path=path, lag_days=lag, price_vintage=vintage
        )
        table = store.metrics_asof(names, date, prices).T
        wanted = [m.strip() for m in metrics.split(",") if m.strip()]
        unknown = [m for m in wanted if m not in table.index]
        if unknown:
            raise ConfigError(
                f"--metrics {unknown[0]}: not a fundamentals metric"
                f"{did_you_mean(unknown[0], table.index)}; choose from "
                f"{', '.join(table.index)}"
            )
    table = table.astype(object)
    for metric, fmt in FUNDAMENTAL_FORMATS.items():
        table.loc[metric] = [fmt.format(v) if v == v else "-" for v in table.loc[metric]]
    if wanted:
        table = table.loc[wanted]
    table.index.name = "metric"
    print_frame(table, f"fundamentals known on {date.date()} ({source})", fit=True)
    console.print(
        "[dim]ages in days from a fact's period end to the as-of date: staleness_days for "
        "the newest statement, then TTM flows, balance sheet and share count; "
        "net_cash = cash + short-term investments - debt[/]",
        highlight=False,
    )
    missing = [t for t in names if t not in store.tickers]
    if missing:
        console.print(f"[dim]no facts for {', '.join(missing)} in {source}[/]", highlight=False)
    for note in store.notes:
        console.print(f"[dim]note: {escape(note)}[/]", highlight=False)


def data_china(
    tickers: Annotated[
        list[str] | None, typer.Argument(help="Tickers (default: ai_global)")
    ] = None,
    as_of: Annotated[str, typer.Option("--as-of", help="Date D")] = "",
    measure: Annotated[
        str, typer.Option(help="disclosed (10-K figures) | market (China beta) | blend")
    ] = "disclosed",
) -> None:
    """China revenue shares as known on --as-of; unknown ones are shown as '-'."""
    import pandas as pd

    with guarded():
        names = tickers_or_universe(tickers, "ai_global")
        date = user_date(as_of, "--as-of") if as_of else pd.Timestamp.today().normalize()
        frame, notes = china_exposure_asof(names, date, measure, project_root())
    print_frame(
        frame,
        f"China revenue share known on {date.date()} ({measure})",
        {"china_revenue_share": "{:.1%}", "china_beta": "{:.2f}"},
    )
    for note in notes:
        console.print(f"[dim]{note}[/]", highlight=False)


def data_prices(
    tickers: Annotated[list[str] | None, typer.Argument(help="Tickers (default: all)")] = None,
    source: Annotated[
        str, typer.Option(help="sample | csv | yahoo (the download cache)")
    ] = "sample",
    path: Annotated[Path | None, typer.Option(help="csv: folder of <TICKER>.csv")] = None,
    calendar: Annotated[
        str,
        typer.Option(help="exchange whose trading days gaps are judged against (XNYS, XSHG, none)"),
    ] = "XNYS",
) -> None:
    """Coverage of a price source: first and last day, rows and gaps per ticker."""
    import pandas as pd

    from .. import paths
    from ..data.price_checks import PriceRules
    from ..data.prices import load_csv_dir, load_sample, sample_tickers

    rules = PriceRules(calendar=None if calendar.lower() == "none" else calendar)
    with guarded():
        if source == "sample":
            names = [t.upper() for t in tickers] if tickers else sample_tickers()
            data = load_sample(names, rules)
        elif source in ("csv", "yahoo"):
            folder = path if source == "csv" else paths.cache_dir(project_root()) / "yahoo"
            if folder is None:
                fail("data prices: --source csv needs --path FOLDER")
                return
            names = (
                [t.upper() for t in tickers]
                if tickers
                else sorted(p.stem for p in folder.glob("*.csv"))
            )
            if not names:
                fail(f"data prices: no <TICKER>.csv files in {folder}")
                return
            data = load_csv_dir(folder, names, rules)
        else:
            hint = did_you_mean(source, ("sample", "csv", "yahoo"))
            fail(f"data prices: --source {source}: expected sample, csv or yahoo (the cache){hint}")
            return
    rows = {}
    for ticker in data.tickers:
        series = data.close[ticker].dropna()
        inside = data.close[ticker].loc[series.index[0] : series.index[-1]]
        rows[ticker] = {
            "first": series.index[0],
            "last": series.index[-1],
            "days": float(len(series)),
            "gaps": float(inside.isna().sum()),
            "bars": "ohlcv" if data.has_bars else "close",
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "ticker"
    print_frame(frame, f"prices: {data.source}", {"days": "{:.0f}", "gaps": "{:.0f}"})


def data_fetch(
    tickers: Annotated[
        list[str] | None, typer.Argument(help="Tickers (default: ai_global)")
    ] = None,
    start: Annotated[str, typer.Option(help="First day")] = "2015-01-01",
    end: Annotated[str, typer.Option(help="Last day (default: today)")] = "",
    fundamentals: Annotated[str, typer.Option(help="Also fetch: sec | yahoo | none")] = "none",
    refresh: Annotated[bool, typer.Option(help="Download again even if cached")] = False,
    china: Annotated[
        bool,
        typer.Option(
            "--china", help="Only read China revenue shares from each ticker's 10-Ks (SEC)"
        ),
    ] = False,
    user_agent: Annotated[
        str | None, typer.Option(help="SEC User-Agent with a contact e-mail")
    ] = None,
) -> None:
    """Fill data/cache/ from Yahoo (prices) and SEC or Yahoo (fundamentals); needs network.

    With --china, read each ticker's recent 10-Ks on SEC EDGAR instead and cache the China
    revenue shares found in data/cache/china_extracted.csv (used beside
    data/china_exposure.csv, which wins where both give a year).
    """
    import datetime as dt

    from .. import paths
    from ..data.fundamental_sources import load_fundamentals
    from ..data.yahoo import YahooPrices

    if china:
        fetch_china(tickers, refresh, user_agent)
        return
    with guarded("tickers already downloaded stay in the cache; run again for the rest"):
        names = tickers_or_universe(tickers, "ai_global")
        first = user_date(start, "--start").date()
        last = user_date(end, "--end").date() if end else dt.date.today()
        with console.status(f"downloading prices of {len(names)} tickers"):
            data = YahooPrices(paths.cache_dir(project_root())).load(names, first, last, refresh)
        console.print(f"prices cached: {len(data.tickers)} tickers, {len(data.close)} days")
        if fundamentals != "none":
            with console.status(f"downloading {fundamentals} fundamentals"):
                store = load_fundamentals(fundamentals, names, project_root(), refresh=refresh)
            console.print(
                f"fundamentals cached: {len(store.tickers)} tickers, {len(store.facts)} facts"
            )


def fetch_china(tickers: list[str] | None, refresh: bool, agent: str | None) -> None:
    from .. import paths
    from ..data.china import EXTRACTS
    from ..data.china_filings import EdgarChina
    from ..data.sec import SecClient

    with guarded("figures already read stay in the cache; run again for the rest"):
        names = tickers_or_universe(tickers, "ai_us")
        cache = paths.cache_dir(project_root())
        edgar = EdgarChina(SecClient(cache, agent))
        with console.status(f"reading the 10-Ks of {len(names)} tickers on SEC EDGAR"):
            rows, statuses = edgar.fetch(names, cache / EXTRACTS, refresh)
    for status in statuses:
        console.print(status, highlight=False)
    console.print(f"China rows cached: {len(rows)} in {cache / EXTRACTS}", highlight=False)


def china_exposure_asof(
    tickers: list[str], date: pd.Timestamp, measure: str, root: Path
) -> tuple[pd.DataFrame, list[str]]:
    """The ``data china`` table: share (and China beta) by ticker on ``date``, on the sample.

    Market-implied figures come from the bundled prices up to ``date``.
    """
    import numpy as np

    from ..asof import AsOfView
    from ..data.china_market import FACTOR_SERIES, attach_china, china_betas
    from ..data.context import MarketContext
    from ..data.prices import load_sample, sample_tickers

    if measure not in ("disclosed", "market", "blend"):
        choices = ("disclosed", "market", "blend")
        raise ConfigError(
            f"--measure {measure}: expected disclosed, market or blend"
            f"{did_you_mean(measure, choices)}"
        )
    known = set(sample_tickers())
    prices = load_sample([t for t in dict.fromkeys([*tickers, *FACTOR_SERIES]) if t in known])
    context = MarketContext(prices=prices, universe=[t for t in tickers if t in known])
    attach_china(context, root)
    view = AsOfView(context, date)
    frame = view.china_share(tickers, measure=measure).to_frame("china_revenue_share")
    if measure != "disclosed" and context.china_market is not None:
        betas = china_betas(prices.close, context.universe)
        end = int(betas.index.searchsorted(date, side="right"))
        frame["china_beta"] = betas.iloc[end - 1].reindex(tickers) if end else np.nan
    absent = [t for t in tickers if t not in known]
    notes = list(context.extras.get("notes", []))
    if absent and measure != "disclosed":
        notes.append(f"no bundled prices for {', '.join(absent)}: no market-implied share")
    return frame, notes
