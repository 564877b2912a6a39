"""A day-by-day replay of the outbreak: exposure venues behind a self-written time slider."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab.maps._common import (
    check_columns,
    fit,
    js_string,
    layer_control,
    texts,
    venue_points,
)
from tracelab.maps.assets import import_folium
from tracelab.maps.base import target_map
from tracelab.maps.columns import DAY, EXPOSED
from tracelab.maps.labels import label
from tracelab.maps.tiles import to_map_frame
from tracelab.model import schema

if TYPE_CHECKING:
    import folium
    import geopandas as gpd

    from tracelab.maps.tiles import TileSource

__all__ = ["replay_map", "exposures_by_day"]


_SLIDER_JS = """
(function () {
  var map = {{ this._parent.get_name() }};
  var group = {{ this.group.get_name() }};
  var days = {{ this.days_js }};
  var places = {{ this.places_js }};  // [lat, lon, escaped name] per venue
  var pts = {{ this.points_js }};  // [venue index, day index, people, radius]
  var cumulative = {{ this.cumulative_js }};
  var words = {{ this.words_js }};
  var marks = pts.map(function (p) {
    var place = places[p[0]];
    return L.circleMarker([place[0], place[1]], {radius: p[3], weight: 1, color: "#333",
      fillOpacity: 0.8, className: "tl-replay"}).bindTooltip(
        place[2] + " · " + days[p[1]] + " · " + words.exposed + " " + p[2]);
  });
  var control = L.control({position: "bottomleft"});
  control.onAdd = function () {
    var box = L.DomUtil.create("div", "tl-slider");
    box.style.cssText = "background:#fff;padding:6px 8px;font:13px sans-serif;" +
      "border:1px solid #999;border-radius:4px;min-width:260px";
    var button = L.DomUtil.create("button", "tl-play", box);
    button.type = "button";
    button.textContent = words.play;
    var input = L.DomUtil.create("input", "tl-day", box);
    input.type = "range"; input.min = 0; input.max = days.length - 1; input.step = 1;
    input.value = days.length - 1;
    input.style.cssText = "width:160px;vertical-align:middle;margin:0 6px";
    var text = L.DomUtil.create("span", "tl-day-label", box);
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    function show(i) {
      var shown = 0, people = 0;
      marks.forEach(function (mark, k) {
        var d = pts[k][1];
        var visible = cumulative ? d <= i : d === i;
        if (visible) {
          mark.setStyle({fillColor: d === i ? "#c0392b" : "#aab7b8"});
          if (!group.hasLayer(mark)) { group.addLayer(mark); }
          shown += 1;
          if (d === i) { people += pts[k][2]; }
        } else if (group.hasLayer(mark)) {
          group.removeLayer(mark);
        }
      });
      text.textContent = words.day + " " + days[i] + " · " + words.exposed + " " + people;
      box.setAttribute("data-visible", String(shown));
    }
    var timer = null;
    function stop() { clearInterval(timer); timer = null; button.textContent = words.play; }
    button.onclick = function () {
      if (timer) { stop(); return; }
      if (Number(input.value) >= days.length - 1) { input.value = 0; show(0); }
      button.textContent = words.pause;
      timer = setInterval(function () {
        var i = Number(input.value) + 1;
        if (i > days.length - 1) { stop(); return; }
        input.value = i; show(i);
      }, {{ this.interval_ms }});
    };
    input.addEventListener("input", function () { show(Number(input.value)); });
    show(Number(input.value));
    return box;
  };
  control.addTo(map);
})();
"""


def exposures_by_day(exposures: pd.DataFrame, *, zone: str = schema.DEFAULT_ZONE) -> pd.DataFrame:
    """Count distinct contacts per venue and local day of the overlap start.

    Parameters
    ----------
    exposures : pandas.DataFrame
        ``CONTACT_ID, VENUE_ID, OVERLAP_START`` (tz-aware UTC).
    zone : str, default "Asia/Shanghai"
        Zone of the local day.

    Returns
    -------
    pandas.DataFrame
        ``VENUE_ID, DAY`` (``YYYY-MM-DD``), ``EXPOSED``, sorted by day and venue.

    Raises
    ------
    ValueError
        If a column is missing or ``OVERLAP_START`` has no time zone.

    Examples
    --------
    >>> e = pd.DataFrame({"contact_id": ["a", "b", "a"], "venue_id": ["v1", "v1", "v2"],
    ...     "overlap_start": pd.to_datetime(["2022-11-01T02:00Z", "2022-11-01T17:00Z",
    ...                                      "2022-11-01T03:00Z"])})
    >>> exposures_by_day(e)
      venue_id         day  exposed
    0       v1  2022-11-01        1
    1       v2  2022-11-01        1
    2       v1  2022-11-02        1
    """
    check_columns(exposures, (schema.CONTACT_ID, schema.VENUE_ID, schema.OVERLAP_START),
                  "exposures")
    start = exposures[schema.OVERLAP_START]
    if getattr(start.dt, "tz", None) is None:
        raise ValueError(msg("exposures column {column!r} has no time zone; instants are "
                             "stored tz-aware UTC (use Series.dt.tz_localize)",
                             column=schema.OVERLAP_START))
    days = start.dt.tz_convert(zone).dt.strftime("%Y-%m-%d")
    frame = pd.DataFrame({schema.VENUE_ID: exposures[schema.VENUE_ID].to_numpy(),
                          DAY: days.to_numpy(),
                          schema.CONTACT_ID: exposures[schema.CONTACT_ID].to_numpy()})
    out = frame.groupby([DAY, schema.VENUE_ID])[schema.CONTACT_ID].nunique().rename(EXPOSED)
    return out.reset_index()[[schema.VENUE_ID, DAY, EXPOSED]]


def replay_map(
    exposures: pd.DataFrame,
    venues: pd.DataFrame,
    *,
    cumulative: bool = True,
    interval_ms: int = 800,
    m: folium.Map | None = None,
    lang: str = "zh",
    tiles: str | TileSource = "none",
    key: str | None = None,
    townships: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """Replay the outbreak day by day: exposure venues of each day behind a time slider.

    Every local day from the first to the last exposure has a slider step, empty
    days included. On day *i* the venues with exposures that day are red; with
    `cumulative`, earlier days' venues stay on the map in grey. A play button steps
    through the days. The slider is a few lines of JavaScript written here (no
    plugin), so it works offline.

    Parameters
    ----------
    exposures : pandas.DataFrame
        ``CONTACT_ID, VENUE_ID, OVERLAP_START``.
    venues : pandas.DataFrame
        ``VENUE_ID, LON, LAT``; ``NAME`` shown escaped.
    cumulative : bool, default True
        Keep earlier days on the map (grey) or show only the chosen day.
    interval_ms : int, default 800
        Milliseconds per day when playing.
    m, lang, tiles, key, townships
        As in :func:`tracelab.maps.layers.trajectory_map`.

    Returns
    -------
    folium.Map
        The slider starts on the last day.

    Raises
    ------
    ValueError
        As :func:`exposures_by_day`, if `exposures` is empty, or if a venue is unknown.

    Examples
    --------
    >>> e = pd.DataFrame({"contact_id": ["a", "b"], "venue_id": ["v1", "v2"],
    ...     "overlap_start": pd.to_datetime(["2022-11-01T02:00Z", "2022-11-03T02:00Z"])})
    >>> v = pd.DataFrame({"venue_id": ["v1", "v2"], "name": ["超市", "面馆"],
    ...     "lon": [114.05, 114.10], "lat": [27.62, 27.65]})
    >>> page = replay_map(e, v).get_root().render()
    >>> '["2022-11-01", "2022-11-02", "2022-11-03"]' in page
    True
    """
    folium = import_folium()
    from branca.element import MacroElement, Template

    if interval_ms <= 0:
        raise ValueError(msg("interval_ms={interval_ms!r} must be a positive number of "
                             "milliseconds", interval_ms=interval_ms))
    per_day = exposures_by_day(exposures)
    if per_day.empty:
        raise ValueError(msg("exposures is empty: there is nothing to replay"))
    placed = venue_points(venues, per_day[schema.VENUE_ID].tolist(), "exposures")
    target = target_map(m, lang, tiles, key, townships)
    lon, lat = to_map_frame(placed[schema.LON], placed[schema.LAT], target)
    days = pd.date_range(per_day[DAY].min(), per_day[DAY].max(), freq="D").strftime("%Y-%m-%d")
    day_index = {d: i for i, d in enumerate(days)}
    counts = per_day[EXPOSED].to_numpy()
    radii = 5.0 + 15.0 * np.sqrt(counts / max(int(counts.max()), 1))
    # Each venue is written once; the (venue, day) points refer to it by index.
    place_index = {v: i for i, v in enumerate(pd.unique(per_day[schema.VENUE_ID]))}
    first = placed.assign(_lat=lat, _lon=lon).drop_duplicates(schema.VENUE_ID)
    places = [[round(float(y), 6), round(float(x), 6), name] for y, x, name in
              zip(first["_lat"], first["_lon"], texts(first, schema.NAME), strict=True)]
    points = [[place_index[v], day_index[d], int(n), round(float(r), 1)] for v, d, n, r in
              zip(per_day[schema.VENUE_ID], per_day[DAY], counts, radii, strict=True)]
    group = folium.FeatureGroup(name=label("replay", lang)).add_to(target)
    slider: Any = MacroElement()  # Any: the template reads attributes set below
    slider._template = Template("{% macro script(this, kwargs) %}" + _SLIDER_JS
                                + "{% endmacro %}")
    slider.group = group
    slider.days_js = js_string(list(days))
    slider.places_js = js_string(places)
    slider.points_js = js_string(points)
    slider.cumulative_js = js_string(bool(cumulative))
    slider.words_js = js_string({"play": label("play", lang), "pause": label("pause", lang),
                                 "day": label("day", lang), "exposed": label("exposed", lang)})
    slider.interval_ms = int(interval_ms)
    target.add_child(slider, name="tl_replay_slider")
    if m is None:
        fit(target, lat, lon)
    return layer_control(target)
