"""PDF statements: the statement's own HTML page (or the index) printed on A4.

The page already carries its print rules (`templates/print.css`: A4, the lines table's header on
every page, no row cut in two); this module adds what every page of the PDF must show whatever
the templates: "page X of Y" in the page's language and the run id with the inputs' digest, in
the page's margin boxes. Two engines print it:

- `weasyprint` (the default): a PDF/A-3b, which an archive can keep, with `attachment` (the
  statement's lines as CSV, each with its source file, sheet and row) as its associated data
  file. About 5 s for a statement of 200 lines (see benchmarks/README.md, "PDF").
- `chromium`: Debian's headless Chromium, one browser per process kept open and driven over the
  DevTools protocol on a pipe; about eight times faster. A plain PDF 1.4 (Chromium writes no
  PDF/A): the attachment is added as an embedded file in an incremental update.

Both are deterministic: the same page and arguments give the same bytes. WeasyPrint writes no
clock of its own when the document's dates and identifier are given; Chromium writes the time
of printing as the document's dates, which are overwritten in place. The dates are `created` (a
constant unless the caller passes one) and the identifier is a digest of the run id, the inputs'
digest and the title.

Nothing is fetched: the pages are self-contained; WeasyPrint's URL fetcher refuses every URL,
and Chromium fails every request the page would make.
"""

from __future__ import annotations

import atexit
import base64
import fcntl
import hashlib
import html as html_text
import json
import mimetypes
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
from datetime import UTC, datetime
from typing import Any

import pydyf
import weasyprint
from weasyprint.urls import URLFetcher

from ledgerflow.render.labels import labels

ENGINES = ("weasyprint", "chromium")
CREATED = datetime(2000, 1, 1, tzinfo=UTC)  # the document's dates unless the caller gives some
PDF_VARIANT = "pdf/a-3b"
ATTACHMENT_NOTE = "The statement's lines with the file, sheet and row of each"
FOOTER_STYLE = ('font-family: "Liberation Sans", "DejaVu Sans", Arial, sans-serif; '
                "font-size: 6.5pt; color: #66707c; white-space: nowrap;")


def pdf_bytes(html: str | bytes, *, run_id: str, inputs_sha256: str, title: str, lang: str,
              attachment: tuple[str, bytes] | None = None,
              created: datetime | None = None, engine: str = "weasyprint") -> bytes:
    """The PDF of a statement page (what `HtmlRenderer.statement` or `statement_bytes` give) or
    of the index page; `lang` is the page's language (`ru` or `en`), `attachment` a file to
    embed as (name, bytes), `created` the document's creation and modification time (naive: UTC;
    default `CREATED`), `engine` one of `ENGINES`."""
    if engine not in ENGINES:
        raise ValueError(f"no PDF engine {engine!r}: one of {', '.join(ENGINES)}")
    page = with_css(html, page_css(run_id, inputs_sha256, lang))
    when = created or CREATED
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    ident = identifier(run_id, inputs_sha256, title)
    if engine == "chromium":
        pdf = fixed_dates(chromium().print(with_title(page, title)), when)
        if attachment is not None:
            pdf = with_attachment(pdf, *attachment, when=when, ident=ident)
        return pdf
    return _weasyprint(page, title, lang, attachment, when, ident)


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


# --- WeasyPrint ----------------------------------------------------------------------------

def _weasyprint(page: bytes, title: str, lang: str, attachment: tuple[str, bytes] | None,
                when: datetime, ident: bytes) -> bytes:
    document = weasyprint.HTML(string=page, url_fetcher=NoFetching(),
                               media_type="print").render()
    document.metadata.title = title
    document.metadata.lang = lang
    document.metadata.created = document.metadata.modified = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    attachments = []
    if attachment is not None:
        name, data = attachment
        attachments.append(weasyprint.Attachment(
            string=data, name=name, relationship="Data", created=when, modified=when,
            description=ATTACHMENT_NOTE, url_fetcher=NoFetching()))
    pdf = document.write_pdf(pdf_variant=PDF_VARIANT, attachments=attachments,
                             pdf_identifier=ident, finisher=_one_entry_per_file)
    assert isinstance(pdf, bytes)
    return pdf


class NoFetching(URLFetcher):
    """Refuses every URL (a statement page is self-contained): WeasyPrint logs the refusal and
    goes on without the resource."""

    def fetch(self, url: str, headers: object = None) -> object:
        raise ValueError(f"ledgerflow fetches nothing for a PDF: {url[:80]}")


def _one_entry_per_file(_document: object, pdf: pydyf.PDF) -> None:
    """WeasyPrint 70 lists each attachment twice in the catalog's associated files (/AF), once
    found through /EmbeddedFiles and once as a file specification; keep each once."""
    if "AF" in pdf.catalog:
        pdf.catalog["AF"] = pydyf.Array(dict.fromkeys(pdf.catalog["AF"]))


