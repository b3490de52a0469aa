"""The YAML reader of every file airegime reads: configs, ``--set`` values, universes,
regimes and saved run snapshots.

A safe loader (no Python objects) with two differences from ``yaml.safe_load``: a key
given twice in one mapping is an error instead of the last one silently winning, and
digits with a leading zero (``000300``, a Shanghai index) stay text instead of becoming
the octal number 192 under YAML 1.1.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

#: A scalar of digits with a leading zero (``000300``): a ticker, never a number (YAML 1.1
#: would read it as octal 192).
_LEADING_ZERO = re.compile(r"^0\d+$")


class DuplicateKeyError(yaml.YAMLError):
    """A mapping of a config names the same key twice (YAML would keep the last)."""

    def __init__(self, key: object, line: int, first_line: int) -> None:
        super().__init__(f"key {key!r} appears twice")
        self.key, self.line, self.first_line = key, line, first_line


class ConfigLoader(yaml.SafeLoader):
    """The YAML loader of configs and ``--set`` values: a safe loader that refuses a key
    given twice in one mapping and keeps digits with a leading zero as text (tickers
    such as ``000300`` or ``600519`` stay as written)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                if key in seen:
                    raise DuplicateKeyError(key, line, seen[key])
                seen[key] = line
            except TypeError:  # an unhashable key: the base loader says what is wrong
                continue
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int | str:
        text = self.construct_scalar(node)
        if isinstance(text, str) and _LEADING_ZERO.match(text):
            return text
        return super().construct_yaml_int(node)


ConfigLoader.add_constructor("tag:yaml.org,2002:int", ConfigLoader.construct_yaml_int)


def load_yaml(text: str) -> Any:
    """``text`` read by :class:`ConfigLoader` (raises :class:`DuplicateKeyError` and the
    other ``yaml.YAMLError``; ``ValueError`` for an impossible date such as 2024-02-30)."""
    return yaml.load(text, Loader=ConfigLoader)


def read_yaml_file(path: Path) -> Any:
    """The YAML file at ``path`` read by :class:`ConfigLoader` (raises ``OSError``,
    ``UnicodeDecodeError``, :class:`DuplicateKeyError` and the other ``yaml.YAMLError``)."""
    return load_yaml(Path(path).read_text(encoding="utf-8"))


def dump_yaml(data: Any) -> str:
    """``yaml.safe_dump(data, sort_keys=False)``, through libyaml's emitter when PyYAML has
    it and every text is printable ASCII (the same text, several times faster: a sweep
    writes one snapshot per point); libyaml breaks escaped non-ASCII text and control
    characters (tabs, line breaks) differently, so such data takes the Python emitter."""
    dumper = getattr(yaml, "CSafeDumper", None)
    if dumper is None or not _ascii(data):
        return yaml.safe_dump(data, sort_keys=False)
    return yaml.dump(data, Dumper=dumper, sort_keys=False)


def _ascii(data: Any) -> bool:
    if isinstance(data, str):
        return data.isascii() and data.isprintable()
    if isinstance(data, dict):
        return all(_ascii(k) and _ascii(v) for k, v in data.items())
    if isinstance(data, list | tuple):
        return all(_ascii(v) for v in data)
    return True
