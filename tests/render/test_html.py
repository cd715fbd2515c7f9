"""HTML statements and the index (SPEC "Outputs"): the numbers shown, per locale, found through
their data attributes with the stdlib HTML parser; escaping; user templates; determinism.

The statement below is built by hand; its numbers are consistent with SPEC "Consolidation":

    opening                                  -30 000.00
    2026-10-01 payment    P-101  +10 000.00  -20 000.00
    2026-10-05 expense    E-201  -12 960.00  -32 960.00   net 12 000.00, -10 % = 10 800.00,
                                                           +20 % tax 2 160.00 -> 12 960.00
    2026-10-12 expense    E-202  -13 875.00  -46 835.00   150.00 USD x 92.5 / 1
    2026-10-20 correction C-17      +335.00  -46 500.00
    closing -46 500.00; expenses 26 835.00; available -46 500 + 1 000 = -45 500.00
    ageing at 2026-10-31: debt 46 500.00 = the period's debits 26 835.00 (ages 11..26 days)
      + 19 665.00 of an expense of 2026-08-20 (72 days: 61-90)
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import jinja2
import pytest

from ledgerflow.errors import UsageError
from ledgerflow.render.formatting import format_date, format_money, format_rate
from ledgerflow.render.html import TEMPLATES, HtmlRenderer
from ledgerflow.render.labels import LABELS
from ledgerflow.render.model import AccountTotal, IndexEntry, Line, Refusal, Related, Statement
from ledgerflow.rules.period import Period

NB = "\u00a0"  # babel's Russian thousands separator and the space before the symbol
OCTOBER = Period.month("2026-10")
RUN_ID = "run-7f3c2a"
INPUTS = "9" * 64


def rub(text: str) -> str:
    """The Russian form of a rouble amount, spaces written as babel writes them."""
    return text.replace(" ", NB) + NB + "₽"


def line(day: int, kind: str, line_id: str, account: str, amount: str, amount_payer: str,
         balance: str, row: int, *, currency: str = "RUB", description: str | None = None,
         net: str | None = None, discount: str | None = None, tax: str | None = None,
         rate: str | None = None, units: int | None = None, inverse: bool = False,
         file: str = "october.xlsx", sheet: str = "expenses") -> Line:
    def dec(x: str | None) -> Decimal | None:
        return None if x is None else Decimal(x)

    return Line(date=date(2026, 10, day), kind=kind, line_id=line_id, account=account,
                description=description, currency=currency, amount=Decimal(amount),
                net=dec(net), discount=dec(discount), tax=dec(tax), rate=dec(rate),
                units=units, rate_inverse=inverse, amount_payer=Decimal(amount_payer),
                balance=Decimal(balance), source_file=file, source_sheet=sheet,
                source_row=row)


def make_statement(**changes: object) -> Statement:
    lines = (
        line(1, "payment", "P-101", "Orhid_magazine", "10000.00", "10000.00", "-20000.00", 2,
             description="п/п 118", file="payments_2026-10.xlsx", sheet="платежи"),
        line(5, "expense", "E-201", "Orhid_magazine_DIR", "12960.00", "-12960.00",
             "-32960.00", 7, description="Размещение, октябрь", net="12000.00",
             discount="1200.00", tax="2160.00"),
        line(12, "expense", "E-202", "Orhid_magazine_US", "150.00", "-13875.00", "-46835.00",
             8, currency="USD", description="Hosting", rate="92.5", units=1),
        line(20, "correction", "C-17", "Orhid_magazine", "335.00", "335.00", "-46500.00", 3,
             description="Перерасчёт", file="payments_2026-10.xlsx", sheet="платежи"),
    )
    st = Statement(
        payer="Orhid_magazine", name="ООО «Орхидея»", tax_id="7707083893", currency="RUB",
        digits=2, credit_limit=Decimal("1000.00"), postpay=False, manager="Анна Петрова",
        deferral_days=30, block_after_days=60, period=OCTOBER,
        opening=Decimal("-30000.00"), payments=Decimal("10000.00"), refunds=Decimal("0.00"),
        withdrawals=Decimal("0.00"), corrections=Decimal("335.00"),
        expenses=Decimal("26835.00"), closing=Decimal("-46500.00"),
        available=Decimal("-45500.00"), flags=("over_limit", "overdue", "to_block"),
        ageing=(("0-30", Decimal("26835.00")), ("31-60", Decimal("0.00")),
                ("61-90", Decimal("19665.00")), ("over_90", Decimal("0.00"))),
        accounts=(
            AccountTotal("Orhid_magazine", "RUB", Decimal("0.00"), Decimal("0.00")),
            AccountTotal("Orhid_magazine_DIR", "RUB", Decimal("12960.00"),
                         Decimal("12960.00")),
            AccountTotal("Orhid_magazine_US", "USD", Decimal("150.00"), Decimal("13875.00")),
        ),
        related=(
            Related("Orhid_magazine_DIR", "ООО «Орхидея», дирекция", "RUB", date(2026, 1, 15),
                    None),
            Related("Orhid_magazine_US", "Orhid US desk", "USD", date(2026, 3, 1),
                    date(2026, 12, 1)),
        ),
        lines=lines, run_id=RUN_ID, inputs_sha256=INPUTS,
    )
    return dataclasses.replace(st, **changes)  # type: ignore[arg-type]


# --- a tiny collector of the elements that carry data-field ---------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


@dataclass
class Field:
    name: str
    context: dict[str, str]  # data-* attributes of the element and its ancestors
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return re.sub(r"[ \t\r\n\f]+", " ", "".join(self.parts)).strip()


class Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict[str, str], Field | None]] = []
        self.fields: list[Field] = []
        self.tags: list[str] = []
        self.all_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag in VOID:
            return
        attributes = {k: v or "" for k, v in attrs}
        found = None
        if "data-field" in attributes:
            context: dict[str, str] = {}
            for _, ancestor, _ in self.stack:
                context.update({k[5:]: v for k, v in ancestor.items()
                                if k.startswith("data-") and k != "data-field"})
            context.update({k[5:]: v for k, v in attributes.items()
                            if k.startswith("data-") and k != "data-field"})
            found = Field(attributes["data-field"], context)
            self.fields.append(found)
        self.stack.append((tag, attributes, found))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            open_tag, _, _ = self.stack.pop()
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        self.all_text.append(data)
        for _, _, found in self.stack:
            if found is not None:
                found.parts.append(data)


def collect(html: str) -> Collector:
    parser = Collector()
    parser.feed(html)
    parser.close()
    return parser


def values(html: str, name: str, **context: str) -> list[str]:
    """The texts of every element with data-field=name whose data-* context matches."""
    return [f.text for f in collect(html).fields if f.name == name
            and all(f.context.get(k) == v for k, v in context.items())]


def value(html: str, name: str, **context: str) -> str:
    found = values(html, name, **context)
    assert len(found) == 1, f"{name} {context}: {found}"
    return found[0]


# --- statements --------------------------------------------------------------------------------

def test_summary_numbers_in_russian() -> None:
    page = HtmlRenderer("ru").statement(make_statement())
    summary = {name: value(page, name, section="summary") for name in (
        "opening", "payments", "refunds", "withdrawals", "corrections", "expenses", "closing",
        "available")}
    assert summary == {
        "opening": "-" + rub("30 000,00"), "payments": rub("10 000,00"),
        "refunds": rub("0,00"), "withdrawals": rub("0,00"), "corrections": "+" + rub("335,00"),
        "expenses": rub("26 835,00"), "closing": "-" + rub("46 500,00"),
        "available": "-" + rub("45 500,00"),
    }
    assert [f for f in re.findall(r'data-flag="([^"]+)"', page)] == [
        "over_limit", "overdue", "to_block"]
    assert value(page, "flags", section="summary") == "превышен лимит просрочка к блокировке"
    assert value(page, "period") == "01.10.2026 – 31.10.2026"


def test_summary_numbers_in_english() -> None:
    page = HtmlRenderer("en").statement(make_statement())
    assert value(page, "opening", section="summary") == "-RUB 30,000.00"
    assert value(page, "corrections", section="summary") == "+RUB 335.00"
    assert value(page, "closing", section="summary") == "-RUB 46,500.00"
    assert value(page, "available", section="summary") == "-RUB 45,500.00"
    assert value(page, "flags", section="summary") == "over limit overdue to block"
    assert value(page, "period") == "Oct 1, 2026 – Oct 31, 2026"


def test_card_shows_the_payer() -> None:
    page = HtmlRenderer("ru").statement(make_statement())
    card = {name: value(page, name, section="card") for name in (
        "name", "payer", "tax_id", "currency", "credit_limit", "postpay", "manager",
        "deferral_days", "block_after_days")}
    assert card == {"name": "ООО «Орхидея»", "payer": "Orhid_magazine",
                    "tax_id": "7707083893", "currency": "RUB", "credit_limit": rub("1 000,00"),
                    "postpay": "нет", "manager": "Анна Петрова", "deferral_days": "30",
                    "block_after_days": "60"}
    blank = HtmlRenderer("en").statement(make_statement(
        tax_id=None, manager=None, deferral_days=None, block_after_days=None))
    assert value(blank, "tax_id", section="card") == "—"
    assert value(blank, "manager", section="card") == "—"
    assert value(blank, "deferral_days", section="card") == "unlimited"
    assert value(blank, "block_after_days", section="card") == "never"


def test_related_accounts_with_their_link_periods() -> None:
    page = HtmlRenderer("ru").statement(make_statement())
    assert values(page, "account", section="group") == ["Orhid_magazine_DIR",
                                                        "Orhid_magazine_US"]
    assert value(page, "linked_on", account="Orhid_magazine_DIR") == "15.01.2026"
    assert value(page, "unlinked_on", account="Orhid_magazine_DIR") == "—"
    assert value(page, "linked_on", account="Orhid_magazine_US") == "01.03.2026"
    assert value(page, "unlinked_on", account="Orhid_magazine_US") == "01.12.2026"
    alone = HtmlRenderer("ru").statement(make_statement(related=()))
    assert 'data-section="group"' not in alone


def test_every_line_in_date_order_with_balance_and_source() -> None:
    page = HtmlRenderer("ru").statement(make_statement())
    assert re.findall(r'data-line-id="([^"]+)"', page) == ["P-101", "E-201", "E-202", "C-17"]
    assert value(page, "lines_count") == "4"
    assert values(page, "date", section="lines") == [
        "01.10.2026", "05.10.2026", "12.10.2026", "20.10.2026"]
    assert values(page, "kind", section="lines") == ["платёж", "расход", "расход",
                                                     "корректировка"]
    assert values(page, "amount_payer", section="lines") == [
        "+" + rub("10 000,00"), "-" + rub("12 960,00"), "-" + rub("13 875,00"),
        "+" + rub("335,00")]
    assert values(page, "balance", section="lines") == [
        "-" + rub("30 000,00"),  # the opening row
        "-" + rub("20 000,00"), "-" + rub("32 960,00"), "-" + rub("46 835,00"),
        "-" + rub("46 500,00"),
        "-" + rub("46 500,00"),  # the closing row
    ]
    assert value(page, "balance", row="opening") == "-" + rub("30 000,00")
    assert value(page, "balance", row="closing") == "-" + rub("46 500,00")
    assert value(page, "source", **{"line-id": "P-101"}) == (
        "payments_2026-10.xlsx / платежи / строка 2")
    assert value(page, "source", **{"line-id": "E-202"}) == "october.xlsx / expenses / строка 8"
    assert value(page, "account", **{"line-id": "E-201"}) == "Orhid_magazine_DIR"
    assert value(page, "description", **{"line-id": "E-201"}) == "Размещение, октябрь"
    english = HtmlRenderer("en").statement(make_statement())
    assert value(english, "source", **{"line-id": "E-202"}) == (
        "october.xlsx / expenses / row 8")
    assert value(english, "balance", **{"line-id": "E-202"}) == "-RUB 46,835.00"


def test_converted_line_shows_its_currency_and_rate() -> None:
    ru = HtmlRenderer("ru").statement(make_statement())
    assert value(ru, "amount", **{"line-id": "E-202"}) == f"150,00{NB}$"
    assert value(ru, "rate", **{"line-id": "E-202"}) == "1 USD = 92,5 RUB"
    assert values(ru, "rate", **{"line-id": "E-201"}) == []  # same currency: no rate
    assert 'data-field="rate_inverse"' not in ru
    en = HtmlRenderer("en").statement(make_statement())
    assert value(en, "amount", **{"line-id": "E-202"}) == "USD 150.00"
    assert value(en, "amount_payer", **{"line-id": "E-202"}) == "-RUB 13,875.00"
    assert value(en, "rate", **{"line-id": "E-202"}) == "1 USD = 92.5 RUB"


def test_inverse_rate_and_units_are_shown() -> None:
    # 100 RUB are worth 1.05 EUR (a EUR-based row, inverted): 21.00 EUR x 100 / 1.05 = 2000.00
    inverted = line(25, "expense", "E-204", "Orhid_magazine", "21.00", "-2000.00", "-48500.00",
                    9, currency="EUR", rate="1.050000", units=100, inverse=True)
    st = make_statement(lines=(*make_statement().lines, inverted))
    ru = HtmlRenderer("ru").statement(st)
    assert value(ru, "rate", **{"line-id": "E-204"}) == "100 RUB = 1,05 EUR обратный"
    assert value(ru, "rate_inverse", **{"line-id": "E-204"}) == "обратный"
    assert value(ru, "rate", **{"line-id": "E-204"}, inverse="true").startswith("100 RUB")
    en = HtmlRenderer("en").statement(st)
    assert value(en, "rate", **{"line-id": "E-204"}) == "100 RUB = 1.05 EUR inverse"
    assert format_rate(Decimal("1.05"), 100, "EUR", "RUB", True, "en") == (
        "100 RUB = 1.05 EUR (inverse)")


def test_expense_shows_net_discount_and_tax() -> None:
    page = HtmlRenderer("ru").statement(make_statement())
    assert value(page, "net", **{"line-id": "E-201"}) == rub("12 000,00")
    assert value(page, "discount", **{"line-id": "E-201"}) == rub("1 200,00")
    assert value(page, "tax", **{"line-id": "E-201"}) == rub("2 160,00")
    assert value(page, "amount", **{"line-id": "E-201"}) == rub("12 960,00")
    assert values(page, "net", **{"line-id": "E-202"}) == []


def test_per_account_subtotals_and_totals_row() -> None:
    page = HtmlRenderer("ru").statement(make_statement())
    assert values(page, "account", section="accounts") == [
        "Orhid_magazine", "Orhid_magazine_DIR", "Orhid_magazine_US"]
    assert value(page, "spent", account="Orhid_magazine_US") == f"150,00{NB}$"
    assert value(page, "spent_in_payer_currency", section="accounts",
                 account="Orhid_magazine_US") == rub("13 875,00")
    assert value(page, "spent_in_payer_currency", row="totals") == rub("26 835,00")


def test_ageing_buckets_and_debt() -> None:
    page = HtmlRenderer("en").statement(make_statement())
    assert {b: value(page, "amount", bucket=b) for b in ("0-30", "31-60", "61-90", "over_90")} \
        == {"0-30": "RUB 26,835.00", "31-60": "RUB 0.00", "61-90": "RUB 19,665.00",
            "over_90": "RUB 0.00"}
    assert value(page, "debt") == "RUB 46,500.00"
    assert "over 90" in page
    paid_up = HtmlRenderer("ru").statement(make_statement(
        closing=Decimal("100.00"), ageing=tuple((b, Decimal("0.00")) for b in (
            "0-30", "31-60", "61-90", "over_90"))))
    assert value(paid_up, "debt") == rub("0,00")
    no_ageing = HtmlRenderer("en").statement(make_statement(ageing=()))
    assert value(no_ageing, "debt") == "RUB 0.00"


def test_footer_names_the_run_and_inputs() -> None:
    page = HtmlRenderer("ru").statement(make_statement())
    assert value(page, "run_id", section="footer") == RUN_ID
    assert value(page, "inputs_sha256", section="footer") == INPUTS


def test_postpay_is_unlimited() -> None:
    st = make_statement(postpay=True, available=None, flags=())
    ru = HtmlRenderer("ru").statement(st)
    assert value(ru, "available", section="summary") == "без ограничения"
    assert value(ru, "postpay", section="card") == "да"
    assert 'data-flag="' not in ru
    en = HtmlRenderer("en").statement(st)
    assert value(en, "available", section="summary") == "unlimited"


def test_labels_in_both_locales() -> None:
    for locale in ("ru", "en"):
        page = HtmlRenderer(locale).statement(make_statement())
        words = LABELS[locale]
        assert f'<html lang="{locale}">' in page
        for key in ("statement", "opening", "closing", "available", "lines", "balance",
                    "source", "subtotals", "totals", "ageing", "debt", "group", "run_id",
                    "inputs_sha256", "credit_limit", "deferral_days", "amount_payer"):
            assert words[key] in page, (locale, key)
    assert "Исходящий остаток" in HtmlRenderer("ru").statement(make_statement())
    assert "Closing balance" in HtmlRenderer("en").statement(make_statement())


def test_statement_without_lines() -> None:
    st = make_statement(lines=(), payments=Decimal("0.00"), corrections=Decimal("0.00"),
                        expenses=Decimal("0.00"), closing=Decimal("-30000.00"))
    page = HtmlRenderer("ru").statement(st)
    assert "Операций за период нет." in page
    assert value(page, "lines_count") == "0"


def test_hostile_text_is_inert() -> None:
    script = "<script>alert(1)</script>"
    formula = '=HYPERLINK("http://x")'
    st = make_statement(name=script, manager=formula, payer='x"><b>pwn', lines=(
        dataclasses.replace(make_statement().lines[0], description=script,
                            source_file="<img src=x onerror=alert(1)>.xlsx",
                            line_id='"onmouseover="alert(1)'),))
    page = HtmlRenderer("ru").statement(st)
    parsed = collect(page)
    assert "script" not in parsed.tags and "img" not in parsed.tags and "b" not in parsed.tags
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert value(page, "name", section="card") == script
    assert value(page, "manager", section="card") == formula
    assert value(page, "payer", section="card") == 'x"><b>pwn'
    assert value(page, "description", section="lines") == script
    assert re.findall(r'data-line-id="([^"]*)"', page) == ["&#34;onmouseover=&#34;alert(1)"]
    assert not any(f.context.get("line-id") is None for f in parsed.fields
                   if f.name == "amount_payer")
    index = HtmlRenderer("en").index([IndexEntry(st, "statements/a.html", None)], OCTOBER,
                                     title_extra=script)
    # one script, ledgerflow's own, as shipped; the title's is text
    ours = (resources.files("ledgerflow") / "templates" / "index.js").read_text("utf-8")
    assert index.count("<script") == 1 and f"<script>{ours}</script>" in index
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in index
    assert value(index, "title_extra") == script


def test_page_is_self_contained_and_printable() -> None:
    page = HtmlRenderer("ru").statement(make_statement())
    parsed = collect(page)
    assert not {"script", "link", "img", "iframe", "object"} & set(parsed.tags)
    for outside in ("http://", "https://", "//fonts", "@import", "url(", "src="):
        assert outside not in page, outside
    assert "@page" in page and "size: A4" in page
    assert re.search(r"thead\s*\{\s*display:\s*table-header-group", page)
    assert re.search(r"break-inside:\s*avoid", page)
    assert page.startswith("<!DOCTYPE html>")


def test_same_statement_same_bytes() -> None:
    first = HtmlRenderer("ru").statement(make_statement())
    again = HtmlRenderer("ru").statement(make_statement())
    assert first == again
    renderer = HtmlRenderer("en")
    assert renderer.statement(make_statement()) == renderer.statement(make_statement())
    assert renderer.index([IndexEntry(make_statement(), None, None)], OCTOBER) == \
        renderer.index([IndexEntry(make_statement(), None, None)], OCTOBER)


# --- user templates ----------------------------------------------------------------------------

def test_user_template_overrides_one_template(tmp_path: Path) -> None:
    (tmp_path / "_footer.html").write_text(
        '<footer data-section="footer"><p data-field="custom">Our footer · {{ st.run_id }}'
        "</p></footer>\n", encoding="utf-8")
    page = HtmlRenderer("ru", template_dir=tmp_path).statement(make_statement())
    assert value(page, "custom") == f"Our footer · {RUN_ID}"
    assert values(page, "inputs_sha256") == []  # the package's footer is replaced
    assert value(page, "closing", section="summary") == "-" + rub("46 500,00")  # the rest stays
    assert "@page" in page


def test_user_template_with_a_missing_variable_fails(tmp_path: Path) -> None:
    (tmp_path / "_footer.html").write_text("<footer>{{ st.no_such_field }}</footer>\n",
                                           encoding="utf-8")
    with pytest.raises(UsageError) as raised:
        HtmlRenderer("en", template_dir=tmp_path).statement(make_statement())
    assert isinstance(raised.value.__cause__, jinja2.UndefinedError)
    assert "no_such_field" in str(raised.value)
    (tmp_path / "_footer.html").write_text("<footer>{{ nothing_at_all }}</footer>\n",
                                           encoding="utf-8")
    with pytest.raises(UsageError) as raised:
        HtmlRenderer("en", template_dir=tmp_path).statement(make_statement())
    assert isinstance(raised.value.__cause__, jinja2.UndefinedError)


def test_package_templates_are_strict_too(tmp_path: Path) -> None:
    renderer = HtmlRenderer("en")
    template = renderer.env.from_string("{{ missing }}")
    with pytest.raises(jinja2.UndefinedError):
        template.render()


def test_missing_template_folder_and_unknown_locale(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        HtmlRenderer("ru", template_dir=tmp_path / "absent")
    with pytest.raises(UsageError):
        HtmlRenderer("de")


def test_templates_ship_in_the_package() -> None:
    folder = resources.files("ledgerflow") / "templates"
    for name in TEMPLATES:
        assert (folder / name).is_file(), name


# --- the index ---------------------------------------------------------------------------------

def test_index_lists_payers_with_balances_flags_and_links() -> None:
    postpay = make_statement(payer="acme", name="ACME Ltd", currency="USD",
                             opening=Decimal("0.00"), closing=Decimal("1234.50"),
                             available=None, postpay=True, flags=(), lines=())
    entries = [IndexEntry(make_statement(), "statements/Orhid_magazine.html",
                          "statements/Orhid_magazine.xlsx"),
               IndexEntry(postpay, "statements/acme.html", None)]
    page = HtmlRenderer("ru").index(entries, OCTOBER, title_extra="черновик")
    assert re.findall(r'<tr data-payer="([^"]+)"', page) == ["Orhid_magazine", "acme"]
    assert value(page, "closing", payer="Orhid_magazine") == "-" + rub("46 500,00")
    assert value(page, "closing", payer="acme") == f"1{NB}234,50{NB}$"
    assert value(page, "available", payer="acme") == "без ограничения"
    assert value(page, "flags", payer="Orhid_magazine") == (
        "превышен лимит просрочка к блокировке")
    assert value(page, "lines_count", payer="Orhid_magazine") == "4"
    assert 'href="statements/Orhid_magazine.html"' in page
    assert 'href="statements/Orhid_magazine.xlsx"' in page
    assert values(page, "xlsx", payer="acme") == []
    assert value(page, "title_extra") == "черновик"
    assert value(page, "period") == "01.10.2026 – 31.10.2026"
    assert value(page, "run_id", section="footer") == RUN_ID
    empty = HtmlRenderer("en").index([], OCTOBER)
    assert "No statements for the period." in empty
    assert 'data-section="footer"' not in empty


# --- formatting --------------------------------------------------------------------------------

def test_money_follows_the_currency_digits_and_never_rounds() -> None:
    assert format_money(Decimal("1234.56"), "RUB", "ru") == rub("1 234,56")
    assert format_money(Decimal("1234.56"), "RUB", "en") == "RUB 1,234.56"
    assert format_money(Decimal("1235"), "JPY", "en") == "JPY 1,235"
    assert format_money(Decimal("1.235"), "KWD", "en") == "KWD 1.235"
    assert format_money(Decimal("5.5"), "RUB", "en") == "RUB 5.50"
    assert format_money(Decimal("5.5000"), "RUB", "en") == "RUB 5.50"
    assert format_money(Decimal("5.505"), "RUB", "en") == "RUB 5.505"  # shown, not rounded
    assert format_money(Decimal("-7.00"), "RUB", "en", signed=True) == "-RUB 7.00"
    assert format_money(Decimal("7.00"), "RUB", "en", signed=True) == "+RUB 7.00"
    assert format_money(Decimal("0.00"), "RUB", "en", signed=True) == "RUB 0.00"
    assert format_money(Decimal("-0.00"), "RUB", "en", signed=True) == "RUB 0.00"
    assert format_money(Decimal("-0"), "RUB", "ru") == rub("0,00")
    with pytest.raises(TypeError):
        format_money(1.5, "RUB", "en")  # type: ignore[arg-type]


def test_dates() -> None:
    assert format_date(date(2026, 10, 5), "ru") == "05.10.2026"
    assert format_date(date(2026, 10, 5), "en") == "Oct 5, 2026"


# --- drafts: inputs of the run were refused ----------------------------------------------------

REFUSED = (Refusal("payments_cash.csv", "refused", 1), Refusal("<b>links</b>.xlsx", "partial", 3),
           Refusal("broken.xlsx", "refused", 0))


def test_a_draft_statement_carries_the_banner_first() -> None:
    page = HtmlRenderer("ru").statement(make_statement(draft=REFUSED))
    banner = page[page.index("<main"):page.index('<header class="masthead">')]
    assert 'data-section="draft"' in banner  # above everything else on the page
    assert value(page, "draft_title") == "Черновик — часть входных данных отклонена"
    assert values(page, "file", section="draft") == [
        "payments_cash.csv", "<b>links</b>.xlsx", "broken.xlsx"]
    assert values(page, "refused", section="draft") == [
        "payments_cash.csv: не загружен — файл отклонён целиком (строк с ошибками: 1)",
        "<b>links</b>.xlsx: отклонено строк: 3, остальные загружены",
        "broken.xlsx: не загружен — файл отклонён целиком"]
    assert "<b>links" not in page  # a file name is text from the inbox: escaped
    assert 'href="../rejects.xlsx"' in page and value(page, "rejects") == "rejects.xlsx"
    assert "<title>Черновик · Выписка Orhid_magazine" in page
    assert value(page, "closing", section="summary") == "-" + rub("46 500,00")  # the rest stays


def test_a_draft_in_english_and_a_complete_statement_without_banner() -> None:
    page = HtmlRenderer("en").statement(make_statement(draft=REFUSED[:1]))
    assert value(page, "draft_title") == "Draft — some inputs were refused"
    assert value(page, "refused") == (
        "payments_cash.csv: not loaded — the whole file was refused (rows with errors: 1)")
    complete = HtmlRenderer("en").statement(make_statement())
    assert 'data-section="draft"' not in complete and "Draft" not in complete


def test_a_draft_index_names_the_refused_files_and_marks_draft_statements() -> None:
    touching = (dataclasses.replace(REFUSED[0], touches=True),)
    drafted = IndexEntry(make_statement(draft=touching), "statements/Orhid_magazine.html", None)
    complete = IndexEntry(make_statement(payer="acme", flags=()), "statements/acme.html", None)
    page = HtmlRenderer("ru").index([drafted, complete], OCTOBER, draft=REFUSED)
    assert value(page, "draft_title") == "Черновик — часть входных данных отклонена"
    assert len(values(page, "refused", section="draft")) == 3
    assert 'href="rejects.xlsx"' in page
    assert value(page, "flags", payer="Orhid_magazine") == (
        "превышен лимит просрочка к блокировке черновик")
    assert value(page, "flags", payer="acme") == ""
    assert re.findall(r'<tr data-payer="([^"]+)"[^>]*data-draft="true"', page) == [
        "Orhid_magazine"]
    assert "<title>Черновик · Выписки" in page
    final = HtmlRenderer("ru").index([complete], OCTOBER)
    assert 'data-section="draft"' not in final and "черновик" not in final.lower()


def test_a_user_template_that_leaves_out_the_banner_stops_a_draft(tmp_path: Path) -> None:
    package = resources.files("ledgerflow") / "templates"
    own = (package / "statement.html").read_text("utf-8").replace(
        '{% include "_draft.html" %}', "")
    (tmp_path / "statement.html").write_text(own, encoding="utf-8")
    renderer = HtmlRenderer("en", template_dir=tmp_path)
    assert "Statement" in renderer.statement(make_statement())  # a complete one renders
    with pytest.raises(UsageError, match="draft banner"):
        renderer.statement(make_statement(draft=REFUSED))
