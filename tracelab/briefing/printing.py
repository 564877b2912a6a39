"""What a printed briefing needs beyond the page's own print styles.

The map is a Leaflet page inside an ``iframe srcdoc``: the page's stylesheet cannot reach
into it, so :func:`printable_map` gives the map page its own print style (no zoom buttons,
layer control or attribution on paper; legends and the scale stay). :func:`footer_content`
gives the CSS ``@page`` margin boxes that print the briefing time and the page number at
the foot of every page (Chromium prints margin boxes since version 131, in ``--pdf`` and
in a person's own print dialog alike).
"""

from __future__ import annotations

import re

from markupsafe import Markup

from tracelab.briefing.text import t

__all__ = ["MAP_PRINT_STYLE", "printable_map", "css_string", "footer_content"]

#: Print style of the map page: the controls are for the screen. Legends and the scale
#: bar are controls too, but they are what makes a printed map readable.
MAP_PRINT_STYLE = (
    '<style media="print">'
    ".leaflet-control-zoom,.leaflet-control-layers,.leaflet-control-attribution"
    "{display:none !important}"
    "</style>"
)
_HEAD_END = re.compile(r"</head\s*>", re.I)


def printable_map(page: str) -> str:
    """`page`, a Leaflet map page, with :data:`MAP_PRINT_STYLE` at the end of its head.

    The last ``</head>`` is the page's own: the libraries inlined in the head come before
    it, and registration text in the body is escaped for script (``\\u003c``).

    Examples
    --------
    >>> out = printable_map("<html><head><title>m</title></head><body></body></html>")
    >>> out.index(".leaflet-control-zoom") < out.index("</head>")
    True
    >>> printable_map("<div>no head</div>").startswith('<style media="print">')
    True
    """
    ends = [m.start() for m in _HEAD_END.finditer(page)]
    if not ends:
        return MAP_PRINT_STYLE + page
    return page[:ends[-1]] + MAP_PRINT_STYLE + page[ends[-1]:]


def css_string(text: str) -> Markup:
    """`text` as a quoted CSS string in which every character but ASCII letters and
    digits is a six-digit escape: safe inside ``<style>`` whatever `text` holds.

    Examples
    --------
    >>> str(css_string("长乐镇 </style>"))
    '"\\\\00957f\\\\004e50\\\\009547\\\\000020\\\\00003c\\\\00002fstyle\\\\00003e"'
    """
    return Markup('"' + "".join(c if c.isascii() and c.isalnum() else f"\\{ord(c):06x}"
                                for c in text) + '"')


def footer_content(title: str, lang: str = "zh") -> tuple[Markup, Markup]:
    """CSS ``content`` values of the footer: `title` (left) and the page number (right).

    Examples
    --------
    >>> left, right = footer_content("Briefing 2022-12-02", "en")
    >>> str(right)
    '"page\\\\000020" counter(page) "\\\\000020of\\\\000020" counter(pages)'
    """
    parts = re.split(r"\{(page|pages)\}", t("page_of", lang))
    # Even items are text, odd ones the counter between them.
    right = " ".join(f"counter({part})" if i % 2 else str(css_string(part))
                     for i, part in enumerate(parts) if part)
    return css_string(title), Markup(right)
