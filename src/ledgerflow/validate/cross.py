"""Checks that look beyond one table: IDs across the batch and the warehouse, client references.

They run on what the warehouse already holds plus what the batch would add, so a reference to a
client that arrives in the same batch is fine, and a row that was loaded before is recognised.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ledgerflow.i18n import N_, _
from ledgerflow.load import warehouse
from ledgerflow.validate.table import TableResult


def mark_already_loaded(connection: duckdb.DuckDBPyConnection, result: TableResult,
                        replacing: set[int]) -> None:
    """Rows whose key is in the warehouse: same content -> skipped, other content -> conflict.
    Rows of the loads in `replacing` do not count: this batch removes them."""
    if result.data.empty:
        return
    stored = warehouse.compare_with_stored(connection, result.kind, result.data, result.keys)
    stored = stored[~stored["load_id"].isin(replacing)]
    if stored.empty:
        return
    same = stored["same"].astype(bool).to_numpy()
    result.skipped = pd.Index(stored.loc[same, "row"].astype("int64"))
    conflicts = stored.loc[~same]
    if conflicts.empty:
        return
    rows = pd.Index(conflicts["row"].astype("int64"))
    message = _ConflictMessage(result.kind.id_noun)
    messages = pd.Series(
        [message(result.raw.file, int(lid), str(f), str(s), int(r))
         for lid, f, s, r in conflicts[
             ["load_id", "source_file", "source_sheet", "source_row"]].itertuples(index=False)],
        index=rows)
    result.add_errors(rows, warehouse_key_column(result), "conflict", messages)


class _ConflictMessage:
    """The message of a row whose key is stored with other content, its templates translated
    once for all the rows."""

    def __init__(self, noun: str) -> None:
        self.noun = _(noun) if noun else ""
        self.where = _("load {load}, {file}, sheet {sheet}, row {row}")
        # most likely a corrected copy of the file loaded before
        self.same_file = _("This record was loaded before with different content ({where}). "
                           "Fix the row, or, if this file corrects that one, load it with "
                           "--replace {load} to replace that load.")
        self.other = _("This {noun} was loaded before with different content ({where}). If "
                       "this is another record, give it a {noun} of its own; only if this file "
                       "replaces all of {file}, load it with --replace {load}.") if noun else \
            _("This record was loaded before with different content ({where}). If this is "
              "another record, give it a record of its own; only if this file replaces all of "
              "{file}, load it with --replace {load}.")

    def __call__(self, file: str, load_id: int, stored_file: str, sheet: str, row: int) -> str:
        where = self.where.format(load=load_id, file=stored_file, sheet=repr(sheet), row=row)
        template = self.same_file if stored_file == file else self.other
        return template.format(noun=self.noun, where=where, load=load_id, file=stored_file)


def warehouse_key_column(result: TableResult) -> str:
    """The column an ID conflict is reported against: the table's ID (or first key column)."""
    return result.kind.key_columns[0]


def check_duplicates_across(results: list[TableResult]) -> None:
    """A key that appears in two tables of the batch: the later occurrences are errors.

    Duplicates inside one table are the schema's business; this only compares tables.
    """
    by_kind: dict[str, list[int]] = {}
    for position, result in enumerate(results):
        if not result.data.empty:
            by_kind.setdefault(result.kind.name, []).append(position)
    for positions in by_kind.values():
        if len(positions) < 2:
            continue
        everything = pd.concat([
            pd.DataFrame({"table": p, "row": results[p].data.index,
                          "key": results[p].keys.to_numpy()}) for p in positions],
            ignore_index=True)
        first = everything.drop_duplicates("key").set_index("key")
        origin = first.loc[everything["key"]]
        clash = origin["table"].to_numpy() != everything["table"].to_numpy()
        for position in positions:
            mine = clash & (everything["table"].to_numpy() == position)
            if not mine.any():
                continue
            rows = pd.Index(everything.loc[mine, "row"])
            sources = origin.loc[mine]
            template = _(_DUPLICATE)
            messages = pd.Series(
                [_duplicate_message((results[t].raw.file, results[t].raw.sheet, int(r)), template)
                 for t, r in zip(sources["table"], sources["row"], strict=True)],
                index=rows)
            result = results[position]
            result.add_errors(rows, warehouse_key_column(result), "duplicate_id", messages)


class Earlier:
    """What the waves of a run before the current one held: where each of their rows' keys
    is (kept compactly, as Arrow text and numbers, so ten million rows fit), their clients that
    will be loaded, and those withheld with the reason."""

    def __init__(self) -> None:
        self.sources: list[tuple[str, str]] = []  # (file, sheet) of each table added
        self._keys: dict[str, list[pa.Array]] = {}
        self._rows: dict[str, list[np.ndarray]] = {}
        self._places: dict[str, list[np.ndarray]] = {}
        self.clients: set[str] = set()
        self.withheld: dict[str, str] = {}

    def add(self, results: list[TableResult], clients: set[str],
            withheld: dict[str, str]) -> None:
        for result in results:
            if result.data.empty:
                continue
            kind = result.kind.name
            self._keys.setdefault(kind, []).append(
                pa.array(result.keys, type=pa.large_string(), from_pandas=True))
            self._rows.setdefault(kind, []).append(result.data.index.to_numpy(dtype=np.int64))
            self._places.setdefault(kind, []).append(
                np.full(len(result.data), len(self.sources), dtype=np.int32))
            self.sources.append((result.raw.file, result.raw.sheet))
        self.clients |= clients
        self.withheld.update({k: v for k, v in withheld.items() if k not in self.clients})

    def check_duplicates(self, results: list[TableResult]) -> None:
        """A key that an earlier wave held: a duplicate, naming the earlier row."""
        for result in results:
            kind = result.kind.name
            if kind not in self._keys or result.data.empty:
                continue
            earlier = pa.concat_arrays(self._keys[kind])
            found = pc.index_in(pa.array(result.keys, type=pa.large_string(), from_pandas=True),
                                value_set=earlier)
            at = pc.fill_null(found, -1).to_numpy(zero_copy_only=False)
            mine = np.flatnonzero(at >= 0)
            if len(mine) == 0:
                continue
            rows = np.concatenate(self._rows[kind])[at[mine]]
            places = np.concatenate(self._places[kind])[at[mine]]
            index = pd.Index(result.data.index[mine])
            template = _(_DUPLICATE)
            messages = pd.Series([_duplicate_message((*self.sources[p], int(r)), template)
                                  for p, r in zip(places, rows, strict=True)], index=index)
            result.add_errors(index, warehouse_key_column(result), "duplicate_id", messages)


