"""Tests of tracelab.model.coords: GCJ-02, the EPSG:4547 frame, grid cells and distances."""

from __future__ import annotations

import numpy as np
import pytest

from tracelab.model import coords

# Luxi County extent (DOMAIN.md section 7.1)
LUXI_LON = np.linspace(113.917, 114.267, 3)
LUXI_LAT = np.linspace(27.417, 27.783, 3)
M_PER_DEG_LAT = 111_195.0  # on the sphere of coords.EARTH_RADIUS_M


@pytest.fixture
def luxi_grid() -> tuple[np.ndarray, np.ndarray]:
    lon, lat = np.meshgrid(LUXI_LON, LUXI_LAT)
    return lon, lat


@pytest.fixture
def china_points() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(20221118)
    # inside the transform's box, away from its edges (see gcj02_to_wgs84 Notes)
    return rng.uniform(73.5, 135.0, 10_000), rng.uniform(18.0, 53.5, 10_000)


def test_gcj_offset_at_luxi(luxi_grid: tuple[np.ndarray, np.ndarray]) -> None:
    lon, lat = luxi_grid
    g_lon, g_lat = coords.wgs84_to_gcj02(lon, lat)
    assert g_lon.shape == lon.shape == (3, 3)
    shift = np.round(coords.distance_m(lon, lat, g_lon, g_lat))
    assert shift.min() >= 625 and shift.max() <= 642  # DOMAIN.md section 8
    dlon, dlat = g_lon - lon, g_lat - lat
    assert np.all(dlon > 0) and np.all(dlat < 0)  # south-east
    assert dlat.min() >= -0.0035 and dlat.max() <= -0.0030
    assert dlon.min() >= 0.0051 and dlon.max() <= 0.0056


def test_round_trip_luxi(luxi_grid: tuple[np.ndarray, np.ndarray]) -> None:
    lon, lat = luxi_grid
    w_lon, w_lat = coords.gcj02_to_wgs84(*coords.wgs84_to_gcj02(lon, lat))
    assert coords.distance_m(lon, lat, w_lon, w_lat).max() < 0.01


def test_round_trip_china(china_points: tuple[np.ndarray, np.ndarray]) -> None:
    lon, lat = china_points
    g_lon, g_lat = coords.wgs84_to_gcj02(lon, lat)
    assert coords.distance_m(lon, lat, g_lon, g_lat).min() > 1.0  # really shifted
    w_lon, w_lat = coords.gcj02_to_wgs84(g_lon, g_lat)
    assert coords.distance_m(lon, lat, w_lon, w_lat).max() < 0.01


def test_inverse_of_gcj_input_is_consistent(china_points: tuple[np.ndarray, np.ndarray]) -> None:
    # GCJ -> WGS -> GCJ: the inverse really solves the forward equation
    lon, lat = china_points
    back_lon, back_lat = coords.wgs84_to_gcj02(*coords.gcj02_to_wgs84(lon, lat))
    assert np.abs(back_lon - lon).max() < 1e-9 and np.abs(back_lat - lat).max() < 1e-9


@pytest.mark.parametrize(("lon", "lat"), [(-0.1276, 51.5072), (151.2093, -33.8688),
                                          (-74.006, 40.7128), (0.0, 0.0)])
def test_identity_outside_china(lon: float, lat: float) -> None:
    assert coords.wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert coords.gcj02_to_wgs84(lon, lat) == (lon, lat)


@pytest.mark.parametrize(("lon", "lat"), [(126.98, 37.57), (135.50, 34.69),
                                          (106.91, 47.92), (105.85, 21.03)])
def test_bbox_caveat_neighbours_are_shifted(lon: float, lat: float) -> None:
    # documented limit: Seoul, Osaka, Ulaanbaatar and Hanoi lie inside the crude box
    g_lon, g_lat = coords.wgs84_to_gcj02(lon, lat)
    assert coords.distance_m(lon, lat, g_lon, g_lat) > 100


def test_bbox_tokyo_is_outside() -> None:
    # Tokyo (139.69 E) is east of the box edge at 137.8347 E, so it is left alone
    assert coords.wgs84_to_gcj02(139.69, 35.69) == (139.69, 35.69)


def test_scalars_arrays_nan() -> None:
    lon, lat = coords.wgs84_to_gcj02(114.0, 27.6)
    assert isinstance(lon, float) and isinstance(lat, float)
    lons = np.array([114.0, np.nan, -0.1])
    out_lon, out_lat = coords.gcj02_to_wgs84(lons, 27.6)  # broadcast scalar lat
    assert out_lon.shape == out_lat.shape == (3,)
    assert np.isnan(out_lon[1]) and out_lon[2] == -0.1
    assert not np.isnan(out_lon[0])
    inf_lon, inf_lat = coords.wgs84_to_gcj02([np.inf, 114.0], [27.6, np.inf])
    assert inf_lon.tolist() == [np.inf, 114.0] and inf_lat.tolist() == [27.6, np.inf]
    before = lons.copy()
    coords.to_wgs84(lons, [27.6, 27.6, 51.5], "WGS-84")[0][0] = 0.0
    np.testing.assert_array_equal(lons, before)  # input never written through


