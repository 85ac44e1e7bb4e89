"""Benchmark of the fingerprint index: build time, size, probe rate and false positives, with peers.

Random 64-bit values stand in for fp-v1 fingerprints (fp-v1 is XXH64, so its outputs are uniform).
In one run, on this machine:

* **build**: :func:`build_segment` for 10 M fingerprints and for ``--members`` (default 100 M), default
  layout (``auto``: full below ~15 M fingerprints, compact above) and, at 10 M, the compact layout too;
  seconds, seconds per 100 M, bytes per fingerprint on disk;
* **probe**: 10 M probes of which 1 % are members, single-threaded (and on 2 threads), against the
  ``--members`` segment, through :meth:`FingerprintIndex.probe` (end to end: input check, output array);
  the segment file is page-cache warm (it was just written) and one warm-up probe runs first; then the
  same with ``memory="load"`` (the file copied into huge-page-backed memory);
* **false positives**: 10 M random non-members (true members removed) probed against ``--members``;
* **segments**: the ``--members`` fingerprints split into 1, 10 and 50 segments (one per "version"),
  probed through one :class:`FingerprintIndex` without compaction, then after :meth:`~FingerprintIndex.compact`;
  and the 50 versions added with the default policy (tiered compaction once there are more than 2 files);
* **peers**, on the same data: a sorted uint64 array + ``numpy.searchsorted`` (sort = build),
  ``numpy.isin`` (sorts internally on every call), and a Python ``set`` (10 M members only: at 100 M it
  would need ~10 GB and minutes, so it is skipped and reported as such).

Usage: ``.venv/bin/python benchmarks/fingerprint_index.py [--members 100000000] [--probes 10000000] [--json]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from synthguard.fingerprint.index import FingerprintIndex, Layout, Segment, build_segment

SEED = 20240601
SMALL = 10_000_000
SET_LIMIT = 20_000_000
U64 = npt.NDArray[np.uint64]


def machine() -> dict[str, Any]:
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            model = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "")
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": model or platform.processor(), "python": platform.python_version(),
            "numpy": np.__version__, "system": platform.platform()}


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """(best seconds over ``repeat`` runs, last result)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def random_fps(rng: np.random.Generator, n: int) -> U64:
    return rng.integers(0, np.iinfo(np.uint64).max, size=n, dtype=np.uint64, endpoint=True)


def probe_set(members: U64, rng: np.random.Generator, count: int, member_share: float) -> U64:
    probes = random_fps(rng, count)
    k = int(count * member_share)
    probes[:k] = members[rng.integers(0, members.size, k)]
    rng.shuffle(probes)
    return probes


def build_figures(members: U64, work: Path, label: str, layout: Layout = "auto") -> dict[str, Any]:
    path = work / f"{label}-{layout}.sgfp"
    seconds, info = timed(lambda: build_segment(members, path, layout=layout))
    return {"fingerprints": int(members.size), "layout": info.layout, "seconds": round(seconds, 3),
            "seconds_per_100m": round(seconds * 1e8 / members.size, 3), "bytes": info.nbytes,
            "bytes_per_fp": round(info.bytes_per_fingerprint, 3), "path": str(path)}


def probe_figures(index: FingerprintIndex, probes: U64, repeat: int) -> dict[str, Any]:
    index.probe(probes[:1_000_000])  # warm-up: compile, map, fault the pages in
    one, result = timed(lambda: index.probe(probes), repeat)
    two, _ = timed(lambda: index.probe(probes, threads=2), repeat)
    return {"probes": int(probes.size), "hits": int(np.count_nonzero(result >= 0)),
            "mprobes_per_s_1_thread": round(probes.size / one / 1e6, 2),
            "mprobes_per_s_2_threads": round(probes.size / two / 1e6, 2)}


def false_positive_figures(segment_path: Path, sorted_members: U64, rng: np.random.Generator,
                           count: int) -> dict[str, Any]:
    candidates = random_fps(rng, count)
    at = np.minimum(np.searchsorted(sorted_members, candidates), sorted_members.size - 1)
    non_members = candidates[sorted_members[at] != candidates]
    with Segment.open(segment_path) as segment:
        hits = int(np.count_nonzero(segment.contains(non_members)))
        expected = segment.info.false_positive_rate * non_members.size
        layout = segment.layout
    return {"non_members": int(non_members.size), "false_positives": hits, "layout": layout,
            "measured_rate": hits / non_members.size, "expected_hits": expected}


