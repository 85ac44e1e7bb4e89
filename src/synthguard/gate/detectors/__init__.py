"""Detectors: each recognises synthetic rows one way. ``build_detectors`` is the one place that
composes them, in the order their reasons are preferred (most specific first)."""

from __future__ import annotations

from collections.abc import Sequence

from ..config import GateConfig
from .columns import id_prefix_detector, marker_detector, test_email_detector
from .interface import Detection, Detector, Match
from .metadata import MetadataTagDetector


def build_detectors(config: GateConfig, *, fingerprint: Detector | None = None,
                    extra: Sequence[Detector] = ()) -> list[Detector]:
    """Fingerprint membership first (it names the version), then tags and value rules, then
    ``extra`` detectors (the release issue's watermark detector plugs in here)."""
    detectors: list[Detector] = [fingerprint] if fingerprint is not None else []
    detectors.append(MetadataTagDetector())
    detectors.append(marker_detector(config.marker_columns))
    detectors.append(test_email_detector(config.email_columns, config.test_email_domains))
    if config.id_prefixes:
        detectors.append(id_prefix_detector(config.id_prefixes, config.id_columns))
    detectors.extend(extra)
    return detectors


__all__ = ["Detection", "Detector", "Match", "build_detectors"]
