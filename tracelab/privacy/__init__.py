"""Layer 2, privacy: keys and pseudonyms, masking and scrubbing, purposes and the audit log.

The guard every layer above calls: person ids become keyed pseudonyms on load, personal
values are masked wherever they are shown, and every person-level query names its purpose
and leaves one hash-chained audit entry.
"""

from __future__ import annotations

from tracelab.privacy.audit import (
    AuditAnchorError,
    PurposeError,
    adopt_anchor,
    anchor_path,
    audit_head,
    audit_status,
    audited,
    read_audit,
    record_query,
    require_purpose,
    verify_audit,
)
from tracelab.privacy.boundary import PrivacyError, protect_venues, require_protected
from tracelab.privacy.pseudonyms import (
    DEMO_KEY,
    MissingKeyError,
    is_pseudonym,
    load_key,
    mask_frame,
    pseudonym,
    pseudonymise,
    scrub_text,
)

__all__ = [
    "AuditAnchorError", "PrivacyError", "adopt_anchor", "anchor_path", "audit_status",
    "protect_venues", "require_protected",
    "DEMO_KEY", "MissingKeyError", "PurposeError", "audit_head", "audited", "is_pseudonym",
    "load_key", "mask_frame", "pseudonym", "pseudonymise", "read_audit", "record_query",
    "require_purpose", "scrub_text", "verify_audit",
]
