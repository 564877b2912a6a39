"""Options several sub-commands share."""

from __future__ import annotations

import argparse

from tracelab.model.regions import Region

__all__ = ["add_region_option", "region_arg"]


def add_region_option(p: argparse.ArgumentParser, *, default_help: str | None = None) -> None:
    """Add ``--region CODE|NAME|FILE``: the county (or own area) the data cover."""
    default = default_help or ("the folder's manifest.json, else the county the venue "
                               "registry names (区县) or its venue codes")
    p.add_argument("--region", default=None, metavar="CODE|NAME|FILE",
                   help="the region the data cover: a county code or name (every county-level "
                   "division of 江西省 is shipped, e.g. 360121 or 南昌县), or your own township "
                   f"table (.csv) or GeoJSON; default {default}")


def region_arg(value: str) -> Region:
    """The region a ``--region`` value names: a shipped code or name, or a file."""
    from tracelab.io.folders import resolve_region

    return resolve_region(value)
