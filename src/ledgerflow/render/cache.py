"""Skip statements whose inputs have not changed since they were written.

Each statement gets a fingerprint: the statement (balances, card, group, run id, and a draft's
refused input files, so the banner comes and goes with them) with a digest
of every field of its lines, the render settings, and the renderer itself (ledgerflow's render
code and every template in use). A statement whose fingerprint and files match what the
folder's cache file recorded is not rendered again. Its files are trusted when their size and
modification time are those recorded when they were written, and otherwise checked byte for
byte (SHA-256), so a file edited or damaged by hand is rendered anew.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import ledgerflow
from ledgerflow.render.model import Statement

CACHE_NAME = ".render-cache.json"


def renderer_digest(template_dir: Path | None) -> str:
    """The code and templates that turn a statement into files."""
    package = Path(ledgerflow.__file__).parent
    files = sorted((package / "render").glob("*.py")) + sorted(
        p for p in (package / "templates").glob("*") if p.is_file())  # not mail/
    if template_dir is not None:
        files += sorted(p for p in Path(template_dir).glob("*") if p.is_file())
    digest = hashlib.sha256(ledgerflow.__version__.encode())
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def fingerprint(statement: Statement, context: str) -> str:
    """The statement with its lines, by value (every field: its draft banner too), and what
    renders it (`context`)."""
    digest = hashlib.sha256(context.encode())
    digest.update(repr(statement).encode())
    return digest.hexdigest()


def read_cache(folder: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((folder / CACHE_NAME).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def still_valid(entry: dict[str, Any] | None, print_: str, outputs: dict[str, Path]) -> bool:
    """The cached files are the ones this fingerprint produced, byte for byte: a file whose
    size and modification time are those recorded when it was written is taken as it was (as
    git and make do); any other is hashed and compared."""
    if not entry or entry.get("fingerprint") != print_:
        return False
    recorded = entry.get("outputs", {})
    stats = entry.get("stats", {})
    for name, path in outputs.items():
        if name not in recorded:
            return False
        try:
            found = path.stat()
        except OSError:
            return False
        if stats.get(name) == [found.st_size, found.st_mtime_ns]:
            continue
        if hashlib.sha256(path.read_bytes()).hexdigest() != recorded[name]:
            return False
    return True


def file_stats(path: Path) -> list[int]:
    """What `still_valid` compares to trust a file without reading it."""
    found = path.stat()
    return [found.st_size, found.st_mtime_ns]


def cache_text(entries: dict[str, dict[str, Any]]) -> str:
    return json.dumps(entries, sort_keys=True, indent=1) + "\n"
