"""Overfitting statistics against cases computed by hand and from the papers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from airegime.stats.overfitting import (
    carry_over,
    deflated_sharpe,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    probability_of_backtest_overfitting,
    reading,
    spa_pvalues,
    superior_predictive_ability,
    walk_forward,
)


def test_expected_max_sharpe_matches_the_papers_formula():
    # Bailey & Lopez de Prado (2014), eq. for SR0 with V[SR] = 0.5 / 252 (annual var 0.5),
    # N = 100: sqrt(V) * ((1 - g) Z(1 - 1/N) + g Z(1 - 1/(N e))).
    v, n, g = 0.5 / 252, 100, 0.5772156649015329
    by_hand = math.sqrt(v) * (
        (1 - g) * stats.norm.ppf(0.99) + g * stats.norm.ppf(1 - 1 / (n * math.e))
    )
    assert expected_max_sharpe(v, n) == pytest.approx(by_hand)
    # Annualised: sqrt(0.5) * (0.4228 * 2.3263 + 0.5772 * 2.6804) = 1.789.
    assert expected_max_sharpe(v, n) * math.sqrt(252) == pytest.approx(1.789, abs=0.002)


def test_one_trial_deflates_to_the_probabilistic_sharpe_ratio():
    rng = np.random.default_rng(1)
    r = rng.normal(0.001, 0.01, 1000)
    out = deflated_sharpe_ratio(r, np.array([0.1]))
    sr = r.mean() / r.std(ddof=1)
    skew, kurt = stats.skew(r), stats.kurtosis(r, fisher=False)
    z = sr * math.sqrt(999) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2)
    assert out["sr0"] == 0.0
    assert out["dsr"] == pytest.approx(stats.norm.cdf(z))


def test_more_trials_deflate_more():
    rng = np.random.default_rng(2)
    r = rng.normal(0.0008, 0.01, 1500)
    few = deflated_sharpe_ratio(r, rng.normal(0.03, 0.02, 3))
    many = deflated_sharpe_ratio(r, rng.normal(0.03, 0.02, 300))
    assert many["sr0"] > few["sr0"] and many["dsr"] < few["dsr"]


def test_pbo_is_zero_when_one_trial_dominates_everywhere():
    rng = np.random.default_rng(3)
    noise = rng.normal(0, 0.01, (800, 5))
    noise[:, 2] += 0.01  # trial 2 is best in every block
    assert probability_of_backtest_overfitting(pd.DataFrame(noise), blocks=8)["pbo"] == 0.0


def test_pbo_is_one_when_the_in_sample_winner_always_loses_out_of_sample():
    # Two trials that alternate: whatever wins in-sample wins because of blocks it does
    # not have out of sample. With S = 2 blocks, the IS winner is the OOS loser.
    a = np.r_[np.full(100, 0.01), np.full(100, -0.01)] + np.tile([0.001, -0.001], 100)
    b = -a + 0.0
    out = probability_of_backtest_overfitting(pd.DataFrame({"a": a, "b": b}), blocks=2)
    assert out["splits"] == 2 and out["pbo"] == 1.0


def test_pbo_counts_the_cscv_combinations():
    frame = pd.DataFrame(np.random.default_rng(4).normal(0, 0.01, (600, 4)))
    assert probability_of_backtest_overfitting(frame, blocks=6)["splits"] == math.comb(6, 3)


def test_walk_forward_chains_test_windows_of_the_training_winner():
    idx = pd.bdate_range("2020-01-01", periods=400)
    frame = pd.DataFrame(
        {
            "up_then_down": np.r_[np.full(200, 0.01), np.full(200, -0.01)],
            "flat": 0.0001 + np.tile([0.0005, -0.0005], 200),
        },
        index=idx,
    )
    frame["up_then_down"] += np.tile([0.001, -0.001], 200)
    windows = walk_forward(frame, train_days=100, test_days=100)
    assert windows["chosen"].tolist() == ["up_then_down", "up_then_down", "flat"]
    assert len(windows.attrs["returns"]) == 300


def test_deflated_sharpe_ratio_reproduces_the_papers_worked_example():
    # Bailey and López de Prado (2014), section 6: N = 100 trials whose Sharpe ratios have
    # an annualised variance of 0.5, T = 1250 daily returns, skew -3, kurtosis 10, and an
    # annualised Sharpe of 2.5; the paper annualises with 250 days a year.
    out = deflated_sharpe(2.5 / math.sqrt(250), 0.5 / 250, 100, 1250, -3.0, 10.0)
    assert round(out["sr0"], 4) == 0.1132
    assert round(out["dsr"], 4) == 0.9004


def returns_frame(means: list[float], sd: float = 0.01, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    noise = rng.normal(0, sd, size=(1000, len(means)))
    return pd.DataFrame(noise + np.array(means), index=pd.bdate_range("2020-01-01", periods=1000))


def test_spa_rejects_when_one_trial_truly_beats_the_baseline():
    baseline = returns_frame([0.0], seed=1)[0]
    trials = returns_frame([0.0, 0.0, 0.0, 0.001], sd=0.003).add(baseline, axis=0)
    out = superior_predictive_ability(baseline, trials, reps=500)
    assert out["p_consistent"] < 0.01 and out["best"] == "3"


def test_spa_does_not_reject_the_best_of_many_skill_less_trials():
    # 50 variants of the baseline with no edge: the best of them looks good on its own
    # (p 0.01 alone), but tested among all 50 it does not
    baseline = returns_frame([0.0], seed=100)[0]
    trials = returns_frame([0.0] * 50, sd=0.003).add(baseline, axis=0)
    best = trials.sub(baseline, axis=0).mean().idxmax()
    alone = superior_predictive_ability(baseline, trials[[best]], reps=500)
    out = superior_predictive_ability(baseline, trials, reps=500)
    assert alone["p_consistent"] < 0.05 and out["p_consistent"] > 0.2


DSR_HIGH_PBO_HIGH = {
    "deflated_sharpe": {"dsr": 0.99, "sharpe": 0.075, "sr0": 0.03, "trials": 27.0},
    "pbo": {"pbo": 0.89},
    "split": {"rank_correlation": -0.99},
    "spa": {"baseline": "equal weight on the same universe", "p_consistent": 0.62},
}


def test_a_high_dsr_beside_a_high_pbo_is_explained_with_both_numbers():
    text = reading(DSR_HIGH_PBO_HIGH)
    assert text.startswith("The deflated Sharpe ratio (0.99) and PBO (0.89) answer different")
    assert "ranks correlate -0.99" in text and "p 0.62" in text


def test_agreeing_statistics_need_no_reading():
    report = DSR_HIGH_PBO_HIGH | {"pbo": {"pbo": 0.1}, "split": {"rank_correlation": 0.8}}
    assert reading(report) is None


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_spa_pvalues_equal_arch_on_the_same_seed(seed):
    # 40 trials around the baseline, some worse, a few slightly better: p-values between
    # 0 and 1 on every seed, so a different draw or centring would show
    from arch.bootstrap import SPA

    rng = np.random.default_rng(seed + 10)
    base = rng.normal(0.0004, 0.01, 600)
    models = base[:, None] + rng.normal(0.0, 0.004, (600, 40)) + rng.normal(-2e-4, 2e-4, 40)
    reference = SPA(-base, -models, block_size=20, reps=400, seed=seed)
    reference.compute()
    assert spa_pvalues(-base, -models, 20, 400, seed) == dict(reference.pvalues)


def with_evidence(pbo: float, rho: float | None, dsr: float = 0.99, trials: float = 27.0):
    """The report above with the given PBO, rank correlation, DSR and number of points."""
    report = DSR_HIGH_PBO_HIGH | {
        "deflated_sharpe": DSR_HIGH_PBO_HIGH["deflated_sharpe"] | {"dsr": dsr, "trials": trials},
        "pbo": {"pbo": pbo},
        "split": {"rank_correlation": rho} if rho is not None else {},
    }
    return report


@pytest.mark.parametrize(
    ("pbo", "rho", "expected"),
    [
        (0.6, None, "no"),  # PBO at or above 0.5 and no split: no
        (0.6, 0.9, "mixed"),  # PBO says no, the split's ranks say yes
        (0.1, -0.2, "no"),  # ranks that do not agree: no, whatever PBO
        (0.8, -0.2, "no"),
        (0.3, 0.0, "no"),
        (0.3, 1.0, "partly"),
        (0.3, None, "partly"),
        (0.1, 0.5, "yes"),
        (0.1, None, "yes"),
    ],
)
def test_the_choice_carries_over_unless_the_ranks_disagree_or_pbo_is_half(pbo, rho, expected):
    assert carry_over(pbo, rho) == expected


def test_a_mid_pbo_with_agreeing_ranks_is_not_read_as_does_not_carry_over():
    text = reading(with_evidence(pbo=0.3, rho=0.8))
    assert "does not reliably carry over" not in text
    assert "carries over only in part" in text and "ranks correlate +0.80" in text


def test_a_low_pbo_with_disagreeing_ranks_does_not_carry_over():
    text = reading(with_evidence(pbo=0.1, rho=-0.5))
    assert "does not reliably carry over" in text and "ranks correlate -0.50" in text


def test_a_low_dsr_beside_a_low_pbo_says_the_points_differ_consistently():
    text = reading(with_evidence(pbo=0.1, rho=0.6, dsr=0.5))
    assert text.startswith("PBO (0.10) says the ranking of the points carries over")
    assert "not by enough to call the best one skilful" in text


def test_few_points_are_called_weak_evidence_even_when_the_statistics_agree():
    assert reading(with_evidence(pbo=0.1, rho=1.0, trials=3)) == (
        "With only 3 points, PBO and the rank correlation are weak evidence either way; "
        "add points before reading much into them."
    )
    text = reading(with_evidence(pbo=0.33, rho=1.0, trials=3))
    assert "carries over only in part" in text and text.endswith("reading much into them.")


def test_a_reading_without_a_split_leaves_the_rank_correlation_out():
    text = reading(with_evidence(pbo=0.9, rho=None))
    assert "does not reliably carry over" in text and "correlate" not in text


def test_a_high_pbo_beside_ranks_that_kept_their_order_is_called_unsettled():
    text = reading(with_evidence(pbo=0.83, rho=1.0))
    assert "does not reliably carry over" not in text
    assert "is unsettled: PBO says it does not, while the points kept their order" in text


def _pbo_by_split(returns: pd.DataFrame, blocks: int) -> list[float]:
    """The logits of CSCV computed directly: Sharpe of each trial on each half's rows."""
    import itertools

    matrix = returns.dropna().to_numpy()
    parts = np.array_split(np.arange(len(matrix)), blocks)
    logits = []
    for chosen in itertools.combinations(range(blocks), blocks // 2):
        train = np.concatenate([parts[i] for i in chosen])
        test = np.concatenate([parts[i] for i in range(blocks) if i not in chosen])
        sr_in = matrix[train].mean(0) / matrix[train].std(0, ddof=1)
        sr_out = matrix[test].mean(0) / matrix[test].std(0, ddof=1)
        omega = stats.rankdata(sr_out)[int(np.nanargmax(sr_in))] / (matrix.shape[1] + 1)
        logits.append(math.log(omega / (1 - omega)))
    return logits


def test_pbo_from_block_moments_equals_the_split_by_split_computation():
    """PBO reads each block's mean and spread once; the logits equal recomputing every
    split's Sharpe ratios from its rows (identical trials tie as they did)."""
    rng = np.random.default_rng(3)
    returns = pd.DataFrame(rng.normal(0.0004, 0.02, (1003, 40)))
    returns[1] = returns[0]
    out = probability_of_backtest_overfitting(returns, blocks=10)
    assert out["logits"] == pytest.approx(_pbo_by_split(returns, 10), abs=1e-12)
