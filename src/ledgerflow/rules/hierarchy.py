"""Hierarchy rules L3–L7 and P2, checked on dates over the warehouse plus the batch.

Each rule is a plain function with one signature: it takes the links (and what else it needs)
as frames and returns a frame of findings, one per offending batch row, naming the other row it
conflicts with. Rules run in the order of `LINK_RULES`; severities of L5 and L6 are settings.

A link holds on dates d with linked_on <= d < unlinked_on (open-ended when unlinked_on is empty).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from ledgerflow.choices import RuleSeverity
from ledgerflow.i18n import _, fill

Severity = RuleSeverity
FINDING_COLUMNS = ["origin", "row", "column", "rule", "message", "severity"]
FAR_FUTURE = pd.Timestamp("2262-01-01")


@dataclass(frozen=True)
class HierarchySettings:
    same_tax_id: Severity = "error"  # L5
    naming_convention: Severity = "warning"  # L6

    def severity(self, rule: str) -> Severity:
        if rule == "L5":
            return self.same_tax_id
        if rule == "L6":
            return self.naming_convention
        return "error"


def _overlapping_pairs(left: pd.DataFrame, right: pd.DataFrame, left_on: str,
                       right_on: str) -> pd.DataFrame:
    """Pairs of links joined on an account whose periods overlap. Each conflict is blamed on the
    later row (see `check_links` for the order), so the link that was there first stands and the
    newcomer is refused."""
    pairs = left.merge(right, left_on=left_on, right_on=right_on, suffixes=("", "_other"))
    pairs = pairs[pairs["link_no_other"] < pairs["link_no"]]
    end = pairs["unlinked_on"].fillna(FAR_FUTURE)
    end_other = pairs["unlinked_on_other"].fillna(FAR_FUTURE)
    return pairs[(pairs["linked_on"] < end_other) & (pairs["linked_on_other"] < end)]


def _findings(rows: pd.DataFrame, column: str, rule: str, messages: pd.Series,
              severity: Severity) -> pd.DataFrame:
    batch = rows["origin"] >= 0
    return pd.DataFrame({
        "origin": rows.loc[batch, "origin"].to_numpy(), "row": rows.loc[batch, "row"].to_numpy(),
        "column": column, "rule": rule, "message": messages[batch].to_numpy(),
        "severity": severity,
    }, columns=FINDING_COLUMNS)


def rule_one_master(links: pd.DataFrame, clients: pd.DataFrame,
                    settings: HierarchySettings) -> pd.DataFrame:
    """L3: a related account has at most one master on any date. Two rows of one link (same
    master, related account and link date) in different places are one record twice: the
    duplicate and conflict rules name them, not this one."""
    pairs = _overlapping_pairs(links, links, "related", "related")
    pairs = pairs[~((pairs["master"] == pairs["master_other"])
                    & (pairs["linked_on"] == pairs["linked_on_other"])
                    & (pairs["origin"] != pairs["origin_other"]))]
    messages = fill(_("Rule L3: {related} is also related to {master} over overlapping dates "
                      "({where}); an account has at most one master on any date."),
                    related=pairs["related_id"], master=pairs["master_id_other"],
                    where=_other_where(pairs))
    return _findings(pairs, "related_id", "L3", messages, settings.severity("L3"))


def rule_depth_one(links: pd.DataFrame, clients: pd.DataFrame,
                   settings: HierarchySettings) -> pd.DataFrame:
    """L4: an account related on some date cannot be a master on an overlapping date."""
    as_master = _overlapping_pairs(links, links, "master", "related")
    as_related = _overlapping_pairs(links, links, "related", "master")
    master_messages = fill(
        _("Rule L4: {master} is itself a related account of {other} on overlapping dates "
          "({where}); the hierarchy is one level deep."),
        master=as_master["master_id"], other=as_master["master_id_other"],
        where=_other_where(as_master))
    related_messages = fill(
        _("Rule L4: {related} is a master of {other} on overlapping dates ({where}), so it "
          "cannot be a related account; the hierarchy is one level deep."),
        related=as_related["related_id"], other=as_related["related_id_other"],
        where=_other_where(as_related))
    severity = settings.severity("L4")
    return pd.concat([
        _findings(as_master, "master_id", "L4", master_messages, severity),
        _findings(as_related, "related_id", "L4", related_messages, severity),
    ], ignore_index=True)


def _other_where(pairs: pd.DataFrame) -> pd.Series:
    """Where the other row of a conflicting pair is: file, sheet and Excel row."""
    return fill(_("{file}, sheet '{sheet}', row {row}"), file=pairs["file_other"].astype(str),
                sheet=pairs["sheet_other"].astype(str),
                row=pairs["row_other"].astype("int64").astype(str))


def rule_same_tax_id(links: pd.DataFrame, clients: pd.DataFrame,
                     settings: HierarchySettings) -> pd.DataFrame:
    """L5: master and related must have the same tax ID where both have one."""
    tax = _by_key(clients, "tax_id")
    master_tax = links["master"].map(tax)
    related_tax = links["related"].map(tax)
    differ = master_tax.notna() & related_tax.notna() & (master_tax != related_tax)
    rows = links[differ.to_numpy()]
    messages = fill(_("Rule L5: {related} has tax ID {related_tax} but its master {master} has "
                      "{master_tax}; accounts of one group belong to one legal entity."),
                    related=rows["related_id"], related_tax=related_tax[differ],
                    master=rows["master_id"], master_tax=master_tax[differ])
    return _findings(rows, "related_id", "L5", messages, settings.severity("L5"))


def rule_naming_convention(links: pd.DataFrame, clients: pd.DataFrame,
                           settings: HierarchySettings) -> pd.DataFrame:
    """L6: related_id should begin with master_id (Orhid_magazine -> Orhid_magazine_DIR)."""
    follows = pd.Series([r.startswith(m) for m, r in zip(links["master"], links["related"],
                                                          strict=True)], index=links.index,
                        dtype=bool)
    rows = links[~follows.to_numpy()]
    messages = fill(_("Rule L6: the related account {related} does not begin with its "
                      "master's login {master} (for example {master}_DIR)."),
                    related=rows["related_id"], master=rows["master_id"])
    return _findings(rows, "related_id", "L6", messages, settings.severity("L6"))


def rule_not_closed(links: pd.DataFrame, clients: pd.DataFrame,
                    settings: HierarchySettings) -> pd.DataFrame:
    """L7: neither account is closed. Only a client's current status is known, so a closed
    client cannot be linked at all."""
    status = _by_key(clients, "status")
    found = []
    template = _("Rule L7: {account} is closed and cannot be linked.")
    for role in ("master", "related"):
        closed = (links[role].map(status) == "closed").to_numpy()
        rows = links[closed]
        messages = fill(template, account=rows[f"{role}_id"])
        found.append(_findings(rows, f"{role}_id", "L7", messages, settings.severity("L7")))
    return pd.concat(found, ignore_index=True)


def _by_key(clients: pd.DataFrame, column: str) -> pd.Series:
    """A client's `column` by its lower-case key; the first row of a key counts (the stored one
    when the clients are stored rows followed by the batch's)."""
    return clients.drop_duplicates("key").set_index("key")[column]


