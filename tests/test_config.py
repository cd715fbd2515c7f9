"""The pipeline file: a strict schema, every problem named with its key and line; the places."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from ledgerflow.config import DEFAULT_OUTPUTS, OUTPUTS, PipelineConfig, key_line, load_config
from ledgerflow.errors import UsageError

ROOT = Path(__file__).parent.parent
# three lines, so the line of a setting written after them is 3 + its place
REQUIRED = 'inbox = "inbox"\nwarehouse = "ledger.duckdb"\nreports = "reports"\n'


def pipeline(folder: Path, text: str, name: str = "monthly.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def problem(folder: Path, text: str) -> str:
    """The message of the error a pipeline file with `text` stops on."""
    with pytest.raises(UsageError) as raised:
        load_config(pipeline(folder, text))
    assert raised.value.exit_code == 2
    message = str(raised.value)
    assert "Input should" not in message and "type=" not in message  # no pydantic wording
    assert "pydantic" not in message.lower()
    return message


def test_a_valid_file_gives_its_settings_with_paths_from_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / "pipelines"
    folder.mkdir()
    path = pipeline(folder, 'inbox = "../inbox"\nwarehouse = "../out/ledger.duckdb"\n'
                            'reports = "../out"\nperiod = "2026-10"\noutputs = ["xlsx"]\n'
                            'locale = "en"\ntemplates = "../templates"\nrounding = "half_even"\n'
                            'partial = true\ndate_order = "MDY"\non_refused = "stop"\n'
                            '[rules]\nsame_tax_id = "warning"\nnaming = "error"\n')

    config = load_config(path)

    assert config.source == path
    assert config.inbox == tmp_path / "inbox"
    assert config.warehouse == tmp_path / "out/ledger.duckdb"
    assert config.reports == tmp_path / "out"
    assert config.templates == tmp_path / "templates"
    assert config.period == "2026-10" and config.outputs == ("xlsx",)
    assert config.partial is True and config.on_refused == "stop"
    assert config.settings() == {
        "locale": "en", "rounding": "half_even", "outputs": ["xlsx"], "date_order": "MDY",
        "partial": True, "rules": {"same_tax_id": "warning", "naming": "error"},
        "templates": str(tmp_path / "templates"), "on_refused": "stop",
        "pdf_engine": "weasyprint"}


def test_defaults_when_only_the_places_are_written(tmp_path: Path) -> None:
    config = load_config(pipeline(tmp_path, REQUIRED))
    assert config.period is None and config.templates is None
    assert config.outputs == DEFAULT_OUTPUTS == ("html", "xlsx")
    assert OUTPUTS == ("html", "xlsx", "pdf")  # a PDF is written when asked for
    assert config.settings() == {
        "locale": "ru", "rounding": "half_up", "outputs": ["html", "xlsx"], "date_order": None,
        "partial": False, "rules": {"same_tax_id": "error", "naming": "warning"},
        "templates": None, "on_refused": "draft", "pdf_engine": "weasyprint"}


def test_the_shipped_pipeline_file_is_valid() -> None:
    config = load_config(ROOT / "pipelines/monthly.toml")
    assert config.inbox == ROOT / "sample_data"
    assert config.partial is False and config.on_refused == "draft"


def test_partial_no_is_not_true(tmp_path: Path) -> None:
    # before: bool("no") made it true
    message = problem(tmp_path, REQUIRED + "# load the valid rows?\npartial = \"no\"\n")
    assert message == 'monthly.toml, line 5: partial must be true or false, not "no".'
    message = problem(tmp_path, REQUIRED + 'partial = "true"\n')
    assert 'partial must be true or false (written without quotes), not "true".' in message
    assert "partial must be true or false, not 1." in problem(tmp_path, REQUIRED + "partial = 1\n")


@pytest.mark.parametrize(("setting", "expected"), [
    ('outputs = ["html", "docx"]', 'line 4: outputs may list only html, xlsx, pdf, not "docx".'),
    ('outputs = "html"',
     'line 4: outputs must be a list, like outputs = ["html", "xlsx", "pdf"], not "html".'),
    ('pdf_engine = "prince"',
     'line 4: pdf_engine must be one of weasyprint, chromium, not "prince".'),
    ('locale = "de"', 'line 4: locale must be one of ru, en, not "de".'),
    ('rounding = "up"', 'line 4: rounding must be one of half_up, half_even, not "up".'),
    ('date_order = "dmy"',
     'line 4: date_order must be one of DMY, MDY (or leave date_order out), not "dmy".'),
    ('date_order = ""', "date_order must be one of DMY, MDY (or leave date_order out), not \"\"."),
    ('period = "2026-13"', 'line 4: period must be a month like "2026-10", not "2026-13".'),
    ('period = ""', 'line 4: period must be a month like "2026-10", not "".'),
    ("period = 2026-10-01",
     'line 4: period must be a month in quotes, like period = "2026-10", not 2026-10-01.'),
    ("templates = 5",
     'line 4: templates must be a path in quotes, like templates = "../templates", not 5.'),
    ('templates = ""',
     'line 4: templates is empty; write a path, like templates = "../templates", or leave it '
     "out."),
    ('on_refused = "continue"', 'line 4: on_refused must be one of draft, stop, not "continue".'),
    ('rules = "strict"', "line 4: rules must be a table (a [rules] line with its settings below "
                         'it), not "strict".'),
    ('[rules]\nnaming = "fatal"', 'line 5: rules.naming must be one of error, warning, not '
                                  '"fatal".'),
    ('rules.same_tax_id = true', "line 4: rules.same_tax_id must be one of error, warning, "
                                 "not true."),
    ('rules = {naming = "off"}',
     'line 4: rules.naming must be one of error, warning, not "off".'),
])
def test_each_setting_is_checked_strictly(tmp_path: Path, setting: str, expected: str) -> None:
    message = problem(tmp_path, REQUIRED + setting + "\n")
    assert message.startswith("monthly.toml, ")
    assert message.endswith(expected)


def test_the_old_messages_still_read_the_same(tmp_path: Path) -> None:
    # the CLI's tests and users' scripts look for these words
    assert "locale must be one of ru, en" in problem(tmp_path, REQUIRED + 'locale = "de"\n')


def test_unknown_keys_are_errors_at_any_depth(tmp_path: Path) -> None:
    # before: an unknown key inside [rules] was ignored
    message = problem(tmp_path, REQUIRED + '[rules]\nsame_tax_id = "error"\nnameing = "error"\n')
    assert message == ("monthly.toml, line 6: rules.nameing is not a setting of [rules]; "
                       "did you mean naming?")
    message = problem(tmp_path, REQUIRED + '[rules.extra]\nkind = "x"\n')
    assert message == ("monthly.toml, line 4: rules.extra is not a setting of [rules]; the "
                       "settings are same_tax_id, naming.")
    message = problem(tmp_path, REQUIRED + 'rules.severity = "error"\n')
    assert message.startswith("monthly.toml, line 4: rules.severity is not a setting of [rules]")
    message = problem(tmp_path, REQUIRED + 'locael = "en"\n')
    assert message == ("monthly.toml, line 4: locael is not a setting of a pipeline file; did "
                       "you mean locale?")
    message = problem(tmp_path, REQUIRED + '[notify]\nto = "boss@example.com"\n')
    assert message.startswith("monthly.toml, line 4: notify is not a setting of a pipeline "
                              "file; the settings are inbox, warehouse, reports, period,")
    message = problem(tmp_path, REQUIRED + '[mail]\nto = "boss@example.com"\n')
    assert message == ("monthly.toml, line 5: mail.to is not a setting of [mail]; the settings "
                       "are attach.")


def test_a_missing_place_is_named_without_a_line(tmp_path: Path) -> None:
    message = problem(tmp_path, 'inbox = "inbox"\nreports = "reports"\n')
    assert message == ("monthly.toml: warehouse is missing; it says where the DuckDB warehouse "
                       "file is.")
    message = problem(tmp_path, 'inbox = ""\nwarehouse = "w.duckdb"\nreports = "r"\n')
    assert message == ('monthly.toml, line 1: inbox is empty; write a path, like '
                       'inbox = "../inbox".')


def test_every_problem_of_the_file_is_reported_at_once_in_the_files_order(
        tmp_path: Path) -> None:
    text = ('inbox = "inbox"\n'           # 1
            'reports = 7\n'               # 2
            'locale = "de"\n'             # 3
            'partial = "no"\n'            # 4
            '\n'                          # 5
            '[rules]\n'                   # 6
            'naming = "fatal"\n'          # 7
            'colour = "blue"\n')          # 8
    message = problem(tmp_path, text)
    assert message.splitlines() == [
        "monthly.toml has 6 problems:",
        "  monthly.toml: warehouse is missing; it says where the DuckDB warehouse file is.",
        '  monthly.toml, line 2: reports must be a path in quotes, like reports = "../reports", '
        "not 7.",
        '  monthly.toml, line 3: locale must be one of ru, en, not "de".',
        '  monthly.toml, line 4: partial must be true or false, not "no".',
        '  monthly.toml, line 7: rules.naming must be one of error, warning, not "fatal".',
        "  monthly.toml, line 8: rules.colour is not a setting of [rules]; the settings are "
        "same_tax_id, naming."]


def test_the_file_is_named_as_the_user_named_it(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"^weekly\.toml, line 4: partial"):
        load_config(pipeline(tmp_path, REQUIRED + "partial = 0\n", name="weekly.toml"))


def test_unreadable_files_keep_their_messages(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="No pipeline file at"):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(UsageError, match="is not valid TOML"):
        load_config(pipeline(tmp_path, REQUIRED + "partial = \n"))
    with pytest.raises(UsageError, match="is not UTF-8 text"):
        (tmp_path / "latin.toml").write_bytes(b'inbox = "\xe9"\n')
        load_config(tmp_path / "latin.toml")


# --- where a key is written ---------------------------------------------------------------------


KEYS = '''# a comment: partial = true
inbox = "inbox"   # partial = "in a comment"
note = """
partial = "inside a string"
[rules]
"""
list = [
  "a", # naming = "x"
  {partial = 1},
]
"quoted key" = 1
site."dotted.part".x = 2
rules.same_tax_id = "error"
inline = {a = 1, b = {c = 2}}

[rules]
  naming = "warning"

[[runs]]
partial = false
'''


@pytest.mark.parametrize(("key", "line"), [
    ("inbox", 2), ("note", 3), ("list", 7), ("quoted key", 11),
    (("site", "dotted.part", "x"), 12), ("rules.same_tax_id", 13), ("inline", 14),
    ("inline.b.c", 14), ("rules", 16), ("rules.naming", 17), ("runs", 19),
    ("runs.partial", 20), ("partial", None), ("naming", None), ("rules.colour", None),
])
def test_key_line_finds_the_line_a_key_is_written_on(key: str | tuple[str, ...],
                                                     line: int | None) -> None:
    assert key_line(KEYS, key) == line


def test_key_line_of_an_empty_text() -> None:
    assert key_line("", "inbox") is None


# --- the places the run writes --------------------------------------------------------------------


def places(tmp_path: Path, **settings: str) -> PipelineConfig:
    """A pipeline in tmp_path/pipelines whose places are those given (relative to tmp_path)."""
    folder = tmp_path / "pipelines"
    folder.mkdir(exist_ok=True)
    values = {"inbox": "inbox", "warehouse": "data/ledger.duckdb", "reports": "out/reports"}
    values.update(settings)
    text = "".join(f'{key} = "../{value}"\n' for key, value in values.items())
    return load_config(pipeline(folder, text))


def layout(tmp_path: Path) -> None:
    (tmp_path / "inbox").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "notes.txt").write_text("not a folder\n", encoding="utf-8")


def place_problem(config: PipelineConfig) -> str:
    with pytest.raises(UsageError) as raised:
        config.check_places()
    assert raised.value.exit_code == 2
    return str(raised.value)


def test_good_places_pass_and_nothing_is_created_or_left_behind(tmp_path: Path) -> None:
    layout(tmp_path)
    (tmp_path / "templates").mkdir()
    config = places(tmp_path, templates="templates")
    before = sorted(tmp_path.rglob("*"))

    config.check_places()  # the reports folder and its parent do not exist yet: creatable

    assert sorted(tmp_path.rglob("*")) == before
    (tmp_path / "data/ledger.duckdb").write_bytes(b"warehouse")
    (tmp_path / "out/reports").mkdir(parents=True)
    places(tmp_path).check_places()  # an existing warehouse file and reports folder
    assert (tmp_path / "data/ledger.duckdb").read_bytes() == b"warehouse"
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["ledger.duckdb"]


def test_the_folder_of_the_warehouse_must_exist(tmp_path: Path) -> None:
    layout(tmp_path)
    message = place_problem(places(tmp_path, warehouse="missing/ledger.duckdb"))
    assert message == (f"The folder of the warehouse, {tmp_path / 'missing'}, does not exist; "
                       "create it or fix `warehouse` in monthly.toml.")


def test_the_folder_of_the_warehouse_cannot_be_a_file(tmp_path: Path) -> None:
    layout(tmp_path)
    message = place_problem(places(tmp_path, warehouse="notes.txt/ledger.duckdb"))
    assert message == (f"The folder of the warehouse, {tmp_path / 'notes.txt'}, is a file, not a "
                       "folder; fix `warehouse` in monthly.toml.")


def test_the_warehouse_cannot_be_a_folder(tmp_path: Path) -> None:
    layout(tmp_path)
    message = place_problem(places(tmp_path, warehouse="data"))
    assert message == (f"The warehouse, {tmp_path / 'data'}, is a folder, not a file; fix "
                       "`warehouse` in monthly.toml.")


def test_the_reports_folder_cannot_be_a_file_nor_under_one(tmp_path: Path) -> None:
    layout(tmp_path)
    message = place_problem(places(tmp_path, reports="notes.txt"))
    assert message == (f"The reports folder, {tmp_path / 'notes.txt'}, is a file, not a folder; "
                       "fix `reports` in monthly.toml.")
    message = place_problem(places(tmp_path, reports="notes.txt/reports/2026"))
    assert message == (f"The reports folder, {tmp_path / 'notes.txt/reports/2026'}, cannot be "
                       f"created: {tmp_path / 'notes.txt'} is a file, not a folder; fix "
                       "`reports` in monthly.toml.")


def test_the_inbox_and_the_templates_must_be_folders(tmp_path: Path) -> None:
    layout(tmp_path)
    message = place_problem(places(tmp_path, inbox="nowhere", templates="notes.txt"))
    assert message.splitlines() == [
        f"The inbox, {tmp_path / 'nowhere'}, does not exist; create it or fix `inbox` in "
        "monthly.toml.",
        f"The templates folder, {tmp_path / 'notes.txt'}, is a file, not a folder; fix "
        "`templates` in monthly.toml or leave it out for the built-in templates."]


def test_every_place_problem_is_reported_at_once(tmp_path: Path) -> None:
    config = places(tmp_path, warehouse="missing/ledger.duckdb", templates="missing")
    assert len(place_problem(config).splitlines()) == 3  # warehouse, inbox, templates


def _writable(folder: Path) -> bool:
    try:
        handle, probe = tempfile.mkstemp(dir=folder)
    except OSError:
        return False
    os.close(handle)
    os.unlink(probe)
    return True


def test_a_folder_nobody_may_write_in_is_refused_for_real(tmp_path: Path) -> None:
    # /sys refuses new files even to root: an honest unwritable folder whoever runs the tests
    sys_folder = Path("/sys")
    if not sys_folder.is_dir() or _writable(sys_folder):
        pytest.skip("no folder here refuses new files to this user")
    layout(tmp_path)
    config = places(tmp_path)
    config = PipelineConfig(config.source, config.inbox, sys_folder / "ledger.duckdb",
                            sys_folder / "ledgerflow-reports")
    message = place_problem(config)
    assert message.splitlines() == [
        f"Nothing can be written in the folder of the warehouse, {sys_folder} (Permission "
        "denied); fix `warehouse` in monthly.toml.",
        f"The reports folder, {sys_folder / 'ledgerflow-reports'}, cannot be created in "
        f"{sys_folder} (Permission denied); fix `reports` in monthly.toml."]


def test_a_read_only_folder_is_refused_when_permissions_hold(tmp_path: Path) -> None:
    layout(tmp_path)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if _writable(locked):
            pytest.skip("permission bits do not stop this user (root)")
        message = place_problem(places(tmp_path, warehouse="locked/ledger.duckdb",
                                       reports="locked"))
        assert message.splitlines() == [
            f"Nothing can be written in the folder of the warehouse, {locked} (Permission "
            "denied); fix `warehouse` in monthly.toml.",
            f"Nothing can be written in the reports folder, {locked} (Permission denied); fix "
            "`reports` in monthly.toml."]
    finally:
        locked.chmod(0o700)
