"""Transport checks: plain-HTTP endpoints between the storefront / CRM side and synthetic-data
services, which would carry training payloads unencrypted."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from ..context import ScanContext, strings_in
from ..model import CheckInfo, Severity
from ..resources import Resource, as_bool
from ..synthetic import business_role
from .interface import AI_ACT_15, GDPR_5F, GDPR_32, NIST_MANAGE_2_3, Hit, ResourceCheck

_HTTP = re.compile(r"http://([A-Za-z0-9.\-]+)(?::\d+)?[^\s\"']*")
#: Hosts that are not endpoints (XML namespaces, schema ids) or never leave the machine / pod.
_IGNORED_HOSTS = re.compile(r"^(localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|\[::1\]|schemas?\.[a-z.]+|www\.w3\.org|"
                            r"json-schema\.org|schema\.management\.azure\.com|purl\.org|xmlns\.[a-z.]+)$")
_SYNTHETIC_WORDS = re.compile(r"synth|synthetic|datagen|generator", re.IGNORECASE)


def plain_endpoints(resource: Resource) -> list[tuple[str, str]]:
    out = []
    for text in strings_in(resource.properties):
        for match in _HTTP.finditer(text):
            if not _IGNORED_HOSTS.match(match.group(1).lower()):
                out.append((match.group(0), match.group(1).lower()))
    return out


class PlainHttpTrainingPath(ResourceCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-TLS-001", severity=Severity.HIGH,
        title="Plain-HTTP endpoint between storefront / CRM and a synthetic-data service",
        pattern="A storefront or CRM resource (by tag, label or name: storefront, crm, magento, shopify, "
                "salesforce …) calls a synthetic-data service over http://, or a synthetic-data service calls "
                "the storefront / CRM over http://, or such a web app has httpsOnly false.",
        remediation="Use https:// endpoints (TLS 1.2+), set httpsOnly: true on the web apps, and keep the "
                    "services on private endpoints.",
        references=(GDPR_32, GDPR_5F, AI_ACT_15, NIST_MANAGE_2_3))
    types = ("Microsoft.Web/sites", "kubernetes/Deployment", "kubernetes/Pod", "kubernetes/StatefulSet",
             "kubernetes/CronJob", "kubernetes/Job", "kubernetes/ConfigMap",
             "Microsoft.ContainerInstance/containerGroups", "Microsoft.DataFactory/factories/linkedservices",
             "Microsoft.Logic/workflows")

    def evaluate(self, resource: Resource, ctx: ScanContext) -> Iterator[Hit]:
        role = business_role(resource.tags, resource.name)
        synthetic = ctx.is_synthetic(resource) or bool(_SYNTHETIC_WORDS.search(resource.name))
        if not role and not synthetic:
            return
        for url, host in plain_endpoints(resource):
            other_synthetic = bool(_SYNTHETIC_WORDS.search(url))
            other_role = business_role({}, host)
            if (role and other_synthetic) or (synthetic and other_role):
                yield Hit(f"{resource.name} ({role or 'synthetic-data service'}) calls {url} over plain HTTP.",
                          key=url)
        if synthetic and resource.type == "Microsoft.Web/sites" and as_bool(resource.prop("httpsOnly")) is False:
            yield Hit(f"synthetic-data service {resource.name} accepts plain HTTP (httpsOnly false).",
                      key="httpsOnly")
