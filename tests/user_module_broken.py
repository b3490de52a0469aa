"""A user's strategy module that fails while it is imported."""

from __future__ import annotations

WINDOW = undefined_name  # noqa: F821 - the bug
