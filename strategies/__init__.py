"""Built-in strategies. Importing this package registers every strategy in it."""

from .equal_weight import EqualWeight

__all__ = ["EqualWeight"]
