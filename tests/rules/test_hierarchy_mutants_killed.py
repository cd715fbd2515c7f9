"""Hierarchy rules L3–L7 and P2 called on their frames: each finding whole (row, column, rule,
words, severity), the edges of a link's dates, which row of a conflicting pair is blamed.

These are the cases that kill mutmut's mutants of `rules/hierarchy.py` (scripts/mutation.sh);
the same rules through a real inbox are tested in test_hierarchy.py and test_one_pass.py.
"""

from __future__ import annotations

import pandas as pd

from ledgerflow.rules import inputs
from ledgerflow.rules.hierarchy import (
    FINDING_COLUMNS,
    HierarchySettings,
    check_links,
    check_top_ups,
)

T = pd.Timestamp
OPEN = None
WHERE = "base.xlsx, sheet 'links', row"
L3_TAIL = "; an account has at most one master on any date."
L4_TAIL = "; the hierarchy is one level deep."
INN, OTHER_INN = "7707083893", "7736050003"


def links(rows: dict[int, tuple[str, str, str, str | None]], origin: int = 0,
          file: str = "new.xlsx") -> pd.DataFrame:
    """Links as the rules see them: {Excel row: (master_id, related_id, linked_on, unlinked_on)}.
    Origin -1 is a stored row (of base.xlsx), 0 and up a table of this batch."""
    data = pd.DataFrame(
        [(m, r, T(on), T(off) if off else pd.NaT) for m, r, on, off in rows.values()],
        columns=["master_id", "related_id", "linked_on", "unlinked_on"], index=list(rows))
    if origin < 0:
        frame = inputs.batch("links", data, 0, "base.xlsx", "links")
        return frame.assign(origin=-1, load_id=1)
    return inputs.batch("links", data, origin, file, "links")


def clients(rows: list[tuple[str, str | None, str | None]]) -> pd.DataFrame:
    """Clients as the rules read them: (client_id, tax_id, status)."""
    data = pd.DataFrame(rows, columns=["client_id", "tax_id", "status"],
                        index=range(2, 2 + len(rows)))
    return inputs.batch("clients", data, 5, "clients.xlsx", "clients")


GROUP = clients([("M", INN, "active"), ("M_A", INN, "active"), ("M_B", INN, "active"),
                 ("N", INN, "active"), ("N_A", INN, "active")])


def found(frame: pd.DataFrame) -> list[tuple[object, ...]]:
    assert list(frame.columns) == FINDING_COLUMNS
    return [tuple(row) for row in frame.itertuples(index=False)]


def judged(stored: pd.DataFrame | None, *batch: pd.DataFrame,
           known: pd.DataFrame = GROUP, settings: HierarchySettings | None = None,
           rules: frozenset[str] = frozenset({"L3", "L4"})) -> list[tuple[object, ...]]:
    frames = [f for f in (stored, *batch) if f is not None]
    result = check_links(pd.concat(frames, ignore_index=True), known,
                         settings or HierarchySettings())
    return [f for f in found(result) if f[3] in rules]


def l3(origin: int, row: int, related: str, master: str, other_row: int,
       where: str = WHERE) -> tuple[object, ...]:
    return (origin, row, "related_id", "L3",
            f"Rule L3: {related} is also related to {master} over overlapping dates "
            f"({where} {other_row}){L3_TAIL}", "error")


# --------------------------------------------------------------------------------------------
# L3: one master on any date
# --------------------------------------------------------------------------------------------


def test_a_second_master_over_overlapping_dates_is_blamed_on_the_newcomer() -> None:
    stored = links({2: ("M", "M_A", "2026-01-01", "2026-06-01")}, origin=-1)
    batch = links({2: ("N", "M_A", "2026-05-01", "2026-06-01"),  # overlaps May
                   3: ("N", "M_A", "2026-06-01", OPEN)})  # begins the day the first ends
    assert judged(stored, batch) == [l3(0, 2, "M_A", "M", 2)]


def test_a_link_ending_the_day_the_other_begins_does_not_overlap() -> None:
    stored = links({4: ("M", "M_A", "2026-03-01", OPEN)}, origin=-1)
    batch = links({2: ("N", "M_A", "2026-01-01", "2026-03-01")})
    assert judged(stored, batch) == []
    overlapping = links({2: ("N", "M_A", "2026-01-01", "2026-03-02")})
    assert judged(stored, overlapping) == [l3(0, 2, "M_A", "M", 4)]


def test_two_open_ended_links_overlap_for_ever() -> None:
    stored = links({2: ("M", "M_A", "2026-01-01", OPEN)}, origin=-1)
    batch = links({7: ("N", "M_A", "2030-01-01", OPEN)})
    assert judged(stored, batch) == [l3(0, 7, "M_A", "M", 2)]


