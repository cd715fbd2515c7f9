"""Faults the monthly run must survive, each ending in the old state or the new one, never half.

    .venv/bin/python benchmarks/faults.py [--kills 30] [--small] [--seed 9] [--json] [--keep]

Every run is the real `ledgerflow run` (a subprocess) on the sample inbox (`sample_data/`) for
October 2026, in a scratch folder. Two starting states: "fresh" (an empty warehouse and no
reports) and "update" (the warehouse and reports of an earlier run that had not seen
`payments_cash.csv`, which is now in the inbox). A clean run from each state gives the
reference.

(a) kill: the run is killed (SIGKILL to its process group) after a delay drawn from a seeded
    RNG across the run's working time: from the end of its start-up (the imports, timed as
    `ledgerflow --version`; a kill among them proves nothing) to the end of the reference
    run, one draw in each of N equal slices, shuffled. At once, every report file must be
    whole: its old bytes or the reference's, never another; every load in the warehouse must
    hold exactly the rows the reference's load of that file holds. Then the run is made again,
    to completion: its exit code, its reports (statements and index byte for byte,
    manifest.json without its times, .render-cache.json without its file stats) and the
    warehouse (loads, rows per table and per load) must equal the reference's, with no temp
    file left anywhere in the reports.
(b) full disk: the reports folder is a tmpfs holding the earlier reports, filled up with a
    ballast file: 0 bytes free (and, in the full run, 16 and 32 KiB: a statement is 9 to 17
    KiB, so the run stops inside a file). The run must stop with a clear message (exit 2 or 3,
    no traceback, not the "unexpected error" catch-all), leave no temp file, and every report
    file whole (with no room at all: the earlier reports exactly). With room again, the next
    run must equal the reference.
(c) read-only reports: the same tmpfs remounted read-only (chmod does not stop root). A clear
    message, the earlier reports untouched, the warehouse usable (read, and in the full run
    `ledgerflow balances` on it); writable again, the next run equals the reference.
(d) truncated warehouse: the reference's warehouse cut to half its size and to 0 bytes (and, in
    the full run, to a quarter and to 90 %). The run must stop with a clear message and exit
    3, leave the damaged file as it was (no new warehouse silently created over it, nothing
    beside it) and the reports untouched.

The mounts are made in a private mount namespace (`unshare --mount`, with `--map-root-user`
when not root), so they vanish with it whatever happens; failing that, as root, directly; failing
that, (b) and (c) are reported as NOT RUN, with the reason. The script prints each trial and a
table (fault, tries, survived, messages seen), or with --json the same as JSON; it exits 1 when
a fault was not survived or could not be tried.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
PERIOD = "2026-10"
HELD_BACK = "payments_cash.csv"  # the file the earlier run ("update" state) had not seen
CACHE = ".render-cache.json"
RUNS = ".runs"  # the runs' records, kept for ledgerflow diff
BALLAST = "ballast.bin"  # fills the reports' tmpfs; not a report
UNEXPECTED = "stopped on an unexpected error"  # ledgerflow's catch-all: not a clear message
INNER = "--inner-fs"
PAGE = 4096


@dataclass
class Trial:
    fault: str
    detail: str
    survived: bool
    problems: list[str] = field(default_factory=list)  # why not survived
    messages: list[str] = field(default_factory=list)  # what ledgerflow said on stderr
    notes: list[str] = field(default_factory=list)  # worth knowing, not a failure
    seconds: float = 0.0


@dataclass
class Done:
    code: int | None  # None: killed
    stderr: str
    seconds: float


# --- runs and states --------------------------------------------------------------------------

def ledgerflow_command() -> list[str]:
    script = Path(sys.executable).with_name("ledgerflow")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from ledgerflow.cli import main; sys.exit(main())"]


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("LEDGERFLOW_DEBUG", None)  # the product's own messages, not tracebacks
    return env


class Work:
    """The scratch folder: `run/` where every run happens, `states/` to restore it from."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.run = root / "run"
        self.reports = self.run / "reports"
        self.warehouse = self.run / "ledger.duckdb"
        self.states = root / "states"
        self.logs = root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def pipeline(self) -> Path:
        return self.run / "monthly.toml"

    def restore(self, state: str, reports: bool = True) -> None:
        """Make `run/` the saved state (without its reports folder when `reports` is False:
        the caller puts them on a mount)."""
        if self.run.exists():
            shutil.rmtree(self.run)
        shutil.copytree(self.states / state, self.run,
                        ignore=None if reports else shutil.ignore_patterns("reports"))
        self.pipeline().write_text(
            f'inbox = "{self.run / "inbox"}"\nwarehouse = "{self.warehouse}"\n'
            f'reports = "{self.reports}"\n', encoding="utf-8")

    def save(self, state: str) -> None:
        target = self.states / state
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(self.run, target)

    def start(self, *args: str) -> tuple[subprocess.Popen[bytes], Path]:
        self.count += 1
        log = self.logs / f"{self.count:03d}.stderr"
        with open(log, "wb") as err:
            process = subprocess.Popen(
                [*ledgerflow_command(), *args], stdout=subprocess.DEVNULL, stderr=err,
                env=environment(), start_new_session=True)
        return process, log

    def ledgerflow(self, *args: str, timeout: float = 600) -> Done:
        started = time.perf_counter()
        process, log = self.start(*args)
        try:
            code = process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            code = None
        return Done(code, log.read_text("utf-8", "replace"), time.perf_counter() - started)

    def monthly(self) -> Done:
        return self.ledgerflow("run", str(self.pipeline()), "--period", PERIOD)


