"""Find Azure Storage shared access signatures (SAS) anywhere in text and parse what they grant.

A SAS is a query string (``sv=…&sp=…&se=…&sig=…``), alone, after a blob URL's ``?``, or inside a
connection string's ``SharedAccessSignature=``. The parameters follow the Azure Storage REST
reference: ``sv`` version, ``ss``/``srt`` services and resource types (present only on an
**account** SAS), ``sr`` signed resource, ``sp`` permissions, ``st``/``se`` start and expiry,
``spr`` protocols (``https`` or ``https,http``; absent means both), ``sip`` IP range, ``si`` a
stored access policy, ``sig`` the signature. The signature is never kept: tokens are reported
with ``sig=REDACTED``. Hand-written: no maintained PyPI package parses SAS tokens (the Azure SDK
only generates them).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote

# A run of ``key=value`` pairs joined by ``&`` (or ``&amp;`` in XML / HTML); values stop at quotes,
# whitespace, separators of the surrounding syntax and JSON escapes.
_VALUE = r"[^\s&\"'<>\\;#,)]*(?:,[A-Za-z]+)*"
_PAIR = rf"[A-Za-z]{{2,6}}={_VALUE}"
_QUERY = re.compile(rf"(?P<url>https?://[^\s\"'<>?]+\?)?(?<![\w%.-])(?P<query>{_PAIR}(?:&(?:amp;)?{_PAIR})+)")
_WRITE_LIKE = {"w": "write", "d": "delete", "l": "list", "a": "add", "c": "create", "x": "delete version",
               "y": "permanent delete", "u": "update", "t": "tag", "i": "set immutability policy"}
_RISKY = ("w", "d", "l", "x", "y")


@dataclass(frozen=True)
class SasToken:
    """One SAS found in a file; ``params`` never include ``sig``."""

    file: str
    line: int
    params: tuple[tuple[str, str], ...]
    has_signature: bool
    resource_url: str = ""

    def get(self, key: str) -> str | None:
        for k, v in self.params:
            if k == key:
                return v
        return None

    @property
    def redacted(self) -> str:
        """The token as it can be shown: every parameter but the signature, which reads REDACTED."""
        query = "&".join(f"{k}={v}" for k, v in self.params)
        if self.has_signature:
            query += "&sig=REDACTED"
        return f"{self.resource_url}{query}" if self.resource_url else query

    @property
    def key(self) -> str:
        """A stable identity for fingerprints that does not depend on the (secret) signature."""
        return hashlib.sha256(self.redacted.encode("utf-8")).hexdigest()[:16]

    @property
    def account_level(self) -> bool:
        return self.get("ss") is not None or self.get("srt") is not None

    @property
    def permissions(self) -> str:
        return self.get("sp") or ""

    def risky_permissions(self) -> list[str]:
        return [_WRITE_LIKE[p] for p in _RISKY if p in self.permissions]

    @property
    def protocols(self) -> str:
        return (self.get("spr") or "https,http").lower()

    @property
    def http_allowed(self) -> bool:
        return "http" in [p.strip() for p in self.protocols.split(",")]

    def expiry(self) -> datetime | None:
        value = self.get("se")
        return parse_time(value) if value else None


def parse_time(value: str) -> datetime | None:
    """SAS times are ISO 8601 UTC: ``2030-01-01``, ``2030-01-01T00:00Z``, ``…T00:00:00.0000000Z``."""
    text = unquote(value).strip().replace("Z", "+00:00")
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)  # .NET writes 7 fractional digits; Python reads 6
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_query(query: str) -> tuple[list[tuple[str, str]], bool]:
    """The ``(key, value)`` pairs of a SAS query without ``sig``, and whether a signature was there."""
    pairs: list[tuple[str, str]] = []
    signed = False
    for part in query.replace("&amp;", "&").split("&"):
        key, _, value = part.partition("=")
        if key == "sig":
            signed = bool(value) and not _placeholder(value)
            continue
        pairs.append((key, unquote(value)))
    return pairs, signed


def _placeholder(value: str) -> bool:
    """Documentation and templates write ``sig=<signature>``, ``sig=...`` or ``sig=xxx``, not secrets."""
    cleaned = unquote(value)
    return len(cleaned) < 16 or set(cleaned.lower()) <= set("x.*<>_-") or cleaned.startswith(("$", "{", "<"))


def find_tokens(text: str, file: str) -> Iterator[SasToken]:
    """Every SAS in ``text``: a query run holding ``sv`` and a signature, a permission or an expiry."""
    if "sv=" not in text:  # the fast path: most files hold no SAS at all
        return
    for match in _QUERY.finditer(text):
        pairs, signed = parse_query(match.group("query"))
        keys = {k for k, _ in pairs}
        if "sv" not in keys or not (signed or keys & {"sp", "se"}):
            continue
        line = text.count("\n", 0, match.start()) + 1
        yield SasToken(file=file, line=line, params=tuple(pairs), has_signature=signed,
                       resource_url=match.group("url") or "")
