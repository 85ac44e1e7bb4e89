"""The parsers a scan uses, in one place: file parsers by extension, document parsers by shape.

Adding a format is adding one module and one line here.
"""

from __future__ import annotations

from .adf import DataFactoryParser
from .arm import ArmParser
from .bicep import BicepParser
from .conditional_access import ConditionalAccessParser
from .devops import DevOpsServiceConnectionParser
from .documents import JsonParser, YamlParser
from .entra import EntraApplicationParser
from .interface import DocumentParser, ParseFailure, Parser, SkipFile, SourceFile
from .kubernetes import KubernetesParser
from .terraform import TerraformHclParser, TerraformPlanParser

#: Shapes of decoded JSON / YAML documents, tried in this order (the first that accepts reads it).
DOCUMENT_PARSERS: tuple[DocumentParser, ...] = (
    ArmParser(), TerraformPlanParser(), KubernetesParser(), EntraApplicationParser(), ConditionalAccessParser(),
    DataFactoryParser(), DevOpsServiceConnectionParser(),
)

FILE_PARSERS: tuple[Parser, ...] = (
    TerraformHclParser(), BicepParser(), JsonParser(DOCUMENT_PARSERS), YamlParser(DOCUMENT_PARSERS),
)


def parser_for(source: SourceFile) -> Parser | None:
    return next((p for p in FILE_PARSERS if p.accepts(source)), None)


__all__ = ["DOCUMENT_PARSERS", "FILE_PARSERS", "DocumentParser", "ParseFailure", "Parser", "SkipFile", "SourceFile",
           "parser_for"]
