"""Layer 6, governance: retention, venue compliance, aggregate views, the call list.

What the county must do with the data besides tracing: purge scans past retention, find
venues that do not scan, show managers and regulators aggregates with small counts
suppressed, and hand field teams a call list (audited).
"""

from __future__ import annotations

from tracelab.governance.aggregates import regulator_report, venue_report
from tracelab.governance.audited_export import export_contacts
from tracelab.governance.call_lists import call_list
from tracelab.governance.retention import purge

__all__ = ["call_list", "export_contacts", "purge", "regulator_report", "venue_report"]
