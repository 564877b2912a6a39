"""The call list screening teams work from: ranked contacts by township and tier, masked.

:func:`call_list` builds the table; :func:`export_contacts` writes it as CSV or XLSX with
formulas neutralised (:mod:`tracelab.io.exports`). Names keep the surname, ID numbers the
first and last 2 characters, phones the first and last 3 (DOMAIN §11.5
``display_masking``); contact ids are kept if they are pseudonyms, else masked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from tracelab._validate import require_columns
from tracelab.model import ids
from tracelab.model import schema as s
from tracelab.model.regions import all_townships
from tracelab.model.schema import LAST_EXPOSURE, RANK, SCORE, TIER, TIERS
from tracelab.privacy import pseudonyms as privacy

__all__ = ["call_list", "export_contacts", "CALL_LIST_COLUMNS"]

PERSON_NAME, ID_NUMBER, PHONE = s.PERSON_NAME, s.ID_NUMBER, s.PHONE
UNKNOWN_TOWNSHIP = "unknown"
CALL_LIST_COLUMNS = (s.TOWNSHIP_CODE, s.TOWNSHIP, TIER, RANK, s.CONTACT_ID, PERSON_NAME, PHONE,
                     ID_NUMBER, SCORE, LAST_EXPOSURE, s.WHY)


def call_list(ranked: pd.DataFrame, persons: pd.DataFrame | None = None) -> pd.DataFrame:
    """Ranked contacts grouped by township, then tier, then rank, with identifiers masked.

    Parameters
    ----------
    ranked : pandas.DataFrame
        :func:`tracelab.analysis.ranking.rank_contacts` output (``per="contact"``).
    persons : pandas.DataFrame, optional
        ``person_id`` with any of ``name``, ``phone``, ``id_number``,
        ``township_code``; without it those columns stay empty and the township is
        "unknown".

    Returns
    -------
    pandas.DataFrame
        ``CALL_LIST_COLUMNS``; masked name, phone and ID; never a raw identifier.

    Examples
    --------
    >>> ranked = pd.DataFrame({"contact_id": ["P1", "P2"], "tier": ["monitor", "call_today"],
    ...     "rank": [2, 1], "score": [3.0, 40.0], "why": ["#2 ...", "#1 ..."]})
    >>> persons = pd.DataFrame({"person_id": ["P1", "P2"], "name": ["张三丰", "李四"],
    ...     "phone": ["13123456789", "15870001234"], "id_number": ["360121199001011234"] * 2,
    ...     "township_code": ["360121100", "360121100"]})
    >>> call_list(ranked, persons)[["township", "tier", "name", "phone", "id_number"]]
      township        tier name        phone           id_number
    0      莲塘镇  call_today   李*  158*****234  36**************34
    1      莲塘镇     monitor  张**  131*****789  36**************34
    """
    require_columns(ranked, (s.CONTACT_ID, TIER, RANK), "ranked",
                    hint="pass rank_contacts(...) output")
    if s.CASE_ID in ranked:
        raise ValueError("ranked has case_id: one row per (case, contact) pair; the call list "
                         "needs rank_contacts(..., per='contact')")
    out = ranked.reset_index(drop=True)
    info = pd.DataFrame(index=out.index)
    if persons is not None:
        require_columns(persons, (s.PERSON_ID,), "persons")
        p = persons.drop_duplicates(s.PERSON_ID).set_index(s.PERSON_ID)
        for col in (PERSON_NAME, PHONE, ID_NUMBER, s.TOWNSHIP_CODE):
            if col in p:
                info[col] = out[s.CONTACT_ID].map(p[col]).to_numpy()
    masks = {PERSON_NAME: ids.mask_name, PHONE: ids.mask_phone, ID_NUMBER: ids.mask_id}
    # Township names of every shipped region: a call list may span counties.
    names = all_townships().set_index(s.TOWNSHIP_CODE)[s.TOWNSHIP]
    code = (info[s.TOWNSHIP_CODE] if s.TOWNSHIP_CODE in info else
            pd.Series(None, index=out.index, dtype="str")).fillna(UNKNOWN_TOWNSHIP).astype("str")
    table = pd.DataFrame({
        s.TOWNSHIP_CODE: code, s.TOWNSHIP: code.map(names).fillna(UNKNOWN_TOWNSHIP).astype("str"),
        TIER: out[TIER].astype("str"), RANK: out[RANK].astype(np.int64),
        s.CONTACT_ID: [c if privacy.is_pseudonym(c) else ids.mask_id(c) for c in out[s.CONTACT_ID]],
    })
    for col, fn in masks.items():
        values = info[col] if col in info else pd.Series(None, index=out.index, dtype="object")
        table[col] = pd.Series([fn(v) for v in values], index=out.index, dtype="str")
    table[SCORE] = out[SCORE].round(1) if SCORE in out else np.nan
    table[LAST_EXPOSURE] = out.get(LAST_EXPOSURE, pd.NaT)
    table[s.WHY] = out.get(s.WHY, "")
    tier_order = table[TIER].map({t: i for i, t in enumerate(TIERS)}).fillna(len(TIERS))
    table = table.assign(_t=tier_order).sort_values(
        [s.TOWNSHIP_CODE, "_t", RANK], kind="stable", ignore_index=True).drop(columns="_t")
    return table[list(CALL_LIST_COLUMNS)]


def export_contacts(ranked: pd.DataFrame, path: str | Path, persons: pd.DataFrame | None = None,
                    *, fmt: Literal["csv", "xlsx"] | None = None) -> Path:
    """Write the call list (:func:`call_list`) as CSV or XLSX, formula-safe and masked.

    Parameters
    ----------
    ranked : pandas.DataFrame
        :func:`tracelab.analysis.ranking.rank_contacts` output.
    path : str or Path
        Output file.
    persons : pandas.DataFrame, optional
        Names, phones, ID numbers and townships of the contacts (masked on output).
    fmt : {"csv", "xlsx"}, optional
        Default from the file suffix.

    Returns
    -------
    Path

    Raises
    ------
    ValueError
        If the format is neither csv nor xlsx.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> ranked = pd.DataFrame({"contact_id": ["P1"], "tier": ["call_today"], "rank": [1],
    ...     "score": [40.0], "why": ["=HYPERLINK(1)"]})
    >>> out = export_contacts(ranked, pathlib.Path(tempfile.mkdtemp()) / "calls.csv")
    >>> out.read_text(encoding="utf-8-sig").splitlines()[1]
    "unknown,unknown,call_today,1,**,,,,40.0,,'=HYPERLINK(1)"
    """
    from tracelab.io.exports import write_csv, write_xlsx

    target = Path(path)
    fmt = fmt or target.suffix.lstrip(".").lower()  # type: ignore[assignment]
    if fmt not in ("csv", "xlsx"):
        raise ValueError(f"fmt={fmt!r}; allowed: 'csv', 'xlsx' (or a .csv / .xlsx path)")
    table = call_list(ranked, persons)
    if fmt == "csv":
        return write_csv(table, target)
    return write_xlsx(table, target, sheet_name="call list")
