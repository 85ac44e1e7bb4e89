"""Signed checkpoints of the audit log, in the C2SP signed-note and tlog-checkpoint formats.

A checkpoint states "log <origin> had <size> entries with Merkle root <hash>" and is
signed with Ed25519 as a signed note (c2sp.org/signed-note, the format of Go's
golang.org/x/mod/sumdb/note), so the same checkpoint can be checked by SynthGuard, by
Go's note package, or by any transparency-log witness:

    <origin>
    <tree size in decimal>
    <base64 root hash>
    [extension lines]

    — <key name> <base64(4-byte key id || 64-byte Ed25519 signature)>

Public keys travel as Go "vkey" strings, "<name>+<hex key id>+<base64(0x01 || key)>".
Errors: a note that parses but carries no valid signature from a trusted key raises
SignatureError; a note or checkpoint that does not parse raises VerificationError (both
are findings about stored data); bad arguments from our caller raise InputError.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple, TypeAlias

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from synthguard.errors import InputError, SignatureError, VerificationError
from synthguard.provenance.signers.interface import Signer

ALG_ED25519 = 0x01
MAX_SIGNATURES = 100  # the spec asks for a limit of at least 16; Go's note package uses 100
ROOT_HASH_SIZE = 32

_SIG_PREFIX = "\N{EM DASH} ".encode()
_SIZE_RE = re.compile(r"0|[1-9][0-9]*")
_KEY_ID_RE = re.compile(r"[0-9a-fA-F]{8}")


class Verifier(NamedTuple):
    """A trusted public key and the name it signs under."""

    name: str
    public_key: Ed25519PublicKey


Verifiers: TypeAlias = Mapping[str, Ed25519PublicKey] | Iterable[tuple[str, Ed25519PublicKey]]


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head: its origin line, tree size and RFC 9162 root hash."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line("checkpoint origin", self.origin)
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise InputError(f"checkpoint tree size must be a non-negative integer: {self.size!r}")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != ROOT_HASH_SIZE:
            raise InputError(f"checkpoint root hash must be {ROOT_HASH_SIZE} bytes")
        for line in self.extensions:
            _check_line("checkpoint extension line", line)


def _check_line(what: str, line: str) -> None:
    """One line of note text: non-empty and free of newlines and other control characters."""
    if not isinstance(line, str) or not line:
        raise InputError(f"{what} must be a non-empty string")
    if any(ch < " " for ch in line):
        raise InputError(f"{what} must not contain newlines or control characters: {line!r}")


def format_body(checkpoint: Checkpoint) -> bytes:
    """The note text of a checkpoint, ending in a newline, ready for `sign_note`."""
    lines = [
        checkpoint.origin,
        str(checkpoint.size),
        base64.b64encode(checkpoint.root_hash).decode("ascii"),
        *checkpoint.extensions,
    ]
    return "".join(line + "\n" for line in lines).encode()


def parse_body(body: bytes) -> Checkpoint:
    """Read a checkpoint from note text; raises VerificationError if it is not one."""
    text = _decode_note_text(body)
    if not text.endswith("\n"):
        raise VerificationError("checkpoint text does not end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3 or not all(lines):
        raise VerificationError("checkpoint needs origin, size and root hash on non-empty lines")
    origin, size_line, hash_line, *extensions = lines
    if not _SIZE_RE.fullmatch(size_line):
        raise VerificationError(f"checkpoint tree size is not a plain decimal: {size_line!r}")
    root_hash = _b64decode(hash_line)
    # Canonical base64 only, so that one checkpoint has exactly one signed text.
    if root_hash is None or base64.b64encode(root_hash).decode() != hash_line:
        raise VerificationError(f"checkpoint root hash is not canonical base64: {hash_line!r}")
    try:
        return Checkpoint(origin, int(size_line), root_hash, tuple(extensions))
    except InputError as err:
        raise VerificationError(err.message) from err


def _b64decode(text: str) -> bytes | None:
    """Standard base64, canonical only: text with unused bits set would let a stored checkpoint
    change without its meaning changing, and every change must be detected."""
    try:
        decoded = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return decoded if base64.b64encode(decoded).decode("ascii") == text else None


def _decode_note_text(data: bytes) -> str:
    """Notes are UTF-8 with no control characters but newline (signed-note §Format)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise VerificationError("signed note is not valid UTF-8") from err
    if any(ch < " " and ch != "\n" for ch in text):
        raise VerificationError("signed note contains control characters")
    return text


def _is_valid_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name)


def _raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    """The 4-byte key ID: SHA-256(name || 0x0A || 0x01 || public key)[:4]."""
    data = name.encode() + b"\n" + bytes([ALG_ED25519]) + _raw_public_key(public_key)
    return hashlib.sha256(data).digest()[:4]


def format_vkey(name: str, public_key: Ed25519PublicKey) -> str:
    """The Go note verifier key "<name>+<hex key id>+<base64(0x01 || key)>"."""
    if not _is_valid_name(name):
        raise InputError(f"key name must be non-empty, without spaces or '+': {name!r}")
    encoded = base64.b64encode(bytes([ALG_ED25519]) + _raw_public_key(public_key)).decode()
    return f"{name}+{key_id(name, public_key).hex()}+{encoded}"


