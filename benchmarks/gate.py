"""Benchmark of the gate's fingerprint check: fp-v1 + probe of a Parquet file against 100 M registered rows, with peers.

What it measures, in one run on this machine (warm page cache: every file was just written or read):

* **the data** (deterministic, seeded; generated once into ``--workdir`` and reused while ``meta.json``
  matches the seed, sizes and generator version): ``data.parquet``, ``--rows`` (10 M) rows of 8 columns —
  ``id`` int64, ``qty`` int32, ``price`` float64, ``name`` string (15–25 characters), ``active`` bool,
  ``day`` date32, ``ts`` timestamp[us, UTC], ``note`` string (5–40 characters, 30 % null) — written by
  pyarrow with its defaults (snappy, dictionary encoding with fallback) in row groups of 1 Mi rows.
  1 % of its rows (100 k) are *members*: their fp-v1 fingerprints are among the ``--registered`` (100 M)
  registered fingerprints, which are those 100 k plus 99.9 M random 64-bit values. The random values
  stand in for the rows of other registered versions; for the index that is equivalent, because fp-v1
  (XXH64) output is uniformly distributed. ``keys.parquet`` holds, row for row, each data row's fp-v1 as
  an int64 column ``key``, and ``registered.parquet`` the 100 M registered keys: the peers get the key
  *precomputed*, so they only do the membership check (the least work they could do).
* **SynthGuard**: the index build (:meth:`FingerprintIndex.add` of the 100 M, the real call: partition,
  sort, checksum, fsync; on both cores) — seconds, seconds per 100 M, bytes per fingerprint on disk;
  **false positives**: 10 M random fingerprints probed, each hit checked against the exact registered
  set, false hits / non-members; then **end to end** — open the index, read ``data.parquet`` in batches of
  1 Mi rows, fp-v1 over the 8 columns, probe, count the members found (must be the 100 k, plus any false
  positives) — in these variants, each with the CPU seconds of its stages (Parquet decode, fp-v1, probe):

  - ``1 thread``: ``pq.ParquetFile(...).iter_batches(use_threads=False)``, ``threads=1``: the headline
    per-core figure checked against the target;
  - ``1 thread, mmap read``: the same with ``memory_map=True`` (no ``read()`` copies out of the page cache);
  - ``2 threads``: pyarrow's threaded decode, ``threads=2`` for fp-v1 and the probe;
  - ``2 threads: decode ‖ fp+probe``: one thread decodes the next batch while the other hashes and
    probes the current one (mmap read);
  - ``1 thread, mmap read, index loaded``: only where :class:`FingerprintIndex` takes ``memory=``: the
    index copied into (huge-page) private memory at open, the copy included in the time;

  and the **product path**: :func:`run_gate` with ``Gate([FingerprintDetector([ActiveSet(...)])])``,
  policy ``quarantine`` (quarantined rows and sidecar written, no clean-output file), the product's
  reader and batch size. Each is timed ``--repeat`` times after one warm-up pass; the fastest is kept.
* **peers** on the same files, each in its own subprocess (time-boxed by ``--peer-timeout``, killed when
  its resident memory passes ``--peer-mem-gib``; pandas-based peers also get ``RLIMIT_AS`` so they fail
  with MemoryError rather than take the machine down): polars ``pl.col("key").is_in(registered)`` over a
  lazy scan of ``keys.parquet``; a DuckDB ``ANTI JOIN`` of ``read_parquet(keys.parquet)`` against the
  registered keys loaded into a DuckDB table; pandera (pandas) ``Check.notin`` — pandera's ``isin``
  check negated, since the registered keys are a blocklist — with a short ``error=`` message (pandera's
  default message is the repr of every forbidden value, copied into every failure case; that
  configuration is run too, as "default message"); and Great Expectations 1.x
  ``ExpectColumnValuesToNotBeInSet`` (ephemeral context, pandas datasource). Each peer's set-up
  (loading the registered keys into its structure, building the schema / expectation) is timed apart
  and shown in the notes; *seconds* is the check itself (reading the key column included), fastest of
  ``--repeat`` (GE: one run). pandera and GE hold every registered value as Python objects and cannot
  hold 100 M, so they run at ``--small-rows`` rows × ``--small-registered`` registered keys (1 M × 1 M:
  the first rows of ``keys.parquet``; the members among them plus random registered keys); GE, whose
  cost grows with the value set (it copies the expectation's configuration, value set included, over
  a hundred times per validation), also at ``--gx-registered`` (100 k), and pandera is tried at full size
  unless ``--no-full-pandas-peers``. Whatever happens (finished, "did not finish in N s", "out of
  memory") is printed with the size next to it.

How to read it: *rows/s* is rows over wall seconds; *cores* is CPU seconds over wall seconds;
*rows/s/core* is rows / (wall × cores used) = rows per CPU second of the process (user + system, every
thread), so a run on two threads is not credited for the second core, and waiting for a core on a
shared machine (which the wall clock counts) is not held against a method. The SynthGuard figures are
checked against DESIGN.md's targets (≥ 10 M rows/s/core end to end, ≤ 5 B per fingerprint, build ≤ 5 s
per 100 M, false positives ≤ 1e-6) and marked PASS / MISS; "fp-v1+probe alone" applies the throughput
target to the CPU SynthGuard itself spends (decoded batches in). ``--profile`` adds cProfile's top
entries for the single-threaded run and the decode CPU of each column read alone.

Usage::

    .venv/bin/python benchmarks/gate.py                  # 10 M rows, 100 M registered (about 5 minutes)
    .venv/bin/python benchmarks/gate.py --rows 1000000 --registered 10000000   # scaled down (~40 s)
    .venv/bin/python benchmarks/gate.py --json            # machine-readable figures

Generating the data the first time adds about 30 s and 1.5 GB in ``--workdir``. Peak memory: about
3.5 GiB in this process; a peer subprocess is capped by ``--peer-mem-gib`` (12 GiB; pandera at full
size reaches about 9.5 GiB before its MemoryError).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import inspect
import io
import itertools
import json
import os
import platform
import pstats
import queue
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from synthguard.fingerprint.fpv1 import ColumnSet, fingerprint
from synthguard.fingerprint.index import FingerprintIndex
from synthguard.fingerprint.sets import ActiveSet
from synthguard.gate import GateOptions, run_gate
from synthguard.gate.check import Gate
from synthguard.gate.detectors.fingerprint import FingerprintDetector

SEED = 20250611
DATA_VERSION = 1  # bump when the generator changes: cached data with another version is regenerated
ROW_GROUP = 1 << 20
BATCH = 1 << 20
MEMBER_SHARE = 0.01
INDEX_KEY = "bench-v1"
INDEX_REF = "bench@1"
U64 = npt.NDArray[np.uint64]
GIB = 1 << 30

TARGETS = {"rows_per_s_per_core": 10e6, "bytes_per_fp": 5.0, "build_s_per_100m": 5.0, "false_positive_rate": 1e-6}


# ---- small helpers


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as handle:
        model = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "")
    return {"cpus": os.cpu_count(), "cpu": model or platform.processor(), "python": platform.python_version(),
            "system": platform.platform(), "pyarrow": pa.__version__, "numpy": np.__version__}


def cpu_seconds() -> float:
    """User + system CPU seconds of this process, every thread."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Clock:
    """Wall and CPU seconds of a ``with`` block."""

    wall = 0.0
    cpu = 0.0

    def __enter__(self) -> Clock:
        self._wall, self._cpu = time.perf_counter(), cpu_seconds()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = cpu_seconds() - self._cpu


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[Clock, Any]:
    """(the clock of the fastest of ``repeat`` runs on the wall clock, that run's result)."""
    best: tuple[Clock, Any] | None = None
    for _ in range(max(1, repeat)):
        with Clock() as clock:
            result = fn()
        if best is None or clock.wall < best[0].wall:
            best = (clock, result)
    assert best is not None
    return best


