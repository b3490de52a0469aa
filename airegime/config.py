"""The typed backtest config: YAML and ``--set`` overrides land here, validated once.

Everything downstream takes a :class:`BacktestConfig`, never a raw dict. Every
error is a :class:`~airegime.errors.ConfigError` whose single line names the
file, the key path and what was expected.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .data.price_checks import DEFAULT_CALENDAR, DEFAULT_LIMITS, SanityLimits
from .data.yaml_reader import DuplicateKeyError, load_yaml
from .errors import ConfigError, did_you_mean, user_code, wording
from .registry import resolve_strategy
from .strategy import Strategy


def _ticker_text(value: Any) -> Any:
    """A plain integer in a ticker field as its decimal text (600519 -> "600519")."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list):
        return [_ticker_text(v) for v in value]
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StrategySpec(_Model):
    name: str = Field(description="a registered strategy name, or module:Class")
    params: dict[str, Any] = Field(default_factory=dict)


class PriceChecks(_Model):
    """Limits of the price checks (``data.checks``); see docs/data.md, "Price checks"."""

    max_fill_days: int = Field(
        DEFAULT_LIMITS.max_fill_days,
        ge=0,
        description="blank sessions in a row filled with the previous close; longer: refused",
    )
    max_gap_days: int = Field(
        DEFAULT_LIMITS.max_gap_days,
        ge=1,
        description="calendar: none only: calendar days between two rows beyond which rows "
        "are missing",
    )
    max_same_days: int = Field(
        DEFAULT_LIMITS.max_same_days, ge=2, description="the same close this often in a row"
    )
    flat_min_days: int = Field(
        DEFAULT_LIMITS.flat_min_days, ge=5, description="shell note: quiet days at the start"
    )
    flat_max_vol: float = Field(
        DEFAULT_LIMITS.flat_max_vol, gt=0, description="shell note: annualised volatility"
    )
    flat_vol_ratio: float = Field(
        DEFAULT_LIMITS.flat_vol_ratio, gt=1, description="shell note: later volatility x"
    )
    split_tolerance: float = Field(
        DEFAULT_LIMITS.split_tolerance,
        ge=0,
        lt=0.5,
        description="a day's price ratio this close (relative) to a split ratio is split-like",
    )
    split_min_sigmas: float = Field(
        DEFAULT_LIMITS.split_min_sigmas,
        gt=0,
        description="split-like and this many daily volatilities of the past: refused",
    )
    split_history_days: int = Field(
        DEFAULT_LIMITS.split_history_days,
        ge=20,
        description="returns before a day whose volatility it is judged against",
    )
    max_day_move: float = Field(
        DEFAULT_LIMITS.max_day_move,
        gt=1,
        description="a one-day price ratio beyond this (or its inverse) and split_min_sigmas "
        "daily volatilities of the past: refused as a bad price",
    )

    def limits(self) -> SanityLimits:
        return SanityLimits(**self.model_dump())


