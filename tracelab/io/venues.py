"""``read_venues``: the place-code registry, checked against the seed notice's rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from tracelab._time import now_utc
from tracelab.io.checks import Loaded, open_raw
from tracelab.io.parse import blank, parse_colours, parse_floats, parse_times
from tracelab.model import coords, ids, reference
from tracelab.model import schema as s

__all__ = ["read_venues", "infer_id_kind"]

REQUIRED = (
    s.VENUE_ID, s.NAME, s.VENUE_TYPE, s.OWNER_NAME, s.OWNER_ID, s.APPLICANT_PHONE,
    s.CITY, s.COUNTY, s.TOWNSHIP, s.LON, s.LAT, s.ADDRESS,
)
_TEXT = (s.VENUE_ID, s.NAME, s.VENUE_TYPE, s.OWNER_NAME, s.OWNER_ID, s.APPLICANT_PHONE,
         s.CITY, s.COUNTY, s.TOWNSHIP, s.ADDRESS, s.PARENT_VENUE_ID)
_KIND_WORDS = {
    s.USCC: ("uscc", "统一社会信用代码", "信用代码"),
    s.REGNO: ("regno", "工商注册号", "注册号", "营业执照注册号"),
    s.RESIDENT_ID: ("resident_id", "身份证", "身份证号", "居民身份证"),
}
_STATUS_WORDS = {s.ACTIVE: ("active", "正常", "启用", "有效"), s.SUSPENDED: ("suspended", "停用", "暂停", "无效")}
#: Slack around the county's bounding box, degrees (≈ 1 km): positions picked on a phone map
#: at the county edge must not be lost to rounding.
EXTENT_MARGIN_DEG = 0.01


def _words(table: Mapping[str, tuple[str, ...]], values: pd.Series) -> pd.Series:
    lookup = {w.casefold(): k for k, ws in table.items() for w in ws}
    return values.astype(str).str.strip().str.casefold().map(lookup)


def infer_id_kind(value: str) -> str:
    """Guess an owner ID's kind from its shape: 15 digits regno, 18 a USCC or resident ID.

    Examples
    --------
    >>> infer_id_kind("360323600012341"), infer_id_kind("92360323600123450Y")
    ('regno', 'uscc')
    >>> infer_id_kind("36032320030302224X")
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
    crs: str = "GCJ-02",
    county: str = reference.COUNTY_NAME,
    extent: tuple[float, float, float, float] = reference.COUNTY_EXTENT,
    now: pd.Timestamp | str | None = None,
    encoding: str | None = None,
    zone: str = s.DEFAULT_ZONE,
) -> Loaded:
    """Read and check a venue registry (场所码 申领 records).

    Rules of the application guide (SEED-notice.txt, DOMAIN.md section 9.2): every field is
    required; the venue type comes from the venue-type table; the owner ID is valid for its
    kind (USCC, 15-digit registration number or resident ID, inferred from its shape when
    no kind column is given); one venue code per applicant phone (a second is rejected,
    naming the first); an applicant whose code was not green is rejected; the position lies
    inside the declared county.

    Parameters
    ----------
    path : str or Path
        CSV (UTF-8/GBK/GB18030), XLSX, Parquet or GeoJSON, English or Chinese headers.
    crs : {"GCJ-02", "WGS-84", "EPSG:4326", "EPSG:4490"}
        Frame of the positions in the file; stored positions are WGS-84. Positions picked on
        an Alipay or WeChat map are GCJ-02 (DOMAIN.md section 8), hence the default.
    county : str
        The county this registry covers (name or 6-digit code).
    extent : tuple of float
        (min lon, min lat, max lon, max lat) of that county, WGS-84.
    now : Timestamp or str, optional
        Reference time for "in the future" (default: the current time).
    encoding : str, optional
        Override CSV encoding detection.
    zone : str
        Zone of times that carry none.

    Returns
    -------
    Loaded
        ``accepted`` with ``schema.VENUE_COLUMNS``, ``rejected`` with
        ``schema.REJECTION_COLUMNS``; unpacks as ``(accepted, rejected)``.

    Notes
    -----
    The county test is a bounding box, not the true outline. The applicant-colour rule is
    checked only when the file has that column (exports may not carry it).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "venues.csv"
    >>> _ = p.write_text(
    ...     "场所编码,场所名称,场所类型,主体名称,证件号码,申领手机号,地市,区县,乡镇,经度,纬度,详细地址\\n"
    ...     "V1,好又多超市,超市,好又多商贸,92360323600123450Y,13123456789,"
    ...     "萍乡市,芦溪县,芦溪镇,114.035,27.627,芦溪镇建设路1号\\n"
    ...     "V2,好又多二店,超市,好又多商贸,92360323600123450Y,13123456789,"
    ...     "萍乡市,芦溪县,芦溪镇,114.036,27.628,芦溪镇建设路2号\\n")
    >>> venues, rejected = read_venues(p)
    >>> venues[["venue_id", "venue_type", "owner_id_kind"]].values.tolist()
    [['V1', 'supermarket', 'uscc']]
    >>> rejected[["row", "reason"]].values.tolist()
    [[2, 'duplicate_applicant_phone']]
    """
    chk, done = open_raw(path, encoding, "venue", REQUIRED)
    if done is not None:
        return replace(done, accepted=_empty())
    f = chk.frame
    chk.limit_lengths(_TEXT)
    text = {c: f[c].astype(str).str.strip() for c in _TEXT if c in f.columns}

    types = reference.venue_type_codes(text[s.VENUE_TYPE])
    allowed = "、".join(reference.venue_types()[s.NAME_ZH])
    chk.reject(types.isna().to_numpy(), s.VENUE_TYPE, "unknown_venue_type",
               f"venue_type {{value}} is not in the venue-type table; allowed: {allowed}")

    owner_id = text[s.OWNER_ID].str.upper()
    if s.OWNER_ID_KIND in f.columns:
        kinds = _words(_KIND_WORDS, f[s.OWNER_ID_KIND])
        kinds = kinds.where(~pd.Series(blank(f[s.OWNER_ID_KIND])), owner_id.map(infer_id_kind))
        chk.reject(kinds.isna().to_numpy(), s.OWNER_ID_KIND, "bad_owner_id_kind",
                   "owner_id_kind {value} is not uscc, regno or resident_id "
                   "(统一社会信用代码, 工商注册号, 身份证)")
    else:
        kinds = owner_id.map(infer_id_kind)
    problems = pd.Series(
        [ids.id_problem(k, v) if ok and isinstance(k, str) else None
         for k, v, ok in zip(kinds, owner_id, chk.good, strict=True)], index=f.index, dtype=object)
    chk.reject(problems.notna().to_numpy(), s.OWNER_ID, "bad_check_digit",
               "owner_id (" + kinds.astype(str) + "): " + problems.astype(str))
    phones = text[s.APPLICANT_PHONE]
    phone_ok = phones.map(ids.is_mobile).astype(bool)
    chk.reject(~phone_ok.to_numpy(), s.APPLICANT_PHONE, "bad_phone",
               "applicant_phone {value} is not a mainland mobile number (11 digits, 1[3-9]…)")

    if s.APPLICANT_COLOUR in f.columns:
        colour = parse_colours(f[s.APPLICANT_COLOUR])
        chk.reject((colour.isna() & ~pd.Series(blank(f[s.APPLICANT_COLOUR]))).to_numpy(),
                   s.APPLICANT_COLOUR, "bad_colour",
                   "applicant_code_color {value} is not green, yellow or red (绿/黄/红)")
        chk.reject((colour.notna() & (colour != s.GREEN)).to_numpy(), s.APPLICANT_COLOUR,
                   "applicant_not_green",
                   "applicant_code_color is {value}: only a green-code holder may apply "
                   "for a venue code")

    county_ok = text[s.COUNTY].isin([county, reference.COUNTY_NAME, reference.COUNTY_CODE]) \
        if county in (reference.COUNTY_NAME, reference.COUNTY_CODE) else text[s.COUNTY] == county
    chk.reject(~county_ok.to_numpy(), s.COUNTY, "outside_county",
               f"county {{value}} is not {county}, the county this registry covers")
    township_codes = text[s.TOWNSHIP].map(_township_code)
    chk.reject(township_codes.isna().to_numpy(), s.TOWNSHIP, "unknown_township",
               f"township {{value}} is not a township of {county}; allowed: "
               + "、".join(reference.townships()[s.TOWNSHIP]))

    lon, lat = parse_floats(f[s.LON]).to_numpy(), parse_floats(f[s.LAT]).to_numpy()
    shown = f[s.LON].astype(str) + ", " + f[s.LAT].astype(str)
    unreadable = np.isnan(lon) | np.isnan(lat) | (np.abs(lon) > 180) | (np.abs(lat) > 90)
    lo0, la0, lo1, la1 = extent
    m = EXTENT_MARGIN_DEG

    def inside(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return (x >= lo0 - m) & (x <= lo1 + m) & (y >= la0 - m) & (y <= la1 + m)

    with np.errstate(invalid="ignore"):
        wlon, wlat = coords.to_wgs84(np.nan_to_num(lon), np.nan_to_num(lat), crs)
        slon, slat = coords.to_wgs84(np.nan_to_num(lat), np.nan_to_num(lon), crs)
    chk.reject(~inside(wlon, wlat) & inside(slon, slat), s.LAT, "swapped_lat_lon",
               "position (lon, lat) {value} has latitude and longitude swapped", values=shown)
    chk.reject(unreadable, s.LON, "bad_coordinate",
               "position (lon, lat) {value} is not a pair of finite degrees", values=shown)
    chk.reject((lon == 0) & (lat == 0), s.LON, "bad_coordinate",
               "position (lon, lat) is (0, 0): a missing GPS fix, not a place", values=shown)
    chk.reject(~inside(wlon, wlat), s.LON, "outside_county",
               f"position (lon, lat) {{value}} ({crs}) lies outside {county} "
               f"({lo0}–{lo1} E, {la0}–{la1} N)", values=shown)

    now_at = now_utc(now)
    registered = pd.Series(pd.NaT, index=f.index, dtype="datetime64[ns, UTC]")
    if s.REGISTERED_AT in f.columns:
        empty = blank(f[s.REGISTERED_AT])
        registered = parse_times(f[s.REGISTERED_AT], zone)
        chk.reject(registered.isna().to_numpy() & ~empty, s.REGISTERED_AT, "bad_time",
                   "registered_at {value} is not a time (use 2022-11-18 08:05:03, "
                   "2022/11/18 08:05:03, 2022年11月18日 08:05 or epoch ms)")
        chk.reject((registered > now_at).to_numpy(), s.REGISTERED_AT, "future_time",
                   f"registered_at {{value}} is after the load time {now_at:%Y-%m-%d %H:%M} UTC")
    status = pd.Series(s.ACTIVE, index=f.index, dtype=object)
    if s.STATUS in f.columns:
        empty = blank(f[s.STATUS])
        status = _words(_STATUS_WORDS, f[s.STATUS]).where(~pd.Series(empty), s.ACTIVE)
        chk.reject(status.isna().to_numpy(), s.STATUS, "bad_status",
                   "status {value} is not active or suspended (正常/停用)")

    venue_ids = text[s.VENUE_ID]
    chk.reject(venue_ids.where(chk.good).duplicated().to_numpy() & chk.good, s.VENUE_ID,
               "duplicate_venue_id", "venue_id {value} appears on an earlier row")
    norm_phone = phones.map(lambda p: ids.normalise_mobile(p) if ids.is_mobile(p) else p)
    first_venue = _first_holder(norm_phone, venue_ids, chk.good)
    dup_phone = chk.good & first_venue.notna().to_numpy() & (first_venue != venue_ids).to_numpy()
    chk.reject(dup_phone, s.APPLICANT_PHONE, "duplicate_applicant_phone",
               "applicant_phone already holds the code of venue " + first_venue.astype(str)
               + "; the guide allows one code per phone number")

    keep = chk.good
    accepted = pd.DataFrame({
        s.VENUE_ID: venue_ids[keep], s.NAME: text[s.NAME][keep],
        s.VENUE_TYPE: types[keep], s.OWNER_NAME: text[s.OWNER_NAME][keep],
        s.OWNER_ID_KIND: kinds[keep], s.OWNER_ID: owner_id[keep],
        s.APPLICANT_PHONE: norm_phone[keep],
        s.APPLICANT_COLOUR: s.GREEN if s.APPLICANT_COLOUR in f.columns else None,
        s.CITY: text[s.CITY][keep], s.COUNTY: text[s.COUNTY][keep],
        s.TOWNSHIP: text[s.TOWNSHIP][keep], s.TOWNSHIP_CODE: township_codes[keep],
        s.LON: wlon[keep], s.LAT: wlat[keep], s.ADDRESS: text[s.ADDRESS][keep],
        s.REGISTERED_AT: registered[keep], s.STATUS: status[keep],
        s.PARENT_VENUE_ID: (text[s.PARENT_VENUE_ID][keep].replace("", None)
                            if s.PARENT_VENUE_ID in text else None),
    }).reset_index(drop=True)
    return chk.finish(accepted.loc[:, list(s.VENUE_COLUMNS)])


def _township_code(label: str) -> str | None:
    try:
        return reference.township_code(label)
    except ValueError:
        return None


def _first_holder(phones: pd.Series, venue_ids: pd.Series, good: np.ndarray) -> pd.Series:
    """For each row, the venue id of the first good row with the same phone."""
    frame = pd.DataFrame({"p": phones, "v": venue_ids})[good]
    first = frame.drop_duplicates("p").set_index("p")["v"]
    return phones.map(first)


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in s.VENUE_COLUMNS})
