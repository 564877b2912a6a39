"""Layer 6, governance: retention, venue compliance, aggregate views, roles, the call list.

What the county must do with the data besides tracing: purge scans past retention, find
venues that do not scan, show managers and regulators aggregates with small counts
suppressed, and hand field teams a call list: masked by default, with names and phones
revealed only to a role holding a credential issued under the county key, and audited
(:func:`write_call_list`, :mod:`tracelab.governance.roles`); and record what the field teams
report back (:mod:`tracelab.governance.followup`).
"""

from __future__ import annotations

from tracelab.governance.aggregates import regulator_report, venue_report
from tracelab.governance.audited_export import export_contacts
from tracelab.governance.call_lists import CallList, call_list, read_exposures, write_call_list
from tracelab.governance.followup import (
    followup_status,
    followup_summary,
    import_followup,
    listing_from_trace,
    read_followup,
    read_listing,
)
from tracelab.governance.retention import purge
from tracelab.governance.roles import (
    BUILTIN_ROLES,
    Credential,
    CredentialError,
    Role,
    RoleError,
    issue_credential,
    load_roles,
    read_credential,
    verify_credential,
    write_credential,
)

__all__ = ["call_list", "export_contacts", "purge", "regulator_report", "venue_report",
           "write_call_list", "read_exposures", "CallList", "Role", "RoleError", "Credential",
           "CredentialError", "BUILTIN_ROLES", "load_roles", "issue_credential",
           "write_credential", "read_credential", "verify_credential", "read_followup",
           "import_followup", "followup_status", "followup_summary", "listing_from_trace",
           "read_listing"]