def rates(rows: int, wall: float, cpu: float) -> dict[str, Any]:
    """rows/s on the wall clock, and per core: rows / (wall × cores used) with cores used = CPU / wall,
    i.e. rows per CPU second (on a shared machine the wall clock also counts waiting for a core)."""
    cores = cpu / wall if wall > 0 else 0.0
    return {"seconds": round(wall, 3), "cpu_seconds": round(cpu, 3), "cores_used": round(cores, 2),
            "rows_per_s": rows / wall if wall > 0 else None,
            "rows_per_s_per_core": rows / cpu if cpu > 0 else None}


def random_fps(rng: np.random.Generator, n: int) -> U64:
    return rng.integers(0, np.iinfo(np.uint64).max, size=n, dtype=np.uint64, endpoint=True)


def rss_gib() -> float:
    """This process's resident memory now, in GiB."""
    return round(_rss_bytes(os.getpid()) / GIB, 2)


def peak_rss_gib() -> dict[str, float]:
    """Peak resident memory of this process and of its largest (waited-for) child, in GiB (ru_maxrss is KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1 << 20)
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / (1 << 20)
    return {"self": round(own, 2), "largest_child": round(child, 2)}


# ---- the data set


COLUMNS = ("active", "day", "id", "name", "note", "price", "qty", "ts")


def _strings(rng: np.random.Generator, n: int, shortest: int, longest: int,
             valid: npt.NDArray[np.bool_] | None = None) -> pa.Array:
    """``n`` random ASCII strings of ``shortest``..``longest`` characters (null where ``valid`` is False)."""
    alphabet = np.frombuffer(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_.@", np.uint8)
    lengths = rng.integers(shortest, longest + 1, n, dtype=np.int32)
    if valid is not None:
        lengths[~valid] = 0
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(lengths, out=offsets[1:])
    data = alphabet[rng.integers(0, alphabet.size, int(offsets[-1]), dtype=np.uint8)]
    if valid is None:
        return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data), bitmap, int(n - valid.sum()))


def make_batch(rng: np.random.Generator, start: int, n: int) -> pa.RecordBatch:
    """Rows ``start .. start + n`` of the data set: 8 mixed columns, ``note`` 30 % null."""
    micros = rng.integers(1_500_000_000_000_000, 1_800_000_000_000_000, n, dtype=np.int64)
    return pa.record_batch({
        "id": pa.array(np.arange(start, start + n, dtype=np.int64)),
        "qty": pa.array(rng.integers(-1000, 100_000, n, dtype=np.int32)),
        "price": pa.array(np.round(rng.random(n) * 1000.0, 2)),
        "name": _strings(rng, n, 15, 25),
        "active": pa.array(rng.random(n) < 0.5),
        "day": pa.array(rng.integers(0, 20_000, n, dtype=np.int32).astype("datetime64[D]"), pa.date32()),
        "ts": pa.array(micros.astype("datetime64[us]"), pa.timestamp("us", tz="UTC")),
        "note": _strings(rng, n, 5, 40, valid=rng.random(n) >= 0.3),
    })


@contextlib.contextmanager
def _writer(path: Path, schema: pa.Schema) -> Iterator[pq.ParquetWriter]:
    temp = path.with_name(path.name + ".tmp")
    writer = pq.ParquetWriter(temp, schema)
    try:
        yield writer
    except BaseException:
        writer.close()
        temp.unlink(missing_ok=True)
        raise
    writer.close()
    os.replace(temp, path)


def prepare(workdir: Path, rows: int, registered: int, log: Callable[[str], None]) -> tuple[Path, dict[str, Any]]:
    """The data directory for (seed, rows, registered), generated unless ``meta.json`` there matches."""
    members = int(rows * MEMBER_SHARE)
    if members > registered:
        raise SystemExit(f"--registered ({registered}) must be at least the member rows ({members})")
    wanted = {"seed": SEED, "version": DATA_VERSION, "rows": rows, "registered": registered, "members": members,
              "row_group": ROW_GROUP, "columns": list(COLUMNS)}
    directory = workdir / f"gate-r{rows}-reg{registered}-s{SEED}"
    meta_path = directory / "meta.json"
    files = [directory / f for f in ("data.parquet", "keys.parquet", "registered.parquet")]
    with contextlib.suppress(OSError, ValueError):
        meta = json.loads(meta_path.read_text())
        if {k: meta.get(k) for k in wanted} == wanted and all(f.exists() for f in files):
            log(f"reusing the data in {directory}")
            return directory, meta
    log(f"generating {rows:,} rows and {registered:,} registered fingerprints into {directory} (seed {SEED}) ...")
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    started = time.perf_counter()
    rng = np.random.default_rng(SEED)
    member_rows = np.sort(rng.choice(rows, size=members, replace=False))
    column_set = ColumnSet(COLUMNS)
    member_fps = []
    schema = make_batch(np.random.default_rng(0), 0, 1).schema
    key_schema = pa.schema([pa.field("key", pa.int64())])
    with _writer(files[0], schema) as data, _writer(files[1], key_schema) as keys:
        for start in range(0, rows, ROW_GROUP):
            n = min(ROW_GROUP, rows - start)
            batch = make_batch(rng, start, n)
            fps = fingerprint(batch, column_set)
            data.write_batch(batch, row_group_size=ROW_GROUP)
            keys.write_batch(pa.record_batch([pa.array(fps.view(np.int64))], schema=key_schema),
                             row_group_size=ROW_GROUP)
            inside = member_rows[(member_rows >= start) & (member_rows < start + n)] - start
            member_fps.append(fps[inside])
    with _writer(files[2], key_schema) as out:
        chunk = 10 * ROW_GROUP
        first = np.concatenate(member_fps)
        for start in range(0, registered, chunk):
            n = min(chunk, registered - start)
            values = random_fps(rng, n)
            head = first[start:start + n]
            values[:head.size] = head
            out.write_batch(pa.record_batch([pa.array(values.view(np.int64))], schema=key_schema),
                            row_group_size=ROW_GROUP)
    meta = {**wanted, "generated_seconds": round(time.perf_counter() - started, 1)}
    np.save(directory / "member_rows.npy", member_rows)
    meta_path.write_text(json.dumps(meta, indent=1))
    log(f"generated in {meta['generated_seconds']} s")
    return directory, meta


def load_keys(path: Path) -> U64:
    """A one-column key file (int64) as uint64 fingerprints."""
    column = pq.read_table(path, columns=["key"]).column("key")
    return np.ascontiguousarray(column.to_numpy()).view(np.uint64)


# ---- SynthGuard


def warm_up(work: Path) -> None:
    """Compile every numba kernel and fault in pyarrow's code outside the timings."""
    rng = np.random.default_rng(1)
    batch = make_batch(rng, 0, 5000)
    fps = fingerprint(batch, ColumnSet(COLUMNS))
    fingerprint(batch, ColumnSet(COLUMNS), threads=2)
    index = FingerprintIndex(work / "warmup")
    index.add("a", fps)
    index.add("b", random_fps(rng, 1000), layout="compact")
    index.probe(fps)
    index.probe(fps, threads=2)
    index.close()
    shutil.rmtree(work / "warmup")


