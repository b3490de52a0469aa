"""Where the project's folders are: reference tables, cache and results.

A run finds its project root by walking up from the config file (or the
current directory) to the first folder that holds ``data/universes.yaml``; the
``AIREGIME_HOME`` environment variable overrides that, and the checkout the
package was installed from (``pip install -e .``) is the fallback. So
``airegime run backtests/x.yaml`` works from anywhere.
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
    checkout = Path(__file__).resolve().parents[1]
    for folder in (here, *here.parents, checkout):
        if (folder / MARKER).is_file():
            return folder
    return Path.cwd().resolve()


def data_dir(root: Path) -> Path:
    return root / "data"


def cache_dir(root: Path) -> Path:
    return root / "data" / "cache"


def results_dir(root: Path) -> Path:
    return root / "results"
