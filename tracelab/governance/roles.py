"""Who may see what on a call list, and the credential a role needs to reveal names and phones.

A role is data: a name, what it sees (``view``: ``"rows"``, one row per person, or
``"aggregates"``, counts only) and which personal columns it may *reveal* (``reveal``:
any of ``name``, ``phone``, ``id_number``; every other personal value stays masked).
Three roles are built in (:data:`BUILTIN_ROLES`):

========== ============ ========== ==================================================
role       title        view       reveal
========== ============ ========== ==================================================
fieldteam  流调现场组   rows       name, phone: the team that calls people
analyst    流调分析员   rows       nothing: pseudonyms, masked names and phones
manager    指挥部管理   aggregates nothing: counts by township and tier, no rows of people
========== ============ ========== ==================================================

A roles file adds others (:func:`load_roles`): CSV with the columns ``role, view, reveal``
(``reveal`` joined by ``;``) and optionally ``title_zh, title_en``, or JSON, a list of such
objects (``reveal`` a list) or ``{"roles": [...]}``. A file may not redefine a built-in
role.

A role is not self-declared. Masked lists and aggregates may be asked for under any role
name, but revealing needs a *credential* that only that role holds:
:func:`issue_credential` (``tracelab roles issue ROLE --out FILE [--days N]``) writes a
JSON object naming the role, what it may see, when it was issued and expires, a random
id, an id of the key (not the key) and an HMAC-SHA256 seal over all of it, under a key
derived from the county's pseudonymisation key with a fixed label
(:data:`CREDENTIAL_LABEL`). :func:`verify_credential` checks the seal under the county key
and the expiry against the clock; :func:`authorise` then takes the role *from the
credential* (a different ``role=`` is refused) and refuses a role that may reveal
nothing. What a role may reveal is sealed in the credential when it is issued, so a roles
file changed later cannot widen it.

What this stops:

- someone holding the data folder (or a copy of the store, the exposures, a masked list)
  but neither the county key nor a credential cannot get names or phones through
  tracelab: the reveal needs the key to match pseudonyms, and a credential sealed under
  it;
- an analyst cannot reveal by claiming a role: ``--role fieldteam`` without a
  credential of that role is refused, an analyst's or a manager's credential is refused,
  and a credential edited to name another role, widened, or given a later expiry no
  longer matches its seal;
- a credential issued under another county's key is refused, and so is an expired one
  (the command line always judges expiry by the clock, never by ``--now``).

What it cannot stop:

- anyone holding the key can issue credentials for any role (keep the key with the
  person who issues them, not on analysts' machines);
- anyone with the raw data folder can read names and phones in it directly, without
  tracelab: file permissions protect the folder, not this module;
- a credential file can be copied, and used by whoever holds it and the key until it
  expires; there is no revocation list, so issue short ones (``--days``, default 7).

Every reveal is logged in the audit table with the credential's id
(:mod:`tracelab.governance.call_lists`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from tracelab._atomic import atomic_path
from tracelab._i18n import msg
from tracelab._time import now_utc
from tracelab.model import schema as s
from tracelab.privacy.pseudonyms import check_key, scrub_text

__all__ = [
    "Role",
    "Credential",
    "RoleError",
    "CredentialError",
    "BUILTIN_ROLES",
    "REVEALABLE",
    "VIEWS",
    "LANGS",
    "CREDENTIAL_FORMAT",
    "CREDENTIAL_LABEL",
    "DEFAULT_DAYS",
    "MAX_DAYS",
    "check_lang",
    "load_roles",
    "read_roles",
    "issue_credential",
    "write_credential",
    "read_credential",
    "verify_credential",
    "authorise",
]

#: Languages of messages for people: Chinese (default) and English.
LANGS = ("zh", "en")
#: What a role sees: one row per person, or counts only.
VIEWS = ("rows", "aggregates")
#: Personal columns a role may be allowed to reveal on a call list.
REVEALABLE = (s.PERSON_NAME, s.PHONE, s.ID_NUMBER)
#: ``format`` of a credential file, so that any other JSON is told apart.
CREDENTIAL_FORMAT = "tracelab-role-credential/1"
#: Label of the key that seals credentials, derived from the county key by HMAC-SHA256:
#: a credential's seal can then never be mistaken for a pseudonym or an audit anchor.
CREDENTIAL_LABEL = b"tracelab/role-credential/seal/v1"
_KEY_ID_LABEL = b"tracelab/role-credential/key-id/v1"
#: Days a credential lasts unless told otherwise, and the most it may last: there is no
#: revocation list, so a copied credential works until it expires (design default).
DEFAULT_DAYS = 7
MAX_DAYS = 90
# A credential issued this far "in the future" is refused: clocks of two machines differ
# by seconds, not by minutes.
_CLOCK_SKEW = pd.Timedelta(minutes=5)
_ROLE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_FIELDS = ("format", "role", s.VIEW, s.REVEAL, s.TITLE_ZH, s.TITLE_EN, "issued_at",
           "expires_at", "id", "key_id", "holder")

View = Literal["rows", "aggregates"]


def check_lang(lang: object) -> str:
    """Return `lang` if it is a language of :data:`LANGS`, else raise ValueError.

    Examples
    --------
    >>> check_lang("en")
    'en'
    >>> check_lang("fr")
    Traceback (most recent call last):
    ...
    ValueError: lang='fr'; allowed: 'zh' (Chinese, the default), 'en'
    """
    if lang not in LANGS:
        raise ValueError(msg("lang={lang!r}; allowed: 'zh' (Chinese, the default), 'en'",
                             lang=lang))
    return str(lang)


def _say(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


class RoleError(ValueError):
    """A role that is unknown, badly defined, or not allowed what was asked."""


class CredentialError(ValueError):
    """A credential that is unreadable, forged, altered, of another key, or expired."""


@dataclass(frozen=True)
class Role:
    """A call-list role: what it sees and which personal columns it may reveal.

    Attributes
    ----------
    name : str
        Lower-case letters, digits, ``_`` or ``-``, starting with a letter.
    view : {"rows", "aggregates"}
        ``rows``: one row per person (masked unless revealed); ``aggregates``: counts by
        township and tier only.
    reveal : tuple of str
        Columns of :data:`REVEALABLE` the role may show unmasked, with a credential.
    title_zh, title_en : str
        The role's title for the cover sheet.

    Examples
    --------
    >>> BUILTIN_ROLES["fieldteam"].reveal, BUILTIN_ROLES["manager"].may_reveal
    (('name', 'phone'), False)
    """

    name: str
    view: View = "rows"
    reveal: tuple[str, ...] = ()
    title_zh: str = ""
    title_en: str = ""

    @property
    def may_reveal(self) -> bool:
        """Whether the role may reveal anything."""
        return bool(self.reveal)

    def title(self, lang: str = "zh") -> str:
        """``name（title）`` in `lang`, e.g. ``fieldteam（流调现场组）``."""
        title = self.title_en if lang == "en" else self.title_zh
        if not title or title == self.name:
            return self.name
        return f"{self.name} ({title})" if lang == "en" else f"{self.name}（{title}）"


#: The three built-in roles; a roles file adds others (:func:`load_roles`).
BUILTIN_ROLES: Mapping[str, Role] = {
    "fieldteam": Role("fieldteam", "rows", (s.PERSON_NAME, s.PHONE), "流调现场组",
                      "field team"),
    "analyst": Role("analyst", "rows", (), "流调分析员", "analyst"),
    "manager": Role("manager", "aggregates", (), "指挥部管理", "command HQ manager"),
}


def _role(name: object, view: object, reveal: object, title_zh: object = "",
          title_en: object = "", *, where: str) -> Role:
    """A Role from a file's fields, checked; `where` names the file and row."""
    text = str(name).strip() if name is not None else ""
    if not _ROLE_NAME.match(text):
        raise RoleError(msg("{where}: role {text!r} is not lower-case letters, digits, '_' or '-' "
                            "starting with a letter (at most 32)", where=where, text=text[:40]))
    if text in BUILTIN_ROLES:
        raise RoleError(msg("{where}: role {text!r} is built in and cannot be redefined; give "
                            "your role another name", where=where, text=text))
    v = str(view).strip() if view is not None else ""
    if v not in VIEWS:
        raise RoleError(msg("{where}: role {text!r} has view {v!r}; allowed: 'rows', 'aggregates'",
                            where=where, text=text, v=v))
    if isinstance(reveal, str):
        parts = [p.strip() for p in re.split(r"[;,|\s]+", reveal) if p.strip()]
    elif reveal is None or (isinstance(reveal, float) and reveal != reveal):
        parts = []
    elif isinstance(reveal, list | tuple):
        parts = [str(p).strip() for p in reveal]
    else:
        raise RoleError(msg("{where}: role {text!r}: reveal must be a list or ';'-joined text",
                            where=where, text=text))
    bad = [p for p in parts if p not in REVEALABLE]
    if bad:
        raise RoleError(msg("{where}: role {text!r} reveals {bad!r}; allowed: {names} (or nothing)",
                            where=where, text=text, bad=bad, names=", ".join(REVEALABLE)))
    if v == "aggregates" and parts:
        raise RoleError(msg("{where}: role {text!r} sees aggregates only, so it can reveal "
                            "nothing; drop {parts!r} or give it view 'rows'", where=where,
                            text=text, parts=parts))
    order = tuple(c for c in REVEALABLE if c in parts)

    def title(value: object) -> str:
        return "" if value is None or value != value else str(scrub_text(str(value).strip()))

    return Role(text, v, order, title(title_zh), title(title_en))  # type: ignore[arg-type]


