"""The page-level machine-readable marker (SGD006): ``<meta name="ai-generated-content">`` with a
positive content, or JSON-LD whose ``digitalSourceType`` names algorithmic media."""

from __future__ import annotations

import json
import re
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from . import vocabulary as v


def page_marker_gap(tree: LexborHTMLParser, notes: list[str]) -> str | None:
    query = f'meta[name="{v.META_NAME}" i]'
    head = tree.head
    metas = (head.css(query) if head is not None else []) or tree.css(query)
    for meta in metas:
        if (meta.attributes.get("content") or "").strip().lower() not in v.META_NEGATIVE:
            return None
    for script in tree.css('script[type="application/ld+json" i]'):
        try:
            values = json_values(script.text(), "digitalSourceType", strict=True)
        except ValueError:
            notes.append("a JSON-LD block is not valid JSON (ignored)")
            continue
        if any(re.split(r"[/#:]", value.rstrip("/"))[-1].lower() in v.AI_SOURCE_TYPES for value in values):
            return None
    if metas:
        return f'<meta name="{v.META_NAME}"> says there is no AI-generated content, but there is'
    return f'no <meta name="{v.META_NAME}"> or JSON-LD digitalSourceType for the AI-generated items'


def json_values(text: str, key: str, *, strict: bool = False) -> list[str]:
    """String values of ``key`` anywhere in a JSON document (JSON-LD graphs nest freely)."""
    try:
        data = json.loads(text)
    except ValueError:
        if strict:
            raise
        return []
    found: list[str] = []
    stack: list[Any] = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            for k, inner in value.items():
                if k == key and isinstance(inner, str):
                    found.append(inner)
                elif k == key and isinstance(inner, list):
                    found.extend(x for x in inner if isinstance(x, str))
                else:
                    stack.append(inner)
        elif isinstance(value, list):
            stack.extend(value)
    return found
