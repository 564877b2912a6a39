"""``tracelab export``: a briefing's map layers as GeoJSON and GeoPackage, WGS-84 and GCJ-02.

Builds the briefing of the data folder as ``brief`` does (person ids pseudonymised on
load with the key of ``--key-file`` or ``TRACELAB_KEY``) and writes its venues, exposure
venues, risk areas and township counts (:mod:`tracelab.briefing.layers_export`). People
appear only as counts, so no purpose is asked and nothing is audited.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tracelab.cli.options import add_lang_option, add_region_option, say, zoned
from tracelab.cli.trace import add_key_option, cli_key

__all__ = ["register", "run"]

_LINES = {
    "done": ("{county} 图层（截至 {as_of}，规则 {rule}）：{layers}；WGS-84 与 GCJ-02 各一套，"
             "共 {files} 个文件 -> {folder}",
             "layers of {county} as of {as_of} (rule {rule}): {layers}; WGS-84 and GCJ-02, "
             "{files} files -> {folder}"),
    "rows": ("{name} {n} 行", "{name} {n} rows"),
    "not_folder": ("--layers {path}：不是文件夹", "--layers {path}: not a folder"),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``export`` sub-command."""
    p = subparsers.add_parser(
        "export", help="map layers for QGIS or kepler.gl (GeoJSON, GeoPackage)",
        description="Build the briefing of DIR and write its venues, exposure venues (counts "
        "of exposed people, no person ids), risk areas and township counts as GeoJSON files "
        "and one GeoPackage, in WGS-84, and the same with the suffix _gcj02 in GCJ-02 for "
        "domestic base maps; layers.json lists files, frames and rows.")
    p.add_argument("--layers", type=Path, required=True, metavar="DIR",
                   help="folder to write the layers to (created if missing)")
    p.add_argument("--data", type=Path, required=True,
                   help="data folder with venues.*, scans.*, cases.* (townships.geojson, "
                   "persons.* and manifest.json are used when present)")
    p.add_argument("--regime", "--rule", dest="regime", default="twenty",
                   help="rule preset or rule id (default twenty)")
    p.add_argument("--as-of", default=None,
                   help="briefing time with zone, e.g. '2022-12-01T08:00+08:00' (default: "
                   "end of a synthetic period, else the last record)")
    add_key_option(p)
    add_region_option(p)
    add_lang_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the layers; return 0."""
    from tracelab.briefing import load_briefing
    from tracelab.briefing.layers_export import LAYERS, export_layers

    lang = args.lang
    as_of = zoned(args.as_of, "--as-of", lang)
    if args.layers.exists() and not args.layers.is_dir():
        raise NotADirectoryError(say(_LINES, "not_folder", lang, path=args.layers))
    key = cli_key(args.key_file, lang=lang)
    b = load_briefing(args.data, key=key, rule=args.regime, as_of=as_of, region=args.region)
    written = export_layers(b, args.layers)
    index = json.loads(written["layers.json"].read_text(encoding="utf-8"))
    rows = ("、" if lang == "zh" else ", ").join(
        say(_LINES, "rows", lang, name=name, n=index["layers"][name])
        for name in LAYERS if name in index["layers"])
    print(say(_LINES, "done", lang, county=b.county or args.data,
              as_of=f"{b.as_of.tz_convert(b.zone):%Y-%m-%d %H:%M}", rule=b.rule.rule_id,
              layers=rows, files=len(written), folder=args.layers))
    return 0
