"""Benchmark of dataset content digests on one large Parquet file.

Creates (or reuses) a deterministic ~2 GB Parquet file of random numbers, then times, in one run and
with the file page-cache warm:

* ``digest_paths`` on the verify path (``whole_file=False``: shards only) and on the register path
  (``whole_file=True``: shards plus the sequential whole-file SHA-256, concurrently);
* ``sha256sum`` (coreutils, in a subprocess);
* a single-stream ``hashlib.sha256`` reading 4 MiB chunks with ``readinto``;
* OpenSSF ``model-signing`` (PyPI ``model-signing``) file and sharded SHA-256 hashing, if installed.

Every timed run is preceded by one full warm-up read of the file, so every method starts with the
file in the page cache and the figures measure hashing, not the disk. GB/s uses decimal GB (1e9).

Usage: ``.venv/bin/python benchmarks/digest.py [--size-gb 2] [--path FILE] [--repeat 5] [--json]``
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import platform
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from synthguard.catalog.digest import digest_paths

SEED = 20240601
ROWS_PER_GROUP = 1 << 22  # 4 Mi rows x 32 bytes = 128 MiB per row group: bounded memory
BYTES_PER_ROW = 32  # four 8-byte columns of random values, which do not compress
CHUNK = 4 << 20


@dataclass(frozen=True)
class Result:
    """One method's timings: the median and the best of ``runs`` warm runs."""

    method: str
    seconds: float | None
    gb_per_s: float | None
    best_seconds: float | None
    best_gb_per_s: float | None
    runs: int
    value: str = ""  # the digest (or shard count) the method produced, to check they agree
    note: str = ""


# ------------------------------------------------------------------------------------------
# The data file
# ------------------------------------------------------------------------------------------


def _tag(rows: int) -> bytes:
    return f"seed={SEED};rows={rows};groups={ROWS_PER_GROUP};dictionary=no".encode()


def _reusable(path: str, rows: int) -> bool:
    """An earlier run's complete file with the same parameters (a torn write has no footer)."""
    try:
        metadata = pq.read_schema(path).metadata or {}
    except (OSError, pa.ArrowInvalid):
        return False
    return bool(metadata.get(b"synthguard-bench") == _tag(rows))


def _row_group(rng: np.random.Generator, rows: int) -> pa.Table:
    return pa.table({
        "uniform": rng.random(rows),
        "normal": rng.standard_normal(rows),
        "id": rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, rows, dtype=np.int64),
        "code": rng.integers(0, 1 << 62, rows, dtype=np.int64),
    })


def ensure_file(path: str, size_bytes: int) -> bool:
    """Create the Parquet file unless a matching one exists; return whether it was reused."""
    rows = max(1, size_bytes // BYTES_PER_ROW)
    if _reusable(path, rows):
        return True
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    rng = np.random.default_rng(SEED)
    schema = _row_group(np.random.default_rng(0), 1).schema.with_metadata({"synthguard-bench": _tag(rows)})
    partial = path + ".partial"
    # No dictionary encoding: on random values it only adds an abandoned dictionary page per chunk.
    with pq.ParquetWriter(partial, schema, use_dictionary=False) as writer:
        for start in range(0, rows, ROWS_PER_GROUP):
            count = min(ROWS_PER_GROUP, rows - start)
            writer.write_table(_row_group(rng, count).replace_schema_metadata(schema.metadata))
            print(f"\rwriting {path}: {100 * (start + count) // rows}%", end="", file=sys.stderr)
    print(file=sys.stderr)
    os.replace(partial, path)  # never leave a half-written file under the reusable name
    return False


# ------------------------------------------------------------------------------------------
# Methods
# ------------------------------------------------------------------------------------------


def read_all(path: str) -> None:
    """The warm-up: one full read so the file is in the page cache."""
    buffer = bytearray(CHUNK)
    with open(path, "rb", buffering=0) as f:
        while f.readinto(buffer):
            pass


def hashlib_stream(path: str) -> str:
    digest = hashlib.sha256()
    buffer = memoryview(bytearray(CHUNK))
    with open(path, "rb", buffering=0) as f:
        while count := f.readinto(buffer):
            digest.update(buffer[:count])
    return digest.hexdigest()


def sha256sum(path: str) -> str:
    out = subprocess.run(["sha256sum", path], check=True, capture_output=True, text=True).stdout
    return out.split()[0]


def synthguard(path: str, shard_size: int, whole_file: bool) -> str:
    return digest_paths([path], shard_size=shard_size, whole_file=whole_file).files[0].sha256


def model_signing_methods(shard_size: int) -> tuple[dict[str, Callable[[str], str]], str]:
    """model-signing's file and sharded SHA-256 hashing, or why they are unavailable."""
    try:
        hashing: Any = importlib.import_module("model_signing.hashing")
        version = importlib.import_module("importlib.metadata").version("model-signing")
    except ImportError as exc:  # not installed, or (1.1.1) installed without its pyOpenSSL import
        return {}, f"model-signing cannot be imported: {exc!r} (pip install model-signing pyopenssl)"

    def by_file(path: str) -> str:
        manifest = hashing.Config().use_file_serialization(hashing_algorithm="sha256").hash(path)
        return str(next(manifest.resource_descriptors()).digest.digest_hex)

    def by_shard(path: str) -> str:
        config = hashing.Config().use_shard_serialization(hashing_algorithm="sha256", shard_size=shard_size)
        return f"{sum(1 for _ in config.hash(path).resource_descriptors())} shards"

    return {
        f"model-signing {version} file (sha256, 1 MB reads)": by_file,
        f"model-signing {version} sharded (sha256, {shard_size} B shards)": by_shard,
    }, ""


# ------------------------------------------------------------------------------------------
# Running
# ------------------------------------------------------------------------------------------


def time_once(path: str, method: Callable[[str], str]) -> tuple[float, str]:
    read_all(path)
    start = time.perf_counter()
    value = method(path)
    return time.perf_counter() - start, value


def machine() -> dict[str, Any]:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": model or platform.processor(), "python": platform.python_version(),
            "openssl": ssl.OPENSSL_VERSION, "system": platform.platform()}


