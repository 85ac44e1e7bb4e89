"""Property test: documents of the right shape but arbitrary content (wrong types, nulls, nesting)
never crash a parser or a check — the scan always finishes without internal-error notes."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthguard.scan import scan

_scalar = st.one_of(st.none(), st.booleans(), st.integers(-5, 70000), st.sampled_from(
    ["*", "Allow", "Inbound", "true", "synthetic", "Blob", "TLS1_0", "Copy", "spnKey", "ServicePrincipal",
     "http://crm.shop/synth", "[parameters('x')]", "${var.x}", "0-65535", "x"]))
_json: st.SearchStrategy[Any] = st.recursive(
    _scalar, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                     st.dictionaries(st.sampled_from(
                                         ["properties", "tags", "name", "securityRules", "accessPolicies",
                                          "permissions", "keys", "activities", "inputs", "outputs", "volumes",
                                          "containers", "securityContext", "publicAccess", "metadata",
                                          "requiredResourceAccess", "resourceAccess", "conditions",
                                          "authorization", "scheme", "spec", "template", "podSpec"]), inner,
                                         max_size=4)), max_leaves=12)
_TYPES = ["Microsoft.Storage/storageAccounts", "Microsoft.Storage/storageAccounts/blobServices/containers",
          "Microsoft.KeyVault/vaults", "Microsoft.Network/networkSecurityGroups",
          "Microsoft.ContainerInstance/containerGroups", "Microsoft.DataFactory/factories/pipelines",
          "Microsoft.MachineLearningServices/workspaces", "Microsoft.Web/sites",
          "Microsoft.Authorization/policyAssignments", "Microsoft.Insights/diagnosticSettings"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(_TYPES), _json, _json), min_size=1, max_size=4), _json)
def test_arbitrary_content_never_crashes(resources: list[tuple[str, Any, Any]], k8s_spec: Any) -> None:
    arm = {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
           "contentVersion": "1.0.0.0",
           "resources": [{"type": t, "name": "r", "properties": p, "tags": tags} for t, p, tags in resources]}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"synthetic": "true"}},
           "spec": k8s_spec}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "t.json").write_text(json.dumps(arm))
        (root / "pod.json").write_text(json.dumps(pod))
        (root / "pipeline.json").write_text(json.dumps({"name": "p", "properties": {"activities": k8s_spec}}))
        result = scan([root])
    assert [n for n in result.notes if n.kind == "error"] == []
    assert not [f for f in result.findings if f.check_id == "SG-PARSE-001"]