def build_figures(registered: U64, directory: Path) -> dict[str, Any]:
    with Clock() as clock:
        info = FingerprintIndex(directory).add(INDEX_KEY, registered)
    return {"fingerprints": int(registered.size), "entries": info.count, "layout": info.layout,
            "seconds": round(clock.wall, 3), "cpu_seconds": round(clock.cpu, 3),
            "seconds_per_100m": round(clock.wall * 1e8 / registered.size, 3), "bytes": info.nbytes,
            "bytes_per_fp": round(info.bytes_per_fingerprint, 3)}


def false_positive_figures(index: FingerprintIndex, registered: U64, rng: np.random.Generator,
                           count: int) -> dict[str, Any]:
    """``count`` random fingerprints probed; each hit is checked against the exact registered set."""
    probes = random_fps(rng, count)
    with Clock() as clock:
        hits = probes[index.probe(probes) >= 0]
    true_members = int(np.isin(hits, registered).sum()) if hits.size else 0
    false_hits = int(hits.size) - true_members
    segment = index.segments()[0]
    return {"probes": count, "hits": int(hits.size), "true_members_among_hits": true_members,
            "false_positives": false_hits, "rate": false_hits / (count - true_members),
            "expected_rate": segment.false_positive_rate, "layout": segment.layout,
            "probes_per_s": round(count / clock.wall)}


