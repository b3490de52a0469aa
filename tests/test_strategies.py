"""The article's strategies: scores by hand, offline runs, no look-ahead, composition."""

from __future__ import annotations

import copy
from unittest import mock

import numpy as np
import pandas as pd
import pytest

from airegime.asof import AsOfView
from airegime.config import validate_config
from airegime.data import prices as prices_module
from airegime.data.china import ChinaExposure
from airegime.data.china_market import FACTOR_SERIES, attach_china
from airegime.data.fundamentals import FundamentalsStore
from airegime.data.regimes import Event, Regimes
from airegime.loading import attach_reference_data, build_context
from airegime.paths import project_root
from airegime.registry import registered
from airegime.run import run_backtest
from airegime.weighting import china_multiplier, select, zscore
from strategies.balance_sheet import BalanceSheetParams, balance_sheet_eligible, balance_sheet_score
from strategies.capex_discipline import capex_breaches, capex_score
from strategies.regime_aware import RegimeParams, defensive_share
from strategies.supplier_tilt import supplier_score
from strategies.valuation import ValuationParams, valuation_eligible

ROOT = project_root()
ARTICLE = [
    "balance_sheet_quality",
    "capex_discipline",
    "valuation_discipline",
    "china_underweight",
    "supplier_tilt",
    "article_composite",
    "regime_aware",
]


def fund(**columns) -> pd.DataFrame:
    return pd.DataFrame(
        columns, index=pd.Index(["A", "B", "C"][: len(next(iter(columns.values())))])
    )


# --- scoring functions on hand-made inputs -----------------------------------------------


def test_zscore_is_cross_sectional_and_keeps_nan():
    assert zscore(pd.Series([1.0, 2.0, 3.0])).tolist() == pytest.approx(
        [-1.2247, 0, 1.2247], abs=1e-4
    )
    assert np.isnan(zscore(pd.Series([1.0, np.nan, 3.0]))[1])
    # combining components with missing data: tests/test_missing_data.py


def test_balance_sheet_prefers_net_cash_low_debt_and_steady_fcf():
    f = fund(
        net_cash_to_assets=[0.2, -0.3],
        debt_to_equity=[0.1, 2.0],
        fcf_margin=[0.3, 0.05],
        fcf_stability=[5.0, 0.5],
        fcf_ttm=[10.0, -1.0],
    )
    p = BalanceSheetParams()
    score = balance_sheet_score(f, p)
    assert score["A"] > score["B"]
    assert balance_sheet_eligible(f, p).tolist() == [True, False]  # B burns cash


def test_capex_breaches_count_years_with_capex_above_ocf():
    history = pd.DataFrame(
        {"capex": [5, 12, 8, 15, 20], "operating_cash_flow": [10, 10, 10, 10, 10]}
    )
    assert capex_breaches(history, 5) == 3
    assert capex_breaches(history, 2) == 2
    assert capex_breaches(pd.DataFrame(columns=["capex", "operating_cash_flow"]), 5) == 0


def test_capex_score_penalises_heavy_capex_and_rising_debt():
    score = capex_score(fund(capex_to_ocf=[0.2, 1.3], debt_growth=[0.0, 0.6]))
    assert score["A"] > score["B"]


def test_valuation_accepts_a_high_pe_only_with_growth_and_margin():
    f = fund(
        pe_ttm=[60.0, 60.0, 15.0],
        revenue_growth=[0.50, 0.05, 0.10],
        net_margin=[0.30, 0.30, 0.10],
        net_income_ttm=[1.0, 1.0, -1.0],
    )
    eligible = valuation_eligible(
        f, ValuationParams(max_pe=35, min_growth=0.2, min_margin=0.15, max_peg=3.0)
    )
    assert eligible.tolist() == [True, False, False]  # B: no growth; C: a loss-maker


def test_max_staleness_days_blanks_facts_older_than_the_limit():
    from strategies.common import SelectionParams, fundamentals

    class View:
        def fundamentals(self, names):
            return fund(pe_ttm=[20.0, 30.0], staleness_days=[61.0, 364.0])

    blanked = fundamentals(View(), ["A", "B"], SelectionParams(max_staleness_days=200))
    assert blanked.loc["A", "pe_ttm"] == 20.0 and np.isnan(blanked.loc["B", "pe_ttm"])
    assert fundamentals(View(), ["A", "B"], SelectionParams()).loc["B", "pe_ttm"] == 30.0


