"""The public contact export, bound to a purpose and logged in the audit table.

``tracelab.export_contacts`` is :func:`tracelab.governance.call_lists.export_contacts`
wrapped by :func:`tracelab.privacy.audit.audited`, as the tracing verbs are
(:mod:`tracelab.tracing.audited_verbs`): each call needs ``purpose=`` and an audit store
and leaves one hash-chained entry with its counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tracelab.governance.call_lists import export_contacts as _export_contacts
from tracelab.model import schema as s
from tracelab.privacy.audit import audited

__all__ = ["export_contacts"]


def _export_counts(result: Path, arguments: Mapping[str, Any]) -> dict[str, int]:
    ranked = arguments["ranked"]
    return {"people": int(ranked[s.CONTACT_ID].nunique()), "rows": len(ranked)}


# The logged query names no person: the format and whether names were joined.
export_contacts = audited(
    "export_contacts", _export_counts,
    describe=lambda a: "export_contacts fmt="
                       f"{a['fmt'] or Path(a['path']).suffix.lstrip('.').lower()}"
                       f" persons={'yes' if a['persons'] is not None else 'no'}")(
    _export_contacts)
