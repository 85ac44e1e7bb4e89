"""JSON and YAML files: decode them, then hand each document to the first document parser that
recognises its shape (ARM, Terraform plan, Kubernetes, Graph, Data Factory, DevOps).

A JSON or YAML file of no known shape (``package.json``, a CI workflow) gives no resources; it is
still searched for SAS tokens and plain-HTTP endpoints by the text-wide checks.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, ClassVar

import yaml
from yaml.constructor import SafeConstructor

from ..resources import Resource
from .interface import DocumentParser, ParseFailure, Parser, SkipFile, SourceFile

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def dispatch(document: Any, source: SourceFile, parsers: Sequence[DocumentParser],
             line: int | None = None) -> list[Resource]:
    for parser in parsers:
        if parser.accepts(document):
            return parser.resources(document, source, line)
    return []


class JsonParser(Parser):
    name: ClassVar[str] = "json"

    def __init__(self, documents: Sequence[DocumentParser]) -> None:
        self.documents = tuple(documents)

    def accepts(self, source: SourceFile) -> bool:
        return source.suffix == ".json"

    def parse(self, source: SourceFile) -> list[Resource]:
        if not source.text.strip():
            return []
        try:
            document = json.loads(source.text)
        except json.JSONDecodeError as exc:
            raise ParseFailure(f"invalid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno) from None
        except RecursionError:
            raise ParseFailure("invalid JSON: nested too deeply") from None
        return dispatch(document, source, self.documents)


class YamlParser(Parser):
    """Multi-document YAML; each document keeps the line it starts on."""

    name: ClassVar[str] = "yaml"

    def __init__(self, documents: Sequence[DocumentParser]) -> None:
        self.documents = tuple(documents)

    def accepts(self, source: SourceFile) -> bool:
        return source.suffix in (".yaml", ".yml")

    def parse(self, source: SourceFile) -> list[Resource]:
        out: list[Resource] = []
        try:
            for node in yaml.compose_all(source.text, Loader=_YAML_LOADER):
                if node is None:
                    continue
                document = SafeConstructor().construct_document(node)
                out.extend(dispatch(document, source, self.documents, line=node.start_mark.line + 1))
        except yaml.MarkedYAMLError as exc:
            if "{{" in source.text and "}}" in source.text:
                raise SkipFile("a Helm / Go template: render it (helm template) and scan the output") from None
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or exc.context or "malformed"
            raise ParseFailure(f"invalid YAML: {problem}", line=mark.line + 1 if mark else None) from None
        except yaml.YAMLError as exc:
            raise ParseFailure(f"invalid YAML: {exc}") from None
        return out
