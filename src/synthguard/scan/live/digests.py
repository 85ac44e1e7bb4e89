"""The catalogue as the live scan needs it: registered files by SHA-256, with their sizes so that
only blobs of a registered size are downloaded and hashed at all."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DigestIndex:
    """``sha256 hex -> sorted dataset@version refs`` and the set of registered file sizes."""

    refs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sizes: frozenset[int] = frozenset()

    @classmethod
    def from_versions(cls, versions: Iterable[object]) -> DigestIndex:
        """Index ``DatasetVersion``s; files whose whole-file digest was never computed are left out."""
        refs: dict[str, set[str]] = {}
        sizes: set[int] = set()
        for version in versions:
            for item in version.files:  # type: ignore[attr-defined]
                digest = str(item.sha256).removeprefix("sha256:").lower()
                if not digest:
                    continue
                refs.setdefault(digest, set()).add(version.ref)  # type: ignore[attr-defined]
                sizes.add(int(item.size))
        return cls({d: tuple(sorted(r)) for d, r in refs.items()}, frozenset(sizes))

    @classmethod
    def from_workspace(cls, ws: object) -> DigestIndex:
        return cls.from_versions(ws.versions())  # type: ignore[attr-defined]

    def worth_hashing(self, size: int) -> bool:
        return size in self.sizes

    def lookup(self, sha256_hex: str) -> tuple[str, ...]:
        return self.refs.get(sha256_hex.lower(), ())
