"""Layer 2, privacy: keys and pseudonyms, masking and scrubbing, purposes and the audit log.

The guard every layer above calls: person ids become keyed pseudonyms on load, personal
values are masked wherever they are shown, and every person-level query names its purpose
and leaves one hash-chained audit entry.
"""

from __future__ import annotations

from importlib import import_module as _import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the names as type checkers see them; at run time: _PUBLIC
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

#: Each public name and its module, imported on first use: the pseudonyms (hashlib and
#: pandas) do not bring the audit log's DuckDB with them.
_PUBLIC = {
    **dict.fromkeys(("AuditAnchorError", "PurposeError", "adopt_anchor", "anchor_path",
                     "audit_head", "audit_status", "audited", "read_audit", "record_query",
                     "require_purpose", "verify_audit"), "audit"),
    **dict.fromkeys(("PrivacyError", "protect_venues", "require_protected"), "boundary"),
    **dict.fromkeys(("DEMO_KEY", "MissingKeyError", "is_pseudonym", "load_key", "mask_frame",
                     "pseudonym", "pseudonymise", "scrub_text"), "pseudonyms"),
}


def __getattr__(name: str) -> object:
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_import_module(f"{__name__}.{_PUBLIC[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})


__all__ = [
    "AuditAnchorError", "PrivacyError", "adopt_anchor", "anchor_path", "audit_status",
    "protect_venues", "require_protected",
    "DEMO_KEY", "MissingKeyError", "PurposeError", "audit_head", "audited", "is_pseudonym",
    "load_key", "mask_frame", "pseudonym", "pseudonymise", "read_audit", "record_query",
    "require_purpose", "scrub_text", "verify_audit",
]
