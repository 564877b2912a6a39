"""Options several sub-commands share."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracelab._i18n import msg, one_of

if TYPE_CHECKING:  # pandas and the regions (pyproj, shapely) load when an option needs them
    import pandas as pd

    from tracelab.model.regions import Region

__all__ = ["add_audit_options", "add_region_option", "region_arg", "add_log_options", "log_kwargs", "zoned", "output",
           "LANGS", "add_lang_option", "say", "lang_of"]

#: Languages of what the command line prints: Chinese (the default) and English.
LANGS = ("zh", "en")


def add_lang_option(p: argparse.ArgumentParser,
                    help: str = "language of messages and summaries (default zh, Chinese)"
                    ) -> None:
    """Add ``--lang {zh,en}``, default ``zh``."""
    p.add_argument("--lang", choices=LANGS, default="zh", help=help)


def say(lines: dict[str, tuple[str, str]], key: str, lang: str, **fields: object) -> str:
    """Line `key` of a ``{key: (zh, en)}`` table in `lang`, filled in with `fields`.

    Examples
    --------
    >>> table = {"done": ("已写入 {path}", "written: {path}")}
    >>> say(table, "done", "zh", path="a.csv"), say(table, "done", "en", path="a.csv")
    ('已写入 a.csv', 'written: a.csv')
    """
    return lines[key][1 if lang == "en" else 0].format(**fields)


def lang_of(args: object) -> str:
    """The ``--lang`` of parsed arguments: ``en`` only when asked for, else ``zh``."""
    return "en" if getattr(args, "lang", None) == "en" else "zh"


def output(path: Path, option: str = "--out", formats: tuple[str, ...] = (".csv", ".xlsx",
                                                                         ".parquet"),
           lang: str = "en") -> Path:
    """Check an output's extension (it decides the format) and create its folder.

    Called before any work, so that a wrong extension costs nothing and logs nothing.
    The refusal is a :func:`tracelab._i18n.msg`, shown in the command line's language
    whatever `lang` says (kept for the callers that pass it).

    Examples
    --------
    >>> output(Path("out.txt"))
    Traceback (most recent call last):
    ...
    ValueError: --out out.txt: the extension decides the format; use .csv, .xlsx or .parquet
    """
    if path.suffix.lower() not in formats:
        raise ValueError(msg("{option} {path}: the extension decides the format; use "
                             "{allowed}", option=option, path=path, allowed=one_of(formats)))
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def add_region_option(p: argparse.ArgumentParser, *, default_help: str | None = None) -> None:
    """Add ``--region CODE|NAME|FILE``: the county (or own area) the data cover."""
    default = default_help or ("the folder's manifest.json, else the county the venue "
                               "registry names (区县) or its venue codes")
    p.add_argument("--region", default=None, metavar="CODE|NAME|FILE",
                   help="the region the data cover: a county code or name (every county-level "
                   "division of 江西省 is shipped, e.g. 360121 or 南昌县), or your own township "
                   f"table (.csv) or GeoJSON; default {default}")


def add_log_options(p: argparse.ArgumentParser) -> None:
    """Add ``--profile``, ``--columns`` and ``--zone``: how to read a log from any source."""
    p.add_argument("--profile", choices=("strict", "research"), default="strict",
                   help="strict (default): the 赣通码 registry rules; research: only what "
                   "tracing needs (person, venue, time; a case needs one of onset, sampling "
                   "or confirmation); venues.* may then be absent")
    p.add_argument("--columns", default=None, metavar="JSON|FILE",
                   help="column mapping for other headers, a JSON object or a .json file: "
                   "tracelab column -> your header, or a list of headers joined into one "
                   'key, e.g. \'{"person_id": "patient_id", "venue_id": ["latitude", '
                   '"longitude"]}\'')
    p.add_argument("--zone", default=None,
                   help="IANA zone of times written without one (default: the region's, "
                   "else Asia/Shanghai), e.g. Asia/Seoul")


def log_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """``profile``, ``columns`` and ``zone`` keyword arguments of :func:`tracelab.io.read_dir`."""
    columns = None
    if args.columns is not None:
        text = args.columns
        if not text.lstrip().startswith("{"):
            path = Path(text)
            if not path.is_file():
                raise FileNotFoundError(msg("--columns {text}: no such file (or give a JSON "
                                            "object)", text=text))
            text = path.read_text(encoding="utf-8")
        try:
            columns = json.loads(text)
        except ValueError as exc:
            raise ValueError(msg("--columns: not valid JSON ({exc})", exc=exc)) from None
        if not isinstance(columns, dict):
            raise ValueError(msg("--columns: give a JSON object, tracelab column -> header"))
    if args.zone is not None:
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(args.zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(msg("--zone {zone!r} is not an IANA zone such as Asia/Shanghai",
                                 zone=args.zone)) from None
    return {"profile": args.profile, "columns": columns, "zone": args.zone}


def zoned(text: str | None, option: str, lang: str = "en") -> pd.Timestamp | None:
    """The time an option gives, which must carry its zone; None when not given.

    A time without its zone is refused (the message in the command line's language).

    Examples
    --------
    >>> zoned("2022-11-20T08:00+08:00", "--as-of").isoformat()
    '2022-11-20T08:00:00+08:00'
    """
    if text is None:
        return None
    import pandas as pd

    stamp = pd.Timestamp(text)
    if stamp.tz is None:
        raise ValueError(msg("{option} {text!r} has no zone; add one, e.g. {text}+08:00",
                             option=option, text=text))
    return stamp


def region_arg(value: str) -> Region:
    """The region a ``--region`` value names: a shipped code or name, or a file."""
    from tracelab.io.folders import resolve_region

    return resolve_region(value)


def add_audit_options(p: argparse.ArgumentParser, purpose_help: str,
                      who_help: str = "the analyst, for the audit log") -> None:
    """Add ``--purpose`` (required), ``--audit`` and ``--who``: a person-level query's log."""
    p.add_argument("--purpose", required=True, help=purpose_help)
    p.add_argument("--audit", type=Path, default=None,
                   help="DuckDB store holding the audit log (default DIR/tracelab.duckdb)")
    p.add_argument("--who", default=None, help=who_help)
