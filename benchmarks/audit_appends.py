"""Benchmark of durable audit-log appends under many concurrent writers.

The target: at least 5,000 durable appends/s with p99 latency under 50 ms from 64 concurrent writer
threads on SQLite (WAL, ``synchronous=FULL``: every commit is fsynced). Each method gets a fresh
database in the same directory, and all run in one process, one after another:

* ``synthguard group commit``: each writer calls ``ws.audit.append(ws.draft(...))`` in a loop. Callers
  queue; one committer thread writes every queued entry in one transaction with one signed
  checkpoint, and each caller returns once its entry is committed. This is the shipped design. It
  runs ``--repeat`` times (default 3), each on a fresh database; the table shows the run with the
  median throughput and a line under it lists every run, since a shared machine's disk and CPU
  make single runs vary by tens of percent.
* ``synthguard commit per append``: the naive design. Each append is its own transaction on its own
  session (``with ws.session() as s, s.begin(): ws.audit.append_in(s, [draft])``): one fsync and one
  signed checkpoint per entry.
* ``sqlite3 commit per row``: the peer. A bare ``sqlite3`` table, one ``INSERT`` per transaction,
  same durability settings (WAL, ``synchronous=FULL``, ``BEGIN IMMEDIATE``), in two forms:
  ``connection per thread`` (each writer has its own connection and SQLite's file lock and busy
  handler arbitrate, as separate processes would) and ``1 connection + lock`` (one shared
  connection behind a ``threading.Lock``: writers wait on the lock, with no busy-handler sleeps;
  the lock is not fair, so the tail is long).
  ``--peer thread|lock`` runs just one. It shows what "one commit per row" costs without any
  SynthGuard code: roughly a ceiling for the naive design.
* ``sqlite3 commit per row`` with 1 writer: a short single-thread run of the peer; its p50 is the cost
  of one fsynced commit on this disk right now, which bounds every commit-per-row method at about
  1/p50 per second. Read the other rows against it: on a virtual disk it can move from 0.2 ms to 4 ms
  between runs.
* On PostgreSQL, when ``SYNTHGUARD_BENCH_DATABASE_URL`` names a server (``scripts/postgres.sh start
  DIR`` prints such a URL): both SynthGuard methods again, each in a new database created on that
  server and dropped afterwards. Skipped (with a note) when the variable is unset or the server is
  unreachable.

How to read the table: ``appends`` is the number completed (a method stops early, at the next append
of every writer, once ``--max-seconds`` pass, so slow methods finish in bounded time); ``appends/s``
is appends over wall-clock seconds from the start barrier to the last writer finishing; latencies
are per append, from the call to its return (so they include queueing for the lock or the batch).
``commits`` is the number of write transactions, for SynthGuard the number of signed checkpoints;
``per commit`` is the mean number of entries each fsync made durable. After each SynthGuard run the
whole log is verified with ``ws.audit.verify()`` (every leaf rehashed, every checkpoint signature
checked); its result and time are printed under the table. ``target`` marks the runs that meet
>= 5,000/s and p99 < 50 ms.

Usage: ``.venv/bin/python benchmarks/audit_appends.py [--writers 64] [--count 300] [--repeat 3]
[--max-seconds 15] [--peer both|thread|lock] [--dir DIR] [--json]``
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import create_engine, func, make_url, select, text
from sqlalchemy.exc import SQLAlchemyError

import synthguard as sg
from synthguard import config
from synthguard.audit.entry import Draft
from synthguard.store.tables import CheckpointRow
from synthguard.workspace import Workspace

TARGET_PER_S = 5000.0
TARGET_P99_MS = 50.0
PG_ENV = "SYNTHGUARD_BENCH_DATABASE_URL"
ACTOR = "bench@synthguard.example"


@dataclass
class Result:
    method: str
    backend: str
    writers: int
    appends: int
    seconds: float
    per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    commits: int | None = None
    verified: bool | None = None
    verify_entries: int | None = None
    verify_checkpoints: int | None = None
    verify_seconds: float | None = None
    verify_reason: str = ""
    runs: list[dict[str, float]] = field(default_factory=list)  # every repeat: per_s, p50/p99/max ms

    @property
    def meets_target(self) -> bool:
        return self.per_s >= TARGET_PER_S and self.p99_ms < TARGET_P99_MS


# ------------------------------------------------------------------------------------------
# The harness: N threads, a start barrier, per-call latencies
# ------------------------------------------------------------------------------------------


def hammer(writers: int, count: int, max_seconds: float,
           make_op: Callable[[int], Callable[[int], None]],
           finish: Callable[[int], None] | None = None) -> tuple[list[float], float]:
    """Run ``op(i)`` ``count`` times on each of ``writers`` threads; return latencies (s) and elapsed.

    ``make_op(w)`` runs on thread ``w`` before the barrier (per-thread setup such as opening a
    connection); ``finish(w)`` runs on it after its last call. Writers stop early once
    ``max_seconds`` have passed since the start.
    """
    latencies: list[list[float]] = [[] for _ in range(writers)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(writers + 1)

    def body(w: int) -> None:
        try:
            op = make_op(w)
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()
            return
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            return
        deadline = time.perf_counter() + max_seconds
        mine = latencies[w]
        clock = time.perf_counter
        try:
            for i in range(count):
                t0 = clock()
                if t0 > deadline:
                    break
                op(i)
                mine.append(clock() - t0)
        except BaseException as exc:  # reported after the run; the other writers carry on
            errors.append(exc)
        finally:
            if finish is not None:
                finish(w)

    threads = [threading.Thread(target=body, args=(w,), name=f"writer-{w}") for w in range(writers)]
    for thread in threads:
        thread.start()
    with suppress(threading.BrokenBarrierError):
        barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"{len(errors)} writer(s) failed; first: {errors[0]!r}") from errors[0]
    return [x for per_thread in latencies for x in per_thread], elapsed


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return math.nan
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def summarise(method: str, backend: str, writers: int, latencies: list[float], elapsed: float,
              commits: int | None = None) -> Result:
    ordered = sorted(latencies)
    return Result(method=method, backend=backend, writers=writers, appends=len(ordered), seconds=elapsed,
                  per_s=len(ordered) / elapsed if elapsed > 0 else math.nan,
                  p50_ms=percentile(ordered, 0.50) * 1e3, p99_ms=percentile(ordered, 0.99) * 1e3,
                  max_ms=(ordered[-1] * 1e3) if ordered else math.nan, commits=commits)


# ------------------------------------------------------------------------------------------
# SynthGuard methods
# ------------------------------------------------------------------------------------------


@contextmanager
def workspace(root: Path, name: str, database_url: str) -> Iterator[Workspace]:
    settings = config.resolve(home=root / name, database_url=database_url, actor=ACTOR, tenant="default")
    ws = sg.init(settings)
    try:
        yield ws
    finally:
        ws.close()


def _draft(ws: Workspace, w: int, i: int) -> Draft:
    return ws.draft("bench.append", f"bench://writer-{w}/{i}", digest="sha256:" + "ab" * 32,
                    details={"writer": w, "i": i, "note": "benchmark append"})


def group_commit(ws: Workspace, writers: int, count: int, max_seconds: float, backend: str) -> Result:
    for w in range(4):  # warm-up: start the committer, open pooled connections (not timed)
        ws.audit.append(_draft(ws, -1, w))

    def make_op(w: int) -> Callable[[int], None]:
        def op(i: int) -> None:
            ws.audit.append(_draft(ws, w, i))
        return op

    before = _checkpoints(ws)
    latencies, elapsed = hammer(writers, count, max_seconds, make_op)
    return summarise("synthguard group commit", backend, writers, latencies, elapsed,
                     _checkpoints(ws) - before)


def commit_per_append(ws: Workspace, writers: int, count: int, max_seconds: float, backend: str) -> Result:
    ws.audit.append(_draft(ws, -1, 0))

    def make_op(w: int) -> Callable[[int], None]:
        def op(i: int) -> None:
            draft = _draft(ws, w, i)
            with ws.session() as session, session.begin():
                ws.audit.append_in(session, [draft])
        return op

    before = _checkpoints(ws)
    latencies, elapsed = hammer(writers, count, max_seconds, make_op)
    return summarise("synthguard commit per append", backend, writers, latencies, elapsed,
                     _checkpoints(ws) - before)


def _checkpoints(ws: Workspace) -> int:
    with ws.session() as session:
        return int(session.scalar(select(func.count()).select_from(CheckpointRow)) or 0)


def verify_into(ws: Workspace, result: Result) -> None:
    start = time.perf_counter()
    outcome = ws.audit.verify()
    result.verify_seconds = time.perf_counter() - start
    result.verified, result.verify_reason = outcome.ok, outcome.reason
    result.verify_entries, result.verify_checkpoints = outcome.entries, outcome.checkpoints


# ------------------------------------------------------------------------------------------
# The plain sqlite3 peer
# ------------------------------------------------------------------------------------------

_PEER_SCHEMA = """CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY, time TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    object TEXT NOT NULL, digest TEXT NOT NULL, details TEXT NOT NULL)"""
_PEER_INSERT = "INSERT INTO entries (time, actor, action, object, digest, details) VALUES (?, ?, ?, ?, ?, ?)"


def _peer_connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def _peer_row(w: int, i: int) -> tuple[str, ...]:
    return (datetime.now(UTC).isoformat(), ACTOR, "bench.append", f"bench://writer-{w}/{i}",
            "sha256:" + "ab" * 32, json.dumps({"writer": w, "i": i, "note": "benchmark append"}))


def _peer_insert(conn: sqlite3.Connection, row: tuple[str, ...]) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(_PEER_INSERT, row)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def sqlite_peer(path: Path, writers: int, count: int, max_seconds: float, shared: bool) -> Result:
    setup = _peer_connect(path)
    setup.execute(_PEER_SCHEMA)
    lock = threading.Lock()
    conns: dict[int, sqlite3.Connection] = {}

    def make_op(w: int) -> Callable[[int], None]:
        if shared:
            def locked(i: int) -> None:
                row = _peer_row(w, i)
                with lock:
                    _peer_insert(setup, row)
            return locked
        conn = conns[w] = _peer_connect(path)
        return lambda i: _peer_insert(conn, _peer_row(w, i))

    def finish(w: int) -> None:
        if w in conns:
            conns.pop(w).close()

    latencies, elapsed = hammer(writers, count, max_seconds, make_op, finish)
    setup.close()
    how = "1 connection + lock" if shared else "connection per thread"
    result = summarise(f"sqlite3 commit per row ({how})" if writers > 1 else "sqlite3 commit per row",
                       "sqlite", writers, latencies, elapsed, len(latencies))
    return result


# ------------------------------------------------------------------------------------------
# PostgreSQL (optional)
# ------------------------------------------------------------------------------------------


@contextmanager
def pg_database(admin_url: str) -> Iterator[str]:
    """A new database on the server at ``admin_url``, dropped afterwards (as tests/conftest.py does)."""
    name = f"sgbench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        except SQLAlchemyError:
            pass
        admin.dispose()


def pg_server_version(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar())
    finally:
        engine.dispose()


# ------------------------------------------------------------------------------------------
# Running and reporting
# ------------------------------------------------------------------------------------------


def filesystem_of(path: Path) -> str:
    """The mount's filesystem type (tmpfs would make fsync free and the figures meaningless)."""
    best, kind = "", "unknown"
    try:
        with open("/proc/mounts") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and str(path).startswith(parts[1]) and len(parts[1]) > len(best):
                    best, kind = parts[1], parts[2]
    except OSError:
        pass
    return kind


