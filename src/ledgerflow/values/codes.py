"""Yes/no cells, choices from a list, e-mail addresses."""

from __future__ import annotations

import re
from decimal import Decimal

import numpy as np
import pandas as pd

from ledgerflow.choices import choice_word
from ledgerflow.i18n import N_, _, or_list
from ledgerflow.values.cells import (
    WHITESPACE,
    Parsed,
    cell_text,
    factorise,
    floats_of,
    is_bool,
    is_number,
    show,
    take,
)
from ledgerflow.values.text import Reading, map_text

_BOOL_WORDS = {
    "yes": True, "no": False, "y": True, "n": False, "true": True, "false": False,
    "1": True, "0": False, "да": True, "нет": False, "д": True, "н": False,
    "истина": True, "ложь": False,
}


def parse_bool(raw: pd.Series) -> Parsed:
    """yes/no, да/нет, true/false, 1/0, y/n, д/н (any case), bool cells, 1.0/0.0 -> boolean."""
    col = Reading(raw)
    template = _(_BOOL_MESSAGE)

    def message(text: str) -> str:
        return template.format(value=show(text))

    if col.storage == "bool":
        blank = col.blank()
        b = raw.to_numpy(dtype=bool, na_value=False)
    elif col.storage in ("float", "int"):
        x = floats_of(raw)
        blank = np.isnan(x)
        b = x == 1.0
        col.refuse(np.flatnonzero(~blank & (x != 1.0) & (x != 0.0)), "bool_format", message)
    elif col.storage == "datetime":
        blank = col.blank()
        b = np.zeros(col.n, dtype=bool)
        col.refuse(np.flatnonzero(~blank), "bool_format", message)
    else:
        cells = factorise(raw)
        blank = cells.codes < 0
        result_u = [_bool_of(u) for u in cells.all_values()]
        b = take(np.array([bool(x) for x in result_u], dtype=bool), cells.codes, False)
        col.refuse_distinct(
            cells.codes, np.array([None if x is not None else "bool_format" for x in result_u],
                                  dtype=object),
            np.array([message(cell_text(u)) for u in cells.all_values()], dtype=object))
    na = blank | col.errors.mask()
    return col.finish(
        pd.Series(pd.arrays.BooleanArray(np.where(na, False, b), na.copy()), index=col.index),
        blank)


def _bool_of(cell: object) -> bool | None:
    """A distinct cell as yes or no; None when it is neither."""
    if is_bool(cell):
        return bool(cell)
    if is_number(cell) and not isinstance(cell, Decimal) and cell in (0, 1):  # type: ignore[operator]
        return bool(cell == 1)
    return _BOOL_WORDS.get(_norm(cell_text(cell)))


_BOOL_MESSAGE = N_("{value} is not yes or no: write yes/no, да/нет, true/false or 1/0")


_NORM_SEPARATORS = re.compile(r"[\s._\-\u00a0\u202f]+")


def _norm(text: str) -> str:
    """Spelling for lookups: trimmed, lower case, ё -> е; spaces, dots, '_' and '-' as one space.

    So 'Юр. лицо', 'юр.лицо' and 'ЮР ЛИЦО' are one spelling, as are 'sole proprietor' and
    'sole_proprietor'.
    """
    text = text.replace("ё", "е").replace("Ё", "Е").lower()
    return " ".join(_NORM_SEPARATORS.sub(" ", text).split())


# The message of a cell that is none of its column's choices, per contract column (so each can
# say what the value is in natural words); other columns get the general one.
_CHOICE_MESSAGES = {
    "client_type": N_("{value} is not an accepted client_type: use {choices}"),
    "status": N_("{value} is not an accepted status: use {choices}"),
    "kind": N_("{value} is not an accepted kind: use {choices}"),
}
_CHOICE_MESSAGE = N_("{value} is not an accepted {column}: use {choices}")


def parse_choice(raw: pd.Series, choices: dict[str, str], column: str) -> Parsed:
    """Look each cell up in `choices` (spelling -> canonical value), normalised; rule 'choice'.

    The message lists the accepted values in the active locale's words (`choices.CHOICE_WORDS`:
    юрлицо, физлицо or ИП in Russian), each of them an accepted spelling."""
    lookup = {_norm(k): v for k, v in choices.items()}
    canonical = list(dict.fromkeys(choices.values()))
    words = [choice_word(value) for value in canonical]
    # a word of the locale that the column does not accept: the values as they are
    listed = or_list(words if all(_norm(word) in lookup for word in words) else canonical)
    template = _(_CHOICE_MESSAGES.get(column, _CHOICE_MESSAGE))

    def one(text: str) -> tuple[str | None, str | None, str | None]:
        found = lookup.get(_norm(text))
        if found is not None:
            return found, None, None
        return None, "choice", template.format(value=show(text), column=column, choices=listed)

    return map_text(raw, one)


_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0400-\u04ff-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0400-\u04ff-]+)*"
    r"@(?:[A-Za-z0-9\u0400-\u04ff](?:[A-Za-z0-9\u0400-\u04ff-]*[A-Za-z0-9\u0400-\u04ff])?\.)+"
    r"[A-Za-z\u0400-\u04ff]{2,63}"
)


def is_email(s: pd.Series) -> pd.Series:
    """True where the cell looks like an e-mail address (or is NA)."""
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    ok_u = np.array([bool(_EMAIL.fullmatch(str(u).strip(WHITESPACE))) for u in uniq], dtype=bool)
    codes = np.asarray(codes, dtype=np.intp)
    return pd.Series(take(ok_u, codes, True), index=s.index, dtype=bool)
