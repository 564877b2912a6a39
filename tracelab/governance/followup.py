"""Follow-up of listed contacts: the field teams' returned call sheet, recorded in the store.

The one job of this module is the store import: :func:`import_followup` records the
accepted rows of a returned sheet (read and checked by
:func:`~tracelab.governance.followup_sheets.read_followup`) in the store's ``followup``
table and the rejections beside them, in one transaction, idempotently: a row is one
fact, keyed by (contact, status, time), so the same sheet imported twice changes
nothing. The store keeps the contact's pseudonym only, never a name or phone: a revealed
sheet's raw phone or person id is pseudonymised with the key (or rejected without one).

Reading a sheet lives in :mod:`tracelab.governance.followup_sheets`; who is listed,
completeness by township and tier, the overdue list and the briefing's summary in
:mod:`tracelab.governance.followup_progress`. Their public names are re-exported here,
so ``from tracelab.governance.followup import ...`` serves all of follow-up.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from tracelab._atomic import fault_point
from tracelab._db import rollback
from tracelab._time import now_utc
from tracelab._validate import require_columns
from tracelab.governance.followup_progress import (
    REACH_WITHIN_HOURS,
    FollowupStatus,
    followup_status,
    followup_summary,
    listing_from_trace,
    read_listing,
)
from tracelab.governance.followup_sheets import (
    FOLLOWUP_SHEET_COLUMNS,
    LABELS,
    SHEET_HEADERS,
    STATUS_WORDS,
    label,
    read_followup,
)
from tracelab.io.checks import Loaded, empty_rejections
from tracelab.model import schema as s
from tracelab.model.tables import TABLES
from tracelab.privacy.boundary import require_protected

if TYPE_CHECKING:
    from tracelab.io.store import Store

__all__ = ["FOLLOWUP_SHEET_COLUMNS", "SHEET_HEADERS", "STATUS_WORDS", "REACH_WITHIN_HOURS",
           "LABELS", "label", "FollowupImport", "FollowupStatus", "read_followup",
           "import_followup", "read_listing", "listing_from_trace", "followup_status",
           "followup_summary"]


@dataclass(frozen=True)
class FollowupImport:
    """Counts of one import: ``read == accepted + rejected``; ``accepted == added +
    already + pending`` (rows without a status count as added the first time)."""

    source: str
    read: int
    accepted: int
    rejected: int
    #: Rows new to the store (facts, and sheet rows without a status yet).
    added: int
    #: Accepted rows the store held already (the same contact, status and time).
    already: int
    #: Accepted rows of contacts without a status yet.
    pending: int
    rejections: pd.DataFrame = field(default_factory=empty_rejections)


def _fact_key(contact: object, status: object, at: object) -> str:
    stamp = "" if pd.isna(at) else str(pd.Timestamp(at).value)
    text = f"{contact}\x1f{'' if pd.isna(status) else status}\x1f{stamp}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def import_followup(store: Store, sheet: str | Path | Loaded, *, key: bytes | None = None,
                    zone: str = s.DEFAULT_ZONE, now: Any = None) -> FollowupImport:
    """Record a returned sheet in ``store``: accepted rows and rejections, all or none.

    Parameters
    ----------
    store : tracelab.io.Store
        An open, writable store.
    sheet : str, Path or tracelab.io.Loaded
        The file (read by :func:`read_followup` with `key`, `zone`, `now`), or its result.
    key, zone, now
        See :func:`read_followup`; `now` is also the rows' ``imported_at``.

    Returns
    -------
    FollowupImport

    Raises
    ------
    ValueError
        If `sheet` is a load of something else (it lacks the follow-up columns).
    tracelab.privacy.boundary.PrivacyError
        If a row still holds a raw identifier (nothing is written).

    Notes
    -----
    Idempotent: a row is keyed by a hash of (contact, status, status time), and a key the
    table holds is skipped, as is a rejection row the table holds; so re-importing a
    sheet changes neither table. The first import's township, tier, listing time,
    source and row stay with a fact.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from tracelab.io import open_store
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "calls.csv").write_text(
    ...     "contact_id,status,status_at\\np_0123456789abcdef,reached,2022-11-20 09:30\\n"
    ...     "p_0123456789abcdef,busy,2022-11-20 10:00\\n", encoding="utf-8")
    >>> with open_store(folder / "tracelab.duckdb") as store:
    ...     first = import_followup(store, folder / "calls.csv", now="2022-12-01T00:00Z")
    ...     again = import_followup(store, folder / "calls.csv", now="2022-12-02T00:00Z")
    ...     rows = store.count("followup")
    >>> (first.read, first.accepted, first.rejected, first.added), (again.added, rows)
    ((2, 1, 1, 1), (0, 1))
    """
    loaded = sheet if isinstance(sheet, Loaded) else read_followup(
        sheet, key=key, zone=zone, now=now)
    require_columns(loaded.accepted, FOLLOWUP_SHEET_COLUMNS, "sheet",
                    hint="pass a file or read_followup(...) output")
    rows = loaded.accepted.copy()
    rows[s.FOLLOWUP_KEY] = [_fact_key(*t) for t in zip(
        rows[s.CONTACT_ID], rows[s.FOLLOWUP_STATUS], rows[s.STATUS_AT], strict=True)]
    rows[s.IMPORTED_AT] = now_utc(now)
    rows = rows.drop_duplicates(s.FOLLOWUP_KEY).loc[:, list(TABLES["followup"])]
    rejected = loaded.rejected.loc[:, list(s.REJECTION_COLUMNS)]
    require_protected(rows, "store table followup")
    require_protected(rejected, "store table rejections")
    added = _insert_new(store, rows, rejected)
    pending = int(loaded.accepted[s.FOLLOWUP_STATUS].isna().sum())
    return FollowupImport(loaded.source, loaded.read, loaded.accepted_count,
                          loaded.rejected_count, added, loaded.accepted_count - added, pending,
                          loaded.rejected)


def _insert_new(store: Store, rows: pd.DataFrame, rejected: pd.DataFrame) -> int:
    """Insert the rows and rejections the tables lack, in one transaction; rows added."""
    con = store.con
    cols = ", ".join(f'"{c}"' for c in TABLES["followup"])
    rcols = ", ".join(f'"{c}"' for c in s.REJECTION_COLUMNS)
    # Registered outside the transaction: an aborted one refuses even an unregister.
    con.register("_incoming_followup", rows)
    con.register("_incoming_rejections", rejected)
    try:
        con.execute("BEGIN")
        try:
            result = con.execute(
                f"INSERT INTO followup ({cols}) SELECT {cols} FROM _incoming_followup i WHERE "
                f"i.{s.FOLLOWUP_KEY} NOT IN (SELECT {s.FOLLOWUP_KEY} FROM followup)").fetchone()
            fault_point("store:inserted:followup")
            con.execute(f"INSERT INTO rejections ({rcols}) SELECT {rcols} FROM "
                        f"_incoming_rejections EXCEPT SELECT {rcols} FROM rejections")
            fault_point("store:inserted:rejections")
            con.execute("COMMIT")
            fault_point("store:committed")
        except BaseException as err:
            rollback(con, err)
            raise
    finally:
        con.unregister("_incoming_followup")
        con.unregister("_incoming_rejections")
    return int(result[0]) if result else 0
