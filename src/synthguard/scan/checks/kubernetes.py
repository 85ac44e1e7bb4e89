"""Container checks: Kubernetes (AKS) workloads and Azure Container Instances that mount volumes
holding synthetic data without a restrictive security context."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from ..context import CONTAINER, STORAGE, ScanContext
from ..model import CheckInfo, Severity
from ..resources import Resource, as_bool, as_list, as_map
from ..synthetic import tagged_synthetic
from .interface import AI_ACT_15, GDPR_32, NIST_MANAGE_2_3, Hit, ResourceCheck

WORKLOADS = tuple(f"kubernetes/{k}" for k in ("Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
                                                "Job", "CronJob"))
PVC = "kubernetes/PersistentVolumeClaim"
ACI = "Microsoft.ContainerInstance/containerGroups"
_NOT_DATA = ("configMap", "secret", "emptyDir", "downwardAPI", "projected", "serviceAccountToken")


def _synthetic_volume(volume: Mapping[str, Any], workload: Resource, ctx: ScanContext) -> str | None:
    """Why this volume holds synthetic data, or None."""
    if any(key in volume for key in _NOT_DATA):
        return None
    if tagged_synthetic(workload.tags):
        return f"the workload is labelled synthetic and mounts data volume {volume.get('name')!r}"
    claim = as_map(volume.get("persistentVolumeClaim")).get("claimName")
    if claim:
        for pvc in ctx.of_type(PVC):
            if str(claim) in pvc.names() and tagged_synthetic(pvc.tags):
                return f"claim {claim!r} is labelled synthetic"
    target = ctx.resolve({k: v for k, v in volume.items() if k != "name"}, STORAGE, CONTAINER, near=workload)
    if target is not None and ctx.is_synthetic(target):
        return f"it maps {target.name}, which holds synthetic data"
    hit = ctx.options.catalogue.mentions(" ".join(str(s) for s in (claim, volume.get("name")) if s))
    return f"it is named after registered dataset {hit!r}" if hit else None


def k8s_gaps(container: Mapping[str, Any], pod_context: Mapping[str, Any]) -> list[str]:
    ctx = container.get("securityContext") if isinstance(container.get("securityContext"), Mapping) else {}
    assert isinstance(ctx, Mapping)
    gaps = []
    if as_bool(ctx.get("runAsNonRoot", pod_context.get("runAsNonRoot"))) is not True:
        gaps.append("runAsNonRoot is not true")
    if as_bool(ctx.get("readOnlyRootFilesystem")) is not True:
        gaps.append("readOnlyRootFilesystem is not true")
    if as_bool(ctx.get("allowPrivilegeEscalation")) is not False:
        gaps.append("allowPrivilegeEscalation is not false")
    if as_bool(ctx.get("privileged")) is True:
        gaps.append("privileged")
    return gaps


class PodSecurityContext(ResourceCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-K8S-001", severity=Severity.HIGH,
        title="Pod mounting synthetic data runs without a restrictive security context",
        pattern="A Kubernetes workload mounts a volume holding synthetic data (labelled workload, labelled claim, "
                "synthetic storage behind it, or a registered dataset's name) and a container mounting it lacks "
                "runAsNonRoot: true, readOnlyRootFilesystem: true or allowPrivilegeEscalation: false.",
        remediation="Set securityContext on the container (runAsNonRoot: true, readOnlyRootFilesystem: true, "
                    "allowPrivilegeEscalation: false, capabilities drop ALL) and mount the data read-only.",
        references=(GDPR_32, AI_ACT_15, NIST_MANAGE_2_3))
    types = WORKLOADS

    def evaluate(self, resource: Resource, ctx: ScanContext) -> Iterator[Hit]:
        spec = resource.prop("podSpec")
        if not isinstance(spec, Mapping):
            return
        reasons = {}
        for volume in as_list(spec.get("volumes")):
            if isinstance(volume, Mapping):
                reason = _synthetic_volume(volume, resource, ctx)
                if reason:
                    reasons[str(volume.get("name"))] = reason
        if not reasons:
            return
        pod_context = spec.get("securityContext") if isinstance(spec.get("securityContext"), Mapping) else {}
        assert isinstance(pod_context, Mapping)
        for container in [*as_list(spec.get("containers")), *as_list(spec.get("initContainers"))]:
            if not isinstance(container, Mapping):
                continue
            mounted = [m.get("name") for m in as_list(container.get("volumeMounts")) if isinstance(m, Mapping)]
            volume = next((v for v in mounted if v in reasons), None)
            gaps = k8s_gaps(container, pod_context)
            if volume is not None and gaps:
                yield Hit(f"container {container.get('name')} mounts {volume!r} ({reasons[volume]}) but "
                          f"{', '.join(gaps)}.", key=str(container.get("name")))


class ContainerInstanceSecurityContext(ResourceCheck):
    info: ClassVar[CheckInfo] = CheckInfo(
        id="SG-K8S-002", severity=Severity.HIGH,
        title="Container instance mounting synthetic data runs without a restrictive security context",
        pattern="An Azure Container Instances group mounts an Azure Files share of storage holding synthetic data "
                "(or is tagged synthetic) and a container mounting it has no securityContext with "
                "allowPrivilegeEscalation: false, or runs privileged.",
        remediation="Set properties.securityContext on each container (allowPrivilegeEscalation: false, "
                    "privileged: false, runAsUser non-zero) and mount the share read-only.",
        references=(GDPR_32, AI_ACT_15, NIST_MANAGE_2_3))
    types = (ACI,)

    def evaluate(self, resource: Resource, ctx: ScanContext) -> Iterator[Hit]:
        synthetic_volumes = set()
        for volume in as_list(resource.prop("volumes")):
            if not isinstance(volume, Mapping) or "azureFile" not in volume:
                continue
            target = ctx.resolve(volume.get("azureFile"), STORAGE, near=resource)
            if tagged_synthetic(resource.tags) or (target is not None and ctx.is_synthetic(target)):
                synthetic_volumes.add(str(volume.get("name")))
        for container in as_list(resource.prop("containers")):
            if not isinstance(container, Mapping):
                continue
            props = container.get("properties") if isinstance(container.get("properties"), Mapping) else container
            assert isinstance(props, Mapping)
            mounts = {str(m.get("name")) for m in as_list(props.get("volumeMounts")) if isinstance(m, Mapping)}
            if not mounts & synthetic_volumes:
                continue
            security = props.get("securityContext") if isinstance(props.get("securityContext"), Mapping) else {}
            assert isinstance(security, Mapping)
            gaps = []
            if as_bool(security.get("allowPrivilegeEscalation")) is not False:
                gaps.append("allowPrivilegeEscalation is not false")
            if as_bool(security.get("privileged")) is True:
                gaps.append("privileged")
            if security.get("runAsUser") in (None, 0, "0"):
                gaps.append("runs as root")
            if gaps:
                yield Hit(f"container {container.get('name')} mounts synthetic share(s) "
                          f"{', '.join(sorted(mounts & synthetic_volumes))} but {', '.join(gaps)}.",
                          key=str(container.get("name")))