@dataclass(frozen=True)
class Variant:
    """One way of running read + fp-v1 + probe."""

    key: str
    label: str
    threads: int = 1  # fp-v1 and probe threads; >1 also turns on pyarrow's threaded decode
    memory_map: bool = False  # pq.ParquetFile(memory_map=True): no read() copies out of the page cache
    pipeline: bool = False  # decode on a second thread while this one hashes and probes the previous batch
    index_memory: str | None = None  # FingerprintIndex(memory=...) where the installed index supports it


VARIANTS = (
    Variant("serial", "1 thread"),
    Variant("serial_mmap", "1 thread, mmap read", memory_map=True),
    Variant("threads2", "2 threads", threads=2),
    Variant("pipeline", "2 threads: decode ‖ fp+probe", memory_map=True, pipeline=True),
    Variant("serial_mmap_load", "1 thread, mmap read, index loaded", memory_map=True, index_memory="load"),
)


def _index_supports_memory() -> bool:
    return "memory" in inspect.signature(FingerprintIndex).parameters


def _read_ahead(batches: Iterator[pa.RecordBatch], clock: dict[str, float]) -> Iterator[pa.RecordBatch]:
    """``batches`` decoded on a background thread, up to two ahead; its CPU seconds land in ``clock``."""
    handoff: queue.Queue[pa.RecordBatch | BaseException | None] = queue.Queue(maxsize=2)

    def produce() -> None:
        start = time.thread_time()
        try:
            for batch in batches:
                handoff.put(batch)
            handoff.put(None)
        except BaseException as exc:  # handed to the consumer
            handoff.put(exc)
        clock["read"] = time.thread_time() - start

    worker = threading.Thread(target=produce, name="parquet-read-ahead", daemon=True)
    worker.start()
    while (item := handoff.get()) is not None:
        if isinstance(item, BaseException):
            raise item
        yield item
    worker.join()


def end_to_end(data: Path, index_dir: Path, variant: Variant, *, profile: bool = False) -> dict[str, Any]:
    """Read ``data`` in batches, fp-v1 every row, probe: wall and CPU seconds, and the CPU seconds per stage.

    Stage CPU is process CPU around each call, or (pipeline) each thread's own CPU time."""
    column_set = ColumnSet(COLUMNS)
    stage = {"read": 0.0, "fingerprint": 0.0, "probe": 0.0}
    rows = found = batches = 0
    profiler = cProfile.Profile() if profile else None
    clock_of = time.thread_time if variant.pipeline else cpu_seconds
    with Clock() as clock:
        if profiler:
            profiler.enable()
        options = {"memory": variant.index_memory} if variant.index_memory else {}
        index = FingerprintIndex(index_dir, **options)  # type: ignore[arg-type]
        handle = pq.ParquetFile(data, memory_map=variant.memory_map)
        iterator = handle.iter_batches(batch_size=BATCH, columns=list(COLUMNS),
                                       use_threads=variant.threads > 1 and not variant.pipeline)
        reader_clock: dict[str, float] = {}
        if variant.pipeline:
            iterator = _read_ahead(iterator, reader_clock)
        while True:
            t0 = clock_of()
            batch = next(iterator, None)
            t1 = clock_of()
            stage["read"] += t1 - t0
            if batch is None:
                break
            fps = fingerprint(batch, column_set, threads=variant.threads)
            t2 = clock_of()
            positions = index.probe(fps, threads=variant.threads)
            t3 = clock_of()
            found += int(np.count_nonzero(positions >= 0))
            rows += batch.num_rows
            batches += 1
            stage["fingerprint"] += t2 - t1
            stage["probe"] += t3 - t2
        index.close()
        if profiler:
            profiler.disable()
    if variant.pipeline:
        stage["read"] = reader_clock.get("read", 0.0)  # the consumer's waits are not decode work
    result = {"variant": variant.key, "label": variant.label, "rows": rows, "batches": batches, "batch_rows": BATCH,
              "threads": 2 if variant.pipeline else variant.threads, "found": found,
              **rates(rows, clock.wall, clock.cpu),
              "stage_cpu_seconds": {k: round(v, 3) for k, v in stage.items()},
              "stage_rows_per_cpu_s": {k: (rows / v if v > 0 else None) for k, v in stage.items()}}
    if profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(15)
        result["profile"] = text.getvalue()
    return result


def decode_by_column(data: Path) -> dict[str, float]:
    """CPU seconds to decode each column alone (single-threaded, batches of ``BATCH`` rows)."""
    seconds = {}
    for column in COLUMNS:
        def read(column: str = column) -> None:
            for _ in pq.ParquetFile(data).iter_batches(batch_size=BATCH, columns=[column], use_threads=False):
                pass
        seconds[column] = round(min(best_of(1, read)[0].cpu for _ in range(2)), 3)
    return seconds


