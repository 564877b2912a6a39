"""tracelab's own map scripts (``static/tracelab.js``, ``.css``), inlined once per page.

The layers that need more than folium draws (venue clusters with rank numbers, risk-area
marks of a minimum size, township labels) put their data into a small script that calls
``tlMap``; the helper itself is written into the page's header once.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Any

from tracelab._i18n import msg
from tracelab.maps._common import js_string
from tracelab.maps.assets import import_folium

__all__: list[str] = []  # private helpers

_HEADER_NAME = "tracelab_map_helpers"
_CALL = """{% macro script(this, kwargs) %}
(function () {
  /* tl-call {{ this.tag }} */ var data = {{ this.data_js }};
  var group = L.layerGroup().addTo({{ this._parent.get_name() }});
  tlMap.{{ this.function }}({{ this.map_name }}, group, data, {{ this.options_js }});
})();
{% endmacro %}"""


@functools.cache
def _static(name: str) -> str:
    return resources.files("tracelab.maps").joinpath("static", name).read_text(encoding="utf-8")


def add_helpers(m: Any) -> None:
    """Write the helper script and its styles into the page header of `m` (once)."""
    folium = import_folium()
    script, style = _static("tracelab.js"), _static("tracelab.css")
    # A closing tag inside would end the element early; the helpers are ours and have none.
    if re.search(r"</script|</style", script + style, re.IGNORECASE):
        raise ValueError(msg("tracelab map helpers must not contain </script or </style"))
    m.get_root().header.add_child(
        folium.Element(f"<style>{style}</style><script>{script}</script>"), name=_HEADER_NAME)


def add_call(m: Any, parent: Any, function: str, data: Any, options: dict[str, Any],
             tag: str) -> None:
    """Draw ``tlMap.<function>`` into a new layer group inside `parent` (a FeatureGroup).

    `data` and `options` are written as JSON (safe inside a script); every text in them
    must already be escaped. `tag` names the call in a comment, for tests to find its data.
    """
    from branca.element import MacroElement, Template

    add_helpers(m)
    element: Any = MacroElement()  # Any: the template reads attributes set below
    element._template = Template(_CALL)
    element.tag = tag
    element.function = function
    element.map_name = m.get_name()
    element.data_js = js_string(data)
    element.options_js = js_string(options)
    parent.add_child(element)