@pytest.mark.parametrize("crs", ["WGS-84", "wgs84", "EPSG:4326", "epsg:4490", "CGCS2000"])
def test_to_wgs84_identity_frames(crs: str) -> None:
    assert coords.to_wgs84(114.1, 27.6, crs) == (114.1, 27.6)


@pytest.mark.parametrize("crs", ["GCJ-02", "gcj02", " GCJ-02 "])
def test_to_wgs84_gcj(crs: str) -> None:
    g = coords.wgs84_to_gcj02(114.1, 27.6)
    lon, lat = coords.to_wgs84(*g, crs)
    assert coords.distance_m(lon, lat, 114.1, 27.6) < 0.01


@pytest.mark.parametrize("crs", ["BD-09", "EPSG:4547", "", None])
def test_to_wgs84_bad_crs(crs: object) -> None:
    with pytest.raises(ValueError, match=r"crs=.* is not supported; use one of 'GCJ-02', "
                                         r"'WGS-84', 'EPSG:4326', 'EPSG:4490'\. BD-09"):
        coords.to_wgs84(114.1, 27.6, crs)  # type: ignore[arg-type]


def test_project_luxi_centre() -> None:
    x, y = coords.project(114.092, 27.600)
    # DOMAIN.md 7.3: about (508,885 E; 3,054,118 N)
    assert abs(x - 508_885) < 1000 and abs(y - 3_054_118) < 1000
    assert coords.project(114.0, 0.0) == pytest.approx((500_000.0, 0.0), abs=1e-6)


def test_project_luxi_extent_and_round_trip(luxi_grid: tuple[np.ndarray, np.ndarray]) -> None:
    lon, lat = luxi_grid
    x, y = coords.project(lon, lat)
    assert x.shape == (3, 3)
    # DOMAIN.md 7.3: 34.5 x 40.7 km
    assert (x.max() - x.min()) / 1000 == pytest.approx(34.5, abs=0.2)
    assert (y.max() - y.min()) / 1000 == pytest.approx(40.7, abs=0.2)
    back_lon, back_lat = coords.unproject(x, y)
    assert coords.distance_m(lon, lat, back_lon, back_lat).max() < 1e-3


def test_grid_cell_hand_made() -> None:
    ix, iy = coords.grid_cell([0.0, 799.999, 800.0, -0.001, 508_885.0],
                              [0.0, 1600.0, 1599.9, -800.0, 3_054_118.0])
    assert ix.dtype == np.int64 and iy.dtype == np.int64
    assert ix.tolist() == [0, 0, 1, -1, 636]
    assert iy.tolist() == [0, 2, 1, -1, 3817]


def test_grid_cell_origin_and_size() -> None:
    ix, iy = coords.grid_cell(1050.0, 950.0, cell_m=100.0, origin=(1000.0, 1000.0))
    assert (int(ix), int(iy)) == (0, -1)
    ix, iy = coords.grid_cell(1050.0, 950.0, cell_m=np.int64(1000))
    assert (int(ix), int(iy)) == (1, 0)
    # two points 800 m apart east-west always fall in adjacent cells
    x = np.array([100.0, 900.0])
    assert np.diff(coords.grid_cell(x, [0.0, 0.0])[0]).tolist() == [1]


@pytest.mark.parametrize("cell_m", [0.0, -800.0, float("nan"), float("inf"), "800", True])
def test_grid_cell_bad_size(cell_m: object) -> None:
    with pytest.raises(ValueError, match=r"cell_m=.* must be a positive number of metres"):
        coords.grid_cell(1.0, 1.0, cell_m=cell_m)  # type: ignore[arg-type]


def test_grid_cell_nan_raises() -> None:
    with pytest.raises(ValueError, match="1 of 3 points are NaN or infinite"):
        coords.grid_cell([1.0, np.nan, 3.0], [1.0, 2.0, 3.0])


def test_distance_m() -> None:
    assert coords.distance_m(114.0, 27.6, 114.0, 27.6) == 0.0
    one_deg = coords.distance_m(114.0, 27.0, 114.0, 28.0)
    assert one_deg == pytest.approx(M_PER_DEG_LAT, rel=1e-4)
    # symmetric, vectorised, and 800 m of longitude at 27.6 N is about 0.00811 deg
    d = coords.distance_m([114.0, 114.00811], 27.6, [114.00811, 114.0], 27.6)
    assert d.shape == (2,) and d[0] == d[1] == pytest.approx(800, abs=1.0)
    # antipodes: half the circumference
    assert coords.distance_m(0.0, 0.0, 180.0, 0.0) == pytest.approx(
        np.pi * coords.EARTH_RADIUS_M)
