"""The point-in-time fundamentals panel: every company's metrics after each of its filings.

A company's metrics change only when it files, so the panel computes them once per
*state* (a company and one of its filing dates: the facts filed up to that date)
and a read on date D picks, for each company, the last state filed on or before
``D - lag_days``. Everything is built with column operations over all companies at
once (numpy and pandas), never per date or per filing in Python:

1. **versions**: for each period (company, concept, start, end) the value in force
   after each filing that reports it: the latest filing of the best-ranked tag
   (:data:`~airegime.data.fundamentals.CONCEPTS`) wins, so a restatement counts from
   its own filing date;
2. **latest known period** of a kind (e.g. the newest balance sheet, the newest fiscal
   year) per state: a running maximum over periods ordered by their first filing;
3. **TTM flows**: the last fiscal year plus the year-to-date period after it minus the
   same period a year earlier, matched with the same +-10-day tolerances as
   :func:`~airegime.data.fundamentals.ttm`;
4. **fiscal-year histories** (revenue growth, FCF stability, capex > OCF breach counts
   over the last 1..15 years), evaluated at the states that file a fiscal-year fact and
   carried forward.

Its reads equal :meth:`FundamentalsStore.metrics_by_replay` and
:meth:`FundamentalsStore.annual_history_by_replay`, the per-filing replay kept as the
readable specification (``tests/test_panel.py`` holds them equal on every rebalance
date of every config). Dates are day ordinals (``Timestamp.toordinal``) internally.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .concepts import (
    AGE_COLUMNS,
    ANNUAL_DAYS,
    CONCEPTS,
    DEBT_CONCEPTS,
    DEBT_MAX_AGE_DAYS,
    FLOWS,
    MARGIN_FLOWS,
    METRICS,
    NEAR_DAYS,
)

_BITS = 20  # day ordinals are below 2**20 (dates before the year 2871)
_MASK = (1 << _BITS) - 1
_EPOCH = pd.Timestamp("1970-01-01").toordinal()
_CONCEPT_CODE = {c: i for i, c in enumerate(CONCEPTS)}
_BUCKET = 32  # days per bucket when matching periods by start date (> 2 x NEAR_DAYS)
#: Fiscal years kept per state for breach counts (CapexParams.lookback_years <= 15).
MAX_YEARS = 15
#: Columns of a state that do not depend on the price or the read date.
COMPANY_COLUMNS = [
    c
    for c in METRICS
    if c
    not in (
        "market_cap",
        "pe_ttm",
        "ps_ttm",
        "ev_to_sales",
        *AGE_COLUMNS,
        "period_end",
        "last_filed",
    )
] + ["_ttm_end", "_balance_end", "_shares_end"]
ANNUAL_FLOWS = FLOWS  # the fiscal-year history's columns (capex as filed; abs() on read)


def ordinals(dates: pd.Series) -> np.ndarray:
    """Day ordinals of a datetime column; 0 where the date is missing (an instant's start)."""
    days = dates.to_numpy(dtype="datetime64[D]")
    missing = np.isnat(days)
    out = days.astype(np.int64) + _EPOCH
    out[missing] = 0
    return out


def _stable_order(keys: tuple[np.ndarray, ...], seq: np.ndarray) -> np.ndarray:
    """``np.lexsort((seq, *reversed(keys)))``: rows sorted by ``keys`` (first the most
    significant), ties in ``seq`` order (``seq``: 0..n-1). When the keys are non-negative
    and fit in 62 bits together, one stable sort of the packed key gives the same order
    (6x faster than lexsort for 769,000 facts)."""
    bits = [int(k.max()).bit_length() if len(k) else 0 for k in keys]
    if not len(seq) or sum(bits) > 62 or any(int(k.min()) < 0 for k in keys):
        return np.lexsort((seq, *reversed(keys)))
    packed = np.zeros(len(seq), dtype=np.int64)
    for key, width in zip(keys, bits, strict=True):
        packed = (packed << width) | key
    return np.argsort(packed, kind="stable")


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``fundamentals._ratio`` on arrays: a / b where b is non-zero and both are finite."""
    ok = (b != 0) & np.isfinite(b) & np.isfinite(a)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ok, a / np.where(ok, b, 1.0), np.nan)


def _expand(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ranges [lo, hi): (the index of the range, the position) of every element."""
    counts = np.maximum(hi - lo, 0)
    owner = np.repeat(np.arange(len(lo)), counts)
    starts = np.repeat(lo - np.cumsum(counts) + counts, counts)
    return owner, starts + np.arange(counts.sum())


@dataclass
class _Periods:
    """One row per period (company, concept, start, end) and its versions over states."""

    tid: np.ndarray
    concept: np.ndarray
    start: np.ndarray  # 0 for an instant
    end: np.ndarray
    first: np.ndarray  # the first state that knows the period
    v_key: np.ndarray  # versions: period * n_states + state, sorted
    v_value: np.ndarray
    n_states: int

    def value_at(self, pid: np.ndarray, state: np.ndarray) -> np.ndarray:
        """The value of period ``pid`` in force at ``state`` (NaN if unknown or pid < 0)."""
        pid = np.asarray(pid, dtype=np.int64)
        state = np.asarray(state, dtype=np.int64)
        key = np.where(pid >= 0, pid, 0) * self.n_states + state
        pos = np.searchsorted(self.v_key, key, side="right") - 1
        ok = (pid >= 0) & (pos >= 0)
        pos = np.where(ok, pos, 0)
        ok &= self.v_key[pos] // self.n_states == pid
        return np.where(ok, self.v_value[pos], np.nan)


class FundamentalsPanel:
    """Metrics of every company after each of its filings, read as of any date.

    ``facts`` is the store's facts table (split basis and the 50x rule applied, sorted
    by filing date); ``lag_days`` delays each filing as in the store.
    """

    def __init__(self, facts: pd.DataFrame, lag_days: int = 0) -> None:
        self.lag_days = lag_days
        self.tickers = sorted(facts["ticker"].unique())
        self._tid = {t: i for i, t in enumerate(self.tickers)}
        tid = pd.Categorical(facts["ticker"], categories=self.tickers).codes.astype(np.int64)
        filed = ordinals(facts["filed"])
        state_key = np.unique((tid << _BITS) | filed)
        self.state_key = state_key
        self.state_tid = state_key >> _BITS
        self.state_filed = state_key & _MASK
        n = len(state_key)
        state = np.searchsorted(state_key, (tid << _BITS) | filed)
        self._periods = self._build_periods(facts, tid, state, n)
        self.values = np.full((n, len(COMPANY_COLUMNS)), np.nan)
        self._column = {c: i for i, c in enumerate(COMPANY_COLUMNS)}
        self._compute()

    # --- construction ---------------------------------------------------------------

    @staticmethod
    def _build_periods(
        facts: pd.DataFrame, tid: np.ndarray, state: np.ndarray, n_states: int
    ) -> _Periods:
        concept = _concept_codes(facts["concept"])
        rank = facts["rank"].to_numpy(dtype=np.int64)
        start = ordinals(facts["start"])
        end = ordinals(facts["end"])
        value = facts["value"].to_numpy(dtype=float)
        seq = np.arange(len(facts))  # filing order (the facts are sorted by filing date)
        order = _stable_order((tid, concept, start, end), seq)
        tid, concept, start, end = tid[order], concept[order], start[order], end[order]
        rank, value, state = rank[order], value[order], state[order]
        new = np.ones(len(order), dtype=bool)
        new[1:] = (
            (tid[1:] != tid[:-1])
            | (concept[1:] != concept[:-1])
            | (start[1:] != start[:-1])
            | (end[1:] != end[:-1])
        )
        pid = np.cumsum(new) - 1
        # Latest filing per tag, then the best-ranked tag: once a better tag has a value,
        # later filings of worse tags no longer count.
        best = pd.Series(rank).groupby(pid).cummin().to_numpy()
        resolved = pd.Series(np.where(rank == best, value, np.nan)).groupby(pid).ffill()
        last = np.ones(len(order), dtype=bool)
        last[:-1] = (pid[1:] != pid[:-1]) | (state[1:] != state[:-1])
        heads = np.flatnonzero(new)
        return _Periods(
            tid=tid[heads],
            concept=concept[heads],
            start=start[heads],
            end=end[heads],
            first=state[heads],
            v_key=pid[last] * n_states + state[last],
            v_value=resolved.to_numpy()[last],
            n_states=n_states,
        )

    def _select(self, concept: str, kind: str) -> np.ndarray:
        """Periods of ``concept``: ``instant``, ``duration``, ``annual`` or ``any``."""
        p = self._periods
        mask = p.concept == _CONCEPT_CODE[concept]
        if kind == "instant":
            mask &= p.start == 0
        elif kind == "duration":
            mask &= p.start != 0
        elif kind == "annual":
            days = p.end - p.start
            mask &= (p.start != 0) & (days >= ANNUAL_DAYS[0]) & (days <= ANNUAL_DAYS[1])
        return np.flatnonzero(mask)

    def _latest(self, sel: np.ndarray) -> np.ndarray:
        """Per state, the known period of ``sel`` with the largest (end, start); -1 if none."""
        n = len(self.state_key)
        out = np.full(n, -1, dtype=np.int64)
        if not len(sel):
            return out
        p = self._periods
        key = (p.end[sel] << _BITS) | p.start[sel]
        order = np.lexsort((key, p.first[sel]))
        sel, key = sel[order], key[order]
        first, tid = p.first[sel], p.tid[sel]
        running = pd.Series(key).groupby(tid).cummax().to_numpy()
        # the period holding the running maximum: look (company, key) up among sel
        lookup = (tid << (2 * _BITS)) | key
        by_key = np.argsort(lookup, kind="stable")
        hit = by_key[np.searchsorted(lookup[by_key], (tid << (2 * _BITS)) | running)]
        pos = np.searchsorted(first, np.arange(n), side="right") - 1
        ok = pos >= 0
        pos = np.where(ok, pos, 0)
        ok &= tid[pos] == self.state_tid
        out[ok] = sel[hit[pos[ok]]]
        return out

    def _latest_until(self, sel: np.ndarray, bound: np.ndarray) -> np.ndarray:
        """Per state, the known instant of ``sel`` with the largest end <= ``bound``
        (NaN bound: none); -1 if none."""
        n = len(self.state_key)
        out = np.full(n, -1, dtype=np.int64)
        p = self._periods
        todo = np.flatnonzero(np.isfinite(bound))
        if not len(sel) or not len(todo):
            return out
        key = (p.tid[sel] << _BITS) | p.end[sel]
        order = np.argsort(key, kind="stable")
        sel, key = sel[order], key[order]
        tid = self.state_tid[todo]
        pos = np.searchsorted(key, (tid << _BITS) | bound[todo].astype(np.int64), "right") - 1
        while len(todo):
            valid = pos >= 0
            valid[valid] &= p.tid[sel[pos[valid]]] == tid[valid]
            known = valid.copy()
            known[valid] = p.first[sel[pos[valid]]] <= todo[valid]
            out[todo[known]] = sel[pos[known]]
            again = valid & ~known
            todo, tid, pos = todo[again], tid[again], pos[again] - 1
        return out

    def _instant_at(self, concept: str, end: np.ndarray) -> np.ndarray:
        """Per state, the value of ``concept``'s instant dated ``end`` (NaN: none known)."""
        p = self._periods
        sel = self._select(concept, "instant")
        key = (p.tid[sel] << _BITS) | p.end[sel]
        order = np.argsort(key, kind="stable")
        sel, key = sel[order], key[order]
        states = np.arange(len(self.state_key))
        has = np.isfinite(end)
        want = (self.state_tid << _BITS) | np.where(has, end, 0).astype(np.int64)
        pos = np.searchsorted(key, want)
        ok = has & (pos < len(key))
        pos = np.where(ok, pos, 0)
        ok &= key[pos] == want if len(key) else False
        pid = np.where(ok, sel[pos] if len(sel) else -1, -1)
        return p.value_at(pid, states)

    def _end(self, pid: np.ndarray) -> np.ndarray:
        return np.where(pid >= 0, self._periods.end[np.maximum(pid, 0)], np.nan)

    def _ttm(self, concept: str) -> tuple[np.ndarray, np.ndarray]:
        """``fundamentals.ttm`` of ``concept`` at every state: (value, period end or NaN)."""
        p = self._periods
        n = len(self.state_key)
        states = np.arange(n)
        fy = self._latest(self._select(concept, "annual"))
        has_fy = fy >= 0
        value = p.value_at(fy, states)
        as_of = self._end(fy)
        fys = np.unique(fy[has_fy])
        durations = self._select(concept, "duration")
        if not len(fys) or not len(durations):
            return value, as_of
        fy_end, fy_start, fy_tid = p.end[fys], p.start[fys], p.tid[fys]
        # periods by (company, start bucket) for the matches by start date
        bkey = (p.tid[durations] << _BITS) | (p.start[durations] // _BUCKET)
        order = np.argsort(bkey, kind="stable")
        durations, bkey = durations[order], bkey[order]

        def starting_near(day: np.ndarray, tids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            """(row, period) pairs: durations of the row's company starting within
            NEAR_DAYS of ``day`` (buckets wider than the window: two per row)."""
            rows, found = [], []
            low = (day - NEAR_DAYS) // _BUCKET
            high = (day + NEAR_DAYS) // _BUCKET
            for bucket, use in ((low, np.ones(len(day), bool)), (high, high != low)):
                b = (tids << _BITS) | bucket
                lo = np.searchsorted(bkey, b, "left")
                hi = np.where(use, np.searchsorted(bkey, b, "right"), lo)
                owner, at = _expand(lo, hi)
                match = np.abs(p.start[durations[at]] - day[owner]) <= NEAR_DAYS
                rows.append(owner[match])
                found.append(durations[at[match]])
            return np.concatenate(rows), np.concatenate(found)

        # year-to-date candidates: starting the day after the fiscal year, ending after it
        f_idx, cand = starting_near(fy_end + 1, fy_tid)
        keep = p.end[cand] > fy_end[f_idx]
        f_idx, cand = f_idx[keep], cand[keep]
        # the same period a year earlier: starting with the fiscal year, ending ~365 days
        # before the candidate
        g_idx, prior_start = starting_near(fy_start, fy_tid)
        order = np.argsort(g_idx, kind="stable")
        g_idx, prior_start = g_idx[order], prior_start[order]
        lo = np.searchsorted(g_idx, f_idx, "left")
        hi = np.searchsorted(g_idx, f_idx, "right")
        owner, at = _expand(lo, hi)
        c_idx, prior = owner, prior_start[at]
        match = np.abs(p.end[prior] - (p.end[cand[c_idx]] - 365)) <= NEAR_DAYS
        c_idx, prior = c_idx[match], prior[match]
        t_fy, t_cand = f_idx[c_idx], cand[c_idx]
        if not len(t_fy):
            return value, as_of
        # every state whose fiscal year has a (candidate, prior) pair, with each pair
        order = np.argsort(t_fy, kind="stable")
        t_fy, t_cand, t_prior = t_fy[order], t_cand[order], prior[order]
        s_fy = np.searchsorted(fys, fy[has_fy])
        s_state = states[has_fy]
        lo = np.searchsorted(t_fy, s_fy, "left")
        hi = np.searchsorted(t_fy, s_fy, "right")
        owner, at = _expand(lo, hi)
        st, cd, pr = s_state[owner], t_cand[at], t_prior[at]
        known = (p.first[cd] <= st) & (p.first[pr] <= st)
        st, cd, pr = st[known], cd[known], pr[known]
        if not len(st):
            return value, as_of
        # per state: the candidate with the latest end (then earliest start) that has a
        # prior, and its prior with the largest (end, start)
        order = np.lexsort((-p.start[pr], -p.end[pr], p.start[cd], -p.end[cd], st))
        st, cd, pr = st[order], cd[order], pr[order]
        head = np.ones(len(st), dtype=bool)
        head[1:] = st[1:] != st[:-1]
        st, cd, pr = st[head], cd[head], pr[head]
        value[st] = value[st] + p.value_at(cd, st) - p.value_at(pr, st)
        as_of[st] = p.end[cd]
        return value, as_of

    def _total_debt(self, bound: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """``fundamentals.debt_instant`` at every state (instants up to ``bound`` if
        given): (total debt, its instant's date ordinal), both NaN where none is tagged."""
        p = self._periods
        states = np.arange(len(self.state_key))
        if bound is None:
            total = self._latest(self._select("long_term_debt", "instant"))
            noncurrent = self._latest(self._select("long_term_debt_noncurrent", "instant"))
        else:
            total = self._latest_until(self._select("long_term_debt", "instant"), bound)
            noncurrent = self._latest_until(
                self._select("long_term_debt_noncurrent", "instant"), bound
            )
        t_end, n_end = self._end(total), self._end(noncurrent)
        current = self._instant_at("debt_current", n_end)
        use_total = (total >= 0) & ((noncurrent < 0) | (t_end >= n_end))
        from_noncurrent = p.value_at(noncurrent, states) + np.nan_to_num(current, nan=0.0)
        # a LongTermDebt of 0 does not override non-zero debt tagged for the same date
        t_value = p.value_at(total, states)
        same_noncurrent = self._instant_at("long_term_debt_noncurrent", t_end)
        same_current = np.nan_to_num(self._instant_at("debt_current", t_end), nan=0.0)
        other = (np.nan_to_num(same_noncurrent, nan=0.0) != 0) | (same_current != 0)
        t_value = np.where((t_value == 0) & other, same_noncurrent + same_current, t_value)
        value = np.where(use_total, t_value, from_noncurrent)
        return value, np.where(use_total, t_end, n_end)

    def _compute(self) -> None:
        p = self._periods
        n = len(self.state_key)
        states = np.arange(n)
        out: dict[str, np.ndarray] = {}
        flows = {c: self._ttm(c) for c in (*FLOWS, *MARGIN_FLOWS)}
        ends = np.vstack([flows[c][1] for c in FLOWS])
        with np.errstate(all="ignore"):
            newest = np.where(np.isfinite(ends), ends, -1).max(axis=0)
            period_end = np.where(np.isfinite(ends).any(axis=0), newest, np.nan)
        for c, (value, as_of) in flows.items():
            out[f"{c}_ttm"] = np.where(as_of == period_end, value, np.nan)
        capex_abs = np.abs(out["capex_ttm"])
        out["fcf_ttm"] = out["operating_cash_flow_ttm"] - capex_abs
        # the balance sheet: the latest date with cash, cash + short-term or total assets
        latest = {
            c: self._latest(self._select(c, "instant"))
            for c in ("cash", "cash_and_sti", "total_assets", "equity", "shares_outstanding")
        }
        bs_ends = np.vstack(
            [self._end(latest[c]) for c in ("cash", "cash_and_sti", "total_assets")]
        )
        has_bs = np.isfinite(bs_ends).any(axis=0)
        newest = np.where(np.isfinite(bs_ends), bs_ends, -1).max(axis=0)
        balance_end = np.where(has_bs, newest, np.nan)
        cash = self._instant_at("cash", balance_end)
        combined = self._instant_at("cash_and_sti", balance_end)
        sti = self._instant_at("short_term_investments", balance_end)
        liquid = np.where(np.isfinite(combined), combined, cash + np.nan_to_num(sti, nan=0.0))
        out["cash"] = cash
        out["short_term_investments"] = np.where(np.isfinite(cash), liquid - cash, liquid)
        lti = self._instant_at("long_term_investments", balance_end)
        out["long_term_investments"] = np.where(has_bs, np.nan_to_num(lti, nan=0.0), np.nan)
        out["equity"] = p.value_at(latest["equity"], states)
        out["total_assets"] = p.value_at(latest["total_assets"], states)
        debt, debt_end = self._total_debt(None)
        with np.errstate(invalid="ignore"):
            fresh = debt_end >= balance_end - DEBT_MAX_AGE_DAYS  # False where either is NaN
        out["total_debt"] = np.where(fresh, debt, np.nan)
        diluted = self._latest(self._select("diluted_shares", "any"))
        out["diluted_shares"] = p.value_at(diluted, states)
        out["shares_outstanding"] = p.value_at(latest["shares_outstanding"], states)
        shares_end = self._end(latest["shares_outstanding"])
        shares_end = np.where(np.isfinite(shares_end), shares_end, self._end(diluted))
        equity = out["equity"]
        with np.errstate(invalid="ignore"):
            out["debt_to_equity"] = np.where(equity > 0, _ratio(out["total_debt"], equity), np.nan)
        # never tagged debt: none; tagged but stale or unknown: unknown net cash
        tagged = np.zeros(n, dtype=bool)
        for concept in DEBT_CONCEPTS:
            tagged |= self._latest(self._select(concept, "instant")) >= 0
        out["net_cash"] = liquid - np.where(tagged, out["total_debt"], 0.0)
        out["net_cash_to_assets"] = _ratio(out["net_cash"], out["total_assets"])
        revenue = out["revenue_ttm"]
        out["fcf_margin"] = _ratio(out["fcf_ttm"], revenue)
        out["net_margin"] = _ratio(out["net_income_ttm"], revenue)
        out["operating_margin"] = _ratio(out["operating_income_ttm"], revenue)
        out["gross_margin"] = _ratio(out["gross_profit_ttm"], revenue)
        out["rd_intensity"] = _ratio(out["rd_expense_ttm"], revenue)
        out["capex_to_ocf"] = _ratio(capex_abs, out["operating_cash_flow_ttm"])
        year_ago, year_ago_end = self._total_debt(period_end - 365)
        with np.errstate(invalid="ignore"):
            fresh = year_ago_end >= period_end - 365 - DEBT_MAX_AGE_DAYS
            year_ago = np.where(fresh, year_ago, np.nan)
            growth = np.where(year_ago > 0, _ratio(out["total_debt"], year_ago) - 1, np.nan)
        out["debt_growth"] = np.where(np.isfinite(period_end), growth, np.nan)
        out.update(self._annual_metrics())
        out["_ttm_end"] = period_end
        out["_balance_end"] = balance_end
        out["_shares_end"] = shares_end
        for column, values in out.items():
            self.values[:, self._column[column]] = values

    def _annual_metrics(self) -> dict[str, np.ndarray]:
        """Revenue growth, FCF stability, capex > OCF years and the fiscal-year grid."""
        p = self._periods
        n = len(self.state_key)
        annual = np.concatenate([self._select(c, "annual") for c in ANNUAL_FLOWS])
        # states that file a fiscal-year fact: the histories change only there
        v_pid, v_state = p.v_key // n, p.v_key % n
        files_annual = np.zeros(n, dtype=bool)
        files_annual[v_state[np.isin(v_pid, annual)]] = True
        anchors = np.flatnonzero(files_annual)
        # each anchor state x each fiscal-year period of its company known by then
        a_order = np.argsort(p.tid[annual], kind="stable")
        annual = annual[a_order]
        a_tid = p.tid[annual]
        lo = np.searchsorted(a_tid, self.state_tid[anchors], "left")
        hi = np.searchsorted(a_tid, self.state_tid[anchors], "right")
        owner, at = _expand(lo, hi)
        st, pid = anchors[owner], annual[at]
        known = p.first[pid] <= st
        st, pid = st[known], pid[known]
        grid = pd.DataFrame(
            {
                "state": st,
                "concept": p.concept[pid],
                "end": p.end[pid],
                "start": p.start[pid],
                "value": p.value_at(pid, st),
            }
        )
        # one value per fiscal year end: the period with the latest start
        grid = grid.sort_values(["state", "concept", "end", "start"], kind="stable")
        grid = grid.drop_duplicates(["state", "concept", "end"], keep="last")
        wide = (
            grid.set_index(["state", "end", "concept"])["value"]
            .unstack("concept")
            .reindex(columns=[_CONCEPT_CODE[c] for c in ANNUAL_FLOWS])
        )
        wide.columns = list(ANNUAL_FLOWS)
        self._annual = wide
        a_states = wide.index.get_level_values("state").to_numpy()
        self._annual_states = np.unique(a_states)
        self._annual_bounds = (
            np.searchsorted(a_states, self._annual_states, "left"),
            np.searchsorted(a_states, self._annual_states, "right"),
        )
        # carry each anchor's figures forward to the company's later states
        anchor_of = np.full(n, -1, dtype=np.int64)
        anchor_of[anchors] = anchors
        anchor_of = pd.Series(anchor_of).where(anchor_of >= 0).groupby(self.state_tid).ffill()
        anchor_of = anchor_of.fillna(-1).to_numpy(dtype=np.int64)
        self._anchor_of = anchor_of

        out = {}
        revenue = wide["revenue"].dropna()
        r_state = revenue.index.get_level_values("state").to_numpy()
        r_values = revenue.to_numpy()
        last = np.ones(len(r_state), dtype=bool)
        last[:-1] = r_state[1:] != r_state[:-1]
        prev_ok = np.zeros(len(r_state), dtype=bool)
        prev_ok[1:] = r_state[1:] == r_state[:-1]
        sel = np.flatnonzero(last & prev_ok)
        growth_at = np.full(n, np.nan)
        prev = r_values[sel - 1]
        with np.errstate(invalid="ignore", divide="ignore"):
            growth_at[r_state[sel]] = np.where(prev > 0, r_values[sel] / prev - 1, np.nan)
        both = wide[["operating_cash_flow", "capex"]].dropna()
        b_state = both.index.get_level_values("state").to_numpy()
        ocf = both["operating_cash_flow"].to_numpy()
        capex = np.abs(both["capex"].to_numpy())
        back = pd.Series(b_state).groupby(b_state).cumcount(ascending=False).to_numpy()
        keep = back < MAX_YEARS
        breach = np.zeros((n, MAX_YEARS), dtype=np.int8)  # newest year first
        breach[b_state[keep], back[keep]] = capex[keep] > ocf[keep]
        has_years = np.zeros(n, dtype=bool)
        has_years[b_state] = True
        fcf = np.full((n, 4), np.nan)  # oldest of the last four first
        count = np.zeros(n, dtype=np.int64)
        np.add.at(count, b_state, 1)
        recent = back < 4
        col = np.minimum(count[b_state], 4) - 1 - back
        fcf[b_state[recent], col[recent]] = (ocf - capex)[recent]
        stability = np.full(n, np.nan)
        for k in (3, 4):
            rows = np.flatnonzero(np.minimum(count, 4) == k)
            x = fcf[rows, :k]
            std = x.std(axis=1, ddof=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                stability[rows] = np.where(std > 0, x.mean(axis=1) / std, np.nan)
        self._breach_cum = np.cumsum(breach, axis=1, dtype=np.int64)
        self._has_years = has_years
        five = self._breach_cum[:, 4].astype(float)
        anchored = anchor_of >= 0
        src = np.maximum(anchor_of, 0)
        out["revenue_growth"] = np.where(anchored, growth_at[src], np.nan)
        out["fcf_stability"] = np.where(anchored, stability[src], np.nan)
        out["capex_over_ocf_years"] = np.where(anchored & has_years[src], five[src], np.nan)
        return out

    # --- reads ----------------------------------------------------------------------

    def states(self, tickers: list[str], date: pd.Timestamp) -> np.ndarray:
        """The state in force for each ticker on ``date`` (-1: nothing filed yet)."""
        tid = np.array([self._tid.get(t, -1) for t in tickers], dtype=np.int64)
        cutoff = pd.Timestamp(date).toordinal() - self.lag_days
        pos = np.searchsorted(self.state_key, (np.maximum(tid, 0) << _BITS) | cutoff, "right") - 1
        ok = (tid >= 0) & (pos >= 0)
        pos = np.where(ok, pos, 0)
        ok &= self.state_tid[pos] == tid
        return np.where(ok, pos, -1)

    def metrics(
        self, tickers: list[str], date: pd.Timestamp, prices: pd.Series | None = None
    ) -> pd.DataFrame:
        """:meth:`FundamentalsStore.metrics_asof`: one row per ticker, columns METRICS."""
        date = pd.Timestamp(date)
        state = self.states(tickers, date)
        ok = state >= 0
        rows = np.where(ok[:, None], self.values[np.maximum(state, 0)], np.nan)
        col = {c: rows[:, i] for i, c in enumerate(COMPANY_COLUMNS)}
        if prices is not None:
            price = prices.reindex(tickers).to_numpy(dtype=float)
        else:
            price = np.full(len(tickers), np.nan)
        col.update(price_columns(col, price, date.toordinal()))
        filed = self.state_filed[np.maximum(state, 0)].astype(float)
        for name, days in (("period_end", col["_ttm_end"]), ("last_filed", filed)):
            days = np.where(ok, days, np.nan)
            # as the replay's frame: datetimes, or float NaN where no row has a date
            col[name] = _datetimes(days) if np.isfinite(days).any() else days
        return pd.DataFrame({c: col[c] for c in METRICS}, index=pd.Index(tickers, name="ticker"))

    def breach_counts(self, tickers: list[str], date: pd.Timestamp, years: int) -> np.ndarray:
        """Fiscal years among the last ``years`` (1..15) of :meth:`annual_history` in which
        capex exceeded operating cash flow (years with both known), per ticker on ``date``;
        0 without such years. Shape: (len(tickers),), integers."""
        if not 1 <= years <= MAX_YEARS:
            raise ValueError(f"years must be 1..{MAX_YEARS}, got {years}")
        state = self.states(tickers, date)
        anchor = np.where(state >= 0, self._anchor_of[np.maximum(state, 0)], -1)
        counts = self._breach_cum[np.maximum(anchor, 0), years - 1]
        return np.where(anchor >= 0, counts, 0)

    def annual_history(self, ticker: str, date: pd.Timestamp) -> pd.DataFrame:
        """:meth:`FundamentalsStore.annual_history`: fiscal-year flows known on ``date``."""
        state = self.states([ticker], date)[0]
        anchor = self._anchor_of[state] if state >= 0 else -1
        columns = list(ANNUAL_FLOWS)
        if anchor < 0:
            frame = pd.DataFrame({c: {} for c in columns}, columns=columns, dtype=float)
        else:
            k = np.searchsorted(self._annual_states, anchor)
            lo, hi = self._annual_bounds[0][k], self._annual_bounds[1][k]
            part = self._annual.iloc[lo:hi]
            ends = part.index.get_level_values("end").to_numpy()
            frame = pd.DataFrame(part.to_numpy(), columns=columns, index=_datetimes(ends))
        frame["capex"] = frame["capex"].abs()
        frame["fcf"] = frame["operating_cash_flow"] - frame["capex"]
        frame.index.name = "fiscal_year_end"
        return frame


def _concept_codes(concepts: pd.Series) -> np.ndarray:
    """``concepts.map(_CONCEPT_CODE)`` as int64, by a hash lookup (a string map costs
    0.15 s on the facts of 500 companies); an unknown concept fails as the map did."""
    position = pd.Index(list(_CONCEPT_CODE)).get_indexer(concepts)
    if (position < 0).any():
        return concepts.map(_CONCEPT_CODE).to_numpy(dtype=np.int64)
    return np.array(list(_CONCEPT_CODE.values()), dtype=np.int64)[position]


def _datetimes(days: np.ndarray) -> pd.DatetimeIndex:
    """Day ordinals (NaN: missing) as datetime64[us] timestamps (NaT where missing)."""
    days = np.asarray(days, dtype=float)
    missing = ~np.isfinite(days)
    stamps = (np.where(missing, _EPOCH, days).astype(np.int64) - _EPOCH).astype("datetime64[D]")
    stamps = stamps.astype("datetime64[us]")
    stamps[missing] = np.datetime64("NaT")
    return pd.DatetimeIndex(stamps)


def price_columns(col: dict[str, np.ndarray], price: np.ndarray, today: int) -> dict:
    """``fundamentals.price_metrics`` on arrays: market cap, multiples and ages on a date.

    ``col`` holds the company columns (shares, TTM flows, net cash, period-end
    ordinals) per ticker, ``price`` the split-adjusted closes of the date.
    """
    out = {}
    shares = col["shares_outstanding"]
    shares = np.where(np.isfinite(shares), shares, col["diluted_shares"])
    eps, income, revenue = col["eps_diluted_ttm"], col["net_income_ttm"], col["revenue_ttm"]
    with np.errstate(invalid="ignore", divide="ignore"):
        implied = np.where((eps > 0) & (income > 0), income / eps, np.nan)
        shares = np.where(np.isfinite(shares), shares, implied)
        market_cap = np.where(np.isfinite(price), price * shares, np.nan)
        out["market_cap"] = market_cap
        by_income = np.where(income > 0, market_cap / income, np.nan)
        by_eps = np.where(eps > 0, price / eps, np.nan)
        out["pe_ttm"] = np.where(np.isfinite(income), by_income, by_eps)
        out["ps_ttm"] = np.where(revenue > 0, _ratio(market_cap, revenue), np.nan)
        # Unknown net cash (no cash tag, or debt stale or untagged beside current debt)
        # leaves the enterprise value unknown rather than equal to the market cap.
        enterprise = market_cap - col["net_cash"]
        out["ev_to_sales"] = np.where(revenue > 0, _ratio(enterprise, revenue), np.nan)
    ages = {
        "ttm_age_days": col["_ttm_end"],
        "balance_sheet_age_days": col["_balance_end"],
        "shares_age_days": col["_shares_end"],
    }
    for name, end in ages.items():
        out[name] = today - end
    newest = np.fmax(col["_ttm_end"], col["_balance_end"])
    out["staleness_days"] = today - newest
    return out
