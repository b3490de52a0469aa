"""Each fill rule checked by hand on a tiny full-bar data set: the fill's date and price."""

from __future__ import annotations

import pandas as pd
import pytest

from airegime import AsOfView, Params, Strategy
from airegime.errors import AiregimeError, ConfigError, DataError
from airegime.run import run_backtest
from tests.conftest import write_closes, write_config

DATES = ["2024-03-01", "2024-03-04", "2024-03-05", "2024-03-06"]
BARS = {  # open, close (split- and dividend-free, so adj_close == close)
    "A": [(9.0, 10.0), (9.5, 12.5), (12.0, 11.0), (11.0, 11.5)],
}


def write_bars(folder, bars: dict[str, list[tuple[float, float]]]):
    folder.mkdir(parents=True, exist_ok=True)
    for ticker, rows in bars.items():
        frame = pd.DataFrame(
            {
                "date": DATES[: len(rows)],
                "open": [o for o, _ in rows],
                "high": [max(o, c) for o, c in rows],
                "low": [min(o, c) for o, c in rows],
                "close": [c for _, c in rows],
                "adj_close": [c for _, c in rows],
                "volume": 1000,
            }
        )
        frame.to_csv(folder / f"{ticker}.csv", index=False)
    return folder


def config(project, fill: str, folder) -> str:
    return write_config(
        project / "backtests" / "fills.yaml",
        f"""\
name: fills
strategy: {{name: equal_weight}}
universe: [A]
benchmark: A
start: 2024-03-01
end: 2024-03-06
data: {{source: csv, path: {folder}}}
initial_cash: 1000
cash_buffer: 0
costs: {{commission_bps: 0, slippage_bps: 0}}
execution: {{fill: {fill}}}
""",
    )


@pytest.fixture
def bars(project):
    return write_bars(project / "bars", BARS)


def first_fill(project, fill: str, folder) -> pd.Series:
    result = run_backtest(config(project, fill, folder), save=False)
    assert result.provenance["fill"] == fill
    return result.trades.iloc[0]


def test_same_close_fills_at_the_signal_days_close(project, bars):
    trade = first_fill(project, "same_close", bars)
    assert trade["date"] == pd.Timestamp("2024-03-01")
    assert trade["price"] == pytest.approx(10.0)
    assert trade["shares"] == pytest.approx(100.0)  # 1000 / 10


def test_next_open_fills_at_the_next_days_open(project, bars):
    trade = first_fill(project, "next_open", bars)
    assert trade["date"] == pd.Timestamp("2024-03-04")
    assert trade["price"] == pytest.approx(9.5)
    assert trade["shares"] == pytest.approx(100.0)  # sized on the signal day's close


def test_next_close_fills_at_the_next_days_close_scaled_to_the_cash(project, bars):
    trade = first_fill(project, "next_close", bars)
    assert trade["date"] == pd.Timestamp("2024-03-04")
    assert trade["price"] == pytest.approx(12.5)
    # 100 shares were planned at 10; at 12.5 the cash pays for 80 of them.
    assert trade["shares"] == pytest.approx(80.0, rel=1e-6)


def test_auto_is_next_open_with_full_bars(project, bars):
    trade = first_fill(project, "next_open", bars)
    result = run_backtest(config(project, "auto", bars), save=False)
    assert result.provenance["fill"] == "next_open"
    assert result.trades.iloc[0]["price"] == trade["price"]


def test_auto_is_next_close_with_close_only_data(project):
    folder = write_closes(project / "closes", {"A": [10.0, 12.5, 11.0, 11.5]}, DATES)
    result = run_backtest(config(project, "auto", folder), save=False)
    assert result.provenance["fill"] == "next_close"
    assert result.trades.iloc[0]["date"] == pd.Timestamp("2024-03-04")
    assert result.trades.iloc[0]["price"] == pytest.approx(12.5)


