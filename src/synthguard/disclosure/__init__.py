"""Disclosure of AI-generated content on storefront pages (EU AI Act Art. 50): declarations, the
scanner, the byte-exact rewriter, ASGI / WSGI middleware, a reverse proxy and an Azure API Management
policy. docs/disclosure.md describes the checks and the markup."""

from __future__ import annotations

from .apim import apim_policy, validate_policy
from .declarations import Declaration, DeclarationSet, from_catalog, load_manifest
from .middleware import DisclosureMiddleware, DisclosureWSGIMiddleware, MiddlewareOptions
from .report import SiteReport
from .rewriter import RewriteOptions, RewriteResult, rewrite_html, rewrite_page
from .scanner import Gap, Item, PageReport, ScanOptions, scan_html
from .sitescan import TargetOptions, scan_target

__all__ = [
    "Declaration", "DeclarationSet", "DisclosureMiddleware", "DisclosureWSGIMiddleware", "Gap", "Item",
    "MiddlewareOptions", "PageReport", "RewriteOptions", "RewriteResult", "ScanOptions", "SiteReport",
    "TargetOptions", "apim_policy", "from_catalog", "load_manifest", "rewrite_html", "rewrite_page", "scan_html",
    "scan_target", "validate_policy",
]
