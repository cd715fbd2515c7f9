"""Reports are written atomically, and unchanged files are left alone."""

from __future__ import annotations

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


def test_same_bytes_keep_the_file_untouched(tmp_path: Path) -> None:
    target = tmp_path / "index.html"
    first = write_text(target, "same")
    stamp = target.stat().st_mtime_ns

    again = write_text(target, "same")
    changed = write_text(target, "other")

    assert (first.changed, again.changed, changed.changed) == (True, False, True)
    assert again.sha256 == first.sha256 != changed.sha256
    assert target.read_text() == "other"
    assert stamp <= target.stat().st_mtime_ns
