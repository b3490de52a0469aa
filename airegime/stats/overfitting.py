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
    logits = []
    for chosen in itertools.combinations(range(blocks), blocks // 2):
        train = np.concatenate([parts[i] for i in chosen])
        test = np.concatenate([parts[i] for i in range(blocks) if i not in chosen])
        is_perf, oos_perf = sharpe(matrix[train]), sharpe(matrix[test])
        best = int(np.nanargmax(is_perf))
        rank = _stats().rankdata(oos_perf)[best]  # 1 = worst
        omega = rank / (n_trials + 1)
        logits.append(math.log(omega / (1 - omega)))
    logits_arr = np.array(logits)
    return {"pbo": float((logits_arr <= 0).mean()), "logits": logits, "splits": len(logits)}


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
