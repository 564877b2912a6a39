"""``read_venues``: the place-code registry, checked against the seed notice's rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab._time import now_utc
from tracelab.io.checks import Loaded, RowChecker, check_profile, open_raw
from tracelab.io.files import ColumnMap
from tracelab.io.parse import (
    FIRST_YEAR,
    LAST_YEAR,
    blank,
    parse_colours,
    parse_floats,
    parse_times,
    time_hint,
    time_out_of_range,
)
from tracelab.model import coords, ids, reference, regions
from tracelab.model import schema as s
from tracelab.model.regions import Region
from tracelab.privacy.pseudonyms import is_pseudonym, scrub_shapes

__all__ = ["read_venues", "infer_id_kind", "log_venues"]

#: Identity and location: without them a venue can be neither traced nor placed.
REQUIRED = (s.VENUE_ID, s.LON, s.LAT)
#: The other fields the application guide requires: a venue failing one of them is kept for
#: tracing and listed as a registry fault.
REGISTRY = (s.NAME, s.VENUE_TYPE, s.OWNER_NAME, s.OWNER_ID, s.APPLICANT_PHONE, s.CITY,
            s.COUNTY, s.TOWNSHIP, s.ADDRESS)
_TEXT = (s.VENUE_ID, s.NAME, s.VENUE_TYPE, s.OWNER_NAME, s.OWNER_ID, s.APPLICANT_PHONE,
         s.CITY, s.COUNTY, s.TOWNSHIP, s.ADDRESS, s.PARENT_VENUE_ID)
#: Venue type given to a kept venue whose registered type is unknown.
OTHER_TYPE = "other"
#: ``research`` profile: a venue needs only its id.
REQUIRED_RESEARCH = (s.VENUE_ID,)
_KIND_WORDS = {
    s.USCC: ("uscc", "统一社会信用代码", "信用代码"),
    s.REGNO: ("regno", "工商注册号", "注册号", "营业执照注册号"),
    s.RESIDENT_ID: ("resident_id", "身份证", "身份证号", "居民身份证"),
}
_STATUS_WORDS = {s.ACTIVE: ("active", "正常", "启用", "有效"), s.SUSPENDED: ("suspended", "停用", "暂停", "无效")}


def _words(table: Mapping[str, tuple[str, ...]], values: pd.Series) -> pd.Series:
    lookup = {w.casefold(): k for k, ws in table.items() for w in ws}
    return values.astype(str).str.strip().str.casefold().map(lookup)


def infer_id_kind(value: str) -> str:
    """Guess an owner ID's kind from its shape: 15 digits regno, 18 a USCC or resident ID.

    Examples
    --------
    >>> infer_id_kind("110105600012340"), infer_id_kind("92110105600123450G")
    ('regno', 'uscc')
    >>> infer_id_kind("11010520030302224X")
    'resident_id'
    """
    v = str(value).strip().upper()
    if len(v) == 15 and v.isdigit():
        return s.REGNO
    if len(v) == 18 and v[:17].isdigit() and v[6:8] in ("19", "20"):
        return s.RESIDENT_ID
    return s.USCC


def read_venues(
    path: str | Path,
    *,
    region: Region | str | None = None,
    crs: str | None = None,
    now: pd.Timestamp | str | None = None,
    encoding: str | None = None,
    zone: str | None = None,
    profile: str = "strict",
    columns: ColumnMap | None = None,
) -> Loaded:
    """Read and check a venue registry (场所码 申领 records).

    A venue needs a code and a usable position inside the region: a row without them is
    rejected (and so are scans of it, as ``venue_rejected``). The other rules of the
    application guide (SEED-notice.txt, DOMAIN.md section 9.2) — every field filled, a
    known venue type, an owner ID valid for its kind, a mainland mobile, one venue code per
    applicant phone, a green applicant, the region's county and townships, a readable
    registration time — are registry faults: the venue is kept for tracing, its
    ``registry_fault`` names the rules it fails, and ``Loaded.faults`` lists each one.

    Parameters
    ----------
    path : str or Path
        CSV (UTF-8/GBK/GB18030), XLSX, Parquet or GeoJSON, English or Chinese headers.
    region : Region or str, optional
        The region this registry covers (:func:`tracelab.model.regions.region` code or
        name, or a :class:`~tracelab.model.regions.Region`); default inferred from the
        区县 column, else the venue codes.
    crs : {"GCJ-02", "WGS-84", "EPSG:4326", "EPSG:4490"}, optional
        Frame of the positions in the file; stored positions are WGS-84. Default the
        region's ``file_crs``: positions picked on an Alipay or WeChat map are GCJ-02.
    now : Timestamp or str, optional
        Reference time for "in the future" (default: the current time).
    encoding : str, optional
        Override CSV encoding detection.
    zone : str, optional
        Zone of times that carry none; default the region's.
    profile : {"strict", "research"}
        ``strict`` (default): the 赣通码 registry rules above. ``research``: a venue needs
        only its id; name, type (else ``other``) and position (WGS-84 by default, anywhere
        on earth, else empty) are taken when given; no registration rule applies, and the
        region is checked only when one is given.
    columns : mapping, optional
        Column mapping for other headers (:func:`tracelab.io.files.map_columns`).

    Returns
    -------
    Loaded
        ``accepted`` with ``schema.VENUE_COLUMNS``, ``rejected`` and ``faults`` with
        ``schema.REJECTION_COLUMNS``; ``set_aside`` has the ``venue_id``, ``row`` and
        ``reason`` of rejected rows.

    Raises
    ------
    tracelab.model.regions.RegionError
        When the region cannot be inferred, or the registry is of another shipped region
        than ``region`` and none of its venues lies in ``region``: the message names both.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "venues.csv"
    >>> _ = p.write_text(
    ...     "场所编码,场所名称,场所类型,主体名称,证件号码,申领手机号,地市,区县,乡镇,经度,纬度,详细地址\\n"
    ...     "V1,好又多超市,超市,好又多商贸,92360121600123450P,13123456789,"
    ...     "南昌市,南昌县,莲塘镇,116.151,28.616,莲塘镇建设路1号\\n"
    ...     "V2,好又多二店,超市,好又多商贸,,13123456789,"
    ...     "南昌市,南昌县,莲塘镇,116.152,28.617,莲塘镇建设路2号\\n")
    >>> venues, rejected = read_venues(p)
    >>> venues[["venue_id", "registry_fault"]].values.tolist()
    [['V1', None], ['V2', 'missing_value;duplicate_applicant_phone']]
    >>> len(rejected)
    0
    """
    if check_profile(profile) == "research":
        return _read_research(path, region, crs, encoding, columns)
    chk, done = open_raw(path, encoding, "venue", REQUIRED, values=(s.VENUE_ID,),
                         columns=columns)
    if done is not None:
        return replace(done, accepted=_empty())
    f = chk.frame
    chk.limit_lengths(_TEXT)
    chk.reject_scientific((s.VENUE_ID,))
    text = {c: (f[c].astype(str).str.strip() if c in f.columns
                else pd.Series("", index=f.index, dtype=object)) for c in _TEXT}
    venue_ids = text[s.VENUE_ID]
    chk.reject(venue_ids.where(chk.good).duplicated().to_numpy() & chk.good, s.VENUE_ID,
               "duplicate_venue_id", "venue_id {value} appears on an earlier row")

    r = _region(region, text, chk.raw.source)
    crs = crs or r.file_crs
    zone = zone or r.zone
    wlon, wlat = _position(chk, f, r, crs)
    _check_region(chk, f, r, wlon, wlat, explicit=region is not None)

    for column in REGISTRY:
        if column not in f.columns:
            chk.file_fault("missing_column", f"column {column} is absent: every venue lacks it; "
                           "the venues are kept for tracing", column=column)
        else:
            chk.flag(blank(f[column]), column, "missing_value",
                     f"{column} is empty; the application guide requires it")

    types = reference.venue_type_codes(text[s.VENUE_TYPE])
    allowed = "、".join(reference.venue_types()[s.NAME_ZH])
    chk.flag((types.isna() & ~pd.Series(blank(text[s.VENUE_TYPE]), index=f.index)).to_numpy(),
             s.VENUE_TYPE, "unknown_venue_type",
             f"venue_type {{value}} is not in the venue-type table (allowed: {allowed}); "
             f"kept as {OTHER_TYPE}")
    types = types.fillna(OTHER_TYPE)

    # A protected registry (tracelab.privacy.boundary.protect_venues, e.g. a layout read
    # back) holds keyed pseudonyms for sole traders' IDs and applicants' phones: kept as
    # they are, neither upper-cased nor checked as numbers.
    owner_pseudonym = text[s.OWNER_ID].map(is_pseudonym).astype(bool)
    owner_id = text[s.OWNER_ID].str.upper().where(~owner_pseudonym, text[s.OWNER_ID])
    owner_given = ~pd.Series(blank(text[s.OWNER_ID]), index=f.index)
    if s.OWNER_ID_KIND in f.columns:
        kinds = _words(_KIND_WORDS, f[s.OWNER_ID_KIND])
        kinds = kinds.where(~pd.Series(blank(f[s.OWNER_ID_KIND])), owner_id.map(infer_id_kind))
        chk.flag(kinds.isna().to_numpy(), s.OWNER_ID_KIND, "bad_owner_id_kind",
                 "owner_id_kind {value} is not uscc, regno or resident_id "
                 "(统一社会信用代码, 工商注册号, 身份证)")
    else:
        kinds = owner_id.map(infer_id_kind)
    kinds = kinds.where(owner_given, None)
    problems = pd.Series(
        [ids.id_problem(k, v) if ok and isinstance(k, str) else None
         for k, v, ok in zip(kinds, owner_id, chk.good & owner_given.to_numpy()
                            & ~owner_pseudonym.to_numpy(), strict=True)],
        index=f.index, dtype=object)
    chk.flag(problems.notna().to_numpy(), s.OWNER_ID, "bad_check_digit",
             "owner_id (" + kinds.astype(str) + "): " + problems.astype(str))
    phones = text[s.APPLICANT_PHONE]
    phone_given = ~blank(phones)
    phone_ok = phones.map(lambda v: ids.is_mobile(v) or is_pseudonym(v)).astype(bool).to_numpy()
    chk.flag(phone_given & ~phone_ok, s.APPLICANT_PHONE, "bad_phone",
             "applicant_phone {value} is not a mainland mobile number (11 digits, 1[3-9]…)")
    if s.APPLICANT_COLOUR in f.columns:
        colour = parse_colours(f[s.APPLICANT_COLOUR])
        chk.flag((colour.isna() & ~pd.Series(blank(f[s.APPLICANT_COLOUR]))).to_numpy(),
                 s.APPLICANT_COLOUR, "bad_colour",
                 "applicant_code_color {value} is not green, yellow or red (绿/黄/红)")
        chk.flag((colour.notna() & (colour != s.GREEN)).to_numpy(), s.APPLICANT_COLOUR,
                 "applicant_not_green",
                 "applicant_code_color is {value}: only a green-code holder may apply "
                 "for a venue code")

    township_codes = _townships(chk, text, r, wlon, wlat)

    now_at = now_utc(now)
    registered = pd.Series(pd.NaT, index=f.index, dtype="datetime64[ns, UTC]")
    if s.REGISTERED_AT in f.columns:
        empty = blank(f[s.REGISTERED_AT])
        registered = parse_times(f[s.REGISTERED_AT], zone)
        unread = registered.isna().to_numpy() & ~empty
        far = np.zeros(len(f), dtype=bool)
        if unread.any():
            far[unread] = time_out_of_range(f[s.REGISTERED_AT][unread])
        chk.flag(far, s.REGISTERED_AT, "time_out_of_range",
                 f"registered_at {{value}} is outside the years {FIRST_YEAR}-{LAST_YEAR} an "
                 "instant can hold: a wrong year, or epoch time in the wrong unit")
        chk.flag(unread & ~far, s.REGISTERED_AT, "bad_time",
                 lambda v: f"registered_at {v!r} is not a time{time_hint(v)} (use "
                 "2022-11-18 08:05:03, 2022/11/18 08:05:03, 2022年11月18日 08:05 or epoch ms)")
        future = (registered > now_at).to_numpy()
        chk.flag(future, s.REGISTERED_AT, "future_time",
                 f"registered_at {{value}} is after the load time {now_at:%Y-%m-%d %H:%M} UTC")
        registered = registered.where(~future)
    status = pd.Series(s.ACTIVE, index=f.index, dtype=object)
    if s.STATUS in f.columns:
        empty = blank(f[s.STATUS])
        status = _words(_STATUS_WORDS, f[s.STATUS]).where(~pd.Series(empty), s.ACTIVE)
        chk.flag(status.isna().to_numpy(), s.STATUS, "bad_status",
                 "status {value} is not active or suspended (正常/停用); taken as active")
        status = status.fillna(s.ACTIVE)

    norm_phone = phones.map(lambda p: ids.normalise_mobile(p) if ids.is_mobile(p) else p)
    holder = chk.good & phone_ok
    first_venue = _first_holder(norm_phone, venue_ids, holder)
    dup_phone = holder & first_venue.notna().to_numpy() & (first_venue != venue_ids).to_numpy()
    chk.flag(dup_phone, s.APPLICANT_PHONE, "duplicate_applicant_phone",
             "applicant_phone already holds the code of venue " + first_venue.astype(str)
             + "; the guide allows one code per phone number")

    keep = chk.good
    faults = chk.faults()
    by_row = (faults[faults[s.ROW] > 0].groupby(s.ROW, sort=False)[s.REASON]
              .agg(lambda x: ";".join(dict.fromkeys(x))))
    fault_text = pd.Series(chk.raw.rows, index=f.index).map(by_row)
    accepted = pd.DataFrame({
        s.VENUE_ID: venue_ids[keep], s.NAME: text[s.NAME][keep],
        s.VENUE_TYPE: types[keep], s.OWNER_NAME: text[s.OWNER_NAME][keep],
        s.OWNER_ID_KIND: kinds[keep], s.OWNER_ID: owner_id.where(owner_given, None)[keep],
        s.APPLICANT_PHONE: norm_phone.where(phone_given, None)[keep],
        s.APPLICANT_COLOUR: s.GREEN if s.APPLICANT_COLOUR in f.columns else None,
        s.CITY: text[s.CITY][keep], s.COUNTY: text[s.COUNTY][keep],
        s.TOWNSHIP: _township_names(r, township_codes)[keep], s.TOWNSHIP_CODE: township_codes[keep],
        s.LON: wlon[keep], s.LAT: wlat[keep], s.ADDRESS: text[s.ADDRESS][keep],
        s.REGISTERED_AT: registered[keep], s.STATUS: status[keep],
        s.PARENT_VENUE_ID: text[s.PARENT_VENUE_ID][keep].replace("", None),
        s.REGISTRY_FAULT: fault_text[keep].astype(object).where(fault_text[keep].notna(), None),
    }).reset_index(drop=True)
    loaded = chk.finish(accepted.loc[:, list(s.VENUE_COLUMNS)])
    return replace(loaded, set_aside=chk.rejected_keys({s.VENUE_ID: venue_ids}))


def _read_research(path: str | Path, region: Region | str | None, crs: str | None,
                   encoding: str | None, columns: ColumnMap | None) -> Loaded:
    chk, done = open_raw(path, encoding, "venue", REQUIRED_RESEARCH, columns=columns)
    if done is not None:
        return replace(done, accepted=_empty())
    f = chk.frame
    chk.limit_lengths(_TEXT)
    chk.reject_scientific((s.VENUE_ID,))
    venue_ids = f[s.VENUE_ID].astype(str).str.strip()
    chk.reject(venue_ids.where(chk.good).duplicated().to_numpy() & chk.good, s.VENUE_ID,
               "duplicate_venue_id", "venue_id {value} appears on an earlier row")
    where = regions.region(region) if region is not None else None
    lon, lat = _research_position(chk, f, where, crs or (where.file_crs if where else "WGS-84"))
    keep = chk.good
    accepted = log_venues(f[keep].assign(**{s.VENUE_ID: venue_ids[keep], s.LON: lon[keep],
                                            s.LAT: lat[keep]}), where)
    return replace(chk.finish(accepted), set_aside=chk.rejected_keys({s.VENUE_ID: venue_ids}))


def _research_position(chk: RowChecker, f: pd.DataFrame, where: Region | None, crs: str
                       ) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 positions where given (NaN where not); bad ones rejected."""
    n = len(f)
    if s.LON not in f.columns or s.LAT not in f.columns:
        return np.full(n, np.nan), np.full(n, np.nan)
    lon, lat = parse_floats(f[s.LON]).to_numpy(), parse_floats(f[s.LAT]).to_numpy()
    given = ~(blank(f[s.LON]) & blank(f[s.LAT]))
    shown = f[s.LON].astype(str) + ", " + f[s.LAT].astype(str)
    unreadable = given & (np.isnan(lon) | np.isnan(lat) | (np.abs(lon) > 180) | (np.abs(lat) > 90))
    chk.reject(unreadable, s.LON, "bad_coordinate",
               "position (lon, lat) {value} is not a pair of finite degrees", values=shown)
    chk.reject(given & (lon == 0) & (lat == 0), s.LON, "bad_coordinate",
               "position (lon, lat) is (0, 0): a missing GPS fix, not a place", values=shown)
    ok = given & ~unreadable
    wlon, wlat = np.full(n, np.nan), np.full(n, np.nan)
    if ok.any():
        wlon[ok], wlat[ok] = coords.to_wgs84(lon[ok], lat[ok], crs)
    if where is not None:
        chk.reject(ok & ~where.contains(wlon, wlat), s.LON, "outside_county",
                   f"position (lon, lat) {{value}} lies outside {where.label}", values=shown)
    return wlon, wlat


