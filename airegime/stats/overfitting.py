"""Statistics that say whether a sweep's best point is more than luck.

- :func:`deflated_sharpe_ratio`: Bailey and López de Prado (2014), "The Deflated Sharpe
  Ratio: Correcting for Selection Bias, Backtest Overfitting and Non-Normality",
  Journal of Portfolio Management 40(5). The probability that the best observed
  Sharpe ratio beats the maximum expected from N trials of zero true skill.
- :func:`probability_of_backtest_overfitting`: Bailey, Borwein, López de Prado and Zhu
  (2015), "The Probability of Backtest Overfitting", Journal of Computational Finance
  20(4), by combinatorially symmetric cross-validation (CSCV).
- :func:`walk_forward`: choose on a rolling training window, hold the choice for the
  next test window, and chain the test windows.

All inputs are per-period (daily) returns; nothing here annualises.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

EULER_GAMMA = 0.5772156649015329


def _stats():
    """scipy.stats, imported on first use: it costs ~0.9 s, and every CLI command paid it."""
    from scipy import stats

    return stats


def sharpe(returns: np.ndarray) -> np.ndarray:
    """Per-period Sharpe ratio of each column (or of a 1-D array)."""
    returns = np.asarray(returns, dtype=float)
    std = returns.std(axis=0, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(std > 0, returns.mean(axis=0) / std, np.nan)


def expected_max_sharpe(sharpe_variance: float, trials: int) -> float:
    """SR0: the expected maximum Sharpe ratio of ``trials`` skill-less strategies."""
    if trials < 2:
        return 0.0
    z1 = _stats().norm.ppf(1 - 1 / trials)
    z2 = _stats().norm.ppf(1 - 1 / (trials * math.e))
    return math.sqrt(sharpe_variance) * ((1 - EULER_GAMMA) * z1 + EULER_GAMMA * z2)


def deflated_sharpe(
    sr: float, sr_variance: float, trials: int, observations: int, skew: float, kurtosis: float
) -> dict[str, float]:
    """The deflated Sharpe ratio from summary statistics (Bailey and López de Prado, 2014).

    ``sr``: the chosen trial's per-period Sharpe ratio; ``sr_variance``: the variance of
    the per-period Sharpe ratios of all ``trials``; ``observations``: its number of
    returns (T); ``skew`` and ``kurtosis`` (Pearson's, 3 for a normal) of its returns.
    Returns ``sr0`` (the expected maximum Sharpe of ``trials`` skill-less tries, per
    period) and ``dsr`` = Φ((SR - SR0) √(T - 1) / √(1 - skew SR + (kurtosis - 1)/4 SR²)).
    """
    sr0 = expected_max_sharpe(sr_variance, trials)
    denominator = math.sqrt(max(1 - skew * sr + (kurtosis - 1) / 4 * sr**2, 1e-12))
    z = (sr - sr0) * math.sqrt(observations - 1) / denominator
    return {"sr0": sr0, "dsr": float(_stats().norm.cdf(z))}


def deflated_sharpe_ratio(best_returns: np.ndarray, trial_sharpes: np.ndarray) -> dict[str, float]:
    """DSR of the best trial: P(true Sharpe > SR0) given skew, kurtosis and N trials.

    ``trial_sharpes`` are the per-period Sharpe ratios of every trial (their variance and
    count set SR0); ``best_returns`` are the chosen trial's returns. See
    :func:`deflated_sharpe` for the formula.
    """
    r = np.asarray(best_returns, dtype=float)
    r = r[~np.isnan(r)]
    sr = float(sharpe(r))
    trial_sharpes = np.asarray(trial_sharpes, dtype=float)
    trial_sharpes = trial_sharpes[~np.isnan(trial_sharpes)]
    variance = float(np.var(trial_sharpes, ddof=1)) if len(trial_sharpes) > 1 else 0.0
    skew = float(_stats().skew(r))
    kurt = float(_stats().kurtosis(r, fisher=False))
    out = deflated_sharpe(sr, variance, len(trial_sharpes), len(r), skew, kurt)
    return {
        "sharpe": sr,
        "sr0": out["sr0"],
        "trials": float(len(trial_sharpes)),
        "skew": skew,
        "kurtosis": kurt,
        "dsr": out["dsr"],
    }


def probability_of_backtest_overfitting(returns: pd.DataFrame, blocks: int = 10) -> dict:
    """PBO by CSCV: the share of IS/OOS splits where the IS-best trial is below the OOS median.

    ``returns`` has one column per trial. The rows are cut into ``blocks`` (even)
    contiguous blocks; every choice of half of them is an in-sample set, its complement
    the out-of-sample set; the best in-sample trial's out-of-sample rank gives a logit.
    """
    if blocks % 2 or blocks < 2:
        raise ValueError("blocks must be even and at least 2")
    matrix = returns.dropna().to_numpy(dtype=float)
    n_trials = matrix.shape[1]
    if n_trials < 2:
        return {"pbo": float("nan"), "logits": [], "splits": 0}
    parts = np.array_split(np.arange(len(matrix)), blocks)
    # Each block's count, mean and sum of squared deviations per trial; a set of blocks'
    # Sharpe ratios follow from them (Chan et al.'s pairwise update), so the 252 splits
    # of 10 blocks read the returns once instead of once per split.
    sizes = np.array([len(part) for part in parts], dtype=float)
    means = np.vstack([matrix[part].mean(axis=0) for part in parts])
    squares = np.vstack(
        [((matrix[part] - means[b]) ** 2).sum(axis=0) for b, part in enumerate(parts)]
    )
    logits = []
    for chosen in itertools.combinations(range(blocks), blocks // 2):
        rest = [i for i in range(blocks) if i not in chosen]
        is_perf = _pooled_sharpe(sizes, means, squares, list(chosen))
        oos_perf = _pooled_sharpe(sizes, means, squares, rest)
        best = int(np.nanargmax(is_perf))
        rank = _stats().rankdata(oos_perf)[best]  # 1 = worst
        omega = rank / (n_trials + 1)
        logits.append(math.log(omega / (1 - omega)))
    logits_arr = np.array(logits)
    return {"pbo": float((logits_arr <= 0).mean()), "logits": logits, "splits": len(logits)}


def _pooled_sharpe(
    sizes: np.ndarray, means: np.ndarray, squares: np.ndarray, chosen: list[int]
) -> np.ndarray:
    """:func:`sharpe` of each trial over the blocks ``chosen``, from per-block counts
    (blocks,), means and sums of squared deviations (blocks, trials); equal to it up to
    rounding."""
    n = sizes[chosen]
    total = n.sum()
    mean = (n[:, None] * means[chosen]).sum(axis=0) / total
    spread = (squares[chosen] + n[:, None] * (means[chosen] - mean) ** 2).sum(axis=0)
    std = np.sqrt(spread / (total - 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(std > 0, mean / std, np.nan)


def walk_forward(returns: pd.DataFrame, train_days: int, test_days: int) -> pd.DataFrame:
    """Chain of test windows, each holding the trial with the best training Sharpe.

    Returns one row per test window: start, end, chosen trial, its training and test
    Sharpe; ``attrs["returns"]`` holds the chained out-of-sample returns.
    """
    rows, chained = [], []
    data = returns.dropna()
    start = train_days
    while start < len(data):
        train = data.iloc[start - train_days : start]
        test = data.iloc[start : start + test_days]
        is_perf = sharpe(train.to_numpy())
        best = data.columns[int(np.nanargmax(is_perf))]
        rows.append(
            {
                "start": test.index[0],
                "end": test.index[-1],
                "chosen": best,
                "train_sharpe": float(np.nanmax(is_perf)),
                "test_sharpe": float(sharpe(test[best].to_numpy())),
            }
        )
        chained.append(test[best])
        start += test_days
    frame = pd.DataFrame(rows)
    frame.attrs["returns"] = pd.concat(chained) if chained else pd.Series(dtype=float)
    return frame


def spa_pvalues(
    benchmark: np.ndarray, models: np.ndarray, block: int, reps: int, seed: int
) -> dict[str, float]:
    """The p-values of ``arch.bootstrap.SPA(benchmark, models, block_size=block, reps=reps,
    seed=seed)`` (stationary bootstrap, asymptotic studentisation), equal to arch's on
    the same inputs and seed, computed in whole-array steps.

    ``benchmark``: losses, float (T,); ``models``: losses, float (T, K). Returns
    ``{"lower", "consistent", "upper"}``. arch resamples the T x K loss differentials once
    per draw and sums the autocovariances of every lag in a loop (O(T^2 K)); here the
    same draws (arch's own index generator, same seed) become a (reps x T) matrix of how
    often each day was drawn, one product with the differentials gives every draw's
    means, and the autocovariances come from one FFT. Sums are taken in another order,
    so the variances differ from arch's in the last bits (about 1e-14 relative); they
    only decide which trials are too poor to count for the consistent p-value.
    """
    from arch.bootstrap import StationaryBootstrap

    diff = np.asarray(benchmark, dtype=float)[:, None] - np.asarray(models, dtype=float)
    t = diff.shape[0]
    mean = diff.mean(axis=0)
    demeaned = diff - mean
    # Sum over s of demeaned[s] * demeaned[s + i], every lag i at once, by FFT (zero-padded).
    size = 1 << int(np.ceil(np.log2(2 * t)))
    spectrum = np.fft.rfft(demeaned, n=size, axis=0)
    lagged = np.fft.irfft(spectrum * np.conj(spectrum), n=size, axis=0)[:t]
    lag = np.arange(1, t)
    keep = 1.0 - 1.0 / block
    kappa = (1.0 - lag / t) * keep**lag + (lag / t) * keep ** (t - lag)
    variances = np.sum(demeaned**2, 0) / t + 2 * (kappa[:, None] * lagged[1:]).sum(axis=0) / t
    threshold = -1.0 * np.sqrt((variances / t) * 2 * np.log(np.log(t)))
    upper = mean
    consistent = np.where(mean >= threshold, mean, 0.0)
    lower = np.where(mean < 0, 0.0, mean)
    draws = StationaryBootstrap(block, np.empty(t), seed=seed)
    counts = np.empty((reps, t))
    for r in range(reps):
        counts[r] = np.bincount(draws.update_indices(), minlength=t)
    means = counts @ diff / t  # (reps, K): each draw's mean loss differentials
    best = mean.max()
    return {
        name: float(((means - centre).max(axis=1) > best).mean())
        for name, centre in (("lower", lower), ("consistent", consistent), ("upper", upper))
    }


def superior_predictive_ability(
    baseline: pd.Series,
    trials: pd.DataFrame,
    block: int = 20,
    reps: int = 1000,
    seed: int = 0,
) -> dict[str, float | str]:
    """Hansen's test of superior predictive ability: does any trial beat the baseline?

    Hansen (2005), "A Test for Superior Predictive Ability", Journal of Business and
    Economic Statistics 23(4), computed as ``arch.bootstrap.SPA`` computes it
    (:func:`spa_pvalues`: stationary bootstrap with mean block ``block`` days, ``reps``
    draws, seeded, studentised). The null is that
    no trial's mean daily return exceeds the baseline's; the test looks at every trial
    at once, so trying more points does not make a rejection easier. Losses are negative
    returns. Returns ``p_consistent`` (Hansen's p-value), ``p_lower`` and ``p_upper``
    (the latter is White's (2000) Reality Check p-value), the number of ``trials`` and
    ``days``, and the trial with the largest mean excess return (``best``,
    ``best_excess`` per day). Rows with a missing value are dropped first.
    """
    both = pd.concat([baseline.rename("__baseline__"), trials], axis=1, join="inner").dropna()
    if len(both) < 2 * block or trials.shape[1] < 1:
        raise ValueError(f"need at least {2 * block} common days, have {len(both)}")
    base, models = both["__baseline__"], both.drop(columns="__baseline__")
    p = spa_pvalues(-base.to_numpy(), -models.to_numpy(), block, reps, seed)
    excess = models.sub(base, axis=0).mean()
    return {
        "p_consistent": p["consistent"],
        "p_lower": p["lower"],
        "p_upper": p["upper"],
        "trials": float(models.shape[1]),
        "days": float(len(both)),
        "block": float(block),
        "reps": float(reps),
        "seed": float(seed),
        "best": str(excess.idxmax()),
        "best_excess": float(excess.max()),
    }


#: Below this PBO the best point's rank carries over from one half of the dates to the
#: other often enough to call the ranking informative (noise gives about 0.5).
PBO_CARRIES_OVER = 0.25

#: At or above this PBO the best point did no better than a random one on the other
#: half of the dates: the choice among the points does not carry over.
PBO_DOES_NOT_CARRY_OVER = 0.5

#: With fewer points than this, PBO and the rank correlation rest on too few ranks to say
#: much either way (three points correlate +1.00 by chance one time in six).
FEW_POINTS = 5


def carry_over(pbo: float, rho: float | None) -> str:
    """Whether the choice among a sweep's points carries over to other dates: ``"no"``
    when the in/out-of-sample rank correlation is zero or below, or PBO >= 0.5 without a
    correlation; ``"mixed"`` when PBO >= 0.5 but the ranks kept their order across the
    split; ``"partly"`` when 0.25 <= PBO < 0.5 (and the correlation, if known, is
    positive); else ``"yes"``."""
    known = rho is not None and not math.isnan(rho)
    if known and rho <= 0:
        return "no"
    if pbo >= PBO_DOES_NOT_CARRY_OVER:
        return "mixed" if known else "no"
    if pbo >= PBO_CARRIES_OVER:
        return "partly"
    return "yes"


#: How a sweep that made money (DSR >= 0.95) reads, by :func:`carry_over`'s verdict.
_TOGETHER = {
    "no": "the choice among its points does not reliably carry over; do not trust the best "
    "point's parameters.",
    "mixed": "whether the choice among its points carries over is unsettled: PBO says it "
    "does not, while the points kept their order across the split; do not rely on the best "
    "point's parameters until more dates or points settle it.",
    "partly": "the choice among its points carries over only in part (PBO between 0.25 and "
    "0.5 with ranks that agree); prefer the region of good points to the single best one.",
}


def reading(report: dict) -> str | None:
    """In words, how a sweep's deflated Sharpe ratio, PBO and in/out-of-sample rank
    correlation hold together (None when they plainly agree); see :func:`carry_over` for
    the rule. ``report``: the sweep's overfitting report (``deflated_sharpe``, ``pbo``,
    optionally ``split`` and ``spa``); Sharpe ratios in it are per period and shown
    annualised (x √``periods_per_year`` of the report, 252 if absent). With fewer than
    :data:`FEW_POINTS` points it adds that the statistics are weak."""
    dsr, pbo = report.get("deflated_sharpe"), report.get("pbo")
    if not dsr or not pbo or math.isnan(pbo.get("pbo", math.nan)):
        return None
    annual = math.sqrt(report.get("periods_per_year") or 252)
    rho = (report.get("split") or {}).get("rank_correlation")
    if rho is not None and math.isnan(rho):
        rho = None
    spa = report.get("spa") or {}
    spa_text = ""
    if "p_consistent" in spa:
        spa_text = (
            f" The SPA test asks the question in between, whether any point beat "
            f"{spa.get('baseline', 'the baseline')}: p {spa['p_consistent']:.2f}."
        )
    trials = int(dsr["trials"])
    weak = (
        f" With only {trials} points, PBO and the rank correlation are weak evidence either "
        "way; add points before reading much into them."
        if trials < FEW_POINTS
        else ""
    )
    rank_text = (
        f", and the points' in-sample and out-of-sample ranks correlate {rho:+.2f}"
        if rho is not None
        else ""
    )
    verdict = carry_over(pbo["pbo"], rho)
    dsr_text = (
        f"The deflated Sharpe ratio ({dsr['dsr']:.2f}) and PBO ({pbo['pbo']:.2f}) answer "
        "different questions, so both hold. The DSR asks whether the best point's "
        f"Sharpe ratio ({dsr['sharpe'] * annual:.2f} annualised) is above the best of "
        f"{trials} tries with a true Sharpe of zero ({dsr['sr0'] * annual:.2f}): it is, "
        "but every point holds much the same names, so most of that Sharpe belongs to "
        "the universe and the period, not to the parameters. PBO asks whether the point "
        "that is best on one half of the dates is good on the other half: in "
        f"{pbo['pbo']:.0%} of the splits it ranked below the median{rank_text}. "
    )
    if dsr["dsr"] >= 0.95 and verdict in _TOGETHER:
        return (
            dsr_text
            + "Together: the family of strategies made money here, and "
            + _TOGETHER[verdict]
            + spa_text
            + weak
        )
    if dsr["dsr"] < 0.95 and verdict == "yes":
        return (
            f"PBO ({pbo['pbo']:.2f}) says the ranking of the points carries over from one "
            f"half of the dates to the other{rank_text}, while the deflated Sharpe ratio "
            f"({dsr['dsr']:.2f}) says the best Sharpe ratio is not clearly above what the "
            f"best of {trials} skill-less tries would show: the points differ consistently, "
            "but not by enough to call the best one skilful." + spa_text + weak
        )
    return weak.strip() or None
