"""Reports are written atomically, and unchanged files are left alone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ledgerflow.render.writer import write_file, write_text


def test_a_crash_mid_write_leaves_the_good_file_and_no_debris(tmp_path: Path) -> None:
    target = tmp_path / "statements" / "acme.html"
    write_text(target, "<p>good</p>")

    def crash(temp: Path) -> None:
        temp.write_text("<p>half a stat")
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        write_file(target, crash)

    assert target.read_text() == "<p>good</p>"
    assert [p.name for p in target.parent.iterdir()] == ["acme.html"]


def _identity(path: Path) -> tuple[int, int, int, int]:
    """What changes when a file is replaced or written, even within one clock tick: a rename
    over it gives a new inode, a write a new change time."""
    found = path.stat()
    return found.st_dev, found.st_ino, found.st_mtime_ns, found.st_ctime_ns


def test_same_bytes_keep_the_file_untouched(tmp_path: Path) -> None:
    target = tmp_path / "index.html"
    first = write_text(target, "same")
    before = _identity(target)

    again = write_text(target, "same")
    kept = _identity(target)
    changed = write_text(target, "other")

    assert (first.changed, again.changed, changed.changed) == (True, False, True)
    assert again.sha256 == first.sha256 != changed.sha256
    assert kept == before  # the same file, not a copy renamed over it
    assert target.read_text() == "other"
    assert _identity(target)[1] != before[1]  # a changed file is a new one, put in place


def test_a_kept_file_is_the_one_that_was_there(tmp_path: Path) -> None:
    """A writer that rewrote identical bytes but said "unchanged" would break a hard link
    (and any reader's open handle) to the old file: the link must still be the target."""
    target = tmp_path / "index.html"
    write_text(target, "same")
    link = tmp_path / "link.html"
    os.link(target, link)

    assert not write_text(target, "same").changed
    assert os.path.samefile(target, link)
    assert target.stat().st_nlink == 2
