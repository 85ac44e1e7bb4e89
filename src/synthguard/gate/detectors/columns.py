"""Tag detectors that read cell values: a marker column (``is_synthetic``, a CRM field such as
``Synthetic__c``), reserved test e-mail domains (RFC 2606 / RFC 6761) and configured id prefixes.

Each is a rule over some columns of the batch, evaluated with pyarrow.compute (no Python loop
over rows); a row matches when any of its checked cells does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .interface import Detection, Detector, Match

TRUTHY = ["true", "1", "yes", "y", "t"]

# RFC 2606 reserves example.com / .net / .org and the TLDs .test, .example, .invalid, .localhost;
# RFC 6761 confirms them as special-use. Subdomains are reserved too.
RESERVED_EMAIL = r"@((.+\.)?example\.(com|net|org)|(.+\.)?(test|example|invalid|localhost))$"


class ColumnRuleDetector(Detector):
    """Shared shape: pick columns by name, build a per-cell mask, OR the columns together."""

    def __init__(self, name: str, pick: Callable[[str], bool], cell_mask: Callable[[pa.Array], pa.Array],
                 describe: str) -> None:
        self.name = name
        self._pick = pick
        self._cell_mask = cell_mask
        self._describe = describe

    def detect(self, batch: pa.RecordBatch, schema_metadata: dict[bytes, bytes]) -> Detection:
        matches: dict[int, Match] = {}
        mask = np.zeros(batch.num_rows, dtype=bool)
        for column_name in batch.schema.names:
            if not self._pick(column_name):
                continue
            hits = self._cell_mask(batch.column(column_name)).to_numpy(zero_copy_only=False)
            hits = np.asarray(hits, dtype=bool) & ~mask
            match = Match(self.name, self._describe.format(column=column_name))
            matches.update(dict.fromkeys(np.flatnonzero(hits).tolist(), match))
            mask |= hits
        return Detection(mask, matches)


def _as_text(values: pa.Array) -> pa.Array:
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    return values if pa.types.is_string(values.type) or pa.types.is_large_string(values.type) else pc.cast(
        values, pa.string())


def _filled(mask: pa.Array) -> pa.Array:
    return pc.fill_null(mask, False)


def marker_detector(columns: Sequence[str]) -> ColumnRuleDetector:
    wanted = {c.lower() for c in columns}

    def truthy(values: pa.Array) -> pa.Array:
        if pa.types.is_boolean(values.type):
            return _filled(values)
        return _filled(pc.is_in(pc.utf8_lower(pc.utf8_trim_whitespace(_as_text(values))),
                                value_set=pa.array(TRUTHY)))

    return ColumnRuleDetector("marker-column", lambda name: name.lower() in wanted, truthy,
                              "marker column {column!r} is true")


def test_email_detector(columns: Sequence[str] | None, extra_domains: Sequence[str] = ()) -> ColumnRuleDetector:
    """Columns named explicitly, or by default every column whose name mentions e-mail."""
    explicit = {c.lower() for c in columns} if columns else None
    extra = "|".join(d.lower().replace(".", r"\.") for d in extra_domains)
    pattern = RESERVED_EMAIL if not extra else rf"{RESERVED_EMAIL}|@((.+\.)?({extra}))$"

    def pick(name: str) -> bool:
        lowered = name.lower()
        return lowered in explicit if explicit is not None else ("email" in lowered or "e_mail" in lowered)

    def reserved(values: pa.Array) -> pa.Array:
        text = pc.utf8_lower(pc.utf8_trim_whitespace(_as_text(values)))
        return _filled(pc.match_substring_regex(text, pattern))

    return ColumnRuleDetector("test-email-domain", pick, reserved,
                              "column {column!r} holds a reserved test e-mail domain (RFC 2606/6761)")


def id_prefix_detector(prefixes: Sequence[str], columns: Sequence[str] | None) -> ColumnRuleDetector:
    """Columns named explicitly, or by default every column whose name ends in ``id``."""
    explicit = {c.lower() for c in columns} if columns else None

    def pick(name: str) -> bool:
        lowered = name.lower()
        return lowered in explicit if explicit is not None else lowered.endswith("id")

    def prefixed(values: pa.Array) -> pa.Array:
        text = _as_text(values)
        masks = [pc.starts_with(text, prefix) for prefix in prefixes]
        combined = masks[0]
        for more in masks[1:]:
            combined = pc.or_(combined, more)
        return _filled(combined)

    return ColumnRuleDetector("id-prefix", pick, prefixed,
                              "column {column!r} starts with a synthetic id prefix " + repr(tuple(prefixes)))
