"""User-facing errors: one line that names the file, key or ticker and the fix."""

from __future__ import annotations


class AiregimeError(Exception):
    """An error the user can fix; the CLI prints its message alone, without a traceback."""


class ConfigError(AiregimeError):
    """A backtest config (YAML or ``--set`` override) is invalid."""


class DataError(AiregimeError):
    """Market or reference data is missing, empty or malformed."""