def run(path: str, shard_size: int, repeat: int) -> tuple[list[Result], list[str]]:
    methods: dict[str, Callable[[str], str]] = {
        "synthguard verify (shards only)": lambda p: synthguard(p, shard_size, False),
        "synthguard register (shards + whole file)": lambda p: synthguard(p, shard_size, True),
        "sha256sum": sha256sum,
        "hashlib.sha256 single stream (4 MiB)": hashlib_stream,
    }
    extra, unavailable = model_signing_methods(1_000_000_000)
    methods.update(extra)
    times: dict[str, list[float]] = {name: [] for name in methods}
    values: dict[str, str] = {}
    failed: dict[str, str] = {}
    for _ in range(repeat):  # round-robin so drift in machine load hits every method alike
        for name, method in methods.items():
            if name in failed:
                continue
            try:
                seconds, values[name] = time_once(path, method)
            except Exception as exc:  # a third-party tool failing should not lose the other figures
                failed[name] = f"failed: {exc!r}"
                continue
            times[name].append(seconds)
    size = os.path.getsize(path)
    results = [Result(name, None, None, None, None, 0, note=failed[name]) if name in failed
               else _summary(name, times[name], size, values[name]) for name in methods]
    if unavailable:
        results.append(Result("model-signing", None, None, None, None, 0, note=unavailable))
    return results, _agreement(values)


def _summary(name: str, seconds: list[float], size: int, value: str) -> Result:
    median, best = statistics.median(seconds), min(seconds)
    return Result(name, median, size / median / 1e9, best, size / best / 1e9, len(seconds), value)


def _agreement(values: dict[str, str]) -> list[str]:
    """Whole-file digests that should all be equal (the verify path and sharded ones have none)."""
    plain = {name: v for name, v in values.items() if len(v) == 64}
    distinct = set(plain.values())
    return [f"whole-file sha256 {'agrees' if len(distinct) == 1 else 'DISAGREES'} across: {', '.join(plain)}"]


def print_table(path: str, size: int, reused: bool, results: list[Result], notes: list[str]) -> None:
    info = machine()
    print(f"file: {path} ({size / 1e9:.2f} GB, {'reused' if reused else 'created'})")
    print(f"machine: {info['cpus']} CPUs, {info['cpu']}; Python {info['python']}; {info['openssl']}")
    print("page cache: warm for every measurement (one full read of the file precedes each timed run)")
    width = max(len(r.method) for r in results)
    print("GB/s is decimal (1e9 bytes); seconds and GB/s are the median of the runs, 'best' the fastest")
    print(f"\n{'method':<{width}}  {'seconds':>8}  {'GB/s':>6}  {'best s':>8}  {'best GB/s':>9}  runs")
    for r in results:
        if r.seconds is None or r.gb_per_s is None or r.best_seconds is None or r.best_gb_per_s is None:
            print(f"{r.method:<{width}}  {'-':>8}  {'-':>6}  {'-':>8}  {'-':>9}  {r.runs}  {r.note}")
        else:
            print(f"{r.method:<{width}}  {r.seconds:8.3f}  {r.gb_per_s:6.2f}  {r.best_seconds:8.3f}"
                  f"  {r.best_gb_per_s:9.2f}  {r.runs}")
    for note in notes:
        print(note)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size-gb", type=float, default=2.0, help="size of the Parquet file (decimal GB)")
    parser.add_argument("--path", help="Parquet file to create or reuse (default: in the temp directory)")
    parser.add_argument("--shard-mb", type=int, default=1024, help="synthguard shard size in MiB")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per method (median and best shown)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)

    size_bytes = int(args.size_gb * 1e9)
    default = os.path.join(tempfile.gettempdir(), "synthguard-bench", f"digest-{args.size_gb:g}gb.parquet")
    path = args.path or default
    reused = ensure_file(path, size_bytes)
    results, notes = run(path, args.shard_mb << 20, max(1, args.repeat))
    size = os.path.getsize(path)
    if args.json:
        print(json.dumps({"file": path, "bytes": size, "reused": reused, "machine": machine(),
                          "page_cache": "warm: one full read of the file before every timed run",
                          "shard_size": args.shard_mb << 20, "results": [asdict(r) for r in results],
                          "notes": notes}, indent=2))
    else:
        print_table(path, size, reused, results, notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