# --- Chromium ------------------------------------------------------------------------------

_FLAGS = ("--headless", "--disable-gpu", "--remote-debugging-pipe", "--no-first-run",
          "--no-default-browser-check", "--disable-background-networking", "--disable-sync",
          "--disable-component-update", "--disable-extensions", "--mute-audio",
          "--host-resolver-rules=MAP * ~NOTFOUND")
_PRINT = {"preferCSSPageSize": True, "printBackground": True, "displayHeaderFooter": False,
          "generateTaggedPDF": False, "generateDocumentOutline": False}


class Chromium:
    """A headless Chromium kept open, printing pages over the DevTools protocol on a pipe
    (`--remote-debugging-pipe`: JSON messages ended by NUL, commands on the browser's fd 3,
    answers and events on its fd 4). One tab; scripts off; every request failed."""

    def __init__(self, executable: str | None = None, timeout: float = 120) -> None:
        found = executable or shutil.which("chromium") or shutil.which("chromium-browser")
        if found is None:
            raise RuntimeError("The chromium PDF engine needs Chromium (Debian's chromium "
                               "package; scripts/test.sh installs it).")
        self.timeout = timeout
        self.pid = os.getpid()
        self.profile = tempfile.mkdtemp(prefix="ledgerflow-chromium-")
        to_browser, self._commands = os.pipe()
        self._answers, from_browser = os.pipe()

        def child_fds() -> None:  # in the child: the pipe ends as fds 3 and 4
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_browser, from_browser)]
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        flags = [*_FLAGS, f"--user-data-dir={self.profile}"]
        if os.geteuid() == 0:
            flags.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
        # Chromium quits when its end of the pipe closes, however this process ends (a pool
        # worker is terminated, not exited); the shell then removes the browser's profile.
        self.process = subprocess.Popen(
            ["sh", "-c", 'profile=$1; shift; "$@"; rm -rf -- "$profile"', "sh", self.profile,
             found, *flags, "about:blank"], stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=child_fds,
            pass_fds=(3, 4), start_new_session=True)
        os.close(to_browser)
        os.close(from_browser)
        self._closed = False
        self._buffer = b""
        self._id = 0
        try:
            target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            self.session = self.call("Target.attachToTarget",
                                     {"targetId": target, "flatten": True})["sessionId"]
            self.call("Emulation.setScriptExecutionDisabled", {"value": True}, self.session)
            self.call("Fetch.enable", {"patterns": [{"urlPattern": "*"}]}, self.session)
            frame = self.call("Page.getFrameTree", session=self.session)["frameTree"]["frame"]
            self.frame = frame["id"]
        except BaseException:
            self.close()
            raise

    def print(self, page: bytes) -> bytes:
        """The page (UTF-8 HTML) printed to PDF, as its @page rules say."""
        self.call("Page.setDocumentContent", {"frameId": self.frame, "html": page.decode()},
                  self.session)
        answer = self.call("Page.printToPDF", _PRINT, self.session)
        return base64.b64decode(answer["data"])

    def call(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None) -> dict[str, Any]:
        """Sends one command and waits for its answer, failing every request the page makes
        meanwhile."""
        self._id += 1
        number = self._id
        self._send(number, method, params or {}, session)
        while True:
            message = self._receive()
            if message.get("id") == number:
                if "error" in message:
                    raise RuntimeError(f"Chromium: {method}: {message['error']}")
                result: dict[str, Any] = message["result"]
                return result
            if message.get("method") == "Fetch.requestPaused":
                self._id += 1  # its answer is read and dropped by this loop
                self._send(self._id, "Fetch.failRequest",
                           {"requestId": message["params"]["requestId"],
                            "errorReason": "BlockedByClient"}, message.get("sessionId"))

    def _send(self, number: int, method: str, params: dict[str, Any],
              session: str | None) -> None:
        message: dict[str, Any] = {"id": number, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self._commands, data):]

    def _receive(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._answers], [], [], self.timeout)
            chunk = os.read(self._answers, 1 << 20) if ready else b""
            if not chunk:
                self.close()
                raise RuntimeError("Chromium stopped answering" if ready else
                                   f"Chromium did not answer in {self.timeout:.0f} s")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def close(self) -> None:
        if self._closed:
            return  # the pipe's fd numbers may belong to another file by now
        self._closed = True
        os.close(self._commands)  # Chromium quits, and the shell removes its profile
        os.close(self._answers)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # the shell and the browser it started
            self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


_browser: Chromium | None = None


