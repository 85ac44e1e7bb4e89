"""The fingerprint index: segment files (both layouts, exact mode, corruption), the index directory
(keys, probe positions, retire, reopen, leftovers of killed writers, concurrent writers) and compaction,
checked against a plain Python model of "which versions hold this fingerprint"."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from synthguard.errors import InputError
from synthguard.fingerprint import _index_kernels
from synthguard.fingerprint.index import FingerprintIndex, Segment, build_segment

U64_MAX = 2**64 - 1
FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])  # 64 MiB files

fingerprint = st.integers(0, U64_MAX)
# Values clustered in a few buckets and sharing prefixes, so small sets still collide and duplicate.
clustered = st.builds(lambda hi, lo: (hi << 40) | lo, st.integers(0, 3), st.integers(0, 2**40 - 1))
fingerprints = st.lists(st.one_of(fingerprint, clustered), max_size=200)


def arr(values: list[int] | set[int]) -> np.ndarray:
    return np.array(sorted(values) if isinstance(values, set) else values, dtype=np.uint64)


@pytest.fixture
def scratch() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="sg-fpindex-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("segments")


def fresh(workdir: Path) -> Path:
    return Path(tempfile.mkdtemp(dir=workdir))


# ---- segments


@FAST
@given(values=fingerprints, exact=st.booleans(), extra=st.lists(fingerprint, max_size=100))
def test_small_segments_hold_exactly_their_members(workdir: Path, values: list[int], exact: bool,
                                                   extra: list[int]) -> None:
    info = build_segment(arr(values + values[:10]), fresh(workdir) / "s.sgfp", exact=exact)
    assert info.layout == "full"  # small sets: the full layout is the smaller file, so they are exact
    with Segment.open(info.path, verify="full") as segment:
        assert len(segment) == info.count == len(set(values))
        assert segment.exact is exact
        if values:
            assert segment.contains(arr(values)).all()
        probes = arr(extra)
        assert (segment.contains(probes) == np.isin(probes, arr(values))).all()
        stored, owners = segment.fingerprints()
        assert owners is None
        assert sorted(stored.tolist()) == sorted(set(values))


@SLOW
@given(values=fingerprints, extra=st.lists(st.one_of(fingerprint, clustered), max_size=100))
def test_compact_layout_reports_non_members_only_when_they_share_56_bits(workdir: Path, values: list[int],
                                                                         extra: list[int]) -> None:
    info = build_segment(arr(values), fresh(workdir) / "c.sgfp", layout="compact")
    assert info.layout == "compact" and info.bucket_bits == 24
    with Segment.open(info.path, verify="full") as segment:
        assert len(segment) == len({v >> 8 for v in values})
        if values:
            assert segment.contains(arr(values)).all()
        probes = arr(extra)
        assert (segment.contains(probes) == np.isin(probes >> np.uint64(8), arr(values) >> np.uint64(8))).all()


def test_a_56_bit_collision_is_reported_in_approximate_mode_only(scratch: Path) -> None:
    member = 0x0123_4567_89AB_CDEF
    twin = member ^ 0x5A  # same top 56 bits, different fingerprint
    other = member ^ (1 << 8)  # differs inside the stored 32 bits
    probes = arr([member, twin, other])
    compact = build_segment(arr([member]), scratch / "compact.sgfp", layout="compact")
    exact = build_segment(arr([member]), scratch / "exact.sgfp", exact=True)
    with Segment.open(compact.path) as segment:
        assert segment.contains(probes).tolist() == [True, True, False]
        assert segment.info.false_positive_rate == pytest.approx(1 / 2**56)
    with Segment.open(exact.path) as segment:
        assert segment.contains(probes).tolist() == [True, False, False]
        assert segment.info.false_positive_rate == 0.0
    with pytest.raises(InputError):
        build_segment(arr([member]), scratch / "bad.sgfp", exact=True, layout="compact")


def test_duplicates_and_empty_segments(scratch: Path) -> None:
    same = build_segment(np.full(5000, 7, np.uint64), scratch / "same.sgfp")
    assert same.count == 1 and same.input_count == 5000
    empty = build_segment(np.zeros(0, np.uint64), scratch / "empty.sgfp")
    with Segment.open(empty.path, verify="full") as segment:
        assert len(segment) == 0
        assert not segment.contains(arr([0, 7, U64_MAX])).any()
        assert segment.contains(np.zeros(0, np.uint64)).size == 0
    assert build_segment([], scratch / "list.sgfp").count == 0
    index = FingerprintIndex(scratch / "index")
    index.add("dups", np.full(5000, 7, np.uint64))
    index.add("empty", [])
    (info, _) = index.segments()
    assert info.count == 1 and info.bucket_bits == index.segment("dups").bucket_bits
    assert index.probe(arr([7, 8])).tolist() == [0, -1]


def test_large_buckets_use_sort_and_binary_search(scratch: Path) -> None:
    values = np.arange(1, 3001, dtype=np.uint64) * np.uint64(977)  # all in bucket 0 of a few-bucket layout
    info = build_segment(values[::-1].copy(), scratch / "dense.sgfp", exact=True)
    with Segment.open(info.path, verify="full") as segment:
        assert segment.contains(values).all()
        assert not segment.contains(values + np.uint64(1)).any()


def test_input_types(scratch: Path) -> None:
    signed = np.array([-1, 5], np.int64)  # Spark's xxhash64 is signed: reinterpreted as uint64
    info = build_segment(signed, scratch / "signed.sgfp")
    with Segment.open(info.path) as segment:
        assert segment.contains(arr([U64_MAX, 5])).all()
        assert segment.contains(np.array([-1], np.int64)).all()
    big_endian = build_segment(np.array([1, 2**63], dtype=">u8"), scratch / "be.sgfp")
    with Segment.open(big_endian.path) as segment:
        assert segment.contains(arr([1, 2**63])).all() and segment.contains(np.array([2**63], ">u8")).all()
    with pytest.raises(InputError):
        build_segment(np.array([1.5]), scratch / "float.sgfp")
    with pytest.raises(InputError):
        build_segment(np.array([1, 2], np.uint32), scratch / "u32.sgfp")
    with pytest.raises(InputError):
        build_segment(np.zeros((2, 2), np.uint64), scratch / "2d.sgfp")
    assert not list(scratch.glob(".*.tmp"))


def test_bytes_per_fingerprint_of_a_large_compact_segment(scratch: Path) -> None:
    values = np.random.default_rng(1).integers(0, U64_MAX, 2_000_000, dtype=np.uint64, endpoint=True)
    info = build_segment(values, scratch / "big.sgfp", layout="compact")
    assert info.nbytes == os.path.getsize(info.path)
    assert info.bytes_per_fingerprint == pytest.approx(4 + 2**26 / 2_000_000, rel=1e-3)
    full = build_segment(values, scratch / "big-full.sgfp")
    assert full.layout == "full" and full.bytes_per_fingerprint < 9.0
    with Segment.open(full.path) as segment:
        assert segment.contains(values).all()


# ---- corruption


def _damaged(scratch: Path, damage: str) -> Path:
    info = build_segment(arr(list(range(1, 5000, 3))), scratch / f"{damage}.sgfp", exact=True)
    data = bytearray(info.path.read_bytes())
    if damage == "truncated":
        data = data[:-4]
    elif damage == "header-only":
        data = data[:30]
    elif damage == "empty":
        data = bytearray()
    elif damage == "magic":
        data[0:8] = b"NOTANIDX"
    elif damage == "version":
        data[8] = 99
    elif damage == "directory":  # bucket 3 starts after bucket 4: the probe could leave the file
        data[64 + 3 * 4:64 + 4 * 4] = (2**31).to_bytes(4, "little")
    elif damage == "body":
        data[-3] ^= 0xFF
    info.path.write_bytes(bytes(data))
    return info.path


@pytest.mark.parametrize("damage", ["truncated", "header-only", "empty", "magic", "version", "directory"])
def test_a_damaged_segment_is_an_input_error_naming_the_file(scratch: Path, damage: str) -> None:
    path = _damaged(scratch, damage)
    with pytest.raises(InputError) as caught:
        Segment.open(path)
    assert caught.value.path == str(path)
    assert str(path) in caught.value.diagnostics()


def test_a_flipped_bit_is_caught_by_the_full_check(scratch: Path) -> None:
    path = _damaged(scratch, "body")
    Segment.open(path).close()  # the quick check reads only the header and directory
    for memory in ("map", "load"):
        with pytest.raises(InputError, match="checksum") as caught:
            Segment.open(path, verify="full", memory=memory)
        assert caught.value.path == str(path)


def test_a_missing_segment_file(scratch: Path) -> None:
    with pytest.raises(FileNotFoundError):
        Segment.open(scratch / "nope.sgfp")


# ---- the index directory


class Model:
    """What the index should answer: versions in insertion order, each a set of fingerprints."""

    def __init__(self) -> None:
        self.versions: dict[str, set[int]] = {}

    def first(self, fp: int) -> str | None:
        return next((key for key, values in self.versions.items() if fp in values), None)


def assert_matches(index: FingerprintIndex, model: Model, probes: list[int]) -> None:
    assert index.keys() == list(model.versions)
    positions = index.probe(arr(probes))
    got = [index.key_of(int(p)) if p >= 0 else None for p in positions]
    assert got == [model.first(fp) for fp in probes]


@FAST
@given(versions=st.lists(fingerprints, min_size=1, max_size=5), extra=st.lists(fingerprint, max_size=50))
def test_probe_names_the_first_version_holding_each_fingerprint(workdir: Path, versions: list[list[int]],
                                                                extra: list[int]) -> None:
    index, model = FingerprintIndex(fresh(workdir)), Model()
    for i, values in enumerate(versions):
        index.add(f"customers@{i + 1}", arr(values), exact=i % 3 == 1)
        model.versions[f"customers@{i + 1}"] = set(values)
    everything = [v for values in versions for v in values] + extra
    assert_matches(index, model, everything)
    assert (index.probe(arr(everything), threads=2) == index.probe(arr(everything))).all()
    assert_matches(FingerprintIndex(index.directory), model, everything)  # survives reopen
    assert_matches(FingerprintIndex(index.directory, memory="load", verify="full"), model, everything)
    index.close()


def test_retire_removes_exactly_that_version(scratch: Path) -> None:
    index = FingerprintIndex(scratch / "index")
    shared, only_a, only_b = [1, 2, 3], [10, 11], [20, 21]
    index.add("a@1", arr(shared + only_a))
    index.add("b@1", arr(shared + only_b))
    assert [index.key_of(int(p)) for p in index.probe(arr(shared))] == ["a@1"] * 3
    assert index.retire("a@1") is True
    assert index.retire("a@1") is False
    assert index.keys() == ["b@1"]
    assert index.probe(arr(shared + only_b)).tolist() == [0] * 5
    assert index.probe(arr(only_a)).tolist() == [-1, -1]
    files = sorted(p.name for p in index.directory.iterdir() if p.name.endswith(".sgfp"))
    assert len(files) == 1
    reopened = FingerprintIndex(index.directory)
    assert reopened.keys() == ["b@1"] and reopened.contains(arr(shared)).all()


def test_keys_are_unique_and_valid(scratch: Path) -> None:
    index = FingerprintIndex(scratch / "index")
    index.add("v@1", arr([1]))
    with pytest.raises(InputError, match="already exists"):
        index.add("v@1", arr([2]))
    for bad in ["", "a\nb", "x" * 300]:
        with pytest.raises(InputError):
            index.add(bad, arr([1]))
    assert index.keys() == ["v@1"]
    with pytest.raises(InputError):
        index.key_of(1)


def test_a_missing_directory_is_an_empty_index(scratch: Path) -> None:
    index = FingerprintIndex(scratch / "never-created")
    assert index.keys() == [] and index.probe(arr([1, 2])).tolist() == [-1, -1]
    assert index.retire("x") is False


def test_leftovers_of_killed_writers_are_ignored_then_cleaned(scratch: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = FingerprintIndex(scratch / "index")
    index.add("v@1", arr([1, 2, 3]))
    directory = index.directory
    # A build killed mid-write leaves a hidden temporary file; one killed between rename and manifest leaves an
    # unlisted segment; a retire killed between rename and unlink leaves a *.retired file.
    (directory / ".seg-dead.sgfp.0123.tmp").write_bytes(b"partial")
    (directory / "seg-orphan.sgfp").write_bytes(b"SGFPIDX1 whatever")
    (directory / "seg-old.sgfp.retired").write_bytes(b"old")
    (directory / ".index.json.1234.tmp").write_text("{")
    reader = FingerprintIndex(directory)
    assert reader.keys() == ["v@1"] and reader.contains(arr([1, 2, 3])).all()

    def killed(*args: object, **kwargs: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(_index_kernels, "build_keys", killed)
    with pytest.raises(KeyboardInterrupt):
        index.add("v@2", arr([4, 5]))
    monkeypatch.undo()
    names = sorted(p.name for p in directory.iterdir())
    assert names == [".lock", "index.json", index.segments()[0].path.name]  # cleaned, and nothing half-written
    assert FingerprintIndex(directory).keys() == ["v@1"]
    index.add("v@2", arr([4, 5]))
    assert index.contains(arr([1, 5])).all()


def test_a_corrupt_manifest_or_segment_is_an_input_error(scratch: Path) -> None:
    index = FingerprintIndex(scratch / "index")
    index.add("v@1", arr([1, 2, 3]))
    segment_path = index.segments()[0].path
    manifest = index.manifest_path
    original = manifest.read_text()
    manifest.write_text("{not json")
    with pytest.raises(InputError) as caught:
        FingerprintIndex(index.directory)
    assert caught.value.path == str(manifest)
    data = json.loads(original)
    data["segments"][0]["sha256"] = "00" * 32
    manifest.write_text(json.dumps(data))
    with pytest.raises(InputError, match="manifest") as caught:
        FingerprintIndex(index.directory).probe(arr([1]))
    assert caught.value.path == str(segment_path)
    manifest.write_text(original)
    segment_path.write_bytes(segment_path.read_bytes()[:-8])
    with pytest.raises(InputError) as caught:
        FingerprintIndex(index.directory).probe(arr([1]))
    assert caught.value.path == str(segment_path)


def test_a_reader_with_a_stale_snapshot_survives_a_retire(scratch: Path) -> None:
    writer = FingerprintIndex(scratch / "index")
    writer.add("v@1", arr([1]))
    writer.add("v@2", arr([2]))
    reader = FingerprintIndex(writer.directory)
    assert reader.keys() == ["v@1", "v@2"]
    writer.retire("v@1")  # deletes the file the reader has not opened yet
    assert reader.probe(arr([1, 2])).tolist() == [-1, 0]
    assert reader.keys() == ["v@2"]
    mapped = FingerprintIndex(writer.directory)
    assert mapped.probe(arr([2])).tolist() == [0]  # maps v@2
    writer.retire("v@2")
    assert mapped.probe(arr([2])).tolist() == [0]  # still mapped: the old snapshot keeps answering
    mapped.refresh()
    assert mapped.keys() == [] and mapped.probe(arr([2])).tolist() == [-1]


def test_concurrent_writers_lose_nothing(scratch: Path) -> None:
    directory = scratch / "index"
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            index = FingerprintIndex(directory)
            for i in range(4):
                index.add(f"w{n}@{i}", arr([n * 100 + i]))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    index = FingerprintIndex(directory)
    assert sorted(index.keys()) == sorted(f"w{n}@{i}" for n in range(3) for i in range(4))
    assert index.contains(arr([n * 100 + i for n in range(3) for i in range(4)])).all()


# ---- compaction


def test_compaction_merges_and_keeps_answers(scratch: Path) -> None:
    index, model = FingerprintIndex(scratch / "index", max_segments=None), Model()
    rng = np.random.default_rng(7)
    shared = rng.integers(0, U64_MAX, 50, dtype=np.uint64, endpoint=True).tolist()
    for i in range(6):
        values = rng.integers(0, U64_MAX, 300, dtype=np.uint64, endpoint=True).tolist() + shared
        index.add(f"v@{i}", arr(values), exact=i == 5)
        model.versions[f"v@{i}"] = set(values)
    probes = [v for values in model.versions.values() for v in values] + [1, 2, 3]
    built = index.compact()
    assert [info.keys for info in built] == [tuple(f"v@{i}" for i in range(5))]
    assert len(index.segments()) == 2  # approximate keys merged; the exact segment on its own
    assert_matches(index, model, probes)
    index.retire("v@0")  # inside the merged segment: marked retired, stops matching at once
    del model.versions["v@0"]
    assert_matches(index, model, probes)
    assert_matches(FingerprintIndex(index.directory), model, probes)
    index.compact()  # drops v@0's entries
    assert_matches(index, model, probes)
    assert index.compact() == []
    for key in list(model.versions):
        index.retire(key)
    assert index.keys() == [] and sorted(p.name for p in index.directory.iterdir()) == [".lock", "index.json"]


def test_compaction_of_compact_segments(scratch: Path) -> None:
    index = FingerprintIndex(scratch / "index")
    member = 0x0123_4567_89AB_CDEF
    five, six = 5 << 20, 6 << 20
    index.add("a", arr([member, five]), layout="compact")
    index.add("b", arr([member ^ 0x11, six]))
    (merged,) = index.compact()
    assert merged.layout == "compact" and merged.owned and merged.count == 4
    # member ^ 0x11 shares member's top 56 bits: in a compact merge it is attributed to the older key.
    probes = arr([member, member ^ 0x11, five, six])
    assert [index.key_of(int(p)) for p in index.probe(probes)] == ["a", "a", "a", "b"]
    assert index.probe(arr([member ^ (1 << 9)])).tolist() == [-1]


class IndexMachine(RuleBasedStateMachine):
    """Random add / retire / compact / reopen sequences against the model."""

    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp(prefix="sg-fpindex-machine-"))
        self.index = FingerprintIndex(self.directory)
        self.model = Model()
        self.seen: set[int] = set()
        self.counter = 0

    @rule(values=fingerprints, exact=st.booleans())
    def add(self, values: list[int], exact: bool) -> None:
        key = f"k{self.counter}"
        self.counter += 1
        self.index.add(key, arr(values), exact=exact)
        self.model.versions[key] = set(values)
        self.seen.update(values)

    @precondition(lambda self: bool(self.model.versions))
    @rule(data=st.data())
    def retire(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(self.model.versions)))
        assert self.index.retire(key)
        del self.model.versions[key]

    @rule()
    def compact(self) -> None:
        self.index.compact()

    @rule()
    def reopen(self) -> None:
        self.index.close()
        self.index = FingerprintIndex(self.directory)

    @invariant()
    def answers_match(self) -> None:
        assert_matches(self.index, self.model, [*sorted(self.seen), 12345])

    def teardown(self) -> None:
        self.index.close()
        shutil.rmtree(self.directory, ignore_errors=True)


IndexMachine.TestCase.settings = settings(max_examples=15, stateful_step_count=12, deadline=None,
                                          suppress_health_check=[HealthCheck.too_slow])
TestIndexMachine = IndexMachine.TestCase


def test_add_compacts_past_max_segments_without_rewriting_a_large_base(scratch: Path) -> None:
    index, model = FingerprintIndex(scratch / "index", max_segments=3), Model()
    rng = np.random.default_rng(11)
    for i in range(12):
        values = rng.integers(0, U64_MAX, 5000 if i == 0 else 50, dtype=np.uint64, endpoint=True).tolist()
        index.add(f"v@{i}", arr(values))
        model.versions[f"v@{i}"] = set(values)
        assert len(index.segments()) <= 3
    base = index.segments()
    assert any(info.keys == ("v@0",) and not info.owned for info in base)  # the large base was never merged
    assert_matches(index, model, [v for values in model.versions.values() for v in values])
    index.compact()
    assert [info.keys for info in index.segments()] == [tuple(model.versions)]
    assert_matches(index, model, [v for values in model.versions.values() for v in values])
