"""Synthetic venue registry: venues of every type, placed, named and registered.

Counts per 10,000 residents, placement and popularity spread are design defaults
(plausible for a Chinese county of 2022, not sourced); registration records follow the
application guide (DOMAIN §9.2, §11.5) so that the loaders accept them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tracelab.model import coords, ids, reference
from tracelab.model import schema as s
from tracelab.model.regions import Region
from tracelab.synth import names
from tracelab.synth.geography import GEOMETRY, sample_in_polygon

__all__ = ["TYPE_PLAN", "Venues", "make_venues"]

# code: (per 10,000 residents, spread km around the seat or None for uniform, share placed
# uniformly in the township, popularity log-sd, owner mix). Residences are sized from the
# households instead (about 500 residents a compound, 900 a village). Design defaults.
_OWNER_MIX = {
    "org": {"org91": 1.0},
    "public": {"org12": 1.0},
    "shop": {"sole_regno": 0.3, "sole_92": 0.3, "individual": 0.15, "org91": 0.25},
    "eatery": {"sole_regno": 0.3, "sole_92": 0.3, "individual": 0.25, "org91": 0.15},
}
TYPE_PLAN: dict[str, tuple[float, float | None, float, float, str]] = {
    "residential_compound": (0.0, 1.2, 0.0, 0.5, "property"),
    "village": (0.0, None, 1.0, 0.3, "village"),
    "school": (4.0, 1.5, 0.4, 0.6, "public"),
    "enterprise": (35.0, 2.5, 0.3, 1.3, "org"),
    "farmers_market": (1.0, 0.5, 0.0, 0.6, "org"),
    "mall": (0.15, 0.4, 0.0, 0.5, "org"),
    "supermarket": (8.0, 0.8, 0.3, 1.0, "shop"),
    "restaurant": (25.0, 0.8, 0.25, 1.0, "eatery"),
    "hospital": (1.5, 0.6, 0.2, 1.1, "public"),
    "pharmacy": (5.0, 0.7, 0.2, 0.8, "shop"),
    "transit": (3.0, 0.5, 0.0, 0.4, "bus"),
    "hotel": (1.5, 0.6, 0.1, 1.0, "shop"),
    "government": (4.0, 0.8, 0.1, 0.9, "gov"),
    "entertainment": (2.0, 0.6, 0.1, 0.8, "shop"),
}
RESIDENTS_PER_COMPOUND = 500
RESIDENTS_PER_VILLAGE = 900
# The county seat (first row of the township table) draws shoppers from all over.
_SEAT_BOOST = 1.6
#: Types found only in the first townships of the table (the seat and the next town).
_ONLY_IN_FIRST = {"mall": 2}


def synthetic_division(where: Region) -> str:
    """The GB/T 2260 code synthetic ID numbers carry: the region's, if it is one."""
    code = where.code
    return code if len(code) == 6 and code.isdigit() else "360000"


@dataclass(frozen=True)
class Venues:
    """The registry plus the arrays the simulation needs (true positions, popularity).

    ``table`` has ``schema.VENUE_COLUMNS`` with GCJ-02 positions, as the source system
    stores them; ``lon``/``lat`` here are the true WGS-84 positions.
    """

    table: pd.DataFrame
    type_code: np.ndarray  # str: venue-type code per venue
    township: np.ndarray  # int: row of the township table
    lon: np.ndarray  # float64: true position, WGS-84
    lat: np.ndarray
    popularity: np.ndarray  # float64: relative draw (mean 1 within a type)
    weight: np.ndarray  # float64: venue-type weight of the reference table
    residence: np.ndarray  # bool

    @property
    def ids(self) -> np.ndarray:
        """Venue ids as an object array."""
        return self.table[s.VENUE_ID].to_numpy(dtype=object)

    def of_type(self, code: str) -> np.ndarray:
        """Indices of the venues of one type."""
        return np.flatnonzero(self.type_code == code)


