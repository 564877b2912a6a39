"""Places as a public notice writes them: one line, no personal numbers, homes as compounds.

:func:`public_places` gives each venue's name and address for the trajectory notice
(:mod:`tracelab.briefing.notice`); a residence keeps only its compound (小区) or village
(村), never a door, building, unit, room or group number (:func:`strip_door_number`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tracelab.index.presence import venue_table
from tracelab.model import schema as s
from tracelab.model.reference import venue_types
from tracelab.privacy.pseudonyms import scrub_shapes, scrub_text

if TYPE_CHECKING:
    from tracelab.model.regions import Region

__all__ = ["PLACE", "WHERE", "public_places", "strip_door_number"]

#: The venue's name and its address as published.
PLACE, WHERE = "place", "where"


# A door, building, unit, room or village group: a number followed by the word that says
# which. Arabic and full-width numbers (with a letter, #, 之 or dashes: 3-2, 12A, B座) take
# any such word; Chinese numerals only the words no place name ends in (十二组, 三栋, not
# 三门村 or 一号公馆). Everything from the first such token on is cut: what is left names
# the road or the village, not the home.
_ARABIC = (r"(?:[0-9０-９]+[A-Za-zＡ-Ｚ]?|[A-Za-zＡ-Ｚ][0-9０-９]*)"
           r"(?:[-－—#＃之][0-9０-９A-Za-zＡ-Ｚ]+)*")
_DOOR = re.compile(
    _ARABIC + r"\s*[#＃]?\s*(?:号院|号楼|号|栋|幢|座|单元|楼|层|室|房|户|组|队|弄|门)"
    r"|[一二三四五六七八九十百零〇两]+(?:组|队|栋|幢|单元|号楼|号院|室|户)"
    r"|[0-9０-９]+(?:[-－—][0-9０-９]+){1,3}")
_TRAILING = re.compile(r"[\s,，、;；:：\-－—(（]+$")


def strip_door_number(text: str) -> str:
    """`text` cut before its first door, building, unit, room or village-group number.

    A residence is published as its compound (小区) or village (村), so the first of these
    and everything after it is removed, with trailing separators: an Arabic number
    (letters, ``#``, 之 and dashes inside allowed) followed by 号, 号楼, 号院, 栋, 幢, 座,
    单元, 楼, 层, 室, 房, 户, 组, 队, 弄 or 门; a Chinese number followed by 组, 队, 栋, 幢,
    单元, 号楼, 号院, 室 or 户; a dashed run of numbers such as ``3-2-401``.

    Examples
    --------
    >>> strip_door_number("长乐镇和平街113号")
    '长乐镇和平街'
    >>> strip_door_number("幸福里小区5栋2单元401室")
    '幸福里小区'
    >>> strip_door_number("长乐镇安源村十二组")
    '长乐镇安源村'
    >>> strip_door_number("阳光花园 3-2-401"), strip_door_number("阳光花园B座1203")
    ('阳光花园', '阳光花园')
    >>> strip_door_number("第一小区"), strip_door_number("三门村"), strip_door_number("一号公馆")
    ('第一小区', '三门村', '一号公馆')
    """
    match = _DOOR.search(text)
    cut = text[:match.start()] if match else text
    return _TRAILING.sub("", cut).strip()


def _clean(value: object) -> str:
    """Registration text for the public: one line, phone and ID numbers masked."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = " ".join(str(value).split())
    return str(scrub_shapes(scrub_text(text)))


def _without_prefix(address: str, prefixes: Sequence[str]) -> str:
    for prefix in prefixes:
        if prefix and address.startswith(prefix):
            address = address[len(prefix):]
    return address


def public_places(venues: pd.DataFrame, region: Region | None = None,
                  types: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each venue's name and address as a public notice writes them.

    Names and addresses are one line each, with phone and ID numbers masked; the
    province, city and county a notice of the region goes without are cut from the front
    of the address. A residence (a venue type marked ``residence`` in the venue-type
    table: 居民小区, 村) is shown as its compound or village: door, building, unit, room
    and group numbers are cut from its name and address (:func:`strip_door_number`); a
    name that is nothing but a number becomes the type's name.

    Returns
    -------
    pandas.DataFrame
        ``venue_id``, ``place``, ``where``, ``residence``.

    Examples
    --------
    >>> v = pd.DataFrame({"venue_id": ["V1", "V2"], "name": ["好又多超市", "幸福里5栋"],
    ...     "venue_type": ["supermarket", "residential_compound"],
    ...     "address": ["长乐镇建设路1号", "长乐镇和平街113号3单元401室"]})
    >>> public_places(v)[["place", "where"]].values.tolist()
    [['好又多超市', '长乐镇建设路1号'], ['幸福里', '长乐镇和平街']]
    """
    table = venue_table(venues, types).set_index(s.VENUE_ID)
    type_names = venue_types() if types is None else types
    label = type_names.set_index(s.TYPE_CODE)[s.NAME_ZH]
    rows = venues.drop_duplicates(s.VENUE_ID)
    places, wheres, homes = [], [], []
    for row in rows.itertuples(index=False):
        rec = row._asdict()
        home = bool(table.at[rec[s.VENUE_ID], s.RESIDENCE])
        prefixes = [region.province, region.city, region.name] if region is not None else []
        prefixes += [_clean(rec.get(s.CITY)), _clean(rec.get(s.COUNTY))]
        name, where = _clean(rec.get(s.NAME)), _without_prefix(_clean(rec.get(s.ADDRESS)), prefixes)
        if home:
            name = strip_door_number(name) or str(label.get(rec[s.VENUE_TYPE], ""))
            where = strip_door_number(where)
        places.append(name or str(rec[s.VENUE_ID]))
        wheres.append(where)
        homes.append(home)
    return pd.DataFrame({s.VENUE_ID: rows[s.VENUE_ID].to_numpy(object), PLACE: places,
                         WHERE: wheres, s.RESIDENCE: homes})
