"""The Metadata API operations sfhotfix uses, as typed results.

describeMetadata (cached per org and API version), listMetadata (three queries a call, as the API
allows), retrieve / checkRetrieveStatus (the zip streamed to a file), deploy / checkDeployStatus,
deployRecentValidation and cancelDeploy.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterable, Iterator

from lxml import etree

from ..registry import load_registry
from .client import OrgClient, OrgError
from .soap import add, as_dict, children, flag, md, text

LIST_QUERIES_PER_CALL = 3
# the folder that holds private components of these types, which listing the folders does not name
UNFILED_FOLDER = "unfiled$public"
UNFILED_FOLDER_TYPES = ("Report", "EmailTemplate", "Document")
TEST_LEVELS = ("NoTestRun", "RunSpecifiedTests", "RunLocalTests", "RunAllTestsInOrg", "RunRelevantTests")
_describe_cache: dict[tuple[str, str], "DescribeResult"] = {}


@dataclass(frozen=True)
class MetadataObject:
    name: str
    directory_name: str
    suffix: str | None
    in_folder: bool
    meta_file: bool
    child_names: tuple[str, ...]


@dataclass(frozen=True)
class DescribeResult:
    organization_namespace: str
    objects: tuple[MetadataObject, ...]


@dataclass(frozen=True, slots=True)
class FileProperties:
    """What listMetadata and retrieve say of one component, including who changed it and when."""

    type: str
    full_name: str
    file_name: str
    last_modified_by_name: str | None = None
    last_modified_date: str | None = None
    created_by_name: str | None = None
    created_date: str | None = None
    namespace_prefix: str | None = None
    manageable_state: str | None = None

    @classmethod
    def from_element(cls, el: etree._Element) -> "FileProperties":
        return cls.from_fields(as_dict(el))

    @classmethod
    def from_fields(cls, d: dict[str, str]) -> "FileProperties":
        """From the leaf fields of a FileProperties element, by their WSDL names."""
        return cls(d.get("type", ""), d.get("fullName", ""), d.get("fileName", ""), d.get("lastModifiedByName"),
                   d.get("lastModifiedDate"), d.get("createdByName"), d.get("createdDate"),
                   d.get("namespacePrefix") or None, d.get("manageableState"))

    def as_line(self) -> str:
        """One line of JSON: how a retrieve keeps them on disk rather than in memory."""
        return json.dumps([getattr(self, name) for name in self.__slots__]) + "\n"

    @classmethod
    def from_line(cls, line: str) -> "FileProperties":
        return cls(*json.loads(line))


def read_file_properties(path: Path) -> Iterator[FileProperties]:
    """The FileProperties written to ``path`` by :meth:`MetadataApi.check_retrieve_status`, one at a time."""
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            yield FileProperties.from_line(line)


@dataclass
class RetrieveStatus:
    id: str
    done: bool
    status: str | None
    error_message: str | None = None
    messages: list[tuple[str, str]] = field(default_factory=list)  # (fileName, problem)
    file_properties: list[FileProperties] = field(default_factory=list)
    has_zip: bool = False

    @property
    def finished(self) -> bool:
        """Finished means a final status; a done flag without one (old checkStatus answers) is not enough."""
        return self.status in ("Succeeded", "Failed")


@dataclass(frozen=True)
class ComponentProblem:
    component_type: str
    full_name: str
    file_name: str
    problem: str
    problem_type: str
    line: int | None
    column: int | None


@dataclass(frozen=True)
class TestFailure:
    class_name: str
    method: str
    message: str
    stack_trace: str


@dataclass
class DeployStatus:
    id: str
    done: bool
    status: str
    success: bool
    check_only: bool = False
    error_message: str | None = None
    state_detail: str | None = None
    components_total: int = 0
    components_deployed: int = 0
    component_errors: int = 0
    tests_total: int = 0
    tests_completed: int = 0
    test_errors: int = 0
    component_failures: list[ComponentProblem] = field(default_factory=list)
    component_successes: list[ComponentProblem] = field(default_factory=list)
    test_failures: list[TestFailure] = field(default_factory=list)
    coverage_warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "id": self.id, "status": self.status, "success": self.success, "checkOnly": self.check_only,
            "errorMessage": self.error_message,
            "components": {"total": self.components_total, "deployed": self.components_deployed,
                           "errors": self.component_errors},
            "tests": {"total": self.tests_total, "completed": self.tests_completed, "errors": self.test_errors},
            "componentFailures": [vars(p) for p in self.component_failures],
            "testFailures": [vars(f) for f in self.test_failures],
            "coverageWarnings": self.coverage_warnings,
        }


class MetadataApi:
    """Typed Metadata API calls over an :class:`OrgClient`."""

    def __init__(self, client: OrgClient):
        self.client = client

    # -------------------------------------------------------------- describe / list

    def describe(self) -> DescribeResult:
        c = self.client.credentials
        key = (c.instance_url, c.api_version)
        if key not in _describe_cache:
            response = self.client.soap("describeMetadata", lambda op: add(op, "asOfVersion", c.api_version))
            result = response.find(md("result"))
            objects = tuple(
                MetadataObject(text(o, "xmlName", ""), text(o, "directoryName", ""), text(o, "suffix"),
                               flag(o, "inFolder"), flag(o, "metaFile"),
                               tuple(ch.text or "" for ch in children(o, "childXmlNames")))
                for o in children(result, "metadataObjects")
            )
            _describe_cache[key] = DescribeResult(text(result, "organizationNamespace", "") or "", objects)
        return _describe_cache[key]

    def list_metadata(self, types: Iterable[str]) -> list[FileProperties]:
        """FileProperties of every component of ``types``; folder types by listing their folders first."""
        registry = load_registry()
        queries: list[tuple[str, str | None]] = []
        for type_name in types:
            t = registry.find(type_name)
            if t is not None and t.in_folder and t.folder_type:
                folders = [f.full_name for f in self._list([(t.folder_type, None)])]
                if type_name in UNFILED_FOLDER_TYPES:
                    folders.append(UNFILED_FOLDER)
                queries.extend((type_name, folder) for folder in folders)
            else:
                queries.append((type_name, None))
        return self._list(queries)

    def _list(self, queries: list[tuple[str, str | None]]) -> list[FileProperties]:
        found: list[FileProperties] = []
        version = self.client.api_version
        for start in range(0, len(queries), LIST_QUERIES_PER_CALL):
            batch = queries[start:start + LIST_QUERIES_PER_CALL]

            def fill(op: etree._Element, batch=batch) -> None:
                for type_name, folder in batch:
                    query = add(op, "queries")
                    if folder is not None:
                        add(query, "folder", folder)
                    add(query, "type", type_name)
                add(op, "asOfVersion", version)

            response = self.client.soap("listMetadata", fill)
            found.extend(FileProperties.from_element(r) for r in children(response, "result"))
        return found

    # -------------------------------------------------------------- retrieve

    def retrieve(self, members: dict[str, list[str]], single_package: bool = True) -> str:
        """Start a retrieve of ``members`` (type → names); returns the async process id."""
        version = self.client.api_version

        def fill(op: etree._Element) -> None:
            request = add(op, "retrieveRequest")
            add(request, "apiVersion", version)
            add(request, "singlePackage", single_package)
            package = add(request, "unpackaged")
            for type_name in sorted(members):
                types = add(package, "types")
                for name in sorted(members[type_name]):
                    add(types, "members", name)  # lxml escapes the text: members with & or < are safe
                add(types, "name", type_name)
            add(package, "version", version)

        response = self.client.soap("retrieve", fill)
        process_id = text(response.find(md("result")), "id")
        if not process_id:
            raise OrgError(f"{self.client.name}: retrieve: the answer has no process id")
        return process_id

    def check_retrieve_status(self, process_id: str, zip_out: IO[bytes],
                              properties_out: IO[str] | None = None) -> RetrieveStatus:
        """Poll a retrieve once; when the answer carries the zip it is written to ``zip_out``.

        The components' FileProperties come in the status, or, given ``properties_out``, are written
        there one line each as they arrive (read them with :func:`read_file_properties`): a chunk of
        10,000 components then never holds them in memory.
        """
        kept: list[FileProperties] = []

        def fill(op: etree._Element) -> None:
            add(op, "asyncProcessId", process_id)
            add(op, "includeZip", True)

        def record(fields: dict[str, str]) -> None:
            props = FileProperties.from_fields(fields)
            if properties_out is None:
                kept.append(props)
            else:
                properties_out.write(props.as_line())

        def restart() -> None:
            kept.clear()
            if properties_out is not None:
                properties_out.seek(0)
                properties_out.truncate()

        response, has_zip = self.client.soap_streaming("checkRetrieveStatus", fill, zip_out,
                                                       {"fileProperties": record}, restart)
        result = response.find(md("result"))
        return RetrieveStatus(
            id=text(result, "id", process_id) or process_id,
            done=flag(result, "done"),
            status=text(result, "status"),
            error_message=text(result, "errorMessage"),
            messages=[(text(m, "fileName", "") or "", text(m, "problem", "") or "") for m in children(result, "messages")],
            file_properties=kept,
            has_zip=has_zip,
        )

    # -------------------------------------------------------------- deploy

    def deploy(self, zip_bytes: bytes, *, check_only: bool, test_level: str | None = None,
               run_tests: Iterable[str] = (), rollback_on_error: bool = True, ignore_warnings: bool = False,
               purge_on_delete: bool = False, single_package: bool = True) -> str:
        """Start a deploy of a zip; options in the WSDL's order, booleans as xsd:boolean, nothing unset sent."""
        if test_level is not None and test_level not in TEST_LEVELS:
            raise OrgError(f"unknown test level '{test_level}' (use {', '.join(TEST_LEVELS)})")
        tests = list(run_tests)
        if tests and test_level != "RunSpecifiedTests":
            raise OrgError("--tests needs --test-level RunSpecifiedTests")
        encoded = base64.b64encode(zip_bytes).decode("ascii")

        def fill(op: etree._Element) -> None:
            add(op, "ZipFile", encoded)
            options = add(op, "DeployOptions")
            add(options, "allowMissingFiles", False)
            add(options, "autoUpdatePackage", False)
            add(options, "checkOnly", check_only)
            add(options, "ignoreWarnings", ignore_warnings)
            add(options, "performRetrieve", False)
            add(options, "purgeOnDelete", purge_on_delete)
            add(options, "rollbackOnError", rollback_on_error)
            for test in tests:
                add(options, "runTests", test)
            add(options, "singlePackage", single_package)
            if test_level is not None:
                add(options, "testLevel", test_level)

        response = self.client.soap("deploy", fill)
        return self._async_id(response, "deploy")

    def deploy_recent_validation(self, validation_id: str) -> str:
        response = self.client.soap("deployRecentValidation", lambda op: add(op, "validationId", validation_id))
        deploy_id = text(response, "result")
        if not deploy_id:
            raise OrgError(f"{self.client.name}: deployRecentValidation: the answer has no deploy id")
        return deploy_id

    def cancel_deploy(self, deploy_id: str) -> bool:
        response = self.client.soap("cancelDeploy", lambda op: add(op, "String", deploy_id))
        return flag(response.find(md("result")), "done")

    def check_deploy_status(self, deploy_id: str, include_details: bool = True) -> DeployStatus:
        def fill(op: etree._Element) -> None:
            add(op, "asyncProcessId", deploy_id)
            add(op, "includeDetails", include_details)

        result = self.client.soap("checkDeployStatus", fill).find(md("result"))
        return parse_deploy_result(result)

    def _async_id(self, response: etree._Element, operation: str) -> str:
        process_id = text(response.find(md("result")), "id")
        if not process_id:
            raise OrgError(f"{self.client.name}: {operation}: the answer has no process id")
        return process_id


