"""Cell values of SPEC "Values": vectorised parsers from raw spreadsheet cells to typed columns.

Every parser takes one column as a reader produced it and returns a `Parsed`: the typed values,
and per row the rule a cell breaks and a message an accountant can act on. Blank cells are NA and
flagged `blank`, never an error here: requiredness and defaults are applied by the validator.

    cells       raw cells: storage kinds, factorising, per-row errors, `cell_text`
    text        text cells, and `map_text` for the code grammars built on text
    numbers     money, exact decimals, whole numbers
    dates       dates, and Excel's serial day numbers
    codes       yes/no, choices, e-mail addresses
    currencies  ISO 4217 codes and minor units, ISO 3166 countries
    taxid       tax IDs and the INN's check digits
    sheets      column letters of a spreadsheet

Performance: typed columns are handled with numpy array operations; text and mixed columns are
factorised, each distinct cell is parsed once in Python and the results are spread back to the
rows by their codes. No parser loops over rows in Python.
"""

from ledgerflow.values.cells import Parsed, cell_text
from ledgerflow.values.codes import is_email, parse_bool, parse_choice
from ledgerflow.values.currencies import (
    currency_digits,
    minor_digits,
    parse_country,
    parse_currency,
)
from ledgerflow.values.dates import EXCEL_EPOCH, excel_serial, parse_date, read_date
from ledgerflow.values.numbers import (
    MONEY_LIMIT,
    MONEY_SCALE,
    WHOLE_LIMIT,
    parse_decimal,
    parse_money,
    parse_whole,
)
from ledgerflow.values.sheets import column_index, column_letters
from ledgerflow.values.taxid import check_inn, complete_inn, inn_is_valid, parse_tax_id
from ledgerflow.values.text import parse_text

__all__ = [
    "EXCEL_EPOCH",
    "MONEY_LIMIT",
    "MONEY_SCALE",
    "WHOLE_LIMIT",
    "Parsed",
    "cell_text",
    "check_inn",
    "column_index",
    "column_letters",
    "complete_inn",
    "currency_digits",
    "excel_serial",
    "inn_is_valid",
    "is_email",
    "minor_digits",
    "parse_bool",
    "parse_choice",
    "parse_country",
    "parse_currency",
    "parse_date",
    "parse_decimal",
    "parse_money",
    "parse_tax_id",
    "parse_text",
    "parse_whole",
    "read_date",
]
