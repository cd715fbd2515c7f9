"""The package build compiles the message catalogs: each `.po` of src/ledgerflow/locale becomes
the `.mo` gettext reads, written beside it in the build (wheel or regular install). The `.mo`
files are build output and are not committed; an editable install has none, and
`ledgerflow.i18n` compiles the `.po` in memory instead. Everything else is in pyproject.toml."""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class build_py_with_catalogs(build_py):
    """build_py, then each catalog of the package compiled with Babel (fuzzy entries left out)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # the sources are used in place: ledgerflow.i18n compiles in memory
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        source = Path(__file__).parent / "src" / "ledgerflow" / "locale"
        for po in sorted(source.glob("*/LC_MESSAGES/*.po")):
            target = Path(self.build_lib, "ledgerflow", "locale",
                          po.relative_to(source)).with_suffix(".mo")
            target.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as stream:
                catalog = read_po(stream)
            with target.open("wb") as out:
                write_mo(out, catalog, use_fuzzy=False)


setup(cmdclass={"build_py": build_py_with_catalogs})
