"""Purpose binding: what a query's purpose looks like, and the check every person-level query runs.

A query that returns people must name the case or investigation it serves
(:data:`PURPOSE_PATTERN`); :func:`require_purpose` refuses anything else before the query
runs, and the purpose it returns is what the audit log records
(:mod:`tracelab.privacy.audit`).
"""

from __future__ import annotations

import re

from tracelab._i18n import msg, one_of
from tracelab.model import ids
from tracelab.privacy.pseudonyms import (
    IDENTIFIER_IN_TEXT,
    IDENTIFIER_SHAPE,
    scrub_shapes,
    scrub_text,
)

__all__ = ["PURPOSE_PATTERN", "PERSON_QUERY_KINDS", "PurposeError", "require_purpose"]

#: A purpose is ``case:`` or ``inv:`` followed by 1-64 letters (Latin or Chinese), digits,
#: ``.``, ``_`` or ``-`` starting with a letter or digit, e.g. ``case:p_89e942357569d1ea``
#: (a case's pseudonym), ``inv:LX-2022-11-007`` or ``case:流调-2022-031`` (a case or
#: investigation number). ``ops:`` purposes (e.g. ``ops:retention``) are for system
#: operations such as purges, never for queries about people.
PURPOSE_PATTERN = (r"^(case|inv|ops):[A-Za-z0-9\u4e00-\u9fff][A-Za-z0-9\u4e00-\u9fff._-]"
                   r"{0,63}$")
_PURPOSE_RE = re.compile(PURPOSE_PATTERN)
#: Purpose kinds accepted for person-level queries.
PERSON_QUERY_KINDS = ("case", "inv")
# Digit runs that could be a phone (11) or an ID number (15, 17 + check, 18): masked
# wherever they appear in free text of the log.
_IDENTIFIER_RE = IDENTIFIER_IN_TEXT


class PurposeError(ValueError):
    """A person-level query without a valid purpose."""


def require_purpose(purpose: object, *, kinds: tuple[str, ...] = PERSON_QUERY_KINDS) -> str:
    """Check that `purpose` names a case or investigation, and return it stripped.

    Parameters
    ----------
    purpose : object
        The purpose as given by the caller.
    kinds : tuple of str, default ("case", "inv")
        Accepted prefixes; person-level queries accept only cases and investigations.

    Returns
    -------
    str

    Raises
    ------
    PurposeError
        If `purpose` is missing, empty, does not match :data:`PURPOSE_PATTERN`, has
        another prefix, or holds something that looks like a phone or ID number (a
        purpose is logged; it must cite a case pseudonym or an investigation number).

    Examples
    --------
    >>> require_purpose(" inv:LX-2022-11-007 ")
    'inv:LX-2022-11-007'
    >>> require_purpose("case:流调-2022-031")
    'case:流调-2022-031'
    >>> require_purpose(None)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tracelab.privacy.purposes.PurposeError: purpose: a person-level query needs a purpose, ...
    """
    allowed = one_of([f"'{k}:...'" for k in kinds])
    example = msg("a case or investigation id such as 'case:p_89e942357569d1ea' or "
                  "'inv:LX-2022-11-007'")
    if purpose is None or (isinstance(purpose, str) and not purpose.strip()):
        raise PurposeError(msg("purpose: a person-level query needs a purpose, {example}; got "
                               "{purpose!r}", example=example, purpose=purpose))
    if not isinstance(purpose, str):
        raise PurposeError(msg("purpose: must be text, got {kind}; use {example}",
                               kind=type(purpose).__name__, example=example))
    text = purpose.strip()
    # By shape, separators and country code included: case:138-1234-5678 is a phone too.
    if _IDENTIFIER_RE.search(text) or IDENTIFIER_SHAPE.search(text.replace(":", " ")):
        raise PurposeError(msg("purpose: {text!r} holds a phone or ID number; cite the case by "
                               "its pseudonym or an investigation number instead",
                               text=scrub_shapes(scrub_text(text))))
    if not _PURPOSE_RE.match(text) or text.split(":", 1)[0] not in kinds:
        raise PurposeError(msg("purpose: {text!r} is not {allowed} followed by 1-64 letters, "
                               "digits, '.', '_' or '-'; use {example}", text=text[:80],
                               allowed=allowed, example=example))
    # Chinese text without a number is a name, not a case or investigation number: the
    # log must not hold one (a number beside a name cannot be told apart: see the docs).
    if re.search(r"[\u4e00-\u9fff]", text) and not re.search(r"[0-9]", text):
        raise PurposeError(msg("purpose: {scheme}:{masked!r} looks like a person's name; cite a "
                               "case or investigation number, e.g. 'case:流调-2022-031'",
                               scheme=text.split(":", 1)[0],
                               masked=ids.mask_name(text.split(":", 1)[1])))
    return text
