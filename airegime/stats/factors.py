"""Factor statistics: how much a score says about the returns that follow it.

The measures and their layout follow alphalens (Quantopian's factor tear sheet,
maintained as alphalens-reloaded): information coefficients, mean return by quantile
and the top-minus-bottom spread, rank autocorrelation and quantile turnover. They are
computed here with pandas, numpy and statsmodels rather than by alphalens itself:
alphalens measures forward returns from the factor date's own price (this project's
``same_close``), while a run trades its scores at its fill (the next close or open),
and it would bring IPython, seaborn and empyrical into the install.

Conventions (every function):

- a *score frame* is a DataFrame, one row per rebalance (signal) date, one column per
  ticker, NaN where the name was not scored;
- a *return frame* has the same shape: the total return (adjusted prices) of each name
  from the fill after the signal date over a horizon, as a fraction (0.02 = 2%);
- correlations are cross-sectional (across names on one date), then summarised over
  dates; a date with fewer than ``min_names`` names holding both a score and a return has
  no IC (NaN) and does not count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.prices import PriceData
from ..data.regimes import Period
from .bootstrap import block_indices

#: Fill rule -> (price row the fill uses, trading days from the signal date to the fill).
FILL_OFFSETS = {"same_close": ("close", 0), "next_close": ("close", 1), "next_open": ("open", 1)}


def fill_prices(prices: PriceData, fill: str) -> pd.DataFrame:
    """The adjusted prices a fill rule trades at: opens for ``next_open``, else closes."""
    field_name, _ = FILL_OFFSETS[fill]
    frame = getattr(prices, field_name)
    if frame is None:
        raise ValueError(f"fill rule {fill} needs {field_name} prices, and the data has none")
    return frame


def forward_returns(
    prices: pd.DataFrame, dates: pd.DatetimeIndex, horizon: int, fill: str
) -> pd.DataFrame:
    """Total return of each name from the fill after each signal date over ``horizon`` days.

    ``prices``: adjusted prices at the fill's time of day (closes, or opens for
    ``next_open``) on the run's trading calendar, and nothing after the run's last day.
    For a signal on the calendar's day ``i`` the fill is day ``i + offset`` (0 for
    ``same_close``, 1 for ``next_close`` and ``next_open``) and the return is
    ``P[i + offset + horizon] / P[i + offset] - 1``: it starts where the run's own trade
    starts, so no part of it was known on the signal date. NaN when the window ends
    before ``i + offset + horizon`` or either price is missing. Shape: ``dates`` x tickers.
    """
    if horizon < 1:
        raise ValueError(f"horizon {horizon}: expected a number of trading days, 1 or more")
    _, offset = FILL_OFFSETS[fill]
    values = prices.to_numpy(dtype=float)
    n = len(values)
    rows = prices.index.get_indexer(dates)
    if (rows < 0).any():
        missing = dates[rows < 0][0].date()
        raise ValueError(f"signal date {missing} is not a day of the price calendar")
    out = np.full((len(dates), values.shape[1]), np.nan)
    start, end = rows + offset, rows + offset + horizon
    ok = end < n
    with np.errstate(invalid="ignore", divide="ignore"):
        out[ok] = values[end[ok]] / values[start[ok]] - 1
    return pd.DataFrame(out, index=dates, columns=prices.columns)


def holding_returns(prices: pd.DataFrame, dates: pd.DatetimeIndex, fill: str) -> pd.DataFrame:
    """Return of each name from the fill after each signal date to the fill after the next
    one (the last: to the calendar's last day), the period a run holds what it chose.

    Chained over dates these make a cumulative return without overlap. Shape: ``dates``
    x tickers; NaN where a price is missing.
    """
    _, offset = FILL_OFFSETS[fill]
    values = prices.to_numpy(dtype=float)
    rows = prices.index.get_indexer(dates)
    start = np.minimum(rows + offset, len(values) - 1)
    end = np.append(start[1:], len(values) - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = values[end] / values[start] - 1
    out[end <= start] = np.nan
    return pd.DataFrame(out, index=dates, columns=prices.columns)


def _row_correlation(a: pd.DataFrame, b: pd.DataFrame, min_names: int, ranked: bool) -> pd.Series:
    """Pearson correlation of each row of ``a`` with the same row of ``b`` (of their ranks
    when ``ranked``), over the columns where both are present."""
    b = b.reindex(index=a.index, columns=a.columns)
    both = a.notna() & b.notna()
    x, y = a.where(both), b.where(both)
    if ranked:
        x, y = x.rank(axis=1), y.rank(axis=1)  # average ranks for ties, as scipy
    x = x.sub(x.mean(axis=1), axis=0)
    y = y.sub(y.mean(axis=1), axis=0)
    sxy = (x * y).sum(axis=1)
    sxx, syy = (x * x).sum(axis=1), (y * y).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = sxy / np.sqrt(sxx * syy)
    valid = (both.sum(axis=1) >= min_names) & (sxx > 0) & (syy > 0)
    return r.where(valid).clip(-1.0, 1.0).astype(float)


def rank_ic(scores: pd.DataFrame, returns: pd.DataFrame, min_names: int = 5) -> pd.Series:
    """Spearman rank correlation of score and forward return across names, per date.

    The same as ``scipy.stats.spearmanr`` on each row (average ranks for ties). NaN on
    dates with fewer than ``min_names`` names holding both, or with a constant score or
    return. Index: the score frame's dates.
    """
    return _row_correlation(scores, returns, min_names, ranked=True)


def information_coefficient(
    scores: pd.DataFrame, returns: pd.DataFrame, min_names: int = 5
) -> pd.Series:
    """Pearson correlation of score and forward return across names, per date (see
    :func:`rank_ic` for the NaN rules)."""
    return _row_correlation(scores, returns, min_names, ranked=False)


def newey_west_lags(n: int) -> int:
    """The Newey and West (1994) plug-in lag count, ``floor(4 (n / 100) ** (2/9))``."""
    return math.floor(4 * (n / 100) ** (2 / 9)) if n > 0 else 0


def overlap_lags(horizon: int, spacing: float) -> int:
    """Lags by which forward returns of ``horizon`` days overlap when signals are
    ``spacing`` trading days apart (63-day returns on monthly dates: 2)."""
    return max(0, math.ceil(horizon / max(spacing, 1.0)) - 1)


def mean_test(series: pd.Series, lags: int | None = None) -> dict[str, float]:
    """Mean of a per-date series with its Newey-West (HAC) t-statistic.

    Returns ``n`` (dates with a value), ``mean``, ``std`` (ddof 1), ``ir`` (mean / std),
    ``hit_rate`` (share above zero), ``t`` and ``p`` (two-sided, normal) from an OLS of
    the series on a constant with HAC standard errors (statsmodels, Bartlett kernel,
    ``lags`` lags, default :func:`newey_west_lags`; small-sample correction on), and
    ``lags``. NaN statistics below 3 values or when the series is constant.
    """
    values = pd.Series(series, dtype=float).dropna().to_numpy()
    n = len(values)
    out = {"n": float(n), "mean": np.nan, "std": np.nan, "ir": np.nan, "hit_rate": np.nan}
    out |= {"t": np.nan, "p": np.nan, "lags": np.nan}
    if n == 0:
        return out
    out["mean"] = float(values.mean())
    out["hit_rate"] = float((values > 0).mean())
    if n < 3:
        return out
    std = float(values.std(ddof=1))
    out["std"] = std
    lags = newey_west_lags(n) if lags is None else int(lags)
    out["lags"] = float(lags)
    if std == 0:
        return out
    out["ir"] = out["mean"] / std
    import statsmodels.api as sm  # ~1 s to import: only when a statistic needs it

    fit = sm.OLS(values, np.ones(n)).fit(
        cov_type="HAC", cov_kwds={"maxlags": min(lags, n - 1), "use_correction": True}
    )
    out["t"], out["p"] = float(fit.tvalues[0]), float(fit.pvalues[0])
    return out


def quantiles(scores: pd.DataFrame, q: int = 3) -> pd.DataFrame:
    """Quantile (1 = lowest score ... ``q`` = highest) of each scored name, per date.

    Names are ranked by score on each date (average ranks, so tied names share a
    quantile) and cut into ``q`` groups of as equal a size as the ties allow: quantile
    ``floor(q (rank - 1/2) / n) + 1`` among the ``n`` scored names. NaN where not scored.
    """
    if q < 2:
        raise ValueError(f"quantiles {q}: expected 2 or more")
    ranks = scores.rank(axis=1)
    n = scores.notna().sum(axis=1)
    labels = np.floor(q * (ranks.sub(0.5)).div(n.replace(0, np.nan), axis=0)) + 1
    return labels.clip(upper=q)


def quantile_returns(labels: pd.DataFrame, returns: pd.DataFrame, q: int) -> pd.DataFrame:
    """Equal-weighted mean return of each quantile's names, per date (date x quantile;
    NaN where a quantile is empty or none of its names has a return)."""
    returns = returns.reindex(index=labels.index, columns=labels.columns)
    columns = {}
    for k in range(1, q + 1):
        columns[k] = returns.where(labels == k).mean(axis=1)
    frame = pd.DataFrame(columns, index=labels.index)
    frame.columns.name = "quantile"
    return frame


def spread_interval(
    spread: pd.Series, block: int = 3, draws: int = 2000, seed: int = 0, level: float = 0.95
) -> dict[str, float]:
    """Mean of a per-date series (a top-minus-bottom spread) with a moving-block
    bootstrap interval: resampling ``block`` consecutive dates keeps the overlap of
    forward returns and slow regimes together (:func:`~airegime.stats.bootstrap.block_indices`).

    Returns ``mean``, ``lo``, ``hi`` and ``n``; NaN bounds below ``2 * block`` dates.
    Seeded: the same inputs give the same interval.
    """
    values = pd.Series(spread, dtype=float).dropna().to_numpy()
    n = len(values)
    out = {"mean": float(values.mean()) if n else np.nan, "lo": np.nan, "hi": np.nan}
    out["n"] = float(n)
    if n < 2 * block:
        return out
    idx = block_indices(n, block, draws, np.random.default_rng(seed))
    means = values[idx].mean(axis=1)
    tail = (1 - level) / 2
    out["lo"], out["hi"] = (float(x) for x in np.quantile(means, [tail, 1 - tail]))
    return out


def rank_autocorrelation(scores: pd.DataFrame, min_names: int = 5) -> pd.Series:
    """Spearman correlation of each date's scores with the previous date's, over the
    names scored on both (first date NaN). Near 1: the ranking is stable; a rule whose
    ranking turns over fast trades more for the same information."""
    return _row_correlation(scores, scores.shift(1), min_names, ranked=True)


def top_turnover(labels: pd.DataFrame, q: int) -> pd.Series:
    """Share of the top quantile's names on each date that were not in it on the previous
    date (first date NaN; NaN when the top quantile is empty)."""
    top = labels == q
    previous = top.shift(1, fill_value=False)
    size = top.sum(axis=1)
    new = (top & ~previous).sum(axis=1)
    turnover = (new / size.replace(0, np.nan)).astype(float)
    turnover.iloc[:1] = np.nan
    return turnover


def by_period(series: pd.Series, periods: list[Period]) -> pd.DataFrame:
    """Mean of a per-date series inside each period, with its HAC t-statistic and the
    number of dates (periods with no date are left out). Periods may overlap."""
    rows = []
    for period in periods:
        inside = series[(series.index >= period.start) & (series.index <= period.end)]
        if inside.dropna().empty:
            continue
        stats = mean_test(inside)
        rows.append(
            {
                "period": period.name,
                "start": period.start.date(),
                "end": period.end.date(),
                "dates": int(stats["n"]),
                "mean": stats["mean"],
                "t": stats["t"],
            }
        )
    return pd.DataFrame(rows, columns=["period", "start", "end", "dates", "mean", "t"])


@dataclass
class ScoreStats:
    """Every statistic of one score (see :func:`score_stats`)."""

    name: str
    coverage: pd.DataFrame
    rank_ic: pd.DataFrame
    ic: pd.DataFrame
    summary: pd.DataFrame
    quantile_returns: dict[int, pd.DataFrame]
    spread: pd.DataFrame
    cumulative_spread: pd.Series
    autocorrelation: pd.Series
    turnover: pd.Series
    labels: pd.DataFrame
    quantile_stats: pd.DataFrame


def score_stats(
    name: str,
    scores: pd.DataFrame,
    tradable: pd.DataFrame,
    returns: dict[int, pd.DataFrame],
    holding: pd.DataFrame,
    q: int = 3,
    min_names: int = 5,
    spacing: float = 21.0,
) -> ScoreStats:
    """All of one score's statistics over its dates.

    ``scores``: the score frame; ``tradable``: boolean frame of the same shape (names
    with a price on the signal date); ``returns``: forward-return frames by horizon
    (trading days); ``holding``: :func:`holding_returns`; ``spacing``: median trading
    days between signal dates (sets the HAC lags and bootstrap blocks that cover the
    overlap of long horizons).
    """
    scores = scores.where(tradable)
    scored, universe = scores.notna().sum(axis=1), tradable.sum(axis=1)
    coverage = pd.DataFrame(
        {"scored": scored, "tradable": universe, "coverage": scored / universe.replace(0, np.nan)}
    )
    # a date with fewer than min_names scored names has no quantiles, as it has no IC
    labels = quantiles(scores, q).where(scored >= min_names, axis=0)
    rank_ics, ics, rows, by_q, spreads = {}, {}, [], {}, []
    for horizon, fwd in returns.items():
        rank_ics[horizon] = rank_ic(scores, fwd, min_names)
        ics[horizon] = information_coefficient(scores, fwd, min_names)
        lags_needed = overlap_lags(horizon, spacing)
        for method, series in (("rank_ic", rank_ics[horizon]), ("ic", ics[horizon])):
            n = int(series.notna().sum())
            stats = mean_test(series, max(newey_west_lags(n), lags_needed))
            rows.append({"score": name, "horizon": horizon, "method": method, **stats})
        by_q[horizon] = quantile_returns(labels, fwd, q)
        spread = by_q[horizon][q] - by_q[horizon][1]
        block = max(3, lags_needed + 1)
        spreads.append({"score": name, "horizon": horizon, **spread_interval(spread, block)})
    held = quantile_returns(labels, holding, q)
    chained = (held[q] - held[1]).fillna(0.0)
    return ScoreStats(
        name=name,
        coverage=coverage,
        rank_ic=pd.DataFrame(rank_ics),
        ic=pd.DataFrame(ics),
        summary=pd.DataFrame(rows),
        quantile_returns=by_q,
        spread=pd.DataFrame(spreads),
        cumulative_spread=(1 + chained).cumprod() - 1,
        autocorrelation=rank_autocorrelation(scores, min_names),
        turnover=top_turnover(labels, q),
        labels=labels,
        quantile_stats=quantile_summary(scores, labels, q),
    )


def quantile_summary(scores: pd.DataFrame, labels: pd.DataFrame, q: int) -> pd.DataFrame:
    """Per quantile: the score's min, mean and max over all dates, and the mean number of
    names in it per date (alphalens' quantile statistics). Index: quantile 1..q."""
    rows = []
    dates = max(len(labels), 1)
    for k in range(1, q + 1):
        values = scores.where(labels == k).stack().dropna()
        rows.append(
            {
                "quantile": k,
                "min": values.min() if len(values) else np.nan,
                "mean": values.mean() if len(values) else np.nan,
                "max": values.max() if len(values) else np.nan,
                "names_per_date": len(values) / dates,
            }
        )
    return pd.DataFrame(rows).set_index("quantile")


#: Fewer dates with an IC than this and a score gets no verdict of either kind.
MIN_DATES = 12


def holm(pvalues: pd.Series) -> pd.Series:
    """Holm-adjusted p-values (statsmodels ``multipletests``, method ``holm``): the
    family-wise error rate over every p-value given, NaN ones left out and kept NaN."""
    from statsmodels.stats.multitest import multipletests

    p = pd.Series(pvalues, dtype=float)
    out = pd.Series(np.nan, index=p.index)
    present = p.dropna()
    if not present.empty:
        out[present.index] = multipletests(present.to_numpy(), method="holm")[1]
    return out


def verdict(
    stats: dict[str, float],
    adjusted_p: float,
    tests: int,
    prefers_low: bool = False,
    spread: dict[str, float] | None = None,
    horizon: int = 21,
    q: int = 3,
    coverage: float | None = None,
    min_names: int = 5,
) -> str:
    """One line a sceptic can check: what the rank IC says about a score, with its numbers.

    ``stats``: :func:`mean_test` of the score's rank IC at ``horizon``; ``adjusted_p``: its
    p-value after Holm over the ``tests`` scores judged together; ``prefers_low``: the rule
    favours low values (a China share), so it needs a negative IC. "Evidence" means an
    adjusted p below 0.05; anything else is "no evidence", whatever the sign.
    """
    n = int(stats.get("n") or 0)
    if n < MIN_DATES:
        return (
            f"too few dates to judge: {n} date(s) with at least {min_names} names scored "
            f"and a {horizon}-day return (need {MIN_DATES})"
        )
    if math.isnan(stats.get("t", np.nan)):
        return f"no test possible: the rank IC is {stats['mean']:+.3f} on every one of {n} dates"
    facts = f"mean rank IC {stats['mean']:+.3f}, t {stats['t']:.1f} (HAC), {n} dates"
    holm_text = f"Holm p {adjusted_p:.2f} over {tests} score{'s' if tests != 1 else ''}"
    if not adjusted_p < 0.05:
        head = "no evidence of information"
    elif (stats["mean"] < 0) == prefers_low:
        head = "evidence of information in the direction the rule uses"
    else:
        head = "evidence of information against the direction the rule uses"
    text = f"{head}: {facts}, {holm_text}"
    if spread and not math.isnan(spread.get("lo", np.nan)):
        name = {3: "tercile", 4: "quartile", 5: "quintile", 10: "decile"}.get(q, "quantile")
        text += (
            f"; top-minus-bottom {name} {spread['mean']:+.1%} per {horizon} days "
            f"[{spread['lo']:+.1%}, {spread['hi']:+.1%}]"
        )
    if coverage is not None and coverage < 0.9:
        text += f"; scores {coverage:.0%} of tradable names on average"
    return text


@dataclass
class FactorReport:
    """Every table of a factor tear sheet; the page and CSVs are written from it.

    ``stats`` holds each score's :class:`ScoreStats`; the frames below are the long tables
    written as CSV (:meth:`tables`). Returns are fractions, horizons trading days.
    """

    name: str
    strategy: str
    fill: str
    dates: pd.DatetimeIndex
    horizons: tuple[int, ...]
    horizon: int
    quantiles: int
    min_names: int
    stats: dict[str, ScoreStats]
    summary: pd.DataFrame
    verdicts: pd.DataFrame
    spread: pd.DataFrame
    regimes: pd.DataFrame
    groups: pd.DataFrame
    scores: pd.DataFrame
    forward: pd.DataFrame
    prefers_low: frozenset[str] = frozenset()
    notes: list[str] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    directory: Path | None = None
    page: Path | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """The CSV files of the factor folder by file name (long format, one row each)."""

        def long(attr: str, value: str) -> pd.DataFrame:
            parts = []
            for name, s in self.stats.items():
                frame = getattr(s, attr).rename_axis(index="date", columns="horizon")
                parts.append(frame.stack().rename(value).reset_index().assign(score=name))
            return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

        ic = long("rank_ic", "rank_ic")
        if not ic.empty:
            ic["ic"] = long("ic", "ic")["ic"].to_numpy()
            ic = ic[["date", "score", "horizon", "rank_ic", "ic"]]
        rows = []
        for name, s in self.stats.items():
            for horizon, frame in s.quantile_returns.items():
                for k in frame.columns:
                    values = frame[k].dropna()
                    rows.append(
                        {
                            "score": name,
                            "horizon": horizon,
                            "quantile": k,
                            "mean_return": values.mean() if len(values) else np.nan,
                            "dates": len(values),
                        }
                    )
        coverage = (
            pd.concat(
                [
                    s.coverage.rename_axis("date").reset_index().assign(score=n)
                    for n, s in self.stats.items()
                ],
                ignore_index=True,
            )
            if self.stats
            else pd.DataFrame()
        )
        turnover = (
            pd.concat(
                [
                    pd.DataFrame(
                        {
                            "date": s.turnover.index,
                            "score": n,
                            "rank_autocorrelation": s.autocorrelation.to_numpy(),
                            "top_turnover": s.turnover.to_numpy(),
                        }
                    )
                    for n, s in self.stats.items()
                ],
                ignore_index=True,
            )
            if self.stats
            else pd.DataFrame()
        )
        cumulative = pd.DataFrame({n: s.cumulative_spread for n, s in self.stats.items()})
        return {
            "verdicts.csv": self.verdicts,
            "summary.csv": self.summary,
            "ic.csv": ic,
            "coverage.csv": coverage,
            "quantile_returns.csv": pd.DataFrame(rows),
            "spread.csv": self.spread,
            "cumulative_spread.csv": cumulative.rename_axis("date").reset_index(),
            "turnover.csv": turnover,
            "regimes.csv": self.regimes,
            "groups.csv": self.groups,
            "scores.csv": self.scores,
            "forward_returns.csv": self.forward,
        }


def analyse(
    scores: dict[str, pd.DataFrame],
    tradable: pd.DataFrame,
    prices: pd.DataFrame,
    fill: str,
    horizons: tuple[int, ...] = (1, 5, 21, 63),
    horizon: int = 21,
    q: int = 3,
    min_names: int = 5,
    periods: list[Period] | None = None,
    groups: dict[str, str] | None = None,
    prefers_low: frozenset[str] = frozenset(),
    group_min_names: int = 3,
    name: str = "",
    strategy: str = "",
) -> FactorReport:
    """Every score's statistics, the verdicts (rank IC at ``horizon``, Holm over the scores
    judged) and the tables per regime period and per group.

    ``scores``: score frames by name (signal dates x tickers); ``tradable``: boolean frame
    on the same dates (names with a price on the signal date); ``prices``: the run's
    adjusted prices at the fill's time of day on its trading calendar, ending on its last
    day (see :func:`forward_returns`); ``groups``: ticker -> group (``data/universes.yaml``);
    ``prefers_low``: scores the rule favours low (China shares).
    """
    if horizon not in horizons:
        raise ValueError(f"horizon {horizon}: not among the horizons {list(horizons)}")
    dates = tradable.index
    tickers = list(tradable.columns)
    prices = prices[tickers]
    returns = {h: forward_returns(prices, dates, h, fill) for h in horizons}
    holding = holding_returns(prices, dates, fill)
    positions = prices.index.get_indexer(dates)
    spacing = float(np.median(np.diff(positions))) if len(dates) > 1 else 21.0
    stats = {
        n: score_stats(
            n,
            frame.reindex(index=dates, columns=tickers),
            tradable,
            returns,
            holding,
            q,
            min_names,
            spacing,
        )
        for n, frame in scores.items()
    }
    summary = pd.concat([s.summary for s in stats.values()], ignore_index=True)
    spread = pd.concat([s.spread for s in stats.values()], ignore_index=True)
    main = summary[(summary["horizon"] == horizon) & (summary["method"] == "rank_ic")]
    main = main.set_index("score")
    judged = main["p"].where(main["n"] >= MIN_DATES)
    adjusted = holm(judged)
    tests = int(judged.notna().sum())
    rows = []
    for n, s in stats.items():
        row = main.loc[n]
        sp = spread[(spread["score"] == n) & (spread["horizon"] == horizon)].iloc[0].to_dict()
        cover = float(s.coverage["coverage"].mean())
        rows.append(
            {
                "score": n,
                "rule_favours": "low" if n in prefers_low else "high",
                "dates": int(row["n"]),
                "mean_rank_ic": row["mean"],
                "t_hac": row["t"],
                "p": row["p"],
                "p_holm": adjusted[n],
                "hit_rate": row["hit_rate"],
                "coverage": cover,
                "spread": sp["mean"],
                "spread_lo": sp["lo"],
                "spread_hi": sp["hi"],
                "verdict": verdict(
                    row.to_dict(),
                    adjusted[n],
                    tests,
                    n in prefers_low,
                    sp,
                    horizon,
                    q,
                    cover,
                    min_names,
                ),
            }
        )
    regime_rows = [
        by_period(s.rank_ic[horizon], list(periods or [])).assign(score=n) for n, s in stats.items()
    ]
    group_rows = []
    members: dict[str, list[str]] = {}
    for ticker in tickers:
        if groups and ticker in groups:
            members.setdefault(groups[ticker], []).append(ticker)
    for n in stats:
        frame = scores[n].reindex(index=dates, columns=tickers).where(tradable)
        for group, names in members.items():
            if len(names) < group_min_names:
                continue
            ic = rank_ic(frame[names], returns[horizon][names], group_min_names)
            test = mean_test(ic)
            group_rows.append(
                {
                    "score": n,
                    "group": group,
                    "names": len(names),
                    "dates": int(test["n"]),
                    "mean": test["mean"],
                    "t": test["t"],
                }
            )
    long_scores = (
        pd.concat({n: f.reindex(index=dates, columns=tickers) for n, f in scores.items()}, axis=1)
        if scores
        else pd.DataFrame(index=dates)
    )
    score_table = (
        long_scores.stack(level=1, future_stack=True).rename_axis(["date", "ticker"]).reset_index()
        if scores
        else pd.DataFrame()
    )
    if not score_table.empty:
        flags = tradable.stack().rename("tradable").rename_axis(["date", "ticker"]).reset_index()
        score_table = score_table.merge(flags, on=["date", "ticker"])
    forward = (
        pd.concat({f"return_{h}d": r for h, r in returns.items()}, axis=1)
        .stack(level=1, future_stack=True)
        .rename_axis(["date", "ticker"])
        .reset_index()
    )
    columns = ["score", "period", "start", "end", "dates", "mean", "t"]
    return FactorReport(
        name=name,
        strategy=strategy,
        fill=fill,
        dates=dates,
        horizons=tuple(horizons),
        horizon=horizon,
        quantiles=q,
        min_names=min_names,
        stats=stats,
        summary=summary,
        verdicts=pd.DataFrame(rows),
        spread=spread,
        regimes=pd.concat(regime_rows, ignore_index=True)[columns]
        if regime_rows
        else pd.DataFrame(columns=columns),
        groups=pd.DataFrame(group_rows, columns=["score", "group", "names", "dates", "mean", "t"]),
        scores=score_table,
        forward=forward,
        prefers_low=frozenset(prefers_low),
    )
