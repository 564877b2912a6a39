"""Coordinate frames: GCJ-02 <-> WGS-84, Gauss-Krüger analysis frames, grid cells, distances."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import numpy as np

from tracelab._i18n import msg

if TYPE_CHECKING:  # loaded by _transformer, when a coordinate is first projected
    import pyproj

__all__ = [
    "ANALYSIS_CRS",
    "CRS_NAMES",
    "wgs84_to_gcj02",
    "gcj02_to_wgs84",
    "to_wgs84",
    "gauss_kruger_crs",
    "project",
    "unproject",
    "grid_cell",
    "distance_m",
    "EARTH_RADIUS_M",
]

#: Analysis frame used when there are no positions to choose one from: CGCS2000 / 3-degree
#: Gauss-Kruger CM 114E, metres (DOMAIN 8). Data elsewhere get their own zone
#: (:func:`gauss_kruger_crs`).
ANALYSIS_CRS = "EPSG:4547"
#: EPSG codes of the CGCS2000 3-degree Gauss-Kruger zones without zone prefix: 4534 is
#: CM 75E, each next code 3 degrees further east, up to 4554 (CM 135E).
_GK_FIRST_CODE, _GK_FIRST_CM, _GK_LAST_CM = 4534, 75, 135
#: Frames accepted by :func:`to_wgs84`, as written in messages.
CRS_NAMES = ("GCJ-02", "WGS-84", "EPSG:4326", "EPSG:4490")
_CRS_ALIASES = {
    "GCJ-02": "GCJ-02", "GCJ02": "GCJ-02",
    "WGS-84": "WGS-84", "WGS84": "WGS-84", "EPSG:4326": "WGS-84",
    "EPSG:4490": "WGS-84", "CGCS2000": "WGS-84",
}

# Krasovsky 1940 ellipsoid of the open GCJ-02 transform.
_A = 6378245.0
_EE = 0.00669342162296594323
# Crude mainland bounding box of the open transform (lon_min, lon_max, lat_min, lat_max).
_CHINA_BBOX = (72.004, 137.8347, 0.8293, 55.8271)
_INVERSE_TOL_DEG = 1e-10
_INVERSE_MAX_ITER = 30
#: Mean Earth radius (IUGG), metres, used by :func:`distance_m`.
EARTH_RADIUS_M = 6_371_008.8

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


def _arrays(lon: Any, lat: Any) -> tuple[FloatArray, FloatArray, bool]:
    lon_a, lat_a = np.broadcast_arrays(np.asarray(lon, dtype=np.float64),
                                       np.asarray(lat, dtype=np.float64))
    return lon_a, lat_a, lon_a.ndim == 0


def _out(x: FloatArray, y: FloatArray, scalar: bool) -> tuple[Any, Any]:
    if scalar:
        return float(x), float(y)
    return x, y


def _outside_china(lon: FloatArray, lat: FloatArray) -> np.ndarray[Any, np.dtype[np.bool_]]:
    lon_min, lon_max, lat_min, lat_max = _CHINA_BBOX
    return (lon < lon_min) | (lon > lon_max) | (lat < lat_min) | (lat > lat_max)


def _gcj_offset(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return (dlon, dlat) in degrees that GCJ-02 adds to a WGS-84 point."""
    with np.errstate(invalid="ignore"):  # sin(inf) of far-away points, zeroed below
        return _gcj_offset_raw(lon, lat)


