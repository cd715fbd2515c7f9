"""Personal discounts and taxes: two rows of equal specificity may not overlap in time.

For one expense the most specific matching row wins (client+product over client over
default+product over default), so only rows with the same client (or both default) and the same
product type (or both blank) compete; if their validity periods (both dates inclusive) overlap,
the expense would have two answers, and the later row is refused naming the earlier one.
"""

from __future__ import annotations

import pandas as pd

from ledgerflow.i18n import N_, _, fill
from ledgerflow.rules.hierarchy import FAR_FUTURE, FINDING_COLUMNS

# one message per kind: a language may say "discount" and "tax" in different genders
_OVERLAP = {
    "discounts": N_("This discount row for {who} ({product}) overlaps in time with {file}, sheet "
                    "'{sheet}', row {row}, which is just as specific; an expense would match "
                    "both."),
    "taxes": N_("This tax row for {who} ({product}) overlaps in time with {file}, sheet "
                "'{sheet}', row {row}, which is just as specific; an expense would match both."),
}


def check_overlaps(rows: pd.DataFrame, kind: str) -> pd.DataFrame:
    """rows: client, product, valid_from, valid_to, origin (-1 stored), row, file, sheet."""
    if rows.empty:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    rows = rows.assign(
        client_key=rows["client"].str.lower().fillna(""),
        product_key=rows["product"].str.lower().fillna(""),
        batch=rows["origin"] >= 0,
    ).sort_values(["batch", "valid_from", "origin", "row"], kind="stable")
    rows = rows.reset_index(drop=True).assign(order=lambda f: range(len(f)))
    pairs = rows.merge(rows, on=["client_key", "product_key"], suffixes=("", "_other"))
    pairs = pairs[pairs["order_other"] < pairs["order"]]
    # one record (same client, product and start) in two places is for the duplicate and
    # conflict rules to name; two such rows of one table are an overlap
    pairs = pairs[(pairs["valid_from"] != pairs["valid_from_other"])
                  | (pairs["origin"] == pairs["origin_other"])]
    end = pairs["valid_to"].fillna(FAR_FUTURE)
    end_other = pairs["valid_to_other"].fillna(FAR_FUTURE)
    pairs = pairs[(pairs["valid_from"] <= end_other) & (pairs["valid_from_other"] <= end)]
    pairs = pairs[pairs["origin"] >= 0].drop_duplicates("order")
    who = pairs["client"].fillna(_("the default")).astype(str)
    product = pairs["product"].fillna(_("all products")).astype(str)
    messages = fill(_(_OVERLAP[kind]), who=who, product=product,
                    file=pairs["file_other"].astype(str), sheet=pairs["sheet_other"].astype(str),
                    row=pairs["row_other"].astype("int64").astype(str))
    return pd.DataFrame({
        "origin": pairs["origin"].to_numpy(), "row": pairs["row"].to_numpy(),
        "column": "valid_from", "rule": f"{kind}_overlap", "message": messages.to_numpy(),
        "severity": "error"}, columns=FINDING_COLUMNS)