def _int(el: etree._Element | None, tag: str) -> int:
    value = text(el, tag)
    try:
        return int(float(value)) if value else 0
    except ValueError:
        return 0


def _problem(el: etree._Element) -> ComponentProblem:
    d = as_dict(el)
    line = d.get("lineNumber")
    column = d.get("columnNumber")
    return ComponentProblem(d.get("componentType", ""), d.get("fullName", ""), d.get("fileName", ""),
                            d.get("problem", ""), d.get("problemType", ""),
                            int(line) if line and line.isdigit() else None,
                            int(column) if column and column.isdigit() else None)


def parse_deploy_result(result: etree._Element | None) -> DeployStatus:
    """A DeployResult element as a :class:`DeployStatus` (the shapes of the real responses)."""
    if result is None:
        raise OrgError("checkDeployStatus: the answer has no result")
    details = result.find(md("details"))
    tests = details.find(md("runTestResult")) if details is not None else None
    return DeployStatus(
        id=text(result, "id", "") or "",
        done=flag(result, "done"),
        status=text(result, "status", "Unknown") or "Unknown",
        success=flag(result, "success"),
        check_only=flag(result, "checkOnly"),
        error_message=text(result, "errorMessage"),
        state_detail=text(result, "stateDetail"),
        components_total=_int(result, "numberComponentsTotal"),
        components_deployed=_int(result, "numberComponentsDeployed"),
        component_errors=_int(result, "numberComponentErrors"),
        tests_total=_int(result, "numberTestsTotal"),
        tests_completed=_int(result, "numberTestsCompleted"),
        test_errors=_int(result, "numberTestErrors"),
        component_failures=[_problem(f) for f in children(details, "componentFailures")],
        component_successes=[_problem(s) for s in children(details, "componentSuccesses")],
        test_failures=[TestFailure(text(f, "name", "") or "", text(f, "methodName", "") or "",
                                   text(f, "message", "") or "", text(f, "stackTrace", "") or "")
                       for f in children(tests, "failures")],
        coverage_warnings=[text(w, "message", "") or "" for w in children(tests, "codeCoverageWarnings")],
    )
