"""Time the engines on one portfolio, in one process, on the same data.

    python benchmarks/bench_engines.py [--repeat 3]

The portfolio is the quickstart's: equal weight over the US AI universe (names join
when they list), monthly, 2016-01..2026-07 on the bundled sample, 5 bps commission,
5 bps slippage, 1% cash. Rows:

- plain backtrader: the hand-written backtrader strategy of ``plain_backtrader.py``;
- airegime backtrader / vector: ``run_backtrader`` / ``run_vector`` on a loaded context
  (the "engine part" column is the engine alone: the same run with the strategy's
  decisions computed beforehand);
- bt and vectorbt (``pip install -e .[bench]``), cold (first call in the process,
  vectorbt's includes numba compiling) and warm;
- numpy: a lower bound, the same rebalances as one loop over rebalance days.

Times are the median of ``--repeat`` runs (cold rows: one run); peak memory is what
``tracemalloc`` saw during one more run. bt and vectorbt fill at the rebalance day's
close (airegime's ``same_close``), so that row of airegime runs ``same_close`` too.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from plain_backtrader import quickstart_tickers, run_plain

import airegime.engines.backtrader_engine as bt_engine
import airegime.engines.vector_engine as vec_engine
from airegime.config import load_config
from airegime.engines.orders import rebalance_mask
from airegime.loading import load_context
from airegime.run import engine_settings

ROOT = Path(__file__).resolve().parents[1]
START, END = "2016-01-01", "2026-07-31"
COST, CASH = 0.0005, 0.01


def timed(func: Callable[[], float], repeat: int) -> tuple[float, float]:
    """(median time, result of the last call)."""
    times, out = [], float("nan")
    for _ in range(repeat):
        started = time.perf_counter()
        out = func()
        times.append(time.perf_counter() - started)
    return statistics.median(times), out


def peak_mb(func: Callable[[], float]) -> float:
    tracemalloc.start()
    func()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def closes() -> pd.DataFrame:
    from airegime.data.prices import load_sample

    frame = load_sample(quickstart_tickers(ROOT)).close.loc[START:END]
    return frame[frame.notna().any(axis=1)]


def run_bt(prices: pd.DataFrame) -> float:
    import bt

    listed = prices.notna()
    strategy = bt.Strategy(
        "ew",
        [
            bt.algos.RunMonthly(run_on_first_date=True),
            bt.algos.SelectWhere(listed),
            bt.algos.WeighEqually(),
            bt.algos.ScaleWeights(1 - CASH),  # hypothetical: keep 1% in cash like airegime
            bt.algos.Rebalance(),
        ],
    )
    test = bt.Backtest(
        strategy,
        prices.ffill().fillna(0.0),
        initial_capital=1_000_000.0,
        commissions=lambda quantity, price: abs(quantity) * price * COST * 2,
        integer_positions=False,
        progress_bar=False,
    )
    result = bt.run(test)
    series = result.prices["ew"]
    return float(series.iloc[-1] / series.iloc[0] - 1)


def run_vectorbt(prices: pd.DataFrame) -> float:
    import vectorbt as vbt

    mask = rebalance_mask(prices.index, "monthly")
    listed = prices.notna()
    target = listed.div(listed.sum(axis=1), axis=0) * (1 - CASH)
    size = target.where(pd.Series(mask, index=prices.index), np.nan, axis=0)
    portfolio = vbt.Portfolio.from_orders(
        prices.ffill().bfill(),
        size,
        size_type="targetpercent",
        group_by=True,
        cash_sharing=True,
        call_seq="auto",  # sells before buys
        fees=COST,
        slippage=COST,
        init_cash=1_000_000.0,
        freq="1D",
    )
    return float(portfolio.total_return())


def run_numpy(prices: pd.DataFrame) -> float:
    """Monthly equal weight at the close: sells and buys at once, costs on traded value."""
    px = prices.ffill().bfill().to_numpy()
    listed = prices.notna().to_numpy()
    held = np.zeros(px.shape[1])
    cash = 1_000_000.0
    days = np.flatnonzero(rebalance_mask(prices.index, "monthly"))
    for day in days:
        value = cash + held @ px[day]
        names = listed[day]
        goal = np.where(names, value * (1 - CASH) / names.sum() / px[day], 0.0)
        traded = np.abs(goal - held) @ px[day]
        cash += (held - goal) @ px[day] - traded * 2 * COST
        held = goal
    final = cash + held @ px[-1]
    return final / 1_000_000.0 - 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    config = load_config(ROOT / "backtests" / "quickstart.yaml", ["execution.fill=same_close"])
    context = load_context(config, ROOT, "quickstart.yaml")
    strategy = config.build_strategy()
    settings = engine_settings(config)
    prices = closes()
    tickers = quickstart_tickers(ROOT)

    # The engine part: the engine's own time, with the strategy's decisions computed
    # beforehand (a memoised decide), median of `repeat` runs.
    decisions: dict = {}
    real_decide = bt_engine.decide
    replaying = {"on": False}

    def memo_decide(context, policy, date, buffer):
        if not replaying["on"] or date not in decisions:
            decisions[date] = real_decide(context, policy, date, buffer)
        return decisions[date]

    bt_engine.decide = vec_engine.decide = memo_decide

    def airegime_on(run) -> Callable[[], float]:
        def go() -> float:
            values = run(context, strategy, settings).values
            return float(values.iloc[-1] / values.iloc[0] - 1)

        return go

    def engine_part(run, repeat: int) -> float:
        go = airegime_on(run)
        go()
        replaying["on"] = True
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            go()
            times.append(time.perf_counter() - started)
        replaying["on"] = False
        return statistics.median(times)

    rows: list[tuple[str, float, float | None, float, float]] = []

    def measure(name: str, func: Callable[[], float], repeat: int, engine=None):
        seconds, total = timed(func, repeat)
        part = engine_part(engine, repeat) if engine is not None else None
        rows.append((name, seconds, part, total, peak_mb(func)))

    plain = lambda: (lambda v: v[-1] / v[0] - 1)(run_plain(tickers, START, END))  # noqa: E731
    measure("plain backtrader", plain, args.repeat)
    run_bt_engine, run_vec_engine = bt_engine.run_backtrader, vec_engine.run_vector
    measure("airegime backtrader", airegime_on(run_bt_engine), args.repeat, engine=run_bt_engine)
    measure("airegime vector", airegime_on(run_vec_engine), args.repeat, engine=run_vec_engine)
    for name, func in (("bt", run_bt), ("vectorbt", run_vectorbt)):
        try:
            measure(f"{name} (cold)", lambda f=func: f(prices), 1)
            measure(f"{name} (warm)", lambda f=func: f(prices), args.repeat)
        except ImportError:
            print(f"{name}: not installed (pip install -e .[bench]); skipped")
    measure("numpy loop", lambda: run_numpy(prices), args.repeat)

    header = ("seconds", "engine part", "total return", "peak MB")
    print(f"{'engine':22s} {header[0]:>9s} {header[1]:>12s} {header[2]:>13s} {header[3]:>8s}")
    for name, seconds, part, total, peak in rows:
        part_text = f"{part:12.4f}" if part is not None else f"{'':12s}"
        print(f"{name:22s} {seconds:9.4f} {part_text} {total:13.4%} {peak:8.1f}")
    by_name = {r[0]: r for r in rows}
    reference, vector = by_name["airegime backtrader"], by_name["airegime vector"]
    print(f"vector vs backtrader engine, whole run:  {reference[1] / vector[1]:6.1f}x")
    print(f"vector vs backtrader engine, engine part: {reference[2] / vector[2]:6.1f}x")
    for other in ("bt (warm)", "vectorbt (warm)", "plain backtrader"):
        if other in by_name:
            print(f"vector vs {other:24s} {by_name[other][1] / vector[1]:6.1f}x")
    if "vectorbt (warm)" in by_name:
        ratio = by_name["vectorbt (warm)"][1] / vector[2]
        print(f"vector engine part vs vectorbt (warm):    {ratio:6.2f}x")


if __name__ == "__main__":
    main()
