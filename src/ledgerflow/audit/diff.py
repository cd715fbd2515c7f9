"""What changed between two runs of a period, or two periods: `ledgerflow diff`.

Two records (`audit.runs`: a run kept in a period's folder, or the warehouse now) are compared
per payer, in DuckDB: a line is the same line in both when it has the same payer, the same
source (payment or expense) and the same ID; it is `added`, `removed`, or `changed` (any of its
fields but its running balance and place, which follow the lines before it). Each payer's
opening and closing balances are set side by side, and the input files its statement rests on
that the earlier record did not know are named.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from ledgerflow.audit import runs
from ledgerflow.audit.runs import RunRecord
from ledgerflow.i18n import _, ngettext
from ledgerflow.rules.consolidate import LINE_COLUMNS, Consolidation

# What makes a line changed: every field but where it sits on the statement.
COMPARED = tuple(c for c in LINE_COLUMNS if c not in (
    "payer_key", "balance", "line_no", "line_digits", "payer_digits"))


@dataclass(frozen=True)
class LineChange:
    status: str  # added | removed | changed
    kind: str
    line_id: str
    date: str
    account: str
    source: str  # file / sheet / row N (as it is now; as it was for a removed line)
    source_file: str
    amount_before: str | None  # its amount in the payer's currency, signed
    amount_after: str | None
    fields: list[str] = field(default_factory=list)  # for a changed line: what changed


@dataclass
class PayerDiff:
    payer: str
    currency: str
    opening_before: str | None  # None: no statement of this payer in that record
    opening_after: str | None
    closing_before: str | None
    closing_after: str | None
    lines: list[LineChange] = field(default_factory=list)
    new_inputs: list[str] = field(default_factory=list)  # files it rests on now, not before

    @property
    def balance_change(self) -> Decimal:
        return Decimal(self.closing_after or 0) - Decimal(self.closing_before or 0)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "balance_change": str(self.balance_change)}


def compare(before: RunRecord, after: RunRecord,
            payers: list[str] | None = None) -> list[PayerDiff]:
    """Per payer (keys; all when None), what changed from `before` to `after`: only the payers
    with a line added, removed or changed, a balance moved, or a new input file."""
    with duckdb.connect() as db:
        for name, table in (("a_lines", before.lines), ("b_lines", after.lines),
                            ("a_payers", before.payers), ("b_payers", after.payers)):
            db.register(name, table)
        db.execute("CREATE TEMP TABLE wanted AS SELECT unnest($1::VARCHAR[]) AS payer_key",
                   [payers or []])
        only = "" if payers is None else "WHERE payer_key IN (SELECT payer_key FROM wanted)"
        changed = " OR ".join(f"a.{c} IS DISTINCT FROM b.{c}" for c in COMPARED)
        fields = ", ".join(f"CASE WHEN a.{c} IS DISTINCT FROM b.{c} THEN '{c}' END"
                           for c in COMPARED)
        keyed = ("SELECT *, CASE WHEN kind = 'expense' THEN 'e:' ELSE 'p:' END || "
                 "lower(line_id) AS k FROM {} " + only)
        lines = db.execute(f"""
            WITH a AS ({keyed.format('a_lines')}), b AS ({keyed.format('b_lines')})
            SELECT coalesce(b.payer_key, a.payer_key) AS payer_key,
                CASE WHEN a.k IS NULL THEN 'added' WHEN b.k IS NULL THEN 'removed'
                     ELSE 'changed' END AS status,
                coalesce(b.kind, a.kind), coalesce(b.line_id, a.line_id),
                strftime(coalesce(b.date, a.date), '%Y-%m-%d'), coalesce(b.account, a.account),
                concat_ws(' / ', coalesce(b.source_file, a.source_file),
                          coalesce(b.source_sheet, a.source_sheet),
                          'row ' || coalesce(b.source_row, a.source_row)),
                coalesce(b.source_file, a.source_file),
                a.amount_payer::VARCHAR, b.amount_payer::VARCHAR,
                CASE WHEN a.k IS NOT NULL AND b.k IS NOT NULL
                     THEN list_filter([{fields}], lambda x: x IS NOT NULL) ELSE [] END
            FROM a FULL OUTER JOIN b ON a.payer_key = b.payer_key AND a.k = b.k
            WHERE a.k IS NULL OR b.k IS NULL OR {changed}
            ORDER BY 1, 5, 4, 3""").fetchall()
        balances = db.execute(f"""
            SELECT coalesce(b.payer_key, a.payer_key) AS payer_key,
                coalesce(b.payer, a.payer), coalesce(b.currency, a.currency),
                a.opening::VARCHAR, b.opening::VARCHAR, a.closing::VARCHAR, b.closing::VARCHAR,
                list_sort(list_distinct([i.file FOR i IN coalesce(b.inputs, []) IF NOT
                    list_contains([j.sha256 FOR j IN coalesce(a.inputs, [])], i.sha256)]))
            FROM (SELECT * FROM a_payers {only}) a
            FULL OUTER JOIN (SELECT * FROM b_payers {only}) b USING (payer_key)
            ORDER BY 1""").fetchall()
    diffs = {key: PayerDiff(payer, currency, _amount(ob), _amount(oa), _amount(cb),
                            _amount(ca), new_inputs=list(new))
             for key, payer, currency, ob, oa, cb, ca, new in balances}
    for key, status, kind, line_id, day, account, source, file, was, now, what in lines:
        diffs[key].lines.append(LineChange(status, kind, line_id, day, account, source, file,
                                           _amount(was), _amount(now), list(what)))
    return [d for d in diffs.values() if d.lines or d.new_inputs or d.balance_change
            or (d.closing_before is None) != (d.closing_after is None)]


def _amount(text: str | None) -> str | None:
    """DECIMAL(38,4) as text, without the digits no currency has (4 -> 2 places)."""
    if text is None:
        return None
    value = Decimal(text)
    return str(value.quantize(Decimal("0.01"))) if value == value.quantize(
        Decimal("0.01")) else str(value.normalize())


def reasons(diff: PayerDiff | None) -> list[str]:
    """Why a statement was rendered again, in short and in the run's locale: the files whose
    lines were added, removed or changed, and the input files new to it."""
    if diff is None:
        return [_("its lines and inputs are as in the previous run (the settings, templates or "
                  "ledgerflow changed, or its files were not as written)")]
    if diff.closing_before is None:
        return [_("a new statement: no statement of this payer in the previous run")]
    counts: dict[str, dict[str, int]] = {}
    for line in diff.lines:
        per_file = counts.setdefault(line.source_file, {})
        per_file[line.status] = per_file.get(line.status, 0) + 1
    said = [f"{file}: " + ", ".join(_lines_with_status(status, n)
                                    for status, n in sorted(statuses.items()))
            for file, statuses in counts.items()]
    said += [_("new input {file}").format(file=file)
             for file in diff.new_inputs if file not in counts]
    return said or [_("its inputs changed (cards, links, rates or conditions)")]


def _lines_with_status(status: str, n: int) -> str:
    """'2 lines added', in the run's locale."""
    if status == "added":
        text = ngettext("{n} line added", "{n} lines added", n)
    elif status == "removed":
        text = ngettext("{n} line removed", "{n} lines removed", n)
    else:
        text = ngettext("{n} line changed", "{n} lines changed", n)
    return text.format(n=n)