class DataSpec(_Model):
    source: Literal["sample", "csv", "yahoo"] = "sample"
    path: str | None = Field(None, description="csv: folder of per-ticker CSV files")
    refresh: bool = Field(False, description="yahoo: download again even if cached")
    timeout_s: float = Field(120.0, gt=0, description="yahoo: hard wall-clock limit")
    fundamentals: Literal["sample", "csv", "sec", "yahoo", "none"] = "sample"
    fundamentals_path: str | None = Field(None, description="csv fundamentals: file path")
    filing_lag_days: int = Field(
        1,
        ge=0,
        description="days after its filing date before a filing counts; 1 = from the next "
        "trading day (many filings come out after the close)",
    )
    sec_user_agent: str | None = Field(None, description="sec: 'Name email' (or SEC_USER_AGENT)")
    periods_per_year: int | None = Field(
        None,
        ge=1,
        le=366,
        description="returns per year for annualising; default from the data's calendar: "
        "252 for exchange days, 365 when there is a row every day",
    )
    calendar: str | None = Field(
        DEFAULT_CALENDAR,
        description="exchange whose trading days gaps are judged against: an exchange_calendars "
        "code (XNYS, XSHG, XHKG, XLON, XTKS, 24/7 ...) or none (calendar days, max_gap_days)",
    )
    checks: PriceChecks = Field(default_factory=PriceChecks)
    known_moves: dict[str, list[dt.date]] = Field(
        default_factory=dict,
        description="one-day moves that are real though split-sized or beyond "
        "checks.max_day_move: {TICKER: [dates]}",
    )

    @field_validator("calendar")
    @classmethod
    def _known_calendar(cls, name: str | None) -> str:
        if name is None:
            return "none"
        if name == DEFAULT_CALENDAR or name.lower() == "none":
            return name if name == DEFAULT_CALENDAR else "none"
        import exchange_calendars as xcals  # only for a calendar other than the default

        names = xcals.get_calendar_names(include_aliases=True)
        if name not in names:
            close = [n for n in names if n.upper() == name.upper()]
            raise ValueError(
                f"unknown exchange calendar {name!r}"
                + (f" (did you mean {close[0]}?)" if close else "")
                + "; use an exchange_calendars code such as XNYS, XSHG, XHKG, XLON, XTKS or "
                "24/7, or none"
            )
        return name

    @field_validator("known_moves", mode="before")
    @classmethod
    def _ticker_keys_as_text(cls, moves: Any) -> Any:
        if isinstance(moves, dict):
            return {_ticker_text(ticker): dates for ticker, dates in moves.items()}
        return moves

    @field_validator("known_moves")
    @classmethod
    def _upper_tickers(cls, moves: dict[str, list[dt.date]]) -> dict[str, list[dt.date]]:
        return {ticker.upper(): dates for ticker, dates in moves.items()}


class Costs(_Model):
    commission_bps: float = Field(5.0, ge=0, le=1000)
    slippage_bps: float = Field(5.0, ge=0, le=1000)


class Execution(_Model):
    fill: Literal["auto", "next_close", "next_open", "same_close"] = Field(
        "auto",
        description="auto: next_open with full bars, next_close with close-only data",
    )


class Checks(_Model):
    """When a run warns that its portfolio is degenerate or rests on missing data (listed
    with dates in the summary)."""

    min_names: int = Field(5, ge=1, description="warn on rebalance dates holding fewer names")
    max_cash: float = Field(
        0.5, gt=0, le=1, description="warn on rebalance dates with more than this in cash"
    )
    max_uncovered: float = Field(
        0.10,
        ge=0,
        le=1,
        description="warn on rebalance dates with more than this share of the target weight "
        "in names that an active rule of the strategy had no data for",
    )