def machine(directory: Path) -> dict[str, Any]:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    return {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"), "cpus": os.cpu_count(),
            "cpu": model or platform.processor(), "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "sqlalchemy": sqlalchemy.__version__,
            "synthguard": sg.__version__, "system": platform.platform(),
            "directory": str(directory), "filesystem": filesystem_of(directory.resolve())}


def run(args: argparse.Namespace, root: Path) -> tuple[list[Result], list[str]]:
    results: list[Result] = []
    notes: list[str] = []
    w, n, cap = args.writers, args.count, args.max_seconds

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    progress(f"sqlite3 commit per row, 1 writer x {min(n, 200)} ...")
    results.append(sqlite_peer(root / "peer-1.db", 1, min(n, 200), cap, shared=False))

    results.append(repeated(args.repeat, lambda k: _sqlite_group(root, k, w, n, cap), progress,
                            f"synthguard group commit, {w} writers x {n}"))

    progress(f"synthguard commit per append, {w} writers x {n} (max {cap:g} s) ...")
    with workspace(root, "naive", f"sqlite:///{root / 'naive.db'}") as ws:
        results.append(commit_per_append(ws, w, n, cap, "sqlite"))
        verify_into(ws, results[-1])

    for shared in {"both": (False, True), "thread": (False,), "lock": (True,)}[args.peer]:
        how = "1 connection + lock" if shared else "connection per thread"
        progress(f"sqlite3 commit per row ({how}), {w} writers x {n} (max {cap:g} s) ...")
        results.append(sqlite_peer(root / f"peer-{int(shared)}.db", w, n, cap, shared=shared))

    pg_url = os.environ.get(PG_ENV)
    if not pg_url:
        notes.append(f"PostgreSQL: skipped ({PG_ENV} is not set; `scripts/postgres.sh start DIR` prints a URL)")
        return results, notes
    try:
        notes.append(f"PostgreSQL: server {pg_server_version(pg_url)} at {make_url(pg_url).host}")
        results.append(repeated(args.repeat, lambda k: _pg_run(pg_url, root, f"pg-group-{k}", group_commit,
                                                               w, n, cap), progress,
                                f"postgresql synthguard group commit, {w} writers x {n}"))
        progress(f"postgresql synthguard commit per append, {w} writers x {n} (max {cap:g} s) ...")
        results.append(_pg_run(pg_url, root, "pg-naive", commit_per_append, w, n, cap))
    except (SQLAlchemyError, sg.SynthGuardError, OSError) as exc:
        notes.append(f"PostgreSQL: skipped after an error: {exc.__class__.__name__}: {exc}".splitlines()[0])
    return results, notes


