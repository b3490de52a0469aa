"""Time plain backtrader against ``airegime run`` on the same data and print the ratio.

    python benchmarks/bench_run.py [--repeat 3]

Both run the quickstart portfolio (34 stocks, monthly, 2016-01..2026-07 on the bundled
sample), both filling at the signal day's close (plain backtrader's cheat-on-close;
airegime's default is the next day's close, so the benchmark sets same_close to compare
like with like). airegime's time includes loading the data, the run, metrics and writing
the run folder; the tear sheet and portfolio page, which plain backtrader does not make,
are timed separately. Best of N.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from plain_backtrader import quickstart_tickers, run_plain

from airegime.run import run_backtest

ROOT = Path(__file__).resolve().parents[1]


def best_of(repeat: int, func) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tickers = quickstart_tickers(ROOT)
    same_close = ["execution.fill=same_close"]
    run_backtest(ROOT / "backtests" / "quickstart.yaml", save=False)  # warm imports
    plain = best_of(args.repeat, lambda: run_plain(tickers, "2016-01-01", "2026-07-31"))
    with tempfile.TemporaryDirectory() as tmp:
        ours = best_of(
            args.repeat,
            lambda: run_backtest(
                ROOT / "backtests" / "quickstart.yaml",
                same_close,
                results_root=Path(tmp),
                tearsheet=False,
                portfolio=False,
            ),
        )
        reports = best_of(
            args.repeat,
            lambda: run_backtest(
                ROOT / "backtests" / "quickstart.yaml", same_close, results_root=Path(tmp)
            ),
        )
    values = run_plain(tickers, "2016-01-01", "2026-07-31")
    result = run_backtest(ROOT / "backtests" / "quickstart.yaml", same_close, save=False)
    print(
        f"total return: plain {values[-1] / values[0] - 1:.6f}, "
        f"airegime {result.metrics['total_return']:.6f}"
    )
    print(f"plain backtrader      {plain:6.2f} s")
    print(f"airegime run          {ours:6.2f} s")
    print(f"ratio airegime/plain  {ours / plain:6.2f}  (target <= 1.3)")
    print(f"airegime run, with tear sheet and portfolio page {reports:6.2f} s")


if __name__ == "__main__":
    main()
