"""Yes/no cells, choices from a list, e-mail addresses."""

from __future__ import annotations

import re
from decimal import Decimal

import numpy as np
import pandas as pd

from ledgerflow.values.cells import (
    WHITESPACE,
    Errors,
    Parsed,
    cell_text,
    factorise,
    finish,
    floats_of,
    is_bool,
    is_number,
    per_key_messages,
    show,
    storage,
    take,
)
from ledgerflow.values.text import map_text, parse_text

_BOOL_WORDS = {
    "yes": True, "no": False, "y": True, "n": False, "true": True, "false": False,
    "1": True, "0": False, "да": True, "нет": False, "д": True, "н": False,
    "истина": True, "ложь": False,
}


def parse_bool(raw: pd.Series) -> Parsed:
    """yes/no, да/нет, true/false, 1/0, y/n, д/н (any case), bool cells, 1.0/0.0 -> boolean."""
    index = raw.index
    n = len(raw)
    kind = storage(raw)
    errors = Errors(n)
    if kind == "bool":
        blank = raw.isna().to_numpy(dtype=bool)
        b = raw.to_numpy(dtype=bool, na_value=False)
    elif kind in ("float", "int"):
        x = floats_of(raw)
        blank = np.isnan(x)
        b = x == 1.0
        bad = np.flatnonzero(~blank & (x != 1.0) & (x != 0.0))
        if len(bad):
            shown = parse_text(raw).values.to_numpy(dtype=object)
            r, m = per_key_messages(bad, [shown[bad]], lambda s: ("bool_format", _bool_msg(s)))
            errors.set(bad, r, m)
    elif kind == "datetime":
        blank = raw.isna().to_numpy(dtype=bool)
        b = np.zeros(n, dtype=bool)
        rows = np.flatnonzero(~blank)
        shown = parse_text(raw).values.to_numpy(dtype=object)
        r, m = per_key_messages(rows, [shown[rows]], lambda s: ("bool_format", _bool_msg(s)))
        errors.set(rows, r, m)
    else:
        cells = factorise(raw)
        codes = cells.codes
        blank = codes < 0
        uniq = cells.all_values()
        result_u: list[bool | None] = []
        for u in uniq:
            if is_bool(u):
                result_u.append(bool(u))
            elif is_number(u) and not isinstance(u, Decimal) and u in (0, 1):
                result_u.append(bool(u == 1))
            else:
                key = _norm(cell_text(u))
                result_u.append(_BOOL_WORDS.get(key))
        b_u = np.array([bool(x) for x in result_u], dtype=bool)
        b = take(b_u, codes, False)
        wrong = [i for i, x in enumerate(result_u) if x is None]
        if wrong:
            rows = np.flatnonzero(np.isin(codes, wrong))
            msg_u = np.array([_bool_msg(cell_text(u)) for u in uniq], dtype=object)
            errors.set(rows, "bool_format", msg_u[codes[rows]])
    na = blank | errors.mask()
    values = pd.Series(pd.arrays.BooleanArray(np.where(na, False, b), na.copy()), index=index)
    return finish(values, errors, blank, index)


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
