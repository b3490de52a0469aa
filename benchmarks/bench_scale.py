"""The scale curve: a composite run at N names, and equal weight against the peers.

    python benchmarks/bench_scale.py [--sizes 34,100,500,1000] [--days 2520]
        [--engines vector,backtrader] [--repeat 3] [--peers] [--folder DIR]

Each size gets a synthetic market (:mod:`synthetic`: N names x D business days of
full bars plus the factor ETFs, SEC-like facts with 10-Q/10-K cadence, restatements,
tag switches, splits, scale slips, late listings and missing tags), written once under
``--folder`` and read through ``data.source: csv`` and ``data.fundamentals: csv`` like
a researcher's own files. Every timing is a whole process, ``airegime run CONFIG
--no-tearsheet --no-portfolio`` of ``article_composite`` over the whole window
(monthly, next-open fills), with its wall time and peak resident memory (the child's
``ru_maxrss``); the table shows the median of ``--repeat`` runs and the cost per name.

``--peers`` adds equal weight over 500 names x D days, monthly at the close, on plain
backtrader (``plain_backtrader.MonthlyEqualWeight``, a published reference for that
size is 233 s), on vectorbt (warm: the second call in its process, the first compiles)
and on both airegime engines; for those rows "engine" is the time spent in the engine
call alone, in the same process.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import FACTORS, write_market

ROOT = Path(__file__).resolve().parents[1]


def project(folder: Path, n: int, days: int, strategy: str, fill: str) -> Path:
    """A project folder (AIREGIME_HOME) with the market's splits and a config; its path."""
    market = write_market(folder / f"market-n{n}-d{days}", n, days)
    home = folder / f"project-n{n}-d{days}-{strategy}-{fill}"
    if not home.is_dir():
        shutil.copytree(ROOT / "data", home / "data", ignore=shutil.ignore_patterns("cache"))
        shutil.copy(market["splits"], home / "data" / "splits.csv")
        (home / "backtests").mkdir()
    import pandas as pd

    tickers = sorted(p.stem for p in market["prices"].glob("S*.csv"))
    dates = pd.read_csv(market["prices"] / f"{FACTORS[0]}.csv", usecols=["date"])["date"]
    config = {
        "name": f"scale_{strategy}_{n}",
        "strategy": {"name": strategy},
        "universe": tickers,
        "benchmark": "SPY",
        "start": str(dates.iloc[0]),
        "end": str(dates.iloc[-1]),
        "data": {
            "source": "csv",
            "path": str(market["prices"]),
            "fundamentals": "csv" if strategy != "equal_weight" else "none",
            "fundamentals_path": str(market["fundamentals"]),
        },
        "rebalance": "monthly",
        "execution": {"fill": fill},
        "costs": {"commission_bps": 5, "slippage_bps": 5},
        "cash_buffer": 0.01,
    }
    path = home / "backtests" / "scale.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def whole_process(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds, stdout) of one child process. CPU time (user + system)
    is the figure to read on a machine other jobs share: wall time grows with their load."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def peak_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_run(config: Path, engine: str, repeat: int) -> tuple[float, float, float]:
    """Median wall and CPU seconds and peak MB of ``airegime run`` over ``repeat`` processes."""
    # Python's default of caching compiled modules: an environment that sets
    # PYTHONDONTWRITEBYTECODE recompiles every airegime module in each process (0.1-0.2 s).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["AIREGIME_HOME"] = str(config.parents[1])
    results = config.parents[1] / "results"
    walls, cpus, peaks = [], [], []
    for _ in range(repeat):
        script = (
            "import resource, sys\n"
            "from airegime.cli import main\n"
            "try:\n    main()\n"
            "except SystemExit as exc:\n    code = exc.code\nelse:\n    code = 0\n"
            "print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
            "sys.exit(code)\n"
        )
        argv = [
            sys.executable, "-c", script, "run", str(config), "--engine", engine,
            "--no-tearsheet", "--no-portfolio", "--results-dir", str(results),
        ]  # fmt: skip
        wall, cpu, out = whole_process(argv, env)
        peak = int(out.rsplit("PEAK", 1)[1].split()[0]) / 1024
        walls.append(wall)
        cpus.append(cpu)
        peaks.append(peak)
        shutil.rmtree(results, ignore_errors=True)
    return statistics.median(walls), statistics.median(cpus), max(peaks)


