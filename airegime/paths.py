"""Where the project's folders are: reference tables, cache and results.

A run finds its project root by walking up from the config file to the first
folder that holds ``data/universes.yaml``; the ``AIREGIME_HOME`` environment
variable overrides that, and the current directory is the last resort. So
``airegime run backtests/x.yaml`` works from anywhere inside a checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

MARKER = Path("data") / "universes.yaml"


def project_root(start: Path | None = None) -> Path:
    """The folder whose ``data/`` holds the reference tables."""
    env = os.environ.get("AIREGIME_HOME")
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        if (folder / MARKER).is_file():
            return folder
    return Path.cwd().resolve()


def data_dir(root: Path) -> Path:
    return root / "data"


def cache_dir(root: Path) -> Path:
    return root / "data" / "cache"


def results_dir(root: Path) -> Path:
    return root / "results"
