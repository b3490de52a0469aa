"""What the portfolio held, measured: exposure tables by hand and the portfolio page."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from airegime.paths import project_root
from airegime.reports.portfolio import turnover_label, turnover_text
from airegime.run import run_backtest
from airegime.stats.exposures import (
    TABLES,
    china_exposure,
    contributions,
    fundamentals_profile,
    group_weights,
    known_share_matrix,
    replay,
    rolling_betas,
    stress_days,
    weighted_median,
)

ROOT = project_root()
DAYS = pd.bdate_range("2024-01-01", periods=4)


def test_group_weights_add_up_and_count_the_names_held():
    weights = pd.DataFrame(
        {"NVDA": [0.5, 0.4], "MSFT": [0.3, 0.0], "ETN": [0.2, 0.5]}, index=DAYS[:2]
    )
    groups = {"NVDA": "chips", "MSFT": "hyperscaler", "ETN": "power_energy"}
    out = group_weights(weights, groups, suppliers=["NVDA", "ETN"])
    assert out.loc[DAYS[0], ["chips", "hyperscaler", "power_energy"]].tolist() == [0.5, 0.3, 0.2]
    assert out["suppliers"].tolist() == pytest.approx([0.7, 0.9])
    assert out["cash"].tolist() == pytest.approx([0.0, 0.1])
    assert out["names"].tolist() == [3, 2]


def test_a_china_share_counts_only_from_the_day_it_became_known():
    table = pd.DataFrame(
        {
            "ticker": ["NVDA", "NVDA"],
            "known_from": [DAYS[1], DAYS[3]],
            "china_revenue_share": [0.2, 0.1],
        }
    )
    shares = known_share_matrix(table, ["NVDA", "MSFT"], DAYS)
    assert np.isnan(shares.loc[DAYS[0], "NVDA"])
    assert shares["NVDA"].tolist()[1:] == [0.2, 0.2, 0.1]
    assert shares["MSFT"].isna().all()


def test_china_exposure_reports_the_weight_without_a_disclosure_beside_the_share():
    weights = pd.DataFrame({"NVDA": [0.5], "MSFT": [0.4]}, index=DAYS[:1])
    shares = pd.DataFrame({"NVDA": [0.2], "MSFT": [np.nan]}, index=DAYS[:1])
    market = pd.DataFrame({"NVDA": [0.3], "MSFT": [0.05]}, index=DAYS[:1])
    out = china_exposure(weights, shares, market).iloc[0]
    assert out["disclosed"] == pytest.approx(0.1)
    assert out["disclosed_unknown_weight"] == pytest.approx(0.4)
    assert out["market"] == pytest.approx(0.5 * 0.3 + 0.4 * 0.05)
    assert out["market_unknown_weight"] == 0


def test_fundamentals_profile_averages_over_names_with_a_value():
    targets = pd.DataFrame({"A": [0.5], "B": [0.25], "C": [0.25]}, index=DAYS[:1])
    metrics = pd.DataFrame(
        {
            "net_cash_to_assets": [0.2, -0.2, np.nan],
            "capex_to_ocf": [0.3, 0.5, 40.0],
            "pe_ttm": [20.0, 40.0, np.nan],
        },
        index=["A", "B", "C"],
    )
    row = fundamentals_profile(targets, {DAYS[0]: metrics}).iloc[0]
    assert row["net_cash_to_assets"] == pytest.approx((0.5 * 0.2 - 0.25 * 0.2) / 0.75)
    assert row["net_cash_to_assets_coverage"] == pytest.approx(0.75)
    assert row["capex_to_ocf"] == 0.3  # the weighted median shrugs off C's 40x
    assert row["pe_ttm"] == pytest.approx(0.75 / (0.5 / 20 + 0.25 / 40))


def test_weighted_median_is_the_value_where_half_the_weight_lies_below():
    values = pd.Series([1.0, 2.0, 3.0])
    assert weighted_median(values, pd.Series([0.2, 0.2, 0.6])) == 3.0
    assert weighted_median(values, pd.Series([0.5, 0.3, 0.2])) == 1.0


def test_contributions_add_up_to_the_compounded_return():
    weights = pd.DataFrame({"A": [0.5, 0.5, 0.5], "B": [0.5, 0.5, 0.5]}, index=DAYS[:3])
    asset = pd.DataFrame({"A": [np.nan, 0.10, -0.05], "B": [np.nan, 0.0, 0.02]}, index=DAYS[:3])
    names, groups = contributions(weights, asset, {"A": "chips", "B": "software"})
    portfolio = (1 + 0.05) * (1 + 0.5 * -0.05 + 0.5 * 0.02) - 1
    assert names["contribution"].sum() == pytest.approx(portfolio)
    assert names.loc["A", "contribution"] == pytest.approx(0.05 + 1.05 * 0.5 * -0.05)
    assert groups.loc["software", "contribution"] == pytest.approx(1.05 * 0.5 * 0.02)


def test_rolling_beta_is_blank_until_its_window_fills():
    rng = np.random.default_rng(0)
    index = pd.bdate_range("2024-01-01", periods=40)
    factor = pd.Series(rng.normal(0, 0.01, 40), index=index)
    betas = rolling_betas(2 * factor, factor.to_frame("SPY"), window=20)
    assert betas["SPY"].iloc[:19].isna().all()
    assert betas["SPY"].iloc[19:].to_numpy() == pytest.approx(2.0)


def test_a_book_replayed_on_a_day_leaves_out_names_without_a_price():
    weights = pd.Series({"NVDA": 0.5, "ARM": 0.3, "MSFT": 0.2})
    day = pd.Series({"NVDA": -0.17, "MSFT": -0.02, "ARM": np.nan})
    result, unpriced, worst = replay(weights, day)
    assert result == pytest.approx(0.5 * -0.17 + 0.2 * -0.02)
    assert unpriced == pytest.approx(0.3)
    assert worst == "NVDA -17.0%, MSFT -2.0%"


def test_stress_days_are_events_on_their_first_trading_day_and_the_worst_benchmark_days():
    calendar = pd.bdate_range("2025-01-20", periods=10)
    bench = pd.Series(np.linspace(-0.05, 0.04, 10), index=calendar, name="SPY")
    days = stress_days(
        [("DeepSeek", pd.Timestamp("2025-01-25")), ("too early", pd.Timestamp("2020-01-01"))],
        bench,
        calendar,
        worst=2,
    )
    assert days[0] == ("DeepSeek", "event", pd.Timestamp("2025-01-27"))  # a Saturday -> Monday
    assert [d[2] for d in days[1:]] == [calendar[0], calendar[1]]


@pytest.mark.slow
def test_the_quickstart_writes_a_portfolio_page_with_holdings_china_and_stress(tmp_path):
    result = run_backtest(
        ROOT / "backtests" / "quickstart.yaml", results_root=tmp_path, tearsheet=False
    )
    run_dir = result.run_dir
    for name in TABLES.values():
        if name != "portfolio_signals.csv":  # equal weight records no signals
            assert (run_dir / name).is_file(), name
    page = (run_dir / "portfolio.html").read_text()
    for needle in (
        "alt='holdings by group and number of names'",
        "alt='China exposure over time'",
        "Stress replays",
        "DeepSeek-R1 sell-off",
        "alt='rolling betas'",
    ):
        assert needle in page, needle
    assert "http://" not in page and "https://" not in page
    stress = pd.read_csv(run_dir / "portfolio_stress.csv", index_col="date")
    deepseek = stress[stress["label"] == "DeepSeek-R1 sell-off"].iloc[0]
    assert deepseek["held_then"] == pytest.approx(deepseek["actual"], abs=1e-9)
    betas = pd.read_csv(run_dir / "portfolio_betas.csv", index_col="date")
    assert set(betas.columns) == {"SPY", "SOXX", "KWEB", "FXI", "MCHI", "TLT"}


def test_capex_to_ocf_profile_leaves_out_names_burning_cash():
    # capex / a negative operating cash flow is negative and meaningless; with it, the
    # weighted median of a two-name book read -1000% on the regime_aware portfolio page
    targets = pd.DataFrame({"A": [0.6], "B": [0.4]}, index=DAYS[:1])
    metrics = pd.DataFrame({"capex_to_ocf": [-10.3, 0.25]}, index=["A", "B"])
    row = fundamentals_profile(targets, {DAYS[0]: metrics}).iloc[0]
    assert row["capex_to_ocf"] == 0.25
    assert row["capex_to_ocf_coverage"] == pytest.approx(0.4)


def test_turnover_bars_are_wide_enough_to_see_on_a_ten_year_axis():
    from airegime.reports.portfolio import bar_width_days

    monthly = pd.DatetimeIndex(pd.date_range("2016-01-04", periods=120, freq="BMS"))
    assert bar_width_days(monthly) >= 20  # ~5 px of a 1000 px axis, not 1.7
    assert bar_width_days(pd.bdate_range("2024-01-01", periods=30)) == 3.0
    assert bar_width_days(monthly[:1]) == 5.0


def test_portfolio_facts_show_the_market_implied_china_share_beside_the_disclosed():
    from airegime.reports.portfolio import facts

    class Run:
        weights = pd.DataFrame({"A": [0.5], "B": [0.5]}, index=DAYS[:1])
        metrics = {"turnover": 0.5}

    china = pd.DataFrame(
        {
            "disclosed": [0.015],
            "disclosed_known_weight": [0.09],
            "disclosed_unknown_weight": [0.91],
            "market": [0.06],
            "market_unknown_weight": [0.0],
        },
        index=DAYS[:1],
    )
    html = facts(Run(), {"china": china})
    assert "China revenue share, disclosed (9% of weight)" in html
    assert "<b>6.0%</b><span>China share, market-implied (100% of weight)</span>" in html


def test_a_cash_only_run_shows_no_holdings_instead_of_a_largest_group():
    from airegime.reports.portfolio import facts

    class Run:
        weights = pd.DataFrame({"NVDA": [0.0], "TSM": [0.0]}, index=DAYS[:1])
        metrics = {"turnover": 0.0}

    groups = pd.DataFrame(
        {"chips": [0.0], "foundry": [0.0], "names": [0], "suppliers": [0.0], "cash": [1.0]},
        index=DAYS[:1],
    )
    html = facts(Run(), {"groups": groups})
    assert "<b>-</b><span>largest group: no holdings</span>" in html
    assert "largest group (chips)" not in html


def test_a_run_without_its_portfolio_page_writes_neither_page_nor_tables(tmp_path):
    result = run_backtest(
        ROOT / "backtests" / "quickstart.yaml",
        ["start=2024-01-01", "end=2024-06-30"],
        results_root=tmp_path,
        tearsheet=False,
        portfolio=False,
    )
    assert (result.run_dir / "metrics.json").is_file()
    assert not (result.run_dir / "portfolio.html").exists()
    assert not list(result.run_dir.glob("portfolio_*.csv"))


def test_the_turnover_section_says_the_first_bar_is_the_initial_purchase():
    per_day = pd.DataFrame(
        {"turnover": [0.49, 0.03, 0.09]},
        index=pd.to_datetime(["2016-01-05", "2016-02-02", "2016-03-02"]),
    )
    metrics = {"turnover": 0.47, "turnover_incl_initial": 0.48}
    text = turnover_text(metrics, per_day)
    assert "0.47 a year on average without the initial purchase (0.48 with it)" in text
    assert "The first bar (2016-01-05, 49%) is the initial purchase" in text
    assert "The largest after it: 9% on 2016-03-02." in text


def test_the_turnover_fact_says_which_turnover_it_is():
    label = turnover_label({"turnover": 0.47, "turnover_incl_initial": 0.48})
    assert label == "turnover per year, initial purchase left out (0.48 with it)"
    assert turnover_label({"turnover": 0.48}) == "turnover per year (initial purchase included)"
