"""The disclosure vocabulary: the attributes, label, page marker and phrases the scanner checks for
and the rewriter writes. docs/disclosure.md is the human version of this module."""

from __future__ import annotations

import re

# Item-level machine-readable marking (HTML data attributes, as audit dossiers name them).
SYNTHETIC = "data-synthetic"
SOURCE = "data-synthetic-source"  # dataset@version the content was generated from
GENERATOR = "data-synthetic-generator"  # model / generator name and version
LABEL_ATTRIBUTE = "data-synthetic-label"  # marks an element as a disclosure label

# The visible label the rewriter inserts: a class (never an inline style, so it is CSP-safe) and an id
# that the item's aria-describedby points at.
LABEL_CLASS = "sg-ai-label"
LABEL_ID_PREFIX = "sg-ai-label-"
STYLESHEET_NAME = "synthguard-disclosure.css"

# Page-level machine-readable marker: <meta name="ai-generated-content" content="partial">, or JSON-LD
# whose digitalSourceType names algorithmic media (schema.org IPTCDigitalSourceEnumeration or IPTC URI).
META_NAME = "ai-generated-content"
META_NEGATIVE = frozenset({"", "none", "false", "no", "0"})
AI_SOURCE_TYPES = frozenset({
    "trainedalgorithmicmedia", "compositewithtrainedalgorithmicmedia", "algorithmicmedia",
    "compositesynthetic", "datadrivenmedia",
    "trainedalgorithmicmediadigitalsource", "compositewithtrainedalgorithmicmediadigitalsource",
    "algorithmicmediadigitalsource", "compositesyntheticdigitalsource", "datadrivenmediadigitalsource",
})

# Text that discloses AI generation ("AI-generated", "Generated with AI", "synthetic data" …).
AI_PHRASE = re.compile(
    r"\b(?:ai[\s-]*(?:generated|created|written|assisted)|generated\s+(?:by|with|using)\s+(?:an?\s+)?"
    r"(?:ai|artificial intelligence)|created\s+(?:by|with)\s+(?:an?\s+)?ai|made\s+with\s+ai|"
    r"synthetic\s+(?:data|content|image|media)|machine[\s-]generated)\b",
    re.IGNORECASE)
LABEL_MAX_CHARS = 120  # longer text is content that mentions AI, not a label

# Alt text that passes an image off as a photograph (EU AI Act Art. 50: do not mislead).
PHOTO_CLAIM = re.compile(r"\b(?:photo(?:graph)?s?|picture\s+taken|snapshot|shot\s+on|taken\s+with)\b",
                         re.IGNORECASE)

# Classes that hide an element from sighted users (Magento Luma, Shopify Dawn, Bootstrap, WordPress).
HIDDEN_CLASSES = frozenset({"hidden", "hide", "sr-only", "visually-hidden", "visually-hidden--inline",
                            "no-display", "d-none", "screen-reader-text", "invisible"})
HIDDEN_STYLE = re.compile(r"(?:display\s*:\s*none|visibility\s*:\s*hidden)", re.IGNORECASE)

# Default label texts, by kind of item.
LABELS = {"image": "AI-generated image", "text": "AI-generated",
          "recommendations": "Recommendations built with synthetic data"}
ALT_PREFIX = "AI-generated image: "

# Checks, in report order. Each has a stable rule id for SARIF.
CHECKS = {
    "data-synthetic": ("SGD001", 'the item is not marked data-synthetic="true"'),
    "source-attributes": ("SGD002", "data-synthetic-generator / data-synthetic-source are missing or differ"),
    "visible-label": ("SGD003", "no visible AI-generated label within the item or next to it"),
    "aria-describedby": ("SGD004", "aria-describedby does not point at the visible label"),
    "alt-text": ("SGD005", "the image's alt text passes it off as a photograph"),
    "page-marker": ("SGD006", 'the page has no machine-readable marker (<meta name="ai-generated-content">)'),
}
