"""Skip statements whose inputs have not changed since they were written.

Each statement gets a fingerprint: its header (balances, card, group, run id), its lines as
Arrow bytes, the render settings, and the renderer itself (ledgerflow's render code and every
template in use). A statement whose fingerprint and files match what the folder's cache file
recorded is not rendered again; its files are checked byte for byte (SHA-256) before they are
trusted, so a file edited or damaged by hand is rendered anew.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import ledgerflow
from ledgerflow.render.build import StatementLines
from ledgerflow.render.model import Statement

CACHE_NAME = ".render-cache.json"


def renderer_digest(template_dir: Path | None) -> str:
    """The code and templates that turn a statement into files."""
    package = Path(ledgerflow.__file__).parent
    files = sorted((package / "render").glob("*.py")) + sorted(
        (package / "templates").glob("*"))
    if template_dir is not None:
        files += sorted(p for p in Path(template_dir).glob("*") if p.is_file())
    digest = hashlib.sha256(ledgerflow.__version__.encode())
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _slice_bytes(lines: StatementLines, payer: str) -> bytes:
    """The payer's lines by value (Arrow's own bytes are not canonical: chunking and unused
    bits of validity buffers vary between runs)."""
    found = lines.slices.get(payer.lower())
    if found is None:
        return b""
    return repr(lines.table.slice(*found).to_pydict()).encode()


def fingerprint(statement: Statement, lines: StatementLines, context: str) -> str:
    digest = hashlib.sha256(context.encode())
    digest.update(repr(statement).encode())
    digest.update(_slice_bytes(lines, statement.payer))
    return digest.hexdigest()


def read_cache(folder: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((folder / CACHE_NAME).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def still_valid(entry: dict[str, Any] | None, print_: str, outputs: dict[str, Path]) -> bool:
    """The cached files are the ones this fingerprint produced, byte for byte."""
    if not entry or entry.get("fingerprint") != print_:
        return False
    recorded = entry.get("outputs", {})
    for name, path in outputs.items():
        if name not in recorded or not path.is_file():
            return False
        if hashlib.sha256(path.read_bytes()).hexdigest() != recorded[name]:
            return False
    return True


def cache_text(entries: dict[str, dict[str, Any]]) -> str:
    return json.dumps(entries, sort_keys=True, indent=1) + "\n"
