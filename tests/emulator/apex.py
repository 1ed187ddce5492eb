"""Pretend Apex test runs: which classes are tests, which test methods fail, what is covered.

Why: the client has to read deploy results that carry a RunTestsResult — failures with stack traces,
successes, code coverage and coverage warnings — and must decide from them. Nothing here compiles Apex.
The rules are simple and visible in the test data: a class whose body contains ``@IsTest`` is a test
class; a test method whose body contains ``SFHOTFIX_TEST_FAIL`` fails (text after ``SFHOTFIX_TEST_FAIL:``
becomes the assertion message); a non-test class (or trigger) is covered when a test class that ran names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .ids import component_id

FAIL_MARKER = "SFHOTFIX_TEST_FAIL"
METHOD_TIME_MS = 12.0

_TEST_ANNOTATION = re.compile(r"@istest\b", re.IGNORECASE)
_METHOD = re.compile(
    r"(?:@istest(?:\s*\([^)]*\))?\s+(?:(?:public|private|global|protected|static|override|virtual)\s+)*void"
    r"|\btestmethod\s+void)\s+(\w+)\s*\(",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ApexUnit:
    """A class or trigger as the test runner sees it."""

    name: str
    body: str
    kind: str = "Class"  # Class or Trigger

    @property
    def id(self) -> str:
        return component_id("ApexClass" if self.kind == "Class" else "ApexTrigger", self.name)

    @property
    def is_test(self) -> bool:
        return self.kind == "Class" and bool(_TEST_ANNOTATION.search(self.body))

    @property
    def locations(self) -> int:
        """Executable lines, roughly: lines holding a statement."""
        return max(1, sum(1 for line in self.body.splitlines() if ";" in line))


@dataclass
class MethodResult:
    cls: ApexUnit
    method: str
    failed: bool
    message: str = ""
    stack_trace: str = ""


@dataclass
class RunResult:
    methods: list[MethodResult] = field(default_factory=list)
    coverage: list[tuple[ApexUnit, int, int]] = field(default_factory=list)  # unit, locations, not covered
    warnings: list[tuple[str | None, str]] = field(default_factory=list)  # (unit name or None, message)
    coverage_failed: bool = False

    @property
    def failures(self) -> list[MethodResult]:
        return [m for m in self.methods if m.failed]

    @property
    def successes(self) -> list[MethodResult]:
        return [m for m in self.methods if not m.failed]


def _method_body(body: str, start: int) -> tuple[str, int]:
    """The text of a method from its opening brace (found after ``start``) to the matching close."""
    open_at = body.find("{", start)
    if open_at < 0:
        return "", start
    depth = 0
    for index in range(open_at, len(body)):
        char = body[index]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return body[open_at : index + 1], open_at
    return body[open_at:], open_at


def test_methods(unit: ApexUnit) -> list[tuple[str, str, int]]:
    """(method name, method body, offset of the body in the class) of every test method."""
    found = []
    for match in _METHOD.finditer(unit.body):
        text, offset = _method_body(unit.body, match.end())
        found.append((match.group(1), text, offset))
    return found


def _run_method(unit: ApexUnit, name: str, text: str, offset: int) -> MethodResult:
    at = text.find(FAIL_MARKER)
    if at < 0:
        return MethodResult(unit, name, False)
    line = unit.body.count("\n", 0, offset + at) + 1
    rest = text[at + len(FAIL_MARKER) :].split("\n", 1)[0]
    detail = rest[1:].strip().strip("'\");").strip() if rest.startswith(":") else ""
    message = f"System.AssertException: Assertion Failed: {detail or FAIL_MARKER}"
    return MethodResult(unit, name, True, message, f"Class.{unit.name}.{name}: line {line}, column 1")


def _names(unit: ApexUnit, other: ApexUnit) -> bool:
    return re.search(rf"\b{re.escape(other.name)}\b", unit.body, re.IGNORECASE) is not None


def run_tests(
    units: dict[str, ApexUnit], test_level: str, specified: list[str], deployed: set[str]
) -> RunResult:
    """Run the tests a test level selects against the org-after-deploy ``units``."""
    result = RunResult()
    tests = sorted((u for u in units.values() if u.is_test), key=lambda u: u.name.lower())
    if test_level == "RunSpecifiedTests":
        wanted = {name.split(".")[0].lower() for name in specified}
        tests = [u for u in tests if u.name.lower() in wanted]
        for name in sorted(wanted - {u.name.lower() for u in tests}):
            result.methods.append(
                MethodResult(ApexUnit(name, ""), "", True, f"No test class named: {name}", "")
            )
    for unit in tests:
        for name, text, offset in test_methods(unit):
            result.methods.append(_run_method(unit, name, text, offset))

    code = [u for u in units.values() if not u.is_test]
    if test_level == "RunSpecifiedTests":
        code = [u for u in code if u.name in deployed]
    total = covered = 0
    for unit in sorted(code, key=lambda u: (u.kind, u.name.lower())):
        hit = any(_names(t, unit) for t in tests)
        result.coverage.append((unit, unit.locations, 0 if hit else unit.locations))
        total += unit.locations
        covered += unit.locations if hit else 0
        if not hit:
            need = "1%" if unit.kind == "Trigger" else "75%"
            result.warnings.append(
                (unit.name, f"Test coverage of selected Apex {unit.kind} is 0%, at least {need} test coverage is required")
            )
            if unit.kind == "Trigger" or test_level == "RunSpecifiedTests":
                result.coverage_failed = True
    if test_level in ("RunLocalTests", "RunAllTestsInOrg") and total and covered * 100 < 75 * total:
        percent = covered * 100 // total
        result.warnings.append(
            (None, f"Average test coverage across all Apex Classes and Triggers is {percent}%, at least 75% test coverage is required.")
        )
        result.coverage_failed = True
    return result