def product_path(data: Path, index_dir: Path, work: Path, repeat: int) -> dict[str, Any]:
    """The real run_gate with a fingerprint-only gate, policy quarantine (rows + sidecar written)."""
    options = GateOptions(policy="quarantine", quarantine=work / "quarantine")
    runs = itertools.count()

    def once() -> Any:
        active = ActiveSet(ColumnSet(COLUMNS), FingerprintIndex(index_dir), {INDEX_KEY: INDEX_REF})
        run = run_gate(Gate([FingerprintDetector([active])]), data, options, run_id=f"bench-{next(runs)}")
        active.index.close()
        return run

    clock, run = best_of(repeat, once)
    return {"rows": run.rows_in, "quarantined": run.quarantined, "clean": run.clean, "versions": run.versions,
            "batch_rows": options.batch_rows, **rates(run.rows_in, clock.wall, clock.cpu)}


# ---- peers (each runs in a subprocess: ``gate.py --peer NAME --peer-spec JSON``)


def _peer_polars(spec: dict[str, Any]) -> dict[str, Any]:
    import polars as pl

    with Clock() as setup:
        registered = pl.read_parquet(spec["registered"]).get_column("key")
    check, found = best_of(spec["repeat"], lambda: pl.scan_parquet(spec["keys"])
                           .select(pl.col("key").is_in(registered).sum()).collect().item())
    return {"setup_seconds": setup.wall, "wall": check.wall, "cpu": check.cpu, "found": int(found),
            "rows": spec["rows"], "registered": int(registered.len()), "version": pl.__version__,
            "threads": pl.thread_pool_size()}


def _peer_duckdb(spec: dict[str, Any]) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET memory_limit='{spec['memory_gib']}GB'")
    with Clock() as setup:
        con.execute("CREATE TABLE registered AS SELECT key FROM read_parquet($path)", {"path": spec["registered"]})
    check, row = best_of(spec["repeat"], lambda: con.execute(
        "SELECT count(*) FROM read_parquet($path) t ANTI JOIN registered r USING (key)", {"path": spec["keys"]},
    ).fetchone())
    assert row is not None
    clean = int(row[0])
    registered = con.execute("SELECT count(*) FROM registered").fetchone()
    assert registered is not None
    threads = con.execute("SELECT current_setting('threads')").fetchone()
    return {"setup_seconds": setup.wall, "wall": check.wall, "cpu": check.cpu, "found": spec["rows"] - clean,
            "rows": spec["rows"], "registered": int(registered[0]), "version": duckdb.__version__,
            "threads": threads[0] if threads else None}


def _small_inputs(spec: dict[str, Any]) -> tuple[Any, list[int]]:
    """The first ``rows`` keys as a pandas frame and ``registered`` registered keys as a Python list."""
    keys = pq.ParquetFile(spec["keys"])
    if spec["rows"] < keys.metadata.num_rows:
        table = pa.Table.from_batches([next(keys.iter_batches(batch_size=spec["rows"], columns=["key"]))])
    else:
        table = keys.read(columns=["key"])
    frame = table.to_pandas()
    registered = pq.read_table(spec["registered"]).column("key")
    if spec["registered_count"] < len(registered):
        # The members among these rows plus other registered keys, up to the size asked for.
        member_rows = np.load(spec["member_rows"])
        member_keys = frame["key"].to_numpy()[member_rows[member_rows < len(frame)]]
        others = registered.slice(int(spec["members_total"]), spec["registered_count"] - member_keys.size)
        values = np.concatenate([member_keys, others.to_numpy()]).tolist()
    else:
        values = registered.to_numpy().tolist()
    del registered
    return frame, values


def _peer_pandera(spec: dict[str, Any]) -> dict[str, Any]:
    import pandera.pandas as pa_

    frame, values = _small_inputs(spec)
    # By default pandera's error message is the repr of every forbidden value, copied into each failure
    # case; a short message is the configuration that does the least work ("pandera_default" keeps it).
    options = {} if spec.get("default_message") else {"error": "registered key"}
    with Clock() as setup:
        schema = pa_.DataFrameSchema({"key": pa_.Column("int64", checks=pa_.Check.notin(values, **options))})
    count = len(values)
    del values
    def validate() -> int:
        try:
            schema.validate(frame, lazy=True)
        except pa_.errors.SchemaErrors as errors:
            return len(errors.failure_cases)
        return 0

    check, found = best_of(spec["repeat"], validate)
    import pandera

    return {"setup_seconds": setup.wall, "wall": check.wall, "cpu": check.cpu, "found": found,
            "rows": len(frame), "registered": count, "version": pandera.__version__, "threads": 1}


def _peer_gx(spec: dict[str, Any]) -> dict[str, Any]:
    import logging

    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    frame, values = _small_inputs(spec)
    count = len(values)
    with Clock() as setup:
        context = gx.get_context(mode="ephemeral")
        source = context.data_sources.add_pandas("bench")
        asset = source.add_dataframe_asset("keys")
        definition = asset.add_batch_definition_whole_dataframe("all")
        expectation = gx.expectations.ExpectColumnValuesToNotBeInSet(column="key", value_set=values)
    del values
    check, result = best_of(spec["repeat"], lambda: definition.get_batch(
        batch_parameters={"dataframe": frame}).validate(expectation))
    return {"setup_seconds": setup.wall, "wall": check.wall, "cpu": check.cpu,
            "found": int(result.result["unexpected_count"]), "rows": len(frame), "registered": count,
            "version": gx.__version__, "threads": 1}


