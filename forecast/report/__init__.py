"""The negotiation PDF: one scenario's plan as the document a buyer takes to the table.

Pages, in order: the summary (the number, its risk, the stranded-savings flag, the walk-back
exposure and a three-line conclusion), the forecast, the commitment options, where the
savings come from, the sensitivity tornado and an assumptions appendix. A footer on every
page carries the scenario's name and ``page N of M``.

Every figure comes from a :class:`~forecast.plan.Plan` and every chart from
:mod:`forecast.charts` (the app's definitions). Fonts, escaping of user text, tables, vector
charts and the footer are in :mod:`forecast.typeset`; this module only says what goes on
each page. US Letter, portrait.
"""

from forecast.report.build import (
    check_output_path,
    render_pdf,
    render_tracking_pdf,
    utc_today,
    write_pdf,
)
from forecast.report.internal import conclusion
from forecast.report.tracked import tracking_page

__all__ = ["check_output_path", "conclusion", "render_pdf", "render_tracking_pdf",
           "tracking_page", "utc_today", "write_pdf"]
