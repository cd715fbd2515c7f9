"""HTML statements and the index, from jinja2 templates shipped in the package.

The environment autoescapes everything (text from input files is inert: a client called
`<script>…` is shown, never run) and is strict: a template naming a variable the page does not
have fails instead of printing nothing. A user may pass a folder of their own templates; a file
there replaces the package's template of the same name (`_footer.html`, `statement.css`, …) and
every other template still comes from the package.

The pages are self-contained (styles inlined, no fonts, images or styles from the network) and
deterministic: no clock, so the same statement gives the same bytes. A statement has no script.
The index has one, ledgerflow's own (`templates/index.js`: search, sort and a filter by flag),
inline, and allowed by the page's content-security policy by its SHA-256 alone: no other
script runs, nothing is fetched.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from ledgerflow.errors import UsageError
from ledgerflow.render.escape import html as html_text
from ledgerflow.render.escape import visible
from ledgerflow.render.formatting import Formatter
from ledgerflow.render.labels import labels, refusal_text
from ledgerflow.render.layout import (
    ACCOUNTS,
    AGEING,
    INDEX,
    LINES,
    RELATED,
    SUMMARY,
    Column,
    LineLayout,
    TableLayout,
    heading,
    money_place,
    value_of,
)
from ledgerflow.render.markup import statement_markup
from ledgerflow.render.model import IndexEntry, Refusal, Statement, Totals, index_totals
from ledgerflow.render.paths import REJECTS
from ledgerflow.rules.period import Period

# Where the laid-out rows go: a mark no text from a statement can contain (every text is made
# visible, so a NUL is never written, then escaped).
_ROWS = Markup("\x00ledgerflow-rows\x00")
_ROWS_BYTES = str(_ROWS).encode()


def _row_attributes(layout: TableLayout, row: object) -> Markup:
    """A small table's row attributes: its data attribute and its classes."""
    out = ""
    if layout.row_data is not None:
        out += f' data-{layout.row_data}="{html_text(str(value_of(row, layout.row_data)))}"'
    marks = [css for css, name in layout.row_marks if value_of(row, name)]
    if marks:
        out += f' class="{" ".join(marks)}"'
    for attribute, name in layout.row_flags:
        if value_of(row, name):
            out += f' data-{attribute}="true"'
    return Markup(out)


def _esc(text: str) -> str:
    return str(html_text(text))


