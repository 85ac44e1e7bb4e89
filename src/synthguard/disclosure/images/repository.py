"""The manifest repository: signed C2PA manifest stores kept by watermark id, for recovery after a CDN
re-encodes an image and its embedded manifest is lost (C2PA "manifest recovery" through a soft binding).

A directory (``<home>/c2pa-manifests`` in a workspace) of ``<watermark id>.c2pa`` files, each the exact
manifest store c2pa-rs signed; written atomically, mode 0600 in a 0700 directory (a manifest names the
dataset and generator). One entry per id: an id made from a dataset version is shared by every image
labelled from it, so the entry is the latest such image's manifest.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ...atomicfile import write_atomic
from ...errors import InputError

DIRECTORY = "c2pa-manifests"
SUFFIX = ".c2pa"
_ID = re.compile(r"[0-9a-f]{16}")


def sidecar_for(image: Path) -> Path:
    """The sidecar next to an image: same name, ``.c2pa`` extension (as the C2PA specification names it)."""
    return image.with_suffix(SUFFIX)


class ManifestRepository:
    """``<root>/<watermark id>.c2pa`` files."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, watermark_id: str) -> Path:
        if not _ID.fullmatch(watermark_id):
            # Ids come from decoded pixels or our own provenance; never let one become a path elsewhere.
            raise InputError("watermark id must be 16 lower-case hex digits", field="watermark-id")
        return self.root / f"{watermark_id}{SUFFIX}"

    def put(self, watermark_id: str, store: bytes) -> Path:
        path = self.path_for(watermark_id)
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        write_atomic(path, store, 0o600)
        return path

    def get(self, watermark_id: str) -> bytes | None:
        path = self.path_for(watermark_id)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", path=str(path)) from exc
