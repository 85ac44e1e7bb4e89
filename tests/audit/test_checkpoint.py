"""Tests for signed-note checkpoints: interop with Go's note package, then tampering."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from synthguard.audit.checkpoint import (
    Checkpoint,
    Verifier,
    format_body,
    format_vkey,
    key_id,
    open_note,
    parse_body,
    parse_vkey,
    sign_note,
    verify_note,
)
from synthguard.errors import InputError, SignatureError, VerificationError
from synthguard.provenance.signers import LocalKeySigner

# --- Published test vectors --------------------------------------------------------------
# golang.org/x/mod/sumdb/note, note_test.go (TestNewVerifier, TestSign, TestOpen).
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
)
PETER_B64 = "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
ENOCH_B64 = "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ="
PETER_SIG = f"— PeterNeumann {PETER_B64}\n"
ENOCH_SIG = f"— EnochRoot {ENOCH_B64}\n"

# github.com/google/trillian-examples, formats/log/note_test.go: (signer key, verifier key)
# pairs made by Go's note.GenerateKey, and a real checkpoint signed by sum.golang.org.
GO_KEY_PAIRS = [
    (
        "PRIVATE+KEY+Log+2271c621+AdEIq9FLRQni54Wg68T96VJO+iayOaulswav2DUMKgvQ",
        "Log+2271c621+AemuH5ooBpEPcr+W8onrjA1NfuzBVHdezakU81Ekarvs",
    ),
    (
        "PRIVATE+KEY+Known+451c786d+AQPRoE2+Z+Ed1HaHBA9F/FfracvcZ2rDU39kCecMEoci",
        "Known+451c786d+AXAQ0T7lbwuY4ABJ9/MYY9bWV3hmSyOGVt2x42NkmdUH",
    ),
    (
        "PRIVATE+KEY+KnownAgain+4893b26c+ARhZda/l25zjGZswYLDZsLNRzNpmv5wYTN9IoTr1OJ2+",
        "KnownAgain+4893b26c+AQ+LR7BFF/F/dkpIBjBpSvT0crkteizuUkavAoGeaYMj",
    ),
    (
        "PRIVATE+KEY+Unknown+fdbb2e08+Aav2knTC6orbhXX8pMWuNiWgO+Wwk2DB+h1eU2Q1W1nU",
        "Unknown+fdbb2e08+AWgRIYZ+8x1Vl+1Q+sR8zciNHiYI1SdlBjNw+RV0rots",
    ),
]
SUMDB_VKEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
SUMDB_NOTE = (
    "go.sum database tree\n"
    "6476701\n"
    "mb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=\n"
    "\n"
    "— sum.golang.org "
    "Az3grsLX85Gz+s1SiTbgkuqxgItqFq7gsMUEyVnrsa9LM7Us9S+1xbFIGu95949rj4nPRYfvimWEPWL+o3GeoWwOoAw=\n"
).encode()

# The example checkpoint body from c2sp.org/tlog-checkpoint (its signing key is not published).
C2SP_BODY = b"example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"


def _go_private_key(skey: str) -> tuple[str, Ed25519PrivateKey]:
    """Decode Go's "PRIVATE+KEY+<name>+<id>+<base64(0x01 || seed)>" signer key."""
    _, _, name, _, encoded = skey.split("+", 4)
    raw = base64.b64decode(encoded)
    assert raw[0] == 0x01
    return name, Ed25519PrivateKey.from_private_bytes(raw[1:])


def _only(error: pytest.ExceptionInfo[BaseException], kind: type[BaseException]) -> None:
    """Distinguish a malformed note (VerificationError) from its SignatureError subclass."""
    assert type(error.value) is kind, repr(error.value)


# --- Interoperability with Go --------------------------------------------------------------


def test_vkey_round_trips_go_vkey() -> None:
    peter = parse_vkey(PETER_VKEY)
    assert peter.name == "PeterNeumann"
    assert key_id(peter.name, peter.public_key).hex() == "c74f20a3"
    assert format_vkey(peter.name, peter.public_key) == PETER_VKEY


