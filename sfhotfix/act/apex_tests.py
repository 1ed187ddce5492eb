"""Which Apex test classes cover a change: for RunSpecifiedTests, by naming convention and by reference.

RunLocalTests in production runs every local test, which can take an hour; RunSpecifiedTests runs the
named classes and asks 75 % coverage of each deployed class and trigger from them alone. sfhotfix names
the test classes of the branch's own revision that

* are called after a deployed class or trigger the way teams name them (``Foo`` → ``FooTest``,
  ``Foo_Test``, ``FooTests``, ``TestFoo``, ``Test_Foo``), or
* mention a deployed class or trigger by name in their code (comments and string literals left out),

and a deployed class that is itself a test. Apex names are case-insensitive, so every match is too.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..gittree import GitTree

_IS_TEST = re.compile(r"@\s*istest\b", re.IGNORECASE)
# comments and string literals: what a reference must not be found in
_NOT_CODE = re.compile(r"/\*.*?\*/|//[^\n]*|'(?:\\.|[^'\\\n])*'", re.DOTALL)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAMINGS = ("{}Test", "{}_Test", "{}Tests", "{}_Tests", "Test{}", "Test_{}")


def find_test_classes(repo: Path, revision: str) -> dict[str, str]:
    """Name → code without comments and strings, of every test class of ``revision`` (``.cls`` files)."""
    tree = GitTree(repo, revision)
    paths = [p for p in tree.files() if p.endswith(".cls")]
    found: dict[str, str] = {}
    for path, data in tree.read_many(paths).items():
        text = data.decode("utf-8", "replace")
        if _IS_TEST.search(text):
            found[path.rpartition("/")[2][: -len(".cls")]] = _NOT_CODE.sub(" ", text)
    return found


def covering_tests(deployed: list[str], tests: dict[str, str]) -> list[str]:
    """The test classes (of ``tests``) that cover the deployed Apex classes and triggers ``deployed``."""
    by_lower = {name.lower(): name for name in tests}
    wanted = {name.lower() for name in deployed}
    picked: set[str] = {by_lower[name] for name in wanted if name in by_lower}
    for name in wanted:
        picked.update(by_lower[n.format(name).lower()] for n in _NAMINGS if n.format(name).lower() in by_lower)
    for test, code in tests.items():
        if test not in picked and wanted & {word.lower() for word in _WORD.findall(code)}:
            picked.add(test)
    return sorted(picked, key=str.lower)
