"""What kind of storefront page this is (product, listing, checkout, account, recommendations), from
explicit page-type attributes (headless storefronts), Magento Luma body classes, Shopify template
classes, ``og:type``, the URL, and last the page's structure (Dawn's custom elements and ids).

The order keeps it cheap: attributes of <html> / <body> and the head cost nothing, the URL little; only
pages none of them explain pay for a traversal (each selector in a list costs about 0.1 ms per 200 KB)."""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

SURFACES = ("product", "listing", "checkout", "account", "recommendations", "other")

# Recommendation widgets: Luma related / upsell / cross-sell blocks, Dawn's <product-recommendations>,
# and the data attributes headless storefronts use.
WIDGETS = (".block.related, .block.upsell, .block.crosssell, product-recommendations, .product-recommendations, "
           "[data-recommendations], [data-widget=\"recommendations\"], [data-component=\"recommendations\"]")

_SYNONYMS = {
    "product": "product", "pdp": "product", "product-detail": "product", "item": "product",
    "category": "listing", "collection": "listing", "plp": "listing", "search": "listing", "listing": "listing",
    "list-collections": "listing", "cart": "checkout", "checkout": "checkout", "basket": "checkout",
    "account": "account", "customer": "account", "customers": "account", "orders": "account", "login": "account",
    "register": "account", "addresses": "account", "order": "account", "recommendations": "recommendations",
}
# Magento Luma layout handles (body classes), exact or by prefix.
_LUMA_EXACT = {"catalog-product-view": "product", "catalog-category-view": "listing",
               "catalogsearch-result-index": "listing", "catalogsearch-advanced-result": "listing",
               "catalog-product-compare-index": "listing", "checkout-cart-index": "checkout"}
_LUMA_PREFIX = (("checkout-", "checkout"), ("multishipping-checkout-", "checkout"), ("customer-account-", "account"),
                ("customer-address-", "account"), ("sales-order-", "account"), ("wishlist-index-", "account"),
                ("review-customer-", "account"), ("newsletter-manage-", "account"), ("vault-cards-", "account"))
# Structure, most specific first: Dawn custom elements and ids, then generic hints.
_STRUCTURE = (("product-info, [itemtype$=\"schema.org/Product\"]", "product"),
              ("cart-items, form#cart, #checkout", "checkout"),
              ("#ProductGridContainer, facet-filters-form, .products-grid", "listing"),
              (".customer, .account-nav", "account"))
_STRUCTURE_ALL = ", ".join(selector for selector, _ in _STRUCTURE)
_EXPLICIT_ATTRIBUTES = ("data-page-type", "data-template", "data-surface")
_EXPLICIT = ", ".join(f"[{name}]" for name in _EXPLICIT_ATTRIBUTES)
_URL_RULES = ((re.compile(r"/recommendations\b", re.I), "recommendations"),
              (re.compile(r"/(?:cart|checkout|basket)\b", re.I), "checkout"),
              (re.compile(r"/(?:account|customer|customers|orders?|login|wishlist)\b", re.I), "account"),
              (re.compile(r"/(?:products?|p|item|dp)/[^/]+", re.I), "product"),
              (re.compile(r"/(?:collections?|category|categories|c|search|shop)\b", re.I), "listing"))


def classify(tree: LexborHTMLParser, url: str) -> str:
    body = tree.body
    for node in (tree.css_first("html"), body):
        if node is not None:
            found = _explicit(node)
            if found:
                return found
    if body is not None:
        found = _from_classes(body.attributes.get("class") or "")
        if found:
            return found
    head = tree.head
    og = head.css_first('meta[property="og:type" i]') if head is not None else None
    if og is not None and (og.attributes.get("content") or "").lower().startswith("product"):
        return "product"
    for pattern, surface in _URL_RULES:
        if pattern.search(url):
            return surface
    # One traversal for both kinds of hint; an explicit page type wins over structure.
    hints = tree.css(f"{_EXPLICIT}, {_STRUCTURE_ALL}")
    for node in hints:
        if (found := _explicit(node)) is not None:
            return found
    first = next((node for node in hints if not any(name in node.attributes for name in _EXPLICIT_ATTRIBUTES)), None)
    if first is not None:
        for selector, surface in _STRUCTURE:
            if matches(first, selector):
                return surface
    if body is not None and _only_widget(body):
        return "recommendations"
    return "other"


def matches(node: LexborNode, selector: str) -> bool:
    """Whether the element itself matches. (selectolax's ``css_matches`` is true when any element in its
    subtree does; ``css`` searches the subtree including the element, in document order, so the element
    comes first when it matches.)"""
    first = node.css_first(selector)
    return first is not None and first.mem_id == node.mem_id


def is_widget(tag: str | None, attrs: dict[str, str | None]) -> bool:
    """``WIDGETS`` as a test on one element's own tag and attributes (no traversal)."""
    if tag in ("product-recommendations",):
        return True
    classes = set((attrs.get("class") or "").split())
    if "product-recommendations" in classes or ("block" in classes and not classes.isdisjoint(
            ("related", "upsell", "crosssell"))):
        return True
    return "data-recommendations" in attrs or "recommendations" in (attrs.get("data-widget"),
                                                                      attrs.get("data-component"))


def _explicit(node: LexborNode) -> str | None:
    attrs = node.attributes
    for name in _EXPLICIT_ATTRIBUTES:
        value = (attrs.get(name) or "").strip().lower()
        if value:
            return _SYNONYMS.get(value.split(".")[0].split("/")[0])
    return None


def _from_classes(classes: str) -> str | None:
    for name in classes.split():
        if name in _LUMA_EXACT:
            return _LUMA_EXACT[name]
        for prefix, surface in _LUMA_PREFIX:
            if name.startswith(prefix):
                return surface
        if name.startswith("template-"):  # Shopify themes other than Dawn: template-product, template-customers-…
            return _SYNONYMS.get(name[len("template-"):].split("-")[0].split(".")[0])
    return None


def _only_widget(body: LexborNode) -> bool:
    """A section-rendering response (a fragment) that is one recommendations widget."""
    children = [child for child in body.iter() if child.is_element_node]
    return len(children) == 1 and children[0].css_first(WIDGETS) is not None  # the child or inside it
