"""Self-contained folium maps: CDN scripts and stylesheets inlined from installed packages."""

from __future__ import annotations

import base64
import functools
import importlib.metadata
import re
from collections.abc import Callable
from importlib import resources
from typing import TYPE_CHECKING, Any

from tracelab._i18n import msg

if TYPE_CHECKING:
    import folium

__all__ = ["offline", "inline_assets", "external_refs", "assert_offline", "asset_versions",
           "import_folium"]

_INSTALL_HINT = msg("tracelab maps need folium: pip install 'folium>=0.20' xstatic-leaflet "
                    "xstatic-jquery")


def import_folium() -> Any:
    """Import folium, or raise ``ImportError`` with an install hint.

    Examples
    --------
    >>> import_folium().__name__
    'folium'
    """
    try:
        import folium
    except ImportError as err:  # pragma: no cover - exercised only without folium
        raise ImportError(_INSTALL_HINT) from err
    return folium


def _package_file(package: str, *parts: str) -> bytes:
    try:
        return resources.files(package).joinpath(*parts).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as err:
        raise ImportError(msg("{package} ({path}) is missing: {hint}", package=package,
                              path="/".join(parts), hint=_INSTALL_HINT)) from err


@functools.cache
def _leaflet_js() -> str:
    return _package_file("xstatic.pkg.leaflet", "data", "leaflet.js").decode("utf-8")


@functools.cache
def _leaflet_css() -> str:
    css = _package_file("xstatic.pkg.leaflet", "data", "leaflet.css").decode("utf-8")

    # The stylesheet names its icons relative to itself; inline them so no file is fetched.
    def data_uri(match: re.Match[str]) -> str:
        png = _package_file("xstatic.pkg.leaflet", "data", "images", match.group(1))
        return f"url(data:image/png;base64,{base64.b64encode(png).decode('ascii')})"

    return re.sub(r"url\(images/([\w.-]+\.png)\)", data_uri, css)


@functools.cache
def _jquery_js() -> str:
    return _package_file("xstatic.pkg.jquery", "data", "jquery.min.js").decode("utf-8")


@functools.cache
def _heat_js() -> str:
    return _package_file("folium", "templates", "leaflet_heat.min.js").decode("utf-8")


# URL pattern -> (kind, loader); a loader of None drops the reference. Bootstrap, Font
# Awesome and awesome-markers only serve folium.Icon markers, which tracelab never draws.
_Loader = Callable[[], str] | None
_ASSETS: tuple[tuple[re.Pattern[str], _Loader], ...] = (
    (re.compile(r"/leaflet(@[\d.]+)?/dist/leaflet\.js$"), _leaflet_js),
    (re.compile(r"/leaflet(@[\d.]+)?/dist/leaflet\.css$"), _leaflet_css),
    (re.compile(r"/jquery-[\d.]+(\.min)?\.js$"), _jquery_js),
    (re.compile(r"/leaflet_heat\.min\.js$"), _heat_js),
    (re.compile(r"/bootstrap(@[\d.]+)?/dist/(js|css)/bootstrap[\w.]*\.(js|css)$"), None),
    (re.compile(r"/bootstrap-glyphicons\.css$"), None),
    (re.compile(r"/fontawesome-free(@[\d.]+)?/css/all(\.min)?\.css$"), None),
    (re.compile(r"/leaflet\.awesome-markers(\.min)?\.(js|css)$"), None),
    (re.compile(r"/leaflet\.awesome\.rotate(\.min)?\.css$"), None),
)
# folium.Icon is the one user of the dropped files; it always calls this constructor.
_NEEDS_DROPPED = re.compile(r"L\.AwesomeMarkers\.icon\(")

_SCRIPT = re.compile(r'<script\s+src="(https?://[^"]+)"\s*>\s*</script>')
_STYLESHEET = re.compile(r'<link\s+rel="stylesheet"\s+href="(https?://[^"]+)"\s*/?>')
_EXTERNAL = re.compile(
    r"""<script\b[^>]*\bsrc\s*=\s*["']?\s*((?:https?:)?//[^"'\s>]+)"""
    r"""|<link\b[^>]*\bhref\s*=\s*["']?\s*((?:https?:)?//[^"'\s>]+)"""
    r"""|@import\s+(?:url\()?\s*["']?((?:https?:)?//[^"')\s;]+)"""
    r"""|url\(\s*["']?((?:https?:)?//[^"')\s]+)""",
    re.IGNORECASE,
)


def _loader_for(url: str) -> tuple[bool, _Loader]:
    for pattern, loader in _ASSETS:
        if pattern.search(url):
            return True, loader
    return False, None