def peer(name: str, config: Path) -> dict[str, float]:
    """Run one equal-weight peer in this process: {"engine": seconds, "total": return}."""
    import numpy as np
    import pandas as pd

    from airegime.config import load_config
    from airegime.engines.orders import rebalance_mask
    from airegime.loading import load_context
    from airegime.run import engine_settings

    cfg = load_config(config)
    context = load_context(cfg, config.parents[1], str(config), report_data=False)
    closes = context.prices.close[context.universe]
    closes = closes[closes.notna().any(axis=1)]
    if name in ("backtrader", "vector"):
        from airegime.engines import run_engine

        started = time.perf_counter()
        values = run_engine(name, context, cfg.build_strategy(), engine_settings(cfg)).values
        return {"engine": time.perf_counter() - started, "total": values.iloc[-1] / 1e6 - 1}
    if name == "plain_backtrader":
        import backtrader as bt
        from plain_backtrader import MonthlyEqualWeight

        started = time.perf_counter()
        cerebro = bt.Cerebro(stdstats=False, runonce=True, preload=True)
        for ticker in closes.columns:
            close = closes[ticker].ffill().bfill()
            frame = pd.DataFrame(
                {"open": close, "high": close, "low": close, "close": close}
            ).assign(volume=0.0, openinterest=0.0)
            cerebro.adddata(bt.feeds.PandasDirectData(dataname=frame), name=ticker)
        cerebro.broker.setcash(1_000_000)
        cerebro.broker.setcommission(commission=0.0005)
        cerebro.broker.set_slippage_perc(0.0005, slip_out=True)
        cerebro.broker.set_coc(True)
        cerebro.addstrategy(MonthlyEqualWeight, listed=closes.notna())
        values = cerebro.run()[0].values
        return {"engine": time.perf_counter() - started, "total": values[-1] / values[0] - 1}
    import vectorbt as vbt

    mask = pd.Series(rebalance_mask(closes.index, "monthly"), index=closes.index)
    listed = closes.notna()
    size = (listed.div(listed.sum(axis=1), axis=0) * 0.99).where(mask, np.nan, axis=0)

    def run() -> float:
        portfolio = vbt.Portfolio.from_orders(
            closes.ffill().bfill(), size, size_type="targetpercent", group_by=True,
            cash_sharing=True, call_seq="auto", fees=0.0005, slippage=0.0005,
            init_cash=1_000_000.0, freq="1D",
        )  # fmt: skip
        return float(portfolio.total_return())

    run()  # compiles (or loads numba's cache)
    started = time.perf_counter()
    total = run()
    return {"engine": time.perf_counter() - started, "total": total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="34,100,500,1000")
    parser.add_argument("--days", type=int, default=2520)
    parser.add_argument("--engines", default="vector,backtrader")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--peers", action="store_true")
    parser.add_argument("--peer-size", type=int, default=500)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/airegime-scale"))
    parser.add_argument("--peer", help=argparse.SUPPRESS)
    parser.add_argument("--config", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer:  # one peer measurement, in a child process
        print("RESULT", json.dumps({**peer(args.peer, args.config), "peak": peak_mb()}))
        return
    args.folder.mkdir(parents=True, exist_ok=True)
    print(
        f"{'run':34s} {'names':>6s} {'wall s':>8s} {'cpu s':>8s} {'cpu ms/name':>12s} "
        f"{'peak MB':>8s}"
    )
    for n in [int(s) for s in args.sizes.split(",") if s]:
        config = project(args.folder, n, args.days, "article_composite", "next_open")
        for engine in args.engines.split(","):
            wall, cpu, peak = timed_run(config, engine, args.repeat)
            label = f"article_composite, {engine}"
            print(
                f"{label:34s} {n:6d} {wall:8.2f} {cpu:8.2f} {cpu / n * 1e3:12.1f} {peak:8.0f}",
                flush=True,
            )
    if not args.peers:
        return
    config = project(args.folder, args.peer_size, args.days, "equal_weight", "same_close")
    # Python's default of caching compiled modules: an environment that sets
    # PYTHONDONTWRITEBYTECODE recompiles every airegime module in each process (0.1-0.2 s).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["AIREGIME_HOME"] = str(config.parents[1])
    print(f"\nequal weight, {args.peer_size} names x {args.days} days, monthly, at the close")
    print(
        f"{'peer':34s} {'engine s':>8s} {'wall s':>8s} {'cpu s':>8s} {'peak MB':>8s} {'total':>10s}"
    )
    for name in ("plain_backtrader", "backtrader", "vector", "vectorbt"):
        argv = [sys.executable, __file__, "--peer", name, "--config", str(config)]
        wall, cpu, out = whole_process(argv, env)
        found = json.loads(out.rsplit("RESULT", 1)[1])
        print(
            f"{name:34s} {found['engine']:8.2f} {wall:8.2f} {cpu:8.2f} {found['peak']:8.0f} "
            f"{found['total']:10.2%}",
            flush=True,
        )


if __name__ == "__main__":
    main()
