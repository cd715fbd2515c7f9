"""PDF statements: the statement's own HTML page (or the index) printed on A4 by WeasyPrint.

The page already carries its print rules (`templates/print.css`: A4, the lines table's header on
every page, no row cut in two); this module adds what every page of the PDF must show whatever
the templates: "page X of Y" in the page's language and the run id with the inputs' digest, in
the page's margin boxes.

The output is deterministic: the same page and arguments give the same bytes. WeasyPrint writes
no clock of its own when the document's dates and identifier are given, so they are fixed here:
the dates are `created` (a constant unless the caller passes one) and the identifier is a digest
of the run id, the inputs' digest and the title. The PDF is PDF/A-3b, so an archive can keep it,
with `attachment` (the statement's lines as CSV, each with its source file, sheet and row)
embedded as its associated data file.

Nothing is fetched: the pages are self-contained, and the URL fetcher refuses every URL.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pydyf
import weasyprint
from weasyprint.urls import URLFetcher

from ledgerflow.render.labels import labels

ENGINES = ("weasyprint", "chromium")
CREATED = datetime(2000, 1, 1, tzinfo=UTC)  # the document's dates unless the caller gives some
PDF_VARIANT = "pdf/a-3b"
FOOTER_STYLE = ('font-family: "Liberation Sans", "DejaVu Sans", Arial, sans-serif; '
                "font-size: 6.5pt; color: #66707c; white-space: nowrap;")


def pdf_bytes(html: str | bytes, *, run_id: str, inputs_sha256: str, title: str, lang: str,
              attachment: tuple[str, bytes] | None = None,
              created: datetime | None = None, engine: str = "weasyprint") -> bytes:
    """The PDF of a statement page (what `HtmlRenderer.statement` or `statement_bytes` give) or
    of the index page; `lang` is the page's language (`ru` or `en`), `attachment` a file to
    embed as (name, bytes), `created` the document's creation and modification time (UTC;
    default `CREATED`), `engine` one of `ENGINES`."""
    if engine not in ENGINES:
        raise ValueError(f"no PDF engine {engine!r}: one of {', '.join(ENGINES)}")
    if engine == "chromium":
        raise NotImplementedError("the chromium engine is being measured")
    page = with_css(html, page_css(run_id, inputs_sha256, lang))
    document = weasyprint.HTML(string=page, url_fetcher=NoFetching(),
                               media_type="print").render()
    when = _w3c(created or CREATED)
    document.metadata.title = title
    document.metadata.lang = lang
    document.metadata.created = document.metadata.modified = when
    attachments = []
    if attachment is not None:
        name, data = attachment
        attachments.append(weasyprint.Attachment(
            string=data, name=name, relationship="Data", created=created or CREATED,
            modified=created or CREATED, url_fetcher=NoFetching(),
            description="The statement's lines with the file, sheet and row of each"))
    pdf = document.write_pdf(pdf_variant=PDF_VARIANT, attachments=attachments,
                             pdf_identifier=identifier(run_id, inputs_sha256, title),
                             finisher=_one_entry_per_file)
    assert isinstance(pdf, bytes)
    return pdf


def page_css(run_id: str, inputs_sha256: str, lang: str) -> str:
    """The margin boxes of every page: the run and the inputs' digest at the bottom left,
    "page X of Y" in `lang` at the bottom right."""
    words = labels(lang)
    run = f"{words['run_id']} {run_id} · {words['inputs_sha256']} {inputs_sha256}"
    return (
        "@page {"
        f" @bottom-left {{ content: {css_string(run)}; {FOOTER_STYLE} }}"
        f" @bottom-right {{ content: {css_string(words['page'] + ' ')} counter(page)"
        f" {css_string(' ' + words['page_of'] + ' ')} counter(pages); {FOOTER_STYLE} }}"
        " }")


def css_string(text: str) -> str:
    """`text` as a quoted CSS string that cannot end the string or the <style> element: every
    character but letters, digits, spaces and a few marks is written as a CSS escape."""
    safe = " -_.,:;·"
    return '"' + "".join(c if c.isalnum() or c in safe else f"\\{ord(c):x} "
                         for c in text) + '"'


def with_css(html: str | bytes, css: str) -> bytes:
    """The page in UTF-8 with `css` in a <style> at the end of its head, so it comes after the
    page's own styles (the page's Content-Security-Policy allows inline styles)."""
    page = html.encode() if isinstance(html, str) else html
    style = f"<style>{css}</style>\n".encode()
    at = page.find(b"</head>")
    return style + page if at < 0 else page[:at] + style + page[at:]


def identifier(run_id: str, inputs_sha256: str, title: str) -> bytes:
    """The PDF's permanent identifier: the same statement of the same run gets the same one."""
    text = "\n".join(("ledgerflow-pdf", run_id, inputs_sha256, title))
    return hashlib.sha256(text.encode()).hexdigest()[:32].encode()


def _one_entry_per_file(_document: object, pdf: pydyf.PDF) -> None:
    """WeasyPrint 70 lists each attachment twice in the catalog's associated files (/AF), once
    found through /EmbeddedFiles and once as a file specification; keep each once."""
    if "AF" in pdf.catalog:
        pdf.catalog["AF"] = pydyf.Array(dict.fromkeys(pdf.catalog["AF"]))


def _w3c(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class NoFetching(URLFetcher):
    """Refuses every URL (a statement page is self-contained): WeasyPrint logs the refusal and
    goes on without the resource."""

    def fetch(self, url: str, headers: object = None) -> object:
        raise ValueError(f"ledgerflow fetches nothing for a PDF: {url[:80]}")
