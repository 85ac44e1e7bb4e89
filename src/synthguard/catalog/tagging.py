"""Add, change or remove tags on a registered version after registration.

The signed statement keeps the tags the version was registered with; later tags are catalogue
metadata, and each change is in the audit log (old and new values) in the same transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import DatasetVersion
from ..store.tables import TagRow
from .records import find_version, version_of

if TYPE_CHECKING:
    from ..workspace import Workspace


def set_tags(ws: Workspace, ref: str, tags: dict[str, str], remove: list[str]) -> DatasetVersion:
    with ws.session() as session, session.begin():
        row = find_version(session, ws.settings.tenant, ref)
        before = {t.key: t.value for t in row.tags}
        after = {k: v for k, v in before.items() if k not in remove} | tags
        row.tags = [TagRow(key=k, value=v) for k, v in after.items()]
        session.flush()
        version = version_of(row)
        ws.audit.append_in(session, [ws.draft("dataset.tag", version.ref, digest=version.digest,
                                               details={"before": before, "after": after})])
        return version
