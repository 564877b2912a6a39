"""The command line's argument parser: argparse, with its usage errors in Chinese.

argparse words its own errors ("the following arguments are required: ...") in English
and prints them before any sub-command runs, so before ``--lang`` is parsed. The parser
here is told the language by :func:`argv_lang`, which reads ``--lang en`` anywhere in the
arguments, and translates argparse's fixed formats with a small table
(:data:`USAGE_ZH`). A usage error prints the usage, then one line
``tracelab <command>：错误：...``, and exits 2, as argparse does. Help texts stay English.
"""

from __future__ import annotations

import argparse
import functools
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

__all__ = ["Parser", "argv_lang", "usage_zh", "USAGE_ZH"]

#: argparse's fixed error formats (Python 3.11 to 3.13) and their Chinese; ``{0}``, ``{1}``
#: are the regex groups, shown as given.
USAGE_ZH: tuple[tuple[str, str], ...] = (
    (r"the following arguments are required: (.+)", "缺少必需的参数：{0}"),
    (r"unrecognized arguments: (.+)", "无法识别的参数：{0}"),
    (r"one of the arguments (.+) is required", "参数 {0} 必须给出其中一个"),
    (r"ambiguous option: (\S+) could match (.+)", "选项 {0} 有歧义，可能是 {1}"),
    (r"unexpected option string: (.+)", "意外的选项：{0}"),
    (r"invalid choice: (.+) \(choose from (.+)\)", "无效的选择 {0}（可选：{1}）"),
    (r"expected one argument", "需要一个值"),
    (r"expected at most one argument", "最多只能给一个值"),
    (r"expected at least one argument", "至少需要一个值"),
    (r"expected (\d+) arguments?", "需要 {0} 个值"),
    (r"invalid int value: (.+)", "{0} 不是整数"),
    (r"invalid float value: (.+)", "{0} 不是数字"),
    (r"invalid (\S+) value: (.+)", "{1} 不是有效的 {0} 值"),
    (r"not allowed with argument (.+)", "不能与参数 {0} 同时使用"),
    (r"ignored explicit argument (.+)", "多余的值 {0}"),
)
_ARGUMENT = re.compile(r"argument (\S+(?:/\S+)*): (.*)", re.S)


def usage_zh(message: str) -> str:
    """argparse's error `message` in Chinese; as it is when its format is not known.

    Examples
    --------
    >>> usage_zh("the following arguments are required: --data, --out")
    '缺少必需的参数：--data, --out'
    >>> usage_zh("argument --population: invalid int value: 'ten'")
    "参数 --population：'ten' 不是整数"
    >>> usage_zh("argument COMMAND: invalid choice: 'trac' (choose from 'synth', 'trace')")
    "参数 COMMAND：无效的选择 'trac'（可选：'synth', 'trace'）"
    """
    head = ""
    argument = _ARGUMENT.fullmatch(message)
    if argument is not None:
        head, message = f"参数 {argument.group(1)}：", argument.group(2)
    for pattern, zh in USAGE_ZH:
        found = re.fullmatch(pattern, message, re.S)
        if found is not None:
            return head + zh.format(*found.groups())
    return head + message


def argv_lang(argv: Sequence[str]) -> str:
    """``en`` when `argv` holds ``--lang en`` (or ``--lang=en``), else ``zh``.

    Examples
    --------
    >>> argv_lang(["trace", "--data", "d", "--lang", "en"]), argv_lang(["trace"])
    ('en', 'zh')
    """
    argv = list(argv)
    for i, arg in enumerate(argv):
        if arg == "--lang=en" or (arg == "--lang" and argv[i + 1:i + 2] == ["en"]):
            return "en"
    return "zh"


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are Chinese unless `lang` is ``en``.

    Its sub-parsers are of the same class and language.
    """

    def __init__(self, *args: Any, lang: str = "zh", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lang = lang

    def add_subparsers(self, **kwargs: Any) -> Any:
        kwargs.setdefault("parser_class", functools.partial(type(self), lang=self.lang))
        return super().add_subparsers(**kwargs)

    def error(self, message: str) -> NoReturn:
        """Print the usage and one error line, then exit 2 (as argparse does)."""
        usage = self.format_usage()
        if self.lang == "en":
            line = f"{self.prog}: error: {message}"
        else:
            usage = re.sub(r"^usage: ", "用法：", usage)
            line = f"{self.prog}：错误：{usage_zh(message)}"
        sys.stderr.write(usage)
        self.exit(2, " ".join(line.split()) + "\n")