def normalized(path: Path) -> bytes:
    """A report's bytes; manifest.json without its times, the render cache without the
    files' stats (they hold modification times)."""
    data = path.read_bytes()
    if path.name not in ("manifest.json", CACHE):
        return data
    try:
        content = json.loads(data)
    except ValueError:
        return data  # half a file: compared as it is, and differs
    if path.name == "manifest.json":
        for key in ("started_at", "finished_at"):
            content.pop(key, None)
        for entry in content.get("inputs", []):
            entry.pop("loaded_at", None)
    else:
        for entry in content.values():
            entry.pop("stats", None)
    return json.dumps(content, sort_keys=True).encode()


def is_temp(relative: Path) -> bool:
    """A temp file (ours are `.name.xxxxxxxx.suffix`), or anything else hidden but the cache
    and the folder of the runs' records (`ledgerflow.audit.runs`)."""
    return relative.name.endswith(".tmp") or any(
        part.startswith(".") and part not in (CACHE, RUNS) for part in relative.parts)


@dataclass
class Snapshot:
    reports: dict[str, str]  # file below reports/ -> SHA-256 of its normalized bytes
    temps: list[str]
    beside: list[str]  # what run/ holds (ledger.duckdb, a .wal left over ...)
    warehouse: dict[str, Any]


def snapshot(work: Work, warehouse: bool = True) -> Snapshot:
    reports, temps = {}, []
    if work.reports.exists():
        for path in sorted(work.reports.rglob("*")):
            relative = path.relative_to(work.reports)
            if path.is_dir() or relative.as_posix() == BALLAST:
                continue
            if is_temp(relative):
                temps.append(relative.as_posix())
            else:
                reports[relative.as_posix()] = hashlib.sha256(normalized(path)).hexdigest()
    beside = sorted(p.name for p in work.run.iterdir())
    return Snapshot(reports, temps, beside,
                    warehouse_state(work.warehouse) if warehouse else {})


def warehouse_state(path: Path) -> dict[str, Any]:
    """Loads (without their times), rows per table and per load; or why it cannot be read."""
    if not path.exists():
        return {"loads": [], "counts": {}, "per_load": {}}
    try:
        with duckdb.connect(str(path), read_only=True) as connection:
            loads = connection.execute(
                "SELECT load_id, file, sha256, kinds, rows_accepted, rows_refused, "
                "rows_skipped, status, replaces FROM loads ORDER BY load_id").fetchall()
            tables = [name for (name,) in connection.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                "ORDER BY table_name").fetchall()]
            counts, per_load = {}, {}
            for table in tables:
                counts[table] = connection.execute(
                    f'SELECT count(*) FROM "{table}"').fetchone()[0]
                if table != "loads":
                    for load_id, rows in connection.execute(
                            f'SELECT load_id, count(*) FROM "{table}" GROUP BY load_id'
                    ).fetchall():
                        per_load[f"{table}/{load_id}"] = rows
    except duckdb.Error as exc:
        return {"error": str(exc)}
    return {"loads": [list(row) for row in loads], "counts": counts, "per_load": per_load}


def first_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[0] if lines else ""


