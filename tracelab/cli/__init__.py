"""The ``tracelab`` command line (DESIGN.md section 7): one module per sub-command.

Each sub-command module defines ``register(subparsers)``, which adds its parser and sets
``func`` to a callable taking the parsed arguments and returning the exit status.
Every error reaches the user as one line on stderr, ``tracelab <command>：错误：...``
(``tracelab <command>: error: ...`` under ``--lang en``, which every sub-command takes),
naming the file and the cause, never a traceback; the exit status says which kind
(:data:`EXIT_CODES`). The library raises its messages with :func:`tracelab._i18n.msg`,
English as their value and Chinese from one catalogue, so the line is Chinese throughout;
argparse's own usage errors are translated by :class:`tracelab.cli.parsing.Parser`.
``TRACELAB_DEBUG=1`` prints the traceback as well, for developers.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import re
import sys
from collections.abc import Sequence

from tracelab._i18n import error_text, os_error_text
from tracelab.cli.parsing import Parser, argv_lang

__all__ = ["main", "EXIT_CODES", "EXIT_OK", "EXIT_REJECTED", "EXIT_INPUT", "EXIT_ENVIRONMENT",
           "EXIT_INTERNAL", "EXIT_INTERRUPTED", "exit_status"]

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_INPUT = 2
EXIT_ENVIRONMENT = 3
EXIT_INTERNAL = 4
EXIT_INTERRUPTED = 130
#: The exit statuses of every command, for scripts (the README's table).
EXIT_CODES = {
    EXIT_OK: "done",
    EXIT_REJECTED: "done, with findings: validate or followup import rejected rows; audit "
                   "found a broken chain",
    EXIT_INPUT: "usage or input error: a wrong argument, a missing or malformed file, a "
                "purpose or key refused; nothing was written",
    EXIT_ENVIRONMENT: "environment error: the store is locked by another process, the disk "
                      "is full, a folder is read-only or not permitted, memory ran out; "
                      "outputs are whole or absent, retry when it is fixed",
    EXIT_INTERNAL: "internal error: a bug in tracelab; outputs are whole or absent; rerun "
                   "with TRACELAB_DEBUG=1 and report the traceback",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C); outputs are whole or absent",
}

#: Sub-command modules, in the order ``tracelab --help`` lists them.
_COMMANDS = ("synth", "validate", "ingest", "trace", "pairs", "calllist", "followup", "brief",
             "chains", "notice", "export", "replay", "demo", "venues", "roles", "audit", "purge",
             "layout")
#: Sub-commands registered by another command's module.
_MODULE_OF = {"sources": "trace"}
#: OSError numbers that are the machine's state, not the user's input.
_ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM,
                       errno.EIO, errno.ENOMEM, errno.EMFILE, errno.ENFILE, errno.EBUSY,
                       errno.EAGAIN, errno.ETXTBSY}


def _parser(lang: str = "zh", argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    parser = Parser(
        lang=lang, prog="tracelab", description="Venue-code (场所码) contact tracing workbench.",
        epilog="exit status: " + "; ".join(f"{k} {v.split(':')[0]}"
                                           for k, v in EXIT_CODES.items()))
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # Only the module of the command asked for is imported, each with its own libraries (a
    # trace needs no map library); --help and an unknown command import them all.
    asked = _MODULE_OF.get(argv[0], argv[0]) if argv else None
    for name in [asked] if asked in _COMMANDS else _COMMANDS:
        try:
            module = importlib.import_module(f"tracelab.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"tracelab.cli.{name}":
                raise
            continue  # a sub-command not built yet
        module.register(subparsers)
    return parser


def _causes(exc: BaseException) -> list[BaseException]:
    chain, seen = [exc], {id(exc)}
    while (nxt := chain[-1].__cause__ or chain[-1].__context__) is not None \
            and id(nxt) not in seen:
        chain.append(nxt)
        seen.add(id(nxt))
    return chain


def exit_status(exc: BaseException) -> int:
    """The exit status of an exception reaching the command line (:data:`EXIT_CODES`).

    The whole chain counts: a failed ROLLBACK caused by a full disk is an environment
    error, whatever the database then raised.

    Examples
    --------
    >>> exit_status(ValueError("--rule: no such rule"))
    2
    >>> exit_status(OSError(28, "No space left on device"))
    3
    """
    import duckdb

    chain = _causes(exc)
    for e in chain:
        if isinstance(e, MemoryError | duckdb.OutOfMemoryException):
            return EXIT_ENVIRONMENT
        if isinstance(e, OSError) and (e.errno in _ENVIRONMENT_ERRNOS
                                       or isinstance(e, PermissionError)
                                       or type(e).__name__ == "StoreBusyError"):
            return EXIT_ENVIRONMENT
    head = chain[0]
    if isinstance(head, duckdb.IOException | duckdb.PermissionException):
        return EXIT_ENVIRONMENT
    if isinstance(head, ValueError | LookupError | OSError | UnicodeError | duckdb.Error):
        return EXIT_INPUT
    return EXIT_INTERNAL


#: What an error is, in Chinese, when its message has no Chinese of its own (an exception
#: of a library, not raised with :func:`tracelab._i18n.msg`); the first class that
#: matches by name along the exception's MRO.
_KIND_ZH = {"_duckdb.Error": "数据库出错", "builtins.UnicodeError": "编码错误",
            "builtins.ValueError": "输入有误", "builtins.LookupError": "找不到",
            "builtins.FileNotFoundError": "找不到文件", "builtins.PermissionError": "没有权限",
            "builtins.OSError": "系统错误"}
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _lead(exc: BaseException) -> str:
    for cls in type(exc).__mro__:
        kind = _KIND_ZH.get(f"{cls.__module__.split('.')[0]}.{cls.__name__}")
        if kind is not None:
            return kind + "："
    return ""


def error_line(command: str, exc: BaseException, lang: str = "zh") -> str:
    """One line for stderr: the error, and its first cause when that says more.

    A ROLLBACK that fails after "No space left on device" keeps the disk's message. In
    Chinese (unless `lang` is ``en``) a message raised with :func:`tracelab._i18n.msg`
    is rendered from the catalogue, an error of the operating system names its file and
    says what happened (:data:`tracelab._i18n.ERRNO_ZH`), and any other message gets a
    Chinese lead saying what kind of error it is.

    Examples
    --------
    >>> from tracelab._i18n import msg
    >>> error_line("trace", ValueError(msg("--data {folder}: no such folder", folder="d")))
    'tracelab trace：错误：--data d：文件夹不存在'
    >>> error_line("trace", ValueError(msg("--data {folder}: no such folder", folder="d")), "en")
    'tracelab trace: error: --data d: no such folder'
    >>> error_line("validate", PermissionError(13, "Permission denied", "out/r.csv"))
    'tracelab validate：错误：out/r.csv：没有权限'
    """
    en = lang == "en"
    chain = _causes(exc)
    text = " ".join(error_text(chain[0], lang).split()) or type(chain[0]).__name__
    if not en and not _CJK.search(text):
        text = _lead(chain[0]) + text
    root = next((e for e in chain[1:] if isinstance(e, OSError) and e.errno), None)
    if root is not None and str(root.strerror or root) not in str(chain[0]):
        cause = " ".join((os_error_text(root, lang) if root.strerror else str(root)).split())
        if cause not in text:
            text += f" (cause: {cause})" if en else f"（原因：{cause}）"
    if exit_status(exc) == EXIT_INTERNAL:
        name = type(chain[0]).__name__
        text = (f"internal error {name}: {text}; rerun with TRACELAB_DEBUG=1 for the "
                "traceback and report it" if en else
                f"内部错误 {name}：{text}；请设 TRACELAB_DEBUG=1 重跑并报告")
    return f"tracelab {command}: error: {text}" if en else f"tracelab {command}：错误：{text}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (:data:`EXIT_CODES`)."""
    from tracelab.cli.options import lang_of

    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parser(argv_lang(argv), argv).parse_args(argv)
    lang = lang_of(args)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print(f"tracelab {args.command}: interrupted" if lang == "en"
              else f"tracelab {args.command}：已中断", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # every error is one line and a documented status
        if os.environ.get("TRACELAB_DEBUG", "").strip() not in ("", "0"):
            import traceback

            traceback.print_exc()
        print(error_line(args.command, exc, lang), file=sys.stderr)
        return exit_status(exc)
