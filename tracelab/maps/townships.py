"""The township layer: contacts counted per township, drawn as a choropleth with labels.

Every colour drawn is the legend's colour for that count (:func:`township_classes`), no
township polygon covers another (:func:`tracelab.maps.base.check_townships`), and the
title says what is counted and by which township: where people live when a persons table
is given, else where the venue is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from shapely.ops import polylabel

from tracelab._i18n import msg
from tracelab.maps._common import add_legend, area, check_columns, layer_control
from tracelab.maps._scripts import add_call
from tracelab.maps.assets import import_folium
from tracelab.maps.base import add_outlines, check_townships, target_map
from tracelab.maps.columns import CONTACTS, GEOMETRY
from tracelab.maps.labels import escape_text, label
from tracelab.maps.tiles import to_map_frame
from tracelab.model import schema

if TYPE_CHECKING:
    import folium
    import geopandas as gpd

    from tracelab.maps.tiles import TileSource

__all__ = ["township_map", "contacts_per_township", "township_classes", "count_title",
           "CHOROPLETH_COLOURS"]

#: Fill colours of the choropleth: 0, then up to four classes of more contacts.
CHOROPLETH_COLOURS = ("#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704")
_FILL_OPACITY = 0.8
_MEASURES = {None: "all", schema.CLOSE_CONTACT: "close", schema.CO_EXPOSURE: "coexposure"}


def _bounds(gdf: Any) -> list[list[float]]:
    minx, miny, maxx, maxy = gdf.total_bounds
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


def count_title(category: str | None, basis: str, lang: str = "zh") -> str:
    """The title of a township count: what is counted, and by which township.

    Examples
    --------
    >>> count_title("close_contact_candidate", "residence")
    '密接人数（按居住乡镇）'
    >>> count_title(None, "venue", "en")
    'People exposed (by township of the venue)'
    """
    if category not in _MEASURES or basis not in ("residence", "venue"):
        raise ValueError(msg("category={category!r}, basis={basis!r}: category is one of "
                             "{categories}, basis 'residence' or 'venue'", category=category,
                             basis=basis, categories=list(_MEASURES)))
    return label(f"count_{_MEASURES[category]}_{basis}", lang)


def _residences(persons: pd.DataFrame, venues: pd.DataFrame) -> pd.Series:
    """Township code of each person's residence: its own column, else the home venue's."""
    check_columns(persons, (schema.PERSON_ID,), "persons")
    people = persons.drop_duplicates(schema.PERSON_ID).set_index(schema.PERSON_ID)
    if schema.TOWNSHIP_CODE in people.columns:
        return people[schema.TOWNSHIP_CODE]
    if schema.HOME_VENUE_ID not in people.columns:
        raise ValueError(msg("persons needs {township!r} or {home!r} to place people in their "
                             "township of residence", township=schema.TOWNSHIP_CODE,
                             home=schema.HOME_VENUE_ID))
    check_columns(venues, (schema.VENUE_ID, schema.TOWNSHIP_CODE), "venues")
    codes = venues.drop_duplicates(schema.VENUE_ID).set_index(schema.VENUE_ID)[
        schema.TOWNSHIP_CODE]
    return people[schema.HOME_VENUE_ID].map(codes)


def contacts_per_township(
    exposures: pd.DataFrame, venues: pd.DataFrame, townships: gpd.GeoDataFrame, *,
    persons: pd.DataFrame | None = None, category: str | None = None,
) -> pd.DataFrame:
    """Count distinct contacts per township: where they live, or where they were exposed.

    Parameters
    ----------
    exposures : pandas.DataFrame
        ``CONTACT_ID, VENUE_ID`` (and ``CATEGORY`` when `category` is given).
    venues : pandas.DataFrame
        ``VENUE_ID, TOWNSHIP_CODE``.
    townships : geopandas.GeoDataFrame
        ``TOWNSHIP_CODE, TOWNSHIP``: every township gets a row, 0 if none. A row that is
        the outline of the county around them is left out (see
        :func:`tracelab.maps.base.check_townships`).
    persons : pandas.DataFrame, optional
        ``PERSON_ID`` and ``TOWNSHIP_CODE`` (or ``HOME_VENUE_ID``): count each contact
        once, in the township of residence. Without it, contacts are counted in the
        township of each venue where they were exposed (once per township).
    category : str, optional
        Count only contacts of this category: ``CLOSE_CONTACT`` counts a person with at
        least one close-contact row (by residence), or at the venues of those rows.

    Returns
    -------
    pandas.DataFrame
        ``TOWNSHIP_CODE, TOWNSHIP, CONTACTS`` in the order of `townships`, with
        ``attrs["basis"]`` ("residence" or "venue"), ``attrs["category"]`` and
        ``attrs["unplaced"]``: contacts counted nowhere, because they live outside these
        townships or their residence is unknown (always 0 by venue).

    Raises
    ------
    ValueError
        If a column is missing, or (by venue) an exposure venue is missing from `venues`
        or lies in a township code that `townships` does not have.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> t = gpd.GeoDataFrame({"township_code": ["A", "B"], "township": ["甲", "乙"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs="EPSG:4326")
    >>> v = pd.DataFrame({"venue_id": ["v1", "v2"], "township_code": ["A", "A"]})
    >>> e = pd.DataFrame({"contact_id": ["x", "y", "x"], "venue_id": ["v1", "v2", "v2"]})
    >>> contacts_per_township(e, v, t)
      township_code township  contacts
    0             A        甲         2
    1             B        乙         0
    >>> homes = pd.DataFrame({"person_id": ["x", "y"], "township_code": ["B", "C"]})
    >>> out = contacts_per_township(e, v, t, persons=homes)
    >>> out["contacts"].tolist(), out.attrs["basis"], out.attrs["unplaced"]
    ([0, 1], 'residence', 1)
    """
    check_columns(exposures, (schema.CONTACT_ID, schema.VENUE_ID), "exposures")
    check_columns(townships, (schema.TOWNSHIP_CODE, schema.TOWNSHIP), "townships")
    if GEOMETRY in townships.columns:
        townships = check_townships(townships)
    rows = exposures
    if category is not None:
        check_columns(exposures, (schema.CATEGORY,), "exposures")
        rows = exposures[exposures[schema.CATEGORY] == category]
    known = set(map(str, townships[schema.TOWNSHIP_CODE]))
    unplaced = 0
    if persons is not None:
        where = _residences(persons, venues)
        contacts = pd.Series(pd.unique(rows[schema.CONTACT_ID]), dtype=object)
        homes = contacts.map(where)
        placed = homes.notna() & homes.astype(str).isin(known)
        unplaced = int((~placed).sum())
        counts = homes[placed].value_counts()
    else:
        check_columns(venues, (schema.VENUE_ID, schema.TOWNSHIP_CODE), "venues")
        codes = venues.drop_duplicates(schema.VENUE_ID).set_index(schema.VENUE_ID)[
            schema.TOWNSHIP_CODE]
        unknown = sorted(set(map(str, exposures[schema.VENUE_ID])) - set(map(str, codes.index)))
        if unknown:
            raise ValueError(msg("{arg} names {n} venue(s) not in venues: {unknown}; pass the "
                                 "full venue registry", arg="exposures", n=len(unknown),
                                 unknown=unknown[:10]))
        joined = rows[[schema.CONTACT_ID]].assign(
            **{schema.TOWNSHIP_CODE: rows[schema.VENUE_ID].map(codes).to_numpy()})
        counts = joined.groupby(schema.TOWNSHIP_CODE)[schema.CONTACT_ID].nunique()
        stray = sorted(set(map(str, counts.index)) - known)
        if stray:
            raise ValueError(msg("exposure venues lie in township code(s) {stray} that "
                                 "townships does not have; pass every township of the county",
                                 stray=stray[:10]))
    out = pd.DataFrame({schema.TOWNSHIP_CODE: townships[schema.TOWNSHIP_CODE].to_numpy(),
                        schema.TOWNSHIP: townships[schema.TOWNSHIP].to_numpy()})
    out[CONTACTS] = out[schema.TOWNSHIP_CODE].map(counts).fillna(0).astype("int64")
    out.attrs.update(basis="venue" if persons is None else "residence", category=category,
                     unplaced=unplaced)
    return out


def township_classes(counts: Any) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
    """Colour of each count and the count range of every colour: 0 has its own colour.

    The non-zero counts are cut at their quartiles (values of the data), so that a
    county with one large town still shows differences among the others; a cut is kept
    only if the class below it holds a count. The highest class always takes the
    darkest colour. The colour of a count and the legend row it falls in come from the
    same bounds.

    Returns
    -------
    colours : numpy.ndarray
        Per count, its index into :data:`CHOROPLETH_COLOURS` (0 for a count of 0).
    ranges : list of (int, int, int)
        Per legend row, the colour index and the lowest and highest count it holds.

    Examples
    --------
    >>> colours, ranges = township_classes([0, 617, 85, 56, 46, 40, 37, 31, 28, 22, 19])
    >>> colours.tolist()
    [0, 4, 4, 4, 3, 3, 3, 2, 2, 1, 1]
    >>> ranges
    [(0, 0, 0), (1, 1, 27), (2, 28, 36), (3, 37, 55), (4, 56, 617)]
    >>> township_classes([0, 1012])[1]
    [(0, 0, 0), (4, 1, 1012)]
    """
    values = np.asarray(counts, dtype=np.int64)
    nonzero = np.sort(values[values > 0])
    lows = [1]
    for q in (0.25, 0.5, 0.75):
        if not len(nonzero):
            break
        cut = int(np.quantile(nonzero, q, method="inverted_cdf"))
        if cut > lows[-1] and ((nonzero >= lows[-1]) & (nonzero < cut)).any():
            lows.append(cut)
    ranges = [(0, 0, 0)]
    if not len(nonzero):
        return np.zeros(len(values), dtype=np.int64), ranges
    first = len(CHOROPLETH_COLOURS) - len(lows)  # the darkest colours, top one last
    highs = [b - 1 for b in lows[1:]] + [int(nonzero[-1])]
    ranges += [(first + i, lo, hi) for i, (lo, hi) in enumerate(zip(lows, highs, strict=True))]
    classes = np.searchsorted(np.array(lows), values, side="right")
    return np.where(values > 0, first + classes - 1, 0), ranges


def _label_point(geom: Any) -> Any:
    """The point inside `geom` farthest from its border (of its largest part)."""
    parts = list(getattr(geom, "geoms", [geom]))
    largest = max(parts, key=lambda g: g.area)
    return polylabel(largest, tolerance=1e-4)


def _range_text(lo: int, hi: int) -> str:
    return f"{lo:,}" if lo == hi else f"{lo:,}–{hi:,}"


def township_map(
    townships: gpd.GeoDataFrame,
    exposures: pd.DataFrame | None = None,
    venues: pd.DataFrame | None = None,
    *,
    persons: pd.DataFrame | None = None,
    category: str | None = None,
    m: folium.Map | None = None,
    lang: str = "zh",
    tiles: str | TileSource = "none",
    key: str | None = None,
) -> folium.Map:
    """Draw township outlines and names and, given exposures, a choropleth of contacts.

    Parameters
    ----------
    townships : geopandas.GeoDataFrame
        ``TOWNSHIP_CODE, TOWNSHIP`` and polygons, with a CRS; a county outline among
        them is drawn as the outline only.
    exposures, venues : pandas.DataFrame, optional
        Exposure rows and the venue registry (``VENUE_ID, TOWNSHIP_CODE``); without them
        only the outlines and names are drawn.
    persons, category
        What to count, see :func:`contacts_per_township`; the legend and the layer name
        say it, e.g. "密接人数（按居住乡镇）".
    m, lang, tiles, key
        As in :func:`tracelab.maps.layers.trajectory_map`.

    Returns
    -------
    folium.Map
        One path per township (class ``tl-choropleth``) filled with its legend colour, a
        tooltip with its name and count, and a permanent label (name and count) that
        lets the mouse through.

    Raises
    ------
    ValueError
        If only one of `exposures` and `venues` is given, townships overlap, or as
        :func:`contacts_per_township`.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> t = gpd.GeoDataFrame({"township_code": ["A", "B"], "township": ["甲", "乙"]},
    ...     geometry=[box(114.0, 27.6, 114.1, 27.7), box(114.1, 27.6, 114.2, 27.7)],
    ...     crs="EPSG:4326")
    >>> v = pd.DataFrame({"venue_id": ["v1"], "township_code": ["A"]})
    >>> e = pd.DataFrame({"contact_id": ["x", "y"], "venue_id": ["v1", "v1"]})
    >>> page = township_map(t, e, v).get_root().render()
    >>> page.count('"className": "tl-choropleth"'), "暴露人数（按场所所在乡镇）" in page
    (2, True)
    """
    folium = import_folium()
    if (exposures is None) != (venues is None):
        raise ValueError(msg("township_map needs both exposures and venues for the "
                             "choropleth, or neither for outlines only"))
    gdf = check_townships(townships)
    target = target_map(m, lang, tiles, key, None)
    names = [escape_text(n) for n in gdf[schema.TOWNSHIP]]
    points = [_label_point(g) for g in gdf[GEOMETRY]]
    lon, lat = to_map_frame([p.x for p in points], [p.y for p in points], target)
    texts = [f"<span>{n}</span>" for n in names]
    group = None
    if exposures is not None and venues is not None:
        table = contacts_per_township(exposures, venues, gdf, persons=persons,
                                      category=category)
        counts = table[CONTACTS].to_numpy()
        title = count_title(category, table.attrs["basis"], lang)
        colours, ranges = township_classes(counts)
        group = folium.FeatureGroup(name=escape_text(title))
        for geom, name, n, c in zip(gdf[GEOMETRY], names, counts, colours, strict=True):
            area(geom, target, class_name="tl-choropleth",
                 style={"color": "#7b7d7d", "weight": 1, "fillColor": CHOROPLETH_COLOURS[c],
                        "fillOpacity": _FILL_OPACITY},
                 tooltip=f"<b>{name}</b><br>{escape_text(title)}: {int(n):,}").add_to(group)
        texts = [f"<span>{n}<small>{int(c):,}</small></span>" for n, c in zip(
            names, counts, strict=True)]
        items = [(CHOROPLETH_COLOURS[i], _range_text(lo, hi), (lo, hi))
                 for i, lo, hi in ranges]
        note = (label("unplaced", lang, n=f"{table.attrs['unplaced']:,}")
                if table.attrs["unplaced"] else None)
        add_legend(target, title, [(c, t) for c, t, _ in items], name="tl_legend_choropleth",
                   ranges=[r for _, _, r in items], opacity=_FILL_OPACITY, note=note,
                   position="bottomleft")
        group.add_to(target)
    add_outlines(gdf, target, lang=lang)
    labels = [{"lat": round(float(y), 6), "lon": round(float(x), 6), "h": h}
              for y, x, h in zip(lat, lon, texts, strict=True)]
    # Names go with the counts when there are counts, else with the outlines.
    add_call(target, group if group is not None else target._children["tl_outlines"],
             "labels", labels, {}, tag="tl-township-labels")
    if m is None:
        target.fit_bounds(_bounds(gdf))
    return layer_control(target)
