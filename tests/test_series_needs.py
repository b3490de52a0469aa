"""Price series beside the universe: loaded only when a rule in use reads them."""

from __future__ import annotations

from airegime.data.china_market import CHINA_PROXIES, CONTROLS
from airegime.registry import registered
from airegime.strategy import SeriesNeed, Strategy

MARKET_NEED = SeriesNeed(
    "china_measure: market (the rolling China beta)",
    CONTROLS,
    CHINA_PROXIES,
    "set strategy.params.china_measure: disclosed",
)


def needs(name: str, **params) -> list[SeriesNeed]:
    return registered()[name](params).series_needs()


def test_the_disclosed_china_measure_reads_no_price_series():
    assert needs("china_underweight") == []
    assert needs("china_underweight", china_measure="disclosed", china_power=2) == []


def test_the_market_measure_needs_spy_soxx_and_one_china_proxy():
    assert needs("china_underweight", china_measure="market") == [MARKET_NEED]
    blend = needs("china_underweight", china_measure="blend")[0]
    assert blend.rule.startswith("china_measure: blend") and blend.any_of == CHINA_PROXIES


def test_a_china_rule_that_is_off_reads_nothing_whatever_its_measure():
    off = {"china_power": 0, "max_china_share": 1, "china_measure": "market"}
    assert needs("article_composite", **off) == []
    assert needs("article_composite", **{**off, "unknown_china": "exclude"}) != []
    assert needs("article_composite", china_measure="market") != []  # defaults: the rule is on


def test_regime_aware_names_each_signal_and_its_series():
    rules = {n.rule: n.series for n in needs("regime_aware")}
    assert rules == {
        "the capex-doubt signal (AI basket against SPY)": ("SPY",),
        "the China catch-up signal (KWEB against SOXX)": ("KWEB", "SOXX"),
        "the rising-rates signal (TLT over rate_days)": ("TLT",),
    }
    composite = needs("regime_aware", composite={"china_measure": "market", "china_power": 1})
    assert composite[-1].rule == "composite.china_measure: market (the rolling China beta)"


def test_a_plugin_declaring_extra_series_needs_them_whatever_its_parameters():
    class Tilt(Strategy):
        extra_series = ("QQQ", "TLT")

    assert Tilt().series_needs() == [SeriesNeed("Tilt (extra_series)", ("QQQ", "TLT"))]
    assert Strategy().series_needs() == []
