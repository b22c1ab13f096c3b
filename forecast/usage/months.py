"""Calendar months of a usage history: coverage, partial and provisional months, days.

Choices where the history does not decide:

- **Partial months.** A month the files do not cover end to end (the first and last usually)
  is partial. When at least 3 full months remain, partial first and last months are dropped;
  otherwise every partial month is scaled up by 1 / covered share. A partial month inside
  the history (a missing page) is always scaled, and a month with no data at all inside it
  is an error. ``keep_last`` keeps the last N of the months used.
- **Provisional months.** Analytics data is not final until about 30 days after the usage
  date: a month whose last usage day (its last calendar day, from 00:00) is less than
  :data:`PROVISIONAL_DAYS` days before the report's ``data_refreshed_at`` is provisional,
  shown but kept out of the fit (unless asked). Counted from the last day, not from the
  month's exclusive end: at a 2026-09-30T12:00 watermark, 31 August is 30.5 days back, so
  August is final.
- **Days.** Months have 28 to 31 days; the growth fit works on per-day rates, and the
  forecast's months are average months of :data:`AVERAGE_MONTH_DAYS` days.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from forecast.errors import ImportUsageError

#: Fewest months the growth fit accepts.
MIN_MONTHS = 3
#: Days after the usage date before analytics data is final (the API reference's "about 30").
PROVISIONAL_DAYS = 30
#: Days in an average Gregorian month: 365.2425 / 12. A year of forecast months is 365.24
#: days, so annual totals (what a commitment is sized on) stay calendar-true.
AVERAGE_MONTH_DAYS = 365.2425 / 12
_FULL = 1.0 - 1e-9


class MonthUse(StrEnum):
    """What the import did with a calendar month of the history."""

    FULL = "full"
    SCALED = "scaled"
    DROPPED = "dropped"
    PROVISIONAL = "provisional"
    OUTSIDE = "before --months"
    AFTER = "after the window"


def days_in_month(label: str) -> int:
    """Days of a ``YYYY-MM`` month."""
    year, month = (int(p) for p in label.split("-"))
    return calendar.monthrange(year, month)[1]


def month_offset(label: str, months: int) -> str:
    """The ``YYYY-MM`` label ``months`` after ``label`` (before, when negative)."""
    year, month = (int(p) for p in label.split("-"))
    y, m = divmod(year * 12 + month - 1 + months, 12)
    return f"{y:04d}-{m + 1:02d}"


def months_between(first: str, last: str) -> int:
    """Whole months from ``first`` to ``last`` (``last`` later: positive)."""
    fy, fm = (int(p) for p in first.split("-"))
    ly, lm = (int(p) for p in last.split("-"))
    return (ly - fy) * 12 + lm - fm


@dataclass(frozen=True)
class MonthCoverage:
    """One calendar month of the history: how much of it the files cover, and its use."""

    month: str
    coverage: float
    use: MonthUse
    provisional: bool = False

    @property
    def used(self) -> bool:
        """Whether the month enters the fit and the scenario."""
        return self.use in (MonthUse.FULL, MonthUse.SCALED)

    @property
    def days(self) -> int:
        return days_in_month(self.month)

    @property
    def scale(self) -> float:
        """Factor the month's tokens are multiplied by (1 / coverage when scaled)."""
        return 1.0 / self.coverage if self.use == MonthUse.SCALED else 1.0

    def describe(self) -> str:
        if self.use == MonthUse.FULL:
            return f"{self.month} full"
        if self.use == MonthUse.SCALED:
            return f"{self.month} {self.coverage:.0%} covered, scaled x{self.scale:.2f}"
        if self.use == MonthUse.DROPPED:
            return f"{self.month} {self.coverage:.0%} covered, dropped"
        if self.use == MonthUse.PROVISIONAL:
            part = "" if self.coverage >= _FULL else \
                f"partial ({self.coverage:.0%} covered) and "
            return (f"{self.month} {part}provisional (its last day within "
                    f"{PROVISIONAL_DAYS} days of the report's data_refreshed_at), not fitted")
        if self.use == MonthUse.AFTER:
            return f"{self.month} after the fitting window"
        return f"{self.month} left out (--months)"