def test_china_multiplier_caps_scales_and_handles_unknowns():
    share = pd.Series({"A": 0.0, "B": 0.2, "C": 0.5, "D": np.nan})
    m = china_multiplier(share, power=1.0, max_share=0.3, unknown="zero")
    assert m.to_dict() == pytest.approx({"A": 1.0, "B": 0.8, "C": 0.0, "D": 1.0})
    assert china_multiplier(share, 2.0, 1.0, "median")["D"] == pytest.approx((1 - 0.2) ** 2)
    assert china_multiplier(share, 1.0, 1.0, "exclude")["D"] == 0.0


def test_supplier_score_and_selection():
    score = supplier_score(
        ["NVDA", "MSFT", "AAPL"],
        {"NVDA": "chips", "MSFT": "hyperscaler", "AAPL": "consumer_tech"},
        ["NVDA"],
    )
    assert score.tolist() == [1.0, -1.0, 0.0]
    tilted = select(score, method="tilt", strength=0.5)
    assert tilted.to_dict() == pytest.approx({"NVDA": 0.5, "MSFT": 1 / 6, "AAPL": 1 / 3})
    assert select(pd.Series({"a": 3.0, "b": 1.0, "c": 2.0}), top_n=2).to_dict() == {
        "a": 0.5,
        "c": 0.5,
    }


def test_regime_blend_adds_a_step_per_active_signal():
    p = RegimeParams(blend_step=0.5)
    signals = {
        "capex_doubt": True,
        "china_catch_up": False,
        "shock_event": True,
        "rising_rates": False,
    }
    assert defensive_share(signals, p) == 1.0
    assert defensive_share({**signals, "shock_event": False}, p) == 0.5
    assert (
        defensive_share(
            {**signals, "capex_doubt": False, "shock_event": False}, RegimeParams(mode="switch")
        )
        == 0.0
    )


# --- strategies on the bundled sample ----------------------------------------------------


@pytest.mark.parametrize("name", ARTICLE)
def test_every_config_runs_offline_on_the_sample(name):
    result = run_backtest(
        ROOT / "backtests" / f"{name}.yaml", ["start=2024-01-01", "end=2025-06-30"], save=False
    )
    assert len(result.returns) > 300
    assert result.weights.sum(axis=1).iloc[-1] == pytest.approx(0.99, abs=0.02)


def test_china_underweight_with_zero_cap_holds_no_name_with_known_china_revenue():
    result = run_backtest(
        ROOT / "backtests" / "china_underweight.yaml",
        [
            "strategy.params.max_china_share=0",
            "strategy.params.unknown_china=zero",
            "start=2019-01-01",
            "end=2025-06-30",
        ],
        save=False,
    )
    exposure = ChinaExposure.from_csv(ROOT / "data" / "china_exposure.csv")
    for date, weights in result.targets.iterrows():
        # a figure counts from the trading day after its filing (data.filing_lag_days: 1)
        known = exposure.share_asof(list(weights.index), date - pd.Timedelta(days=1)).dropna()
        assert (weights[known[known > 0].index] == 0).all(), date
    assert result.targets.loc["2024-01-02", "NVDA"] == 0  # NVDA FY2023 share known by then
    assert result.targets.loc["2024-01-02", "MSFT"] > 0  # unknown counts as zero here


def composite_config(**params) -> dict:
    return {
        "name": "c",
        "strategy": {"name": "article_composite", "params": params},
        "universe": "fundamentals_covered",
        "start": "2019-01-01",
        "end": "2025-06-30",
    }


def test_the_composite_with_one_score_equals_that_strategy():
    neutral_china = {"china_power": 0.0, "max_china_share": 1.0}
    only_bs = {"w_capex": 0, "w_valuation": 0, "w_supplier": 0, **neutral_china}
    composite = run_backtest(validate_config(composite_config(**only_bs)), save=False)
    single = run_backtest(
        validate_config({**composite_config(), "strategy": {"name": "balance_sheet_quality"}}),
        save=False,
    )
    pd.testing.assert_frame_equal(composite.targets, single.targets)
    pd.testing.assert_series_equal(composite.returns, single.returns)