def log_venues(frame: pd.DataFrame, region: Region | None = None) -> pd.DataFrame:
    """Venues of a research log: ``schema.VENUE_COLUMNS`` from what the log has.

    ``frame`` has ``venue_id`` and any of ``name``, ``venue_type`` (labels or codes;
    unknown or missing ones become ``other``), ``lon``, ``lat`` (WGS-84 degrees); the
    township is assigned from the position when a region is given.

    Examples
    --------
    >>> log_venues(pd.DataFrame({"venue_id": ["a", "b"], "venue_type": ["超市", "karaoke"],
    ...                          "lon": [127.0, None], "lat": [37.5, None]}))[
    ...     ["venue_id", "venue_type", "lon"]].values.tolist()
    [['a', 'supermarket', 127.0], ['b', 'other', nan]]
    """
    n = len(frame)

    def text(column: str) -> pd.Series:
        if column in frame:
            return frame[column].astype(object).where(frame[column].notna(), None)
        return pd.Series([None] * n, index=frame.index, dtype=object)

    types = (reference.venue_type_codes(frame[s.VENUE_TYPE].astype(str)) if s.VENUE_TYPE in frame
             else pd.Series(pd.NA, index=frame.index, dtype="string"))
    lon = pd.to_numeric(frame[s.LON], errors="coerce") if s.LON in frame else np.full(n, np.nan)
    lat = pd.to_numeric(frame[s.LAT], errors="coerce") if s.LAT in frame else np.full(n, np.nan)
    codes = (pd.Series(region.assign(lon, lat), index=frame.index) if region is not None
             else pd.Series([None] * n, index=frame.index, dtype=object))
    out = pd.DataFrame({c: [None] * n for c in s.VENUE_COLUMNS}, index=frame.index, dtype=object)
    out[s.VENUE_ID] = frame[s.VENUE_ID].astype(str).to_numpy()
    out[s.NAME] = text(s.NAME)
    out[s.VENUE_TYPE] = types.astype(object).where(types.notna(), OTHER_TYPE)
    out[s.LON], out[s.LAT] = np.asarray(lon, float), np.asarray(lat, float)
    out[s.TOWNSHIP_CODE] = codes
    out[s.STATUS] = s.ACTIVE
    out[s.REGISTERED_AT] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    return out.reset_index(drop=True).loc[:, list(s.VENUE_COLUMNS)]


