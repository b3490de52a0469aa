"""``airegime list strategies|universes``."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from ..errors import did_you_mean
from .common import console, fail, guarded


def list_strategies(
    name: Annotated[
        str | None, typer.Argument(help="Show one strategy's parameters in full")
    ] = None,
) -> None:
    """Every registered strategy with its parameters and defaults (or one in full)."""
    from ..registry import registered

    try:
        strategies = registered()
    except Exception as exc:  # noqa: BLE001 - a registry failure is one line too
        fail(f"cannot list strategies ({type(exc).__name__}: {exc})")
        return
    if name is not None:
        if name not in strategies:
            hint = did_you_mean(name, strategies)
            fail(f"unknown strategy '{name}'{hint} (registered: {', '.join(strategies)})")
            return
        cls = strategies[name]
        doc = sys.modules[cls.__module__].__doc__ or cls.__doc__ or ""
        console.print(f"[bold]{name}[/]: {cls.summary}\n\n{doc.strip()}\n", highlight=False)
        table = Table(title="parameters (strategy.params.*)", title_justify="left")
        for col in ("parameter", "default", "description"):
            table.add_column(col)
        for key, field in cls.Params.model_fields.items():
            table.add_row(
                key,
                repr(field.default)
                if field.default_factory is None
                else "(nested, see --set strategy.params." + key + ".*)",
                field.description or "",
            )
        console.print(table)
        return
    table = Table(
        title="strategies (airegime list strategies NAME for details)",
        title_justify="left",
        expand=True,
    )
    table.add_column("name", no_wrap=True)
    table.add_column("description and parameters (defaults)", ratio=1)
    for key, cls in strategies.items():
        params = " ".join(
            f"{k}={f.default!r}"
            for k, f in cls.Params.model_fields.items()
            if f.default_factory is None
        )
        nested = [k for k, f in cls.Params.model_fields.items() if f.default_factory is not None]
        if nested:
            params += " " + " ".join(f"{k}.*" for k in nested)
        table.add_row(key, f"{cls.summary}\n[dim]{params or '-'}[/]")
    console.print(table)
    from ..registry import problems

    for entry, problem in problems.items():
        console.print(f"[yellow]note:[/] entry point {entry}: {problem}", highlight=False)


def list_universes() -> None:
    """Named universes and ticker groups of data/universes.yaml."""
    from .. import paths
    from ..data.universes import load_universes

    with guarded():
        universes = load_universes(paths.data_dir(paths.project_root()) / "universes.yaml")
    table = Table(title=str(universes.source), title_justify="left")
    table.add_column("name")
    table.add_column("tickers")
    table.add_column("chosen")
    for name, tickers in universes.universes.items():
        info = universes.info(name)
        chosen = f"{info.selection} {info.chosen}".strip() + f", vs {info.sector_etf}"
        table.add_row(f"universe {name}", " ".join(tickers), chosen)
    for name, tickers in universes.groups.items():
        table.add_row(f"group {name}", " ".join(tickers), "")
    console.print(table)