def _peer_pandera_default(spec: dict[str, Any]) -> dict[str, Any]:
    return _peer_pandera({**spec, "default_message": True})


PEERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "polars": _peer_polars, "duckdb": _peer_duckdb, "pandera": _peer_pandera,
    "pandera_default": _peer_pandera_default, "great_expectations": _peer_gx}
PANDAS_PEERS = ("pandera", "pandera_default", "great_expectations")
PEER_LABELS = {"polars": "polars is_in", "duckdb": "DuckDB anti-join", "pandera": "pandera Check.notin",
               "pandera_default": "pandera Check.notin, default message",
               "great_expectations": "GX not_be_in_set"}


def peer_main(name: str, spec: dict[str, Any]) -> int:
    """Child side: run one peer, print its figures as one JSON line."""
    if name in PANDAS_PEERS:  # pandas / numpy honour the address-space limit with a MemoryError
        limit = int(spec["memory_gib"] * GIB)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        result = PEERS[name](spec)
    except MemoryError:
        result = {"error": f"out of memory (MemoryError: an allocation passed the {spec['memory_gib']:g} GiB "
                           "address-space limit)"}
    print(json.dumps(result), flush=True)
    return 0


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def run_peer(name: str, spec: dict[str, Any], timeout: float, memory_gib: float) -> dict[str, Any]:
    """Run a peer in a subprocess; kill it past ``timeout`` seconds or ``memory_gib`` resident."""
    spec = {**spec, "memory_gib": memory_gib}
    command = [sys.executable, str(Path(__file__).resolve()), "--peer", name, "--peer-spec", json.dumps(spec)]
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "TQDM_DISABLE": "1"}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        peak = 0
        outcome = None
        while child.poll() is None:
            peak = max(peak, _rss_bytes(child.pid))
            elapsed = time.perf_counter() - started
            if peak > memory_gib * GIB:
                outcome = f"out of memory (resident memory passed {memory_gib:g} GiB; killed)"
            elif elapsed > timeout:
                outcome = f"did not finish in {timeout:g} s (killed)"
            if outcome:
                child.send_signal(signal.SIGKILL)
                child.wait()
                break
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        lines = out.read().decode("utf-8", "replace").strip().splitlines()
        errors = err.read().decode("utf-8", "replace").strip().splitlines()
    result: dict[str, Any] = {"peer": name, "total_seconds": round(elapsed, 1), "peak_rss_gib": round(peak / GIB, 2)}
    if outcome:
        return {**result, "error": outcome}
    try:
        figures = json.loads(lines[-1])
    except (IndexError, ValueError):
        tail = next((e for e in reversed(errors) if e.strip()), f"exit code {child.returncode}")
        if child.returncode and child.returncode < 0:
            tail = f"killed by signal {-child.returncode}"
        return {**result, "error": f"failed: {tail[:200]}"}
    if "error" in figures:
        return {**result, **figures}
    return {**result, **figures, **rates(int(figures["rows"]), figures["wall"], figures["cpu"]),
            "setup_seconds": round(figures["setup_seconds"], 3)}


def peer_plan(args: argparse.Namespace, directory: Path, members: int) -> list[tuple[str, dict[str, Any]]]:
    """(peer, spec) in run order: polars and DuckDB at full size; pandera and GE at sizes they survive,
    then at the next size up (or full size), time-boxed, to show where they stop."""
    base = {"keys": str(directory / "keys.parquet"), "registered": str(directory / "registered.parquet"),
            "member_rows": str(directory / "member_rows.npy"), "members_total": members}

    def sized(rows: int, registered: int) -> dict[str, Any]:
        return {**base, "rows": min(rows, args.rows), "registered_count": min(registered, args.registered)}

    full = sized(args.rows, args.registered)
    small = sized(args.small_rows, args.small_registered)
    gx_small = sized(args.small_rows, args.gx_registered)
    plan = [("polars", full), ("duckdb", full), ("pandera", small), ("pandera_default", small),
            ("great_expectations", gx_small)]
    if gx_small != small:
        plan.append(("great_expectations", small))
    if not args.no_full_pandas_peers and small != full:
        plan.append(("pandera", full))  # GE is not tried at full size: it does not finish at the small size
    return plan


def run_peers(args: argparse.Namespace, directory: Path, members: int,
              log: Callable[[str], None]) -> list[dict[str, Any]]:
    results = []
    for name, spec in peer_plan(args, directory, members):
        log(f"peer {name}: {spec['rows']:,} rows, {spec['registered_count']:,} registered ...")
        repeat = 1 if name == "great_expectations" else args.repeat  # GE: one run takes up to the time box
        result = run_peer(name, {**spec, "repeat": repeat}, args.peer_timeout, args.peer_mem_gib)
        result.setdefault("rows", spec["rows"])
        result.setdefault("registered", spec["registered_count"])
        results.append(result)
    return results


# ---- the run


