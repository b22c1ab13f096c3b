"""Usage history: read the exports a buyer has, and turn them into a scenario.

Modules, in the order the import runs:

- :mod:`~forecast.usage.formats`: which reader a file needs; bounded reads.
- readers, one per format: :mod:`~forecast.usage.analytics_report` (the usage and cost
  analytics API), :mod:`~forecast.usage.admin_report` (the legacy Admin API report),
  :mod:`~forecast.usage.console_csv` (the Console export), :mod:`~forecast.usage.cost_report`
  (billed amounts); shared shapes and bounds in :mod:`~forecast.usage.records`.
- :mod:`~forecast.usage.merge`: every usage line counted once, keyed on the usage itself.
- :mod:`~forecast.usage.pricing`: list price of every line at the book's dated entries.
- :mod:`~forecast.usage.months`: coverage, partial and provisional months, days.
- :mod:`~forecast.usage.growth`: the calendar-true growth fit and the weekday pattern.
- :mod:`~forecast.usage.levers`: today's levers of a group.
- :mod:`~forecast.usage.importer`: the import itself; :mod:`~forecast.usage.result`: what it
  returns, with its typed report.
"""

from forecast.usage.formats import MAX_USAGE_FILE_BYTES, read_usage, read_usage_file
from forecast.usage.growth import GrowthFit, WeekdayPattern, fit_growth
from forecast.usage.importer import PricedHistory, build_import, import_usage, price_history
from forecast.usage.merge import merge_records
from forecast.usage.months import AVERAGE_MONTH_DAYS, MonthCoverage, MonthUse
from forecast.usage.records import CostRecords, UsageFormat, UsageRecords
from forecast.usage.result import (
    EffectiveRate,
    GroupBy,
    GroupHistory,
    ImportReport,
    SourceRead,
    UsageImport,
)

__all__ = [
    "AVERAGE_MONTH_DAYS", "MAX_USAGE_FILE_BYTES", "CostRecords", "EffectiveRate", "GroupBy",
    "GroupHistory", "GrowthFit", "ImportReport", "MonthCoverage", "MonthUse", "PricedHistory",
    "SourceRead", "UsageFormat", "UsageImport", "UsageRecords", "WeekdayPattern",
    "build_import", "fit_growth", "import_usage", "merge_records", "price_history",
    "read_usage", "read_usage_file",
]