def error_message(done: Done) -> str:
    """What ledgerflow said when it stopped: its last words on stderr (progress lines first)."""
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    said = [line for line in lines if line.startswith("Error:") or UNEXPECTED in line]
    return (said or lines or [""])[-1]


def clear_failure(done: Done, codes: tuple[int, ...]) -> list[str]:
    """The problems with how a run that had to fail did: its exit code, a traceback, no
    message, or the catch-all message for an error ledgerflow should know."""
    problems = []
    if done.code not in codes:
        problems.append(f"exit code {done.code}, expected {' or '.join(map(str, codes))}")
    if "Traceback" in done.stderr:
        problems.append(f"a traceback on stderr: {traceback_summary(done.stderr)}")
    message = error_message(done)
    if not message:
        problems.append("no message on stderr")
    elif UNEXPECTED in message:
        problems.append("the catch-all 'unexpected error' message, not a clear one")
    return problems


def traceback_summary(stderr: str) -> str:
    """`Exception ignored in ...` (when so) and the exception a traceback ends with."""
    lines = stderr.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Traceback"))
    before = lines[start - 1] if start and lines[start - 1].startswith("Exception ign") else ""
    last = next((line for line in lines[start + 1:] if line and not line.startswith(" ")), "")
    return f"{before} {last}".strip()


def differences(found: Snapshot, expected: Snapshot) -> list[str]:
    problems = []
    missing = sorted(set(expected.reports) - set(found.reports))
    extra = sorted(set(found.reports) - set(expected.reports))
    changed = sorted(name for name in set(found.reports) & set(expected.reports)
                     if found.reports[name] != expected.reports[name])
    for label, names in (("missing", missing), ("not in the reference", extra),
                         ("differs from the reference", changed)):
        if names:
            problems.append(f"{len(names)} report file(s) {label}: {', '.join(names[:3])}")
    if found.temps:
        problems.append(f"temp files left in the reports: {', '.join(found.temps[:3])}")
    if found.beside != expected.beside:
        problems.append(f"beside the warehouse: {found.beside}, expected {expected.beside}")
    if "error" in found.warehouse:
        problems.append(f"warehouse unreadable: {found.warehouse['error']}")
    else:
        for key in ("loads", "counts", "per_load"):
            if found.warehouse.get(key) != expected.warehouse.get(key):
                problems.append(f"warehouse {key} differ from the reference's")
    return problems


def whole_files(found: Snapshot, old: Snapshot, new: Snapshot) -> tuple[list[str], int]:
    """Every report file is its old bytes or the new ones, and none the old run had is lost;
    and how many are the new ones already."""
    problems, fresh = [], 0
    for name, digest in found.reports.items():
        if digest == new.reports.get(name):
            fresh += digest != old.reports.get(name)
        elif digest != old.reports.get(name):
            problems.append(f"{name} is neither the old file nor the new one (half written?)")
    lost = [name for name in old.reports if name in new.reports and name not in found.reports]
    if lost:
        problems.append(f"{len(lost)} earlier report file(s) gone: {', '.join(lost[:3])}")
    return problems, fresh


def whole_loads(found: dict[str, Any], reference: dict[str, Any]) -> list[str]:
    """Each load in the warehouse is one of the reference's, with exactly its rows; no row
    without its load."""
    if "error" in found:
        return [f"warehouse unreadable after the kill: {found['error']}"]
    problems = []
    known = {row[0]: row for row in reference["loads"]}
    ids = {row[0] for row in found["loads"]}
    for row in found["loads"]:
        if known.get(row[0]) != row:
            problems.append(f"load {row[0]} ({row[1]}) is not the reference's")
    for key, rows in found["per_load"].items():
        load_id = int(key.rsplit("/", 1)[1])
        if load_id not in ids:
            problems.append(f"{rows} rows of {key} without their load (half a load)")
        elif rows != reference["per_load"].get(key):
            problems.append(f"{key} holds {rows} rows, the reference "
                            f"{reference['per_load'].get(key)}")
    for key, rows in reference["per_load"].items():
        if int(key.rsplit("/", 1)[1]) in ids and key not in found["per_load"]:
            problems.append(f"{key}: 0 of its {rows} rows")
    return problems


# --- the references ---------------------------------------------------------------------------

@dataclass
class Reference:
    code: int
    seconds: float
    before: Snapshot  # the starting state
    after: Snapshot  # after a clean run