def as_text(diffs: list[PayerDiff], before: str, after: str) -> list[str]:
    out = [f"{before} → {after}"]
    for d in diffs:
        if d.closing_before is None:
            moved = f"new statement, closing {d.closing_after}"
        elif d.closing_after is None:
            moved = f"no statement any more (closing was {d.closing_before})"
        else:
            moved = (f"closing {d.closing_before} → {d.closing_after} "
                     f"({d.balance_change:+})")
        out.append(f"{d.payer} ({d.currency}): {moved}")
        for line in d.lines:
            amounts = {"added": line.amount_after, "removed": line.amount_before,
                       "changed": f"{line.amount_before} → {line.amount_after}"}[line.status]
            what = f" [{', '.join(line.fields)}]" if line.fields else ""
            out.append(f"  {line.status:<8} {line.kind} {line.line_id} {line.date} "
                       f"{line.account} {amounts}{what}  {line.source}")
        out += [f"  new input: {file}" for file in d.new_inputs]
    out.append(f"{len(diffs)} payers changed" if diffs else "no difference")
    return out


def record_run(connection: duckdb.DuckDBPyConnection, result: Consolidation, folder: Path,
               settings: dict[str, Any], rendered: list[str]) -> dict[str, list[str]]:
    """Keeps this run's record in the period's folder (before its manifest is written, while
    the folder's manifest still names the previous run) and tells, per statement rendered
    (`rendered`: payers), why: what changed since the period's previous run."""
    name = runs.run_of(connection, settings)
    previous_name = runs.folder_run(folder)
    current = runs.load(folder, name)
    if current is None:
        current = runs.record_of(connection, result, name)
        runs.save(current, folder)
    if not rendered:
        return {}
    previous = runs.load(folder, previous_name) if previous_name else None
    if previous is None:
        return {payer: [_("no earlier run of the period recorded")] for payer in rendered}
    diffs = {d.payer.lower(): d for d in compare(previous, current,
                                                 [p.lower() for p in rendered])}
    return {payer: reasons(diffs.get(payer.lower())) for payer in rendered}
