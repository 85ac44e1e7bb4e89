"""RFC 9162 (Certificate Transparency v2) Merkle tree: hashing, proofs and their verification.

The audit log commits to its entries with this tree so that anyone holding a signed
checkpoint (tree size + root) can check that an entry is in the log (inclusion proof)
and that a later checkpoint extends an earlier one without rewriting it (consistency
proof). `CompactRange` keeps just the right-edge subtree hashes so appending N entries
costs O(N log n) hashing without rereading the log.

This is written by hand on purpose. sigstore-python only verifies inclusion, and the one
general PyPI tree library (pymerkle) hashes RFC 9162 trees but emits proofs in its own
path/rule format, not the RFC's audit paths; no maintained Python package generates RFC
9162 inclusion and consistency proofs. The algorithms below follow the RFC's text
(§2.1.1 tree hash, §2.1.3 inclusion, §2.1.4 consistency) step for step, and are tested
against the transparency-dev/merkle test vectors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from synthguard.errors import InputError, VerificationError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(entry: bytes) -> bytes:
    """SHA-256(0x00 || entry): the hash of one log entry (RFC 9162 §2.1.1)."""
    return hashlib.sha256(_LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node (RFC 9162 §2.1.1)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1): where RFC 9162 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def _subtree(leaves: Sequence[bytes], lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) for a non-empty range, without copying the leaf list."""
    if hi - lo == 1:
        return leaves[lo]
    k = _split(hi - lo)
    return node_hash(_subtree(leaves, lo, lo + k), _subtree(leaves, lo + k, hi))


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of the given leaf hashes; the empty tree hashes to SHA-256('')."""
    if not leaf_hashes:
        return EMPTY_ROOT
    return _subtree(leaf_hashes, 0, len(leaf_hashes))


def _check_size(leaf_hashes: Sequence[bytes], size: int) -> None:
    if not 0 <= size <= len(leaf_hashes):
        raise InputError(f"tree size {size} is outside 0..{len(leaf_hashes)}")


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int, size: int) -> list[bytes]:
    """The audit path PATH(index, D[:size]) of RFC 9162 §2.1.3.1, leaf's sibling first."""
    _check_size(leaf_hashes, size)
    if not 0 <= index < size:
        raise InputError(f"leaf index {index} is not in a tree of size {size}")
    proof: list[bytes] = []
    lo, hi = 0, size
    # Walk down from the root; siblings are collected top-down, so reverse at the end.
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            proof.append(_subtree(leaf_hashes, lo + k, hi))
            hi = lo + k
        else:
            proof.append(_subtree(leaf_hashes, lo, lo + k))
            lo += k
    proof.reverse()
    return proof


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int, new_size: int) -> list[bytes]:
    """PROOF(old_size, D[:new_size]) of RFC 9162 §2.1.4.1; empty when old_size is 0 or equal."""
    _check_size(leaf_hashes, new_size)
    if not 0 <= old_size <= new_size:
        raise InputError(f"old tree size {old_size} is outside 0..{new_size}")
    if old_size in (0, new_size):
        return []
    proof: list[bytes] = []
    lo, hi, m = 0, new_size, old_size
    # `whole` is SUBPROOF's flag b: true while the old tree is the left edge of this subtree,
    # in which case the verifier already knows its hash and it is left out of the proof.
    whole = True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            proof.append(_subtree(leaf_hashes, lo + k, hi))
            hi = lo + k
        else:
            proof.append(_subtree(leaf_hashes, lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    if not whole:
        proof.append(_subtree(leaf_hashes, lo, hi))
    proof.reverse()
    return proof


def _all_hashes(*values: bytes) -> bool:
    return all(isinstance(v, bytes) and len(v) == HASH_SIZE for v in values)


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """Whether `proof` shows `leaf_hash` at `index` in the tree of `size` with `root`.

    RFC 9162 §2.1.3.2, step for step.
    """
    if not _all_hashes(leaf_hash, root, *proof):
        return False
    if not 0 <= index < size:  # step 1
        return False
    fn, sn = index, size - 1  # step 2
    r = leaf_hash  # step 3
    for p in proof:  # step 4
        if sn == 0:  # 4a: the proof is longer than the path
            return False
        if fn & 1 or fn == sn:  # 4b
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1  # 4c
    return sn == 0 and r == root  # step 5


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether `proof` shows the tree (new_size, new_root) extends (old_size, old_root).

    RFC 9162 §2.1.4.2 step for step for 0 < old_size < new_size. The RFC leaves the
    trivial cases out; here an empty old tree must have the empty root, equal sizes must
    have equal roots, and both take an empty proof.
    """
    if not _all_hashes(old_root, new_root, *proof):
        return False
    if not 0 <= old_size <= new_size:
        return False
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:  # step 1
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # step 2: old tree is a complete subtree
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1  # step 3
    while fn & 1:  # step 4
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]  # step 5
    for c in path[1:]:  # step 6
        if sn == 0:  # 6a
            return False
        if fn & 1 or fn == sn:  # 6b
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1  # 6c
    return fr == old_root and sr == new_root and sn == 0  # step 7


class CompactRange:
    """The right edge of a tree: one perfect-subtree hash per set bit of its size.

    Appending a leaf merges equal-sized subtrees like a binary counter carries, so the
    log can extend its root from a stored frontier instead of rereading every leaf.
    """

    def __init__(self, size: int = 0, hashes: Iterable[bytes] = ()) -> None:
        self._hashes = list(hashes)
        if size < 0 or len(self._hashes) != size.bit_count():
            raise VerificationError(
                f"compact range of size {size} needs {max(size, 0).bit_count()} hashes, "
                f"got {len(self._hashes)}"
            )
        if not _all_hashes(*self._hashes):
            raise VerificationError("compact range holds a hash that is not 32 bytes")
        self._size = size

    @property
    def size(self) -> int:
        """How many leaves the range covers."""
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """The subtree hashes, largest (leftmost) first."""
        return tuple(self._hashes)

    def append(self, leaf_hash: bytes) -> None:
        """Add one leaf hash at the right edge."""
        if not _all_hashes(leaf_hash):
            raise InputError("a leaf hash must be 32 bytes")
        self._hashes.append(leaf_hash)
        carry = self._size
        # Each trailing 1 bit of the old size is a subtree as big as the one just
        # completed, so they merge, exactly like carries in binary addition.
        while carry & 1:
            right = self._hashes.pop()
            self._hashes[-1] = node_hash(self._hashes[-1], right)
            carry >>= 1
        self._size += 1

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append several leaf hashes in order."""
        for h in leaf_hashes:
            self.append(h)

    def root(self) -> bytes:
        """The RFC 9162 root of the leaves appended so far."""
        if not self._hashes:
            return EMPTY_ROOT
        r = self._hashes[-1]
        for h in reversed(self._hashes[:-1]):
            r = node_hash(h, r)
        return r

    def to_bytes(self) -> bytes:
        """8-byte big-endian size followed by the subtree hashes, for storage."""
        return self._size.to_bytes(8, "big") + b"".join(self._hashes)

    @classmethod
    def from_bytes(cls, data: bytes) -> CompactRange:
        """Rebuild a range from `to_bytes`; raises VerificationError if it is damaged."""
        if len(data) < 8 or (len(data) - 8) % HASH_SIZE:
            raise VerificationError(f"a stored compact range cannot be {len(data)} bytes long")
        size = int.from_bytes(data[:8], "big")
        body = data[8:]
        return cls(size, (body[i : i + HASH_SIZE] for i in range(0, len(body), HASH_SIZE)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CompactRange):
            return NotImplemented
        return self._size == other._size and self._hashes == other._hashes

    def __hash__(self) -> int:
        return hash((self._size, tuple(self._hashes)))

    def __repr__(self) -> str:
        return f"CompactRange(size={self._size}, root={self.root().hex()})"