@pytest.mark.parametrize(("skey", "vkey"), [(PETER_SKEY, PETER_VKEY), *GO_KEY_PAIRS])
def test_vkey_of_go_generated_keys(skey: str, vkey: str) -> None:
    name, private_key = _go_private_key(skey)
    assert format_vkey(name, private_key.public_key()) == vkey
    assert skey.split("+")[3] == key_id(name, private_key.public_key()).hex()


def test_signature_is_byte_identical_to_go() -> None:
    name, private_key = _go_private_key(PETER_SKEY)
    assert sign_note(GO_TEXT.encode(), name, private_key).decode() == GO_TEXT + "\n" + PETER_SIG


def test_verifies_note_signed_by_go() -> None:
    note = (GO_TEXT + "\n" + PETER_SIG + ENOCH_SIG).encode()
    peter, enoch = parse_vkey(PETER_VKEY), parse_vkey(ENOCH_VKEY)
    assert verify_note(note, [peter]) == GO_TEXT.encode()
    assert verify_note(note, [enoch]) == GO_TEXT.encode()
    assert verify_note(note, {peter.name: peter.public_key, enoch.name: enoch.public_key})
    # The same key listed twice is not ambiguous.
    assert verify_note(note, [enoch, peter, enoch]) == GO_TEXT.encode()
    with pytest.raises(SignatureError, match="no signature from a trusted key"):
        verify_note(note, [])


def test_opens_real_sum_golang_org_checkpoint() -> None:
    sumdb = parse_vkey(SUMDB_VKEY)
    checkpoint = open_note(SUMDB_NOTE, [sumdb], origin="go.sum database tree")
    assert checkpoint == Checkpoint(
        "go.sum database tree", 6476701, base64.b64decode("mb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=")
    )
    with pytest.raises(VerificationError, match="expected 'Go rocks'") as error:
        open_note(SUMDB_NOTE, [sumdb], origin="Go rocks")
    _only(error, VerificationError)


def test_go_vkey_manglings_are_rejected() -> None:
    # TestNewVerifier: every proper substring and every one-byte change must be refused.
    for i in range(len(PETER_VKEY) + 1):
        for j in range(i + 1, len(PETER_VKEY) + 1):
            if (i, j) != (0, len(PETER_VKEY)):
                with pytest.raises(InputError):
                    parse_vkey(PETER_VKEY[i:j])
    for i, ch in enumerate(PETER_VKEY):
        with pytest.raises(InputError):
            parse_vkey(PETER_VKEY[:i] + chr(ord(ch) + 1) + PETER_VKEY[i + 1 :])
    # Wrong key length, and an unknown algorithm, each with a matching key ID.
    for bad in [
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ]:
        with pytest.raises(InputError):
            parse_vkey(bad)


@pytest.mark.parametrize(
    ("note", "error"),
    [
        # The malformed notes of TestOpen ("badMsgs"); the first two carry no signature.
        (GO_TEXT, SignatureError),
        (GO_TEXT + "\n", SignatureError),
        (GO_TEXT + "\n" + PETER_SIG[:-1], VerificationError),
        ("\x01" + GO_TEXT + "\n" + PETER_SIG, VerificationError),
        (GO_TEXT + "\n— Bad Name " + PETER_B64, VerificationError),
        (GO_TEXT + "\n" + PETER_SIG + "Unexpected line.\n", VerificationError),
        # Too many signatures.
        (GO_TEXT + "\n" + PETER_SIG * 101, VerificationError),
        # A signature with bytes inserted.
        (GO_TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:], SignatureError),
        # Renamed signer: no longer a trusted key, so nothing trusted signed it.
        (GO_TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "CarmenSandiego"), SignatureError),
    ],
)
def test_go_bad_notes_are_rejected(note: str, error: type[VerificationError]) -> None:
    with pytest.raises(VerificationError) as raised:
        verify_note(note.encode(), [parse_vkey(PETER_VKEY)])
    _only(raised, error)


def test_invalid_utf8_note_is_rejected() -> None:
    with pytest.raises(VerificationError) as raised:
        verify_note(b"\xff" + (GO_TEXT + "\n" + PETER_SIG).encode(), [parse_vkey(PETER_VKEY)])
    _only(raised, VerificationError)


# --- Our checkpoints -----------------------------------------------------------------------

