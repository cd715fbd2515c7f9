"""The warehouse connection: DuckDB's memory is bounded, and the bound can be set."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledgerflow.errors import UsageError
from ledgerflow.load import warehouse


def test_duckdb_memory_is_limited_and_the_limit_can_be_set(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "w.duckdb"

    def limit() -> str:
        connection = warehouse.connect(path)
        try:
            return str(connection.execute("SELECT current_setting('memory_limit')").fetchone()[0])
        finally:
            connection.close()

    monkeypatch.delenv("LEDGERFLOW_DUCKDB_MEMORY", raising=False)
    assert limit() == "1.5 GiB"
    monkeypatch.setenv("LEDGERFLOW_DUCKDB_MEMORY", "512MB")
    assert limit() == "488.2 MiB"
    monkeypatch.setenv("LEDGERFLOW_DUCKDB_MEMORY", "lots")
    with pytest.raises(UsageError, match="LEDGERFLOW_DUCKDB_MEMORY='lots' is not a memory size"):
        limit()
