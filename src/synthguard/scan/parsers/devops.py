"""Exported Azure DevOps service connections: the REST ``serviceendpoint`` JSON
(``GET _apis/serviceendpoint/endpoints``, ``az devops service-endpoint list``).

Shape: ``name``, ``type`` (azurerm, kubernetes, generic …), ``url``, ``authorization {scheme:
ServicePrincipal | WorkloadIdentityFederation | ManagedServiceIdentity | UsernamePassword | Token,
parameters {authenticationType: spnKey | spnCertificate, …}}``, ``data``, ``isShared``; one
object, a list, or a ``{"count", "value": [...]}`` page. Secrets in ``parameters`` are never copied.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..resources import Resource, as_map
from .interface import DocumentParser, SourceFile, items_of

_SECRET_PARAMS = ("serviceprincipalkey", "password", "apitoken", "accesstoken", "servicePrincipalKey")


def _is_endpoint(item: Mapping[str, Any]) -> bool:
    auth = item.get("authorization")
    return isinstance(auth, Mapping) and "scheme" in auth and "type" in item and "name" in item


class DevOpsServiceConnectionParser(DocumentParser):
    name: ClassVar[str] = "devops"

    def accepts(self, document: Any) -> bool:
        items = list(items_of(document))
        return bool(items) and all(_is_endpoint(i) for i in items)

    def resources(self, document: Any, source: SourceFile, line: int | None = None) -> list[Resource]:
        out = []
        cursor = 0
        for item in items_of(document):
            found, cursor = source.locate("name", item.get("name"), cursor)
            auth = dict(item["authorization"])
            params = dict(as_map(auth.get("parameters")))
            # Keep only whether a secret was there: a finding must never echo it.
            for key in _SECRET_PARAMS:
                if params.get(key):
                    params[key] = "<present>"
            auth["parameters"] = params
            props = {**item, "authorization": auth}
            out.append(Resource(type="microsoft.devops.serviceEndpoint", name=str(item.get("name")),
                                file=source.display, line=found or line, properties=props, source_format="devops"))
        return out
