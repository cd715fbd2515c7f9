"""What the batch rules (L3–L7, P2, overlapping conditions) read of each table kind, declared once.

The rules take frames of one shape whether a row is stored or arrives in this batch; both frames
are derived here from `INPUTS`: `stored` selects them from the warehouse, `batch` builds them
from a validated table. Every frame carries the row's place: `origin` (-1 for a stored row, else
the batch table's position), `row`, `file`, `sheet`, and for stored rows `load_id`.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from ledgerflow.contract import KINDS


@dataclass(frozen=True)
class Input:
    name: str  # in the rule's frame
    column: str  # of the table kind
    lower: bool = False  # compared ignoring case, as IDs are
    judged: bool = True  # False: a bad value is read as unknown instead of keeping the row out


_CONDITION = (Input("client", "client_id"), Input("product", "product_type"),
              Input("valid_from", "valid_from"), Input("valid_to", "valid_to"))

INPUTS: dict[str, tuple[Input, ...]] = {
    # clients are read, not judged: a bad tax ID or status is read as unknown (L5, L7)
    "clients": (Input("key", "client_id", lower=True), Input("tax_id", "tax_id", judged=False),
                Input("status", "status", judged=False)),
    "links": (Input("master_id", "master_id"), Input("related_id", "related_id"),
              Input("master", "master_id", lower=True),
              Input("related", "related_id", lower=True),
              Input("linked_on", "linked_on"), Input("unlinked_on", "unlinked_on")),
    "payments": (Input("client_id", "client_id"), Input("account", "client_id", lower=True),
                 Input("date", "date"), Input("kind", "kind")),
    "discounts": _CONDITION,
    "taxes": _CONDITION,
}


def judged_columns(kind: str) -> tuple[str, ...]:
    """The columns a row needs good values in to be judged by the rules."""
    return tuple(dict.fromkeys(i.column for i in INPUTS[kind] if i.judged))


def stored(connection: duckdb.DuckDBPyConnection, kind: str, where: str = "TRUE") -> pd.DataFrame:
    """The kind's stored rows (those `where` selects) in the rules' shape."""
    parts = []
    for i in INPUTS[kind]:
        column = f"lower({i.column})" if i.lower else i.column
        if KINDS[kind].column(i.column).type == "date":
            column = f"{column}::TIMESTAMP"  # as pandas holds a batch's dates
        parts.append(f"{column} AS {i.name}")
    return connection.execute(
        f"SELECT {', '.join(parts)}, -1 AS origin, source_row AS row, source_file AS file, "
        f"source_sheet AS sheet, load_id FROM {kind} WHERE {where}").df()


def batch(kind: str, data: pd.DataFrame, origin: int, file: str, sheet: str) -> pd.DataFrame:
    """Validated rows of a batch table (`data`, indexed by Excel row) in the rules' shape."""
    frame = pd.DataFrame({
        i.name: data[i.column].str.lower() if i.lower else data[i.column] for i in INPUTS[kind]
    }, index=data.index)
    return frame.assign(origin=origin, row=data.index, file=file, sheet=sheet)
