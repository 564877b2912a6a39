"""Messages in two languages: English as the value, Chinese from one catalogue.

Errors are raised deep in the library, far from the ``--lang`` of the command line. So a
message is raised once, gettext style, as ``msg(template, **fields)``: a
:class:`Message`, a ``str`` whose value is the English text (what Python users, logs and
``pytest.raises(match=...)`` see) and which keeps its template and fields, so that the
command line can show it in Chinese (:meth:`Message.render`) from the catalogue
:data:`tracelab._i18n.zh.ZH`, English template -> Chinese template with the same
``{fields}``. A field holding a message, or an exception raised with one, is rendered in
the same language; every other value is shown as given (it may be masked already).

:func:`error_text` is the text of any exception in a language: a message's rendering,
and for an ``OSError`` raised by the operating system (``open()``, ``mkdir``) its errno in
Chinese with the file it names.
"""

from __future__ import annotations

import errno
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["Message", "msg", "render", "one_of", "error_text", "os_error_text", "ERRNO_ZH",
           "FOREIGN_ZH"]

#: What the operating system's common errors say, in Chinese.
ERRNO_ZH = {
    errno.ENOENT: "文件或目录不存在",
    errno.EACCES: "没有权限",
    errno.EPERM: "不允许的操作",
    errno.ENOSPC: "磁盘已满",
    errno.EDQUOT: "超出磁盘配额",
    errno.EROFS: "只读文件系统",
    errno.ENOTDIR: "不是文件夹",
    errno.EISDIR: "是文件夹，不是文件",
    errno.EEXIST: "已存在",
    errno.ENOTEMPTY: "文件夹不为空",
    errno.ENAMETOOLONG: "文件名太长",
    errno.EIO: "磁盘读写出错",
    errno.ENOMEM: "内存不足",
    errno.EMFILE: "打开的文件太多",
    errno.ENFILE: "打开的文件太多",
    errno.EBUSY: "正被占用",
    errno.ETXTBSY: "正被占用",
    errno.EAGAIN: "资源暂时不可用，请稍后重试",
    errno.EXDEV: "不能跨磁盘移动",
    errno.ELOOP: "符号链接循环",
    errno.EINVAL: "参数无效",
}


class Message(str):
    """An English message that can also be shown in Chinese.

    Build it with :func:`msg`. Its ``str`` value is the English text; :meth:`render`
    gives it in another language from the catalogue.

    Examples
    --------
    >>> m = msg("--data {folder}: no such folder", folder="data/x")
    >>> m
    '--data data/x: no such folder'
    >>> m.zh
    '--data data/x：文件夹不存在'
    >>> m.render("en") == m
    True
    """

    template: str
    fields: dict[str, Any]

    def __new__(cls, template: str, fields: Mapping[str, Any]) -> Message:
        self = super().__new__(cls, template.format(**fields))
        self.template = template
        self.fields = dict(fields)
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (Message, (self.template, self.fields))

    def render(self, lang: str = "zh") -> str:
        """The message in `lang` (``zh`` or ``en``); English where the catalogue lacks it."""
        if lang == "en":
            return str.__str__(self)
        from tracelab._i18n.zh import ZH

        template = ZH.get(self.template)
        if template is None:
            return str.__str__(self)
        return template.format(**{k: _in(v, lang) for k, v in self.fields.items()})

    @property
    def zh(self) -> str:
        """The message in Chinese."""
        return self.render("zh")


def msg(template: str, /, **fields: Any) -> Message:
    """A message: `template` filled in with `fields`, in English, renderable in Chinese.

    Parameters
    ----------
    template : str
        The English text with ``{field}`` placeholders (conversions and format specs
        such as ``{value!r}`` and ``{n:,}`` as in :meth:`str.format`); the key of its
        Chinese template in :data:`tracelab._i18n.zh.ZH`.
    **fields
        The values; a :class:`Message` or an exception raised with one is rendered in the
        language asked for, other values are shown as given.

    Examples
    --------
    >>> m = msg("--days {days}: give 1 to {most} days", days=0, most=30)
    >>> str(m), m.zh
    ('--days 0: give 1 to 30 days', '--days 0：请给 1 到 30 天')
    """
    return Message(template, fields)


def _in(value: Any, lang: str) -> Any:
    if isinstance(value, Message):
        return value.render(lang)
    if isinstance(value, BaseException):
        return error_text(value, lang)
    return value


