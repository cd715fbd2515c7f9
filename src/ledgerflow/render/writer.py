"""Writing report files: atomically, unchanged files left alone.

A statement is rendered to a temporary file beside its target and renamed over it only when
complete, so a crash never leaves half a statement where a good one was; when the new bytes equal
the old ones the old file is kept untouched (its time stamp too).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from xlsxwriter.exceptions import FileCreateError

from ledgerflow.errors import LedgerflowError


@dataclass(frozen=True)
class Written:
    path: Path
    sha256: str
    changed: bool


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def file_mode() -> int:
    """The mode the umask gives a new file (0o666 & ~umask). The umask is read from
    /proc/self/status: os.umask can only read it by changing it, for the whole process, under
    the render threads' feet."""
    try:
        with open("/proc/self/status", "rb") as status:
            umask = next(int(line.split()[1], 8) for line in status
                         if line.startswith(b"Umask:"))
    except (OSError, StopIteration, ValueError, IndexError):  # not Linux, or before 4.7
        umask = os.umask(0o022)
        os.umask(umask)
    return 0o666 & ~umask


def _give_mode(path: Path, mode: int) -> None:
    """A file kept as it was gets the umask's mode too (an older version wrote 0600); its
    time stamp stays, so the render cache still trusts it."""
    with contextlib.suppress(OSError):  # another user's file: left as it is
        if path.stat().st_mode & 0o777 != mode:
            os.chmod(path, mode)


def replace_if_changed(temp: Path, target: Path, digest: str | None = None) -> Written:
    """Move a finished temp file over target, unless target already has these bytes;
    `digest` is the temp file's SHA-256 when the caller knows it already.

    The file gets the mode the umask gives (0o666 & ~umask), as any file a program creates,
    not the 0600 of a temp file: reports written by a cron user are read by others. A target
    kept because its bytes are unchanged gets that mode too (an older version wrote 0600),
    its time stamp kept."""
    digest = digest or _sha256(temp)
    mode = file_mode()
    found = target.stat() if target.exists() else None
    same = found is not None and found.st_size == temp.stat().st_size \
        and _sha256(target) == digest
    if same and found is not None and found.st_mode & 0o777 != mode:
        try:
            os.chmod(target, mode)
        except OSError:  # another user's file: replaced by ours, which has the mode
            same = False
    if same:
        temp.unlink()
        return Written(target, digest, changed=False)
    os.chmod(temp, mode)
    os.replace(temp, target)
    return Written(target, digest, changed=True)


def write_file(target: Path, produce: Callable[[Path], object],
               digest: str | None = None) -> Written:
    """Let `produce` write a temp file beside target, then put it in place atomically
    (`digest`: the SHA-256 of what `produce` writes, when known).

    A file that cannot be written (a full disk, a read-only folder) stops the run with a
    message that names it, not a traceback; the file already there is left as it was and the
    temp file is removed."""
    temp: Path | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                        suffix=target.suffix)
        os.close(handle)
        temp = Path(name)
        produce(temp)
        return replace_if_changed(temp, target, digest)
    except (OSError, FileCreateError) as exc:  # xlsxwriter wraps the OSError in its own
        error = exc if isinstance(exc, OSError) else exc.__context__
        reason = getattr(error, "strerror", None) or str(exc)
        raise LedgerflowError(
            f"Could not write {target}: {reason}; {target.name} is left as it was. Make room "
            "on that disk or make the folder writable, then run again.") from exc
    finally:
        if temp is not None:
            temp.unlink(missing_ok=True)


def write_text(target: Path, text: str) -> Written:
    return write_bytes(target, text.encode())


def write_bytes(target: Path, data: bytes) -> Written:
    """Bytes in memory: their digest is taken here, not by reading the file back."""
    return write_file(target, lambda temp: temp.write_bytes(data),
                      hashlib.sha256(data).hexdigest())
