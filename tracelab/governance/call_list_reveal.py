"""What the authorised call list reads, and the one reveal: pseudonyms back to people.

The inputs of :func:`tracelab.governance.call_lists.write_call_list`: the exposures
``tracelab trace`` wrote (:func:`read_exposures`) and their ranking (:func:`check_ranked`),
both pseudonymised; and the county's raw data folder, from which :func:`identities`, the
**only** place pseudonyms are mapped back to raw values, matches the listed contacts to
their names, phones, ID numbers and residences (``persons.*`` is read here and nowhere
else). Callers mask whatever the role may not reveal before it goes anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab._validate import require_columns
from tracelab.io import DataDir, find_table
from tracelab.io.files import detect_encoding
from tracelab.io.parse import clean_ids, unwrap_cells
from tracelab.model import ids
from tracelab.model import schema as s
from tracelab.model.regions import all_townships
from tracelab.model.schema import RANK, TIER, TIERS
from tracelab.privacy import pseudonyms as privacy

__all__ = ["read_exposures", "check_ranked", "identities", "residence", "township_names",
           "text", "UNKNOWN_TOWNSHIP"]

PERSON_NAME, ID_NUMBER, PHONE = s.PERSON_NAME, s.ID_NUMBER, s.PHONE
#: Township of a contact whose residence is not known.
UNKNOWN_TOWNSHIP = "unknown"

#: Headers of persons.* as counties keep them: the English names, or these.
_PERSON_HEADERS: Mapping[str, tuple[str, ...]] = {
    s.PERSON_ID: ("人员编号", "人员ID", "个人编号"),
    PERSON_NAME: ("姓名",),
    PHONE: ("手机号", "手机号码", "联系电话", "电话"),
    ID_NUMBER: ("身份证号", "身份证号码", "证件号码"),
    s.TOWNSHIP_CODE: ("乡镇编码", "乡镇代码", "居住乡镇编码"),
    s.HOME_VENUE_ID: ("居住场所编码", "住址场所编码"),
}
_PERSON_VALUES = (PERSON_NAME, PHONE, ID_NUMBER, s.TOWNSHIP_CODE, s.HOME_VENUE_ID)


def text(value: object) -> str | None:
    """A cell as text: stripped, None when blank; a number read from Parquet as its digits."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return None
        if float(value).is_integer():  # a phone or an id read as a number
            value = int(value)
    text = str(value).strip()
    return text or None


def read_exposures(path: str | Path) -> pd.DataFrame:
    """The exposures table ``tracelab trace`` wrote (CSV or Parquet), with typed columns.

    Parameters
    ----------
    path : str or Path
        ``schema.EXPOSURE_COLUMNS``; person ids must be pseudonyms.

    Returns
    -------
    pandas.DataFrame
        Times tz-aware UTC, ``hop`` int64, ``overlap_minutes`` float64.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ValueError
        If the format is not CSV or Parquet, a column is missing, a time cannot be read,
        the table is empty, or a person id is not a pseudonym (shown masked).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "exposures.csv"
    >>> _ = p.write_text(
    ...     "case_id,contact_id,venue_id,hop,case_t_in,overlap_start,overlap_end,"
    ...     "overlap_minutes\\np_00000000000000aa,p_00000000000000bb,V1,1,"
    ...     "2022-11-18T00:00:00+00:00,2022-11-18T00:05:00+00:00,"
    ...     "2022-11-18T00:35:00+00:00,30.0\\n", encoding="utf-8")
    >>> read_exposures(p)[["contact_id", "overlap_start", "overlap_minutes"]]
               contact_id             overlap_start  overlap_minutes
    0  p_00000000000000bb 2022-11-18 00:05:00+00:00             30.0
    """
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(msg("--exposures {file}: no such file", file=file))
    if file.suffix.lower() == ".csv":
        frame = pd.read_csv(file, dtype=str, encoding="utf-8-sig", keep_default_na=False,
                            na_values=[""])
    elif file.suffix.lower() == ".parquet":
        frame = pd.read_parquet(file)
    else:
        raise ValueError(msg("--exposures {name}: {suffix!r} is not an exposures file; give the "
                             ".csv (or .parquet) `tracelab trace` writes", name=file.name,
                             suffix=file.suffix))
    needed = (s.CASE_ID, s.CONTACT_ID, s.VENUE_ID, s.HOP, s.CASE_T_IN, s.OVERLAP_START,
              s.OVERLAP_END, s.OVERLAP_MIN)
    require_columns(frame, needed, f"--exposures {file.name}",
                    hint=msg("give the file `tracelab trace` writes"))
    if not len(frame):
        raise ValueError(msg("--exposures {name}: no exposure rows, so nobody to call",
                             name=file.name))
    out = frame.copy()
    for column in (s.CASE_ID, s.CONTACT_ID, s.VENUE_ID):
        out[column] = unwrap_cells(out[column].astype("object")).map(text).astype("object")
    for column in (s.CASE_ID, s.CONTACT_ID):
        bad = [v for v in out[column] if not privacy.is_pseudonym(v)]
        if bad:
            raise ValueError(msg("--exposures {name}: {column} holds {n} value(s) that are not "
                                 "pseudonyms, e.g. {example!r}; give the file `tracelab trace` "
                                 "writes (person ids pseudonymised)", name=file.name,
                                 column=column, n=len(bad), example=ids.mask_id(bad[0])))
    for column in (s.CASE_T_IN, s.CASE_T_OUT, s.CONTACT_T_IN, s.CONTACT_T_OUT,
                   s.OVERLAP_START, s.OVERLAP_END):
        if column not in out:
            continue
        try:
            out[column] = pd.to_datetime(out[column], utc=True, format="ISO8601")
        except (ValueError, TypeError):
            raise ValueError(msg("--exposures {name}: column {column} holds a value that is not "
                                 "an ISO 8601 time with its offset, e.g. 2022-11-18T08:05:00+08:00",
                                 name=file.name, column=column)) from None
    try:
        out[s.HOP] = pd.to_numeric(out[s.HOP]).astype(np.int64)
        out[s.OVERLAP_MIN] = pd.to_numeric(out[s.OVERLAP_MIN]).astype(np.float64)
    except (ValueError, TypeError):
        raise ValueError(msg("--exposures {name}: hop and overlap_minutes must be numbers",
                             name=file.name)
                         ) from None
    return out


