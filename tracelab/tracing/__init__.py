"""Layer 5, tracing: forward and backward tracing, grid companions, the local pull, co-presence.

This namespace holds only the audited verbs: each needs ``purpose=`` and an audit store and
leaves one hash-chained entry (:mod:`tracelab.tracing.audited_verbs`). The plain
implementations stay in their modules for library code (:mod:`~tracelab.tracing.forward`,
:mod:`~tracelab.tracing.backward`, :mod:`~tracelab.tracing.companion_grid`).
"""

from __future__ import annotations

from tracelab.tracing.audited_verbs import common_venues, companions, copresence, sources, trace

__all__ = ["common_venues", "companions", "copresence", "sources", "trace"]
