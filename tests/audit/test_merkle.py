"""Tests for the RFC 9162 Merkle tree: published vectors first, then properties."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthguard.audit.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)
from synthguard.errors import InputError, VerificationError

# --- Published test vectors --------------------------------------------------------------
# From github.com/transparency-dev/merkle (the RFC 6962 tree library used by Trillian and
# certificate-transparency-go): testonly/constants.go (LeafInputs, NodeHashes, RootHashes,
# CompactTrees) and proof/verify_test.go (inclusionProofs, consistencyProofs).

h = bytes.fromhex

LEAF_INPUTS = [
    h(""),
    h("00"),
    h("10"),
    h("2021"),
    h("3031"),
    h("40414243"),
    h("5051525354555657"),
    h("606162636465666768696a6b6c6d6e6f"),
]

# NodeHashes(): [level][index] hashes of every complete subtree of the 8-leaf tree.
NODE_HASHES = [
    [
        h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        h("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
        h("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
        h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        h("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
        h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
        h("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
    ],
    [
        h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
        h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
    ],
    [
        h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    ],
    [
        h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
    ],
]

# RootHashes(): root of the tree of the first n leaves, n = 0..8.
ROOT_HASHES = [
    h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]

_N = NODE_HASHES
# CompactTrees(): the right-edge subtree hashes for n = 0..8.
COMPACT_TREES = [
    [],
    [_N[0][0]],
    [_N[1][0]],
    [_N[1][0], _N[0][2]],
    [_N[2][0]],
    [_N[2][0], _N[0][4]],
    [_N[2][0], _N[1][2]],
    [_N[2][0], _N[1][2], _N[0][6]],
    [_N[3][0]],
]

# inclusionProofs: (0-based leaf index, tree size, proof). Go's table counts leaves from 1.
INCLUSION_PROOFS = [
    (0, 1, []),
    (
        0,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (2, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        1,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
]

# consistencyProofs: (old size, new size, proof).
CONSISTENCY_PROOFS = [
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]

# sha256SomeHash in verify_test.go: a well-formed hash that is in no tree.
SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")

LEAF_HASHES = [leaf_hash(x) for x in LEAF_INPUTS]


def test_empty_root_is_sha256_of_nothing() -> None:
    assert root([]) == EMPTY_ROOT == hashlib.sha256(b"").digest() == ROOT_HASHES[0]


def test_leaf_and_node_hashes_match_published_subtrees() -> None:
    assert NODE_HASHES[0] == LEAF_HASHES
    for level in range(1, len(NODE_HASHES)):
        below = NODE_HASHES[level - 1]
        assert NODE_HASHES[level] == [node_hash(below[i], below[i + 1]) for i in range(0, len(below), 2)]


@pytest.mark.parametrize("size", range(len(ROOT_HASHES)))
def test_roots_match_published(size: int) -> None:
    assert root(LEAF_HASHES[:size]) == ROOT_HASHES[size]


@pytest.mark.parametrize("size", range(len(COMPACT_TREES)))
def test_compact_range_matches_published(size: int) -> None:
    frontier = CompactRange()
    frontier.extend(LEAF_HASHES[:size])
    assert list(frontier.hashes) == COMPACT_TREES[size]
    assert frontier.root() == ROOT_HASHES[size]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_PROOFS)
def test_inclusion_proofs_match_published(index: int, size: int, proof: list[bytes]) -> None:
    assert inclusion_proof(LEAF_HASHES, index, size) == proof
    assert verify_inclusion(LEAF_HASHES[index], index, size, proof, ROOT_HASHES[size])


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_PROOFS)
def test_consistency_proofs_match_published(old: int, new: int, proof: list[bytes]) -> None:
    assert consistency_proof(LEAF_HASHES, old, new) == proof
    assert verify_consistency(old, new, ROOT_HASHES[old], ROOT_HASHES[new], proof)


def _inclusion_probes(
    index: int, size: int, proof: list[bytes], root_hash: bytes, leaf: bytes
) -> list[tuple[bytes, int, int, list[bytes], bytes]]:
    """Port of corruptInclusionProof in transparency-dev/merkle proof/verify_test.go.

    Each probe is a verify_inclusion argument tuple: (leaf, index, size, proof, root).
    """
    probes = [
        (leaf, index - 1, size, proof, root_hash),
        (leaf, index + 1, size, proof, root_hash),
        (leaf, index ^ 2, size, proof, root_hash),
        (leaf, index, size * 2, proof, root_hash),
        (leaf, index, size // 2, proof, root_hash),
        (b"WrongLeaf", index, size, proof, root_hash),
        (leaf, index, size, proof, EMPTY_ROOT),
        (leaf, index, size, proof, SOME_HASH),
        (leaf, index, size, [*proof, b""], root_hash),
        (leaf, index, size, [*proof, root_hash], root_hash),
        (leaf, index, size, [b"", *proof], root_hash),
        (leaf, index, size, [root_hash, *proof], root_hash),
    ]
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = bytes([wrong[i][0] ^ 8]) + wrong[i][1:]
        probes.append((leaf, index, size, wrong, root_hash))
    if proof:
        probes.append((leaf, index, size, proof[:-1], root_hash))
    if len(proof) > 1:
        probes.append((leaf, index, size, [proof[0], SOME_HASH, *proof[1:]], root_hash))
    return probes


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_PROOFS[1:])
def test_corrupted_published_inclusion_proofs_fail(index: int, size: int, proof: list[bytes]) -> None:
    for probe in _inclusion_probes(index, size, proof, ROOT_HASHES[size], LEAF_HASHES[index]):
        assert not verify_inclusion(*probe), probe


def _consistency_probes(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> list[tuple[int, int, bytes, bytes, list[bytes]]]:
    """Port of corruptConsistencyProof in transparency-dev/merkle proof/verify_test.go."""
    probes = [
        (old - 1, new, old_root, new_root, proof),
        (old + 1, new, old_root, new_root, proof),
        (old ^ 2, new, old_root, new_root, proof),
        (old, new * 2, old_root, new_root, proof),
        (old, new // 2, old_root, new_root, proof),
        (old, new, b"WrongRoot", new_root, proof),
        (old, new, old_root, b"WrongRoot", proof),
        (old, new, new_root, old_root, proof),
        (old, new, old_root, new_root, []),
        (old, new, old_root, new_root, [*proof, b""]),
        (old, new, old_root, new_root, [*proof, old_root]),
        (old, new, old_root, new_root, [*proof, new_root]),
        (old, new, old_root, new_root, [b"", *proof]),
        (old, new, old_root, new_root, [old_root, *proof]),
        (old, new, old_root, new_root, [new_root, *proof]),
        (old, new, old_root, new_root, [proof[0], *proof]),
        (old, new, old_root, new_root, proof[:-1]),
    ]
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = bytes([wrong[i][0] ^ 16]) + wrong[i][1:]
        probes.append((old, new, old_root, new_root, wrong))
    return probes


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_PROOFS[1:])
def test_corrupted_published_consistency_proofs_fail(old: int, new: int, proof: list[bytes]) -> None:
    for probe in _consistency_probes(old, new, ROOT_HASHES[old], ROOT_HASHES[new], proof):
        assert not verify_consistency(*probe), probe


# --- Edge cases ----------------------------------------------------------------------------


def test_inclusion_rejects_impossible_positions() -> None:
    # From TestVerifyInclusion: no (index, size) outside 0 <= index < size verifies.
    for index, size in [(0, 0), (1, 0), (1, 1), (2, 1), (-1, 1)]:
        assert not verify_inclusion(SOME_HASH, index, size, [], SOME_HASH)
    assert verify_inclusion(SOME_HASH, 0, 1, [], SOME_HASH)


def test_trivial_consistency() -> None:
    r = ROOT_HASHES[3]
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert verify_consistency(0, 3, EMPTY_ROOT, r, [])
    assert verify_consistency(3, 3, r, r, [])
    # An empty tree has one root; equal sizes need equal roots; trivial cases take no proof.
    assert not verify_consistency(0, 3, SOME_HASH, r, [])
    assert not verify_consistency(3, 3, r, SOME_HASH, [])
    assert not verify_consistency(3, 3, r, r, [EMPTY_ROOT])
    assert not verify_consistency(0, 3, EMPTY_ROOT, r, [EMPTY_ROOT])
    # Time travel to the past, and a non-trivial claim without a proof.
    assert not verify_consistency(3, 2, r, ROOT_HASHES[2], [])
    assert not verify_consistency(2, 3, ROOT_HASHES[2], r, [])


def test_proof_generation_rejects_bad_arguments() -> None:
    with pytest.raises(InputError):
        inclusion_proof(LEAF_HASHES, 8, 8)
    with pytest.raises(InputError):
        inclusion_proof(LEAF_HASHES, 0, 9)
    with pytest.raises(InputError):
        consistency_proof(LEAF_HASHES, 5, 4)
    with pytest.raises(InputError):
        consistency_proof(LEAF_HASHES, 1, 9)
    assert consistency_proof(LEAF_HASHES, 0, 8) == []
    assert consistency_proof(LEAF_HASHES, 8, 8) == []


def test_proofs_only_use_leaves_up_to_size() -> None:
    # A log asks for proofs against an older checkpoint while holding more leaves.
    assert inclusion_proof(LEAF_HASHES, 1, 5) == inclusion_proof(LEAF_HASHES[:5], 1, 5)
    assert consistency_proof(LEAF_HASHES, 2, 5) == consistency_proof(LEAF_HASHES[:5], 2, 5)


def test_compact_range_round_trips_and_rejects_damage() -> None:
    frontier = CompactRange()
    frontier.extend(LEAF_HASHES[:7])
    data = frontier.to_bytes()
    assert len(data) == 8 + 3 * 32
    assert CompactRange.from_bytes(data) == frontier
    assert CompactRange.from_bytes(CompactRange().to_bytes()).root() == EMPTY_ROOT
    for damaged in [data[:-1], data[:-32], data[:7], (8).to_bytes(8, "big") + data[8:]]:
        with pytest.raises(VerificationError):
            CompactRange.from_bytes(damaged)
    with pytest.raises(InputError):
        frontier.append(b"short")


# --- Properties ----------------------------------------------------------------------------


def _leaves(n: int, salt: int = 0) -> list[bytes]:
    return [leaf_hash(salt.to_bytes(4, "big") + i.to_bytes(8, "big")) for i in range(n)]


def test_every_proof_verifies_exhaustively_for_small_trees() -> None:
    for n in range(1, 40):
        leaves = _leaves(n)
        roots = [root(leaves[:m]) for m in range(n + 1)]
        for i in range(n):
            assert verify_inclusion(leaves[i], i, n, inclusion_proof(leaves, i, n), roots[n])
        for m in range(0, n + 1):
            assert verify_consistency(m, n, roots[m], roots[n], consistency_proof(leaves, m, n))


tree_and_index = st.integers(1, 300).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1)))
tree_and_old_size = st.integers(2, 300).flatmap(lambda n: st.tuples(st.just(n), st.integers(1, n - 1)))


@given(tree_and_index, st.integers(0, 2**32 - 1))
def test_inclusion_proof_verifies(case: tuple[int, int], salt: int) -> None:
    n, i = case
    leaves = _leaves(n, salt)
    proof = inclusion_proof(leaves, i, n)
    assert verify_inclusion(leaves[i], i, n, proof, root(leaves))
    # The same proof does not place the leaf anywhere else.
    assert not verify_inclusion(leaves[i], i + 1, n, proof, root(leaves))


@given(tree_and_old_size)
def test_consistency_proof_verifies(case: tuple[int, int]) -> None:
    n, m = case
    leaves = _leaves(n)
    proof = consistency_proof(leaves, m, n)
    assert verify_consistency(m, n, root(leaves[:m]), root(leaves), proof)
    # A rewritten history (one changed old leaf) is not consistent with the new tree.
    forged = [*leaves[: m - 1], leaf_hash(b"forged"), *leaves[m:]]
    assert not verify_consistency(m, n, root(forged[:m]), root(leaves), proof)


def _flip(data: bytes, position: int, mask: int) -> bytes:
    position %= len(data)
    return data[:position] + bytes([data[position] ^ mask]) + data[position + 1 :]


byte_flip = st.tuples(st.integers(0, 10**6), st.integers(0, 31), st.integers(1, 255))


@given(tree_and_index, byte_flip)
def test_flipped_inclusion_proof_or_root_fails(case: tuple[int, int], flip: tuple[int, int, int]) -> None:
    n, i = case
    element, position, mask = flip
    leaves = _leaves(n)
    proof = inclusion_proof(leaves, i, n)
    good_root = root(leaves)
    assert not verify_inclusion(leaves[i], i, n, proof, _flip(good_root, position, mask))
    assert not verify_inclusion(_flip(leaves[i], position, mask), i, n, proof, good_root)
    if proof:
        k = element % len(proof)
        bad = [*proof[:k], _flip(proof[k], position, mask), *proof[k + 1 :]]
        assert not verify_inclusion(leaves[i], i, n, bad, good_root)


@given(tree_and_old_size, byte_flip)
def test_flipped_consistency_proof_or_root_fails(case: tuple[int, int], flip: tuple[int, int, int]) -> None:
    n, m = case
    element, position, mask = flip
    leaves = _leaves(n)
    proof = consistency_proof(leaves, m, n)
    old_root, new_root = root(leaves[:m]), root(leaves)
    assert not verify_consistency(m, n, _flip(old_root, position, mask), new_root, proof)
    assert not verify_consistency(m, n, old_root, _flip(new_root, position, mask), proof)
    k = element % len(proof)
    bad = [*proof[:k], _flip(proof[k], position, mask), *proof[k + 1 :]]
    assert not verify_consistency(m, n, old_root, new_root, bad)


@settings(max_examples=50)
@given(st.lists(st.binary(max_size=40), max_size=200), st.integers(0, 200))
def test_compact_range_root_equals_root(entries: list[bytes], split: int) -> None:
    leaves = [leaf_hash(e) for e in entries]
    frontier = CompactRange()
    for count, leaf in enumerate(leaves, start=1):
        frontier.append(leaf)
        assert frontier.size == count
        assert len(frontier.hashes) == count.bit_count()
    assert frontier.root() == root(leaves)
    # Storing the frontier midway and resuming gives the same root as never stopping.
    split = min(split, len(leaves))
    first = CompactRange()
    first.extend(leaves[:split])
    resumed = CompactRange.from_bytes(first.to_bytes())
    resumed.extend(leaves[split:])
    assert resumed == frontier