def test_next_open_on_close_only_data_is_a_one_line_error(project):
    folder = write_closes(project / "closes", {"A": [10.0, 12.5, 11.0, 11.5]}, DATES)
    with pytest.raises(AiregimeError, match="next_open needs open prices"):
        run_backtest(config(project, "next_open", folder), save=False)


def test_an_unknown_fill_rule_is_a_config_error(project, bars):
    with pytest.raises(ConfigError, match=r"execution\.fill"):
        run_backtest(config(project, "tomorrow", bars), save=False)


def test_the_fill_rule_is_recorded_in_the_run_notes(project, bars):
    result = run_backtest(config(project, "next_close", bars), save=False)
    assert result.provenance["notes"][0].startswith("fill rule next_close")


@pytest.mark.parametrize("fill", ["next_close", "same_close"])
def test_a_name_whose_data_ended_is_sold_at_its_last_price(project, fill):
    dates = [
        "2024-03-04",
        "2024-03-05",
        "2024-03-06",
        "2024-03-07",
        "2024-03-08",
        "2024-03-11",
        "2024-03-12",
        "2024-03-13",
    ]
    folder = write_closes(
        project / "ends",
        {"A": [10.0, 10.0, 11.0, 11.0, 12.0, 12.0, 12.0, 12.0], "B": [20.0, 21.0, 22.0]},
        dates,
    )
    path = config(project, fill, folder)
    result = run_backtest(
        path, ["universe=[A, B]", "rebalance=weekly", "end=2024-03-13"], save=False
    )
    sold = result.trades[(result.trades["ticker"] == "B") & (result.trades["shares"] < 0)]
    assert len(sold) == 1
    assert sold.iloc[0]["price"] == pytest.approx(22.0)  # B's last close
    assert result.weights["B"].iloc[-1] == 0


class FridayThenMonday(Strategy):
    """All in A on 2024-03-01 (a Friday), all in B from the next week on."""

    class Params(Params):
        pass

    def target_weights(self, view: AsOfView) -> pd.Series:
        return pd.Series({"A": 1.0} if view.date < pd.Timestamp("2024-03-04") else {"B": 1.0})


@pytest.mark.parametrize("engine", ["backtrader", "vector"])
def test_a_rebalance_the_day_after_the_start_replaces_the_unsent_next_close_orders(project, engine):
    # Weekly from a Friday: Friday's orders would be sent on Monday, itself a rebalance
    # date whose decision sees no holdings yet; sending both bought A and B.
    folder = write_closes(project / "two", {"A": [10.0] * 4, "B": [5.0] * 4}, DATES)
    result = run_backtest(
        config(project, "next_close", folder),
        [
            "universe=[A, B]",
            "rebalance=weekly",
            "end=2024-03-06",
            f"strategy.name={__name__}:FridayThenMonday",
            f"engine={engine}",
        ],
        save=False,
    )
    assert result.trades["ticker"].tolist() == ["B"]
    assert result.trades["date"].tolist() == [pd.Timestamp("2024-03-05")]
    assert result.trades["shares"].iloc[0] == pytest.approx(200.0, rel=1e-6)  # 1000 / 5


def test_a_window_with_one_trading_day_is_a_data_error_not_a_strategy_error(project, bars):
    with pytest.raises(DataError, match="fewer than two trading days") as caught:
        run_backtest(config(project, "auto", bars), ["end=2024-03-03"], save=False)
    assert "strategy" not in str(caught.value)


# --- the window's last days ---------------------------------------------------------------


class AThenB(Strategy):
    """All in A until February's end, all in B from March on."""

    class Params(Params):
        pass

    def target_weights(self, view: AsOfView) -> pd.Series:
        return pd.Series({"A": 1.0} if view.date < pd.Timestamp("2024-03-01") else {"B": 1.0})