def prepare(work: Work) -> tuple[dict[str, Reference], float]:
    """The starting states and a clean run from each; and how long ledgerflow takes to start
    (`ledgerflow --version`: the imports every run begins with)."""
    inbox = work.run / "inbox"
    work.run.mkdir(parents=True)
    shutil.copytree(SAMPLE, inbox)
    work.save("fresh")
    # the earlier run, before HELD_BACK arrived
    work.restore("fresh")
    held = work.root / HELD_BACK
    shutil.move(work.run / "inbox" / HELD_BACK, held)
    done = work.monthly()
    if done.code != 0:
        raise SystemExit(f"the earlier run failed (exit {done.code}): {done.stderr}")
    shutil.move(held, work.run / "inbox" / HELD_BACK)
    work.save("update")
    references = {}
    for state in ("fresh", "update"):
        work.restore(state)
        before = snapshot(work)
        done = work.monthly()
        if done.code not in (0, 1):
            raise SystemExit(f"the reference run from {state} failed (exit {done.code}): "
                             f"{done.stderr}")
        references[state] = Reference(done.code, done.seconds, before, snapshot(work))
        if state == "update":
            work.save("new")
    return references, work.ledgerflow("--version").seconds


# --- (a) kills --------------------------------------------------------------------------------

def kill_plan(kills: int, rng: random.Random) -> list[tuple[str, float]]:
    """`kills` (state, fraction) pairs, the states alternating; for each state one fraction of
    the run's working time drawn in each equal slice of it, in a shuffled order."""
    order = [("fresh", "update")[i % 2] for i in range(kills)]
    plan: dict[str, list[float]] = {}
    for state in ("fresh", "update"):
        count = order.count(state)
        plan[state] = [(slot + rng.random()) / count for slot in range(count)]
        rng.shuffle(plan[state])
    return [(state, plan[state].pop()) for state in order]


def kills_made(work: Work, references: dict[str, Reference], kills: int, rng: random.Random,
               startup: float) -> tuple[list[Trial], int]:
    """Kill runs at fractions of their working time: from the end of the start-up (a kill
    among the imports proves nothing) to the end of the run, as long as the quickest run from
    that state took (the machine is shared: a run may be quicker than its reference; then the
    same fraction is tried again on the shorter span). Also returns how many runs finished
    before their kill."""
    span = {state: reference.seconds for state, reference in references.items()}
    trials, quicker = [], 0
    for state, fraction in kill_plan(kills, rng):
        for _attempt in range(5):
            begin = min(startup, 0.7 * span[state])
            delay = begin + fraction * (span[state] - begin)
            started = time.perf_counter()
            trial = kill_trial(work, state, delay, references[state], startup)
            if isinstance(trial, Trial):
                trial.seconds = round(time.perf_counter() - started, 2)
                trials.append(trial)
                break
            quicker += 1
            span[state] = min(span[state], trial) * 0.95
    return trials, quicker


def kill_trial(work: Work, state: str, delay: float, reference: Reference,
               startup: float) -> Trial | float:
    """The trial; or, when the run finished before `delay`, how long it took."""
    work.restore(state)
    started = time.perf_counter()
    process, _ = work.start("run", str(work.pipeline()), "--period", PERIOD)
    try:
        process.wait(delay)
        return time.perf_counter() - started
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    killed = snapshot(work)
    problems, fresh = whole_files(killed, reference.before, reference.after)
    problems += whole_loads(killed.warehouse, reference.after.warehouse)
    phase = kill_phase(killed, reference, fresh, delay < startup)
    trial = Trial("kill", f"{state} run killed at {delay:.2f} s ({phase})", False, problems)
    if killed.temps:
        trial.notes.append(f"{len(killed.temps)} temp file(s) right after the kill")
    done = work.monthly()
    if done.code != reference.code:
        trial.problems.append(f"the run after the kill exited {done.code}, the reference "
                              f"{reference.code}: {error_message(done)}")
        trial.messages.append(error_message(done))
    trial.problems += differences(snapshot(work), reference.after)
    trial.survived = not trial.problems
    return trial


def kill_phase(killed: Snapshot, reference: Reference, fresh: int, starting: bool) -> str:
    """Where the run was, from what it had done."""
    loads, files = len(killed.warehouse.get("loads", [])), len(reference.after.warehouse["loads"])
    earlier = len(reference.before.warehouse["loads"])
    if loads < files:
        if starting and loads == earlier:
            return "starting"
        return f"reading and loading the inbox: {loads - earlier} of {files - earlier} loaded"
    changing = sum(reference.before.reports.get(name) != digest
                   for name, digest in reference.after.reports.items())
    if fresh == 0:
        return "consolidating or rendering: no report file new yet"
    if fresh < changing:
        return f"rendering: {fresh} of {changing} report files new"
    return "finishing: every report file written"