class BacktestConfig(_Model):
    """One backtest. See the README's config reference for every key."""

    name: str = Field(description="folder name under results/: one path component")
    description: str = ""
    strategy: StrategySpec
    universe: str | list[str]
    benchmark: str = "SPY"
    start: dt.date
    end: dt.date
    data: DataSpec = Field(default_factory=DataSpec)
    rebalance: Literal["weekly", "monthly", "quarterly"] = "monthly"
    initial_cash: float = Field(1_000_000.0, gt=0)
    costs: Costs = Field(default_factory=Costs)
    cash_buffer: float = Field(0.01, ge=0, lt=1)
    execution: Execution = Field(default_factory=Execution)
    checks: Checks = Field(default_factory=Checks)
    engine: Literal["backtrader", "vector"] = Field(
        "backtrader",
        description="backtrader: the reference; vector: the same trades at numpy speed",
    )
    sweep: dict[str, list[Any]] | None = Field(None, description="grid for airegime sweep")
    provenance: dict[str, Any] | None = Field(None, description="written by a run; ignored")

    @field_validator("universe", "benchmark", mode="before")
    @classmethod
    def _tickers_as_text(cls, value: Any) -> Any:
        return _ticker_text(value)

    @field_validator("name")
    @classmethod
    def _one_folder_name(cls, name: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*", name):
            raise ValueError(
                f"{name!r} is not a folder name; use letters, digits, _ . - and do not "
                "start with a dot (it names one folder under results/)"
            )
        return name

    @model_validator(mode="after")
    def _dates_in_order(self) -> BacktestConfig:
        self.benchmark = self.benchmark.upper()
        if self.data.source == "csv" and not self.data.path:
            raise ValueError(
                "data.path: required with data.source csv; give the folder of <TICKER>.csv files"
            )
        if self.end <= self.start:
            raise ValueError(f"empty date range: end {self.end} is not after start {self.start}")
        return self

    def build_strategy(self) -> Strategy:
        """The strategy of this config with its parameters; an exception raised by the
        strategy's own constructor is re-raised with the strategy attached."""
        cls = resolve_strategy(self.strategy.name)
        with user_code(self.strategy.name, during="creating it", owner=cls.__module__):
            return cls(self.strategy.params)

    def in_sample_note(self) -> str | None:
        """A line when the strategy's defaults were chosen on this run's data and window
        (:attr:`Strategy.tuned_on <airegime.strategy.Strategy.tuned_on>`), else None."""
        try:
            tuned = resolve_strategy(self.strategy.name).tuned_on
        except LookupError:  # a plugin that is no longer installed: nothing known
            return None
        if tuned is None:
            return None
        return tuned.note(self.strategy.name, self.data.source, self.start, self.end)

    def snapshot(self) -> dict[str, Any]:
        """The resolved config as plain data (params with their defaults filled in)."""
        return self.model_dump(mode="json", exclude={"provenance"})


def parse_override(text: str) -> tuple[list[str], Any]:
    """``strategy.params.top_n=10`` -> (["strategy", "params", "top_n"], 10)."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(
            f"{wording('--set', 'override')} {text}: expected KEY=VALUE, "
            "e.g. strategy.params.top_n=10"
        )
    try:
        value = load_yaml(raw) if raw.strip() else ""
    except DuplicateKeyError as exc:
        raise ConfigError(
            f"{wording('--set', 'override')} {text}: key {exc.key!r} appears twice; keep one"
        ) from None
    except (yaml.YAMLError, ValueError):  # ValueError: a date like 2024-13-01
        value = raw
    return key.strip().split("."), value


def split_values(raw: str) -> list[str]:
    """``4,6,8`` -> ``["4", "6", "8"]``; commas inside brackets or braces do not split, so
    ``[NVDA,AMD],[MSFT,AAPL]`` is two values."""
    values: list[str] = []
    depth, start = 0, 0
    for i, char in enumerate(raw):
        if char in "[{(":
            depth += 1
        elif char in "]})":
            depth = max(depth - 1, 0)
        elif char == "," and depth == 0:
            values.append(raw[start:i])
            start = i + 1
    values.append(raw[start:])
    return [v.strip() for v in values]


def refuse_repeated_keys(items: list[str], option: str, api: str) -> None:
    """A key given twice in ``items`` (``KEY=...`` texts of one option) is refused: with
    repeated ``--grid``/``--vary`` keys all but the last values would be dropped silently,
    with repeated ``--set`` keys all but the last value."""
    seen: dict[str, str] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            continue  # the parser names the malformed item
        if key in seen:
            name = wording(option, api)
            if option == "--set":
                raise ConfigError(
                    f"{name} {key} given twice ({seen[key]}, {item.strip()}); keep one"
                )
            values = [*split_values(seen[key].partition("=")[2]), *split_values(raw)]
            raise ConfigError(
                f"{name} {key} given twice; list all values once: {key}={','.join(values)}"
            )
        seen[key] = item.strip()


def parse_grid(items: list[str], option: str = "--grid") -> dict[str, list[Any]]:
    """``["strategy.params.top_n=5,10"]`` -> ``{"strategy.params.top_n": [5, 10]}``.

    Each value is read as YAML like a ``--set`` value; values are split on the commas
    outside brackets (``universe=[NVDA,AMD],[MSFT,AAPL]`` is two universes). A key given
    twice is refused. ``option`` names the CLI option in errors (``--grid`` for sweeps,
    ``--vary`` for comparisons).
    """
    refuse_repeated_keys(items, option, "grid item")
    grid: dict[str, list[Any]] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not raw or not key.strip():
            raise ConfigError(
                f"{wording(option, 'grid item')} {item}: expected KEY=V1,V2,..., "
                "e.g. strategy.params.top_n=5,10,15"
            )
        grid[key.strip()] = [parse_override(f"{key}={v}")[1] for v in split_values(raw)]
    return grid


def apply_overrides(raw: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """A copy of ``raw`` with each ``KEY=VALUE`` set; missing intermediate keys are created."""
    result = copy.deepcopy(raw)
    for text in overrides:
        path, value = parse_override(text)
        node = result
        for part in path[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[path[-1]] = value
    return result


def _known_keys(model: type[BaseModel] | None, path: tuple) -> list[str]:
    """The keys a model accepts at ``path`` (a pydantic error location without its last
    part), following nested models; empty where the model does not say (a free mapping)."""
    for part in path:
        field = model.model_fields.get(str(part)) if model is not None else None
        annotation = getattr(field, "annotation", None)
        model = (
            annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel)
            else None
        )
    return list(model.model_fields) if model is not None else []


def _literal_choices(err: dict[str, Any]) -> list[str]:
    """The values a ``Literal`` field accepts, from pydantic's ``expected`` text."""
    return re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))


