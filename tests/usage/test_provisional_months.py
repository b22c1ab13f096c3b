"""Provisional months count from the month's last usage day (docs/model.md, "Forecasting
from history")."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.errors import ImportUsageError
from forecast.usage.months import MonthUse, plan_months, provisional_months

WATERMARK = np.datetime64("2026-09-30T12:00", "ns")


def test_august_final_and_september_provisional_at_a_september_30_noon_watermark():
    # 31 Aug 00:00 is 30 days 12 hours before 30 Sep 12:00: 30.5 >= 30, August is final.
    # Counted from the month's exclusive end (1 Sep) it would be 29.5 days: provisional.
    # 30 Sep 00:00 is 0.5 days before the watermark: September is provisional.
    labels = ["2026-06", "2026-07", "2026-08", "2026-09"]
    assert provisional_months(labels, WATERMARK) == {"2026-09"}
    # one day later the same holds for September against 31 Oct 00:00 (30 days 12 hours)
    assert provisional_months(["2026-09"], np.datetime64("2026-10-30T12:00", "ns")) == set()
    assert provisional_months(["2026-09"], np.datetime64("2026-10-29T23:00", "ns")) == \
        {"2026-09"}


def test_the_refusal_names_a_partial_month_as_partial():
    # June to September, September covered 29.5 of 30 days (to the watermark): with August
    # final, three months remain only if June, July and August are full; make July missing
    # half to leave two full months and force the refusal.
    labels = ["2026-07", "2026-08", "2026-09"]
    coverage = np.array([1.0, 1.0, 29.5 / 30])
    with pytest.raises(ImportUsageError) as err:
        plan_months(labels, coverage, provisional={"2026-09"})
    text = str(err.value)
    assert "2026-09 partial (98% covered) and provisional" in text
    assert "2026-08 full" in text
    plan = plan_months(["2026-06", *labels], np.r_[1.0, coverage], provisional={"2026-09"})
    assert [m.use for m in plan] == [MonthUse.FULL] * 3 + [MonthUse.PROVISIONAL]


def test_the_yaml_header_lists_the_provisional_months_fitted():
    from forecast.usage import import_usage
    from tests.usage.test_analytics_import import USAGE, files

    # watermark 2026-10-15T06:00: September (last day 30 Sep, 15.25 days back) is
    # provisional; fitted only with include_provisional, and then named in the header.
    plain = import_usage(files(*USAGE)).scenario_yaml()
    assert "Provisional months fitted" not in plain
    more = import_usage(files(*USAGE), include_provisional=True).scenario_yaml()
    assert "# Provisional months fitted (--include-provisional" in more
    assert "2026-09." in more.replace("\n# ", " ")