def inline_assets(page: str) -> str:
    """Replace a page's CDN ``<script src>`` and stylesheet links by inline copies.

    Leaflet and its stylesheet (icons as data URIs) come from XStatic-Leaflet, jQuery from
    XStatic-jQuery, Leaflet.heat from the copy folium ships; references to Bootstrap,
    Font Awesome and awesome-markers are removed, since nothing tracelab draws uses them.

    Parameters
    ----------
    page : str
        A rendered HTML page, e.g. ``folium.Map().get_root().render()``.

    Returns
    -------
    str
        The page with no ``http(s)`` script or stylesheet reference.

    Raises
    ------
    ValueError
        If the page references a script or stylesheet this module cannot inline
        (listing them), or uses awesome-markers / Font Awesome icons, whose files are
        not available offline.

    Examples
    --------
    >>> page = '<head><script src="https://cdn.example.org/npm/leaflet@1.9.3/dist/leaflet.js"></script></head>'
    >>> out = inline_assets(page)
    >>> out.startswith("<head><script>/* @preserve"), external_refs(out)
    (True, [])
    """
    unknown: list[str] = []

    def replace(match: re.Match[str], tag: str) -> str:
        url = match.group(1)
        known, loader = _loader_for(url)
        if not known:
            unknown.append(url)
            return match.group(0)
        if loader is None:
            return ""
        body = loader()
        closing = f"</{tag}"
        # A literal closing tag inside the inlined code would end the element early.
        body = re.sub(closing, f"<\\/{tag}", body, flags=re.IGNORECASE)
        return f"<{tag}>{body}</{tag}>"

    out = _SCRIPT.sub(lambda m: replace(m, "script"), page)
    out = _STYLESHEET.sub(lambda m: replace(m, "style"), out)
    if unknown:
        raise ValueError(msg(
            "page references {n} script(s)/stylesheet(s) that tracelab cannot inline offline: "
            "{unknown}; drop the plugin that needs them or add its files to "
            "tracelab.maps.assets._ASSETS from an installed package", n=len(unknown),
            unknown=unknown))
    used = _NEEDS_DROPPED.search(_SCRIPT.sub("", page))
    if used:
        raise ValueError(msg(
            "the map uses awesome-markers / Font Awesome icons ({used!r}), which cannot be "
            "loaded offline; draw folium.CircleMarker or a DivIcon marker instead",
            used=used.group(0)))
    return out


def external_refs(page: str) -> list[str]:
    """List the external scripts, stylesheets, CSS imports and CSS ``url()`` of a page.

    Links (``<a href>``) and tile URL templates inside scripts are not listed: a tile
    server is the user's choice and is contacted only when the map is viewed.

    Examples
    --------
    >>> external_refs('<link rel="stylesheet" href="https://x.org/a.css"><a href="https://x.org">x</a>')
    ['https://x.org/a.css']
    """
    refs = []
    for match in _EXTERNAL.finditer(page):
        refs.append(next(g for g in match.groups() if g))
    return refs


def _as_page(obj: Any) -> str:
    if isinstance(obj, str):
        return obj
    return str(obj.get_root().render())


def assert_offline(obj: Any) -> None:
    """Raise ``AssertionError`` if a page or map has any external script or stylesheet.

    Parameters
    ----------
    obj : str or folium.Map
        Rendered HTML, or a map (rendered here).

    Examples
    --------
    >>> assert_offline("<html><script>var a = 1;</script></html>")
    >>> assert_offline('<script src="http://cdn.example.org/x.js"></script>')
    Traceback (most recent call last):
    ...
    AssertionError: page has 1 external reference(s): ['http://cdn.example.org/x.js']
    """
    refs = external_refs(_as_page(obj))
    if refs:
        raise AssertionError(f"page has {len(refs)} external reference(s): {refs}")


def asset_versions() -> dict[str, str]:
    """Return the installed versions of the packages whose files are inlined.

    Examples
    --------
    >>> sorted(asset_versions())
    ['XStatic-Leaflet', 'XStatic-jQuery', 'folium']
    """
    return {name: importlib.metadata.version(name)
            for name in ("XStatic-Leaflet", "XStatic-jQuery", "folium")}


@functools.cache
def _offline_figure_class() -> type:
    from branca.element import Figure

    class OfflineFigure(Figure):
        """A branca Figure whose rendered page carries its scripts and stylesheets inline."""

        def render(self, **kwargs: Any) -> str:
            return inline_assets(super().render(**kwargs))

    return OfflineFigure


def offline(m: folium.Map) -> folium.Map:
    """Make a folium map render as a self-contained page, and return it.

    The map is moved into a figure whose rendering inlines Leaflet, jQuery and the
    heat plugin (see :func:`inline_assets`), so ``m.save``, ``m._repr_html_()`` and
    ``m.get_root().render()`` all give a page that works with no network. Layers added
    after this call are covered too. Tile images, if a tile layer is chosen, are still
    fetched when the map is viewed.

    Parameters
    ----------
    m : folium.Map
        The map; it is changed in place (folium maps are built by mutation).

    Returns
    -------
    folium.Map
        The same map object.

    Examples
    --------
    >>> import folium
    >>> m = offline(folium.Map(tiles=None))
    >>> page = m.get_root().render()
    >>> external_refs(page), "L.map(" in page
    ([], True)
    """
    cls = _offline_figure_class()
    old = m.get_root()
    if isinstance(old, cls):
        return m
    figure = cls(width=getattr(old, "width", "100%"), height=getattr(old, "height", None),
                 ratio=getattr(old, "ratio", "60%"), title=getattr(old, "title", None))
    # Keep what was already written into the old figure (a title, a style, other maps).
    for part in ("header", "html", "script"):
        for name, child in getattr(old, part)._children.items():
            if name not in getattr(figure, part)._children:
                getattr(figure, part).add_child(child, name=name)
    for name, child in old._children.items():
        if child is not m:
            figure.add_child(child, name=name)
    figure.add_child(m)
    return m
