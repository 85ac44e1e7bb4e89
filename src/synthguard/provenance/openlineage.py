"""OpenLineage export of dataset lineage: one COMPLETE run event per registered dataset version.

Each version becomes the output of a ``generate`` run whose input is the real source the generator
learnt from. Standard facets carry the schema, tags, version and row count; the custom ``synthetic``
facet (schema: ``schemas/synthetic-facet.json`` in this package) carries the governance fields.
Events are returned as plain dicts (the client's serde form), ready for any transport or for JSON.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata, resources
from typing import Any

import attr
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    DatasetFacet,
    InputDatasetFacet,
    JobFacet,
    OutputDatasetFacet,
    dataset_version_dataset,
    job_type_job,
    output_statistics_output_dataset,
    schema_dataset,
    tags_dataset,
)
from openlineage.client.serde import Serde

from ..models import DatasetVersion, TableInfo

SYNTHETIC_FACET_SCHEMA_URL = "https://synthguard.dev/spec/facets/1-0-0/synthetic-facet.json"
SYNTHETIC_FACET_KEY = "synthetic"
SCHEMA_RESOURCE = "synthetic-facet.json"

# Run ids are uuid5 under this namespace, so re-exporting a version always yields the same runId
# and a lineage backend deduplicates instead of recording a second run.
RUN_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://synthguard.dev/ns#generation")


def _package_version() -> str:
    try:
        return metadata.version("synthguard")
    except metadata.PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0"


DEFAULT_PRODUCER = f"https://synthguard.dev/synthguard/{_package_version()}"


@attr.define
class SyntheticDatasetFacet(DatasetFacet):
    """Custom dataset facet ``synthetic``: provenance and governance of a synthetic dataset version."""

    generator: str
    source: str
    purpose: str
    owner: str
    classification: str
    digest: str
    version: int
    parent: str | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return f"{SYNTHETIC_FACET_SCHEMA_URL}#/$defs/SyntheticDatasetFacet"


def synthetic_facet_schema() -> dict[str, Any]:
    """The JSON schema the ``synthetic`` facet's ``_schemaURL`` names, as shipped in this package."""
    text = resources.files(__package__ or __name__).joinpath("schemas", SCHEMA_RESOURCE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def run_id(version: DatasetVersion) -> uuid.UUID:
    """The deterministic runId of the generation of ``version``."""
    return uuid.uuid5(RUN_ID_NAMESPACE, version.id)


def to_openlineage_events(versions: Sequence[DatasetVersion], *, namespace: str = "synthguard",
                          producer: str = DEFAULT_PRODUCER) -> list[dict[str, Any]]:
    """One COMPLETE ``RunEvent`` per version, serialised with the OpenLineage client's serde."""
    return [Serde.to_dict(_run_event(version, namespace, producer)) for version in versions]


def _run_event(version: DatasetVersion, namespace: str, producer: str) -> RunEvent:
    return RunEvent(
        eventType=RunState.COMPLETE,
        eventTime=_utc(version.created_at).isoformat(),
        run=Run(runId=str(run_id(version))),
        job=_job(version, namespace, producer),
        inputs=[_source_dataset(version, namespace)],
        outputs=[_version_dataset(version, namespace, producer)],
        producer=producer,
    )


def _job(version: DatasetVersion, namespace: str, producer: str) -> Job:
    # One job per dataset name: each version is another run of "generate this dataset".
    facets: dict[str, JobFacet] = {
        "jobType": job_type_job.JobTypeJobFacet(processingType="BATCH", integration="SYNTHGUARD",
                                                jobType="GENERATION", producer=producer),
    }
    return Job(namespace=namespace, name=f"{version.name}.generate", facets=facets)


def _source_dataset(version: DatasetVersion, namespace: str) -> InputDataset:
    # The source is free text naming real data SynthGuard never reads; it is recorded by name only.
    no_input_facets: dict[str, InputDatasetFacet] = {}
    return InputDataset(namespace=namespace, name=f"source:{version.source}", inputFacets=no_input_facets)


def _version_dataset(version: DatasetVersion, namespace: str, producer: str) -> OutputDataset:
    # The dataset keeps one name across versions (OpenLineage tracks versions per run), the
    # version number travels in the standard "version" facet.
    facets: dict[str, DatasetFacet] = {
        "schema": _schema_facet(version, producer),
        "version": dataset_version_dataset.DatasetVersionDatasetFacet(
            datasetVersion=str(version.version), producer=producer),
        SYNTHETIC_FACET_KEY: _synthetic_facet(version, producer),
    }
    if version.tags:
        facets["tags"] = _tags_facet(version, producer)
    output_facets: dict[str, OutputDatasetFacet] = {
        "outputStatistics": output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
            rowCount=version.rows, size=sum(file.size for file in version.files),
            fileCount=len(version.files), producer=producer),
    }
    return OutputDataset(namespace=namespace, name=version.name, facets=facets, outputFacets=output_facets)


def _schema_facet(version: DatasetVersion, producer: str) -> schema_dataset.SchemaDatasetFacet:
    """Flat columns for a one-table version; one nested field per table file otherwise."""
    if len(version.tables) == 1:
        return schema_dataset.SchemaDatasetFacet(fields=_column_fields(version.tables[0]), producer=producer)
    fields = [schema_dataset.SchemaDatasetFacetFields(name=table.path, type=table.format,
                                                      ordinal_position=position, fields=_column_fields(table))
              for position, table in enumerate(version.tables, start=1)]
    return schema_dataset.SchemaDatasetFacet(fields=fields, producer=producer)


def _column_fields(table: TableInfo) -> list[schema_dataset.SchemaDatasetFacetFields]:
    return [schema_dataset.SchemaDatasetFacetFields(name=column.name, type=column.type,
                                                    ordinal_position=position)
            for position, column in enumerate(table.columns, start=1)]


def _tags_facet(version: DatasetVersion, producer: str) -> tags_dataset.TagsDatasetFacet:
    tags = [tags_dataset.TagsDatasetFacetFields(key=key, value=value, source="SYNTHGUARD")
            for key, value in sorted(version.tags.items())]
    return tags_dataset.TagsDatasetFacet(tags=tags, producer=producer)


def _synthetic_facet(version: DatasetVersion, producer: str) -> SyntheticDatasetFacet:
    return SyntheticDatasetFacet(generator=version.generator, source=version.source,
                                 purpose=version.purpose, owner=version.owner,
                                 classification=version.classification, digest=version.digest,
                                 version=version.version, parent=version.parent, producer=producer)


def _utc(moment: datetime) -> datetime:
    # Naive timestamps come back from SQLite; they were written as UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