def _region(region: Region | str | None, text: dict[str, pd.Series], source: str) -> Region:
    if region is not None:
        return regions.region(region)
    found = regions.infer_region(text[s.COUNTY]) or regions.infer_region(text[s.VENUE_ID])
    if found is None:
        raise regions.RegionError(
            msg("{source}: cannot tell which region this registry covers (区县 {county} names no "
                "shipped region); pass region= (--region) with a code, a name or your own "
                "township table", source=source, county=_sample(text[s.COUNTY])))
    return found


def _sample(values: pd.Series) -> str:
    # Shown in an error message: a phone typed into the 区县 column must not be.
    seen = [str(scrub_shapes(v))[:40] for v in dict.fromkeys(values.astype(str)) if v][:3]
    return "、".join(seen) if seen else "empty"


def _position(chk: RowChecker, f: pd.DataFrame, r: Region, crs: str
              ) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 positions; unusable ones rejected, swapped ones fixed and listed."""
    lon, lat = parse_floats(f[s.LON]).to_numpy(), parse_floats(f[s.LAT]).to_numpy()
    shown = f[s.LON].astype(str) + ", " + f[s.LAT].astype(str)
    with np.errstate(invalid="ignore"):
        wlon, wlat = coords.to_wgs84(np.nan_to_num(lon), np.nan_to_num(lat), crs)
        slon, slat = coords.to_wgs84(np.nan_to_num(lat), np.nan_to_num(lon), crs)
    finite = ~(np.isnan(lon) | np.isnan(lat))
    swapped = chk.good & finite & ~r.contains(wlon, wlat) & r.contains(slon, slat)
    lon, lat = np.where(swapped, lat, lon), np.where(swapped, lon, lat)
    unreadable = ~finite | (np.abs(lon) > 180) | (np.abs(lat) > 90)
    chk.reject(unreadable, s.LON, "bad_coordinate",
               "position (lon, lat) {value} is not a pair of finite degrees", values=shown)
    chk.reject((lon == 0) & (lat == 0), s.LON, "bad_coordinate",
               "position (lon, lat) is (0, 0): a missing GPS fix, not a place", values=shown)
    chk.flag(swapped, s.LAT, "swapped_lat_lon",
             "position (lon, lat) {value} has latitude and longitude swapped; kept swapped back",
             values=shown)
    return np.where(swapped, slon, wlon), np.where(swapped, slat, wlat)


def _check_region(chk: RowChecker, f: pd.DataFrame, r: Region, lon: np.ndarray,
                  lat: np.ndarray, *, explicit: bool) -> None:
    """Reject positions outside the region; refuse a registry of another region whole."""
    inside = r.contains(lon, lat)
    county = f[s.COUNTY].astype(str).str.strip() if s.COUNTY in f.columns else None
    if explicit and not (inside & chk.good).any() and chk.good.any():
        other = regions.infer_region(county) if county is not None else None
        if other is not None and other.code != r.code:
            raise regions.RegionError(
                msg("{source}: this registry is of {label}, not {asked} as asked: none of its "
                    "venues lies in {name}; pass --region {code} (region={code!r}) or leave it "
                    "out to infer it", source=chk.raw.source, label=other.label, asked=r.label,
                    name=r.name, code=other.code))
    extent = ", ".join(f"{v:.3f}" for v in r.extent)
    shown = f[s.LON].astype(str) + ", " + f[s.LAT].astype(str)
    chk.reject(~inside, s.LON, "outside_county",
               f"position (lon, lat) {{value}} lies outside {r.label} (extent {extent}, "
               "WGS-84, after conversion from the file's frame)", values=shown)
    if county is not None:
        other_county = ~county.map(r.is_named).to_numpy(bool) & ~blank(county)
        chk.flag(other_county, s.COUNTY, "outside_county",
                 f"county {{value}} is not {r.label}; kept, as its position lies in {r.name}")


def _townships(chk: RowChecker, text: dict[str, pd.Series], r: Region, lon: np.ndarray,
               lat: np.ndarray) -> pd.Series:
    """Township codes: the declared township, else the one the position falls in."""
    declared = text[s.TOWNSHIP].map(r.township_code)
    unknown = declared.isna().to_numpy() & ~blank(text[s.TOWNSHIP])
    allowed = "、".join(r.townships[s.TOWNSHIP].head(40))
    chk.flag(unknown, s.TOWNSHIP, "unknown_township",
             f"township {{value}} is not a township of {r.label} (e.g. {allowed}); kept in the "
             "township its position falls in")
    by_position = pd.Series(r.assign(lon, lat), index=text[s.TOWNSHIP].index, dtype=object)
    return declared.astype(object).where(declared.notna(), by_position)


def _township_names(r: Region, codes: pd.Series) -> pd.Series:
    names = dict(zip(r.townships[s.TOWNSHIP_CODE], r.townships[s.TOWNSHIP], strict=True))
    return codes.map(names).astype(object)


def _first_holder(phones: pd.Series, venue_ids: pd.Series, good: np.ndarray) -> pd.Series:
    """For each row, the venue id of the first good row with the same phone."""
    frame = pd.DataFrame({"p": phones, "v": venue_ids})[good]
    first = frame.drop_duplicates("p").set_index("p")["v"]
    return phones.map(first)


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in s.VENUE_COLUMNS})
