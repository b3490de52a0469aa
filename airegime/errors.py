"""User-facing errors: one line that names the file, key or ticker and the fix."""

from __future__ import annotations

import contextlib
import difflib
import os
import sysconfig
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


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


def user_date(text: str, flag: str, error: type[AiregimeError] | None = None) -> Any:
    """A date the user typed (``--date``, ``--split``, ``--as-of``, ...) as a
    ``pd.Timestamp``; one that is not a date raises ``error`` (ConfigError by default)
    naming ``flag`` and the fix, never pandas' own parse error."""
    import pandas as pd

    try:
        parsed = pd.Timestamp(str(text).strip())
    except (ValueError, OverflowError):
        parsed = pd.NaT
    if parsed is pd.NaT:
        raise (error or ConfigError)(f"{flag} {text}: not a date; write dates as YYYY-MM-DD")
    return parsed


def use_cli_wording() -> Callable[[], None]:
    """Switch messages to CLI wording; returns the function that switches back."""
    token = _CLI_WORDING.set(True)
    return lambda: _CLI_WORDING.reset(token)


class StrategyError(AiregimeError):
    """A strategy returned weights no portfolio can hold (negative, or summing above one)."""


# --- errors in a user's code ---------------------------------------------------------------

#: Attribute of an exception raised in a user's code: where in a run it happened.
CONTEXT_ATTRIBUTE = "airegime_context"


@dataclass(frozen=True)
class UserCodeContext:
    """Where an exception raised in a user's code (a strategy, a plugin, a module they
    wrote) came from: the strategy, the rebalance date, and the file and line in their code.
    """

    strategy: str
    date: str | None = None
    during: str | None = None
    file: str | None = None
    line: int | None = None

    def where(self) -> str:
        """``strategy x, rebalance 2020-01-31`` (or what the strategy was doing)."""
        parts = [f"strategy {self.strategy}"]
        if self.date:
            parts.append(f"rebalance {self.date}")
        elif self.during:
            parts.append(self.during)
        return ", ".join(parts)


def _library_dirs() -> tuple[str, ...]:
    """Folders of Python's standard library and of installed packages."""
    found = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            found.add(os.path.realpath(path) + os.sep)
    return tuple(sorted(found))


_PACKAGE_DIR = os.path.dirname(os.path.realpath(__file__)) + os.sep


def _is_user_frame(frame: Any, filename: str, owners: set[str]) -> bool:
    """A frame of a user's code: not airegime's, not Python's, not an installed library's,
    except a package that provides the strategy (a plugin installed with pip)."""
    if filename.startswith("<"):
        return False
    path = os.path.realpath(filename)
    if path.startswith(_PACKAGE_DIR):
        return False
    module = str(frame.f_globals.get("__name__", ""))
    if module.split(".")[0] in owners:
        return True
    return not path.startswith(_library_dirs())


def _shown_path(filename: str) -> str:
    """A path relative to the working folder when it is inside it, else as it is."""
    try:
        relative = os.path.relpath(filename)
    except ValueError:  # another drive on Windows
        return filename
    return filename if relative.startswith("..") else relative


@contextlib.contextmanager
def user_code(
    strategy: str, date: str | None = None, during: str | None = None, owner: str | None = None
) -> Iterator[None]:
    """Around a call into a user's code: an exception raised inside is re-raised as it is
    (same type, same message), with :func:`in_user_code` attached.

    >>> with user_code("my_strategy", "2020-01-31", owner=type(policy).__module__):
    ...     weights = policy.target_weights(view)
    """
    try:
        yield
    except Exception as exc:
        in_user_code(exc, strategy, date, during, owner)
        raise


def in_user_code(
    exc: BaseException,
    strategy: str,
    date: str | None = None,
    during: str | None = None,
    owner: str | None = None,
) -> None:
    """Attach to ``exc``, raised in a user's code, the strategy, the rebalance date and the
    deepest line of the user's code in its traceback (a note, and
    :data:`CONTEXT_ATTRIBUTE` for :func:`describe`).

    Call it where airegime called the user's code, so the traceback starts there.
    ``owner`` is the module that defines the strategy: its top-level package counts as
    the user's code even when it is installed in site-packages (a plugin).
    """
    if getattr(exc, CONTEXT_ATTRIBUTE, None) is not None:
        return  # already located by an inner call
    owners = {owner.split(".")[0]} if owner else set()
    file = line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if _is_user_frame(frame, frame.f_code.co_filename, owners):
            file, line = _shown_path(frame.f_code.co_filename), lineno
    context = UserCodeContext(strategy, date, during, file, line)
    try:
        setattr(exc, CONTEXT_ATTRIBUTE, context)
    except AttributeError:  # an exception type that takes no attributes
        return
    where = f" at {file}:{line}" if file else ""
    exc.add_note(f"airegime: raised in {context.where()}{where}")


def user_context(exc: BaseException) -> UserCodeContext | None:
    """Where in a user's code ``exc`` was raised, if it was (see :func:`in_user_code`)."""
    return getattr(exc, CONTEXT_ATTRIBUTE, None)


def internal_location(exc: BaseException) -> str | None:
    """``airegime/run.py:88``: the deepest line of airegime's own code in the traceback."""
    found = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        path = os.path.realpath(frame.f_code.co_filename)
        if path.startswith(_PACKAGE_DIR):
            relative = os.path.relpath(path, os.path.dirname(_PACKAGE_DIR.rstrip(os.sep)))
            found = f"{relative}:{lineno}"
    return found


def describe(exc: BaseException) -> str:
    """The one line that says what went wrong.

    An :class:`AiregimeError` is its message (first line); an exception raised in a
    user's code is ``KeyError: 'NVDAA' at my_strategy.py:23 (strategy x, rebalance
    2020-01-31)``; anything else is its type, message and airegime's line that raised it.
    """
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    context = user_context(exc)
    if isinstance(exc, AiregimeError):
        message = first or type(exc).__name__
        return f"{message} ({context.where()})" if context else message
    message = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    if context is not None:
        where = f" at {context.file}:{context.line}" if context.file else ""
        return f"{message}{where} ({context.where()})"
    location = internal_location(exc)
    return f"{message} ({location})" if location else message


def closest(word: object, choices: Iterable[object]) -> str | None:
    """The one of ``choices`` closest to ``word`` (difflib, regardless of case), or None."""
    options = {str(c).lower(): str(c) for c in choices}
    close = difflib.get_close_matches(str(word).lower(), list(options), n=1, cutoff=0.6)
    return options[close[0]] if close else None


def did_you_mean(word: object, choices: Iterable[object]) -> str:
    """``"; did you mean 'equal_weight'?"`` for the closest of ``choices`` to ``word``, or
    ``""`` when none is close."""
    match = closest(word, choices)
    return f"; did you mean '{match}'?" if match else ""


def did_you_mean_each(words: Iterable[str], choices: Iterable[object]) -> str:
    """``"; did you mean NVDA?"`` for one unknown name, ``"; did you mean NVDA for NVDAA,
    MSFT for MSFTT?"`` for several (those with a close match), or ``""``."""
    options = list(choices)
    words = list(words)
    matches = {w: m for w in words if (m := closest(w, options))}
    if not matches:
        return ""
    if len(words) == 1:
        return f"; did you mean {matches[words[0]]}?"
    return "; did you mean " + ", ".join(f"{m} for {w}" for w, m in matches.items()) + "?"