def parse_vkey(vkey: str) -> Verifier:
    """Read a Go note verifier key; raises InputError if it is malformed or inconsistent."""
    name, _, rest = vkey.partition("+")
    id_hex, _, key_b64 = rest.partition("+")
    key = _b64decode(key_b64)
    if not _is_valid_name(name) or not _KEY_ID_RE.fullmatch(id_hex) or not key:
        raise InputError(f"malformed verifier key: {vkey!r}")
    if key[0] != ALG_ED25519 or len(key) != 1 + 32:
        raise InputError(f"verifier key is not an Ed25519 key: {vkey!r}")
    try:
        verifier = Verifier(name, Ed25519PublicKey.from_public_bytes(key[1:]))
    except ValueError as err:
        raise InputError(f"verifier key holds an invalid Ed25519 key: {vkey!r}") from err
    if key_id(name, verifier.public_key) != bytes.fromhex(id_hex):
        raise InputError(f"verifier key's ID does not match its name and key: {vkey!r}")
    return verifier


def sign_note(body: bytes, name: str, private_key: Ed25519PrivateKey | Signer) -> bytes:
    """Sign note text (e.g. `format_body(checkpoint)`) and return the signed note.

    `private_key` is a raw key or any SynthGuard `Signer` (local file, Key Vault, HSM).
    """
    if not _is_valid_name(name):
        raise InputError(f"key name must be non-empty, without spaces or '+': {name!r}")
    try:
        text = _decode_note_text(body)
    except VerificationError as err:
        raise InputError(err.message) from err
    if not text.endswith("\n"):
        raise InputError("note text must end with a newline")
    public_key = (private_key.public_key() if isinstance(private_key, Ed25519PrivateKey)
                  else Ed25519PublicKey.from_public_bytes(private_key.public_key_bytes()))
    kid = key_id(name, public_key)
    signature = base64.b64encode(kid + private_key.sign(body)).decode()
    return body + b"\n" + _SIG_PREFIX + f"{name} {signature}\n".encode()


class _NoteSignature(NamedTuple):
    name: str
    key_id: bytes
    signature: bytes


def _split_note(note: bytes) -> tuple[bytes, list[_NoteSignature]]:
    """Separate a note's text from its signature lines, checking the syntax."""
    _decode_note_text(note)
    # The text may contain blank lines; the last one separates it from the signatures.
    split = note.rfind(b"\n\n")
    if split < 0 or split + 2 == len(note):
        raise SignatureError("note is not signed: it has no signature lines")
    text, block = note[: split + 1], note[split + 2 :]
    if not block.endswith(b"\n"):
        raise VerificationError("signed note does not end with a newline")
    lines = block[:-1].split(b"\n")
    if len(lines) > MAX_SIGNATURES:
        raise VerificationError(f"signed note has more than {MAX_SIGNATURES} signatures")
    return text, [_parse_signature_line(line) for line in lines]


def _parse_signature_line(line: bytes) -> _NoteSignature:
    if not line.startswith(_SIG_PREFIX):
        raise VerificationError(f"signed note has a line that is not a signature: {line!r}")
    name, _, encoded = line[len(_SIG_PREFIX) :].decode().partition(" ")
    raw = _b64decode(encoded)
    if not _is_valid_name(name) or raw is None or len(raw) < 5:
        raise VerificationError(f"signed note has a malformed signature line: {line!r}")
    return _NoteSignature(name, raw[:4], raw[4:])


def _index_verifiers(verifiers: Verifiers) -> dict[tuple[str, bytes], Ed25519PublicKey]:
    pairs = verifiers.items() if isinstance(verifiers, Mapping) else verifiers
    index: dict[tuple[str, bytes], Ed25519PublicKey] = {}
    for name, public_key in pairs:
        slot = (name, key_id(name, public_key))
        known = index.setdefault(slot, public_key)
        # Two different trusted keys with the same name and ID would make a signature's
        # key ambiguous; Go's note package refuses this too.
        if _raw_public_key(known) != _raw_public_key(public_key):
            raise InputError(f"two trusted keys share name and key ID {name}+{slot[1].hex()}")
    return index


def verify_note(note: bytes, verifiers: Verifiers) -> bytes:
    """Check a signed note's signatures and return its text.

    Signatures by unknown keys are ignored (they may be witnesses' cosignatures or a
    rotated-out key); every signature by a trusted key must verify, and at least one must
    be present. Raises SignatureError otherwise, VerificationError if the note is malformed.
    """
    text, signatures = _split_note(note)
    trusted = _index_verifiers(verifiers)
    verified = False
    for sig in signatures:
        public_key = trusted.get((sig.name, sig.key_id))
        if public_key is None:
            continue
        try:
            public_key.verify(sig.signature, text)
        except InvalidSignature as err:
            raise SignatureError(f"invalid signature for key {sig.name}+{sig.key_id.hex()}") from err
        verified = True
    if not verified:
        signers = ", ".join(f"{s.name}+{s.key_id.hex()}" for s in signatures)
        raise SignatureError(f"note has no signature from a trusted key (signed by {signers})")
    return text


def open_note(note: bytes, verifiers: Verifiers, *, origin: str | None = None) -> Checkpoint:
    """Verify a signed checkpoint and return it; if `origin` is given it must match."""
    checkpoint = parse_body(verify_note(note, verifiers))
    if origin is not None and checkpoint.origin != origin:
        raise VerificationError(f"checkpoint is for log {checkpoint.origin!r}, expected {origin!r}")
    return checkpoint
