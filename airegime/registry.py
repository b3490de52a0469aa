"""Strategy lookup: entry points, the ``@register`` decorator, or a ``module:Class`` path.

Strategies are found through the ``airegime.strategies`` entry-point group: the
built-in ones are declared there in ``setup.cfg``, and any installed package can add
its own the same way (README, "Adding a strategy"). Entry points are loaded once per
process, the built-in ones first, so a plugin cannot shadow a built-in name; a plugin
that fails to import is reported by name when it is asked for, and does not stop the
others. ``@register`` adds a strategy defined in a script or notebook.
"""

from __future__ import annotations

import functools
import importlib
import re
from importlib import metadata

from .errors import describe, did_you_mean, in_user_code
from .strategy import Strategy

#: The entry-point group a package uses to add strategies: ``name = module:Class``.
GROUP = "airegime.strategies"

_REGISTRY: dict[str, type[Strategy]] = {}
#: Entry points that could not be used, by name: why (shown by ``list strategies``).
problems: dict[str, str] = {}


def register(name: str):
    """Class decorator: make a strategy available to configs as ``strategy.name: <name>``."""

    def decorate(cls: type[Strategy]) -> type[Strategy]:
        _REGISTRY[name] = cls
        cls.registered_name = name
        return cls

    return decorate


def _builtin_first(entry: metadata.EntryPoint) -> tuple[bool, str]:
    dist = getattr(entry, "dist", None)
    return (getattr(dist, "name", None) != "airegime", entry.name)


@functools.cache
def _plugins() -> dict[str, type[Strategy]]:
    found: dict[str, type[Strategy]] = {}
    for entry in sorted(metadata.entry_points(group=GROUP), key=_builtin_first):
        if entry.name in found:
            problems[entry.name] = (
                f"{entry.value} is ignored: the name is taken by "
                f"{found[entry.name].__module__}:{found[entry.name].__name__}"
            )
            continue
        try:
            cls = entry.load()
        except Exception as exc:  # noqa: BLE001 - one broken plugin must not hide the rest
            in_user_code(exc, entry.name, during="importing it", owner=entry.module)
            problems[entry.name] = f"{entry.value} cannot be imported ({describe(exc)})"
            continue
        if not (isinstance(cls, type) and issubclass(cls, Strategy)):
            problems[entry.name] = f"{entry.value} is not a subclass of airegime.Strategy"
            continue
        cls.registered_name = entry.name
        found[entry.name] = cls
    return found


def reload_plugins() -> None:
    """Read the entry points again (after installing a package in a running process)."""
    _plugins.cache_clear()
    problems.clear()


def registered() -> dict[str, type[Strategy]]:
    """Every available strategy by name: entry points, then ``@register``-ed classes."""
    return dict(sorted({**_REGISTRY, **_plugins()}.items()))


def resolve_strategy(spec: str) -> type[Strategy]:
    """A registered name (``equal_weight``) or an import path (``my.module:MyStrategy``)."""
    if ":" in spec:
        return _import_strategy(spec)
    known = registered()
    if spec in known:
        return known[spec]
    if spec in problems:
        raise LookupError(f"strategy '{spec}': the entry point {problems[spec]}")
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", spec).lower()
    if snake in known:
        return known[snake]
    raise LookupError(
        f"unknown strategy '{spec}'{did_you_mean(spec, [*known, *problems])} (registered: "
        f"{', '.join(known)}; or give module:Class; packages add strategies through the "
        f"'{GROUP}' entry points)"
    )


def _import_strategy(spec: str) -> type[Strategy]:
    """``module:Class``. A module that is not found, or a missing class, is a LookupError;
    an exception raised while the module runs is the user's own, re-raised located."""
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and f"{module_name}.".startswith(f"{exc.name}."):
            raise LookupError(
                f"cannot import '{spec}' ({exc}); check the module path: it must be "
                "importable (installed, or on PYTHONPATH, e.g. PYTHONPATH=. from its folder)"
            ) from None
        in_user_code(exc, spec, during="importing it", owner=module_name)
        raise
    except Exception as exc:
        in_user_code(exc, spec, during="importing it", owner=module_name)
        raise
    cls = getattr(module, attr, None)
    if cls is None:
        classes = [
            n for n, v in vars(module).items() if isinstance(v, type) and issubclass(v, Strategy)
        ]
        raise LookupError(
            f"cannot import '{spec}': module {module_name} has no {attr}"
            f"{did_you_mean(attr, classes)}"
        )
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise LookupError(f"'{spec}' is not a subclass of airegime.Strategy")
    return cls
