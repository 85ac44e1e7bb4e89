"""IPTC / XMP marking: the digital source type (and our provenance fields) in the image's XMP packet.

The packet is written by Pillow (``raster.encode``: JPEG APP1 segment, PNG uncompressed iTXt chunk
``XML:com.adobe.xmp``); this module only builds and reads the RDF/XML. We do this with the standard
library's ElementTree rather than python-xmp-toolkit because that needs the Exempi C library from
Debian (one more system package on every machine) for a packet of six properties. An existing packet
(camera, DAM, editor) is kept: our properties go into their own ``rdf:Description`` and any earlier
digital source type is dropped so the packet says one thing. ElementTree does not fetch external
entities, and the expat it uses refuses entity-expansion bombs.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET

from .interface import Provenance, XmpReport, is_ai_source_type

log = logging.getLogger(__name__)

X = "adobe:ns:meta/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
IPTC_EXT = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
SYNTHGUARD = "urn:synthguard:xmp:1.0/"
PREFIXES = {"x": X, "rdf": RDF, "Iptc4xmpExt": IPTC_EXT, "synthguard": SYNTHGUARD}

# Property (namespace, local name) → Provenance attribute. AISystemUsed is the IPTC 2025.1 property
# for the generating system; dataset and watermark id have no IPTC home, so they get our namespace.
_FIELDS = {
    (IPTC_EXT, "DigitalSourceType"): "source_type",
    (IPTC_EXT, "AISystemUsed"): "generator",
    (SYNTHGUARD, "Dataset"): "dataset",
    (SYNTHGUARD, "DatasetDigest"): "dataset_digest",
    (SYNTHGUARD, "WatermarkId"): "watermark_id",
}
_PACKET_HEAD = b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
_PACKET_TAIL = b'\n<?xpacket end="w"?>'

_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

for _prefix, _uri in PREFIXES.items():
    ET.register_namespace(_prefix, _uri)


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def packet(provenance: Provenance, existing: bytes | None = None) -> bytes:
    """An XMP packet carrying ``provenance``; properties of ``existing`` that we do not own are kept."""
    root = _parse(existing) if existing else None
    if root is None:
        root = ET.Element(_q(X, "xmpmeta"))
    rdf = root.find(_q(RDF, "RDF")) if root.tag == _q(X, "xmpmeta") else root if root.tag == _q(RDF, "RDF") else None
    if rdf is None:
        rdf = ET.SubElement(root, _q(RDF, "RDF"))
    for description in rdf.findall(_q(RDF, "Description")):
        _drop_ours(description)
    ours = ET.SubElement(rdf, _q(RDF, "Description"), {_q(RDF, "about"): ""})
    for (ns, name), attribute in _FIELDS.items():
        value = clean(getattr(provenance, attribute))
        if value:
            ours.set(_q(ns, name), value)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return _PACKET_HEAD + body + _PACKET_TAIL


def clean(value: object) -> str:
    """What a property can hold: XML 1.0 characters only (others cannot be written), no outer spaces."""
    return _NOT_XML.sub("", str(value or "")).strip()


def _drop_ours(description: ET.Element) -> None:
    for ns, name in _FIELDS:
        description.attrib.pop(_q(ns, name), None)
        for child in description.findall(_q(ns, name)):
            description.remove(child)


def _parse(data: bytes) -> ET.Element | None:
    text = data.strip(b"\x00 \t\r\n")
    try:
        return ET.fromstring(text)
    except ET.ParseError as exc:
        # A broken packet from another tool: replacing it is better than refusing to label the image.
        log.warning("existing XMP packet is not well-formed (%s); writing a fresh one", exc)
        return None


def read(data: bytes | None) -> XmpReport:
    """What an XMP packet says: digital source type and our provenance fields (attribute or element form)."""
    if not data:
        return XmpReport(present=False)
    root = _parse(data)
    if root is None:
        return XmpReport(present=True)
    found: dict[str, str] = {}
    for description in root.iter(_q(RDF, "Description")):
        for (ns, name), attribute in _FIELDS.items():
            value = description.get(_q(ns, name))
            if value is None:
                element = description.find(_q(ns, name))
                if element is not None:
                    value = (element.text or "").strip() or element.get(_q(RDF, "resource"))
            if value and attribute not in found:
                found[attribute] = value.strip()
    source_type = found.get("source_type")
    return XmpReport(present=True, digital_source_type=source_type, ai_generated=is_ai_source_type(source_type),
                     dataset=found.get("dataset"), generator=found.get("generator"),
                     watermark_id=found.get("watermark_id"))