def _gcj_offset_raw(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    x, y = lon - 105.0, lat - 35.0
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y
            + 0.2 * np.sqrt(np.abs(x)) + common
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + common
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = dlon * 180.0 / (_A / sqrt_magic * np.cos(rad) * np.pi)
    outside = _outside_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def wgs84_to_gcj02(lon: Any, lat: Any) -> tuple[Any, Any]:
    """Shift WGS-84 positions to GCJ-02 (国测局, "Mars") with the common open transform.

    Parameters
    ----------
    lon, lat : float or array-like
        Degrees, WGS-84; broadcast together.

    Returns
    -------
    (lon, lat)
        Floats for scalar input, else new float64 arrays of the broadcast shape. NaN
        stays NaN.

    See Also
    --------
    gcj02_to_wgs84 : the inverse.

    Notes
    -----
    GCJ-02 is an unpublished obfuscation, not a CRS; this is the widely circulated
    reverse-engineered transform (Krasovsky a = 6378245.0, ee = 0.00669342162296594323),
    unofficial and accurate to a few metres at best. Points outside the crude box
    72.004-137.8347 E, 0.8293-55.8271 N are returned unchanged. The box is not the
    border: it wrongly shifts points in Korea, western Japan (Osaka; Tokyo, at 139.7 E,
    is outside), Mongolia, Vietnam and elsewhere, and it does not exempt Hong Kong,
    Macao or Taiwan. Around 114 E, 27.6 N the shift is 625-642 m south-east (DOMAIN.md
    section 8).

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(114.092, 27.600)
    >>> round(lon - 114.092, 4), round(lat - 27.600, 4)
    (0.0055, -0.0031)
    >>> wgs84_to_gcj02(-0.1276, 51.5072)
    (-0.1276, 51.5072)
    """
    lon_a, lat_a, scalar = _arrays(lon, lat)
    dlon, dlat = _gcj_offset(lon_a, lat_a)
    return _out(lon_a + dlon, lat_a + dlat, scalar)


def gcj02_to_wgs84(lon: Any, lat: Any) -> tuple[Any, Any]:
    """Undo :func:`wgs84_to_gcj02` by fixed-point iteration.

    Parameters
    ----------
    lon, lat : float or array-like
        Degrees, GCJ-02; broadcast together.

    Returns
    -------
    (lon, lat)
        WGS-84 degrees; floats for scalar input, else new float64 arrays.

    Notes
    -----
    Iterates ``w <- w - (gcj02(w) - g)`` from ``w = g`` until every point moves less
    than 1e-10 degrees (at most 30 rounds); the forward offset varies slowly, so two to
    four rounds suffice and the round trip is far below 1 cm inside the box. Points
    outside the bounding box of :func:`wgs84_to_gcj02` are returned unchanged; within a
    kilometre of the box edge the inverse is ambiguous and may not converge there.

    Examples
    --------
    >>> lon, lat = gcj02_to_wgs84(*wgs84_to_gcj02(114.092, 27.600))
    >>> round(lon, 9), round(lat, 9)
    (114.092, 27.6)
    """
    g_lon, g_lat, scalar = _arrays(lon, lat)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(_INVERSE_MAX_ITER):
        f_lon, f_lat = wgs84_to_gcj02(w_lon, w_lat)
        step_lon, step_lat = f_lon - g_lon, f_lat - g_lat
        w_lon, w_lat = w_lon - step_lon, w_lat - step_lat
        step = np.maximum(np.abs(step_lon), np.abs(step_lat))
        if not np.any(step > _INVERSE_TOL_DEG):  # NaN compares False: it never blocks
            break
    return _out(w_lon, w_lat, scalar)


def to_wgs84(lon: Any, lat: Any, crs: str) -> tuple[Any, Any]:
    """Bring positions tagged with `crs` to WGS-84 (equal to CGCS2000 at 100 m scale).

    Parameters
    ----------
    lon, lat : float or array-like
        Degrees in frame `crs`.
    crs : str
        ``"GCJ-02"``, ``"WGS-84"``, ``"EPSG:4326"`` or ``"EPSG:4490"`` (CGCS2000, taken
        equal to WGS-84); case and a missing hyphen are forgiven.

    Returns
    -------
    (lon, lat)
        WGS-84 degrees, new arrays (or floats for scalar input).

    Raises
    ------
    ValueError
        If `crs` is not one of the frames above, e.g. BD-09.

    Examples
    --------
    >>> to_wgs84(114.0, 27.6, "EPSG:4490")
    (114.0, 27.6)
    >>> lon, lat = to_wgs84(114.0975, 27.5969, "gcj02")
    >>> round(lon, 3), round(lat, 3)
    (114.092, 27.6)
    """
    key = crs.strip().upper() if isinstance(crs, str) else None
    frame = _CRS_ALIASES.get(key) if key is not None else None
    if frame is None:
        raise ValueError(
            msg("crs={crs!r} is not supported; use one of {names}. BD-09 (Baidu) is not "
                "supported: convert it to GCJ-02 first. pyproj cannot do GCJ-02 because it is an "
                "obfuscation, not a CRS.", crs=crs, names=", ".join(map(repr, CRS_NAMES)))
        )
    if frame == "GCJ-02":
        return gcj02_to_wgs84(lon, lat)
    lon_a, lat_a, scalar = _arrays(lon, lat)
    return _out(lon_a.copy(), lat_a.copy(), scalar)


@functools.cache
def _transformer(inverse: bool, crs: str = ANALYSIS_CRS) -> pyproj.Transformer:
    # WGS-84 -> CGCS2000 is PROJ's "ballpark" null shift, i.e. the two are taken equal.
    import pyproj

    src, dst = "EPSG:4326", crs
    if inverse:
        src, dst = dst, src
    return pyproj.Transformer.from_crs(src, dst, always_xy=True)


def gauss_kruger_crs(lon: Any) -> str:
    """The CGCS2000 3-degree Gauss-Krüger zone (EPSG code) whose central meridian is nearest.

    Parameters
    ----------
    lon : float or array-like
        Degrees east; for an array, the zone of its median (NaN ignored).

    Returns
    -------
    str
        ``"EPSG:4534"`` (CM 75E) to ``"EPSG:4554"`` (CM 135E); :data:`ANALYSIS_CRS` when
        no longitude is given.

    Examples
    --------
    >>> gauss_kruger_crs(114.09), gauss_kruger_crs([117.6, 117.9]), gauss_kruger_crs([])
    ('EPSG:4547', 'EPSG:4548', 'EPSG:4547')
    """
    values = np.asarray(lon, dtype=np.float64).ravel()
    values = values[np.isfinite(values)]
    if not len(values):
        return ANALYSIS_CRS
    cm = min(max(3 * round(float(np.median(values)) / 3), _GK_FIRST_CM), _GK_LAST_CM)
    return f"EPSG:{_GK_FIRST_CODE + (cm - _GK_FIRST_CM) // 3}"


def project(lon: Any, lat: Any, crs: str | None = None) -> tuple[Any, Any]:
    """Project WGS-84 degrees to Gauss-Krüger metres.

    Parameters
    ----------
    lon, lat : float or array-like
        Degrees, WGS-84 (or CGCS2000).
    crs : str, optional
        Target frame; default the Gauss-Krüger zone of the points' median longitude
        (:func:`gauss_kruger_crs`). Pass the same frame to every call whose results are
        compared, e.g. the region's ``analysis_crs``.

    Returns
    -------
    (x, y)
        Easting and northing in metres; floats for scalar input, else arrays.

    Examples
    --------
    >>> x, y = project(114.0, 27.6)
    >>> round(x, 3), round(y / 1000)
    (500000.0, 3054)
    >>> round(project(117.0, 28.7)[0], 3)
    500000.0
    """
    lon_a, lat_a, scalar = _arrays(lon, lat)
    x, y = _transformer(False, crs or gauss_kruger_crs(lon_a)).transform(lon_a, lat_a)
    return _out(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), scalar)