def _read_persons(folder: Path) -> pd.DataFrame | None:
    """``persons.*`` of the folder as text, canonical headers, or None without one.

    Read here, not by the loaders: a persons table is raw personal data that only this
    module's door reads, for the contacts of one list.
    """
    found = find_table(folder, "persons")
    if found is None:
        return None
    suffix = found.suffix.lower()
    try:
        if suffix in (".csv", ".txt"):
            encoding = detect_encoding(found)
            with open(found, encoding=encoding, newline="") as fh:
                header = fh.readline()
            # Commas, else the separator the header line uses (as the loaders read logs).
            sep = next((c for c in ",\t;|" if c in header), ",")
            frame = pd.read_csv(found, dtype=str, encoding=encoding, sep=sep,
                                keep_default_na=False, na_values=[""])
        elif suffix == ".xlsx":
            frame = pd.read_excel(found, dtype=str)
        elif suffix == ".parquet":
            frame = pd.read_parquet(found)
        else:
            return None
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        if isinstance(exc, PermissionError):
            raise
        raise ValueError(msg("{found}: the persons table cannot be read ({kind}); give CSV, "
                             "XLSX or Parquet", found=found, kind=type(exc).__name__)) from None
    lookup = {h.casefold(): c for c, hs in _PERSON_HEADERS.items() for h in (c, *hs)}
    names: dict[str, str] = {}
    for header in frame.columns:
        canonical = lookup.get(str(header).replace("\ufeff", "").strip().casefold())
        if canonical is not None and canonical not in names.values():
            names[str(header)] = canonical
    frame = frame.rename(columns=names).loc[:, list(names.values())]
    if s.PERSON_ID not in frame:
        raise ValueError(msg("{found}: the persons table has no person_id (人员编号) column, so its "
                             "names and phones cannot be matched; add it or remove the file",
                             found=found))
    out = pd.DataFrame({c: unwrap_cells(frame[c].map(text).astype("object"))
                        for c in frame.columns})
    out[s.PERSON_ID] = clean_ids(out[s.PERSON_ID])[0]
    return out[out[s.PERSON_ID].notna()].reset_index(drop=True)


def identities(data: DataDir, contacts: Sequence[str], key: bytes) -> pd.DataFrame:
    """Raw name, phone, ID number and residence of each listed contact (index: pseudonym).

    The door's only step from pseudonyms back to people: the raw person ids of the folder
    (the scans', and ``persons.*``'s) are pseudonymised under `key`, and only those that
    are listed contacts are kept. In 赣通码 exports the person id is the phone number, so
    a contact without a phone in ``persons.*`` gets the id when it is a mobile number (an
    ID number likewise). Callers mask whatever the role may not reveal before it goes
    anywhere.
    """
    wanted = pd.Index(list(dict.fromkeys(contacts)), dtype="object")
    out = pd.DataFrame({c: pd.Series(None, index=wanted, dtype="object")
                        for c in _PERSON_VALUES})
    found = pd.Series(False, index=wanted)
    persons = _read_persons(data.path)
    if persons is not None:
        keyed = persons.assign(_p=privacy.pseudonymise(persons[[s.PERSON_ID]], [s.PERSON_ID],
                                                       key)[s.PERSON_ID].to_numpy())
        keyed = keyed[keyed["_p"].isin(wanted)].drop_duplicates("_p").set_index("_p")
        for column in _PERSON_VALUES:
            if column in keyed:
                out[column] = wanted.map(keyed[column]).to_numpy(dtype=object)
        found |= wanted.isin(keyed.index)
    raw = pd.unique(data.scans[s.PERSON_ID].astype("object").dropna()) if len(data.scans) \
        else np.array([], dtype=object)
    raw = [r for r in raw if not privacy.is_pseudonym(r)]  # a pseudonymised folder: none
    by_pseudonym = {privacy.pseudonym(r, key): r for r in raw}
    raw_id = pd.Series([by_pseudonym.get(p) for p in wanted], index=wanted, dtype="object")
    found |= raw_id.notna()
    for column, test in ((PHONE, ids.is_mobile), (ID_NUMBER, ids.is_resident_id)):
        fill = out[column].isna() & raw_id.map(lambda v, t=test: v is not None and t(v))
        out.loc[fill, column] = raw_id[fill]
    phone = out[PHONE]
    out[PHONE] = phone.map(lambda v: ids.normalise_mobile(v) if ids.is_mobile(v) else v)
    out["_found"] = found
    return out


