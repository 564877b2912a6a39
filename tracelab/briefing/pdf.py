"""Print a briefing page to PDF through headless Chromium (Playwright, Debian's binary)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from tracelab._i18n import msg

if TYPE_CHECKING:  # playwright is a dev extra, imported when a PDF is made
    from playwright.sync_api import ViewportSize

__all__ = ["html_to_pdf", "find_chromium"]

_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
# A4 portrait at 96 dpi minus the 12 mm margins of the page's @page rule.
_PRINT_VIEWPORT: ViewportSize = {"width": 704, "height": 1000}


def find_chromium() -> str:
    """Path of the system Chromium (``chromium`` or ``chromium-browser``).

    Raises
    ------
    FileNotFoundError
        If neither is on ``PATH`` (Debian: ``apt-get install chromium``).
    """
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise FileNotFoundError(msg("--pdf needs Chromium: no chromium on PATH (Debian: "
                                    "apt-get install chromium)"))
    return path


def html_to_pdf(html_path: str | Path, pdf_path: str | Path, *,
                executable_path: str | None = None, timeout_ms: float = 60_000) -> Path:
    """Render an HTML file to an A4 PDF with print styles, the network blocked.

    The briefing's own stylesheet lays out the pages: page 1 the title, headline cards
    and map, the foot of each page the briefing time and the page number (CSS ``@page``
    margin boxes, printed by Chromium 131 and later).

    Parameters
    ----------
    html_path : str or Path
        The briefing page.
    pdf_path : str or Path
        Where to write the PDF.
    executable_path : str, optional
        Chromium binary; default :func:`find_chromium`.
    timeout_ms : float, default 60000
        Limit for loading the page.

    Returns
    -------
    Path
        `pdf_path`.

    Raises
    ------
    FileNotFoundError
        If `html_path` or Chromium is missing.
    ImportError
        If Playwright is not installed.
    """
    html_path, pdf_path = Path(html_path), Path(pdf_path)
    if not html_path.is_file():
        raise FileNotFoundError(msg("{path}: no such briefing page", path=html_path))
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:  # pragma: no cover - playwright is a dev extra
        raise ImportError(msg("--pdf needs Playwright: pip install playwright")) from err
    chromium = executable_path or find_chromium()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=_ARGS)
        try:
            page = browser.new_page(viewport=_PRINT_VIEWPORT)
            # The page must not reach out; an attempt fails instead of waiting.
            page.route("http://**/*", lambda route: route.abort())
            page.route("https://**/*", lambda route: route.abort())
            page.goto(html_path.resolve().as_uri(), wait_until="load", timeout=timeout_ms)
            page.frame_locator("iframe.tl-map").locator(".leaflet-container").first.wait_for(
                timeout=timeout_ms)
            page.emulate_media(media="print")
            page.wait_for_timeout(300)  # let Leaflet redraw at the print width
            page.pdf(path=str(pdf_path), format="A4", print_background=True,
                     prefer_css_page_size=True)
        finally:
            browser.close()
    return pdf_path
