"""Strategy lookup by registered name or by ``module:Class`` path."""

from __future__ import annotations

import importlib
import re

from .strategy import Strategy

_REGISTRY: dict[str, type[Strategy]] = {}


def register(name: str):
    """Class decorator: make a strategy available to configs as ``strategy.name: <name>``."""

    def decorate(cls: type[Strategy]) -> type[Strategy]:
        _REGISTRY[name] = cls
        cls.registered_name = name
        return cls

    return decorate


def _load_builtin() -> None:
    importlib.import_module("strategies")


def registered() -> dict[str, type[Strategy]]:
    """Every registered strategy, by name (the built-in ``strategies`` package included)."""
    _load_builtin()
    return dict(sorted(_REGISTRY.items()))


def resolve_strategy(spec: str) -> type[Strategy]:
    """A registered name (``equal_weight``) or an import path (``my.module:MyStrategy``)."""
    if ":" in spec:
        module_name, _, attr = spec.partition(":")
        try:
            cls = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise LookupError(f"cannot import '{spec}' ({exc})") from None
        if not (isinstance(cls, type) and issubclass(cls, Strategy)):
            raise LookupError(f"'{spec}' is not a subclass of airegime.Strategy")
        return cls
    known = registered()
    if spec in known:
        return known[spec]
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", spec).lower()
    if snake in known:
        return known[snake]
    raise LookupError(
        f"unknown strategy '{spec}' (registered: {', '.join(known)}; or give module:Class)"
    )
