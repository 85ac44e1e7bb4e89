"""Embedding: write a recipient's codeword into a copy of a table.

``plan`` does everything that does not depend on the recipient (anchors, cell selection, conditioned
values) once per table; ``embed`` then costs one gather and one scatter per marked column, so a table
released to many recipients is planned once. Both are vectorised (numba kernels, numpy, Arrow compute)
and work on whole columns side by side on a small thread pool (``_kernels.each``): all of it releases
the GIL, and a first release pays plan + embed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from ..errors import InputError
from . import _kernels
from .methods import Prepared
from .scheme import Cells, Scheme, Target, select_cells


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
    if any(column.num_chunks > 1 for column in table.columns):  # else combining costs ms for nothing
        table = table.combine_chunks()
    cells = select_cells(table, scheme, secret)

    def prepare(target: Target) -> Prepared:
        column = table.column(target.column)
        values = column.chunk(0) if column.num_chunks else pa.array([], column.type)
        selected = cells[target.column]
        return target.mark().prepare(values, selected.rows, selected.choice)

    prepared = dict(zip([t.column for t in scheme.targets],
                        _kernels.each(prepare, scheme.targets, table.num_rows), strict=True))
    return Plan(scheme, table, cells, prepared)


def embed(plan: Plan, codeword: npt.NDArray[np.uint8]) -> pa.Table:
    """The planned table carrying ``codeword`` (one bit per codeword position, ``uint8``)."""
    if codeword.shape != (plan.scheme.code_length,):
        raise InputError(f"codeword has {codeword.size} bits; the scheme needs {plan.scheme.code_length}")
    table = plan.table

    def apply(target: Target) -> pa.Array:
        cells = plan.cells[target.column]
        return plan.prepared[target.column].apply(codeword[cells.positions] ^ cells.masks)

    for target, marked in zip(plan.scheme.targets, _kernels.each(apply, plan.scheme.targets, table.num_rows),
                              strict=True):
        index = table.schema.get_field_index(target.column)
        table = table.set_column(index, pa.field(target.column, marked.type), marked)
    return table