def last_day_run(project, fill: str, engine: str, end: str) -> pd.DataFrame:
    """A then B, monthly over 2024-02-28..``end`` (rebalances on 02-28 and 03-01)."""
    days = ["2024-02-28", "2024-02-29", "2024-03-01", "2024-03-04"]
    folder = project / "month"
    folder.mkdir(exist_ok=True)
    for ticker, rows in {
        "A": [(9.0, 10.0), (9.5, 12.5), (12.0, 11.0), (11.0, 11.5)],
        "B": [(5.0, 5.0), (5.5, 5.5), (6.0, 6.5), (7.0, 7.5)],
    }.items():
        pd.DataFrame(
            {
                "date": days,
                "open": [o for o, _ in rows],
                "high": [max(o, c) for o, c in rows],
                "low": [min(o, c) for o, c in rows],
                "close": [c for _, c in rows],
                "adj_close": [c for _, c in rows],
                "volume": 1000,
            }
        ).to_csv(folder / f"{ticker}.csv", index=False)
    overrides = [
        "universe=[A, B]",
        "start=2024-02-28",
        f"end={end}",
        "rebalance=monthly",
        f"strategy.name={__name__}:AThenB",
        f"engine={engine}",
    ]
    return run_backtest(config(project, fill, folder), overrides, save=False).trades


@pytest.mark.parametrize("engine", ["backtrader", "vector"])
def test_orders_of_the_day_before_the_last_fill_at_the_last_close(project, engine):
    trades = last_day_run(project, "next_close", engine, "2024-03-04")
    last = trades[trades["date"] == pd.Timestamp("2024-03-04")]
    # the 03-01 rebalance, filled at the window's last close: sell A, buy B
    assert last["ticker"].tolist() == ["A", "B"]
    assert last["price"].tolist() == pytest.approx([11.5, 7.5])


@pytest.mark.parametrize("engine", ["backtrader", "vector"])
def test_a_same_close_rebalance_on_the_last_day_fills_at_its_close(project, engine):
    trades = last_day_run(project, "same_close", engine, "2024-03-01")
    last = trades[trades["date"] == pd.Timestamp("2024-03-01")]
    assert last["ticker"].tolist() == ["A", "B"]
    assert last["price"].tolist() == pytest.approx([11.0, 6.5])


@pytest.mark.parametrize("engine", ["backtrader", "vector"])
def test_a_next_open_rebalance_on_the_last_day_does_not_trade(project, engine):
    trades = last_day_run(project, "next_open", engine, "2024-03-01")
    assert trades["date"].max() < pd.Timestamp("2024-03-01")  # its open is after the window


def test_a_window_ending_the_day_after_a_rebalance_trades_on_its_last_day_on_both_engines(
    project,
):
    """Issue #18's case: 2023-01-01..2023-02-02 on the sample; the 2023-02-01 rebalance
    fills at the 2023-02-02 close, and the engines agree trade for trade."""
    from airegime.config import load_config
    from airegime.engines import run_engine
    from airegime.engines.vector_engine import reconcile
    from airegime.loading import load_context
    from airegime.run import engine_settings

    path = write_config(
        project / "backtests" / "last.yaml",
        """\
name: last
strategy: {name: equal_weight}
universe: [AAPL, MSFT, NVDA]
benchmark: SPY
start: 2023-01-01
end: 2023-02-02
data: {source: sample}
rebalance: monthly
""",
    )
    cfg = load_config(path)
    context = load_context(cfg, project, str(path), report_data=False)
    results = {
        engine: run_engine(engine, context, cfg.build_strategy(), engine_settings(cfg))
        for engine in ("backtrader", "vector")
    }
    assert reconcile(results["backtrader"], results["vector"]) is None
    trades = results["vector"].trades
    last = trades[trades["date"] == pd.Timestamp("2023-02-02")]
    assert sorted(last["ticker"]) == ["AAPL", "MSFT", "NVDA"]
    closes = context.prices.close.loc["2023-02-02"]
    for _, trade in last.iterrows():
        slip = 1 + 5e-4 if trade["shares"] > 0 else 1 - 5e-4
        assert trade["price"] == pytest.approx(closes[trade["ticker"]] * slip)
