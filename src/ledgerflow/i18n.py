"""Messages in the reader's language, through gettext catalogs.

Every message an accountant reads before the statements (errors, warnings, summaries, the rejects
workbook, CLI help) is written in English in the code, wrapped in `_()` (or `ngettext()` when it
counts something), and translated by the catalog of the run's locale:
`src/ledgerflow/locale/<locale>/LC_MESSAGES/ledgerflow.po`, extracted and updated with Babel
(`scripts/catalogs.sh`) and compiled to `.mo` when the package is built. A checkout whose `.mo`
is missing or older than its `.po` compiles the `.po` in memory, so a fresh clone speaks Russian.

The locale is one setting for the process (`set_locale`, or `use_locale` for a block); it starts
from `LEDGERFLOW_LOCALE`, else Russian, the accountants' language. English is the source language,
so `en` needs no translations.
"""

from __future__ import annotations

import gettext
import io
import os
import string
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

Language = Literal["ru", "en"]
LANGUAGES: tuple[str, ...] = get_args(Language)
DEFAULT_LANGUAGE: Language = "ru"
DOMAIN = "ledgerflow"
LOCALE_DIR = Path(__file__).parent / "locale"
ENVIRONMENT = "LEDGERFLOW_LOCALE"

_active: str | None = None


def active() -> str:
    """The locale messages are given in now."""
    if _active is not None:
        return _active
    chosen = os.environ.get(ENVIRONMENT, "").strip().lower()
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def set_locale(locale: str | None) -> None:
    """Give every later message in `locale` (None: back to the environment's or the default).

    The setting is also put in the environment, so worker processes speak the same language.
    """
    global _active
    if locale is not None and locale not in LANGUAGES:
        raise ValueError(f"unknown locale {locale!r}: use one of {', '.join(LANGUAGES)}")
    _active = locale
    if locale is None:
        os.environ.pop(ENVIRONMENT, None)
    else:
        os.environ[ENVIRONMENT] = locale


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    """Messages in `locale` inside the block, the earlier setting after it."""
    before, before_environment = _active, os.environ.get(ENVIRONMENT)
    set_locale(locale)
    try:
        yield
    finally:
        set_locale(before)
        if before_environment is not None:
            os.environ[ENVIRONMENT] = before_environment


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The catalog of `locale`: its compiled `.mo`, or its `.po` compiled in memory when the `.mo`
    is missing or older; English (the source language) and an unknown locale translate nothing."""
    folder = LOCALE_DIR / locale / "LC_MESSAGES"
    compiled, source = folder / f"{DOMAIN}.mo", folder / f"{DOMAIN}.po"
    if compiled.is_file() and (not source.is_file()
                               or compiled.stat().st_mtime >= source.stat().st_mtime):
        with compiled.open("rb") as stream:
            return gettext.GNUTranslations(stream)
    if source.is_file():
        return gettext.GNUTranslations(io.BytesIO(compile_po(source)))
    return gettext.NullTranslations()


def compile_po(source: Path) -> bytes:
    """The `.mo` bytes of a `.po` file, by Babel (fuzzy entries left out, as msgfmt does)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with source.open("rb") as stream:
        catalog = read_po(stream)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def _(message: str) -> str:
    """`message` in the active locale."""
    return translations(active()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a counted message that `n` takes in the active locale (Russian has three)."""
    return translations(active()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """`message` in the active locale, as said in `context` (a word that one language says in
    two ways: a file "refused" and the heading "refused" of a count of rows)."""
    return translations(active()).pgettext(context, message)


def N_(message: str) -> str:
    """Mark `message` for the catalog without translating it now (a constant translated when it
    is shown, by `_(constant)`)."""
    return message


def fields(template: str) -> list[str]:
    """The named placeholders of a message, in order (`{file}` -> "file")."""
    return [name for _literal, name, _spec, _conversion in string.Formatter().parse(template)
            if name is not None]


def fill(template: str, **values: Any) -> Any:
    """A translated `template` filled with `values`, each a text or a column of texts (a pandas
    Series): with a column, the message of every row, built by concatenating the columns, so
    vectorised code translates its template once and formats it for millions of rows at once.
    Placeholders are plain names (`{master}`), without format specs."""
    pieces: list[Any] = []
    for literal, name, spec, conversion in string.Formatter().parse(template):
        if literal:
            pieces.append(literal)
        if name is None:
            continue
        if spec or conversion:
            raise ValueError(f"fill() takes plain placeholders, not {{{name}!{conversion}:{spec}}}")
        pieces.append(values[name])
    result: Any = ""
    for piece in pieces:
        result = result + piece
    return result


def or_list(words: Sequence[str]) -> str:
    """`a, b or c` in the active locale."""
    if len(words) <= 1:
        return "".join(words)
    return _("{first} or {last}").format(first=", ".join(words[:-1]), last=words[-1])


def extract_with_help(fileobj: Any, keywords: Any, comment_tags: Any,
                      options: Any) -> Iterator[tuple[int, Any, Any, Any]]:
    """Babel's extraction method for the package (babel.cfg): the messages of `_()`,
    `ngettext()` and `N_()` as Babel's Python extractor finds them, and the command line's help,
    which click takes from places Babel does not look: the docstring of every function decorated
    as a command or group (cleaned as click shows it) and every text given as `help=`. The
    command line translates both when it shows them (`ledgerflow.cli`)."""
    import ast
    import inspect

    from babel.messages.extract import extract_python

    source = fileobj.read()
    yield from extract_python(io.BytesIO(source), keywords, comment_tags, options)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
                _is_command(decorator) for decorator in node.decorator_list):
            docstring = ast.get_docstring(node, clean=False)
            if docstring:
                yield node.lineno, "", inspect.cleandoc(docstring), []
        elif isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == "help" and isinstance(keyword.value, ast.Constant) and \
                        isinstance(keyword.value.value, str) and keyword.value.value:
                    yield keyword.value.lineno, "", inspect.cleandoc(keyword.value.value), []


def _is_command(decorator: Any) -> bool:
    """A decorator that makes a click command or group: `@main.command(...)`, `@click.group`."""
    import ast

    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return name in ("command", "group")
