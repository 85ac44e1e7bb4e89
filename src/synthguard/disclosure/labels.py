"""Labels and visibility: whether an AI-generated item has a visible disclosure label within it or as its
adjacent element sibling, and whether an image's alt text passes it off as a photograph. The rules are
those of docs/disclosure.md (SGD003 visible-label, SGD005 alt-text)."""

from __future__ import annotations

from selectolax.lexbor import LexborNode

from . import vocabulary as v

LABEL_SELECTOR = f".{v.LABEL_CLASS}, [{v.LABEL_ATTRIBUTE}]"
_NEVER_VISIBLE = frozenset({"template", "noscript", "script", "style", "head", "title"})


def passes_as_photo(alt: str | None) -> bool:
    return bool(alt) and v.PHOTO_CLAIM.search(alt or "") is not None and v.AI_PHRASE.search(alt or "") is None




def labels_of(node: LexborNode, item_ids: set[int], claimed: dict[str, set[int]],
            marked_labels: bool = True) -> tuple[list[LexborNode], int]:
    """Visible labels within the item or as its adjacent element sibling, and how many hidden ones. A
    sibling label that another item's aria-describedby names belongs to that item, not to this one."""
    candidates = [(label, node) for label in node.css(LABEL_SELECTOR) if label.mem_id != node.mem_id] \
        if marked_labels else []
    if not candidates and v.AI_PHRASE.search(node.text()):
        candidates = [(d, node) for d in node.traverse(include_text=False)
                      if d.is_element_node and d.mem_id != node.mem_id and _reads_as_label(d)]
    parent = node.parent
    for sibling in (_element_sibling(node, backwards=True), _element_sibling(node, backwards=False)):
        if sibling is None or sibling.mem_id in item_ids or parent is None:
            continue
        owners = claimed.get(sibling.attributes.get("id") or "", set())
        if owners and node.mem_id not in owners:
            continue
        if _marked_label(sibling.attributes) or _reads_as_label(sibling):
            candidates.append((sibling, parent))
    visible = [label for label, stop in candidates if _visible(label, stop)]
    return visible, len(candidates) - len(visible)


def _marked_label(attrs: dict[str, str | None]) -> bool:
    return v.LABEL_ATTRIBUTE in attrs or v.LABEL_CLASS in (attrs.get("class") or "").split()


def _reads_as_label(node: LexborNode) -> bool:
    text = node.text(strip=True)
    return 0 < len(text) <= v.LABEL_MAX_CHARS and v.AI_PHRASE.search(text) is not None


def _element_sibling(node: LexborNode, *, backwards: bool) -> LexborNode | None:
    sibling = node.prev if backwards else node.next
    while sibling is not None and not sibling.is_element_node:
        sibling = sibling.prev if backwards else sibling.next
    return sibling


def _visible(label: LexborNode, stop: LexborNode) -> bool:
    node: LexborNode | None = label
    while node is not None and node.mem_id != stop.mem_id:
        if node.tag in _NEVER_VISIBLE or hidden(node.attributes):
            return False
        node = node.parent
    return True


def hidden(attrs: dict[str, str | None]) -> bool:
    """Hidden from sighted users or from assistive technology by this element's own attributes."""
    if "hidden" in attrs or (attrs.get("aria-hidden") or "").strip().lower() == "true":
        return True
    if (attrs.get("type") or "").lower() == "hidden":
        return True
    style = attrs.get("style")
    if style and v.HIDDEN_STYLE.search(style):
        return True
    classes = attrs.get("class")
    return bool(classes) and not v.HIDDEN_CLASSES.isdisjoint((classes or "").split())
