"""Save, or check against, the engine outputs of every config, engine and fill rule.

    python scripts/golden_outputs.py save  FOLDER [--configs backtests/*.yaml]
    python scripts/golden_outputs.py check FOLDER [--configs ...] [--skip-last-day]

A refactoring that must not change any figure (the fundamentals panel, array scoring,
engine speed-ups) is proven by saving the outputs before it and checking after it:
trades (date, ticker, shares, price, value, commission), daily values and cash, target
weights, rejected orders and the strategy's diagnostics of every ``backtests/*.yaml``
on both engines and every fill rule the config's data can serve. Values and prices
must be identical (bit for bit), not merely close.
"""

from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

import pandas as pd

from airegime import paths
from airegime.config import load_config
from airegime.engines import run_engine
from airegime.engines.rebalance import FILL_RULES
from airegime.loading import load_context
from airegime.run import engine_settings

ROOT = Path(__file__).resolve().parents[1]


def outputs(
    config_path: Path, engines: tuple[str, ...] = ("backtrader", "vector")
) -> dict[tuple[str, str], dict]:
    """{(engine, fill): records} for one config."""
    base = load_config(config_path)
    context = load_context(
        base, paths.project_root(config_path), str(config_path), report_data=False
    )
    found = {}
    for fill in FILL_RULES:
        if fill == "next_open" and not context.prices.has_bars:
            continue
        for engine in engines:
            config = load_config(config_path, [f"execution.fill={fill}"])
            result = run_engine(engine, context, config.build_strategy(), engine_settings(config))
            found[(engine, fill)] = {
                "trades": result.trades,
                "values": result.values,
                "cash": result.cash,
                "targets": result.targets,
                "rejected": result.rejected,
                "diagnostics": result.diagnostics,
            }
    return found


def differences(old: dict, new: dict, skip_last_day: bool = False) -> list[str]:
    """What differs between two records of one (config, engine, fill)."""
    found = []
    for key in ("trades", "values", "cash", "targets"):
        a, b = old[key], new[key]
        if skip_last_day and key == "trades" and len(a) != len(b):
            last = old["values"].index[-1]
            a, b = a[a["date"] < last], b[b["date"] < last]
            a, b = a.reset_index(drop=True), b.reset_index(drop=True)
        try:
            if isinstance(a, pd.DataFrame):
                pd.testing.assert_frame_equal(a, b, check_exact=True)
            else:
                pd.testing.assert_series_equal(a, b, check_exact=True)
        except AssertionError as exc:
            found.append(f"{key}: {str(exc).splitlines()[0:3]}")
    for key in ("rejected", "diagnostics"):
        if old[key] != new[key]:
            found.append(f"{key} differ")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=["save", "check"])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--configs", nargs="*", type=Path)
    parser.add_argument("--engines", default="backtrader,vector", help="check only these")
    parser.add_argument("--skip-last-day", action="store_true", help="ignore last-day trades")
    args = parser.parse_args()
    configs = args.configs or sorted((ROOT / "backtests").glob("*.yaml"))
    args.folder.mkdir(parents=True, exist_ok=True)
    failed = 0
    for path in configs:
        records = outputs(path, tuple(args.engines.split(",")))
        target = args.folder / f"{path.stem}.pkl"
        if args.action == "save":
            target.write_bytes(pickle.dumps(records))
            print(f"saved {path.stem}: {sorted(records)}", flush=True)
            continue
        saved = pickle.loads(target.read_bytes())
        for key, record in records.items():
            diff = differences(saved[key], record, args.skip_last_day)
            failed += bool(diff)
            print(f"{path.stem} {key}: {'identical' if not diff else diff}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
