"""Safe file names for statements: never a path outside the reports folder, never a reserved
device name, unique even when two client IDs sanitize to the same name."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from pathlib import Path

# Windows device names: a file called CON.html cannot be opened there.
RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
            *(f"LPT{i}" for i in range(1, 10))}
MAX_STEM = 80


def safe_stem(client_id: str) -> str:
    """A file-name stem for a client: Latin letters, digits, '_', '-', '.'; no leading dot."""
    text = unicodedata.normalize("NFKC", client_id)
    text = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip(" .")[:MAX_STEM] or "_"
    if text.split(".")[0].upper() in RESERVED:
        text = "_" + text
    return text


def unique_stems(client_ids: list[str]) -> dict[str, str]:
    """client ID -> stem, unique ignoring case (file systems may ignore it). A stem shared by
    several IDs gets a short hash of each ID, so the name does not depend on the order."""
    stems = {cid: safe_stem(cid) for cid in client_ids}
    count = Counter(stem.lower() for stem in stems.values())
    return {cid: f"{stem}~{hashlib.sha256(cid.encode()).hexdigest()[:8]}"
            if count[stem.lower()] > 1 else stem for cid, stem in stems.items()}


def inside(folder: Path, name: str) -> Path:
    """folder/name, refusing anything that would land outside folder."""
    target = (folder / name).resolve()
    if not target.is_relative_to(folder.resolve()):
        raise ValueError(f"refusing to write outside {folder}: {name!r}")
    return target


def in_folder(resolved: Path, name: str) -> Path:
    """resolved/name for a plain file name (no folder part, not `.` or `..`), with `resolved`
    an already resolved folder: as `inside`, without touching the disk."""
    if not name or name in (".", "..") or Path(name).name != name or "\\" in name:
        raise ValueError(f"refusing to write outside {resolved}: {name!r}")
    return resolved / name


STATEMENTS = "statements"  # the statements' folder, in the period's folder
REJECTS = "rejects.xlsx"  # the refused rows of a run, in the period's folder
OUTBOX = "outbox"  # `ledgerflow send`'s dry run (.eml files), in the period's folder