def segments_figures(members: U64, probes: U64, work: Path, counts: list[int], repeat: int) -> list[dict[str, Any]]:
    """The members split into ``count`` versions (one segment each), probed before and after compaction."""
    rows = []
    for count in counts:
        index = FingerprintIndex(work / f"index-{count}", max_segments=None)
        bounds = np.linspace(0, members.size, count + 1).astype(np.int64)
        start = time.perf_counter()
        for i in range(count):
            index.add(f"v{i}", members[bounds[i]:bounds[i + 1]])
        build = time.perf_counter() - start
        row: dict[str, Any] = {"segments": count, "build_seconds": round(build, 3),
                               "bytes_per_fp": round(sum(i.nbytes for i in index.segments()) / members.size, 3),
                               **probe_figures(index, probes, repeat)}
        if count > 1:
            seconds, _ = timed(index.compact)
            row["compacted"] = {"compact_seconds": round(seconds, 3),
                                "bytes_per_fp": round(sum(i.nbytes for i in index.segments()) / members.size, 3),
                                **probe_figures(index, probes, repeat)}
        index.close()
        shutil.rmtree(index.directory)
        rows.append(row)
    return rows


def auto_figures(members: U64, probes: U64, work: Path, count: int, repeat: int) -> dict[str, Any]:
    """The members added as ``count`` versions with the default policy (tiered compaction past 2 files)."""
    index = FingerprintIndex(work / "index-auto")
    bounds = np.linspace(0, members.size, count + 1).astype(np.int64)
    start = time.perf_counter()
    for i in range(count):
        index.add(f"v{i}", members[bounds[i]:bounds[i + 1]])
    build = time.perf_counter() - start
    row = {"versions": count, "files": len(index.segments()), "build_seconds": round(build, 3),
           "bytes_per_fp": round(sum(i.nbytes for i in index.segments()) / members.size, 3),
           **probe_figures(index, probes, repeat)}
    index.close()
    shutil.rmtree(index.directory)
    return row


def peer_figures(members: U64, probes: U64, *, with_set: bool, with_isin: bool) -> dict[str, Any]:
    """Peers on the same members and probes: sorted array + searchsorted, numpy.isin, a Python set."""
    peers: dict[str, Any] = {"members": int(members.size)}
    sort_s, ordered = timed(lambda: np.sort(members))

    def searchsorted() -> npt.NDArray[np.bool_]:
        at = np.minimum(np.searchsorted(ordered, probes), ordered.size - 1)
        return np.asarray(ordered[at] == probes)

    search_s, found = timed(searchsorted)
    peers["numpy_sort_searchsorted"] = {"build_seconds": round(sort_s, 3), "bytes_per_fp": 8.0,
                                        "hits": int(found.sum()),
                                        "mprobes_per_s_1_thread": round(probes.size / search_s / 1e6, 2)}
    if with_isin:
        isin_s, found = timed(lambda: np.isin(probes, members))
        peers["numpy_isin"] = {"seconds": round(isin_s, 3), "hits": int(found.sum()),
                               "mprobes_per_s_1_thread": round(probes.size / isin_s / 1e6, 2),
                               "note": "sorts members and probes on every call"}
    else:
        peers["numpy_isin"] = {"skipped": "sorts members and probes on every call: minutes at this size"}
    if with_set:
        set_s, members_set = timed(lambda: set(members.tolist()))
        listed = probes.tolist()
        probe_s, hits = timed(lambda: sum(map(members_set.__contains__, listed)))
        peers["python_set"] = {"build_seconds": round(set_s, 3), "hits": int(hits),
                               "mprobes_per_s_1_thread": round(probes.size / probe_s / 1e6, 2),
                               "note": "probe time excludes ndarray.tolist()"}
        del members_set, listed
    else:
        peers["python_set"] = {"skipped": "too much memory (~10 GB) and time for a set at this size"}
    return peers


