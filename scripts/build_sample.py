"""Build the bundled sample from ``../shared/market-data``: closes and SEC facts.

The sample is what the quickstart and the tests run on: real, dividend- and
split-adjusted daily closes (2015-01-02 to 2026-08-03) for the AI universe,
the benchmarks (SPY, QQQ, SOXX, SMH) and the regime series (TLT, IEF, KWEB...).
It is stored wide (one column per ticker) and gzip-compressed.

Series are cut where the listed company was not yet the one the universe means
(``data/first_days.csv``, which every price source also applies): VRT traded as the
GS Acquisition Holdings SPAC shell, flat around $10, until its business combination
with Vertiv closed on 2020-02-07.

Usage: python scripts/build_sample.py [SOURCE_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from airegime.data.prices import read_first_days

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT.parent / "shared" / "market-data" / "closes"
TARGET = ROOT / "airegime" / "sample" / "closes.csv.gz"
FUNDAMENTALS = ROOT.parent / "shared" / "market-data" / "fundamentals.csv"
FUNDAMENTALS_TARGET = ROOT / "airegime" / "sample" / "fundamentals.csv.gz"


#: First day of each series as the company the universe means (earlier rows dropped).
FIRST_DAYS = read_first_days(ROOT / "data" / "first_days.csv")


def build(source: Path = DEFAULT_SOURCE, target: Path = TARGET) -> pd.DataFrame:
    frames = {}
    for path in sorted(source.glob("*.csv")):
        frame = pd.read_csv(path, parse_dates=["date"], index_col="date")
        frames[path.stem] = frame["adj_close"].loc[FIRST_DAYS.get(path.stem) :]
    wide = pd.DataFrame(frames).sort_index()
    wide.index.name = "date"
    wide.to_csv(target, float_format="%.6f", compression={"method": "gzip", "mtime": 0})
    return wide


def build_fundamentals(source: Path = FUNDAMENTALS, target: Path = FUNDAMENTALS_TARGET) -> int:
    """Copy the SEC facts (with filing dates) as they are, gzip-compressed."""
    facts = pd.read_csv(source, dtype=str)
    facts.to_csv(target, index=False, compression={"method": "gzip", "mtime": 0})
    return len(facts)


if __name__ == "__main__":
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE
    result = build(src)
    print(
        f"{TARGET.relative_to(ROOT)}: {result.shape[1]} tickers, {len(result)} days, "
        f"{TARGET.stat().st_size / 1e6:.2f} MB"
    )
    rows = build_fundamentals()
    print(
        f"{FUNDAMENTALS_TARGET.relative_to(ROOT)}: {rows} facts, "
        f"{FUNDAMENTALS_TARGET.stat().st_size / 1e6:.2f} MB"
    )
