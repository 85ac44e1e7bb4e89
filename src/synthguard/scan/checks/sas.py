"""SAS checks: expiration policies on accounts holding synthetic data, and every SAS token found in
any scanned file (expiry, permissions, protocol, IP range, account scope, and the signed token itself).

Expired tokens grant nothing and are not reported.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import ClassVar

from ..context import STORAGE, ScanContext
from ..model import CheckInfo, Finding, Severity
from ..resources import Resource, is_expression
from ..sas import SasToken
from .interface import AI_ACT_15, GDPR_5F, GDPR_32, NIST_MANAGE_2_3, NIST_MANAGE_4_1, Check, ResourceCheck


def period_days(value: str) -> float | None:
    """A .NET TimeSpan ``D.HH:MM:SS`` (``7.00:00:00``) or ``HH:MM:SS`` in days."""
    match = re.fullmatch(r"(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.\d+)?", value.strip())
    if not match:
        return None
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return days + (hours * 3600 + minutes * 60 + seconds) / 86400


class SasExpirationPolicy(ResourceCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-SAS-001", severity=Severity.MEDIUM,
        title="Storage holding synthetic data has no (or a long) SAS expiration policy",
        pattern="A storage account holding synthetic data sets no sasPolicy (Terraform: sas_policy), or one whose "
                "sasExpirationPeriod exceeds the limit (7 days by default), so SAS tokens for it may live for years.",
        remediation="Set sasPolicy.sasExpirationPeriod to at most 7.00:00:00 with expirationAction Block (or Log "
                    "while migrating), and prefer user-delegation SAS.",
        references=(GDPR_32, AI_ACT_15, NIST_MANAGE_2_3))
    types = (STORAGE,)

    def evaluate(self, resource: Resource, ctx: ScanContext) -> Iterator[str]:
        if not ctx.is_synthetic(resource):
            return
        period = resource.prop("sasPolicy", "sasExpirationPeriod")
        if period is None:
            yield f"{resource.name} has no SAS expiration policy."
            return
        if is_expression(period):
            return
        days = period_days(str(period))
        limit = ctx.options.sas_policy_max_days
        if days is None or days > limit:
            yield f"{resource.name} allows SAS tokens valid for {period} (limit {limit} days)."


class TokenCheck(Check):
    """A check over every unexpired SAS token found in the scanned files."""

    def run(self, ctx: ScanContext) -> Iterator[Finding]:
        for token in ctx.tokens:
            expiry = token.expiry()
            if expiry is not None and expiry <= ctx.now:
                continue
            for message in self.judge(token, ctx):
                yield Finding.of(self.info, f"{message} Token: {token.redacted}", file=token.file, line=token.line,
                                 resource=token.resource_url.rstrip("?") or "SAS token", key=token.key)

    @abstractmethod
    def judge(self, token: SasToken, ctx: ScanContext) -> Iterable[str]:
        """One sentence per problem this check sees in ``token``."""


class SasLongExpiry(TokenCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-SAS-002", severity=Severity.HIGH, title="SAS token expires far in the future (or never)",
        pattern="A SAS token's se (expiry) lies further ahead than the limit (7 days by default), or it has no "
                "expiry and no stored access policy (si) to revoke it by.",
        remediation="Issue SAS tokens for hours, not months; bind them to a stored access policy so they can be "
                    "revoked, and rotate the account keys if a long-lived token leaked.",
        references=(GDPR_32, GDPR_5F, NIST_MANAGE_4_1))

    def judge(self, token: SasToken, ctx: ScanContext) -> Iterator[str]:
        expiry = token.expiry()
        if expiry is None:
            if token.get("si") is None:
                yield "SAS token has no expiry and no stored access policy."
            return
        limit = timedelta(days=ctx.options.sas_max_days)
        if expiry - ctx.now > limit:
            days = (expiry - ctx.now).days
            yield (f"SAS token expires {expiry.date().isoformat()} ({days} days from now; limit "
                   f"{ctx.options.sas_max_days}).")


class SasWritePermissions(TokenCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-SAS-003", severity=Severity.HIGH, title="SAS token grants write, delete or list",
        pattern="A SAS token's sp grants w (write), d / x / y (delete), or l (list): whoever holds it can "
                "overwrite, destroy or enumerate the data, not just read one blob.",
        remediation="Grant only r (read) on a single blob or container; issue a separate short-lived token for "
                    "uploads.",
        references=(GDPR_32, GDPR_5F, NIST_MANAGE_2_3))

    def judge(self, token: SasToken, ctx: ScanContext) -> Iterator[str]:
        risky = token.risky_permissions()
        if risky:
            yield f"SAS token grants {', '.join(risky)} (sp={token.permissions})."


class SasHttpAllowed(TokenCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-SAS-004", severity=Severity.MEDIUM, title="SAS token allows plain HTTP",
        pattern="A SAS token's spr is https,http, or absent (which means both): the token and the data can "
                "cross the network unencrypted.",
        remediation="Issue tokens with spr=https only.",
        references=(GDPR_32, AI_ACT_15, NIST_MANAGE_2_3))

    def judge(self, token: SasToken, ctx: ScanContext) -> Iterator[str]:
        if token.http_allowed:
            yield f"SAS token allows HTTP (spr={token.get('spr') or 'absent'})."


class SasNoIpRange(TokenCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-SAS-005", severity=Severity.LOW, title="SAS token is not restricted to an IP range",
        pattern="A SAS token has no sip parameter: it works from any address on the internet.",
        remediation="Add sip= with the caller's address range, or use private endpoints and Entra ID auth.",
        references=(GDPR_32, NIST_MANAGE_2_3))

    def judge(self, token: SasToken, ctx: ScanContext) -> Iterator[str]:
        if token.get("sip") is None:
            yield "SAS token is usable from any IP address (no sip)."


class SasAccountLevel(TokenCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-SAS-006", severity=Severity.MEDIUM, title="Account-level SAS token",
        pattern="A SAS token carries ss / srt (an account SAS): it reaches every container (and with srt "
                "including s, service settings) of the account instead of one container or blob.",
        remediation="Use service SAS scoped to one container or blob (sr=c / sr=b), ideally user-delegation SAS.",
        references=(GDPR_32, GDPR_5F, NIST_MANAGE_2_3))

    def judge(self, token: SasToken, ctx: ScanContext) -> Iterator[str]:
        if token.account_level:
            yield (f"account-level SAS token (ss={token.get('ss') or '-'}, srt={token.get('srt') or '-'}).")


class SasCredentialInFile(TokenCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-SAS-007", severity=Severity.HIGH, title="Signed SAS token stored in a file",
        pattern="A SAS token with a real signature (sig) is written into a scanned file (template, script, "
                "config, notebook): anyone who can read the file can use it until it expires.",
        remediation="Remove the token, revoke it (stored access policy or key rotation), and fetch tokens at run "
                    "time from Key Vault or a managed identity.",
        references=(GDPR_32, GDPR_5F, AI_ACT_15, NIST_MANAGE_4_1))

    def judge(self, token: SasToken, ctx: ScanContext) -> Iterator[str]:
        if token.has_signature:
            expiry = token.expiry()
            until = f" until {expiry.date().isoformat()}" if expiry else ""
            yield f"a signed SAS token is stored in the file and usable{until}."