def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = np.random.default_rng(SEED)
    report: dict[str, Any] = {"machine": machine(), "date": time.strftime("%Y-%m-%d"),
                              "command": " ".join([os.path.basename(sys.executable), *sys.argv]),
                              "members": args.members, "probes": args.probes}
    with tempfile.TemporaryDirectory(prefix="sg-fpindex-", dir=args.workdir) as tmp:
        work = Path(tmp)
        index = FingerprintIndex(work / "warmup")  # compile every kernel outside the timings
        index.add("a", random_fps(rng, 1000))
        index.add("b", random_fps(rng, 1000), layout="compact")
        index.probe(random_fps(rng, 1000))
        index.compact()
        index.close()
        small = random_fps(rng, SMALL)
        small_probes = probe_set(small, rng, args.probes, 0.01)
        report["build_10m"] = build_figures(small, work, "10m")
        report["build_10m_compact"] = build_figures(small, work, "10m", "compact")
        for key in ("build_10m", "build_10m_compact"):
            Path(report[key]["path"]).unlink()
        index = FingerprintIndex(work / "small")
        index.add("all", small)
        report["probe_10m"] = probe_figures(index, small_probes, args.repeat)
        index.close()
        report["peers_10m"] = peer_figures(small, small_probes, with_set=True, with_isin=True)
        del small, small_probes
        members = random_fps(rng, args.members)
        big = build_figures(members, work, "members")
        report["build_members"] = big
        probes = probe_set(members, rng, args.probes, 0.01)
        index = FingerprintIndex(work / "single")
        index.add("all", members)
        report["probe"] = probe_figures(index, probes, args.repeat)
        index.close()
        loaded = FingerprintIndex(index.directory, memory="load")
        report["probe_loaded"] = probe_figures(loaded, probes, args.repeat)
        loaded.close()
        report["false_positives"] = false_positive_figures(Path(big["path"]), np.sort(members), rng, args.probes)
        Path(big["path"]).unlink()
        shutil.rmtree(index.directory)
        report["segments"] = segments_figures(members, probes, work, args.segments, args.repeat)
        report["auto"] = auto_figures(members, probes, work, max(args.segments), args.repeat)
        small_enough = members.size <= SET_LIMIT
        report["peers"] = peer_figures(members, probes, with_set=small_enough, with_isin=small_enough)
    return report


def show(report: dict[str, Any]) -> None:
    m = report["machine"]
    print(f"fingerprint index benchmark — {m['cpus']} cpus, {m['cpu']}, Python {m['python']}, {report['date']}")
    for key in ("build_10m", "build_10m_compact", "build_members"):
        b = report[key]
        print(f"build {b['fingerprints']:>12,} fps ({b['layout']:>7}): {b['seconds']:7.3f} s "
              f"({b['seconds_per_100m']:.3f} s per 100 M), {b['bytes_per_fp']:.3f} B/fp on disk")
    for key, members, how in (("probe_10m", SMALL, "mapped"), ("probe", report["members"], "mapped"),
                              ("probe_loaded", report["members"], "loaded")):
        p = report[key]
        print(f"probe {p['probes']:,} (1 % members) vs {members:,} ({how}): {p['mprobes_per_s_1_thread']:.2f} M/s "
              f"on 1 thread, {p['mprobes_per_s_2_threads']:.2f} M/s on 2 threads ({p['hits']:,} hits)")
    f = report["false_positives"]
    print(f"false positives ({f['layout']}): {f['false_positives']} of {f['non_members']:,} non-members "
          f"(rate {f['measured_rate']:.2e}; expected {f['expected_hits']:.3f} hits)")
    for row in report["segments"]:
        line = (f"{row['segments']:>3} segments: {row['mprobes_per_s_1_thread']:.2f} M probes/s (1 thread), "
                f"{row['mprobes_per_s_2_threads']:.2f} (2 threads), {row['bytes_per_fp']:.3f} B/fp, "
                f"built in {row['build_seconds']:.3f} s")
        if "compacted" in row:
            c = row["compacted"]
            line += (f"; compacted in {c['compact_seconds']:.3f} s: {c['mprobes_per_s_1_thread']:.2f} M probes/s "
                     f"(1 thread), {c['mprobes_per_s_2_threads']:.2f} (2 threads), {c['bytes_per_fp']:.3f} B/fp")
        print(line)
    a = report["auto"]
    print(f"{a['versions']} versions added with automatic compaction: {a['files']} files, built in "
          f"{a['build_seconds']:.3f} s, {a['mprobes_per_s_1_thread']:.2f} M probes/s (1 thread), "
          f"{a['mprobes_per_s_2_threads']:.2f} (2 threads), {a['bytes_per_fp']:.3f} B/fp")
    for key in ("peers_10m", "peers"):
        peers = dict(report[key])
        members = peers.pop("members")
        for name, peer in peers.items():
            print(f"peer {name} ({members:,} members): " + ", ".join(f"{k}={v}" for k, v in peer.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--members", type=int, default=100_000_000, help="fingerprints in the large index")
    parser.add_argument("--probes", type=int, default=10_000_000, help="probes per measurement")
    parser.add_argument("--segments", type=lambda s: [int(x) for x in s.split(",")], default=[1, 10, 50],
                        help="segment counts to split the members into (comma-separated)")
    parser.add_argument("--repeat", type=int, default=3, help="probe timings keep the best of this many runs")
    parser.add_argument("--workdir", default=None, help="directory for the index files (default: system temp)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    report = run(args)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        show(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
