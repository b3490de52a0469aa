"""China revenue exposure by ticker and fiscal year, point in time.

Read from ``data/china_exposure.csv`` (see ``data/china_exposure.md``). A figure
is known from its ``filed`` date, or from fiscal year end + 60 days where the
filing date is not given. Tickers without a figure are unknown (NaN), never zero.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError

FALLBACK_DAYS = 60
COLUMNS = ("ticker", "fiscal_year", "fiscal_year_end", "filed", "china_revenue_share", "source")


class ChinaExposure:
    """China revenue shares with the date each one became known."""

    def __init__(self, table: pd.DataFrame) -> None:
        table = table.copy()
        fye = pd.to_datetime(table["fiscal_year_end"])
        filed = pd.to_datetime(table["filed"].replace("", np.nan), errors="coerce")
        table["known_from"] = filed.fillna(fye + pd.Timedelta(days=FALLBACK_DAYS))
        self.table = table.sort_values(["ticker", "fiscal_year_end"]).reset_index(drop=True)

    @classmethod
    def from_csv(cls, path: Path) -> ChinaExposure:
        if not path.is_file():
            raise DataError(f"{path}: China exposure table not found")
        table = pd.read_csv(path, dtype={"filed": str}, keep_default_na=False)
        missing = [c for c in COLUMNS if c not in table.columns]
        if missing:
            raise DataError(
                f"{path}: missing column(s) {', '.join(missing)}; expected {','.join(COLUMNS)}"
            )
        share = pd.to_numeric(table["china_revenue_share"], errors="coerce")
        bad = table.index[share.isna() | (share < 0) | (share > 1)]
        if len(bad):
            raise DataError(
                f"{path}: row {bad[0] + 2}: china_revenue_share must be a number between 0 and 1"
            )
        if (table["source"].str.strip() == "").any():
            row = table.index[table["source"].str.strip() == ""][0] + 2
            raise DataError(f"{path}: row {row}: every figure needs its source document")
        table["china_revenue_share"] = share
        return cls(table)

    def share_asof(self, tickers: list[str], date: pd.Timestamp) -> pd.Series:
        """The latest known share by ticker on ``date``; NaN where nothing was known.

        Of a ticker's rows known by ``date`` (``known_from <= date``), the last one in
        the table's order (by fiscal year end) wins. Float by ticker, in the order given.
        """
        _, known_from, codes, names, share = self._columns()
        index = pd.Index(tickers, name="ticker")
        values = np.full(len(index), np.nan)
        rows = np.flatnonzero(known_from <= np.datetime64(pd.Timestamp(date).as_unit("ns")))
        if rows.size:
            # the last known row of each ticker: first of each code in the reversed rows
            found, first = np.unique(codes[rows[::-1]], return_index=True)
            at = names[found].get_indexer(index)  # found names are unique
            latest = share[rows[::-1][first]]
            values = np.where(at >= 0, latest[at], np.nan)
        return pd.Series(values, index=index, name="china_revenue_share")

    def _columns(self) -> tuple:
        """The table's columns as arrays (rows without a share left out), built once."""
        held = self.__dict__.get("_arrays")
        if held is None or held[0] is not self.table:
            table = self.table
            share = table["china_revenue_share"].to_numpy(dtype=float)
            keep = ~np.isnan(share) & table["ticker"].notna().to_numpy()
            codes, names = pd.factorize(table["ticker"].to_numpy()[keep])
            known_from = table["known_from"].to_numpy(dtype="datetime64[ns]")[keep]
            held = (table, known_from, codes, pd.Index(names), share[keep])
            self.__dict__["_arrays"] = held
        return held

    def covered(self) -> list[str]:
        return sorted(self.table["ticker"].unique())


#: Where ``airegime data fetch --china`` caches the shares it read from 10-K filings.
EXTRACTS = "china_extracted.csv"


def load_disclosed(data_dir: Path, cache_dir: Path | None = None) -> ChinaExposure:
    """The curated table, plus cached filing extracts for fiscal years it does not cover.

    The curated ``data/china_exposure.csv`` wins where both give a ticker's fiscal year.
    """
    curated = ChinaExposure.from_csv(data_dir / "china_exposure.csv")
    extracted_path = cache_dir / EXTRACTS if cache_dir is not None else None
    if extracted_path is None or not extracted_path.is_file():
        return curated
    extracted = ChinaExposure.from_csv(extracted_path).table
    have = set(zip(curated.table["ticker"], curated.table["fiscal_year"], strict=True))
    new = extracted[
        [
            (t, y) not in have
            for t, y in zip(extracted["ticker"], extracted["fiscal_year"], strict=True)
        ]
    ]
    columns = [c for c in curated.table.columns if c != "known_from"]
    merged = pd.concat([curated.table[columns], new.reindex(columns=columns)], ignore_index=True)
    return ChinaExposure(merged)
