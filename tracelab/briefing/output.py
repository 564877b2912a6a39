"""Write a briefing folder's page, JSON summary and optional PDF in one call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tracelab._atomic import atomic_path, fault_point, write_bytes
from tracelab._i18n import msg
from tracelab.briefing.build import Briefing, load_briefing
from tracelab.briefing.diff import changes, read_summary, write_summary
from tracelab.briefing.network_svg import network_section
from tracelab.briefing.render import render_html
from tracelab.model.rules import Rule

__all__ = ["write_briefing", "summary_path", "MAX_BYTES"]

#: Size limit of a briefing page (issue 6: at most 5 MB for a 100-case outbreak).
MAX_BYTES = 5 * 1024 * 1024


def summary_path(out: str | Path) -> Path:
    """The JSON summary written beside a briefing page: same name, ``.json``.

    Examples
    --------
    >>> summary_path("out/briefing.html").as_posix()
    'out/briefing.json'
    """
    return Path(out).with_suffix(".json")


def write_briefing(
    data: str | Path | Briefing,
    out: str | Path,
    *,
    since: str | Path | None = None,
    rule: str | Rule = "twenty",
    as_of: Any = None,
    lang: str = "zh",
    pdf: bool = False,
    key: bytes | None = None,
    network: bool = True,
) -> dict[str, Path]:
    """Build (or take) a briefing and write ``out``, its JSON summary and optionally a PDF.

    Parameters
    ----------
    data : path or Briefing
        A data folder or a county store (:func:`tracelab.briefing.build.load_briefing`), or
        a built briefing.
    out : path
        The HTML page to write; the summary goes to :func:`summary_path`, the PDF to
        ``out`` with ``.pdf``.
    since : path, optional
        Summary of a previous briefing: the page shows what changed. It may be the
        summary this call overwrites; it is read first.
    rule, as_of
        As in :func:`tracelab.briefing.build.build_briefing` (ignored for a Briefing).
    lang : {"zh", "en"}, default "zh"
    pdf : bool, default False
        Also print the page to PDF through headless Chromium.
    key : bytes, optional
        Pseudonymisation key for a data folder (:func:`load_briefing`); for a store, the
        key it was built with, checked when given.
    network : bool, default True
        Include the chains-of-transmission section (cases and the venues that link them,
        contacts as counts: :func:`tracelab.briefing.network_svg.network_section`).

    Returns
    -------
    dict
        ``{"html": ..., "json": ...}`` and ``"pdf"`` if asked, each a Path.

    Raises
    ------
    ValueError
        If `since` is not a briefing summary, or the page exceeds :data:`MAX_BYTES`.
    tracelab.privacy.boundary.PrivacyError
        If a built briefing still holds raw person ids (build it from pseudonymised
        data: :func:`tracelab.io.pseudonymise_data`, or let :func:`load_briefing` load it).

    Notes
    -----
    Each file is written whole or not at all (a temporary name, then a rename).
    """
    from tracelab.privacy.boundary import require_protected

    out = Path(out)
    previous = read_summary(since) if since is not None else None
    b = (data if isinstance(data, Briefing)
         else load_briefing(data, rule=rule, as_of=as_of, key=key))
    for name in ("cases", "exposures", "contacts"):
        require_protected(getattr(b, name), f"briefing {name}")
    diff = changes(previous, b) if previous is not None else None
    section = network_section(b, lang=lang) if network else ""
    page = render_html(b, lang=lang, changes=diff, network=section).encode("utf-8")
    if len(page) > MAX_BYTES:
        raise ValueError(msg("briefing page is {size:,} bytes; the limit is {limit:,}",
                             size=len(page), limit=MAX_BYTES))
    out.parent.mkdir(parents=True, exist_ok=True)
    fault_point("brief:rendered")
    write_bytes(out, page)
    fault_point("brief:html-written")
    paths = {"html": out, "json": write_summary(b, summary_path(out))}
    if pdf:
        from tracelab.briefing.pdf import html_to_pdf

        with atomic_path(out.with_suffix(".pdf")) as tmp:
            html_to_pdf(out, tmp)
        paths["pdf"] = out.with_suffix(".pdf")
    return paths