NAME = "example.com/synthguard"
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
TRUSTED = [Verifier(NAME, KEY.public_key())]
CHECKPOINT = Checkpoint(NAME, 42, bytes(range(32)))


def _signed(checkpoint: Checkpoint = CHECKPOINT) -> bytes:
    return sign_note(format_body(checkpoint), NAME, KEY)


def test_body_format() -> None:
    assert format_body(CHECKPOINT) == (
        b"example.com/synthguard\n42\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
    )
    with_ext = Checkpoint(NAME, 0, bytes(32), ("ext one", "ext two"))
    assert format_body(with_ext).endswith(b"\next one\next two\n")
    assert parse_body(format_body(with_ext)) == with_ext


def test_parses_c2sp_example_body() -> None:
    checkpoint = parse_body(C2SP_BODY)
    assert (checkpoint.origin, checkpoint.size) == ("example.com/behind-the-sofa", 20852163)
    assert format_body(checkpoint) == C2SP_BODY


def test_sign_and_open_round_trip() -> None:
    note = _signed()
    assert note.startswith(format_body(CHECKPOINT) + b"\n\xe2\x80\x94 example.com/synthguard ")
    assert open_note(note, TRUSTED, origin=NAME) == CHECKPOINT
    assert open_note(note, {NAME: KEY.public_key()}) == CHECKPOINT
    assert open_note(note, [parse_vkey(format_vkey(NAME, KEY.public_key()))]) == CHECKPOINT


def test_signer_interface_signs_like_the_raw_key() -> None:
    # A Key Vault or HSM signer only exposes sign() and the public key; Ed25519 is
    # deterministic, so the note must be byte-identical to one signed with the raw key.
    assert sign_note(format_body(CHECKPOINT), NAME, LocalKeySigner(KEY)) == _signed()


def test_wrong_key_fails() -> None:
    with pytest.raises(SignatureError, match="no signature from a trusted key"):
        open_note(_signed(), [(NAME, OTHER_KEY.public_key())])
    with pytest.raises(SignatureError):
        open_note(sign_note(format_body(CHECKPOINT), NAME, OTHER_KEY), TRUSTED)


def test_every_flipped_body_byte_fails() -> None:
    note = _signed()
    body_length = len(format_body(CHECKPOINT))
    for position in range(body_length):
        tampered = note[:position] + bytes([note[position] ^ 0x01]) + note[position + 1 :]
        with pytest.raises(VerificationError) as raised:
            open_note(tampered, TRUSTED)
        # A flipped newline becomes a control character, which is malformed, not forged.
        _only(raised, VerificationError if note[position] == ord("\n") else SignatureError)


def test_every_flipped_signature_byte_fails() -> None:
    note = _signed()
    head, _, encoded = note.rstrip(b"\n").rpartition(b" ")
    raw = base64.b64decode(encoded)
    for position in range(len(raw)):
        flipped = raw[:position] + bytes([raw[position] ^ 0x80]) + raw[position + 1 :]
        tampered = head + b" " + base64.b64encode(flipped) + b"\n"
        # Bytes 0-3 are the key ID (key becomes unknown), the rest the Ed25519 signature.
        message = "no signature from a trusted key" if position < 4 else "invalid signature"
        with pytest.raises(SignatureError, match=message):
            open_note(tampered, TRUSTED)


def test_missing_signature_fails() -> None:
    body = format_body(CHECKPOINT)
    for unsigned in [body, body + b"\n"]:
        with pytest.raises(SignatureError, match="not signed"):
            open_note(unsigned, TRUSTED)


def test_unknown_cosigners_are_ignored_but_not_enough() -> None:
    body = format_body(CHECKPOINT)
    ours = _signed()
    witness = sign_note(body, "witness.example", OTHER_KEY)
    witness_line = witness[len(body) + 1 :]
    assert open_note(ours + witness_line, TRUSTED) == CHECKPOINT
    assert open_note(body + b"\n" + witness_line + ours[len(body) + 1 :], TRUSTED) == CHECKPOINT
    with pytest.raises(SignatureError):
        open_note(witness, TRUSTED)