def month_coverage(spans: Any) -> tuple[list[str], Any]:
    """Share of each calendar month, first to last, that the buckets cover.

    Parameters
    ----------
    spans : pandas.DataFrame
        ``start`` and ``end`` of the covered time (buckets; overlaps are merged).

    Returns
    -------
    (list of str, ndarray of shape (n_months,))
        ``YYYY-MM`` labels and covered shares in [0, 1].
    """
    order = spans["start"].to_numpy().argsort()
    start = spans["start"].to_numpy()[order]
    end = spans["end"].to_numpy()[order]
    # Merge overlapping spans: a new segment begins where a span starts past all ends so far.
    reach = np.maximum.accumulate(end)
    new = np.r_[True, start[1:] > reach[:-1]]
    seg_start = start[new]
    seg_end = reach[np.r_[np.flatnonzero(new)[1:] - 1, end.size - 1]]
    first = seg_start.min().astype("datetime64[M]")
    last = (seg_end.max() - np.timedelta64(1, "ns")).astype("datetime64[M]")
    months = np.arange(first, last + 1)
    m_start = months.astype("datetime64[ns]")[None, :]
    m_end = (months + 1).astype("datetime64[ns]")[None, :]
    overlap = np.minimum(seg_end[:, None], m_end) - np.maximum(seg_start[:, None], m_start)
    covered = np.clip(overlap.astype(np.int64), 0, None).sum(axis=0)
    share = covered / (m_end - m_start).astype(np.int64)[0]
    return [str(m) for m in months], share


def provisional_months(labels: list[str], watermark: np.datetime64 | None) -> set[str]:
    """Months whose last usage day starts less than :data:`PROVISIONAL_DAYS` days before
    the watermark (the usage date of a month's last day is that day, 00:00 UTC)."""
    if watermark is None:
        return set()
    cutoff = watermark - np.timedelta64(PROVISIONAL_DAYS, "D")
    last_day = ((np.array(labels, dtype="datetime64[M]") + 1).astype("datetime64[D]")
                - np.timedelta64(1, "D")).astype("datetime64[ns]")
    return {m for m, d in zip(labels, last_day, strict=True) if d > cutoff}


def plan_months(labels: list[str], coverage: Any, keep_last: int | None = None,
                provisional: set[str] | frozenset[str] = frozenset(),
                include_provisional: bool = False, through: str | None = None
                ) -> list[MonthCoverage]:
    """Decide for every month: full, scaled, dropped, provisional or outside the window.

    Parameters
    ----------
    labels, coverage
        From :func:`month_coverage`.
    keep_last : int, optional
        Keep the last N months used.
    provisional : set of str
        Provisional months (:func:`provisional_months`); left out unless
        ``include_provisional``.
    through : str, optional
        Last month of the window (``YYYY-MM``); later months are left out (a backtest's
        training window).

    Raises
    ------
    ImportUsageError
        A month with no data inside the history, or fewer than 3 months left to fit.
    """
    for label, c in zip(labels, coverage, strict=True):
        if c <= 0:
            raise ImportUsageError(f"no file covers {label}, inside the history "
                                   f"{labels[0]} to {labels[-1]}; add the missing page or export")
    uses: list[MonthUse | None] = [None] * len(labels)
    for i, label in enumerate(labels):
        if through is not None and label > through:
            uses[i] = MonthUse.AFTER
        elif label in provisional and not include_provisional:
            uses[i] = MonthUse.PROVISIONAL
    window = [i for i, u in enumerate(uses) if u is None]
    full = {i: coverage[i] >= _FULL for i in window}
    for i in window:
        uses[i] = MonthUse.FULL if full[i] else MonthUse.SCALED
    if window and sum(full.values()) >= MIN_MONTHS:
        for edge in {window[0], window[-1]}:
            if not full[edge]:
                uses[edge] = MonthUse.DROPPED
    used = [i for i in window if uses[i] in (MonthUse.FULL, MonthUse.SCALED)]
    if keep_last is not None:
        for i in used[:-keep_last]:
            uses[i] = MonthUse.OUTSIDE
        used = used[-keep_last:]
    plan = [MonthCoverage(m, float(c), u, m in provisional)  # type: ignore[arg-type]
            for m, c, u in zip(labels, coverage, uses, strict=True)]
    if len(used) < MIN_MONTHS:
        seen = ", ".join(m.describe() for m in plan)
        limit = f" (--months {keep_last} keeps only {keep_last})" if keep_last else ""
        hint = " or use --include-provisional" if any(
            m.use == MonthUse.PROVISIONAL for m in plan) else ""
        raise ImportUsageError(f"the history gives {len(used)} month"
                               f"{'s' if len(used) != 1 else ''} to fit{limit}: {seen}; "
                               f"fitting growth needs at least {MIN_MONTHS} months, export a "
                               f"longer history{hint}")
    return plan
