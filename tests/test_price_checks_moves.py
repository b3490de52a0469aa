"""A one-day move no real price makes (a bad print, a cell x100) is refused, judged on the
series' own past only; a real one is let through by ``data.known_moves``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from airegime.cli import app
from airegime.data.price_checks import (
    DEFAULT_LIMITS,
    PriceRules,
    SanityLimits,
    check_day_moves,
    check_frame,
    exchange_sessions,
)
from airegime.data.prices import _sample_closes
from airegime.errors import DataError
from tests.conftest import write_closes

YEAR = exchange_sessions("XNYS", pd.Timestamp("2022-06-01"), pd.Timestamp("2023-12-29"))
BAD_DAY = pd.Timestamp("2023-03-17")


def apple_like(seed: int = 0) -> pd.Series:
    """A stock of 25% annual volatility starting at 150."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(0, 0.25 / np.sqrt(252), len(YEAR))
    return pd.Series(150.0 * np.exp(np.cumsum(steps)), index=YEAR)


def with_bad_day(series: pd.Series, factor: float = 100.0) -> pd.Series:
    """``series`` with BAD_DAY's price times ``factor``, right again the next day."""
    out = series.copy()
    out[BAD_DAY] *= factor
    return out


def test_the_default_limit_is_a_tripling_or_a_third():
    assert DEFAULT_LIMITS.max_day_move == 3.0


def test_a_one_day_price_x100_is_refused_naming_date_ratio_setting_and_known_moves():
    series = with_bad_day(apple_like())
    before, bad = series.shift()[BAD_DAY], series[BAD_DAY]
    with pytest.raises(DataError) as info:
        check_day_moves(series, "AAPL.csv", "AAPL")
    message = str(info.value)
    assert message.startswith(
        f"AAPL.csv: x{bad / before:.4g} in one day on 2023-03-17 ({before:.6g} -> {bad:.6g}) "
        "is beyond data.checks.max_day_move (now 3) and "
    )
    assert "times the daily volatility before it: a bad price; fix the file" in message
    assert message.endswith(
        "set data.known_moves: {AAPL: [2023-03-17]} (1 more such day(s) after it)"
    )


def test_a_one_day_fall_to_a_hundredth_is_refused_too():
    series = with_bad_day(apple_like(), 0.01)
    with pytest.raises(DataError, match=r"AAPL.csv: x0\.01\d* in one day on 2023-03-17"):
        check_day_moves(series, "AAPL.csv", "AAPL")


def test_a_move_declared_real_passes():
    series = with_bad_day(apple_like(), 5.0)
    next_day = series.index[series.index.get_loc(BAD_DAY) + 1]
    check_day_moves(series, "AAPL.csv", "AAPL", known=frozenset({BAD_DAY, next_day}))


def test_a_move_within_the_limit_passes_however_calm_the_past():
    check_day_moves(with_bad_day(apple_like(), 2.5), "AAPL.csv", "AAPL")


def test_the_limit_is_a_setting():
    limits = SanityLimits(max_day_move=2.0)
    with pytest.raises(DataError, match=r"data\.checks\.max_day_move \(now 2\)"):
        check_day_moves(with_bad_day(apple_like(), 2.5), "AAPL.csv", "AAPL", limits)


def test_a_move_beyond_the_limit_within_the_series_own_volatility_passes():
    rng = np.random.default_rng(4)
    wild = pd.Series(np.exp(np.cumsum(rng.normal(0, 0.5, len(YEAR)))), index=YEAR)  # 50%/day
    check_day_moves(with_bad_day(wild, 4.0), "X.csv", "X")


def test_a_bad_day_is_judged_on_the_volatility_before_it_only():
    """Wild prices after the bad day must not excuse it: only earlier prices decide."""
    series = with_bad_day(apple_like(), 100.0)
    rng = np.random.default_rng(9)
    later = series.index > BAD_DAY
    series[later] = series[BAD_DAY] * np.exp(np.cumsum(rng.normal(0, 0.5, later.sum())))
    with pytest.raises(DataError, match="on 2023-03-17"):
        check_day_moves(series, "AAPL.csv", "AAPL")


def test_a_split_sized_spike_is_still_reported_as_split_like():
    close = with_bad_day(apple_like(), 10.0).to_frame("AAPL")
    with pytest.raises(DataError, match=r"within .* of a 1:10 reverse split"):
        check_frame(close, lambda t: f"{t}.csv", PriceRules(calendar=None))


def test_a_bad_price_in_a_csv_file_stops_the_run_with_exit_code_2(project, tmp_path):
    folder = write_closes(
        tmp_path / "prices",
        {"AAPL": list(with_bad_day(apple_like())), "SPY": list(apple_like(seed=1))},
        [d.date().isoformat() for d in YEAR],
    )
    config = project / "backtests" / "bad.yaml"
    config.write_text(
        "name: bad\nstrategy: {name: equal_weight}\nuniverse: [AAPL]\nbenchmark: SPY\n"
        f"start: 2023-01-01\nend: 2023-12-29\ndata: {{source: csv, path: '{folder}', "
        "fundamentals: none}\n"
    )
    out = CliRunner().invoke(app, ["run", str(config), "--no-tearsheet"])
    assert out.exit_code == 2
    assert "Traceback" not in out.output
    (line,) = [ln for ln in out.output.splitlines() if ln.startswith("error:")]
    assert "AAPL.csv: x" in line and "in one day on 2023-03-17" in line


def real_series(shared_data) -> dict[str, pd.Series]:
    """Every real adjusted close at hand: the shared closes and prices, the bundled sample."""
    series = {}
    for folder in ("closes", "prices"):
        for path in sorted((shared_data / folder).glob("*.csv")):
            frame = pd.read_csv(path, index_col="date", parse_dates=True)
            series[f"{folder}/{path.name}"] = frame["adj_close"]
    for ticker, column in _sample_closes().items():
        series[f"sample {ticker}"] = column
    return series


def test_no_real_series_trips_the_day_move_check(shared_data):
    for name, series in real_series(shared_data).items():
        check_day_moves(series, name, name)


def test_the_largest_real_one_day_move_is_smci_down_41_percent(shared_data):
    """The figure docs/data.md gives for the default limit's margin."""
    biggest = {}
    for name, series in real_series(shared_data).items():
        ratio = (series.dropna() / series.dropna().shift()).dropna()
        extreme = np.maximum(ratio, 1 / ratio)
        biggest[name] = (float(extreme.max()), extreme.idxmax().date().isoformat())
    name = max(biggest, key=lambda n: biggest[n][0])
    assert name.endswith("SMCI.csv") or name.endswith("SMCI")
    assert biggest[name][1] == "2018-10-04"
    assert biggest[name][0] == pytest.approx(1.698, abs=1e-3)  # -41.1%: far inside x3
