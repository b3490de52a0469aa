"""Keep matplotlib headless and quantstats quiet: users see our output only.

backtrader's plotting and matplotlib's default may pick a Tk backend; quantstats
emits FutureWarnings, RuntimeWarnings and font-lookup log lines. Import this
module before either library draws anything; it imports neither.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import warnings
from collections.abc import Iterator

# matplotlib reads MPLBACKEND when it is first imported; importing it here would cost
# every run a second of start-up, pages or not. Only a matplotlib the caller already
# imported is switched now.
os.environ.setdefault("MPLBACKEND", "Agg")
if "matplotlib" in sys.modules:
    sys.modules["matplotlib"].use("Agg")


@contextlib.contextmanager
def silenced() -> Iterator[None]:
    """Suppress warnings, stray prints and matplotlib's font log lines inside the block."""
    loggers = [
        logging.getLogger(n)
        for n in ("matplotlib", "matplotlib.font_manager", "quantstats", "yfinance", "fontTools")
    ]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)
