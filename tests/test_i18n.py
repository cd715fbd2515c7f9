"""Messages in the run's locale: the catalogs are complete and current, Russian and English read
as an accountant expects, `--locale` and its precedence, plural forms."""

from __future__ import annotations

import re
import string
import subprocess
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from click.testing import CliRunner

from ledgerflow import i18n
from ledgerflow.cli import main
from ledgerflow.i18n import _, fill, ngettext, or_list, pgettext, use_locale
from tests.conftest import write_workbook

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "src" / "ledgerflow" / "locale"
RUSSIAN = LOCALE / "ru" / "LC_MESSAGES" / "ledgerflow.po"
KEYWORDS = {"_": None, "ngettext": (1, 2), "N_": None, "pgettext": ((1, "c"), 2)}


def catalog(path: Path):  # type: ignore[no-untyped-def]
    with path.open("rb") as stream:
        return read_po(stream)


def placeholders(text: str) -> tuple[list[str], list[str]]:
    """The named fields of a message (sorted, with conversions) and its %-style specs in order."""
    named = sorted(f"{name}!{conversion}" for _literal, name, _spec, conversion
                   in string.Formatter().parse(text) if name is not None)
    return named, re.findall(r"%[sdr]", text)


def test_every_message_has_a_russian_translation_with_the_same_placeholders() -> None:
    russian = catalog(RUSSIAN)
    assert not russian.fuzzy, "the catalog's header is marked fuzzy: msgfmt would skip it"
    checked = 0
    for message in russian:
        if not message.id:
            continue
        assert not message.fuzzy, f"fuzzy: {message.id!r}"
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if isinstance(message.id, tuple):
            assert len(forms) == 3, f"Russian has three plural forms: {message.id!r}"
        for form in forms:
            assert form and form.strip(), f"not translated: {message.id!r}"
            # every form says what the singular or the plural says (a form may drop the count,
            # as English "1 row" does not; none does here)
            assert placeholders(form) in [placeholders(i) for i in ids], (
                f"placeholders differ: {message.id!r} -> {form!r}")
        checked += 1
    assert checked > 300


def test_the_catalog_is_current() -> None:
    """What the code marks now is what the catalogs hold: run scripts/catalogs.sh after
    changing a message."""
    with (ROOT / "babel.cfg").open() as stream:
        method_map, options_map = parse_mapping_cfg(stream)
    extracted = {
        (context, message if isinstance(message, str) else message[0])
        for _file, _line, message, _comments, context in extract_from_dir(
            str(ROOT / "src" / "ledgerflow"), method_map, options_map, keywords=KEYWORDS)}
    for path in (LOCALE / "ledgerflow.pot", RUSSIAN,
                 LOCALE / "en" / "LC_MESSAGES" / "ledgerflow.po"):
        held = {(m.context, m.id if isinstance(m.id, str) else m.id[0])
                for m in catalog(path) if m.id}
        assert extracted - held == set(), f"{path.name}: new messages not in the catalog"
        assert held - extracted == set(), f"{path.name}: messages no longer in the code"


