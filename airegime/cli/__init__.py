"""The ``airegime`` command: thin wrappers around the Python API, one module per group."""

from __future__ import annotations

import sys

from . import compare, data, explain, factors, listing, run, sweep
from .common import INTERRUPTED_EXIT, app, data_app, err_console, list_app

# The commands, in the order `airegime --help` lists them.
app.command()(run.run)
app.command()(run.table)
app.command()(compare.compare)
app.command()(sweep.sweep)
app.command()(factors.factors)
app.command()(explain.explain)
list_app.command("strategies")(listing.list_strategies)
list_app.command("universes")(listing.list_universes)
data_app.command("fundamentals")(data.data_fundamentals)
data_app.command("china")(data.data_china)
data_app.command("prices")(data.data_prices)
data_app.command("fetch")(data.data_fetch)

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point; SIGTERM ends a command like Ctrl-C (cleanly)."""
    import signal

    def terminate(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    try:
        app()
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(INTERRUPTED_EXIT)
