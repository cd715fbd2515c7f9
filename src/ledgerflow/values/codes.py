"""Yes/no cells, choices from a list, e-mail addresses."""

from __future__ import annotations

import re
from decimal import Decimal

import numpy as np
import pandas as pd

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
    if col.storage == "bool":
        blank = col.blank()
        b = raw.to_numpy(dtype=bool, na_value=False)
    elif col.storage in ("float", "int"):
        x = floats_of(raw)
        blank = np.isnan(x)
        b = x == 1.0
        col.refuse(np.flatnonzero(~blank & (x != 1.0) & (x != 0.0)), "bool_format", _bool_msg)
    elif col.storage == "datetime":
        blank = col.blank()
        b = np.zeros(col.n, dtype=bool)
        col.refuse(np.flatnonzero(~blank), "bool_format", _bool_msg)
    else:
        cells = factorise(raw)
        blank = cells.codes < 0
        result_u = [_bool_of(u) for u in cells.all_values()]
        b = take(np.array([bool(x) for x in result_u], dtype=bool), cells.codes, False)
        col.refuse_distinct(
            cells.codes, np.array([None if x is not None else "bool_format" for x in result_u],
                                  dtype=object),
            np.array([_bool_msg(cell_text(u)) for u in cells.all_values()], dtype=object))
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


def _bool_msg(text: str) -> str:
    return f"{show(text)} is not yes or no: write yes/no, да/нет, true/false or 1/0"


_NORM_SEPARATORS = re.compile(r"[\s._\-\u00a0\u202f]+")


def _norm(text: str) -> str:
    """Spelling for lookups: trimmed, lower case, ё -> е; spaces, dots, '_' and '-' as one space.

    So 'Юр. лицо', 'юр.лицо' and 'ЮР ЛИЦО' are one spelling, as are 'sole proprietor' and
    'sole_proprietor'.
    """
    text = text.replace("ё", "е").replace("Ё", "Е").lower()
    return " ".join(_NORM_SEPARATORS.sub(" ", text).split())


def parse_choice(raw: pd.Series, choices: dict[str, str], column: str) -> Parsed:
    """Look each cell up in `choices` (spelling -> canonical value), normalised; rule 'choice'."""
    lookup = {_norm(k): v for k, v in choices.items()}
    canonical = list(dict.fromkeys(choices.values()))
    if len(canonical) > 1:
        listed = ", ".join(canonical[:-1]) + " or " + canonical[-1]
    else:
        listed = "".join(canonical)

    def one(text: str) -> tuple[str | None, str | None, str | None]:
        found = lookup.get(_norm(text))
        if found is not None:
            return found, None, None
        return None, "choice", f"{show(text)} is not an accepted {column}: use {listed}"

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
