"""The choices a user makes in a pipeline file or on the command line, declared once.

Light to import on purpose: the command line's options and `--help` read them without loading
pandas, DuckDB or the renderers.
"""

from __future__ import annotations

from typing import Literal, get_args

from ledgerflow.i18n import N_, _

# The statement formats a run can write. A pipeline file that names none gets HTML and Excel;
# PDF, which costs more, is written when asked for.
Output = Literal["html", "xlsx", "pdf"]
OUTPUTS: tuple[Output, ...] = get_args(Output)
DEFAULT_OUTPUTS: tuple[Output, ...] = ("html", "xlsx")
PdfEngine = Literal["weasyprint", "chromium"]
Locale = Literal["ru", "en"]
DateOrder = Literal["DMY", "MDY"]  # how to read 04/03/26
OnRefused = Literal["draft", "stop"]  # "draft": statements carry a banner; "stop": none
RuleSeverity = Literal["error", "warning"]  # of the hierarchy rules L5 and L6
Rounding = Literal["half_up", "half_even"]  # of each line, at conversion, discount and tax


# The words a message uses for the values of the contract's choice columns (clients' type and
# status, payments' kind), in the reader's language: each an accepted spelling of its value
# (contract.CLIENT_TYPES, CLIENT_STATUSES, PAYMENT_KINDS), so the advice "use юрлицо, физлицо or
# ИП" can be followed as written.
CHOICE_WORDS: dict[str, str] = {
    "legal": N_("legal"), "individual": N_("individual"),
    "sole_proprietor": N_("sole_proprietor"),
    "active": N_("active"), "blocked": N_("blocked"), "closed": N_("closed"),
    "payment": N_("payment"), "refund": N_("refund"), "withdrawal": N_("withdrawal"),
    "correction": N_("correction"),
}


def choice_word(value: str) -> str:
    """A choice column's value as the active locale writes it (other values as they are)."""
    word = CHOICE_WORDS.get(value)
    return _(word) if word is not None else value
