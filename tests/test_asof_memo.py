"""The context memoises what views read, once for every sweep point, and safely."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import pandas as pd

from airegime.asof import AsOfView
from airegime.config import load_config
from airegime.loading import load_context

ROOT = Path(__file__).resolve().parents[1]
DAY = pd.Timestamp("2024-03-01")


def composite_context():
    config = load_config(ROOT / "backtests" / "article_composite.yaml")
    return load_context(config, ROOT, "article_composite.yaml")


def test_fundamentals_are_computed_once_per_date_and_names():
    context = composite_context()
    calls = []
    real = context.fundamentals.metrics_asof
    context.fundamentals.metrics_asof = lambda *a, **k: calls.append(a) or real(*a, **k)
    first = AsOfView(context, DAY).fundamentals(["NVDA", "MSFT"])
    second = AsOfView(context, DAY).fundamentals(["NVDA", "MSFT"])
    pd.testing.assert_frame_equal(first, second)
    assert len(calls) == 1


def test_a_strategy_changing_what_it_read_changes_no_later_view():
    context = composite_context()
    fund = AsOfView(context, DAY).fundamentals(["NVDA"])
    fund.loc["NVDA", "revenue_ttm"] = -1.0
    history = AsOfView(context, DAY).annual_history("NVDA")
    history["capex"] = 0.0
    share = AsOfView(context, DAY).china_share(["NVDA"])
    share.iloc[0] = 0.99
    assert AsOfView(context, DAY).fundamentals(["NVDA"]).loc["NVDA", "revenue_ttm"] > 0
    assert (AsOfView(context, DAY).annual_history("NVDA")["capex"] > 0).any()
    assert AsOfView(context, DAY).china_share(["NVDA"]).iloc[0] < 0.99


def test_a_copy_with_other_prices_does_not_read_the_originals_memo():
    context = composite_context()
    assert "NVDA" in AsOfView(context, DAY).tradable()
    other = copy.copy(context)
    close = context.prices.close.copy()
    close.loc[DAY, "NVDA"] = float("nan")
    other.prices = dataclasses.replace(context.prices, close=close)
    assert "NVDA" not in AsOfView(other, DAY).tradable()
    assert "NVDA" in AsOfView(context, DAY).tradable()


def test_what_one_sweep_point_does_to_its_diagnostics_reaches_no_other():
    """The composite shares its memoised score records across the points of a sweep;
    a strategy editing what its view recorded edits its own copy only."""
    from airegime.engines.rebalance import decide
    from strategies.composite import CompositeParams, composite_weights

    class Edits:
        params = CompositeParams()

        def target_weights(self, view):
            weights = composite_weights(view, self.params)
            recorded = view.diagnostics()
            first = next(iter(recorded["scores"]["composite"]))
            recorded["scores"]["composite"][first] = 123.0
            recorded["components"][first][0] = 99
            return weights

    class Clean:
        params = CompositeParams(top_n=5)

        def target_weights(self, view):
            return composite_weights(view, self.params)

    context = composite_context()
    decide(context, Edits(), DAY, 0.01)
    shared = decide(context, Clean(), DAY, 0.01)
    alone = decide(composite_context(), Clean(), DAY, 0.01)
    assert shared.diagnostics == alone.diagnostics
    assert 123.0 not in shared.diagnostics["scores"]["composite"].values()


def test_points_that_share_what_a_date_memoises_record_what_fresh_runs_record():
    """The composite memoises per date what only depends on which rules are active (the
    names left unscored, the components record) and what the China rule records for a set
    of names; points that reach them with other weights get their own weights and the
    same records a run on a fresh context makes."""
    from airegime.engines.rebalance import decide
    from strategies.composite import ArticleComposite

    points = [
        {},
        {"w_capex": 2.0, "w_valuation": 0.5},  # the same active rules, other weights
        {"selection": "tilt", "tilt_strength": 0.5},  # names the China rule saw before...
        {"selection": "tilt", "tilt_strength": 2.0},  # ...with other weights
        {"w_valuation": 0.0},  # other active rules
    ]
    shared = composite_context()
    for params in points:
        strategy = ArticleComposite(params)
        mine = decide(shared, strategy, DAY, 0.01)
        alone = decide(composite_context(), strategy, DAY, 0.01)
        pd.testing.assert_series_equal(mine.weights, alone.weights)
        assert mine.diagnostics == alone.diagnostics
