"""The mark-method interface: how one kind of column carries watermark bits.

A method reads the bit a cell carries (``read_bits``), says what part of a cell its marks never change
(``invariant``: a stable anchor for selecting other cells, or ``None``), and writes bits in two steps:
``prepare`` does the release-independent work once per table (which cells, their conditioned values),
``apply`` writes one recipient's bits into a copy — so releasing the same table to many recipients
costs one ``prepare`` and one cheap ``apply`` each.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]
Bits = npt.NDArray[np.uint8]


class Prepared(ABC):
    """A method's release-independent state for one column of one table."""

    @abstractmethod
    def apply(self, bits: Bits) -> pa.Array:
        """The column with ``bits[i]`` written into the i-th selected cell (and every other cell as
        conditioned by ``prepare``)."""


class MarkMethod(ABC):
    """One way of marking a column; instances are immutable and built from their ``params``."""

    name: ClassVar[str]
    anchors: ClassVar[bool] = False  # True when ``invariant`` is defined (the column can anchor other cells)

    @abstractmethod
    def params(self) -> dict[str, Any]:
        """What detection needs to read the marks again (JSON-serialisable; never a secret)."""

    @abstractmethod
    def check_type(self, column: str, data_type: pa.DataType) -> None:
        """Raise ``InputError`` naming ``column`` when this method cannot mark values of ``data_type``."""

    @abstractmethod
    def read_bits(self, values: pa.Array) -> I8:
        """The bit each cell carries (0 / 1), or -1 where the cell cannot carry one (null, not in a class)."""

    def invariant(self, values: pa.Array) -> tuple[U64, npt.NDArray[np.bool_]] | None:
        """A 64-bit digest of what marking never changes, and where it is defined; ``None`` when the
        method has no useful invariant (it then never anchors other cells)."""
        return None

    @abstractmethod
    def prepare(self, values: pa.Array, rows: I64, choice: U64) -> Prepared:
        """Release-independent work for the cells at ``rows`` (``choice`` breaks ties among equally good
        values, from the keyed hash)."""

    @abstractmethod
    def max_change(self) -> float | None:
        """The largest absolute change of a numeric cell, or ``None`` for non-numeric methods."""