# --- no look-ahead -----------------------------------------------------------------------

CUTOFF = pd.Timestamp("2024-06-30")


def full_context():
    config = validate_config(
        {**composite_config(), "universe": "ai_global", "start": "2021-01-01", "end": "2026-07-31"}
    )
    context = build_context(config, ROOT, extra_series=[*FACTOR_SERIES, "TLT"])
    attach_reference_data(context, config, ROOT, frozenset({"fundamentals", "china", "regimes"}))
    return context


def scrambled_after(context, cutoff: pd.Timestamp):
    """A copy whose every price, filing, China figure and event after ``cutoff`` differs.

    Prices change in the raw input, before the price checks run: the bundled sample's
    closes after ``cutoff`` times 1.3 and a random walk, loaded again (raw csv and yahoo
    inputs, and calmed or shuffled prices: tests/test_lookahead.py).
    """
    other = copy.copy(context)
    rng = np.random.default_rng(7)
    raw = prices_module._sample_closes()
    later = raw.index > cutoff
    walk = np.exp(np.cumsum(rng.normal(0, 0.3 / np.sqrt(252), (later.sum(), raw.shape[1])), 0))
    scrambled = raw.copy()
    scrambled.loc[later] = raw.loc[later].to_numpy() * 1.3 * walk
    with mock.patch.object(prices_module, "_sample_closes", lambda: scrambled):
        other.prices = prices_module.load_sample(list(context.prices.close.columns))
    facts = context.fundamentals.facts.copy()
    facts.loc[facts["filed"] > cutoff, "value"] *= -7.0
    other.fundamentals = FundamentalsStore(facts, "scrambled", context.fundamentals.lag_days)
    china = copy.copy(context.china)
    china.table = context.china.table.copy()
    china.table.loc[china.table["known_from"] > cutoff, "china_revenue_share"] = 0.99
    other.china = china
    other.china_market = None
    attach_china(other, ROOT)  # recomputed from the scrambled prices
    regimes = context.extras["regimes"]
    shock = Event("invented", cutoff + pd.Timedelta(days=1), "china_shock", "test")
    other.extras = {**context.extras, "regimes": Regimes((*regimes.events, shock), ())}
    return other


def test_changing_data_after_a_date_changes_no_metric_or_china_share_known_before_it():
    context = full_context()
    other = scrambled_after(context, CUTOFF)
    assert context.china_market is not None
    for date in pd.date_range("2022-01-01", CUTOFF, freq="BMS"):
        before, after = AsOfView(context, date), AsOfView(other, date)
        pd.testing.assert_frame_equal(before.fundamentals(), after.fundamentals())
        for measure in ("disclosed", "market", "blend"):
            pd.testing.assert_series_equal(
                before.china_share(measure=measure), after.china_share(measure=measure)
            )
    late = pd.Timestamp("2025-03-03")
    assert (
        not AsOfView(context, late)
        .china_share(measure="market")
        .equals(AsOfView(other, late).china_share(measure="market"))
    )
    assert (
        not AsOfView(context, late)
        .fundamentals()["pe_ttm"]
        .equals(AsOfView(other, late).fundamentals()["pe_ttm"])
    )


@pytest.mark.parametrize(
    ("name", "params"),
    [
        *[(n, {}) for n in [*ARTICLE, "equal_weight"]],
        ("china_underweight", {"china_measure": "market"}),
        ("article_composite", {"china_measure": "blend", "value_by": "ps"}),
    ],
)
def test_changing_data_after_a_date_changes_no_weight_decided_before_it(name, params):
    context = full_context()
    other = scrambled_after(context, CUTOFF)
    strategy = registered()[name](params)
    for date in pd.date_range("2022-01-01", CUTOFF, freq="BMS"):
        before = strategy.target_weights(AsOfView(context, date))
        after = strategy.target_weights(AsOfView(other, date))
        pd.testing.assert_series_equal(before.sort_index(), after.sort_index(), check_names=False)
    late = pd.Timestamp("2025-03-03")
    assert not strategy.target_weights(AsOfView(context, late)).equals(
        strategy.target_weights(AsOfView(other, late))
    ) or name in {"supplier_tilt", "equal_weight"}
