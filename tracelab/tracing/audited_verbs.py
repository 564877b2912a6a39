"""The public person-level queries, bound to a purpose and logged in the audit table.

``tracelab.trace``, ``sources``, ``companions`` and ``common_venues`` are the functions
of :mod:`tracelab.tracing.forward`, :mod:`tracelab.tracing.backward` and
:mod:`tracelab.tracing.companion_grid` wrapped by
:func:`tracelab.privacy.audit.audited`: each call needs ``purpose=`` (a case or investigation id)
and an audit store (``audit=``, else the path in the environment variable
``TRACELAB_AUDIT``), and leaves exactly one hash-chained entry with its counts (DOMAIN.md
section 10, threat 1; ``query_binding``, section 11.5). Library code composes the plain
implementations, which stay unaudited: a scenario replay runs thousands of traces on
synthetic data, and the command line logs one entry per command.

Examples
--------
>>> import tempfile, pathlib
>>> from tracelab.index.graph import VisitGraph
>>> t = pd.to_datetime(["2022-11-20 02:00", "2022-11-20 02:20"], utc=True)
>>> scans = pd.DataFrame({"person_id": ["p_c1", "p_p2"], "venue_id": ["V1", "V1"],
...                       "scanned_at": t})
>>> g = VisitGraph.from_scans(scans, pd.DataFrame({"venue_id": ["V1"],
...                                                "venue_type": ["supermarket"]}))
>>> cases = pd.DataFrame({"person_id": ["p_c1"], "kind": ["confirmed"],
...                       "onset_at": pd.to_datetime(["2022-11-21"], utc=True)})
>>> log = pathlib.Path(tempfile.mkdtemp()) / "audit.duckdb"
>>> trace(g, cases, purpose="inv:LX-2022-11-007", audit=log, who="ana")["contact_id"].tolist()
['p_p2']
>>> from tracelab.privacy.audit import read_audit
>>> entry = read_audit(log).iloc[0]
>>> entry["purpose"], entry["query"]
('inv:LX-2022-11-007', 'trace cases=1 rule=twenty hops=default')
>>> entry["counts"]
'{"cases":1,"people":1,"rows":1,"venues":1}'
>>> trace(g, cases, audit=log)
Traceback (most recent call last):
...
tracelab.privacy.purposes.PurposeError: purpose: a person-level query needs a purpose, ...
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from tracelab.model import schema as s
from tracelab.model.rules import as_rule
from tracelab.privacy.audit import audited
from tracelab.tracing.backward import SOURCE_KIND
from tracelab.tracing.backward import common_venues as _common_venues
from tracelab.tracing.backward import sources as _sources
from tracelab.tracing.forward import trace as _trace

if TYPE_CHECKING:  # wrapped on first use: see __getattr__
    companions: Callable[..., Any]
    copresence: Callable[..., Any]

__all__ = ["trace", "sources", "companions", "common_venues", "copresence"]


def _rule_id(rule: Any) -> str:
    # Called after the query succeeded, so the rule is known to be valid.
    return str(as_rule(rule).rule_id)


def _frame(result: Any) -> pd.DataFrame:
    # trace(..., on_invalid="reject") returns (exposures, rejections)
    return result[0] if isinstance(result, tuple) else result


def _n_cases(arguments: Mapping[str, Any]) -> int:
    return int(arguments["cases"][s.PERSON_ID].nunique())


def _people_counts(result: Any, arguments: Mapping[str, Any]) -> dict[str, int]:
    frame = _frame(result)
    counts = {"cases": _n_cases(arguments), "people": int(frame[s.CONTACT_ID].nunique()),
              "rows": len(frame)}
    if s.VENUE_ID in frame.columns:
        counts["venues"] = int(frame[s.VENUE_ID].nunique())
    return counts


def _source_counts(result: pd.DataFrame, arguments: Mapping[str, Any]) -> dict[str, int]:
    kinds = result[SOURCE_KIND].astype("str")
    return {"cases": int((kinds == "case").sum()), "rows": len(result),
            "venues": int((kinds == "venue").sum())}


def _pair_counts(result: pd.DataFrame, arguments: Mapping[str, Any]) -> dict[str, int]:
    people = pd.concat([result[s.PERSON_A], result[s.PERSON_B]]).nunique() if len(result) else 0
    return {"pairs": len(result), "people": int(people)}


def _common_counts(result: pd.DataFrame, arguments: Mapping[str, Any]) -> dict[str, int]:
    return {"cases": _n_cases(arguments), "rows": len(result),
            "venues": int(result[s.VENUE_ID].nunique())}


# The logged query names no person: counts, the rule and plain options only (a case id,
# even a pseudonym, would make the log a list of who was looked at).
trace = audited(
    "trace", _people_counts,
    describe=lambda a: f"trace cases={_n_cases(a)} rule={_rule_id(a['rule'])} "
                       f"hops={a['hops'] or 'default'}")(_trace)
sources = audited(
    "sources", _source_counts,
    describe=lambda a: f"sources case=1 rule={_rule_id(a['rule'])}")(_sources)
common_venues = audited(
    "common_venues", _common_counts,
    describe=lambda a: f"common_venues cases={_n_cases(a)} rule={_rule_id(a['rule'])} "
                       f"min_cases={a['min_cases']}")(_common_venues)
# functools.wraps keeps each function's __module__ (e.g. tracelab.tracing.forward): help() and
# doctest then point at the implementation, whose Examples run there, unaudited.


def _companions() -> Callable[..., Any]:
    from tracelab.tracing.companion_grid import companions as plain

    return audited(
        "companions", _people_counts,
        describe=lambda a: f"companions cases={_n_cases(a)} rule={_rule_id(a['rule'])}")(plain)


def _copresence() -> Callable[..., Any]:
    from tracelab.tracing.copresent_pairs import copresence as plain

    return audited(
        "copresence", _pair_counts,
        describe=lambda a: f"copresence rule={_rule_id(a['rule'])} since={a['since']} "
                           f"until={a['until']} min_overlap={a['min_overlap_minutes']}")(plain)


#: Verbs wrapped on first use: the grid companions need the coordinate frames (pyproj),
#: which a trace or a sources query does not.
_LAZY: dict[str, Callable[[], Callable[..., Any]]] = {"companions": _companions,
                                                       "copresence": _copresence}


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    verb = globals()[name] = _LAZY[name]()
    return verb


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