def run(args: argparse.Namespace, log: Callable[[str], None]) -> dict[str, Any]:
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    report: dict[str, Any] = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M"),
                              "command": " ".join([os.path.basename(sys.executable), *sys.argv]),
                              "rows": args.rows, "registered": args.registered,
                              "load_average_1min": round(os.getloadavg()[0], 2)}
    directory, meta = prepare(workdir, args.rows, args.registered, log)
    report["data"] = {"directory": str(directory), "seed": SEED, "members": meta["members"],
                      "data_bytes": (directory / "data.parquet").stat().st_size}
    data = directory / "data.parquet"
    with tempfile.TemporaryDirectory(prefix="sg-gate-bench-", dir=workdir) as tmp:
        work = Path(tmp)
        warm_up(work)
        log("loading the registered fingerprints ...")
        registered = load_keys(directory / "registered.parquet")
        log(f"building the index of {registered.size:,} fingerprints ...")
        index_dir = work / "index"
        report["build"] = build_figures(registered, index_dir)
        index = FingerprintIndex(index_dir)
        log("false positives ...")
        report["false_positives"] = false_positive_figures(index, registered, np.random.default_rng(SEED + 1),
                                                           args.rows)
        index.close()
        del registered
        end_to_end(data, index_dir, VARIANTS[0])  # warm: page cache, pyarrow's pools, the index mapping
        report["end_to_end"] = {}
        for variant in VARIANTS:
            if variant.index_memory and not _index_supports_memory():
                continue
            log(f"end to end: {variant.label} ...")
            runs = [end_to_end(data, index_dir, variant) for _ in range(args.repeat)]
            report["end_to_end"][variant.key] = min(runs, key=lambda r: r["seconds"])
        if args.profile:
            log("profiling (an extra, untimed single-threaded run; decode CPU per column) ...")
            report["profile"] = end_to_end(data, index_dir, VARIANTS[0], profile=True)["profile"]
            report["decode_by_column"] = decode_by_column(data)
        log("run_gate (product path) ...")
        report["run_gate"] = product_path(data, index_dir, work, args.repeat)
        shutil.rmtree(index_dir)
    report["rss_gib_during_peers"] = rss_gib()
    report["peers"] = [] if args.no_peers else run_peers(args, directory, meta["members"], log)
    report["load_average_1min"] = {"start": report["load_average_1min"], "end": round(os.getloadavg()[0], 2)}
    report["peak_rss_gib"] = peak_rss_gib()
    report["total_seconds"] = round(time.perf_counter() - started, 1)
    report["verdict"] = verdict(report)
    return report


