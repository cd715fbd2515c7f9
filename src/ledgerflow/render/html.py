"""HTML statements and the index, from jinja2 templates shipped in the package.

The environment autoescapes everything (text from input files is inert: a client called
`<script>…` is shown, never run) and is strict: a template naming a variable the page does not
have fails instead of printing nothing. A user may pass a folder of their own templates; a file
there replaces the package's template of the same name (`_footer.html`, `statement.css`, …) and
every other template still comes from the package.

The pages are self-contained (styles inlined, no scripts, no fonts, images or styles from the
network) and deterministic: no clock, so the same statement gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from ledgerflow.errors import UsageError
from ledgerflow.render.escape import visible
from ledgerflow.render.formatting import Formatter
from ledgerflow.render.labels import labels, refusal_text
from ledgerflow.render.layout import LINES, LineLayout
from ledgerflow.render.markup import statement_markup
from ledgerflow.render.model import IndexEntry, Refusal, Statement
from ledgerflow.rules.period import Period

# Where the laid-out rows go: a mark no text from a statement can contain (every text is made
# visible, so a NUL is never written, then escaped).
_ROWS = Markup("\x00ledgerflow-rows\x00")
_ROWS_BYTES = str(_ROWS).encode()


def _shown(value: Any) -> Any:
    """What a template prints: any text made visible (`escape.visible`) before autoescape."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible(value)
    return value

TEMPLATES = ("base.html", "statement.html", "index.html", "_card.html", "_summary.html",
             "_lines.html", "_accounts.html", "_ageing.html", "_footer.html", "_period.html",
             "_draft.html", "statement.css")
# The rejects workbook, from a statement (in `statements/`) and from the index.
REJECTS_FROM_STATEMENT = "../rejects.xlsx"
REJECTS_FROM_INDEX = "rejects.xlsx"
_DRAFT_MARK = 'data-section="draft"'  # the banner a draft page must show


class HtmlRenderer:
    """Renders statements and the index in one language (`ru` or `en`)."""

    def __init__(self, locale: str = "ru", template_dir: Path | None = None,
                 layout: LineLayout = LINES) -> None:
        self.format = Formatter(locale)
        self.layout = layout
        self.locale = self.format.locale
        self.template_dir = template_dir
        loaders: list[jinja2.BaseLoader] = []
        if template_dir is not None:
            if not Path(template_dir).is_dir():
                raise UsageError(f"The template folder {template_dir} does not exist.")
            loaders.append(jinja2.FileSystemLoader(str(template_dir)))
        loaders.append(jinja2.PackageLoader("ledgerflow", "templates"))
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,
            finalize=_shown,
        )
        self.env.filters.update({
            "money": self.format.money,
            "date": self.format.date,
            "number": self.format.number,
            "kind": self.format.word,
            "flag": self.format.word,
            "bucket": self.format.word,
            "refusal": self._refusal,
        })
        self.env.globals.update({"L": labels(self.locale), "lang": self.locale,
                                 "layout": layout})

    def statement(self, st: Statement) -> str:
        """One payer's statement for its period as a complete HTML page."""
        return self.statement_bytes(st).decode()

    def statement_bytes(self, st: Statement, rows: bytes | None = None) -> bytes:
        """The page in UTF-8. Its lines are `rows`, the lines table's rows laid out already
        (by `ledgerflow.render.markup`, for a batch of statements at once), or else
        `st.lines`, laid out here the same way. They are put in as bytes: a statement's rows
        are most of its page."""
        if rows is None:
            rows = self._rows(st)
        return self._statement(st, _ROWS).encode().replace(_ROWS_BYTES, rows)

    def _rows(self, st: Statement) -> bytes:
        return statement_markup(st, self.locale, ("html",), self.layout).html

    def _statement(self, st: Statement, rows: Markup | None) -> str:
        debt = sum((amount for _, amount in st.ageing), start=Decimal(0))  # = max(0, -closing)
        page = self._render("statement.html", st=st, period=st.period, debt=debt,
                            period_text=self.format.period(st.period.start, st.period.end),
                            rows=rows, draft=st.draft,
                            draft_note=labels(self.locale)["draft_statement"],
                            rejects_href=REJECTS_FROM_STATEMENT)
        self._check_draft("statement.html", st.draft, page)
        return page

    def index(self, entries: Sequence[IndexEntry], period: Period,
              title_extra: str | None = None, draft: Sequence[Refusal] = ()) -> str:
        """The list of every payer's statement for the period, with balances and flags;
        `draft`: the run's refused input files (a banner names them, and each draft statement
        is marked)."""
        runs = sorted({(e.statement.run_id, e.statement.inputs_sha256) for e in entries})
        run = runs[0] if len(runs) == 1 else None
        page = self._render("index.html", entries=list(entries), period=period,
                            period_text=self.format.period(period.start, period.end),
                            title_extra=title_extra, run=run, draft=tuple(draft),
                            draft_note=labels(self.locale)["draft_index"],
                            rejects_href=REJECTS_FROM_INDEX)
        self._check_draft("index.html", draft, page)
        return page

    def _check_draft(self, name: str, draft: Sequence[Refusal], page: str) -> None:
        """A draft never passes for a final page: a template of the user's that leaves out the
        banner stops the run."""
        if draft and _DRAFT_MARK not in page:
            raise UsageError(
                f"The templates in {self.template_dir} leave out the draft banner of "
                f"{name}: inputs of this run were refused, and the page must say so. Include "
                '"_draft.html" (see the package\'s own template) in it.')

    def _refusal(self, refusal: Refusal) -> str:
        return refusal_text(refusal.status, refusal.rows_refused, self.locale, refusal.touches)

    def _render(self, name: str, **context: Any) -> str:
        try:
            return self.env.get_template(name).render(**context)
        except jinja2.TemplateError as exc:
            if self.template_dir is None:
                raise
            where = f" ({exc.filename}, line {exc.lineno})" if isinstance(
                exc, jinja2.TemplateSyntaxError) else ""
            raise UsageError(
                f"The templates in {self.template_dir} cannot render {name}{where}: {exc}"
            ) from exc
