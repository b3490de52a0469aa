"""Time a 12-point sweep of the composite with 1 and with 2 local workers.

    python benchmarks/bench_sweep.py

Grid: top_n 4,6,8 x w_supplier 0,0.5 x max_china_share 0.2,0.35 over the full sample
(2016-01..2026-07). Each timing starts from an empty results folder, so nothing is
resumed. Prices and fundamentals are loaded once per sweep. Points run on backtrader,
so this measures how the workers scale; ``bench_sweep_1000.py`` times the default
vector-engine sweep.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from airegime.sweep import run_sweep

ROOT = Path(__file__).resolve().parents[1]
GRID = [
    "strategy.params.top_n=4,6,8",
    "strategy.params.w_supplier=0,0.5",
    "strategy.params.max_china_share=0.2,0.35",
]


def timed(workers: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        result = run_sweep(
            ROOT / "backtests" / "article_composite.yaml",
            GRID,
            workers=workers,
            results_root=Path(tmp),
            engine="backtrader",
        )
        elapsed = time.perf_counter() - started
        assert (result.ranking["status"] == "ok").all() and len(result.ranking) == 12
    return elapsed


def main() -> None:
    one = timed(1)
    two = timed(2)
    print(f"12-point sweep, 1 worker   {one:6.1f} s")
    print(f"12-point sweep, 2 workers  {two:6.1f} s")
    print(f"speed-up                   {one / two:6.2f}x  (target >= 1.7)")


if __name__ == "__main__":
    main()