def make_venues(
    townships: pd.DataFrame,
    urban: np.ndarray,
    rural: np.ndarray,
    rng: np.random.Generator,
    *,
    start: pd.Timestamp,
    where: Region,
) -> Venues:
    """Place and register the venues of a county.

    Parameters
    ----------
    townships : pandas.DataFrame
        From :meth:`tracelab.model.regions.Region.township_polygons`.
    urban, rural : numpy.ndarray of int
        Residents per township living in compounds and in villages.
    rng : numpy.random.Generator
        Random source.
    start : pandas.Timestamp
        First simulated day (tz-aware); codes are registered in the 8 days before.
    where : Region
        The region: its names go into the registry, its code into owner IDs.

    Returns
    -------
    Venues

    Examples
    --------
    >>> from tracelab.model.regions import region
    >>> where = region("360323")
    >>> t = where.township_polygons()
    >>> v = make_venues(t, np.full(11, 300), np.full(11, 200), np.random.default_rng(0),
    ...                 start=pd.Timestamp("2022-11-18", tz="Asia/Shanghai"), where=where)
    >>> bool(v.table["applicant_phone"].is_unique), sorted(set(v.type_code)) == sorted(TYPE_PLAN)
    (True, True)
    """
    types = reference.venue_types().set_index(s.TYPE_CODE)
    total = int(urban.sum() + rural.sum())
    n_town = len(townships)
    counts: dict[str, np.ndarray] = {}
    counts["residential_compound"] = np.where(
        urban > 0, np.maximum(1, np.round(urban / RESIDENTS_PER_COMPOUND)), 0).astype(int)
    counts["village"] = np.where(
        rural > 0, np.maximum(1, np.round(rural / RESIDENTS_PER_VILLAGE)), 0).astype(int)
    pop = (urban + rural).astype(float)
    for code, (per_10k, *_rest) in TYPE_PLAN.items():
        if code in counts:
            continue
        n = max(1, int(round(per_10k * total / 10_000)))
        w = pop.copy()
        w[0] *= _SEAT_BOOST
        if code in _ONLY_IN_FIRST:
            w = np.where(np.arange(n_town) < _ONLY_IN_FIRST[code], w, 0.0)
        counts[code] = rng.multinomial(n, w / w.sum()) if w.sum() > 0 else np.zeros(n_town, int)
    polys = townships[GEOMETRY].tolist()
    seats = list(zip(townships[s.SEAT_LON].tolist(), townships[s.SEAT_LAT].tolist(),
                     strict=True))
    cols: dict[str, list] = {"type": [], "township": [], "lon": [], "lat": [],
                             "popularity": []}
    for code, (_, spread, uniform_share, sigma, _owner) in TYPE_PLAN.items():
        for t in range(n_town):
            n = int(counts[code][t])
            if n == 0:
                continue
            poly = polys[t]
            n_uniform = int(rng.binomial(n, uniform_share)) if spread is not None else n
            lon_u, lat_u = sample_in_polygon(poly, n_uniform, rng)
            lon_c, lat_c = sample_in_polygon(poly, n - n_uniform, rng, centre=seats[t],
                                             spread_km=spread or 1.0)
            cols["type"].append(np.full(n, code, dtype=object))
            cols["township"].append(np.full(n, t, dtype=np.int64))
            cols["lon"] += [lon_c, lon_u]
            cols["lat"] += [lat_c, lat_u]
            cols["popularity"].append(rng.lognormal(-sigma**2 / 2, sigma, n))
    plan = pd.DataFrame({k: np.concatenate(v) for k, v in cols.items()})
    return _register(plan, townships, types, rng, start, where)


def _register(plan: pd.DataFrame, townships: pd.DataFrame, types: pd.DataFrame,
              rng: np.random.Generator, start: pd.Timestamp, where: Region) -> Venues:
    n = len(plan)
    town_codes = townships[s.TOWNSHIP_CODE].to_numpy()[plan["township"]]
    town_names = townships[s.TOWNSHIP].to_numpy()[plan["township"]].astype(str)
    seq = plan.groupby("township").cumcount().to_numpy() + 1
    venue_id = [f"{c}{q:05d}" for c, q in zip(town_codes, seq, strict=True)]
    venue_name = np.empty(n, dtype=object)
    for code in TYPE_PLAN:
        idx = np.flatnonzero(plan["type"].to_numpy() == code)
        if len(idx):
            venue_name[idx] = names.venue_names(code, town_names[idx], rng, county=where.name,
                                                city=where.city)
    venue_name = _unique_names(venue_name, plan["type"].to_numpy())
    is_village = plan["type"].to_numpy() == "village"
    village_label = np.where(is_village, venue_name.astype(str), "")
    address = names.addresses(town_names, np.char.rstrip(village_label.astype(str), "村"), rng,
                              prefix=where.province + where.city + where.name)
    owner_name, kind, owner_id = _owners(plan["type"].to_numpy(), venue_name, rng, where)
    phones = ids.make_mobile(n, seed=rng)
    glon, glat = coords.wgs84_to_gcj02(plan["lon"].to_numpy(), plan["lat"].to_numpy())
    local_start = start.tz_convert(where.zone).normalize()
    offset = pd.to_timedelta(rng.integers(-8 * 1440, -1440, n) + rng.integers(480, 1200, n),
                             unit="min")
    registered = (local_start + offset).tz_convert("UTC").as_unit("us")
    table = pd.DataFrame({
        s.VENUE_ID: venue_id,
        s.NAME: venue_name.astype(str),
        s.VENUE_TYPE: plan["type"].to_numpy(),
        s.OWNER_NAME: owner_name,
        s.OWNER_ID_KIND: kind,
        s.OWNER_ID: owner_id,
        s.APPLICANT_PHONE: phones,
        s.APPLICANT_COLOUR: s.GREEN,
        s.CITY: where.city,
        s.COUNTY: where.name,
        s.TOWNSHIP: town_names,
        s.TOWNSHIP_CODE: town_codes,
        s.LON: np.round(glon, 6),
        s.LAT: np.round(glat, 6),
        s.ADDRESS: address,
        s.REGISTERED_AT: registered,
        s.STATUS: s.ACTIVE,
        s.PARENT_VENUE_ID: pd.Series([None] * n, dtype="str"),
    })
    code = plan["type"].to_numpy().astype(object)
    pop = plan["popularity"].to_numpy()
    return Venues(
        table=table, type_code=code, township=plan["township"].to_numpy(),
        lon=plan["lon"].to_numpy(), lat=plan["lat"].to_numpy(), popularity=pop,
        weight=types[s.WEIGHT].reindex(code).to_numpy(dtype=float),
        residence=types[s.RESIDENCE].reindex(code).to_numpy(dtype=bool),
    )


