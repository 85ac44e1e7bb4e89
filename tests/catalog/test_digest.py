"""Tests of dataset content digests: sharding, root stability, comparison and input errors."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthguard.catalog.digest import EMPTY_SHA256, digest_paths, verify_paths
from synthguard.catalog.manifests import NOT_COMPUTED, compare, manifest_text, root_of, shard_size_of
from synthguard.errors import InputError
from synthguard.models import FileDigest, Manifest, ShardDigest

PROPERTY = settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])

# Names a directory walk keeps: no leading dot, no separator; some non-ASCII to exercise UTF-8 order.
names = st.text(alphabet="abzAZ09_-éß日", min_size=1, max_size=6)
datasets = st.dictionaries(names, st.binary(max_size=300), min_size=1, max_size=5)


@contextmanager
def scratch() -> Iterator[Path]:
    """A fresh directory per hypothesis example (function-scoped fixtures are shared across them)."""
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


def write_files(directory: Path, files: dict[str, bytes], order: list[str] | None = None) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name in order if order is not None else list(files):
        (directory / name).write_bytes(files[name])


# ------------------------------------------------------------------------------------------
# Properties
# ------------------------------------------------------------------------------------------


@PROPERTY
@given(data=st.binary(max_size=2000), slack=st.integers(min_value=0, max_value=100))
def test_single_shard_file_sha256_is_plain_sha256(data: bytes, slack: int) -> None:
    with scratch() as tmp:
        (tmp / "f.bin").write_bytes(data)
        for whole_file in (True, False):
            manifest = digest_paths([tmp / "f.bin"], shard_size=max(1, len(data)) + slack,
                                    whole_file=whole_file)
            (file,) = manifest.files
            assert file.sha256 == hashlib.sha256(data).hexdigest()
            assert file.shards == (ShardDigest(0, len(data), file.sha256),)


@PROPERTY
@given(data=st.binary(max_size=2000), shard_size=st.integers(min_value=1, max_value=700))
def test_shards_tile_the_file_and_root_ignores_whole_file(data: bytes, shard_size: int) -> None:
    with scratch() as tmp:
        (tmp / "f.bin").write_bytes(data)
        register = digest_paths([tmp / "f.bin"], shard_size=shard_size, whole_file=True)
        verify = digest_paths([tmp / "f.bin"], shard_size=shard_size, whole_file=False)
    (file,) = register.files
    assert file.sha256 == hashlib.sha256(data).hexdigest()
    offset = 0
    for shard in file.shards:
        assert shard.offset == offset
        assert 0 < shard.length <= shard_size or len(data) == 0
        assert shard.sha256 == hashlib.sha256(data[offset:offset + shard.length]).hexdigest()
        offset += shard.length
    assert offset == len(data) == file.size
    assert verify.root == register.root
    assert verify.files[0].sha256 == (file.sha256 if len(file.shards) == 1 else NOT_COMPUTED)
    assert compare(register, verify) is None
    assert shard_size_of(register) >= min(shard_size, max(1, len(data)))


@PROPERTY
@given(files=datasets, data=st.data())
def test_root_is_stable_under_argument_and_creation_order(
    files: dict[str, bytes], data: st.DataObject
) -> None:
    names_ = sorted(files)
    created = data.draw(st.permutations(names_), label="creation order")
    passed = data.draw(st.permutations(names_), label="argument order")
    with scratch() as tmp:
        write_files(tmp / "ds", files, created)
        by_directory = digest_paths([tmp / "ds"], shard_size=64)
        by_files = digest_paths([tmp / "ds" / name for name in passed], shard_size=64)
    assert by_files == by_directory
    assert [f.path for f in by_directory.files] == sorted(names_, key=lambda n: n.encode())
    assert by_directory.root == root_of(reversed(by_directory.files))


@PROPERTY
@given(files=datasets, shard_size=st.integers(min_value=1, max_value=128), data=st.data())
def test_flipping_one_byte_changes_exactly_one_shard(
    files: dict[str, bytes], shard_size: int, data: st.DataObject
) -> None:
    candidates = sorted(name for name, content in files.items() if content)
    if not candidates:
        files = {**files, "x": b"\0"}
        candidates = ["x"]
    target = data.draw(st.sampled_from(candidates), label="file")
    position = data.draw(st.integers(0, len(files[target]) - 1), label="byte")
    mask = data.draw(st.integers(1, 255), label="xor mask")
    with scratch() as tmp:
        write_files(tmp, files)
        before = digest_paths([tmp], shard_size=shard_size)
        changed = bytearray(files[target])
        changed[position] ^= mask
        (tmp / target).write_bytes(bytes(changed))
        after = digest_paths([tmp], shard_size=shard_size, whole_file=False)
        assert verify_paths([tmp], before) is not None
    differing = [(a.path, sa.offset) for a, b in zip(before.files, after.files, strict=True)
                 for sa, sb in zip(a.shards, b.shards, strict=True) if sa != sb]
    index = position // shard_size
    assert differing == [(target, index * shard_size)]
    difference = compare(before, after)
    assert difference is not None
    assert (difference.kind, difference.path, difference.shard) == ("shard", target, index)
    assert difference.offset == index * shard_size
    assert difference.offset <= position < difference.offset + (difference.length or 0)
    assert after.root != before.root


@PROPERTY
@given(files=datasets, extra=names, content=st.binary(max_size=50))
def test_adding_and_removing_a_file_is_reported(files: dict[str, bytes], extra: str, content: bytes) -> None:
    with scratch() as tmp:
        write_files(tmp, files)
        before = digest_paths([tmp], shard_size=32)
        if extra not in files:
            (tmp / extra).write_bytes(content)
            added = compare(before, digest_paths([tmp], shard_size=32))
            assert added is not None and (added.kind, added.path) == ("extra", extra)
            (tmp / extra).unlink()
        if len(files) > 1:
            gone = sorted(files)[-1]
            (tmp / gone).unlink()
            removed = compare(before, digest_paths([tmp], shard_size=32))
            assert removed is not None and (removed.kind, removed.path) == ("missing", gone)
            assert gone in removed.message


# ------------------------------------------------------------------------------------------
# Examples
# ------------------------------------------------------------------------------------------


def test_manifest_text_and_root(tmp_path: Path) -> None:
    write_files(tmp_path / "ds" / "sub", {"b.csv": b"hello"})
    write_files(tmp_path / "ds", {"a": b"", ".hidden": b"x"})
    (tmp_path / "ds" / ".git").mkdir()
    (tmp_path / "ds" / ".git" / "config").write_bytes(b"x")
    manifest = digest_paths([tmp_path / "ds"], shard_size=2)
    hello = [hashlib.sha256(part).hexdigest() for part in (b"he", b"ll", b"o")]
    assert manifest_text(manifest) == (
        f"a\t0\t0\t{EMPTY_SHA256}\n"
        f"sub/b.csv\t0\t2\t{hello[0]}\n"
        f"sub/b.csv\t2\t2\t{hello[1]}\n"
        f"sub/b.csv\t4\t1\t{hello[2]}\n"
    ).encode()
    assert manifest.root == "sha256:" + hashlib.sha256(manifest_text(manifest)).hexdigest()
    assert manifest.files[1].sha256 == hashlib.sha256(b"hello").hexdigest()


def test_progress_is_monotonic_and_ends_at_dataset_size(tmp_path: Path) -> None:
    write_files(tmp_path, {"a": os.urandom(3000), "b": os.urandom(5000)})
    for whole_file in (True, False):
        calls: list[int] = []
        digest_paths([tmp_path], shard_size=1000, whole_file=whole_file, progress=calls.append)
        assert calls == sorted(calls) and calls[-1] == 8000


def test_symlinks_inside_the_tree_are_followed(tmp_path: Path) -> None:
    write_files(tmp_path / "ds" / "real", {"f": b"data"})
    (tmp_path / "ds" / "alias").symlink_to("real", target_is_directory=True)
    (tmp_path / "ds" / "g").symlink_to("real/f")
    manifest = digest_paths([tmp_path / "ds"])
    assert [f.path for f in manifest.files] == ["alias/f", "g", "real/f"]


def test_shard_layout_mismatch_is_named(tmp_path: Path) -> None:
    write_files(tmp_path, {"f": bytes(range(256)) * 4})
    difference = compare(digest_paths([tmp_path], shard_size=256), digest_paths([tmp_path], shard_size=512))
    assert difference is not None and difference.kind == "layout" and difference.shard == 0


def test_size_change_is_named(tmp_path: Path) -> None:
    write_files(tmp_path, {"f": b"0123456789"})
    before = digest_paths([tmp_path], shard_size=4)
    (tmp_path / "f").write_bytes(b"012345678")
    difference = verify_paths([tmp_path], before)
    assert difference is not None
    assert (difference.kind, difference.shard, difference.offset) == ("shard", 2, 8)
    assert "size changed from 10 to 9 bytes" in difference.message


def test_inconsistent_roots_are_reported() -> None:
    file = FileDigest("f", 0, EMPTY_SHA256, (ShardDigest(0, 0, EMPTY_SHA256),))
    good = Manifest((file,), root_of([file]))
    difference = compare(good, Manifest((file,), "sha256:" + "0" * 64))
    assert difference is not None and difference.kind == "root"
    assert compare(good, good) is None


# ------------------------------------------------------------------------------------------
# Input errors
# ------------------------------------------------------------------------------------------


def assert_input_error(paths: list[Path], fragment: str, named: Path | str) -> None:
    with pytest.raises(InputError) as caught:
        digest_paths(paths)
    line = caught.value.diagnostics()
    assert "\n" not in line
    assert fragment in caught.value.message
    assert str(named) in line


def test_missing_path(tmp_path: Path) -> None:
    assert_input_error([tmp_path / "nope"], "no such file", tmp_path / "nope")


def test_self_referencing_symlink(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to("loop")
    assert_input_error([tmp_path], "symlink loop", tmp_path / "loop")


def test_symlink_to_an_ancestor_directory(tmp_path: Path) -> None:
    write_files(tmp_path / "ds" / "sub", {"f": b"x"})
    (tmp_path / "ds" / "sub" / "up").symlink_to("..", target_is_directory=True)
    assert_input_error([tmp_path / "ds"], "symlink loop", tmp_path / "ds" / "sub" / "up")


def test_symlink_out_of_the_tree(tmp_path: Path) -> None:
    write_files(tmp_path / "outside", {"secret": b"x"})
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "link").symlink_to(tmp_path / "outside" / "secret")
    assert_input_error([tmp_path / "ds"], "outside the dataset", tmp_path / "ds" / "link")


def test_directory_without_files(tmp_path: Path) -> None:
    (tmp_path / "ds" / "empty").mkdir(parents=True)
    (tmp_path / "ds" / ".hidden").write_bytes(b"skipped")
    assert_input_error([tmp_path / "ds"], "no files", tmp_path / "ds")


def test_path_with_newline_or_tab(tmp_path: Path) -> None:
    for bad in ("a\nb", "a\tb"):
        directory = tmp_path / f"ds{len(bad)}{ord(bad[1])}"
        write_files(directory, {bad: b"x"})
        assert_input_error([directory], "tab or newline", repr(str(directory / bad)))


def test_non_regular_file(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    assert_input_error([tmp_path], "not a regular file", tmp_path / "pipe")


def test_two_arguments_with_the_same_manifest_path(tmp_path: Path) -> None:
    write_files(tmp_path / "one", {"f": b"1"})
    write_files(tmp_path / "two", {"f": b"2"})
    assert_input_error([tmp_path / "one", tmp_path / "two"], "same manifest path", tmp_path / "two" / "f")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file(tmp_path: Path) -> None:
    write_files(tmp_path, {"f": b"x"})
    (tmp_path / "f").chmod(0)
    assert_input_error([tmp_path], "cannot read", tmp_path / "f")


def test_bad_shard_size_and_empty_manifest() -> None:
    with pytest.raises(InputError):
        digest_paths([], shard_size=0)
    with pytest.raises(InputError):
        root_of([])