def test_one_bad_trusted_signature_rejects_the_note() -> None:
    # signed-note: if a signature from a known key fails, reject the whole note.
    body = format_body(CHECKPOINT)
    good = _signed()
    forged_line = sign_note(b"other text\n", "second", OTHER_KEY)[len(b"other text\n") + 1 :]
    trusted = [*TRUSTED, Verifier("second", OTHER_KEY.public_key())]
    assert open_note(good, trusted) == CHECKPOINT
    with pytest.raises(SignatureError, match="invalid signature for key second"):
        open_note(good + forged_line, trusted)
    with pytest.raises(SignatureError):
        open_note(body + b"\n" + forged_line + good[len(body) + 1 :], trusted)


def test_signed_non_checkpoint_is_malformed_not_forged() -> None:
    with pytest.raises(VerificationError) as raised:
        open_note(sign_note(b"if this is a valid checkpoint then I'll eat my hat\n", NAME, KEY), TRUSTED)
    _only(raised, VerificationError)


ROOT_B64 = base64.b64encode(bytes(32)).decode()


@pytest.mark.parametrize(
    "body",
    [
        f"o\n05\n{ROOT_B64}\n",  # leading zero
        f"o\n+5\n{ROOT_B64}\n",
        f"o\n 5\n{ROOT_B64}\n",
        f"o\n5_0\n{ROOT_B64}\n",
        f"o\n\u0663\n{ROOT_B64}\n",  # ARABIC-INDIC DIGIT THREE: int() would take it
        f"o\n-1\n{ROOT_B64}\n",
        f"o\n5\n{ROOT_B64[:-2]}B=\n",  # same bytes, non-canonical padding bits
        f"o\n5\n{ROOT_B64[:-1]}\n",  # bad padding
        f"o\n5\n{base64.b64encode(bytes(31)).decode()}\n",  # 31-byte root
        f"o\n5\n{ROOT_B64} \n",
        "o\n5\n",
        f"o\n5\n{ROOT_B64}",  # no final newline
        f"o\n5\n{ROOT_B64}\n\next\n",  # empty extension line
        f"\n5\n{ROOT_B64}\n",  # empty origin
        f"o\tx\n5\n{ROOT_B64}\n",  # control character
    ],
)
def test_malformed_bodies_are_rejected(body: str) -> None:
    with pytest.raises(VerificationError) as raised:
        parse_body(body.encode())
    _only(raised, VerificationError)


@pytest.mark.parametrize(
    "arguments",
    [
        ("", 1, bytes(32), ()),
        ("a\nb", 1, bytes(32), ()),
        ("o", -1, bytes(32), ()),
        ("o", True, bytes(32), ()),
        ("o", 1, bytes(31), ()),
        ("o", 1, bytes(32), ("",)),
        ("o", 1, bytes(32), ("x\ny",)),
    ],
)
def test_bad_checkpoint_values_are_input_errors(arguments: tuple[str, int, bytes, tuple[str, ...]]) -> None:
    with pytest.raises(InputError):
        Checkpoint(*arguments)


def test_bad_signing_arguments_are_input_errors() -> None:
    body = format_body(CHECKPOINT)
    for name in ["", "has space", "has+plus", "tab\there"]:
        with pytest.raises(InputError):
            sign_note(body, name, KEY)
        with pytest.raises(InputError):
            format_vkey(name, KEY.public_key())
    for bad_body in [b"no newline", b"bell\x07\n", b"\xff\n"]:
        with pytest.raises(InputError):
            sign_note(bad_body, NAME, KEY)


line_text = st.text(st.characters(min_codepoint=0x20, exclude_categories=["Cs"]), min_size=1, max_size=30)


@given(
    origin=line_text,
    size=st.integers(0, 2**63),
    root_hash=st.binary(min_size=32, max_size=32),
    extensions=st.lists(line_text, max_size=3).map(tuple),
)
def test_any_checkpoint_round_trips(
    origin: str, size: int, root_hash: bytes, extensions: tuple[str, ...]
) -> None:
    checkpoint = Checkpoint(origin, size, root_hash, extensions)
    assert parse_body(format_body(checkpoint)) == checkpoint
    assert open_note(_signed(checkpoint), TRUSTED, origin=origin) == checkpoint
