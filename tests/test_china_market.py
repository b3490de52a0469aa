"""Market-implied China exposure: rolling China beta, the share rule, the as-of view."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from airegime.asof import AsOfView, MarketContext
from airegime.data.china_market import attach_china, beta_to_share, china_betas
from airegime.data.prices import PriceData
from airegime.paths import project_root

ROOT = project_root()


def synthetic_closes(days: int = 400, seed: int = 1) -> pd.DataFrame:
    """Factor ETFs from random returns, and stocks built from them with known betas."""
    rng = np.random.default_rng(seed)
    index = pd.bdate_range("2020-01-01", periods=days)
    r = {k: rng.normal(0, 0.015, days) for k in ("KWEB", "SPY", "SOXX")}
    r["CHINA_HEAVY"] = 0.6 * r["KWEB"] + 1.0 * r["SPY"] + rng.normal(0, 0.005, days)
    r["NO_CHINA"] = 1.2 * r["SPY"] + 0.5 * r["SOXX"] + rng.normal(0, 0.005, days)
    r["SHORT_CHINA"] = -0.3 * r["KWEB"] + r["SPY"] + rng.normal(0, 0.005, days)
    return pd.DataFrame({k: 100 * np.cumprod(1 + v) for k, v in r.items()}, index=index)


def test_the_china_beta_controls_for_the_us_market_and_chips():
    betas = china_betas(synthetic_closes(), ["CHINA_HEAVY", "NO_CHINA", "SHORT_CHINA"])
    last = betas.iloc[-1]
    assert last["CHINA_HEAVY"] == pytest.approx(0.6, abs=0.05)
    assert last["NO_CHINA"] == pytest.approx(0.0, abs=0.05)
    assert last["SHORT_CHINA"] == pytest.approx(-0.3, abs=0.05)


def test_a_beta_needs_min_obs_returns_first():
    betas = china_betas(synthetic_closes(), ["CHINA_HEAVY"], window=252, min_obs=126)
    assert betas["CHINA_HEAVY"].iloc[:126].isna().all()  # 125 returns in the first 126 rows
    assert betas["CHINA_HEAVY"].iloc[126:].notna().all()


def test_row_d_uses_returns_up_to_d_only():
    closes = synthetic_closes()
    cut = closes.index[300]
    later = closes.copy()
    later.loc[later.index > cut] *= np.random.default_rng(3).uniform(0.5, 2.0, (99, 6))
    a = china_betas(closes, ["CHINA_HEAVY"]).loc[:cut]
    b = china_betas(later, ["CHINA_HEAVY"]).loc[:cut]
    pd.testing.assert_frame_equal(a, b)


def test_fxi_stands_in_where_kweb_has_no_history():
    closes = synthetic_closes()
    closes["FXI"] = closes["KWEB"]
    closes.loc[closes.index[:200], "KWEB"] = np.nan
    betas = china_betas(closes, ["CHINA_HEAVY"], min_obs=100)
    assert betas["CHINA_HEAVY"].iloc[150] == pytest.approx(0.6, abs=0.08)


def test_beta_to_share_reads_one_as_all_china_and_negative_as_none():
    beta = pd.Series({"a": -0.3, "b": 0.0, "c": 0.25, "d": 1.0, "e": 1.7, "f": np.nan})
    share = beta_to_share(beta)
    assert share.drop("f").tolist() == [0.0, 0.0, 0.25, 1.0, 1.0]
    assert np.isnan(share["f"])
    assert beta_to_share(0.5, full_beta=0.5) == 1.0


def context_of(closes: pd.DataFrame, universe: list[str]) -> MarketContext:
    return MarketContext(prices=PriceData(closes, source="test"), universe=universe)


def test_attach_china_fills_the_market_table_once_on_first_read():
    context = context_of(synthetic_closes(), ["CHINA_HEAVY", "NO_CHINA"])
    attach_china(context, ROOT)
    held = context.china_market
    assert held is not None
    table = context.market_china_shares()
    assert list(table.columns) == ["CHINA_HEAVY", "NO_CHINA"]
    attach_china(context, ROOT)
    assert context.china_market is held  # computed once per context, shared by sweeps
    assert context.market_china_shares() is table


def test_the_market_table_is_not_computed_until_read(monkeypatch):
    """Rolling betas cost seconds at hundreds of names; a disclosed-only run never pays."""
    import airegime.data.china_market as china_market

    calls = []
    monkeypatch.setattr(china_market, "market_shares", lambda *a: calls.append(a) or a[0])
    context = context_of(synthetic_closes(), ["CHINA_HEAVY"])
    attach_china(context, ROOT)
    assert calls == []
    context.market_china_shares()
    context.market_china_shares()
    assert len(calls) == 1


def test_without_factor_series_the_market_measure_is_none_with_a_note():
    context = context_of(synthetic_closes().drop(columns=["SOXX"]), ["CHINA_HEAVY"])
    attach_china(context, ROOT)
    assert context.china_market is None
    assert any("SOXX" in note for note in context.extras["notes"])
    assert context.china is not None  # the disclosed table is still there


def test_the_view_gives_disclosed_market_or_blend():
    closes = synthetic_closes()
    closes["NVDA"] = closes["NO_CHINA"]
    context = context_of(closes, ["NVDA", "CHINA_HEAVY"])
    attach_china(context, ROOT)
    view = AsOfView(context, closes.index[-1])  # 2021: NVDA's first disclosed share is FY2023
    assert view.china_share(measure="disclosed").isna().all()
    market = view.china_share(measure="market")
    assert market["CHINA_HEAVY"] == pytest.approx(0.6, abs=0.05)
    pd.testing.assert_series_equal(view.china_share(measure="blend"), market)
    with pytest.raises(ValueError, match="expected disclosed, market or blend"):
        view.china_share(measure="beta")


@pytest.mark.slow
def test_china_underweight_on_market_shares_is_not_equal_weight():
    from airegime.run import run_backtest

    result = run_backtest(ROOT / "backtests" / "china_underweight_market.yaml", save=False)
    held = [row[row > 0] for _, row in result.targets.iterrows()]
    unequal = [w.max() - w.min() > 1e-9 for w in held]
    assert sum(unequal) >= 0.9 * len(held)
