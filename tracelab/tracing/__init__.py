"""Layer 5, tracing: forward and backward tracing, grid companions, the local pull, co-presence.

This namespace holds only the audited verbs: each needs ``purpose=`` and an audit store and
leaves one hash-chained entry (:mod:`tracelab.tracing.audited_verbs`). The plain
implementations stay in their modules for library code (:mod:`~tracelab.tracing.forward`,
:mod:`~tracelab.tracing.backward`, :mod:`~tracelab.tracing.companion_grid`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the names as type checkers see them; at run time: __getattr__
    from tracelab.tracing.audited_verbs import (
        common_venues,
        companions,
        copresence,
        sources,
        trace,
    )

__all__ = ["common_venues", "companions", "copresence", "sources", "trace"]


def __getattr__(name: str) -> object:
    # The verbs come from audited_verbs on first use, each with only its own imports
    # (trace and sources do not load the grid companions' coordinate frames).
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from tracelab.tracing import audited_verbs

    value = getattr(audited_verbs, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
