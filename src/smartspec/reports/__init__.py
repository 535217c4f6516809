"""Reports of the smart specialisation evidence: HTML (offline), CSV, Excel and PDF.

:func:`write_profile_report` and :func:`write_candidates_report` turn the results of
:func:`smartspec.discovery.profile` and :func:`smartspec.discovery.candidates` into a
self-contained HTML report with Plotly charts (the library is inlined, nothing is fetched from
the network), CSV and Excel tables, and optionally a PDF printed by headless Chromium. The chart
functions of :mod:`smartspec.reports.charts` can be used on their own; each returns a
:class:`Chart` with a caption naming what it shows and the data source.
"""

from smartspec.reports.charts import (
    Chart,
    activity_space_chart,
    history_chart,
    neighbourhood_map,
    peer_chart,
    quadrant_chart,
    rca_chart,
    subscore_chart,
)
from smartspec.reports.html import (
    ReportContext,
    all_region_eci,
    render_report,
    write_candidates_report,
    write_profile_report,
)
from smartspec.reports.pdf import PdfUnavailableError, find_chromium, html_to_pdf, html_to_png
from smartspec.reports.tables import candidates_table, flatten, profile_tables, write_tables

__all__ = [
    "Chart",
    "PdfUnavailableError",
    "ReportContext",
    "activity_space_chart",
    "all_region_eci",
    "candidates_table",
    "find_chromium",
    "flatten",
    "history_chart",
    "html_to_pdf",
    "html_to_png",
    "neighbourhood_map",
    "peer_chart",
    "profile_tables",
    "quadrant_chart",
    "rca_chart",
    "render_report",
    "subscore_chart",
    "write_candidates_report",
    "write_profile_report",
    "write_tables",
]