def render(text: object, lang: str = "zh") -> str:
    """`text` in `lang` when it is a :class:`Message`, else as it is.

    Examples
    --------
    >>> render(msg("{path}: no such file", path="a.csv")), render("as given")
    ('a.csv：文件不存在', 'as given')
    """
    return text.render(lang) if isinstance(text, Message) else str(text)


def os_error_text(exc: OSError, lang: str = "zh") -> str:
    """What the operating system said, naming the file: ``a.csv：文件或目录不存在``.

    Examples
    --------
    >>> os_error_text(FileNotFoundError(2, "No such file or directory", "data/a.csv"))
    'data/a.csv：文件或目录不存在'
    >>> os_error_text(PermissionError(13, "Permission denied", "out"), "en")
    'out: Permission denied'
    """
    said = ERRNO_ZH.get(exc.errno or -1) if lang != "en" else None
    said = said or str(exc.strerror or exc)
    names = [str(f) for f in (exc.filename, exc.filename2) if f is not None]
    if not names:
        return said
    return (" -> ".join(names) + ("：" if lang != "en" else ": ") + said)


#: The fixed parts of messages that duckdb, pandas and Python raise, in Chinese; ``{0}``,
#: ``{1}`` are the regex groups, shown as given (an OS error's words translated).
FOREIGN_ZH: tuple[tuple[str, str], ...] = (
    (r'IO Error: Cannot open file "(.+?)": (.+)', '无法打开文件 "{0}"：{1}'),
    (r'IO Error: Could not set lock on file "(.+?)".*', '无法锁定文件 "{0}"：正被另一个进程使用'),
    (r"Catalog Error: Table with name (\S+) does not exist!.*", "数据库中没有表 {0}"),
    (r"No columns to parse from file", "文件中没有可读取的列"),
    (r"Error tokenizing data\. C error: Expected (\d+) fields in line (\d+), saw (\d+)\s*",
     "分列出错：第 {1} 行应有 {0} 个字段，实际有 {2} 个"),
)


def _foreign_zh(text: str) -> str:
    import os
    import re

    words = {os.strerror(e): zh for e, zh in ERRNO_ZH.items()}
    for pattern, zh in FOREIGN_ZH:
        found = re.fullmatch(pattern, text, re.S)
        if found is not None:
            return zh.format(*(words.get(g, g) for g in found.groups()))
    return words.get(text, text)


def error_text(exc: BaseException, lang: str = "zh") -> str:
    """The text of `exc` in `lang`: its message rendered, or the OS error in words.

    An exception raised with a :class:`Message` shows it (a ``KeyError`` too, without the
    quotes ``str(KeyError)`` adds); an ``OSError`` of the operating system (an errno and
    no message of ours) shows :data:`ERRNO_ZH` and the file; anything else its ``str``,
    in Chinese the fixed parts :data:`FOREIGN_ZH` knows translated.

    Examples
    --------
    >>> error_text(ValueError(msg("{path}: no such file", path="a.csv")))
    'a.csv：文件不存在'
    >>> error_text(OSError(28, "No space left on device", "/data/x.parquet"))
    '/data/x.parquet：磁盘已满'
    >>> error_text(KeyError(msg("{path}: no such file", path="a.csv")), "en")
    'a.csv: no such file'
    >>> error_text(ValueError("No columns to parse from file"))
    '文件中没有可读取的列'
    """
    args: tuple[Any, ...] = exc.args
    if len(args) == 1 and isinstance(args[0], Message):
        return args[0].render(lang)
    if isinstance(exc, OSError) and exc.errno is not None and exc.strerror:
        return os_error_text(exc, lang)
    if isinstance(exc, KeyError) and len(args) == 1 and isinstance(args[0], str):
        return args[0]
    return str(exc) if lang == "en" else _foreign_zh(str(exc))


def one_of(options: Sequence[str]) -> str:
    """``a, b or c`` (Chinese ``a, b 或 c``): the choices a message offers.

    Examples
    --------
    >>> m = one_of([".csv", ".xlsx", ".parquet"])
    >>> str(m), render(m)
    ('.csv, .xlsx or .parquet', '.csv, .xlsx 或 .parquet')
    """
    options = [str(o) for o in options]
    if len(options) == 1:
        return options[0]
    return msg("{head} or {last}", head=", ".join(options[:-1]), last=options[-1])