def read_roles(path: str | Path) -> dict[str, Role]:
    """The roles a roles file defines (CSV or JSON), checked; built-ins not included.

    Parameters
    ----------
    path : str or Path
        CSV (UTF-8, with or without BOM) with columns ``role, view, reveal`` and
        optionally ``title_zh, title_en``; or JSON: a list of objects with those keys
        (``reveal`` a list or ``;``-joined text), or ``{"roles": [...]}``.

    Returns
    -------
    dict of str to Role

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    RoleError
        If a row is malformed, names a built-in role, or a role twice.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "roles.csv"
    >>> _ = p.write_text("role,view,reveal,title_zh\\nhotline,rows,phone,热线组\\n"
    ...                  "cdc,aggregates,,疾控中心\\n", encoding="utf-8")
    >>> roles = read_roles(p)
    >>> roles["hotline"].reveal, roles["cdc"].view, roles["hotline"].title()
    (('phone',), 'aggregates', 'hotline（热线组）')
    """
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(msg("--roles {file}: no such file", file=file))
    name = file.name
    if file.suffix.lower() == ".json":
        try:
            raw = json.loads(file.read_text(encoding="utf-8-sig"))
        except ValueError as exc:
            raise RoleError(msg("--roles {name}: not valid JSON ({exc})", name=name,
                                exc=exc)) from None
        if isinstance(raw, dict):
            raw = raw.get("roles")
        if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
            raise RoleError(msg('--roles {name}: give a list of objects with role, view and '
                                'reveal, or {{"roles": [...]}}', name=name))
        rows = [(i + 1, r) for i, r in enumerate(raw)]
    elif file.suffix.lower() in (".csv", ".txt"):
        try:
            frame = pd.read_csv(file, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        except (ValueError, pd.errors.ParserError) as exc:
            raise RoleError(msg("--roles {name}: cannot be read as CSV ({kind})", name=name,
                                kind=type(exc).__name__)) from None
        frame.columns = [str(c).strip() for c in frame.columns]
        missing = [c for c in (s.ACCESS_ROLE, s.VIEW) if c not in frame.columns]
        if missing:
            raise RoleError(msg("--roles {name}: missing column(s) {missing}; a roles file has "
                                "role, view, reveal and optionally title_zh, title_en",
                                name=name, missing=missing))
        rows = [(i + 2, r) for i, r in enumerate(frame.to_dict("records"))]
    else:
        raise RoleError(msg("--roles {name}: {suffix!r} is not a roles file; give a .csv or .json "
                            "file", name=name, suffix=file.suffix or msg("no suffix")))
    roles: dict[str, Role] = {}
    for row, record in rows:
        role = _role(record.get(s.ACCESS_ROLE), record.get(s.VIEW), record.get(s.REVEAL),
                     record.get(s.TITLE_ZH, ""), record.get(s.TITLE_EN, ""),
                     where=f"--roles {name} row {row}")
        if role.name in roles:
            raise RoleError(msg("--roles {name} row {row}: role {role!r} is defined twice",
                                name=name, row=row, role=role.name))
        roles[role.name] = role
    return roles


def load_roles(path: str | Path | None = None) -> dict[str, Role]:
    """The built-in roles, plus those of a roles file when given (:func:`read_roles`).

    Examples
    --------
    >>> sorted(load_roles())
    ['analyst', 'fieldteam', 'manager']
    """
    roles = dict(BUILTIN_ROLES)
    if path is not None:
        roles.update(read_roles(path))
    return roles


def _find_role(role: str | Role, roles: Mapping[str, Role] | None, lang: str) -> Role:
    if isinstance(role, Role):
        return role
    known = dict(BUILTIN_ROLES if roles is None else roles)
    name = str(role).strip()
    if name not in known:
        raise RoleError(_say(
            lang, f"角色 {name[:40]!r} 不存在；可用角色：{', '.join(sorted(known))}"
                  "（其他角色用 --roles FILE 定义）",
            f"role {name[:40]!r} is not known; known roles: {', '.join(sorted(known))} "
            "(define others with --roles FILE)"))
    return known[name]


# --- credentials ------------------------------------------------------------------------


@dataclass(frozen=True)
class Credential:
    """A verified credential (:func:`verify_credential`).

    Attributes
    ----------
    role : Role
        The role as sealed at issue time (its ``reveal`` and ``view`` included).
    id : str
        Random id (32 hex digits), logged with every reveal it allows.
    issued_at, expires_at : pandas.Timestamp
        UTC.
    holder : str
        Whom it was issued to, as the issuer wrote it (may be empty).
    """

    role: Role
    id: str
    issued_at: pd.Timestamp
    expires_at: pd.Timestamp
    holder: str = ""


def _derived(key: bytes, label: bytes) -> bytes:
    return hmac.new(key, label, hashlib.sha256).digest()


def _key_id(key: bytes) -> str:
    """16 hex digits naming the key without revealing it: tells "other key" from "forged"."""
    return _derived(key, _KEY_ID_LABEL).hex()[:16]


def _seal(fields: Mapping[str, Any], key: bytes) -> str:
    body = json.dumps({k: fields[k] for k in _FIELDS}, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)
    return hmac.new(_derived(key, CREDENTIAL_LABEL), body.encode("utf-8"),
                    hashlib.sha256).hexdigest()


def _utc_text(stamp: pd.Timestamp) -> str:
    return stamp.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def issue_credential(role: str | Role, key: bytes, *, days: int = DEFAULT_DAYS,
                     roles: Mapping[str, Role] | None = None, holder: str | None = None,
                     now: pd.Timestamp | str | None = None, lang: str = "zh"
                     ) -> dict[str, Any]:
    """A credential for `role`, sealed under `key`: a JSON-ready dict (:func:`write_credential`).

    Parameters
    ----------
    role : str or Role
        A role of `roles` (default the built-in ones), or a Role.
    key : bytes
        The county's pseudonymisation key (:func:`tracelab.privacy.load_key`); the seal
        is made under a key derived from it (:data:`CREDENTIAL_LABEL`), never the key.
    days : int, default 7
        Validity, 1 to :data:`MAX_DAYS`.
    roles : mapping, optional
        Known roles (:func:`load_roles`); default the built-in ones.
    holder : str, optional
        Whom it is for, e.g. a team name, written in the credential (numbers that look
        like phones or ID numbers are masked).
    now : Timestamp or str, optional
        Issue time, tz-aware; default the clock.
    lang : {"zh", "en"}
        Language of a refusal of the role.

    Returns
    -------
    dict
        ``format, role, view, reveal, title_zh, title_en, issued_at, expires_at, id,
        key_id, holder, seal``.

    Raises
    ------
    RoleError
        If the role is unknown.
    ValueError
        If `days` is out of range or the key is too short or weak.

    Notes
    -----
    A credential of a role that may reveal nothing can be issued (it proves the role);
    :func:`authorise` refuses it for a reveal.

    Examples
    --------
    >>> from tracelab.privacy import DEMO_KEY
    >>> c = issue_credential("fieldteam", DEMO_KEY, days=2, now="2022-11-20T08:00:00+08:00")
    >>> c["role"], c["reveal"], c["issued_at"], c["expires_at"]
    ('fieldteam', ['name', 'phone'], '2022-11-20T00:00:00Z', '2022-11-22T00:00:00Z')
    >>> verify_credential(c, DEMO_KEY, now="2022-11-21T00:00:00Z").role.name
    'fieldteam'
    """
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ValueError(msg("days={days!r}; give a whole number of days from 1 to {most}",
                             days=days, most=MAX_DAYS))
    key = check_key(key)
    chosen = _find_role(role, roles, check_lang(lang))
    issued = now_utc(now).floor("s")
    fields: dict[str, Any] = {
        "format": CREDENTIAL_FORMAT, "role": chosen.name, s.VIEW: chosen.view,
        s.REVEAL: list(chosen.reveal), s.TITLE_ZH: chosen.title_zh,
        s.TITLE_EN: chosen.title_en, "issued_at": _utc_text(issued),
        "expires_at": _utc_text(issued + pd.Timedelta(days=days)),
        "id": secrets.token_hex(16), "key_id": _key_id(key),
        "holder": str(scrub_text(str(holder or "").strip()))[:80],
    }
    return {**fields, "seal": _seal(fields, key)}


def write_credential(credential: Mapping[str, Any], path: str | Path) -> Path:
    """Write a credential as JSON, whole or not at all, readable by its owner only.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from tracelab.privacy import DEMO_KEY
    >>> out = write_credential(issue_credential("analyst", DEMO_KEY),
    ...                        pathlib.Path(tempfile.mkdtemp()) / "analyst.json")
    >>> read_credential(out)["role"], oct(out.stat().st_mode & 0o777)
    ('analyst', '0o600')
    """
    target = Path(path)
    text = json.dumps(dict(credential), ensure_ascii=False, indent=1, sort_keys=False) + "\n"
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
        # A credential reveals names and phones to whoever holds it and the key.
        os.chmod(tmp, 0o600)
    return target


def read_credential(path: str | Path, *, lang: str = "zh") -> dict[str, Any]:
    """The JSON object of a credential file (not verified: :func:`verify_credential`).

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    CredentialError
        If it is not a JSON object.
    """
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(_say(lang, f"--credential {file}：文件不存在",
                                     f"--credential {file}: no such file"))
    try:
        obj = json.loads(file.read_text(encoding="utf-8-sig"))
    except (ValueError, UnicodeDecodeError):
        obj = None
    if not isinstance(obj, dict):
        raise CredentialError(_say(
            lang, f"--credential {file.name}：不是 tracelab 角色凭证（不是 JSON 对象）；"
                  "凭证由 `tracelab roles issue` 签发",
            f"--credential {file.name}: not a tracelab role credential (not a JSON object); "
            "credentials are issued by `tracelab roles issue`"))
    return obj


def _local(stamp: pd.Timestamp, zone: str) -> str:
    return stamp.tz_convert(zone).strftime("%Y-%m-%d %H:%M")


def verify_credential(credential: Mapping[str, Any] | str | Path, key: bytes, *,
                      now: pd.Timestamp | str | None = None, lang: str = "zh",
                      zone: str = s.DEFAULT_ZONE) -> Credential:
    """Check a credential's seal under `key` and its expiry; return what it proves.

    Parameters
    ----------
    credential : mapping, str or Path
        The credential (:func:`issue_credential`) or its file.
    key : bytes
        The county key.
    now : Timestamp or str, optional
        Reference time for the expiry; default the clock (the command line always
        uses the clock).
    lang : {"zh", "en"}
        Language of the refusal.
    zone : str
        Zone of the times shown in a refusal.

    Returns
    -------
    Credential

    Raises
    ------
    CredentialError
        Not a credential, issued under another key, altered or forged (the seal does
        not match), expired, or issued in the future.

    Examples
    --------
    >>> from tracelab.privacy import DEMO_KEY
    >>> c = issue_credential("analyst", DEMO_KEY, days=1, now="2022-11-20T00:00:00Z")
    >>> verify_credential({**c, "role": "fieldteam"}, DEMO_KEY, lang="en")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tracelab.governance.roles.CredentialError: credential ...: its seal does not match: ...
    >>> verify_credential(c, DEMO_KEY, now="2022-11-25T00:00:00Z", lang="en")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tracelab.governance.roles.CredentialError: credential ...: expired on 2022-11-21 08:00 ...
    """
    lang = check_lang(lang)
    key = check_key(key)
    obj = read_credential(credential, lang=lang) if isinstance(credential, str | Path) \
        else dict(credential)
    cid = str(obj.get("id", ""))[:8] or "?"
    what = _say(lang, f"凭证 {cid}", f"credential {cid}")
    missing = [f for f in (*_FIELDS, "seal") if f not in obj]
    if obj.get("format") != CREDENTIAL_FORMAT or missing:
        detail = (f"format {str(obj.get('format'))[:40]!r}" if obj.get("format") !=
                  CREDENTIAL_FORMAT else f"missing {missing}")
        raise CredentialError(_say(
            lang, f"{what}：不是 tracelab 角色凭证（{detail}）；凭证由 `tracelab roles issue` 签发",
            f"{what}: not a tracelab role credential ({detail}); credentials are issued by "
            "`tracelab roles issue`"))
    if not hmac.compare_digest(str(obj["key_id"]), _key_id(key)):
        raise CredentialError(_say(
            lang, f"{what}：由另一把密钥签发，不能用于本县数据；已拒绝。请用本县密钥重新签发"
                  "（tracelab roles issue）",
            f"{what}: issued under another key, not this county's; refused. Issue one under "
            "this key (tracelab roles issue)"))
    if not hmac.compare_digest(str(obj["seal"]), _seal(obj, key)):
        raise CredentialError(_say(
            lang, f"{what}：签名不符：文件被改动或伪造；已拒绝",
            f"{what}: its seal does not match: the file was altered or forged; refused"))
    try:
        issued, expires = (now_utc(obj[f], f) for f in ("issued_at", "expires_at"))
        role = Role(str(obj["role"]), obj[s.VIEW], tuple(obj[s.REVEAL]), str(obj[s.TITLE_ZH]),
                    str(obj[s.TITLE_EN]))
    except (ValueError, TypeError):  # sealed by tracelab, so only an old or odd issuer
        raise CredentialError(_say(lang, f"{what}：内容无法读取；请重新签发",
                                   f"{what}: its fields cannot be read; issue a new one")
                              ) from None
    clock = now_utc(now)
    if clock >= expires:
        raise CredentialError(_say(
            lang, f"{what}：已于 {_local(expires, zone)}（{zone}）过期；请重新签发"
                  "（tracelab roles issue）",
            f"{what}: expired on {_local(expires, zone)} ({zone}); issue a new one "
            "(tracelab roles issue)"))
    if issued > clock + _CLOCK_SKEW:
        raise CredentialError(_say(
            lang, f"{what}：签发时间 {_local(issued, zone)} 晚于现在；请检查本机时钟",
            f"{what}: issued at {_local(issued, zone)}, after now; check this machine's "
            "clock"))
    return Credential(role, str(obj["id"]), issued, expires, str(obj["holder"]))


def authorise(role: str | Role | None, *, reveal: bool, credential: Any = None,
              key: bytes | None = None, roles: Mapping[str, Role] | None = None,
              lang: str = "zh") -> tuple[Role, tuple[str, ...], Credential | None]:
    """The role a call list is made for, the columns it reveals, and the credential used.

    Without `reveal` the role is as named (any known role: nothing is revealed). With
    `reveal`, the role comes from the credential, verified under `key` against the clock;
    a `role` that names another role is refused, and so is a role that may reveal nothing.

    Parameters
    ----------
    role : str, Role or None
        The role asked for; with `reveal` it may be None (taken from the credential).
    reveal : bool
        Whether names and phones are to be shown.
    credential : mapping, str or Path, optional
        Required with `reveal` (:func:`verify_credential`).
    key : bytes, optional
        The county key; required with `reveal`.
    roles : mapping, optional
        Known roles (:func:`load_roles`); default the built-in ones.
    lang : {"zh", "en"}

    Returns
    -------
    (Role, tuple of str, Credential or None)

    Raises
    ------
    RoleError
        Unknown role; no role and no reveal; a role that disagrees with the credential;
        a role that may not reveal; a credential without `reveal`.
    CredentialError
        As :func:`verify_credential`; a reveal without a credential.

    Examples
    --------
    >>> from tracelab.privacy import DEMO_KEY
    >>> authorise("analyst", reveal=False)[1]
    ()
    >>> c = issue_credential("fieldteam", DEMO_KEY)
    >>> role, columns, cred = authorise(None, reveal=True, credential=c, key=DEMO_KEY)
    >>> role.name, columns
    ('fieldteam', ('name', 'phone'))
    >>> authorise("fieldteam", reveal=True, lang="en")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tracelab.governance.roles.CredentialError: revealing names and phones needs a credential ...
    """
    lang = check_lang(lang)
    if not reveal:
        if credential is not None:
            raise RoleError(_say(lang, "--credential 只与 --reveal 一起使用；遮蔽名单不需要凭证",
                                 "--credential is used only with --reveal; a masked list "
                                 "needs none"))
        if role is None:
            raise RoleError(_say(
                lang, "请用 --role 指定角色（fieldteam、analyst、manager），或用 --reveal "
                      "--credential FILE 显示姓名和电话",
                "give --role ROLE (fieldteam, analyst, manager), or --reveal --credential "
                "FILE to show names and phones"))
        return _find_role(role, roles, lang), (), None
    if credential is None:
        raise CredentialError(_say(
            lang, "显示姓名和电话需要该角色的凭证（--credential FILE，由 `tracelab roles issue` "
                  "签发）；自报角色不能显示",
            "revealing names and phones needs a credential of the role (--credential FILE, "
            "issued by `tracelab roles issue`); a role cannot be claimed"))
    if key is None:
        raise ValueError(msg("key: revealing needs the county key"))
    cred = verify_credential(credential, key, lang=lang)
    asked = role.name if isinstance(role, Role) else (None if role is None else str(role).strip())
    if asked is not None and asked != cred.role.name:
        raise RoleError(_say(
            lang, f"--role {asked[:40]} 与凭证的角色 {cred.role.name} 不符；角色以凭证为准，"
                  "已拒绝",
            f"--role {asked[:40]} disagrees with the credential's role {cred.role.name}; "
            "the role comes from the credential; refused"))
    if not cred.role.may_reveal or cred.role.view != "rows":
        raise RoleError(_say(
            lang, f"角色 {cred.role.title('zh')} 无权显示姓名或电话；已拒绝。去掉 --reveal "
                  "可生成遮蔽名单",
            f"role {cred.role.title('en')} may not reveal names or phones; refused. Leave out "
            "--reveal for a masked list"))
    columns = tuple(c for c in REVEALABLE if c in cred.role.reveal)
    return cred.role, columns, cred