# --- (b), (c) mounts --------------------------------------------------------------------------

def mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, text=True)


@contextmanager
def reports_on_tmpfs(work: Work, state: str, size: int) -> Iterator[None]:
    """`state` restored, its reports on a tmpfs of `size` bytes."""
    work.restore(state, reports=False)
    work.reports.mkdir()
    mount("-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(work.reports))
    try:
        shutil.copytree(work.states / state / "reports", work.reports, dirs_exist_ok=True)
        yield
    finally:
        subprocess.run(["umount", "-l", str(work.reports)], check=False, capture_output=True)


def tree_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def fill(path: Path, leave: int) -> None:
    """Fill the file system of `path` with a ballast file, then give `leave` bytes back."""
    chunk = b"\0" * 65536
    with open(path, "wb", buffering=0) as ballast:
        try:
            while True:
                ballast.write(chunk)
        except OSError:
            pass
        size = ballast.seek(0, os.SEEK_END)
    with open(path, "r+b") as ballast:
        ballast.truncate(max(size - leave, 0))
    room = shutil.disk_usage(path.parent).free
    if leave == 0 and room > 0:  # a last partial page
        with open(path, "ab", buffering=0) as ballast, suppress(OSError):
            ballast.write(b"\0" * room)


def full_disk_trial(work: Work, references: dict[str, Reference], leave: int) -> Trial:
    reference = references["update"]
    size = tree_size(work.states / "update" / "reports") * 2 + (1 << 20)
    trial = Trial("full disk", f"reports on a tmpfs with {leave // 1024} KiB free", False)
    with reports_on_tmpfs(work, "update", size):
        fill(work.reports / BALLAST, leave)
        done = work.monthly()
        if done.code == reference.code and leave:  # the room sufficed: then it must be right
            trial.notes.append(f"the run completed: {leave // 1024} KiB sufficed")
        else:
            trial.messages.append(error_message(done))
            trial.problems += clear_failure(done, (2, 3))
        found = snapshot(work)
        if found.temps:
            trial.problems.append(f"temp files left: {', '.join(found.temps[:3])}")
        problems, fresh = whole_files(found, reference.before, reference.after)
        trial.problems += problems
        if leave == 0 and found.reports != reference.before.reports:
            trial.problems.append("the earlier reports changed although nothing could be "
                                  "written")
        elif fresh and done.code != reference.code:
            trial.notes.append(f"{fresh} report files already new beside the earlier manifest "
                               "(each file whole)")
        (work.reports / BALLAST).unlink()
        again = work.monthly()
        if again.code != reference.code:
            trial.problems.append(f"with room again the run exited {again.code}: "
                                  f"{error_message(again)}")
        trial.problems += differences(snapshot(work), reference.after)
    trial.survived = not trial.problems
    return trial


def read_only_trial(work: Work, references: dict[str, Reference], small: bool) -> Trial:
    reference = references["update"]
    size = tree_size(work.states / "update" / "reports") * 2 + (1 << 20)
    trial = Trial("read-only reports", "reports on a tmpfs remounted read-only", False)
    with reports_on_tmpfs(work, "update", size):
        mount("-o", "remount,ro", str(work.reports))
        done = work.monthly()
        trial.messages.append(error_message(done))
        trial.problems += clear_failure(done, (2, 3))
        found = snapshot(work)
        if found.reports != reference.before.reports or found.temps:
            trial.problems.append("the earlier reports changed")
        if "error" in found.warehouse:
            trial.problems.append(f"warehouse unreadable: {found.warehouse['error']}")
        elif found.warehouse["loads"] == reference.before.warehouse["loads"]:
            trial.notes.append("the run stopped before loading: the warehouse as it was")
        elif found.warehouse["loads"] == reference.after.warehouse["loads"]:
            trial.notes.append("the inbox was loaded before the run stopped")
        else:
            trial.problems.append("the warehouse holds loads neither the earlier run's nor "
                                  "the reference's")
        if not small:  # the small run reads the warehouse with DuckDB only (above)
            balances = work.ledgerflow("balances", "--period", PERIOD, "--warehouse",
                                       str(work.warehouse), "--json")
            if balances.code not in (0, 1):
                trial.problems.append(f"ledgerflow balances on the warehouse exited "
                                      f"{balances.code}: {error_message(balances)}")
        mount("-o", "remount,rw", str(work.reports))
        again = work.monthly()
        if again.code != reference.code:
            trial.problems.append(f"writable again, the run exited {again.code}: "
                                  f"{error_message(again)}")
        trial.problems += differences(snapshot(work), reference.after)
    trial.survived = not trial.problems
    return trial


def mount_trials(work: Work, references: dict[str, Reference], small: bool) -> list[Trial]:
    leaves = (0,) if small else (0, 4 * PAGE, 8 * PAGE)  # a statement is 9 to 17 KiB
    trials = [timed(full_disk_trial, work, references, leave) for leave in leaves]
    return [*trials, timed(read_only_trial, work, references, small)]


def timed(function: Callable[..., Trial], *args: Any) -> Trial:
    started = time.perf_counter()
    trial = function(*args)
    trial.seconds = round(time.perf_counter() - started, 2)
    return trial


def can_mount(folder: Path) -> str | None:
    """None when a tmpfs can be mounted here, else why not."""
    probe = folder / "probe"
    probe.mkdir(exist_ok=True)
    try:
        mount("-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe))
    except (OSError, subprocess.CalledProcessError) as exc:
        return getattr(exc, "stderr", None) or str(exc)
    subprocess.run(["umount", str(probe)], check=False, capture_output=True)
    return None


def run_mount_trials(work: Work, references: dict[str, Reference],
                     small: bool) -> tuple[list[Trial], str]:
    """(b) and (c), in a private mount namespace if possible; and how they were run."""
    save_references(work, references)
    unshare = shutil.which("unshare")
    reasons = []
    if unshare:
        command = [unshare, "--mount", "--propagation", "private"]
        if os.geteuid() != 0:
            command.append("--map-root-user")
        command += [sys.executable, __file__, INNER, str(work.root)] + (["--small"] if small
                                                                         else [])
        done = subprocess.run(command, capture_output=True, text=True, env=environment(),
                              check=False)
        if done.returncode == 0:
            return [Trial(**t) for t in json.loads(done.stdout)], \
                f"tmpfs in a private mount namespace ({' '.join(command[1:4])})"
        reasons.append(f"unshare: {first_line(done.stderr) or done.returncode}")
    else:
        reasons.append("unshare: not installed")
    if os.geteuid() == 0:
        why = can_mount(work.root)
        if why is None:
            return mount_trials(work, references, small), "tmpfs mounted directly (as root)"
        reasons.append(f"mount: {first_line(why)}")
    else:
        reasons.append("mount: not root")
    return [], "NOT RUN, mounting a tmpfs is not permitted here (" + "; ".join(reasons) + ")"


def save_references(work: Work, references: dict[str, Reference]) -> None:
    (work.root / "references.json").write_text(json.dumps(
        {state: asdict(ref) for state, ref in references.items()}), encoding="utf-8")


def load_references(work: Work) -> dict[str, Reference]:
    saved = json.loads((work.root / "references.json").read_text(encoding="utf-8"))
    return {state: Reference(ref["code"], ref["seconds"], Snapshot(**ref["before"]),
                             Snapshot(**ref["after"])) for state, ref in saved.items()}


# --- (d) truncated warehouse ------------------------------------------------------------------

def truncation_trial(work: Work, fraction: float) -> Trial:
    work.restore("new")
    size = work.warehouse.stat().st_size
    cut = int(size * fraction)
    label = "0 bytes" if cut == 0 else f"{fraction:.0%} of its {size // 1024} KiB"
    trial = Trial("truncated warehouse", f"warehouse cut to {label}", False)
    os.truncate(work.warehouse, cut)
    before = snapshot(work, warehouse=False)
    damaged = hashlib.sha256(work.warehouse.read_bytes()).hexdigest()
    inode = work.warehouse.stat().st_ino
    done = work.monthly()
    trial.messages.append(error_message(done))
    trial.problems += clear_failure(done, (3,))
    after = snapshot(work, warehouse=False)
    if not work.warehouse.exists() or work.warehouse.stat().st_ino != inode:
        trial.problems.append("the damaged warehouse was replaced by another file")
    elif hashlib.sha256(work.warehouse.read_bytes()).hexdigest() != damaged:
        trial.problems.append(f"the damaged warehouse was written to (now "
                              f"{work.warehouse.stat().st_size} bytes)")
    if after.beside != before.beside:
        trial.problems.append(f"new files beside the warehouse: "
                              f"{sorted(set(after.beside) - set(before.beside))}")
    if after.reports != before.reports or after.temps:
        trial.problems.append("the reports changed")
    trial.survived = not trial.problems
    return trial


# --- the whole -------------------------------------------------------------------------------

def summary(trials: list[Trial]) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for trial in trials:
        row = rows.setdefault(trial.fault, {"fault": trial.fault, "tries": 0, "survived": 0,
                                            "messages": []})
        row["tries"] += 1
        row["survived"] += trial.survived
        for message in trial.messages + trial.problems:
            if message and message not in row["messages"]:
                row["messages"].append(message)
    return list(rows.values())


def shorten(text: str, root: Path) -> str:
    return text.replace(str(root), "…")


def print_table(result: dict[str, Any], root: Path) -> None:
    print(f"ledgerflow under faults: seed {result['seed']}, "
          f"reference runs {result['reference_seconds']['fresh']:.1f} s (fresh) and "
          f"{result['reference_seconds']['update']:.1f} s (update), of which "
          f"{result['startup_seconds']:.1f} s start-up (`ledgerflow --version`)")
    for trial in result["trials"]:
        mark = "ok  " if trial["survived"] else "FAIL"
        print(f"  {mark} {trial['fault']}: {trial['detail']} [{trial['seconds']:.1f} s]")
        for problem in trial["problems"]:
            print(f"         ! {shorten(problem, root)}")
        for note in trial["notes"]:
            print(f"         · {note}")
    print(f"kills: {result['kills']['tried']} made, {result['kills']['survived']} survived "
          f"({result['kills']['finished_before_the_kill']} runs finished before their kill "
          "and were tried again at the same fraction of a shorter span)")
    print(f"mounts: {result['mounts']}")
    print(f"time: {result['seconds']['total']:.0f} s, of which "
          f"{result['seconds']['prepare']:.0f} s for the starting states and references")
    print()
    print(f"{'fault':<22} {'tries':>5} {'survived':>8}  messages seen")
    for row in result["summary"]:
        messages = [shorten(m, root) for m in row["messages"]] or ["—"]
        print(f"{row['fault']:<22} {row['tries']:>5} {row['survived']:>8}  {messages[0]}")
        for message in messages[1:]:
            print(f"{'':<38}  {message}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=None, help="SIGKILLs (default 30; 5 small)")
    parser.add_argument("--small", action="store_true", help="a quick run, for CI")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument(INNER, dest="inner", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:  # inside the private mount namespace: (b) and (c) only
        work = Work(args.inner)
        work.count = 900  # its logs beside the outer process's
        trials = mount_trials(work, load_references(work), args.small)
        print(json.dumps([asdict(t) for t in trials]))
        return 0
    kills = args.kills if args.kills is not None else (5 if args.small else 30)
    root = Path(tempfile.mkdtemp(prefix="ledgerflow-faults-"))
    try:
        started = time.perf_counter()
        work = Work(root)
        references, startup = prepare(work)
        prepared = time.perf_counter() - started
        trials, quicker = kills_made(work, references, kills, random.Random(args.seed),
                                     startup)
        fs_trials, mounts = run_mount_trials(work, references, args.small)
        trials += fs_trials
        fractions = (0.5, 0.0) if args.small else (0.5, 0.0, 0.25, 0.9)
        trials += [timed(truncation_trial, work, fraction) for fraction in fractions]
        result = {
            "seed": args.seed, "mounts": mounts,
            "reference_seconds": {s: r.seconds for s, r in references.items()},
            "startup_seconds": startup,
            "seconds": {"prepare": round(prepared, 1),
                        "total": round(time.perf_counter() - started, 1)},
            "kills": {"tried": sum(t.fault == "kill" for t in trials),
                      "survived": sum(t.fault == "kill" and t.survived for t in trials),
                      "finished_before_the_kill": quicker},
            "mount_faults_run": bool(fs_trials),
            "trials": [asdict(t) for t in trials],
            "summary": summary(trials),
        }
        if args.json:
            print(json.dumps(result, ensure_ascii=False, indent=1))
        else:
            print_table(result, root)
        return 0 if all(t.survived for t in trials) and fs_trials else 1
    finally:
        if args.keep:
            print(f"scratch folder kept: {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