_ORDINALS = "二三四五六七八九"


def _unique_names(name: np.ndarray, type_code: np.ndarray) -> np.ndarray:
    """Second and later venues of the same name become branches (二店, 二部, ...)."""
    out = name.copy()
    seen: dict[str, int] = {}
    for i, n in enumerate(name.tolist()):
        k = seen.get(n, 0)
        seen[n] = k + 1
        if k:
            kind = "部" if type_code[i] in ("hospital", "government", "school") else "店"
            ordinal = _ORDINALS[k - 1] if k <= len(_ORDINALS) else str(k + 1)
            out[i] = f"{n}{ordinal}{kind}" if type_code[i] != "village" else f"{n[:-1]}{ordinal}村"
    return out


def _owners(type_code: np.ndarray, venue_name: np.ndarray, rng: np.random.Generator,
            where: Region) -> tuple[list[str], list[str], list[str]]:
    """Operating entity, ID kind and ID number per venue (DOMAIN §11.5 id_type_by_subject)."""
    division = synthetic_division(where)
    n = len(type_code)
    label = np.empty(n, dtype=object)
    for code, (*_, owner) in TYPE_PLAN.items():
        idx = np.flatnonzero(type_code == code)
        if owner in _OWNER_MIX:
            mix = _OWNER_MIX[owner]
            label[idx] = rng.choice(list(mix), size=len(idx), p=list(mix.values()))
        else:
            label[idx] = {"property": "property", "village": "org54", "bus": "bus",
                          "gov": "org11"}[owner]
    owner_name = venue_name.astype(object).copy()
    kind = np.full(n, s.USCC, dtype=object)
    owner_id = np.empty(n, dtype=object)
    prefixes = {"org91": "91", "org12": "12", "org11": "11", "property": "91",
                # 54: 民政-registered grass-roots self-government body (村民委员会); the
                # class digit is general knowledge, unverified.
                "org54": "54", "sole_92": "92"}
    for lab, prefix in prefixes.items():
        idx = np.flatnonzero(label == lab)
        if len(idx):
            owner_id[idx] = ids.make_uscc(len(idx), division=division, prefix=prefix, seed=rng)
    prop = np.flatnonzero(label == "property")
    if len(prop):
        firms = names.venue_names("mall", np.full(len(prop), ""), rng)
        owner_name[prop] = [f"{where.name}{f[:2]}物业管理有限公司" for f in firms]
    vil = np.flatnonzero(label == "org54")
    owner_name[vil] = [f"{venue_name[i]}民委员会" for i in vil]
    reg = np.flatnonzero(label == "sole_regno")
    if len(reg):
        owner_id[reg] = ids.make_regno(len(reg), division=division, seed=rng)
        kind[reg] = s.REGNO
    ind = np.flatnonzero(label == "individual")
    if len(ind):
        male = rng.random(len(ind)) < 0.5
        owner_name[ind] = names.person_names(names.surname_indices(len(ind), rng), male, rng)
        owner_id[ind] = ids.make_resident_id(len(ind), division=division,
                                             birth_from="1960-01-01",
                                             birth_to="1998-12-31", seed=rng)
        kind[ind] = s.RESIDENT_ID
    bus = np.flatnonzero(label == "bus")
    if len(bus):
        owner_name[bus] = f"{where.city}{where.name}公共交通有限公司"
        owner_id[bus] = ids.make_uscc(1, division=division, prefix="91", seed=rng)[0]
    return owner_name.tolist(), kind.tolist(), owner_id.tolist()
