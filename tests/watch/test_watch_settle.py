"""The watcher's pure parts: when a file has settled, which files are never taken, the lock
files that hold one back, the feedback files' names, and the [watch] table."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ledgerflow.cli import main
from ledgerflow.config import load_config
from ledgerflow.errors import UsageError
from ledgerflow.watch.feedback import MAX_NAME_BYTES, feedback_paths, feedback_stem
from ledgerflow.watch.settle import (
    Settling,
    Signature,
    is_lock_file,
    lock_beside,
    never_taken,
)


def test_a_file_settles_when_its_size_and_time_stay_the_same_for_the_interval() -> None:
    settling = Settling(2.0)
    path = Path("inbox/payments.xlsx")
    settling.see(path, Signature(10, 1), now=100.0)
    settling.see(path, Signature(20, 2), now=101.0)  # still being written
    settling.see(path, Signature(20, 2), now=102.5)
    assert settling.settled(102.9) == []
    assert settling.settled(103.0) == [path]  # unchanged since 101.0
    settling.see(path, Signature(20, 3), now=103.0)  # touched again: waits anew
    assert settling.settled(104.9) == []
    settling.see(path, None, now=105.0)  # gone
    assert settling.settled(200.0) == [] and path not in settling


def test_settled_files_come_in_the_order_they_settled_and_a_postponed_one_waits() -> None:
    settling = Settling(1.0)
    first, second = Path("inbox/b.xlsx"), Path("inbox/a.xlsx")
    settling.see(first, Signature(1, 1), now=0.0)
    settling.see(second, Signature(1, 1), now=0.5)
    assert settling.settled(2.0) == [first, second]
    settling.postpone(first, Signature(1, 1), until=10.0)
    assert settling.settled(9.9) == [second]
    assert settling.settled(10.0) == [second, first]


@pytest.mark.parametrize(("name", "lock"), [
    ("book.xlsx", "~$book.xlsx"),                               # Excel, a short name
    ("платежи_октябрь.xlsx", "~$атежи_октябрь.xlsx"),          # Excel drops two characters
    ("payments1.xlsx", "~$yments1.xlsx"),
    ("Payments.XLSX", "~$payments.xlsx"),                       # a Windows share: no case
    ("book.ods", ".~lock.book.ods#"),                          # LibreOffice
    ("расходы.xlsx", ".~lock.расходы.xlsx#"),
])
def test_an_office_lock_file_beside_a_file_holds_it_back(name: str, lock: str) -> None:
    assert lock_beside(name, ["other.xlsx", lock]) == lock
    assert is_lock_file(lock) and never_taken(lock)


@pytest.mark.parametrize(("name", "neighbours"), [
    ("book.xlsx", ["~$other.xlsx", ".~lock.other.xlsx#", "book.xlsx"]),
    ("book.xlsx", ["~$ook.xlsx.bak", ".~lock.book.xlsx"]),
    ("payments.xlsx", ["~$ts.xlsx"]),  # more than two characters dropped: another file's
])
def test_a_lock_file_of_another_file_does_not(name: str, neighbours: list[str]) -> None:
    assert lock_beside(name, neighbours) is None


@pytest.mark.parametrize("relative", [
    "~$payments.xlsx", ".~lock.payments.xlsx#", ".hidden.xlsx", "payments.xlsx.tmp",
    "payments.xlsx.part", "payments.csv.crdownload", "payments.xlsx~", "~WRL0003.tmp",
    "8A3C1B00", ".ledgerflow-watch-x/payments.xlsx", "sub/.~lock.a.ods#", ".git/config.csv",
])
def test_lock_and_temporary_files_are_never_taken(relative: str) -> None:
    assert never_taken(relative)


@pytest.mark.parametrize("relative", [
    "payments.xlsx", "Платежи (копия).xlsx", "sub/расходы.ods", "cash.csv", "old.xls"])
def test_inputs_are_taken(relative: str) -> None:
    assert not never_taken(relative)


@pytest.mark.parametrize(("name", "stem"), [
    ("платежи.xlsx", "платежи.xlsx"),
    ("октябрь/платежи.xlsx", "октябрь__платежи.xlsx"),
    ("../../etc/passwd", "etc__passwd"),
    ("a/../../b.csv", "a__b.csv"),
    ("..", "file"),
    (".hidden.xlsx", "hidden.xlsx"),
    ('bad<>:"|?*\\name\x07.xlsx', "bad________name_.xlsx"),
    ("CON.csv", "_CON.csv"),
    ("a\nb\u2028.xlsx", "a_b_.xlsx"),  # line breaks
    ("\u202egpj.xlsx", "_gpj.xlsx"),  # a direction mark, which would show it as xlsx.jpg
])
def test_feedback_names_come_from_the_inputs_name_safely(tmp_path: Path, name: str,
                                                         stem: str) -> None:
    assert feedback_stem(name) == stem
    note, rejects = feedback_paths(tmp_path, name)
    assert note == tmp_path / f"{stem}.txt" and rejects == tmp_path / f"{stem}.rejects.xlsx"


def test_a_long_name_is_cut_and_keeps_a_digest_of_the_whole() -> None:
    long_a, long_b = "я" * 200 + "a.xlsx", "я" * 200 + "b.xlsx"
    a, b = feedback_stem(long_a), feedback_stem(long_b)
    assert a != b
    assert len(a.encode()) <= MAX_NAME_BYTES and "/" not in a


def write_pipeline(folder: Path, watch: str) -> Path:
    path = folder / "monthly.toml"
    path.write_text('inbox = "inbox"\nwarehouse = "ledger.duckdb"\nreports = "reports"\n'
                    + watch, encoding="utf-8")
    return path


def test_the_watch_table_has_defaults_and_paths_relative_to_the_pipeline(tmp_path: Path
                                                                          ) -> None:
    config = load_config(write_pipeline(tmp_path, ""))
    assert (config.watch.render, config.watch.settle, config.watch.poll) == (False, 2.0, False)
    assert config.feedback_folder == tmp_path / "feedback"  # beside the inbox
    config = load_config(write_pipeline(tmp_path, '[watch]\nrender = true\nsettle = 1\n'
                                        'poll = true\npoll_interval = 0.5\n'
                                        'feedback = "out/feedback"\n'))
    assert (config.watch.render, config.watch.settle, config.watch.poll,
            config.watch.poll_interval) == (True, 1.0, True, 0.5)
    assert config.feedback_folder == tmp_path / "out" / "feedback"


@pytest.mark.parametrize(("text", "message"), [
    ("settle = 0", "monthly.toml, line 5: watch.settle must be a number of seconds above 0 "
                   "and up to 3600, not 0."),
    ('settle = "2"', 'monthly.toml, line 5: watch.settle must be a number, not "2".'),
    ('render = "yes"', 'monthly.toml, line 5: watch.render must be true or false, not "yes".'),
    ("setle = 2", "monthly.toml, line 5: watch.setle is not a setting of [watch]; did you mean "
                  "settle?"),
    ('feedback = " "', 'monthly.toml, line 5: watch.feedback is empty; write a path, like '
                       'watch.feedback = "../feedback", or leave it out.'),
])
def test_a_wrong_watch_setting_is_named_with_its_line(tmp_path: Path, text: str,
                                                      message: str) -> None:
    with pytest.raises(UsageError) as raised:
        load_config(write_pipeline(tmp_path, f"[watch]\n{text}\n"))
    assert str(raised.value) == message


def test_a_feedback_folder_inside_the_inbox_is_refused_before_anything_is_watched(
        tmp_path: Path) -> None:
    (tmp_path / "inbox").mkdir()
    pipeline = write_pipeline(tmp_path, '[watch]\nfeedback = "inbox/feedback"\n')
    result = CliRunner().invoke(main, ["watch", str(pipeline)])
    assert result.exit_code == 2
    assert "is inside the inbox" in result.output
    assert not (tmp_path / "inbox" / "feedback").exists()