def verdict(report: dict[str, Any]) -> dict[str, Any]:
    """PASS / MISS against DESIGN.md; the end-to-end figure is the plain single-threaded run (pyarrow defaults)."""
    e2e = report["end_to_end"]["serial"]
    stages = e2e["stage_cpu_seconds"]
    hashing = stages["fingerprint"] + stages["probe"]
    measured = {"rows_per_s_per_core": e2e["rows_per_s_per_core"], "bytes_per_fp": report["build"]["bytes_per_fp"],
                "build_s_per_100m": report["build"]["seconds_per_100m"],
                "false_positive_rate": report["false_positives"]["rate"]}
    out: dict[str, Any] = {}
    for key, value in measured.items():
        target = TARGETS[key]
        ok = value >= target if key == "rows_per_s_per_core" else value <= target
        out[key] = {"measured": value, "target": target, "pass": bool(ok)}
    # Not a DESIGN.md line of its own: the same target for the part SynthGuard computes (decoded batches in).
    fp_probe = e2e["rows"] / hashing if hashing > 0 else None
    out["fp_probe_rows_per_s_per_core"] = {"measured": fp_probe, "target": TARGETS["rows_per_s_per_core"],
                                           "pass": bool(fp_probe and fp_probe >= TARGETS["rows_per_s_per_core"])}
    members = report["data"]["members"]
    out["members_found"] = {"measured": e2e["found"], "expected": members,
                            "pass": members <= e2e["found"] <= members + max(10, members // 1000)}
    return out


# ---- printing


def _n(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"{value / size:.{digits}f} {unit}"
    return f"{value:.{digits}f}"


def table_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    registered = report["registered"]
    rows: list[dict[str, Any]] = []
    for e in report["end_to_end"].values():
        s = e["stage_cpu_seconds"]
        rows.append({"method": f"SynthGuard, {e['label']}", "registered": registered, **e,
                     "notes": f"read+fp-v1+probe; found {e['found']:,}; CPU s: read {s['read']:.2f}, "
                              f"fp-v1 {s['fingerprint']:.2f}, probe {s['probe']:.2f}"})
    g = report["run_gate"]
    rows.append({"method": "SynthGuard run_gate (quarantine)", "registered": registered, **g,
                 "notes": f"product path, batches of {g['batch_rows']:,}; quarantined {g['quarantined']:,} "
                          "rows + sidecar"})
    for p in report["peers"]:
        label = PEER_LABELS[p["peer"]]
        if "error" in p:
            rows.append({"method": label, "rows": p["rows"], "registered": p["registered"], "seconds": None,
                         "notes": f"{p['error']} (peak RSS {p['peak_rss_gib']} GiB)"})
            continue
        rows.append({"method": label, **p,
                     "notes": f"key column precomputed; found {p['found']:,}; set-up {p['setup_seconds']:.1f} s; "
                              f"{p['version']}; peak RSS {p['peak_rss_gib']} GiB"})
    return rows


def show(report: dict[str, Any]) -> None:
    m = report["machine"]
    print(f"gate benchmark — {m['cpus']} cpus, {m['cpu']}, Python {m['python']}, pyarrow {m['pyarrow']}, "
          f"{report['date']}")
    print(f"data: {report['rows']:,} rows × 8 columns ({report['data']['data_bytes'] / 1e6:.0f} MB Parquet), "
          f"{report['data']['members']:,} members; {report['registered']:,} registered fingerprints; seed {SEED}")
    header = (f"{'method':<44} {'rows':>6} {'registered':>10} {'seconds':>8} {'rows/s':>9} {'cores':>5} "
              f"{'rows/s/core':>11}  notes")
    print()
    print(header)
    print("-" * len(header))
    for row in table_rows(report):
        cores = row.get("cores_used")
        print(f"{row['method']:<44} {_n(row.get('rows'), 0):>6} {_n(row.get('registered'), 0):>10} "
              f"{'—' if row.get('seconds') is None else format(row['seconds'], '.2f'):>8} "
              f"{_n(row.get('rows_per_s')):>9} {'—' if cores is None else format(cores, '.2f'):>5} "
              f"{_n(row.get('rows_per_s_per_core')):>11}  {row['notes']}")
    b, f = report["build"], report["false_positives"]
    print()
    print(f"index build: {b['fingerprints']:,} fingerprints in {b['seconds']:.2f} s wall "
          f"({b['cpu_seconds']:.2f} s CPU, {b['layout']} layout), {b['bytes']:,} bytes = {b['bytes_per_fp']:.3f} B/fp")
    print(f"false positives: {f['false_positives']} of {f['probes'] - f['true_members_among_hits']:,} random "
          f"non-members (rate {f['rate']:.2e}; expected {f['expected_rate']:.2e})")
    e = report["end_to_end"]["serial"]
    per_stage = ", ".join(f"{k} {_n(v)} rows/CPU-s" for k, v in e["stage_rows_per_cpu_s"].items())
    print(f"single-thread stages: {per_stage}")
    print()
    scaled = "" if report["registered"] == 100_000_000 else " (the targets are set for 100 M registered; scaled run)"
    print(f"SynthGuard vs DESIGN.md targets{scaled}:")
    labels = {"rows_per_s_per_core": ("end-to-end rows/s/core", lambda v: _n(v, 2)),
              "fp_probe_rows_per_s_per_core": ("  of which fp-v1+probe alone", lambda v: _n(v, 2)),
              "bytes_per_fp": ("index bytes per fingerprint", lambda v: f"{v:.3f}"),
              "build_s_per_100m": ("build seconds per 100 M", lambda v: f"{v:.2f}"),
              "false_positive_rate": ("false-positive rate", lambda v: f"{v:.1e}")}
    for key, (label, fmt) in labels.items():
        v = report["verdict"][key]
        sign = "≥" if key.endswith("rows_per_s_per_core") else "≤"
        print(f"  {label:<30} {fmt(v['measured']):>10}  target {sign} {fmt(v['target']):<8} "
              f"{'PASS' if v['pass'] else 'MISS'}")
    mf = report["verdict"]["members_found"]
    print(f"  {'members found':<30} {mf['measured']:>10,}  expected {mf['expected']:,} (+ false positives) "
          f"{'PASS' if mf['pass'] else 'MISS'}")
    if "decode_by_column" in report:
        print("\ndecode CPU seconds per column, read alone: "
              + ", ".join(f"{k} {v:.2f}" for k, v in report["decode_by_column"].items()))
    if "profile" in report:
        print()
        print(report["profile"])
    p = report["peak_rss_gib"]
    load = report["load_average_1min"]
    print(f"\npeak resident memory: this process {p['self']} GiB ({report['rss_gib_during_peers']} GiB while the "
          f"peers ran), largest child process {p['largest_child']} GiB; total {report['total_seconds']} s; "
          f"1-minute load average {load['start']} at the start, {load['end']} at the end (a 'cores' figure "
          "below 2 on a two-thread row means the run did not get both cores)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows in the Parquet file (1 %% members)")
    parser.add_argument("--registered", "--members", dest="registered", type=int, default=100_000_000,
                        help="registered fingerprints in the index")
    parser.add_argument("--small-rows", type=int, default=1_000_000, help="rows for pandera and GE")
    parser.add_argument("--small-registered", type=int, default=1_000_000,
                        help="registered keys for pandera and GE")
    parser.add_argument("--gx-registered", type=int, default=100_000,
                        help="registered keys for the GE run that finishes (it is also tried at --small-registered)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="timed runs per measurement (the fastest is kept); GE runs once")
    parser.add_argument("--peer-timeout", type=float, default=120.0, help="seconds before a peer is killed")
    parser.add_argument("--peer-mem-gib", type=float, default=12.0, help="resident memory a peer may use")
    parser.add_argument("--no-peers", action="store_true", help="SynthGuard figures only")
    parser.add_argument("--no-full-pandas-peers", action="store_true",
                        help="do not try pandera at the full size")
    parser.add_argument("--profile", action="store_true", help="cProfile the single-threaded end-to-end run")
    parser.add_argument("--workdir", default="/tmp/synthguard-bench", help="data cache and scratch directory")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--peer", help=argparse.SUPPRESS)
    parser.add_argument("--peer-spec", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.peer:
        return peer_main(args.peer, json.loads(args.peer_spec))

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    report = run(args, log)
    if args.json:
        report["table"] = table_rows(report)
        print(json.dumps(report, indent=2, default=str))
    else:
        show(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