def _shown(value: Any) -> Any:
    """What a template prints: any text made visible (`escape.visible`) before autoescape."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible(value)
    return value

TEMPLATES = ("base.html", "statement.html", "index.html", "_card.html", "_summary.html",
             "_lines.html", "_accounts.html", "_ageing.html", "_footer.html", "_period.html",
             "_draft.html", "_grid.html", "statement.css", "print.css", "index.css", "index.js")
INDEX_SCRIPT = "index.js"  # the index's own script: search, sort, filter by flag
# the index's filter by flag lists them in this order
FLAG_ORDER = ("blocked", "over_limit", "overdue", "to_block", "draft")
# The rejects workbook, from a statement (in `statements/`) and from the index.
REJECTS_FROM_STATEMENT = f"../{REJECTS}"
REJECTS_FROM_INDEX = REJECTS
_DRAFT_MARK = 'data-section="draft"'  # the banner a draft page must show


class HtmlRenderer:
    """Renders statements and the index in one language (`ru` or `en`)."""

    def __init__(self, locale: str = "ru", template_dir: Path | None = None,
                 layout: LineLayout = LINES) -> None:
        self.format = Formatter(locale)
        self.words = labels(self.format.locale)
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
                                 "layout": layout, "cell": self._cell,
                                 "total_cell": self._total_cell,
                                 "heading": lambda c, st=None: heading(
                                     c, self.words, st.currency if st is not None else None),
                                 "row_attributes": _row_attributes,
                                 "ACCOUNTS": ACCOUNTS, "AGEING": AGEING, "INDEX": INDEX,
                                 "RELATED": RELATED, "SUMMARY": SUMMARY})

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
        script = self._script()
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        present = {flag for e in entries for flag in e.flags}
        flags = [flag for flag in FLAG_ORDER if flag in present] + sorted(
            present - set(FLAG_ORDER))
        totals = index_totals(entries, [c.value for c in INDEX.columns if c.total])
        page = self._render("index.html", entries=list(entries), period=period,
                            period_text=self.format.period(period.start, period.end),
                            title_extra=title_extra, run=run, draft=tuple(draft),
                            draft_note=labels(self.locale)["draft_index"],
                            rejects_href=REJECTS_FROM_INDEX, totals=totals, flags=flags,
                            script=Markup(script), script_hash=f"sha256-{digest}")
        self._check_draft("index.html", draft, page)
        return page

    def _script(self) -> str:
        """The index's script, as shipped (or as the user's template folder has it)."""
        loader = self.env.loader
        assert loader is not None
        source = loader.get_source(self.env, INDEX_SCRIPT)[0]
        if "</script" in source.lower():
            raise UsageError(f"{INDEX_SCRIPT} may not contain '</script': it is put in the "
                             "page as it is.")
        return source

    def _total_cell(self, column: Column, totals: Totals) -> Markup:
        """A cell of the index's totals row of one currency: the sum of a column that has one,
        the words "Totals" under the first column, the currency under its own."""
        if column.total:
            value = totals.sums[column.value]
            if isinstance(value, Decimal):
                text = _esc(self.format.money(value, totals.currency, totals.digits))
                css = f"{column.css} neg" if column.signs and value < 0 else column.css
            else:
                text, css = _esc(self.format.number(value)), column.css
            return Markup(f'<td class="{css}" data-field="{column.key}">{text}</td>')
        if column.key == "currency":
            return Markup(f'<td data-field="currency">{_esc(totals.currency)}</td>')
        if column is INDEX.on_page()[0]:
            return Markup(f'<th scope="row">{_esc(self.words["totals"])}</th>')
        return Markup("<td></td>")

    def _cell(self, column: Column, row: object, st: Statement | None = None,
              table: TableLayout | None = None) -> Markup:
        """A row's `<td>` for a column of a small table (`layout.TableLayout`). Built as plain
        text, every value escaped on the way (`escape.html` for text from the inputs): a month
        has thousands of these tables."""
        value = value_of(row, column.value)
        words = self.words
        css = column.css
        extra = ""
        fmt = column.format
        raw = table is not None and table.cell_values  # data-value, for the page's script
        if fmt == "money":
            if value is None:
                text, extra = _esc(words["unlimited"]), ' data-unlimited="true"'
                if raw:
                    extra += ' data-value="Infinity"'
            else:
                assert isinstance(value, Decimal)
                text = _esc(self.format.money(value, *money_place(column, row, st)))
                if column.signs and value < 0:
                    css = f"{css} neg".strip()
                if raw:
                    extra = f' data-value="{value}"'
        elif fmt == "text":
            text = str(html_text("" if value is None else str(value)))
        elif fmt == "word":
            text = _esc(self.format.word(str(value)))
        elif fmt == "date":
            text = _esc(self.format.date(value) if value is not None  # type: ignore[arg-type]
                        else words["none"])
            if raw and value is not None:
                extra = f' data-value="{value.isoformat()}"'  # type: ignore[attr-defined]
        elif fmt == "integer":
            text = _esc(self.format.number(int(value)))  # type: ignore[call-overload]
            if raw:
                extra = f' data-value="{int(value)}"'  # type: ignore[call-overload]
        elif fmt == "group":  # the related accounts, each with its region, under the master
            items = "".join(
                f'<li><span class="mono" data-field="related">{html_text(r.account)}</span>'
                + (f' <span class="region" data-field="region">{html_text(r.region)}</span>'
                   if r.region else "") + "</li>"
                for r in value)  # type: ignore[attr-defined]
            text = f"<ul>{items}</ul>" if items else ""
        elif fmt == "flags":
            text = " ".join(
                f'<span class="flag flag-{_esc(flag)}" data-flag="{_esc(flag)}">'
                f"{_esc(self.format.word(flag))}</span>" for flag in value)  # type: ignore[attr-defined]
        elif fmt == "file":  # a link named by the format; the cell itself names nothing
            link = (f'<a data-field="{column.key}" href="{_esc(quote(str(value)))}">'
                    f"{_esc(words[column.key])}</a>") if value else ""
            return Markup(f'<td class="{css}">{link}</td>')
        elif fmt == "link":
            target = value_of(row, column.targets[0])
            text = str(html_text(str(value)))
            if target:
                text = f'<a href="{_esc(quote(str(target)))}">{text}</a>'
        else:
            raise ValueError(f"unknown format {fmt!r} of the column {column.key!r}")
        classes = f' class="{css}"' if css else ""
        return Markup(f'<td{classes} data-field="{column.key}"{extra}>{text}</td>')

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