def test_one_link_alone_breaks_nothing() -> None:
    assert judged(None, links({2: ("M", "M_A", "2026-01-01", OPEN)}),
                  rules=frozenset({"L3", "L4", "L5", "L6", "L7"})) == []


def test_one_link_in_two_places_is_one_record_not_a_second_master() -> None:
    stored = links({2: ("M", "M_A", "2026-01-01", OPEN)}, origin=-1)
    same = links({3: ("M", "M_A", "2026-01-01", OPEN)})
    assert judged(stored, same) == []
    # the same master from another date, another master from the same date: both L3
    later = links({3: ("M", "M_A", "2026-02-01", OPEN)})
    assert judged(stored, later) == [l3(0, 3, "M_A", "M", 2)]
    other_master = links({3: ("N", "M_A", "2026-01-01", OPEN)})
    assert judged(stored, other_master) == [l3(0, 3, "M_A", "M", 2)]
    # written twice in one file, the second row is a second master
    twice = links({3: ("M", "M_A", "2026-01-01", OPEN), 4: ("M", "M_A", "2026-01-01", OPEN)})
    assert judged(None, twice) == [l3(0, 4, "M_A", "M", 3, "new.xlsx, sheet 'links', row")]


def test_the_stored_link_stands_even_when_the_newcomer_begins_earlier() -> None:
    stored = links({2: ("M", "M_A", "2026-03-01", OPEN)}, origin=-1)
    batch = links({5: ("N", "M_A", "2026-01-01", OPEN)})
    assert judged(stored, batch) == [l3(0, 5, "M_A", "M", 2)]


def test_in_a_batch_the_later_link_date_then_the_later_file_then_the_later_row_is_blamed() -> None:
    by_date = links({2: ("N", "M_A", "2026-03-01", OPEN), 3: ("M", "M_A", "2026-01-01", OPEN)})
    assert judged(None, by_date) == [l3(0, 2, "M_A", "M", 3, "new.xlsx, sheet 'links', row")]
    first = links({9: ("M", "M_A", "2026-01-01", OPEN)}, origin=0, file="a.xlsx")
    second = links({2: ("N", "M_A", "2026-01-01", OPEN)}, origin=1, file="b.xlsx")
    assert judged(None, second, first) == [l3(1, 2, "M_A", "M", 9, "a.xlsx, sheet 'links', row")]
    by_row = links({4: ("N", "M_A", "2026-01-01", OPEN), 3: ("M", "M_A", "2026-01-01", OPEN)})
    assert judged(None, by_row) == [l3(0, 4, "M_A", "M", 3, "new.xlsx, sheet 'links', row")]


# --------------------------------------------------------------------------------------------
# L4: one level deep
# --------------------------------------------------------------------------------------------


def test_a_related_account_made_a_master_is_a_chain() -> None:
    stored = links({2: ("M", "M_A", "2026-01-01", OPEN)}, origin=-1)
    batch = links({3: ("M_A", "N_A", "2026-03-01", OPEN)})
    assert judged(stored, batch) == [(
        0, 3, "master_id", "L4",
        f"Rule L4: M_A is itself a related account of M on overlapping dates ({WHERE} 2)"
        f"{L4_TAIL}", "error")]


def test_a_master_made_a_related_account_is_a_chain() -> None:
    stored = links({2: ("M", "M_A", "2026-01-01", "2026-02-01")}, origin=-1)
    batch = links({6: ("M_B", "M", "2026-01-15", OPEN)})
    assert judged(stored, batch) == [(
        0, 6, "related_id", "L4",
        f"Rule L4: M is a master of M_A on overlapping dates ({WHERE} 2), so it cannot be a "
        f"related account{L4_TAIL}", "error")]
    after = links({6: ("M_B", "M", "2026-02-01", OPEN)})
    assert judged(stored, after) == []


# --------------------------------------------------------------------------------------------
# L5, L6, L7 and their severities
# --------------------------------------------------------------------------------------------


def test_the_severities_of_the_settings() -> None:
    default = HierarchySettings()
    assert [default.severity(r) for r in ("L3", "L4", "L5", "L6", "L7")] == [
        "error", "error", "error", "warning", "error"]
    turned = HierarchySettings(same_tax_id="warning", naming_convention="error")
    assert [turned.severity(r) for r in ("L3", "L4", "L5", "L6", "L7")] == [
        "error", "error", "warning", "error", "error"]


