"""Where fundamentals come from: ``sample``, ``csv``, ``sec`` or ``yahoo``.

All four produce the same long facts table for :class:`FundamentalsStore`.
``yahoo`` statements carry no filing dates, so each period is assumed filed
``yahoo_lag_days`` (default 90) after its end, and the run warns that they are
not point-in-time.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd

from .. import paths
from ..errors import DataError
from .fundamentals import FundamentalsStore, Splits, normalise_facts
from .sec import SecClient

YAHOO_ROWS = {  # yfinance statement row -> us-gaap tag, and whether it is a flow
    "Total Revenue": ("Revenues", True),
    "Net Income": ("NetIncomeLoss", True),
    "Diluted Average Shares": ("WeightedAverageNumberOfDilutedSharesOutstanding", True),
    "Operating Cash Flow": ("NetCashProvidedByUsedInOperatingActivities", True),
    "Capital Expenditure": ("PaymentsToAcquirePropertyPlantAndEquipment", True),
    "Total Debt": ("LongTermDebt", False),
    "Cash And Cash Equivalents": ("CashAndCashEquivalentsAtCarryingValue", False),
    "Stockholders Equity": ("StockholdersEquity", False),
    "Total Assets": ("Assets", False),
}
YAHOO_LAG_DAYS = 90


@cache
def _sample_facts() -> pd.DataFrame:
    ref = resources.files("airegime") / "sample" / "fundamentals.csv.gz"
    with resources.as_file(ref) as path:
        return normalise_facts(_read_facts(path), "sample fundamentals")


def _read_facts(path: Path) -> pd.DataFrame:
    """A facts file with every column as text but ``value``, which the C parser reads as
    numbers when it can (the same floats as :func:`pandas.to_numeric` of the text, which
    :func:`~airegime.data.fundamentals.normalise_facts` still applies to what it cannot)."""
    header = pd.read_csv(path, nrows=0).columns
    raw = pd.read_csv(path, dtype={c: str for c in header if c != "value"})
    value = raw.get("value")
    if value is not None and not (
        pd.api.types.is_float_dtype(value.dtype) or pd.api.types.is_integer_dtype(value.dtype)
    ):
        raw["value"] = value.astype("str")  # e.g. True/False, read as booleans: text again
    return raw


def read_facts_csv(path: Path) -> pd.DataFrame:
    """A long facts file: ticker, tag, period_start, period_end, filed, value (more allowed)."""
    if not path.is_file():
        raise DataError(f"{path}: fundamentals file not found; set data.fundamentals_path")
    try:
        raw = _read_facts(path)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}: cannot read CSV, it is not UTF-8 text "
            f"({str(exc).split(' in position')[0]}); save it as UTF-8"
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(
            f"{path}: the fundamentals file is empty; expected a header "
            "ticker,tag,period_start,period_end,filed,value and one row per fact"
        ) from None
    except (OSError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: cannot read CSV ({exc})") from None
    if not isinstance(raw.index, pd.RangeIndex):  # pandas took the first field as an index
        raise DataError(
            f"{path}: the rows have more fields than the header names "
            f"({', '.join(map(str, raw.columns))}); fix the header or the rows"
        )
    return normalise_facts(raw, str(path))


def parse_yahoo_statements(
    ticker: str, statements: list[pd.DataFrame], lag_days: int = YAHOO_LAG_DAYS
) -> pd.DataFrame:
    """Annual yfinance statements (rows = items, columns = period ends) as long facts."""
    rows = []
    for statement in statements:
        if statement is None or statement.empty:
            continue
        for item, (tag, is_flow) in YAHOO_ROWS.items():
            if item not in statement.index:
                continue
            for end, value in statement.loc[item].dropna().items():
                end = pd.Timestamp(end).tz_localize(None).normalize()
                start = end - pd.DateOffset(years=1) + pd.Timedelta(days=1) if is_flow else None
                value = abs(float(value)) if item == "Capital Expenditure" else float(value)
                rows.append((ticker, tag, start, end, end + pd.Timedelta(days=lag_days), value))
    return pd.DataFrame(
        rows, columns=["ticker", "tag", "period_start", "period_end", "filed", "value"]
    )


def _yahoo_facts(tickers: list[str]) -> pd.DataFrame:
    import yfinance as yf

    frames = []
    for ticker in tickers:
        t = yf.Ticker(ticker)
        frames.append(parse_yahoo_statements(ticker, [t.income_stmt, t.cashflow, t.balance_sheet]))
    facts = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if facts.empty:
        raise DataError(
            f"yahoo fundamentals: empty download for {', '.join(tickers)}; check "
            "your network or use data.fundamentals: sample"
        )
    return facts


def load_fundamentals(
    source: str,
    tickers: list[str],
    root: Path,
    *,
    path: str | None = None,
    lag_days: int = 0,
    sec_user_agent: str | None = None,
    price_vintage: pd.Timestamp | None = None,
    refresh: bool = False,
) -> FundamentalsStore | None:
    """A store for ``tickers`` from the named source, or None for ``none``."""
    if source == "none":
        return None
    point_in_time = True
    if source == "sample":
        facts = _sample_facts()
    elif source == "csv":
        facts = read_facts_csv(Path(path or ""))
    elif source == "sec":
        client = SecClient(paths.cache_dir(root), sec_user_agent)
        facts = normalise_facts(client.facts(tickers, refresh=refresh), "sec companyfacts")
    elif source == "yahoo":
        facts = normalise_facts(_yahoo_facts(tickers), "yahoo statements")
        point_in_time = False
    else:
        raise DataError(f"unknown fundamentals source '{source}'")
    facts = facts[facts["ticker"].isin(tickers)]
    splits = Splits.from_csv(paths.data_dir(root) / "splits.csv")
    return FundamentalsStore(facts, source, lag_days, splits, price_vintage, point_in_time)