def unproject(x: Any, y: Any, crs: str = ANALYSIS_CRS) -> tuple[Any, Any]:
    """Invert :func:`project`: Gauss-Krüger metres of ``crs`` to WGS-84 (lon, lat) degrees.

    Examples
    --------
    >>> lon, lat = unproject(*project(114.092, 27.6))
    >>> round(lon, 9), round(lat, 9)
    (114.092, 27.6)
    """
    x_a, y_a, scalar = _arrays(x, y)
    lon, lat = _transformer(True, crs).transform(x_a, y_a)
    return _out(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64), scalar)


def grid_cell(
    x: Any, y: Any, *, cell_m: float = 800.0, origin: tuple[float, float] = (0.0, 0.0),
) -> tuple[np.ndarray, np.ndarray]:
    """Return the (column, row) of the square grid cell holding each projected point.

    Parameters
    ----------
    x, y : float or array-like
        Metres in the analysis frame (see :func:`project`).
    cell_m : float, default 800.0
        Cell side, metres (时空伴随 grid, DOMAIN.md sections 4 and 11.3).
    origin : (float, float), default (0.0, 0.0)
        Corner of cell (0, 0), metres.

    Returns
    -------
    (ix, iy) : numpy.ndarray of int64
        ``floor((x - origin_x) / cell_m)`` and likewise for y; 0-d arrays for scalars.
        A point on a cell edge belongs to the cell above and to the right of the edge.

    Raises
    ------
    ValueError
        If `cell_m` is not a positive finite number, or any coordinate is NaN or
        infinite.

    Examples
    --------
    >>> ix, iy = grid_cell([0.0, 799.9, 800.0, -0.1], [0.0, 1600.0, 5.0, -800.0])
    >>> ix.tolist(), iy.tolist()
    ([0, 0, 1, -1], [0, 2, 0, -1])
    """
    real = isinstance(cell_m, (int, float, np.integer, np.floating))
    if isinstance(cell_m, bool) or not (real and np.isfinite(cell_m) and cell_m > 0):
        raise ValueError(msg("cell_m={cell_m!r} must be a positive number of metres, e.g. 800.0",
                             cell_m=cell_m))
    x_a, y_a, _ = _arrays(x, y)
    bad = ~(np.isfinite(x_a) & np.isfinite(y_a))
    if bad.any():
        raise ValueError(msg("x and y must be finite; {n} of {size} points are NaN or infinite: "
                             "drop or fix them before gridding", n=int(bad.sum()), size=bad.size))
    ox, oy = origin
    ix = np.floor((x_a - ox) / cell_m).astype(np.int64)
    iy = np.floor((y_a - oy) / cell_m).astype(np.int64)
    return ix, iy


def distance_m(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> Any:
    """Great-circle (haversine) distance in metres between WGS-84 points.

    Parameters
    ----------
    lon1, lat1, lon2, lat2 : float or array-like
        Degrees; broadcast together.

    Returns
    -------
    float or numpy.ndarray
        Metres on a sphere of radius :data:`EARTH_RADIUS_M`; a float for scalar input.

    Notes
    -----
    The sphere is within about 0.5 % of the ellipsoid: enough for geofences of a few
    hundred metres, not for survey work.

    Examples
    --------
    >>> round(distance_m(114.0, 27.6, 114.0, 27.6 + 800 / 111_195))
    800
    >>> distance_m([114.0, 114.0], [27.6, 27.6], 114.0, 27.6).tolist()
    [0.0, 0.0]
    """
    arrays = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64)
                                   for v in (lon1, lat1, lon2, lat2)))
    lam1, phi1, lam2, phi2 = (np.radians(a) for a in arrays)
    h = (np.sin((phi2 - phi1) / 2.0) ** 2
         + np.cos(phi1) * np.cos(phi2) * np.sin((lam2 - lam1) / 2.0) ** 2)
    d = 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return float(d) if d.ndim == 0 else d