def test_master_and_related_of_another_legal_entity() -> None:
    known = clients([("M", INN, "active"), ("Foreign", OTHER_INN, "active"),
                     ("M_A", INN, "active"), ("M_untaxed", None, "active"),
                     ("Untaxed", None, "active"), ("untaxed", INN, "active")])
    batch = links({2: ("M", "M_A", "2026-01-01", OPEN), 3: ("M", "Foreign", "2026-01-01", OPEN),
                   4: ("M", "M_untaxed", "2026-01-01", OPEN),
                   5: ("Untaxed", "Foreign", "2026-01-01", OPEN)})
    message = (f"Rule L5: Foreign has tax ID {OTHER_INN} but its master M has {INN}; accounts "
               "of one group belong to one legal entity.")
    # the first row of a key counts (Untaxed has none, its lower-case twin's does not count)
    assert judged(None, batch, known=known, rules=frozenset({"L5"})) == [
        (0, 3, "related_id", "L5", message, "error")]
    lenient = HierarchySettings(same_tax_id="warning")
    assert judged(None, batch, known=known, settings=lenient, rules=frozenset({"L5"})) == [
        (0, 3, "related_id", "L5", message, "warning")]


def test_a_related_login_not_beginning_with_its_masters() -> None:
    batch = links({2: ("M", "m_a", "2026-01-01", OPEN), 3: ("N", "M_B", "2026-01-01", OPEN)})
    message = ("Rule L6: the related account M_B does not begin with its master's login N "
               "(for example N_DIR).")
    assert judged(None, batch, rules=frozenset({"L6"})) == [
        (0, 3, "related_id", "L6", message, "warning")]
    strict = HierarchySettings(naming_convention="error")
    assert judged(None, batch, settings=strict, rules=frozenset({"L6"})) == [
        (0, 3, "related_id", "L6", message, "error")]


def test_closed_accounts_on_either_side() -> None:
    known = clients([("M", INN, "active"), ("M_A", INN, "closed"), ("Shut", INN, "closed"),
                     ("Shut_A", INN, "blocked")])
    batch = links({2: ("M", "M_A", "2026-01-01", OPEN), 3: ("Shut", "Shut_A", "2026-01-01", OPEN)})
    assert judged(None, batch, known=known, rules=frozenset({"L7"})) == [
        (0, 3, "master_id", "L7", "Rule L7: Shut is closed and cannot be linked.", "error"),
        (0, 2, "related_id", "L7", "Rule L7: M_A is closed and cannot be linked.", "error")]


def test_no_links_no_findings() -> None:
    empty = links({})
    assert found(check_links(empty, GROUP, HierarchySettings())) == []


# --------------------------------------------------------------------------------------------
# P2: top-ups of a related account
# --------------------------------------------------------------------------------------------


def payments(rows: dict[int, tuple[str, str, str]]) -> pd.DataFrame:
    """Payments as P2 reads them: {Excel row: (client_id, date, kind)}."""
    data = pd.DataFrame([(c, T(d), k) for c, d, k in rows.values()],
                        columns=["client_id", "date", "kind"], index=list(rows))
    return inputs.batch("payments", data, 3, "payments.xlsx", "payments")


def test_a_top_up_of_an_account_on_the_dates_it_is_related() -> None:
    stored = pd.concat([links({2: ("M", "M_A", "2026-03-01", "2026-06-01")}, origin=-1),
                        links({3: ("N", "N_A", "2026-03-01", OPEN)}, origin=-1)])
    paid = payments({2: ("M_A", "2026-02-28", "payment"),  # before the link: its own
                     3: ("m_a", "2026-03-01", "payment"),  # linked that day: refused
                     4: ("M_A", "2026-04-01", "refund"),  # not a top-up
                     5: ("M_A", "2026-05-31", "payment"),  # the last linked day: refused
                     6: ("M_A", "2026-06-01", "payment"),  # unlinked that day: its own
                     7: ("N_A", "2027-01-01", "payment")})  # open-ended: refused
    assert found(check_top_ups(paid, stored)) == [
        (3, 3, "client_id", "P2", "Rule P2: m_a is a related account of M on this date and has "
         "no balance of its own; the payment should go to M.", "error"),
        (3, 5, "client_id", "P2", "Rule P2: M_A is a related account of M on this date and has "
         "no balance of its own; the payment should go to M.", "error"),
        (3, 7, "client_id", "P2", "Rule P2: N_A is a related account of N on this date and has "
         "no balance of its own; the payment should go to N.", "error")]


def test_no_payments_or_no_links_no_top_ups() -> None:
    stored = links({2: ("M", "M_A", "2026-03-01", OPEN)}, origin=-1)
    paid = payments({2: ("M_A", "2026-04-01", "payment")})
    assert found(check_top_ups(paid, pd.DataFrame())) == []
    assert found(check_top_ups(paid.iloc[:0], stored)) == []