def residence(people: pd.DataFrame, venues: pd.DataFrame, names: Mapping[str, str]
               ) -> tuple[pd.Series, pd.Series]:
    """Township code and name of each contact's residence: persons.*, else home venue."""
    code = people[s.TOWNSHIP_CODE].astype("object")
    if s.TOWNSHIP_CODE in venues and len(venues):
        home = venues.drop_duplicates(s.VENUE_ID).set_index(s.VENUE_ID)[s.TOWNSHIP_CODE]
        code = code.where(code.notna(), people[s.HOME_VENUE_ID].map(home))
    code = code.map(text).fillna(UNKNOWN_TOWNSHIP).astype("str")
    return code, code.map(names).fillna(UNKNOWN_TOWNSHIP).astype("str")


def township_names(data: DataDir) -> dict[str, str]:
    """Township code -> name: the shipped tables, the region's, then the registry's."""
    names = dict(zip(all_townships()[s.TOWNSHIP_CODE], all_townships()[s.TOWNSHIP],
                     strict=True))
    if data.region is not None:
        t = data.region.townships
        names.update(zip(t[s.TOWNSHIP_CODE].astype(str), t[s.TOWNSHIP].astype(str),
                         strict=True))
    v = data.venues
    if s.TOWNSHIP_CODE in v and s.TOWNSHIP in v:
        pairs = v[[s.TOWNSHIP_CODE, s.TOWNSHIP]].dropna().drop_duplicates(s.TOWNSHIP_CODE)
        for code, name in zip(pairs[s.TOWNSHIP_CODE], pairs[s.TOWNSHIP], strict=True):
            names.setdefault(str(code), str(privacy.scrub_text(str(name))))
    return names


def _expected_tiers(ranks: pd.Series, calls_per_day: int) -> pd.Series:
    tier = np.where(ranks <= calls_per_day, 0, np.where(ranks <= 2 * calls_per_day, 1, 2))
    return pd.Series(np.asarray(TIERS, dtype=object)[tier], index=ranks.index)


def check_ranked(ranked: pd.DataFrame, exposures: pd.DataFrame, calls_per_day: int) -> None:
    require_columns(ranked, (s.CONTACT_ID, TIER, RANK), "ranked",
                    hint=msg("pass rank_contacts(exposures, ..., calls_per_day=N) output"))
    if s.CASE_ID in ranked:
        raise ValueError(msg("ranked has case_id: one row per (case, contact) pair; the call list "
                             "needs rank_contacts(..., per='contact')"))
    expected = _expected_tiers(ranked[RANK].astype(np.int64), calls_per_day)
    off = ranked[TIER].astype(str) != expected
    if off.any():
        first = ranked[off].iloc[0]
        raise ValueError(msg("ranked: rank {n} is {tier!r}, but calls_per_day={calls_per_day} "
                             "makes it {expected!r}; rank with rank_contacts(..., "
                             "calls_per_day={calls_per_day})", n=int(first[RANK]),
                             tier=first[TIER], calls_per_day=calls_per_day,
                             expected=expected[off].iloc[0]))
    stray = ~ranked[s.CONTACT_ID].isin(set(exposures[s.CONTACT_ID]))
    if stray.any():
        raise ValueError(msg("ranked: {n} contact(s) are not in exposures, e.g. {example!r}; rank "
                             "the same exposures you pass", n=int(stray.sum()),
                             example=ids.mask_id(ranked.loc[stray, s.CONTACT_ID].iloc[0])))
    bad = [c for c in ranked[s.CONTACT_ID] if not privacy.is_pseudonym(c)]
    if bad:
        raise ValueError(msg("ranked: contact_id holds {n} value(s) that are not pseudonyms, e.g. "
                             "{example!r}; trace pseudonymised data", n=len(bad),
                             example=ids.mask_id(bad[0])))
