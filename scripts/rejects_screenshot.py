"""The README's picture of a rejects workbook: docs/images/rejects.png.

    .venv/bin/python scripts/rejects_screenshot.py [--locale en] [--out docs/images/rejects.png]

The sample inbox (sample_data/) is copied to a scratch folder and three cells of its payments are
broken as an accountant might (an amount with a letter O for a zero, the 31st of September, a
mistyped login); `validate` is run on it and its rejects workbook is printed to PDF by headless
LibreOffice (`soffice`). The first page of the payments sheet and of the problems sheet are
rendered with pypdfium2, trimmed and stacked into one PNG. Run it again after the workbook or
its words change.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl
import pypdfium2
from PIL import Image, ImageChops

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from ledgerflow.i18n import use_locale  # noqa: E402
from ledgerflow.pipeline import check_inbox  # noqa: E402
from ledgerflow.rejects import write_rejects  # noqa: E402

BROKEN = {"D4": "10 994,6O", "C6": "31.09.2026", "B8": "Stroymontaj"}  # payments_2026.xlsx
SCALE = 3.0  # pixels per PDF point


def rejects_workbook(folder: Path, locale: str) -> Path:
    inbox = folder / "inbox"
    shutil.copytree(ROOT / "sample_data", inbox)
    book = openpyxl.load_workbook(inbox / "payments_2026.xlsx")
    for cell, value in BROKEN.items():
        book["payments"][cell] = value
    book.save(inbox / "payments_2026.xlsx")
    with use_locale(locale):
        report = check_inbox(inbox, folder / "ledger.duckdb")
        tables = [t for o in report.outcomes for t in o.tables]
        return write_rejects(folder / "rejects.xlsx", tables, report.problems(), report)


def pages(workbook: Path, folder: Path) -> list[Image.Image]:
    """Each page of the workbook printed by LibreOffice, trimmed to its content."""
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{folder}/profile",
                    "--convert-to", "pdf", "--outdir", str(folder), str(workbook)],
                   check=True, capture_output=True, timeout=300)
    document = pypdfium2.PdfDocument(str(folder / f"{workbook.stem}.pdf"))
    images = []
    for page in document:
        image = page.render(scale=SCALE).to_pil().convert("RGB")
        box = ImageChops.difference(image, Image.new("RGB", image.size, "white")).getbbox()
        images.append(image.crop(box) if box else image)
    return images


def stack(images: list[Image.Image], gap: int = 40) -> Image.Image:
    width = max(i.width for i in images) + 2 * gap
    height = sum(i.height for i in images) + gap * (len(images) + 1)
    canvas = Image.new("RGB", (width, height), "white")
    top = gap
    for image in images:
        canvas.paste(image, (gap, top))
        top += image.height + gap
    return canvas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locale", default="en", choices=("en", "ru"))
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images" / "rejects.png")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        printed = pages(rejects_workbook(folder, args.locale), folder)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # the payments sheet, then the problems sheet (the last page)
    stack([printed[0], printed[-1]]).save(args.out, optimize=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
