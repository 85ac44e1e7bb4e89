"""Azure API Management policy that discloses AI-generated content at the gateway, for checkout and
storefront APIs whose services you cannot change: ``synthguard disclose apim``.

For each declared URL pattern the outbound section sets the ``AI-Disclosure`` response header
(draft-abaris-aicdh), adds an ``_aiDisclosure`` object to JSON object bodies (``set-body`` with a C#
policy expression over ``JToken``, which APIM allows), and puts the page-level
``<meta name="ai-generated-content">`` into HTML with ``find-and-replace``. Item-level HTML labels need
the DOM and stay with the middleware / proxy. The XML is built with ElementTree (escaping is its job)
and checked against the APIM elements and attributes it may use before it is written.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from ..errors import InputError
from . import vocabulary as v
from .declarations import Declaration

JSON_FIELD = "_aiDisclosure"
# The APIM policy elements (and their attributes) this generator emits; anything else is a bug.
ELEMENTS: dict[str, set[str]] = {
    "policies": set(), "inbound": set(), "backend": set(), "outbound": set(), "on-error": set(), "base": set(),
    "choose": set(), "when": {"condition"}, "otherwise": set(),
    "set-header": {"name", "exists-action"}, "value": set(),
    "set-body": {"template", "xsi-nil", "parse-date"}, "find-and-replace": {"from", "to"},
}
SECTIONS = ("inbound", "backend", "outbound", "on-error")


def glob_to_regex(pattern: str) -> str:
    """A .NET regex for a manifest URL pattern, matched against ``context.Request.Url.Path``."""
    if pattern.startswith("re:"):
        return pattern[3:]
    if "://" in pattern:
        pattern = "/" + pattern.split("://", 1)[1].split("/", 1)[-1]
    out = []
    for char in pattern:
        out.append(".*" if char == "*" else "." if char == "?" else re.escape(char))
    return "^" + "".join(out) + "$"


def _quote(text: str) -> str:
    """A C# regular string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _header_value(rules: Sequence[Declaration]) -> str:
    models = sorted({r.generator for r in rules if r.generator})
    value = "mode=ai-modified"
    if models:
        value += ", model=" + json.dumps("; ".join(models))
    return value


def _body_expression(rules: Sequence[Declaration]) -> str:
    disclosure = {"aiGenerated": True,
                  "generators": sorted({r.generator for r in rules if r.generator}),
                  "datasets": sorted({r.dataset for r in rules if r.dataset}),
                  "dates": sorted({r.date for r in rules if r.date}),
                  "content": [r.selector for r in rules]}
    payload = _quote(json.dumps(disclosure, separators=(",", ":")))
    return ("@{\n"
            "    var body = context.Response.Body.As<JToken>(preserveContent: true);\n"
            "    if (body is JObject obj) {\n"
            f"        obj[{_quote(JSON_FIELD)}] = JToken.Parse({payload});\n"
            "        return obj.ToString(Newtonsoft.Json.Formatting.None);\n"
            "    }\n"
            "    return body.ToString(Newtonsoft.Json.Formatting.None);\n"
            "}")


def apim_policy(declarations: Sequence[Declaration]) -> str:
    """The policy document (UTF-8 XML text) for ``declarations``; SKU-only rules have no URL to match."""
    groups: dict[str, list[Declaration]] = {}
    for rule in declarations:
        if rule.url_pattern is not None:
            groups.setdefault(rule.url_pattern, []).append(rule)
    if not groups:
        raise InputError("no declaration has a url_pattern; an APIM policy matches requests by path",
                         field="url_pattern")
    root = ET.Element("policies")
    sections = {name: ET.SubElement(root, name) for name in SECTIONS}
    for element in sections.values():
        ET.SubElement(element, "base")
    outbound_choose = ET.SubElement(sections["outbound"], "choose")
    for pattern, rules in groups.items():
        when = ET.SubElement(outbound_choose, "when", condition=(
            f"@(Regex.IsMatch(context.Request.Url.Path, {_quote(glob_to_regex(pattern))}))"))
        header = ET.SubElement(when, "set-header", {"name": "AI-Disclosure", "exists-action": "override"})
        ET.SubElement(header, "value").text = _header_value(rules)
        by_type = ET.SubElement(when, "choose")
        as_json = ET.SubElement(by_type, "when", condition=(
            '@(context.Response.Headers.GetValueOrDefault("Content-Type", "").Contains("json"))'))
        ET.SubElement(as_json, "set-body").text = _body_expression(rules)
        as_html = ET.SubElement(by_type, "when", condition=(
            '@(context.Response.Headers.GetValueOrDefault("Content-Type", "").Contains("text/html"))'))
        ET.SubElement(as_html, "find-and-replace", {
            "from": "</head>", "to": f'<meta name="{v.META_NAME}" content="partial"></head>'})
    ET.indent(root, space="    ")
    text = ET.tostring(root, encoding="unicode") + "\n"
    validate_policy(text)
    return text


def validate_policy(text: str) -> None:
    """Well-formed XML, the four sections in order each with ``<base />``, and only known policy
    elements and attributes, with policy expressions that open and close."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise InputError(f"the policy is not well-formed XML: {exc}") from exc
    if root.tag != "policies" or tuple(child.tag for child in root) != SECTIONS:
        raise InputError("a policy is <policies> with <inbound>, <backend>, <outbound>, <on-error> in that order")
    for section in root:
        if section.find("base") is None:
            raise InputError(f"<{section.tag}> must keep <base /> (inherit the API and product policies)")
    for element in root.iter():
        allowed = ELEMENTS.get(element.tag)
        if allowed is None:
            raise InputError(f"<{element.tag}> is not an API Management policy element this generator may use")
        unknown = set(element.attrib) - allowed
        if unknown:
            raise InputError(f"<{element.tag}> has unknown attribute(s) {', '.join(sorted(unknown))}")
        if element.tag == "set-header" and element.get("exists-action") not in ("override", "skip", "append", "delete"):
            raise InputError("set-header exists-action must be override, skip, append or delete")
        for expression in [element.get("condition"), element.text if element.tag == "set-body" else None]:
            if expression is not None and not _balanced(expression.strip()):
                raise InputError(f"unbalanced policy expression in <{element.tag}>: {expression[:60]!r}")


def _balanced(expression: str) -> bool:
    """``@(...)`` or ``@{...}`` whose brackets balance outside C# string literals."""
    if not (expression.startswith("@(") and expression.endswith(")")) and not (
            expression.startswith("@{") and expression.endswith("}")):
        return False
    depth, in_string, escaped = 0, False, False
    for char in expression[1:]:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char in "({[":
            depth += 1
        elif char in ")}]":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0 and not in_string
