"""Honest defaults: filing lag, the universe a run rests on, opt-in events, degenerate
portfolios and China caps that exclude every undisclosed name."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from airegime.asof import AsOfView, MarketContext
from airegime.config import validate_config
from airegime.data.china import ChinaExposure
from airegime.data.fundamental_sources import load_fundamentals
from airegime.data.prices import PriceData
from airegime.data.regimes import Event, Regimes
from airegime.data.universes import listed_after, load_universes
from airegime.errors import ConfigError, DataError
from airegime.loading import build_context
from airegime.paths import project_root
from airegime.run import run_backtest
from airegime.stats.portfolio_checks import (
    china_cap_warning,
    degenerate_dates,
    degenerate_warning,
    held_after_fills,
)
from strategies.regime_aware import RegimeAware, regime_signals

ROOT = project_root()
UNIVERSES = load_universes(ROOT / "data" / "universes.yaml")


def minimal(**extra) -> dict:
    return {
        "name": "t",
        "strategy": {"name": "equal_weight"},
        "universe": "ai_us",
        "start": "2024-01-01",
        "end": "2024-12-31",
        **extra,
    }


# --- filing lag ----------------------------------------------------------------------------


def test_a_filing_counts_from_the_next_trading_day_by_default():
    config = validate_config(minimal())
    assert config.data.filing_lag_days == 1
    store = load_fundamentals("sample", ["NVDA"], ROOT, lag_days=config.data.filing_lag_days)
    filed = pd.Timestamp(store.facts["filed"].iloc[-1])
    before = store.metrics_asof(["NVDA"], filed).loc["NVDA", "last_filed"]
    after = store.metrics_asof(["NVDA"], filed + pd.Timedelta(days=1)).loc["NVDA", "last_filed"]
    assert pd.isna(before) or pd.Timestamp(before) < filed
    assert pd.Timestamp(after) == filed


def test_a_china_figure_filed_on_d_is_unknown_on_d_with_the_lag():
    dates = pd.bdate_range("2024-03-01", periods=3)
    table = pd.DataFrame(
        {
            "ticker": ["A"],
            "fiscal_year": [2023],
            "fiscal_year_end": ["2023-12-31"],
            "filed": [str(dates[1].date())],
            "china_revenue_share": [0.3],
            "source": ["test"],
        }
    )
    close = pd.DataFrame({"A": [1.0, 1.0, 1.0]}, index=dates)
    context = MarketContext(PriceData(close), ["A"], china=ChinaExposure(table))
    context.filing_lag_days = 1
    assert pd.isna(AsOfView(context, dates[1]).china_share()["A"])
    assert AsOfView(context, dates[2]).china_share()["A"] == 0.3
    context.filing_lag_days = 0
    assert AsOfView(context, dates[1]).china_share()["A"] == 0.3


# --- universe ------------------------------------------------------------------------------


def test_named_universes_say_how_and_when_they_were_chosen():
    ai_us = UNIVERSES.info("ai_us")
    assert (ai_us.selection, ai_us.chosen, ai_us.sector_etf) == ("hand-picked", "2026", "QQQ")
    assert "hindsight" in ai_us.hindsight_warning()
    assert UNIVERSES.info("suppliers").sector_etf == "SOXX"


def test_a_list_inherits_the_description_of_the_universe_it_comes_from():
    subset = UNIVERSES.info(["NVDA", "AAPL"])
    assert subset.name == "list of 2"
    assert "fundamentals_covered" in subset.basis and subset.hand_picked
    outside = UNIVERSES.info(["NVDA", "SPY"])
    assert not outside.hand_picked and outside.hindsight_warning() is None


def test_describing_an_unknown_universe_is_a_one_line_error(tmp_path):
    path = tmp_path / "universes.yaml"
    path.write_text("groups: {g: [A]}\nuniverses: {u: [A]}\nabout: {v: {sector_etf: QQQ}}\n")
    with pytest.raises(DataError, match="about: v is not a named universe"):
        load_universes(path)


def test_names_listed_after_the_start_are_counted():
    dates = pd.bdate_range("2020-01-01", periods=4)
    closes = pd.DataFrame({"OLD": [1.0] * 4, "NEW": [None, None, 1.0, 1.0]}, index=dates)
    assert listed_after(closes, ["OLD", "NEW"], pd.Timestamp("2020-01-01")) == ["NEW"]
    assert listed_after(closes, ["OLD", "NEW"], pd.Timestamp("2020-01-03")) == []


def test_the_universe_note_counts_from_the_trimmed_start_when_the_data_begin_later():
    config = minimal(universe="hyperscalers", start="2010-01-01", end="2015-03-31")
    result = run_backtest(validate_config({**config, "engine": "vector"}), save=False)
    assert result.provenance["notes"][1].startswith(
        "universe hyperscalers: 5 names, 0 listed after 2015-01-02;"
    )


def test_the_universe_note_keeps_the_configured_start_when_the_data_cover_it():
    config = minimal(universe="hyperscalers", start="2016-01-01", end="2016-03-31")
    result = run_backtest(validate_config({**config, "engine": "vector"}), save=False)
    assert "0 listed after 2016-01-01;" in result.provenance["notes"][1]


def test_a_run_records_its_universe_and_warns_of_hindsight():
    result = run_backtest(validate_config(minimal(start="2019-01-01")), save=False)
    universe = result.provenance["universe"]
    assert (universe["name"], universe["count"]) == ("ai_us", 34)
    assert {"ARM", "PLTR", "SNOW", "CEG"} <= set(universe["listed_after_start"])
    assert "VST" not in universe["listed_after_start"]  # listed in 2016, before the start
    assert any(w.startswith("hindsight: universe ai_us") for w in result.provenance["warnings"])
    assert result.provenance["notes"][1].startswith("universe ai_us: 34 names")


def test_the_run_config_opens_with_what_the_run_rests_on(tmp_path):
    result = run_backtest(validate_config(minimal()), results_root=tmp_path, tearsheet=False)
    text = (result.run_dir / "config.yaml").read_text()
    assert text.startswith("# fill rule next_close: orders fill at the next trading day's close")
    assert "# universe ai_us: 34 names" in text
    assert yaml.safe_load(text)["provenance"]["fill"] == "next_close"


# --- regime_aware events -------------------------------------------------------------------


@pytest.fixture(scope="module")
def regime_context():
    config = validate_config(minimal(strategy={"name": "regime_aware"}))
    context = build_context(config, ROOT, extra_series=["SPY", "SOXX", "KWEB", "TLT"])
    shock = Event("invented", pd.Timestamp("2024-06-03"), "china_shock", "test")
    context.extras["regimes"] = Regimes((shock,), ())
    return context


def test_regime_aware_ignores_the_dated_events_by_default(regime_context):
    strategy = RegimeAware()
    view = AsOfView(regime_context, pd.Timestamp("2024-06-28"))
    assert regime_signals(view, strategy.params)["shock_event"] is False
    assert strategy.run_notes() == []


def test_use_events_adds_them_and_the_run_says_the_list_was_compiled_after_the_fact(
    regime_context,
):
    strategy = RegimeAware({"use_events": True})
    view = AsOfView(regime_context, pd.Timestamp("2024-06-28"))
    assert regime_signals(view, strategy.params)["shock_event"] is True
    assert "compiled after the fact" in strategy.run_notes()[0]


# --- degenerate portfolios -----------------------------------------------------------------


def targets(rows: list[list[float]]) -> pd.DataFrame:
    dates = pd.date_range("2024-01-31", periods=len(rows), freq="ME")
    return pd.DataFrame(rows, index=dates, columns=list("ABCD"))


def test_rebalance_dates_with_few_names_or_mostly_cash_are_flagged():
    frame = targets([[0.25] * 4, [0.5, 0.5, 0, 0], [0.1, 0.1, 0.1, 0], [0.25] * 4])
    flagged = degenerate_dates(frame, min_names=3, max_cash=0.5)
    assert list(flagged.index.strftime("%Y-%m")) == ["2024-02", "2024-03"]
    assert flagged["names"].tolist() == [2, 3]
    assert flagged["cash"].iloc[1] == pytest.approx(0.7)


def test_the_warning_lists_consecutive_dates_as_one_stretch():
    frame = targets([[0.25] * 4, [0, 0, 0, 0], [0, 0, 0, 0], [0.25] * 4, [1, 0, 0, 0]])
    text = degenerate_warning(frame, min_names=2, max_cash=0.5)
    assert "on 3 of 5 rebalance dates" in text
    assert "2024-02-29..2024-03-31 (2 dates): 0 names, up to 100% cash" in text
    assert "2024-05-31: 1 names, up to 0% cash" in text
    assert degenerate_warning(targets([[0.25] * 4]), min_names=2, max_cash=0.5) is None


def test_a_zero_china_cap_with_median_fill_in_is_refused_at_validation():
    raw = minimal(strategy={"name": "china_underweight", "params": {"max_china_share": 0}})
    with pytest.raises(ConfigError, match="max_china_share 0 is below the median China share"):
        validate_config(raw)
    raw["strategy"]["params"]["unknown_china"] = "zero"
    validate_config(raw)


def test_a_cap_below_the_median_fill_in_is_flagged_with_its_first_date():
    dates = pd.date_range("2018-10-31", periods=3, freq="ME")
    fill_ins = pd.Series([0.0, 0.1956, 0.1956], index=dates)
    unknown = pd.Series([34, 33, 33], index=dates)
    params = {"max_china_share": 0.1, "unknown_china": "median"}
    text = china_cap_warning(params, fill_ins, unknown)
    assert "strategy.params.max_china_share 10% is below the median China share (20%-20%)" in text
    assert "on 2 rebalance dates from 2018-11-30" in text
    assert china_cap_warning({**params, "unknown_china": "zero"}, fill_ins, unknown) is None


def test_a_run_whose_china_cap_empties_the_portfolio_says_so_with_dates():
    raw = minimal(
        strategy={"name": "china_underweight", "params": {"max_china_share": 0.1}},
        start="2018-06-01",
        end="2019-06-30",
    )
    warnings = run_backtest(validate_config(raw), save=False).provenance["warnings"]
    assert any("max_china_share 10% is below the median" in w for w in warnings)
    degenerate = next(w for w in warnings if w.startswith("degenerate portfolio"))
    assert "2018-12-03..2019-06-03 (7 dates): 0-1 names, up to 100% cash" in degenerate


def test_held_after_fills_reads_the_fill_day_not_the_signal_day():
    days = pd.bdate_range("2024-03-01", periods=4)
    weights = pd.DataFrame({"A": [0.0, 0.5, 0.5, 0.0], "B": [0.0, 0.5, 0.0, 0.0]}, index=days)
    rebalances = pd.DatetimeIndex([days[0], days[2]])
    held = held_after_fills(weights, rebalances, "next_close")
    assert held.loc[days[0]].tolist() == [0.5, 0.5]
    assert held.loc[days[2]].tolist() == [0.0, 0.0]
    assert held_after_fills(weights, rebalances, "same_close").loc[days[2]].tolist() == [0.5, 0.0]


def test_a_run_whose_orders_never_fill_is_flagged_as_degenerate():
    # Weekly from a Friday to the Monday: Friday's next_close orders are replaced by
    # Monday's rebalance, whose orders would fill on Tuesday, after the window.
    result = run_backtest(
        ROOT / "backtests" / "quickstart.yaml",
        ["start=2024-06-07", "end=2024-06-10", "rebalance=weekly"],
        save=False,
    )
    assert result.trades.empty
    assert any("degenerate portfolio" in w for w in result.provenance["warnings"])