_DUPLICATE = N_("The same record is also in {file}, sheet {sheet}, row {row}; keep it in one "
                "place.")


def _duplicate_message(where: tuple[str, str, int], template: str) -> str:
    """`template`: `_DUPLICATE` translated."""
    file, sheet, row = where
    return template.format(file=file, sheet=repr(sheet), row=row)


def named_clients(results: list[TableResult]) -> list[str]:
    """The distinct client IDs (lower case) the batch's rows name, each once."""
    named = [pd.Series(pd.unique(r.data[c].dropna())) for r in results
             for c in r.kind.client_references]
    if not named:
        return []
    return pd.unique(pd.concat(named).astype("string").str.lower()).tolist()


def referenced_stored_clients(connection: duckdb.DuckDBPyConnection,
                              named: list[str]) -> set[str]:
    """Which of the clients the batch names (`named_clients`) the warehouse holds, in one
    query."""
    if not named:
        return set()
    return warehouse.known_clients(connection, pd.Series(named, dtype="string"))


def close_clients(connection: duckdb.DuckDBPyConnection, results: list[TableResult],
                  named: list[str], known: set[str], most: int = 200) -> dict[str, str]:
    """For the client IDs the batch names (`named_clients`) that are not `known`: a known
    client whose ID is one or two typing mistakes away (Damerau-Levenshtein, case ignored),
    stored or in the batch, for a "did you mean". At most `most` unknown IDs are looked up."""
    unknown = [u for u in named if u not in known][:most]
    if not unknown:
        return {}
    batch = [r.data["client_id"].dropna().astype("string") for r in results
             if r.kind.name == "clients"]
    probe = pd.DataFrame({"unknown": unknown})
    candidates = pd.DataFrame({"client_id": pd.concat(batch or [pd.Series([], dtype="string")])})
    connection.register("lf_unknown_clients", probe)
    connection.register("lf_batch_clients", candidates)
    try:
        found = connection.execute("""
            WITH everyone AS (SELECT client_id FROM clients
                              UNION SELECT client_id FROM lf_batch_clients),
                 scored AS (SELECT u.unknown, e.client_id,
                                   damerau_levenshtein(u.unknown, lower(e.client_id)) AS distance
                            FROM lf_unknown_clients u, everyone e
                            WHERE abs(length(u.unknown) - length(e.client_id)) <= 2)
            SELECT unknown, arg_min(client_id, (distance, client_id)) FROM scored
            WHERE distance <= least(2, length(unknown) // 4) GROUP BY unknown""").fetchall()
    finally:
        connection.unregister("lf_unknown_clients")
        connection.unregister("lf_batch_clients")
    return {str(u): str(c) for u, c in found}


def check_client_references(result: TableResult, known: set[str],
                            withheld: dict[str, str] | None = None,
                            close: dict[str, str] | None = None) -> None:
    """Every client a row names must be in `known`: the stored clients the batch names plus the
    batch's own clients that will be loaded. A client of the batch that will not be loaded
    (`withheld`: lower-case key -> why) is named with its own cause, not as unknown."""
    withheld = withheld or {}
    for column in result.kind.client_references:
        ids = result.data[column]
        lower = ids.astype("string").str.lower()
        present = ids.notna()
        if not present.any():
            continue
        unknown = present & ~lower.isin(known).fillna(False)
        if not unknown.any():
            continue
        refused = unknown & lower.isin(set(withheld)).fillna(False)
        if refused.any():
            rows = pd.Index(ids.index[refused.to_numpy()])
            template = _("The client {client} is in this batch but is not being loaded: {why}")
            messages = pd.Series([
                template.format(client=client, why=withheld[str(client).lower()])
                for client in ids[refused.to_numpy()]], index=rows)
            result.add_errors(rows, column, "client_refused", messages)
        unknown = unknown & ~refused
        if unknown.any():
            rows = pd.Index(ids.index[unknown.to_numpy()])
            close = close or {}
            like = _("No such client: it is neither in the warehouse nor loaded from this inbox "
                     "(rule L1). Did you mean {like}? Correct the login, or add the client to "
                     "the clients table.")
            unlike = _("No such client: it is neither in the warehouse nor loaded from this "
                       "inbox (rule L1). Add it to the clients table, or check the spelling.")
            result.add_errors(rows, column, "unknown_client", pd.Series([
                like.format(like=close[str(client).lower()]) if str(client).lower() in close
                else unlike for client in ids[unknown.to_numpy()]], index=rows))
