"""The wide price checks skip only what cannot fail: the move screen of ``check_frame``
and the one-lookup alignment of ``combine`` give what the per-ticker forms give."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from airegime.data import price_checks
from airegime.data.price_checks import DEFAULT_RULES, PriceRules, check_frame, exchange_sessions
from airegime.data.prices import _wide
from airegime.errors import DataError

DAYS = exchange_sessions("XNYS", pd.Timestamp("2021-01-04"), pd.Timestamp("2023-12-29"))


def walk(seed: int, vol: float = 0.02) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 100.0 * np.exp(np.cumsum(rng.normal(0, vol, len(DAYS))))


def every_column_judged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        price_checks,
        "_moving_columns",
        lambda close, limits: np.ones(close.shape[1], dtype=bool),
    )


def outcome(close: pd.DataFrame, rules: PriceRules = DEFAULT_RULES) -> object:
    try:
        result = check_frame(close, str, rules)
    except DataError as exc:
        return str(exc)
    return result.close, result.notes


def same(a: object, b: object) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    pd.testing.assert_frame_equal(a[0], b[0], check_exact=True)
    return a[1] == b[1]


def frames() -> dict[str, pd.DataFrame]:
    calm = walk(1)
    split = walk(2)
    split[400:] /= 4  # a 4:1 split the file is not adjusted for
    spike = walk(3)
    spike[300] *= 50  # a bad print, right again the next day
    across_blank = walk(4)
    across_blank[500:503] = np.nan  # a blank run, then a price 10x: judged once filled
    across_blank[503:] *= 10
    short_blank = walk(5)
    short_blank[200] = np.nan
    late = walk(6)
    late[:250] = np.nan
    return {
        "calm": pd.DataFrame({"A": calm, "B": walk(7)}, index=DAYS),
        "split": pd.DataFrame({"A": calm, "S": split}, index=DAYS),
        "spike": pd.DataFrame({"A": calm, "X": spike}, index=DAYS),
        "across_blank": pd.DataFrame({"A": calm, "G": across_blank}, index=DAYS),
        "short_blank": pd.DataFrame({"A": calm, "H": short_blank, "L": late}, index=DAYS),
    }


@pytest.mark.parametrize("case", list(frames()))
def test_the_move_screen_gives_what_judging_every_column_gives(case, monkeypatch):
    close = frames()[case]
    screened = outcome(close)
    every_column_judged(monkeypatch)
    assert same(screened, outcome(close))


def test_a_jump_across_a_blank_run_is_still_refused_once_the_blank_is_filled():
    rules = PriceRules(limits=replace(DEFAULT_RULES.limits, max_fill_days=5))
    message = outcome(frames()["across_blank"], rules)
    assert isinstance(message, str)
    assert message.startswith("G: +") and f"on {DAYS[503].date()}" in message


def test_a_calm_column_is_screened_out_and_a_split_sized_one_is_not():
    close = frames()["split"]
    assert price_checks._moving_columns(close, DEFAULT_RULES.limits).tolist() == [False, True]


def test_the_wide_frames_align_like_pandas_on_the_union_of_the_dates():
    a = pd.DataFrame({"close": [1.0, 2.0, 3.0]}, index=DAYS[[0, 1, 3]])
    b = pd.DataFrame({"close": [5.0, 6.0]}, index=DAYS[[2, 3]])
    c = pd.DataFrame({"close": [7.0, 8.0, 9.0]}, index=DAYS[[0, 1, 3]])
    per_ticker = {"A": a, "B": b, "C": c}
    expected = pd.DataFrame({t: f["close"] for t, f in per_ticker.items()}).sort_index()
    pd.testing.assert_frame_equal(_wide(per_ticker, ("close",))["close"], expected)


def test_files_with_the_dates_of_an_earlier_file_or_their_tail_reuse_its_parsed_dates():
    from airegime.data.prices import SameDates, parse_dates

    text = pd.Series(DAYS.strftime("%Y-%m-%d"), dtype="str")
    dates = SameDates()
    first = dates.parse(text, "A.csv")
    assert dates.parse(text.copy(), "B.csv") is first
    tail = text.iloc[100:].reset_index(drop=True)
    assert dates.parse(tail, "C.csv").equals(parse_dates(tail, "C.csv"))
    shifted = text.iloc[:-1].reset_index(drop=True)  # not a tail: read on its own
    assert dates.parse(shifted, "D.csv").equals(parse_dates(shifted, "D.csv"))


def test_dates_read_with_an_inferred_format_are_not_reused_for_a_tail():
    from airegime.data.prices import SameDates, parse_dates

    text = pd.Series(DAYS[:30].strftime("%m/%d/%Y"), dtype="str")
    dates = SameDates()
    dates.parse(text, "A.csv")
    assert dates._text is None  # a tail could infer another format on its own
    tail = text.iloc[5:].reset_index(drop=True)
    assert dates.parse(tail, "B.csv").equals(parse_dates(tail, "B.csv"))


def _flat_start_reference(series: pd.Series, limits) -> object:
    """The rolling computation of every window, as before the first-window screen."""
    returns = np.log(series).diff().iloc[1:]
    n = limits.flat_min_days
    if len(returns) < 2 * n:
        return None
    rolling = returns.rolling(n).std().to_numpy() * np.sqrt(252)
    if not rolling[n - 1] < limits.flat_max_vol:
        return None
    above = np.flatnonzero(rolling[n - 1 :] >= limits.flat_max_vol)
    if not len(above):
        return None
    cut = n - 1 + int(above[0])
    flat = returns.iloc[:cut].std() * np.sqrt(252)
    rest = returns.iloc[cut:].std() * np.sqrt(252)
    if len(returns) - cut < n or not rest >= limits.flat_vol_ratio * flat:
        return None
    return cut + 1, float(flat), float(rest)


@pytest.mark.parametrize("quiet_days", [0, 30, 120, 300])
def test_the_flat_start_screen_gives_what_the_rolling_pass_gives(quiet_days):
    limits = DEFAULT_RULES.limits
    rng = np.random.default_rng(quiet_days)
    steps = rng.normal(0, 0.02, len(DAYS))
    steps[:quiet_days] = rng.normal(0, 0.0005, quiet_days)
    series = pd.Series(100 * np.exp(np.cumsum(steps)), index=DAYS)
    assert price_checks._flat_start(series, limits) == _flat_start_reference(series, limits)