def _format_errors(
    source: str, exc: ValidationError, prefix: tuple = (), model: type[BaseModel] | None = None
) -> str:
    """One line for every problem pydantic found: the key path, what is wrong, and the
    closest known key or value where a name was misspelt."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in (*prefix, *err["loc"])) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            known = _known_keys(model, err["loc"][:-1])
            hint = did_you_mean(err["loc"][-1], known)
            msg = f"unknown key{hint or '; remove it or check its spelling'}"
        elif err["type"] == "missing":
            msg = "required key is missing"
        elif "input" in err and not isinstance(err["input"], dict | list):
            msg += f" (got {err['input']!r})"
            if err["type"] == "literal_error":
                msg += did_you_mean(err["input"], _literal_choices(err))
        parts.append(f"{loc}: {msg}")
    return f"{source}: " + "; ".join(parts)


def validate_config(raw: Any, source: str = "<config>") -> BacktestConfig:
    """Validate plain data into a config; strategy params are checked against the strategy."""
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{source}: expected a mapping of keys (name, strategy, ...) at top level"
        )
    try:
        config = BacktestConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_errors(source, exc, model=BacktestConfig)) from None
    try:
        cls = resolve_strategy(config.strategy.name)
    except LookupError as exc:
        raise ConfigError(f"{source}: strategy.name: {exc}") from None
    try:
        params = cls.Params.model_validate(config.strategy.params)
    except ValidationError as exc:
        raise ConfigError(_format_errors(source, exc, ("strategy", "params"), cls.Params)) from None
    config.strategy.params = params.model_dump(mode="json")
    return config


def read_yaml(path: Path) -> dict[str, Any]:
    """A config file as plain data, read by :class:`ConfigLoader`; every problem is a
    one-line :class:`ConfigError` naming the file (and the line where YAML says one)."""
    if path.is_dir():
        inside = " (it holds config.yaml: pass that)" if (path / "config.yaml").is_file() else ""
        raise ConfigError(f"{path}: is a folder; give the path of a YAML config file{inside}")
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found; check the path")
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        hint = "save it as UTF-8" if isinstance(exc, UnicodeDecodeError) else "check the file"
        raise ConfigError(f"{path}: cannot read the config ({reason}); {hint}") from None
    except DuplicateKeyError as exc:
        raise ConfigError(
            f"{path} line {exc.line}: key {exc.key!r} appears twice (first on line "
            f"{exc.first_line}); keep one"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}: invalid YAML{where}: {problem}") from None
    except ValueError as exc:  # YAML reads 2024-02-30 as a date and the calendar refuses it
        raise ConfigError(f"{path}: invalid date ({exc}); dates are YYYY-MM-DD") from None
    return raw if raw is not None else {}


def load_config(path: str | Path, overrides: list[str] | None = None) -> BacktestConfig:
    """Read a YAML config, apply ``--set`` overrides and validate the result."""
    path = Path(path)
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of keys (name, strategy, ...) at top level")
    source = f"{path}" + (f" (with {wording('--set ', '')}overrides)" if overrides else "")
    return validate_config(apply_overrides(raw, overrides or []), source)
