"""Statement file names: safe, inside the reports folder, unique."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledgerflow.render.paths import in_folder, inside, safe_stem, unique_stems


def test_names_are_made_safe() -> None:
    assert safe_stem("Orhid_magazine_DIR") == "Orhid_magazine_DIR"
    assert safe_stem("../../etc/passwd") == "_.._etc_passwd"
    assert safe_stem("..") == "_"
    assert safe_stem("CON") == "_CON"
    assert safe_stem("lpt1.x") == "_lpt1.x"
    assert safe_stem("Ромашка/филиал") == "_"


def test_names_stay_unique_when_two_ids_sanitize_alike() -> None:
    stems = unique_stems(["a.", "a", "b", "Ромашка", "Лютик"])
    assert stems["b"] == "b"
    assert len({s.lower() for s in stems.values()}) == 5
    assert stems["a"].startswith("a~") and stems["a."].startswith("a~")
    # the same IDs give the same names whatever their order
    assert unique_stems(["Лютик", "Ромашка", "b", "a", "a."]) == stems


def test_nothing_is_written_outside_the_folder(tmp_path: Path) -> None:
    assert inside(tmp_path, "statements/x.html") == (tmp_path / "statements/x.html").resolve()
    with pytest.raises(ValueError, match="outside"):
        inside(tmp_path, "../x.html")


def test_a_plain_name_goes_in_the_folder_and_nothing_else_does(tmp_path: Path) -> None:
    base = tmp_path.resolve()
    assert in_folder(base, "Orhid.html") == base / "Orhid.html"
    for name in ("", ".", "..", "../x.html", "a/b.html", "a\\b.html"):
        with pytest.raises(ValueError, match="refusing to write outside"):
            in_folder(base, name)
