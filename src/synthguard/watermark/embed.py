"""Embedding: write a recipient's codeword into a copy of a table.

``plan`` does everything that does not depend on the recipient (anchors, cell selection, conditioned
values) once per table; ``embed`` then costs one gather and one scatter per marked column, so a table
released to many recipients is planned once. Both are vectorised (numba kernels, numpy, Arrow compute).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from ..errors import InputError
from .methods import Prepared
from .scheme import Cells, Scheme, select_cells


@dataclass(frozen=True)
class Plan:
    """A table made ready for marking under ``scheme``."""

    scheme: Scheme
    table: pa.Table
    cells: dict[str, Cells]
    prepared: dict[str, Prepared]

    @property
    def marks(self) -> int:
        """Cells selected to carry a bit (across all marked columns)."""
        return sum(int(c.rows.size) for c in self.cells.values())


def plan(table: pa.Table, scheme: Scheme, secret: bytes) -> Plan:
    missing = [c for c in scheme.columns if c not in table.column_names]
    if missing:
        raise InputError(f"the table lacks column(s) the scheme needs: {', '.join(missing)}", field=missing[0])
    table = table.combine_chunks()
    cells = select_cells(table, scheme, secret)
    prepared = {}
    for target in scheme.targets:
        selected = cells[target.column]
        prepared[target.column] = target.mark().prepare(table.column(target.column).chunk(0)
                                                        if table.column(target.column).num_chunks
                                                        else pa.array([], table.schema.field(target.column).type),
                                                        selected.rows, selected.choice)
    return Plan(scheme, table, cells, prepared)


def embed(plan: Plan, codeword: npt.NDArray[np.uint8]) -> pa.Table:
    """The planned table carrying ``codeword`` (one bit per codeword position, ``uint8``)."""
    if codeword.shape != (plan.scheme.code_length,):
        raise InputError(f"codeword has {codeword.size} bits; the scheme needs {plan.scheme.code_length}")
    table = plan.table
    for target in plan.scheme.targets:
        cells = plan.cells[target.column]
        bits = codeword[cells.positions] ^ cells.masks
        marked = plan.prepared[target.column].apply(bits)
        index = table.schema.get_field_index(target.column)
        table = table.set_column(index, pa.field(target.column, marked.type), marked)
    return table
