"""The page's views, one module per tab, and the import report with its next step.

Each view reads a ``Plan`` (with its negotiation position for the Offers tab, and the
scenario store where it lists scenarios; the Tracking tab a ``forecast.tracking.Tracking``)
and draws; no figure is computed here. Money in
tables is written as on the headline and in the charts (``usd_short``: ``$1.23M``,
``$456K``; a commitment with its tier's edges), right-aligned; tables lead with the columns
that decide, names kept narrow.
"""

from ui.views.commitment_view import bridge, candidate_name, commitment
from ui.views.common import (
    PlanFor,
    chart,
    money,
    name_column,
    shares,
    short_name,
    text_column,
)
from ui.views.compare_view import compare
from ui.views.files_view import files, workspace
from ui.views.import_guide import import_guide, import_report
from ui.views.offers_view import offers, offers_editor
from ui.views.savings_view import savings
from ui.views.sensitivity_view import sensitivity
from ui.views.spend_view import commitment_options, spend
from ui.views.tracking_view import (
    DATA_NOTES,
    shows_tracking,
    tracking,
    tracking_downloads,
    tracking_figures,
    workloads_table,
    years_table,
)
from ui.views.workloads_view import editor_column, workloads_editor, workloads_summary

__all__ = [
    "DATA_NOTES", "PlanFor", "bridge", "candidate_name", "chart", "commitment",
    "commitment_options", "compare", "editor_column", "files", "import_guide",
    "import_report", "money", "name_column", "offers", "offers_editor", "savings",
    "sensitivity", "shares", "short_name", "shows_tracking", "spend", "text_column",
    "tracking", "tracking_downloads", "tracking_figures", "workloads_editor",
    "workloads_summary", "workloads_table", "workspace", "years_table",
]
