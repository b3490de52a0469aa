"""The vector engine against backtrader, end to end and engine part, on named configs.

    python benchmarks/bench_end_to_end.py [--repeat 3] [CONFIG ...]

For each config (default: the quickstart and article_composite) and engine:

- whole process: ``airegime run CONFIG --engine E`` in a fresh process, without pages
  (``--no-tearsheet --no-portfolio``) and with both pages (the default command);
- in one process, on a context loaded once: the engine call (``run_engine``), the time
  spent in the strategy inside it (``decide``), and the engine part (the difference).

Times are CPU seconds (user + system, of the child process or of this one), the best of
``--repeat`` runs: on a machine shared with other jobs, wall time grows with the load
while CPU time does not (much); on an idle machine the two are close. ``--wall`` reports
wall-clock seconds instead. The table and the ratios backtrader / vector are what
docs/scale.md quotes.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ("backtests/quickstart.yaml", "backtests/article_composite.yaml")
ENGINES = ("backtrader", "vector")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def whole_process(config: str, engine: str, pages: bool, repeat: int, wall: bool) -> float:
    """Best time of ``airegime run`` in a new process (CPU seconds unless ``wall``)."""
    clock = time.perf_counter if wall else children_cpu
    best = float("inf")
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as out:
            args = [sys.executable, "-m", "airegime.cli", "run", config, "--engine", engine]
            args += ["--results-dir", out]
            if not pages:
                args += ["--no-tearsheet", "--no-portfolio"]
            started = clock()
            subprocess.run(args, cwd=ROOT, check=True, capture_output=True)
            best = min(best, clock() - started)
    return best


def in_process(config: str, repeat: int, wall: bool) -> dict[str, tuple[float, float]]:
    """Per engine: (best engine call, strategy time in that call), on one loaded context."""
    import airegime.engines.backtrader_engine as bt_engine
    import airegime.engines.vector_engine as vec_engine
    from airegime import paths
    from airegime.config import load_config
    from airegime.engines import run_engine
    from airegime.loading import load_context
    from airegime.run import engine_settings

    clock = time.perf_counter if wall else time.process_time
    cfg = load_config(ROOT / config)
    context = load_context(cfg, paths.project_root(ROOT / config), config, report_data=False)
    spent = {"decide": 0.0}
    real = bt_engine.decide

    def counting(*args, **kwargs):
        started = clock()
        out = real(*args, **kwargs)
        spent["decide"] += clock() - started
        return out

    bt_engine.decide = vec_engine.decide = counting
    found = {}
    try:
        for engine in ENGINES:
            runs = []
            for _ in range(repeat):
                spent["decide"] = 0.0
                started = clock()
                run_engine(engine, context, cfg.build_strategy(), engine_settings(cfg))
                runs.append((clock() - started, spent["decide"]))
            found[engine] = min(runs)
    finally:
        bt_engine.decide = vec_engine.decide = real
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("configs", nargs="*", default=list(CONFIGS))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--wall", action="store_true", help="wall-clock instead of CPU time")
    args = parser.parse_args()
    unit = "wall-clock" if args.wall else "CPU"
    print(f"{unit} seconds; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at the start")
    header = "config | engine | process, no pages | process, pages | engine call | strategy"
    print(header + " | engine part")
    for config in args.configs:
        inner = in_process(config, args.repeat, args.wall)
        rows = {}
        for engine in ENGINES:
            bare = whole_process(config, engine, False, args.repeat, args.wall)
            pages = whole_process(config, engine, True, args.repeat, args.wall)
            call, strategy = inner[engine]
            rows[engine] = (bare, pages, call, strategy, call - strategy)
            cells = " | ".join(f"{v:.3f}" for v in rows[engine])
            print(f"{Path(config).stem} | {engine} | {cells}")
        ratios = [b / v for b, v in zip(rows["backtrader"], rows["vector"], strict=True)]
        print(
            f"{Path(config).stem} | backtrader / vector | "
            + " | ".join(f"{r:.1f}x" for r in ratios)
        )
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
