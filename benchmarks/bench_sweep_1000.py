"""A 1,000-point sweep of the article composite on the bundled sample, 2 workers.

    python benchmarks/bench_sweep_1000.py [--workers 2] [--engine vector]

Grid: top_n 2..11 x w_balance_sheet 0,0.5,1,1.5,2 x w_capex 0,0.5,1,1.5,2 x
w_valuation 0,0.5,1,2 over the full sample (2016-01..2026-07), monthly. Points are
screened on the vector engine and the best 3 confirmed on backtrader (the default).
The timing starts from an empty results folder and includes loading the data,
writing 1,000 run folders, the ranking and the overfitting report. Peak memory is the
largest resident set of the parent plus ``workers`` times that of the largest worker.
Targets (issue #20): under 60 s on 2 cores, under 2 GB.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from airegime.sweep import run_sweep

ROOT = Path(__file__).resolve().parents[1]
GRID = [
    "strategy.params.top_n=2,3,4,5,6,7,8,9,10,11",
    "strategy.params.w_balance_sheet=0,0.5,1,1.5,2",
    "strategy.params.w_capex=0,0.5,1,1.5,2",
    "strategy.params.w_valuation=0,0.5,1,2",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--engine", default="vector")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        result = run_sweep(
            ROOT / "backtests" / "article_composite.yaml",
            GRID,
            workers=args.workers,
            results_root=Path(tmp),
            engine=args.engine,
        )
        elapsed = time.perf_counter() - started
    ranking = result.ranking
    assert len(ranking) == 1000 and (ranking["status"] == "ok").all(), result.errors
    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**10
    peak = parent + args.workers * child
    cpu = sum(
        getattr(resource.getrusage(who), field)
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
        for field in ("ru_utime", "ru_stime")
    )
    print(f"points                 {len(ranking)}")
    print(f"engines                {ranking['engine'].value_counts().to_dict()}")
    print(f"wall time              {elapsed:7.1f} s  ({elapsed / len(ranking) * 1e3:.0f} ms/point)")
    print(f"CPU time               {cpu:7.1f} s  (user + system, parent and workers)")
    print(f"peak memory            {peak:7.0f} MB  (parent {parent:.0f}, worker {child:.0f})")
    print(f"targets                < 60 s, < 2048 MB: {elapsed < 60 and peak < 2048}")


if __name__ == "__main__":
    main()
