"""User-facing errors: one line that names the file, key or ticker and the fix."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar


class AiregimeError(Exception):
    """An error the user can fix; the CLI prints its message alone, without a traceback."""


class ConfigError(AiregimeError):
    """A backtest config (YAML or ``--set`` override) is invalid."""


class DataError(AiregimeError):
    """Market or reference data is missing, empty or malformed."""


class ResultsError(AiregimeError):
    """Results cannot be written or read: unwritable folder, incomplete run folder."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a command; the message says what was kept and how to resume.

    A ``KeyboardInterrupt``, so that API callers keep Python's usual behaviour.
    """


_CLI_WORDING: ContextVar[bool] = ContextVar("cli_wording", default=False)


def wording(cli: str, api: str) -> str:
    """``cli`` inside a command of the ``airegime`` CLI, ``api`` for Python callers.

    So an error says ``--set`` or ``--strict-dates`` to a shell user and
    ``overrides`` or ``strict_dates=True`` to code that called the API.
    """
    return cli if _CLI_WORDING.get() else api


def use_cli_wording() -> Callable[[], None]:
    """Switch messages to CLI wording; returns the function that switches back."""
    token = _CLI_WORDING.set(True)
    return lambda: _CLI_WORDING.reset(token)