def test_compiled_catalogs_are_build_output() -> None:
    """The .mo files are never committed: the build compiles them (setup.py), a checkout
    compiles the .po in memory."""
    tracked = subprocess.run(["git", "ls-files", "src/ledgerflow/locale"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.split()
    assert "src/ledgerflow/locale/ru/LC_MESSAGES/ledgerflow.po" in tracked
    assert not [name for name in tracked if name.endswith(".mo")]
    ignored = subprocess.run(["git", "check-ignore", "-q",
                              "src/ledgerflow/locale/ru/LC_MESSAGES/ledgerflow.mo"], cwd=ROOT)
    assert ignored.returncode == 0
    compiled = i18n.compile_po(RUSSIAN)
    assert compiled[:4] in (b"\xde\x12\x04\x95", b"\x95\x04\x12\xde")  # a gettext .mo


def test_the_build_compiles_the_catalogs(tmp_path: Path) -> None:
    """setup.py's build_py writes each .po's .mo into the build, from a source without any."""
    import shutil
    import sys

    project = tmp_path / "project"
    project.mkdir()
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, project / name)
    shutil.copytree(ROOT / "src" / "ledgerflow", project / "src" / "ledgerflow",
                    ignore=shutil.ignore_patterns("*.mo", "__pycache__"))
    subprocess.run([sys.executable, "setup.py", "-q", "build_py", "--build-lib", "out"],
                   cwd=project, check=True, capture_output=True)
    built = project / "out" / "ledgerflow" / "locale"
    assert sorted(p.relative_to(built).as_posix() for p in built.rglob("*.mo")) == [
        "en/LC_MESSAGES/ledgerflow.mo", "ru/LC_MESSAGES/ledgerflow.mo"]
    import gettext

    with (built / "ru" / "LC_MESSAGES" / "ledgerflow.mo").open("rb") as stream:
        russian = gettext.GNUTranslations(stream)
    assert russian.ngettext("{count} file", "{count} files", 2) == "{count} файла"


@pytest.mark.parametrize(("n", "files", "rows"), [
    (1, "1 файл", "отклонена 1 строка"), (2, "2 файла", "отклонены 2 строки"),
    (5, "5 файлов", "отклонено 5 строк"), (21, "21 файл", "отклонена 21 строка"),
    (11, "11 файлов", "отклонено 11 строк"), (104, "104 файла", "отклонены 104 строки"),
])
def test_russian_plural_forms(n: int, files: str, rows: str) -> None:
    with use_locale("ru"):
        assert ngettext("{count} file", "{count} files", n).format(count=n) == files
        assert ngettext("{n} row refused", "{n} rows refused", n).format(n=n) == rows
    with use_locale("en"):
        assert ngettext("{count} file", "{count} files", n).format(count=n) == (
            "1 file" if n == 1 else f"{n} files")


def test_locale_words() -> None:
    with use_locale("ru"):
        assert _("error") == "ошибка"
        assert or_list(["юрлицо", "физлицо", "ИП"]) == "юрлицо, физлицо или ИП"
        assert pgettext("loads", "refused") == "отклонено"  # a count of rows
        assert _("refused") == "отклонён"  # a file
    with use_locale("en"):
        assert pgettext("loads", "refused") == _("refused") == "refused"
        assert or_list(["a"]) == "a"


def test_fill_translates_once_and_formats_every_row() -> None:
    import pandas as pd

    rows = pd.Series(["a", "b"])
    assert fill("{x} and {y}.", x=rows, y="c").tolist() == ["a and c.", "b and c."]
    assert fill("plain {x}", x="text") == "plain text"
    with pytest.raises(ValueError, match="plain placeholders"):
        fill("{x!r}", x="text")


# --- a small bad inbox, validated in each language ----------------------------------------------


@pytest.fixture
def bad_inbox(tmp_path: Path) -> Path:
    """Headers in Russian as an accountant types them, a client type 'ЮЛ', a bad INN, an
    ambiguous amount under 'Сумма, руб.' and a 31 February."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_workbook(inbox / "клиенты.xlsx", {"Клиенты": [
        ["Логин", "Наименование", "Тип", "ИНН", "Валюта"],
        ["romashka", "Ромашка", "ЮЛ", "7707083893", "RUB"],
        ["lilia", "Лилия", "юрлицо", "12345", "RUB"],
        ["orhid", "Орхидея", "ип", "500100732259", "RUB"],
    ]})
    write_workbook(inbox / "платежи.xlsx", {"Платежи": [
        ["Номер платежа", "Логин", "Дата", "Сумма, руб.", "Валюта"],
        ["p1", "orhid", "05.10.2026", "1,234", "RUB"],
        ["p2", "orhid", "31.02.2026", "100", "RUB"],
    ]})
    return inbox


def validate(inbox: Path, *options: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", str(inbox), "--warehouse",
                                       str(inbox.parent / "ledger.duckdb"), *options])
    return result.exit_code, result.output


def test_validate_in_russian_names_typed_columns_and_russian_choices(bad_inbox: Path) -> None:
    code, output = validate(bad_inbox, "--locale", "ru")
    assert code == 1, output
    assert ("ошибка: клиенты.xlsx, лист 'Клиенты', строка 2, столбец 'Тип': 'ЮЛ' — недопустимый "
            "тип клиента: укажите юрлицо, физлицо или ИП (значение: 'ЮЛ') [choice]") in output
    assert "строка 3, столбец 'ИНН': Неправильный ИНН" in output
    assert ("столбец 'Сумма, руб.': '1,234' — неоднозначно (разделитель тысяч или десятичная "
            "запятая?)") in output
    assert ("столбец 'Дата': '31.02.2026' — несуществующая дата: в феврале 2026 года всего "
            "28 дней") in output
    assert "клиенты.xlsx: отклонён; не будет загружена ни одна из его 3 строк, с ошибками: 2" \
        in output
    assert "2 файла, 6 ошибок." in output
    # the contract's English field names are not what the accountant reads (the rule's code
    # in brackets is an identifier, the same in every language)
    words = re.sub(r"\[[A-Za-z0-9_]+\]", "", output)
    for english in ("client_type", "tax_id", "amount", "sheet '", "row ", "error:"):
        assert english not in words, english


def test_validate_in_english(bad_inbox: Path) -> None:
    code, output = validate(bad_inbox, "--locale", "en")
    assert code == 1, output
    assert ("error: клиенты.xlsx, sheet 'Клиенты', row 2, column 'Тип': 'ЮЛ' is not an accepted "
            "client_type: use legal, individual or sole_proprietor (value: 'ЮЛ') [choice]"
            ) in output
    assert "column 'Сумма, руб.': '1,234' is ambiguous (thousands separator or decimal comma?)" \
        in output
    assert "'31.02.2026' is not a real date: February 2026 has 28 days" in output
    assert "клиенты.xlsx: refused; none of its 3 rows would load, 2 with errors" in output
    assert "2 files, 6 errors." in output
    assert "ошибка" not in output and "строка" not in output


def test_the_option_wins_over_the_environment(bad_inbox: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(i18n.ENVIRONMENT, "ru")
    _code, output = validate(bad_inbox, "--locale", "en")
    assert "2 files, 6 errors." in output
    _code, output = validate(bad_inbox)
    assert "2 файла, 6 ошибок." in output
    # the option's locale lasts as long as its command
    assert i18n.active() == "ru"


def test_the_environment_wins_over_the_pipeline_and_ru_is_last(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pipeline = tmp_path / "monthly.toml"
    pipeline.write_text('inbox = "inbox"\nwarehouse = "none/ledger.duckdb"\nreports = "reports"\n'
                        'locale = "en"\n', encoding="utf-8")
    runner = CliRunner()

    def balances(*options: str) -> str:
        result = runner.invoke(main, ["balances", "--period", "2026-10", *options])
        assert result.exit_code == 2, result.output
        return result.output

    monkeypatch.delenv(i18n.ENVIRONMENT, raising=False)
    assert "Error: There is no warehouse at" in balances("--pipeline", str(pipeline))
    assert "Ошибка: Хранилища" in balances("--pipeline", str(pipeline), "--locale", "ru")
    assert "Ошибка: Хранилища" in balances("--warehouse", str(tmp_path / "none.duckdb"))
    monkeypatch.setenv(i18n.ENVIRONMENT, "ru")
    assert "Ошибка: Хранилища" in balances("--pipeline", str(pipeline))


def test_every_command_takes_locale_and_shows_its_help_in_it() -> None:
    runner = CliRunner()
    for name, command in main.commands.items():
        assert any(p.name == "locale" for p in command.params), name
        english = runner.invoke(main, [name, "--locale", "en", "--help"])
        russian = runner.invoke(main, [name, "--locale", "ru", "--help"])
        assert english.exit_code == russian.exit_code == 0, name
        assert "Usage:" in english.output and "Options:" in english.output, name
        assert "Использование:" in russian.output and "Параметры:" in russian.output, name
        assert "Показать эту справку и выйти." in russian.output, name
    russian = runner.invoke(main, ["validate", "--locale", "ru", "--help"]).output
    assert "Проверить файлы папки INBOX, ничего не загружая." in russian
    assert "Вывести результат в формате JSON." in russian
    assert "[по умолчанию: error]" in russian  # click's own words, translated
    loads = runner.invoke(main, ["loads", "--locale", "ru", "--help"]).output
    assert "Файл хранилища DuckDB." in loads and "[по умолчанию: (из файла --pipeline" in loads
    listing = runner.invoke(main, ["--locale", "ru", "--help"]).output
    assert "Команды:" in listing and "Проверить файлы папки INBOX" in listing


def test_every_message_of_the_broken_inbox_and_the_help_is_in_the_russian_catalog(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The committed broken inbox triggers every kind of finding; in Russian, none of them is
    looked up and not found (a message marked for translation only where it is used, never
    where it is written, would come out in English)."""
    import gettext

    from broken_inbox import FOLDER as BROKEN

    missed: list[str] = []

    class Recorder(gettext.NullTranslations):
        def gettext(self, message: str) -> str:
            missed.append(message)
            return message

        def ngettext(self, singular: str, plural: str, n: int) -> str:
            missed.append(singular)
            return singular if n == 1 else plural

        def pgettext(self, context: str, message: str) -> str:
            missed.append(message)
            return message

    russian = gettext.GNUTranslations()
    russian.__dict__.update(i18n.translations("ru").__dict__)
    russian._fallback = None  # type: ignore[attr-defined]
    russian.add_fallback(Recorder())
    monkeypatch.setattr(i18n, "translations", lambda locale: russian)
    result = CliRunner().invoke(main, ["validate", str(BROKEN), "--locale", "ru",
                                       "--warehouse", str(tmp_path / "absent.duckdb")])
    assert result.exit_code == 1, result.output
    assert "ошибка:" in result.output
    assert missed == []
    # a load of the sample inbox and the commands that read the warehouse
    runner, warehouse = CliRunner(), str(tmp_path / "ledger.duckdb")
    sample = tmp_path / "sample"
    for command in (["sample", str(sample)], ["load", str(sample), "--warehouse", warehouse],
                    ["load", str(sample), "--warehouse", warehouse],
                    ["loads", "--warehouse", warehouse],
                    ["balances", "--period", "2026-10", "--warehouse", warehouse],
                    ["show", "Orhid_magazine", "--period", "2026-10", "--warehouse", warehouse],
                    ["unload", "1", "--warehouse", warehouse],
                    ["unload", "99", "--warehouse", warehouse]):
        shown = runner.invoke(main, [*command, "--locale", "ru"])
        assert shown.exit_code in (0, 1, 2), shown.output
    assert missed == []
    # and the help of every command
    for name in ["", *main.commands]:
        shown = CliRunner().invoke(main, [*([name] if name else []), "--locale", "ru", "--help"])
        assert shown.exit_code == 0, shown.output
    assert missed == []
