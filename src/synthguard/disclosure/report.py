"""A site's scan result: every page's report plus what was skipped, and its summary figures."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .scanner import Gap, PageReport


@dataclass(frozen=True)
class SiteReport:
    target: str
    pages: tuple[PageReport, ...] = ()
    skipped: tuple[dict[str, str], ...] = ()  # {"url": …, "reason": …} for pages not scanned
    declarations: int = 0
    meta: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # page URL -> the file it was read from

    @property
    def gaps(self) -> list[Gap]:
        return [gap for page in self.pages for gap in page.gaps]

    @property
    def ok(self) -> bool:
        return not self.gaps

    def summary(self) -> dict[str, Any]:
        items = [item for page in self.pages for item in page.items]
        return {"pages": len(self.pages), "skipped": len(self.skipped), "items": len(items),
                "disclosed": sum(1 for item in items if item.disclosed), "gaps": len(self.gaps),
                "gaps_by_check": dict(Counter(gap.check for gap in self.gaps)),
                "pages_by_surface": dict(Counter(page.surface for page in self.pages))}

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "summary": self.summary(), "declarations": self.declarations,
                "pages": [page.to_json() for page in self.pages], "skipped": list(self.skipped), **self.meta}
