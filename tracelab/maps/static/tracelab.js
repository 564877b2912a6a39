/* tracelab's own map helpers (MIT, no third-party code; needs only Leaflet):
   venues clustered on a grid at low zoom with the briefing's rank numbers, risk areas
   marked at a minimum visible size, and township labels that never catch the mouse.
   Text arrives escaped from Python; nothing here reads the network. */
var tlMap = (function () {
  "use strict";

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  // A pane above the areas and below the markers whose contents never take pointer events.
  function quietPane(map, name, zIndex) {
    if (!map.getPane(name)) {
      var pane = map.createPane(name);
      pane.style.zIndex = zIndex;
      pane.style.pointerEvents = "none";
    }
    return name;
  }

  function venueMarker(p) {
    var mark;
    if (p.k) {
      mark = L.marker([p.lat, p.lon], {
        icon: L.divIcon({className: "tl-venue-rank", iconSize: [24, 24], iconAnchor: [12, 12],
          html: '<span class="tl-rank" data-rank="' + p.k + '" data-venue="' + p.v +
                '" style="background:' + p.c + '">' + p.k + "</span>"}),
        zIndexOffset: 1000 - p.k, riseOnHover: true});
    } else {
      mark = L.circleMarker([p.lat, p.lon], {radius: p.r, color: "#333", weight: 1,
        fillColor: p.c, fillOpacity: 0.75, className: "tl-venue"});
      mark.on("add", function () { mark.getElement().setAttribute("data-venue", p.v); });
    }
    mark.bindPopup(p.p, {maxWidth: 320});
    mark.bindTooltip(p.t);
    return mark;
  }

  // Greedy clustering on a grid: each venue not yet taken, most important first, takes
  // every free venue within `cell` pixels; the grid only narrows the search to 3 x 3 cells.
  function clusters(map, pts, zoom, cell) {
    var xy = pts.map(function (p) { return map.project([p.lat, p.lon], zoom); });
    var grid = {}, taken = [], out = [];
    xy.forEach(function (q, i) {
      var key = Math.floor(q.x / cell) + ":" + Math.floor(q.y / cell);
      (grid[key] = grid[key] || []).push(i);
    });
    xy.forEach(function (q, i) {
      if (taken[i]) { return; }
      var cx = Math.floor(q.x / cell), cy = Math.floor(q.y / cell), members = [i];
      taken[i] = true;
      for (var dx = -1; dx <= 1; dx++) {
        for (var dy = -1; dy <= 1; dy++) {
          (grid[(cx + dx) + ":" + (cy + dy)] || []).forEach(function (j) {
            if (!taken[j] && q.distanceTo(xy[j]) < cell) { taken[j] = true; members.push(j); }
          });
        }
      }
      out.push(members.sort(function (a, b) { return a - b; }));
    });
    return out;
  }

  function clusterMarker(map, pts, members, opt) {
    var lat = 0, lon = 0, ranks = [], n = members.length;
    members.forEach(function (i) {
      lat += pts[i].lat; lon += pts[i].lon;
      if (pts[i].k) { ranks.push(pts[i].k); }
    });
    ranks.sort(function (a, b) { return a - b; });
    var size = Math.round(26 + 5 * Math.log(n));
    var html = '<div class="tl-cluster-n" style="width:' + size + "px;height:" + size +
      "px;line-height:" + size + 'px">' + n + "</div>";
    if (ranks.length) {
      html += '<div class="tl-cluster-ranks" data-ranks="' + ranks.join(" ") + '">' +
        ranks.join("\u00b7") + "</div>";
    }
    var mark = L.marker([lat / n, lon / n], {zIndexOffset: 2000, icon: L.divIcon({
      className: "tl-cluster", html: html, iconSize: [size, size],
      iconAnchor: [size / 2, size / 2]})});
    mark.bindTooltip(fill(ranks.length ? opt.rankedText : opt.text,
                          {n: n, ranks: ranks.join(opt.sep)}));
    mark.on("click", function () {
      map.fitBounds(L.latLngBounds(members.map(function (i) { return [pts[i].lat, pts[i].lon]; })),
                    {padding: [60, 60]});
    });
    return mark;
  }

  /* Venues in `group`: numbered badges for ranked venues (p.k), circles for the others;
     below opt.splitZoom, venues closer than opt.cell pixels merge into a cluster showing
     their count and the ranks inside. Redrawn at every zoom. */
  function venues(map, group, pts, opt) {
    var markers = pts.map(venueMarker);
    function draw() {
      var zoom = map.getZoom();
      var parts = opt.cell > 0 && zoom < opt.splitZoom ? clusters(map, pts, zoom, opt.cell) :
        pts.map(function (_, i) { return [i]; });
      group.clearLayers();
      parts.forEach(function (members) {
        group.addLayer(members.length === 1 ? markers[members[0]] :
                       clusterMarker(map, pts, members, opt));
      });
    }
    map.on("zoomend", draw);
    draw();
  }

  /* A circle of opt.minPx pixels over each small risk area, shown while the area's true
     radius (a.m metres) is smaller than that on screen; its tooltip states the radius. */
  function riskMarks(map, group, marks, opt) {
    var layers = marks.map(function (a) {
      var mark = L.circleMarker([a.lat, a.lon], {radius: opt.minPx, color: a.c, weight: 2,
        fillColor: a.c, fillOpacity: 0.5, className: "tl-risk-mark tl-risk-mark-" + a.l});
      mark.bindTooltip(a.t);
      mark.bindPopup(a.p, {maxWidth: 320});
      return mark;
    });
    function draw() {
      var zoom = map.getZoom();
      group.clearLayers();
      marks.forEach(function (a, i) {
        var metresPerPixel = 40075016.686 * Math.cos(a.lat * Math.PI / 180) /
          Math.pow(2, zoom + 8);
        if (a.m / metresPerPixel < opt.minPx) { group.addLayer(layers[i]); }
      });
    }
    map.on("zoomend", draw);
    draw();
  }

  // Permanent labels (HTML, escaped) in a pane that lets every hover through.
  function labels(map, group, items) {
    var pane = quietPane(map, "tlLabels", 450);
    items.forEach(function (l) {
      group.addLayer(L.marker([l.lat, l.lon], {pane: pane, interactive: false, keyboard: false,
        icon: L.divIcon({className: "tl-label", iconSize: null, html: l.h})}));
    });
  }

  return {venues: venues, riskMarks: riskMarks, labels: labels};
})();
