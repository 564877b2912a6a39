"""The command-HQ briefing: one self-contained, print-friendly HTML page (DESIGN.md §1, §7).

:func:`load_briefing` / :func:`build_briefing` gather the numbers and tables,
:func:`render_html` formats them (Chinese by default), :func:`write_briefing` writes the
page, a JSON summary for the next ``--since`` and optionally a PDF. Beside it: the chains
of transmission (:func:`network_view`), the public trajectory notice of a case
(:func:`case_notice`, audited) and the map layers for GIS (:func:`export_layers`).
"""

from __future__ import annotations

from tracelab.briefing.build import (
    Briefing,
    build_briefing,
    default_as_of,
    folder_extras,
    load_briefing,
    store_briefing,
    with_followup,
)
from tracelab.briefing.curve_svg import epi_curve_svg
from tracelab.briefing.diff import Changes, changes, read_summary, summary, write_summary
from tracelab.briefing.layers_export import export_layers
from tracelab.briefing.network_svg import (
    NetworkView,
    network_page,
    network_section,
    network_view,
)
from tracelab.briefing.notice import build_notice, case_notice
from tracelab.briefing.notice_render import write_notice
from tracelab.briefing.output import MAX_BYTES, summary_path, write_briefing
from tracelab.briefing.pdf import html_to_pdf
from tracelab.briefing.quality import quality_counts, rejections_by_reason
from tracelab.briefing.render import briefing_map, map_page, render_html

__all__ = [
    "Briefing",
    "build_briefing",
    "load_briefing",
    "store_briefing",
    "with_followup",
    "folder_extras",
    "default_as_of",
    "render_html",
    "briefing_map",
    "map_page",
    "epi_curve_svg",
    "summary",
    "write_summary",
    "read_summary",
    "changes",
    "Changes",
    "summary_path",
    "write_briefing",
    "html_to_pdf",
    "quality_counts",
    "rejections_by_reason",
    "MAX_BYTES",
    "NetworkView",
    "network_view",
    "network_page",
    "network_section",
    "build_notice",
    "case_notice",
    "write_notice",
    "export_layers",
]
