"""SEC EDGAR companyfacts: XBRL us-gaap facts with their filing dates.

``https://data.sec.gov/api/xbrl/companyfacts/CIK##########.json`` lists every
fact a company filed, each with ``start``/``end``, ``filed`` and ``form``. SEC
asks for a User-Agent with a contact (``data.sec_user_agent`` in the config or
the ``SEC_USER_AGENT`` environment variable) and at most 10 requests a second;
this client waits 0.2 s between requests and caches each payload on disk
(atomically) under ``data/cache/sec/``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import DataError
from .cache import atomic_write_text
from .fundamentals import TAG_RANK

FORMS = {"10-K", "10-Q", "10-K/A", "10-Q/A", "20-F", "20-F/A", "40-F"}
UNITS = {"USD", "shares"}
FACTS_URL = "https://data.sec.gov/api/xbrl/companyfacts/CIK{cik:010d}.json"
TICKERS_URL = "https://www.sec.gov/files/company_tickers.json"
MIN_INTERVAL_S = 0.2


def parse_companyfacts(payload: dict[str, Any], ticker: str) -> pd.DataFrame:
    """Long facts (ticker, tag, period_start, period_end, filed, value, form) of one payload.

    Only the tags airegime uses, in USD or shares, from 10-K/10-Q style forms. Every
    filing of a period is kept (restatements included); the store picks by date.
    """
    rows = []
    gaap = payload.get("facts", {}).get("us-gaap", {})
    for tag, body in gaap.items():
        if tag not in TAG_RANK:
            continue
        for unit, facts in body.get("units", {}).items():
            if unit not in UNITS:
                continue
            for fact in facts:
                if fact.get("form") not in FORMS or "filed" not in fact:
                    continue
                rows.append(
                    (
                        ticker,
                        tag,
                        fact.get("start", ""),
                        fact["end"],
                        fact["filed"],
                        fact["val"],
                        fact.get("form"),
                    )
                )
    return pd.DataFrame(
        rows, columns=["ticker", "tag", "period_start", "period_end", "filed", "value", "form"]
    )


def user_agent(configured: str | None) -> str:
    agent = configured or os.environ.get("SEC_USER_AGENT", "")
    if "@" not in agent:
        raise DataError(
            "sec fundamentals: SEC requires a User-Agent with a contact e-mail; set "
            "data.sec_user_agent or SEC_USER_AGENT to e.g. 'Jane Doe jane@example.com'"
        )
    return agent


def _http_get_json(url: str, agent: str, timeout: float = 30.0) -> Any:
    import requests

    response = requests.get(
        url, headers={"User-Agent": agent, "Accept-Encoding": "gzip"}, timeout=timeout
    )
    response.raise_for_status()
    return response.json()


class SecClient:
    """Companyfacts downloads, rate-limited and cached."""

    def __init__(
        self,
        cache_dir: Path,
        agent: str | None = None,
        get_json: Callable[[str, str], Any] = _http_get_json,
    ) -> None:
        self.cache_dir = cache_dir / "sec"
        self.agent = agent
        self.get_json = get_json
        self._last = 0.0

    def wait(self) -> None:
        """Keep SEC's rate limit: at least MIN_INTERVAL_S between two requests."""
        wait = MIN_INTERVAL_S - (time.monotonic() - self._last)
        if wait > 0:
            time.sleep(wait)
        self._last = time.monotonic()

    def _get(self, url: str) -> Any:
        self.wait()
        try:
            return self.get_json(url, user_agent(self.agent))
        except DataError:
            raise
        except Exception as exc:  # noqa: BLE001 - any transport error becomes one line
            raise DataError(f"sec: {url}: {exc.__class__.__name__}: {exc}") from None

    def cached_json(self, name: str, url: str, refresh: bool = False) -> Any:
        """A JSON payload from the disk cache (``data/cache/sec/<name>``) or SEC."""
        path = self.cache_dir / name
        if path.is_file() and not refresh:
            return json.loads(path.read_text())
        payload = self._get(url)
        atomic_write_text(path, json.dumps(payload))
        return payload

    def cik_map(self, refresh: bool = False) -> dict[str, int]:
        payload = self.cached_json("company_tickers.json", TICKERS_URL, refresh)
        return {row["ticker"].upper(): int(row["cik_str"]) for row in payload.values()}

    def facts(self, tickers: list[str], refresh: bool = False) -> pd.DataFrame:
        ciks = self.cik_map()
        unknown = [t for t in tickers if t not in ciks]
        if unknown:
            raise DataError(f"sec: no CIK for {', '.join(unknown)} in SEC's company_tickers.json")
        frames = [
            parse_companyfacts(
                self.cached_json(f"CIK{ciks[t]:010d}.json", FACTS_URL.format(cik=ciks[t]), refresh),
                t,
            )
            for t in tickers
        ]
        return pd.concat(frames, ignore_index=True)
