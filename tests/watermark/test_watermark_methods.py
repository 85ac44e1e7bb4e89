"""Property tests of the mark methods and of embed → detect round trips (hypothesis)."""

from __future__ import annotations

import io

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wm_tables import EQUIVALENT, POLICY, orders

from synthguard.errors import InputError, WorkspaceError
from synthguard.watermark.detect import read_votes, score
from synthguard.watermark.embed import embed, plan
from synthguard.watermark.methods import CategoricalMark, NumericMark, TextMark
from synthguard.watermark.policy import Policy
from synthguard.watermark.scheme import codewords

SECRET = bytes(range(32))
floats = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


def _all_rows(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.arange(n, dtype=np.int64), np.arange(n, dtype=np.uint64) * np.uint64(2654435761)


@settings(max_examples=60, deadline=None)
@given(st.lists(floats, min_size=1, max_size=200), st.sampled_from([0.004, 0.04, 0.4, 4.0]), st.randoms())
def test_numeric_marks_read_back_within_tolerance_and_after_rounding(values: list[float], q: float, rnd) -> None:
    mark = NumericMark(q)
    column = pa.array(values, pa.float64())
    rows, choice = _all_rows(len(values))
    bits = np.array([rnd.randint(0, 1) for _ in values], dtype=np.uint8)
    marked = mark.prepare(column, rows, choice).apply(bits)
    assert mark.read_bits(marked).tolist() == bits.tolist()
    out = marked.to_numpy()
    assert np.all(np.abs(out - np.array(values)) <= mark.max_change() * (1 + 1e-9) + 1e-9)
    # The coarse cell is what anchors other columns: marking must not move it.
    assert np.array_equal(mark.invariant(marked)[0], mark.invariant(column)[0])
    # Rounded at the expected rounding (q / 4), bits and coarse cells read back the same.
    step = q / 4
    again = pa.array(np.round(out / step) * step)
    assert mark.read_bits(again).tolist() == bits.tolist()
    assert np.array_equal(mark.invariant(again)[0], mark.invariant(column)[0])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 10**7), min_size=1, max_size=100), st.randoms())
def test_numeric_marks_keep_a_decimal_grid(cents: list[int], rnd) -> None:
    mark = NumericMark(0.04, decimals=2)
    column = pa.array([c / 100 for c in cents])
    rows, choice = _all_rows(len(cents))
    bits = np.array([rnd.randint(0, 1) for _ in cents], dtype=np.uint8)
    out = mark.prepare(column, rows, choice).apply(bits).to_numpy()
    assert np.allclose(np.round(out, 2), out, rtol=0, atol=1e-9)
    assert mark.read_bits(pa.array(np.round(out, 2))).tolist() == bits.tolist()


def test_numeric_marks_keep_nulls_nan_and_integer_types() -> None:
    mark = NumericMark(4.0, decimals=0)
    column = pa.array([10, None, 2_000_000, -7], pa.int32())
    rows, choice = _all_rows(4)
    out = mark.prepare(column, rows, choice).apply(np.array([1, 0, 0, 1], dtype=np.uint8))
    assert out.type == pa.int32() and out.null_count == 1
    assert mark.read_bits(out).tolist() == [1, -1, 0, 1]
    floats_out = NumericMark(0.4).prepare(pa.array([1.0, float("nan")]), *_all_rows(2)).apply(
        np.array([1, 1], dtype=np.uint8))
    assert np.isnan(floats_out.to_numpy()[1])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["DE", "DEU", "FR", "FRA", "NL", "NLD", "IE", "IRL", "US", None]), min_size=1,
                max_size=100), st.randoms())
def test_categorical_marks_stay_in_their_class(values: list[str | None], rnd) -> None:
    mark = CategoricalMark(EQUIVALENT)
    column = pa.array(values, pa.string())
    rows, choice = _all_rows(len(values))
    bits = np.array([rnd.randint(0, 1) for _ in values], dtype=np.uint8)
    out = mark.prepare(column, rows, choice).apply(bits).to_pylist()
    classes = {v: i for i, members in enumerate(EQUIVALENT) for v in members}
    for before, after, bit, read in zip(values, out, bits, mark.read_bits(pa.array(out)), strict=True):
        if before in classes:
            assert classes[after] == classes[before] and read == bit
        else:
            assert after == before and read == -1