def repeated(times: int, one: Callable[[int], Result], progress: Callable[[str], None],
             label: str) -> Result:
    """Run ``one`` ``times`` times; the run with the median throughput, carrying all runs' figures."""
    results = []
    for k in range(times):
        progress(f"{label} (run {k + 1} of {times}) ...")
        results.append(one(k))
    chosen = sorted(results, key=lambda r: r.per_s)[(len(results) - 1) // 2]
    chosen.runs = [{"per_s": r.per_s, "p50_ms": r.p50_ms, "p99_ms": r.p99_ms, "max_ms": r.max_ms,
                    "verified": bool(r.verified), "verify_seconds": r.verify_seconds or 0.0} for r in results]
    if any(r.verified is False for r in results):
        chosen.verified = False
        chosen.verify_reason = next(r.verify_reason for r in results if r.verified is False)
    return chosen


def _sqlite_group(root: Path, k: int, writers: int, count: int, cap: float) -> Result:
    with workspace(root, f"group-{k}", f"sqlite:///{root / f'group-{k}.db'}") as ws:
        result = group_commit(ws, writers, count, cap, "sqlite")
        verify_into(ws, result)
    return result


def _pg_run(admin_url: str, root: Path, name: str, method: Callable[..., Result], writers: int, count: int,
            cap: float) -> Result:
    with pg_database(admin_url) as url, workspace(root, name, url) as ws:
        result: Result = method(ws, writers, count, cap, "postgresql")
        verify_into(ws, result)
    return result


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None or math.isnan(value) else format(value, spec)


def print_table(info: dict[str, Any], args: argparse.Namespace, results: list[Result], notes: list[str]) -> None:
    print(f"date: {info['date']}")
    print(f"machine: {info['cpus']} CPUs, {info['cpu']}; {info['system']}")
    print(f"software: Python {info['python']}, SQLite {info['sqlite']}, SQLAlchemy {info['sqlalchemy']}, "
          f"SynthGuard {info['synthguard']}")
    print(f"databases: {info['directory']} ({info['filesystem']}); SQLite WAL + synchronous=FULL")
    print(f"load: {args.writers} writers x {args.count} appends (each method stops after "
          f"{args.max_seconds:g} s); target >= {TARGET_PER_S:,.0f}/s with p99 < {TARGET_P99_MS:g} ms\n")
    header = ["method", "db", "writers", "appends", "seconds", "appends/s", "p50 ms", "p99 ms", "max ms",
              "commits", "per commit", "target"]
    rows = []
    for r in results:
        per_commit = r.appends / r.commits if r.commits else None
        rows.append([r.method, r.backend, str(r.writers), str(r.appends), _fmt(r.seconds, ".2f"),
                     _fmt(r.per_s, ",.0f"), _fmt(r.p50_ms, ".1f"), _fmt(r.p99_ms, ".1f"),
                     _fmt(r.max_ms, ".1f"), "-" if r.commits is None else str(r.commits),
                     _fmt(per_commit, ".1f"),
                     "-" if r.writers == 1 else "yes" if r.meets_target else "no"])
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    print("  ".join(h.ljust(widths[0]) if i == 0 else h.rjust(widths[i]) for i, h in enumerate(header)))
    for row in rows:
        print("  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(row)))
    print()
    for r in results:
        if r.verified is not None:
            status = "verified" if r.verified else "FAILED"
            print(f"verify after {r.method} ({r.backend}): {status} in {_fmt(r.verify_seconds, '.2f')} s "
                  f"-- {r.verify_reason}")
    for r in results:
        if len(r.runs) > 1:
            runs = "; ".join(f"{x['per_s']:,.0f}/s p99 {x['p99_ms']:.1f} ms "
                             f"({'verified' if x['verified'] else 'VERIFY FAILED'} in {x['verify_seconds']:.2f} s)"
                             for x in r.runs)
            print(f"all {len(r.runs)} runs of {r.method} ({r.backend}): {runs}")
    for note in notes:
        print(note)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--writers", type=int, default=64, help="concurrent writer threads")
    parser.add_argument("--count", type=int, default=300, help="appends per writer")
    parser.add_argument("--max-seconds", type=float, default=15.0,
                        help="stop each method's writers after this long (slow methods append fewer)")
    parser.add_argument("--dir", help="directory for the databases (default: a new temporary directory, "
                                      "removed afterwards)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="group-commit runs (fresh database each); the median-throughput run is shown")
    parser.add_argument("--peer", choices=("both", "thread", "lock"), default="both",
                        help="sqlite3 peer: a connection per writer thread, one connection behind a lock, or both")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    if args.writers < 1 or args.count < 1 or args.repeat < 1:
        parser.error("--writers, --count and --repeat must be positive")

    root = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="synthguard-bench-audit-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        info = machine(root)
        results, notes = run(args, root)
    finally:
        if not args.dir:
            shutil.rmtree(root, ignore_errors=True)
    failed = any(r.verified is False for r in results)
    if args.json:
        print(json.dumps({"machine": info, "writers": args.writers, "count": args.count,
                          "max_seconds": args.max_seconds, "repeat": args.repeat, "peer": args.peer,
                          "target": {"appends_per_s": TARGET_PER_S, "p99_ms": TARGET_P99_MS},
                          "results": [asdict(r) | {"meets_target": r.meets_target} for r in results],
                          "notes": notes}, indent=2))
    else:
        print_table(info, args, results, notes)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