def chromium() -> Chromium:
    """This process's browser, started on first use (a forked worker starts its own) and closed
    when the process exits."""
    global _browser
    if _browser is None or _browser.pid != os.getpid() or _browser.process.poll() is not None:
        _browser = Chromium()
        atexit.register(_browser.close)
    return _browser


def with_title(page: bytes, title: str) -> bytes:
    """The page with `title` as its <title> (Chromium writes the page's title as the PDF's)."""
    escaped = html_text.escape(title).encode()
    return re.sub(rb"<title>.*?</title>", lambda _: b"<title>" + escaped + b"</title>", page,
                  count=1, flags=re.DOTALL)


_DATES = re.compile(rb"/(CreationDate|ModDate) \((D:\d{14}[^)]*)\)")


def fixed_dates(pdf: bytes, when: datetime) -> bytes:
    """Chromium's PDF with `when` for the time of printing it writes as the document's dates;
    the same length, so the cross-reference table's offsets still hold."""
    def fixed(match: re.Match[bytes]) -> bytes:
        old = match[2]
        for new in (when.strftime("D:%Y%m%d%H%M%S+00'00'").encode(),
                    when.strftime("D:%Y%m%d%H%M%SZ").encode()):
            if len(new) == len(old):
                return match[0].replace(old, new)
        raise ValueError(f"unexpected date in Chromium's PDF: {old!r}")
    return _DATES.sub(fixed, pdf)


def _pdf_text(text: str) -> bytes:
    """A PDF text string: UTF-16BE with its byte order mark, in hex (nothing to escape)."""
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


def with_attachment(pdf: bytes, name: str, data: bytes, *, when: datetime,
                    ident: bytes) -> bytes:
    """Chromium's PDF (classic cross-reference table, no object streams) with `data` embedded
    as the file `name`, in an incremental update: the embedded file, its file specification and
    a new catalog naming it (/Names /EmbeddedFiles, and /AF as PDF/A-3 would)."""
    tail = re.search(rb"trailer\s*<<(.*?)>>\s*startxref\s*(\d+)\s*%%EOF\s*$", pdf, re.DOTALL)
    if tail is None:
        raise ValueError("Chromium's PDF has no trailer where one was expected")
    trailer, previous = tail[1], int(tail[2])
    size = int(re.search(rb"/Size (\d+)", trailer)[1])  # type: ignore[index]
    root = int(re.search(rb"/Root (\d+) 0 R", trailer)[1])  # type: ignore[index]
    info = re.search(rb"/Info (\d+) 0 R", trailer)
    catalog = re.search(rb"\n%d 0 obj\n<<(.*?)>>\nendobj" % root, pdf, re.DOTALL)
    if catalog is None or b"/Names" in catalog[1] or b"/AF" in catalog[1]:
        raise ValueError("Chromium's PDF catalog is not as expected")
    stamp = when.strftime("D:%Y%m%d%H%M%SZ").encode()
    mime = (mimetypes.guess_type(name)[0] or "application/octet-stream").replace("/", "#2F")
    ascii_name = b"<" + name.encode("ascii", "replace").hex().encode() + b">"
    file_number, spec_number = size, size + 1
    objects = {
        file_number: (b"<</Type /EmbeddedFile /Subtype /%s /Length %d /Params <</Size %d"
                      b" /CheckSum <%s> /CreationDate (%s) /ModDate (%s)>>>>\nstream\n"
                      % (mime.encode(), len(data), len(data),
                         hashlib.md5(data).hexdigest().encode(), stamp, stamp))
                     + data + b"\nendstream",
        spec_number: b"<</Type /Filespec /F %s /UF %s /EF <</F %d 0 R /UF %d 0 R>> /Desc %s"
                     b" /AFRelationship /Data>>" % (ascii_name, _pdf_text(name), file_number,
                                                     file_number, _pdf_text(ATTACHMENT_NOTE)),
        root: b"<<%s /Names <</EmbeddedFiles <</Names [%s %d 0 R]>>>> /AF [%d 0 R]>>"
              % (catalog[1], _pdf_text(name), spec_number, spec_number),
    }
    out = bytearray(pdf if pdf.endswith(b"\n") else pdf + b"\n")
    offsets = {}
    for number, body in objects.items():
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \n%d 2\n" % (
        root, offsets[root], file_number)
    out += b"".join(b"%010d 00000 n \n" % offsets[n] for n in (file_number, spec_number))
    out += b"trailer\n<</Size %d /Root %d 0 R%s /Prev %d /ID [<%s> <%s>]>>\n" % (
        size + 2, root, b" /Info %s 0 R" % info[1] if info else b"", previous, ident,
        hashlib.md5(bytes(out)).hexdigest().encode())
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)