@pytest.mark.parametrize("style", ["whitespace", "homoglyph"])
def test_text_marks_read_back_and_keep_the_invariant(style: str) -> None:
    mark = TextMark(style)
    values = pa.array(["Acme Corp", "Globex ", "Initech", None, "Сергей", "zz"])
    rows, choice = _all_rows(len(values))
    bits = np.array([1, 0, 1, 1, 1, 1], dtype=np.uint8)
    out = mark.prepare(values, rows, choice).apply(bits)
    read = mark.read_bits(out).tolist()
    assert read[:3] == [1, 0, 1] and read[3] == -1
    if style == "homoglyph":  # values with Cyrillic of their own are left alone
        assert out[4].as_py() == "Сергей" and out[5].as_py() == "zz"
    before, ok = mark.invariant(values)
    after, _ = mark.invariant(out)
    assert np.array_equal(before[ok], after[ok])


def test_bad_method_parameters_are_input_errors() -> None:
    with pytest.raises(InputError, match="at least two"):
        CategoricalMark([["DE"]])
    with pytest.raises(InputError, match="two equivalence classes"):
        CategoricalMark([["DE", "DEU"], ["DEU", "GER"]])
    with pytest.raises(InputError, match="style"):
        TextMark("emoji")
    with pytest.raises(InputError, match="positive"):
        NumericMark(0.0)


def _round_trip(table: pa.Table, fmt: str) -> pa.Table:
    sink = io.BytesIO()
    if fmt == "csv":
        pacsv.write_csv(table, sink)
        return pacsv.read_csv(io.BytesIO(sink.getvalue()))
    pq.write_table(table, sink)
    return pq.read_table(io.BytesIO(sink.getvalue()))


@settings(max_examples=15, deadline=None)
@given(st.integers(50, 3000), st.integers(0, 10**6), st.integers(0, 7), st.sampled_from(["memory", "csv", "parquet"]))
def test_embed_then_detect_matches_every_decided_position(rows: int, seed: int, who: int, fmt: str) -> None:
    table = orders(rows, seed)
    scheme, _ = Policy.from_mapping(POLICY).scheme_for(table, "wm:test")
    words = codewords(SECRET, [f"r{i}" for i in range(8)], scheme.code_length)
    copy = embed(plan(table, scheme, SECRET), words[who])
    back = copy if fmt == "memory" else _round_trip(copy, fmt)
    scores = score(read_votes(back, scheme, SECRET), words)
    assert scores.positions > 0
    assert scores.matches[who] == scores.positions  # nothing was damaged: every decided position agrees
    others = np.delete(scores.matches, who)
    assert np.all(others < scores.positions)


def test_text_marks_through_a_policy_round_trip() -> None:
    table = orders(3_000, seed=4).append_column("note", pa.array([f"Order note {i} for acme" for i in range(3_000)]))
    policy = Policy.from_mapping({"columns": {"note": {"method": "text", "style": "homoglyph"},
                                              "total": {"method": "none"}}})
    scheme, _ = policy.scheme_for(table, "wm:test")
    assert scheme.target("note") is not None and scheme.target("total") is None
    words = codewords(SECRET, ["a", "b"], scheme.code_length)
    copy = embed(plan(table, scheme, SECRET), words[1])
    only_text = copy.select(["note"])  # the text column alone anchors and carries its marks
    scores = score(read_votes(only_text, scheme, SECRET), words)
    assert scores.positions > 100 and scores.matches[1] == scores.positions


def test_watermark_key_rotation_keeps_or_destroys_the_old_secret(tmp_path) -> None:
    from synthguard.watermark import keys

    assert keys.active_key(tmp_path) is None and keys.available_keys(tmp_path) == {}
    first = keys.active_key(tmp_path, create=True)
    assert first is not None and keys.active_key(tmp_path, create=True) == first
    old, new = keys.rotate(tmp_path)
    assert old == first.key_id and set(keys.available_keys(tmp_path)) == {old, new}
    assert keys.available_keys(tmp_path)[old].retired and "secret" not in repr(first)
    older, newest = keys.rotate(tmp_path, destroy_previous=True)
    assert older == new and set(keys.available_keys(tmp_path)) == {old, newest}
    assert keys.destroy(tmp_path, old) and set(keys.available_keys(tmp_path)) == {newest}
    (tmp_path / keys.KEY_FILE).write_bytes(b"short")
    with pytest.raises(WorkspaceError, match="damaged"):
        keys.active_key(tmp_path)