LinkRule = Callable[[pd.DataFrame, pd.DataFrame, HierarchySettings], pd.DataFrame]
LINK_RULES: tuple[LinkRule, ...] = (
    rule_one_master, rule_depth_one, rule_same_tax_id, rule_naming_convention, rule_not_closed,
)


def check_links(links: pd.DataFrame, clients: pd.DataFrame,
                settings: HierarchySettings) -> pd.DataFrame:
    """Run every link rule in order; findings for batch rows only."""
    if links.empty:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    # Precedence: stored links first, then the batch's by link date, then file and row order.
    links = links.assign(batch=links["origin"] >= 0).sort_values(
        ["batch", "linked_on", "origin", "row"], kind="stable").reset_index(drop=True)
    links = links.assign(link_no=range(len(links)))
    found = [rule(links, clients, settings) for rule in LINK_RULES]
    return pd.concat(found, ignore_index=True)


def check_top_ups(payments: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """P2: a top-up (kind payment) to an account that is related on its date is refused,
    naming the master it should have gone to."""
    if payments.empty or links.empty:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    top_ups = payments[payments["kind"] == "payment"]
    joined = top_ups.merge(links[["master_id", "related", "linked_on", "unlinked_on"]],
                           left_on="account", right_on="related")
    held = (joined["linked_on"] <= joined["date"]) & (
        joined["unlinked_on"].isna() | (joined["date"] < joined["unlinked_on"]))
    rows = joined[held.to_numpy()]
    messages = fill(_("Rule P2: {account} is a related account of {master} on this date and has "
                      "no balance of its own; the payment should go to {master}."),
                    account=rows["client_id"], master=rows["master_id"])
    return _findings(rows, "client_id", "P2", messages, "error")
