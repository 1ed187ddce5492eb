"""The whole hotfix path in one command: compare → pick → commit → push → pull request, step by step."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..compare import Comparison, compare
from ..compare.revisions import revision_report
from ..errors import UsageError
from .commit import CommitRequest, CommitResult, base_ref, commit_selection, open_repo
from .pr import PrRequest, open_pr

_RANGE = re.compile(r"^(\d+)(?:-(\d+))?$")


@dataclass
class HotfixRequest:
    commit: CommitRequest
    pr: PrRequest | None  # None: no pull request


def compare_with_base(request: CommitRequest) -> tuple[dict, Comparison | None]:
    """The report of the source against the base (``compare --json``'s), and the comparison made for it where
    the commit is to reuse it.

    A folder (or a git revision) is compared through what differs from the base, and the commit then reads
    only what its selection can touch: on a 45,000-file project 3.3 s in all instead of 8.4. An org or a
    zip is read once, whole, and the commit reuses that comparison rather than retrieve again.
    """
    repo = open_repo(request.repo)
    top, target = Path(repo.working_dir), f"git:{base_ref(repo, request.base)}"
    report = revision_report(request.source, target, top, request.project_dir)
    if report is not None:
        return report, None
    comparison = compare(request.source, target, repo=top, project_dir=request.project_dir)
    return comparison.as_json(), comparison


def parse_pick(answer: str, selectors: list[str]) -> list[str]:
    """The selectors an answer like ``1,3-5`` or ``all`` picks from the numbered list."""
    answer = answer.strip().lower()
    if answer in ("all", "*"):
        return list(selectors)
    chosen: list[str] = []
    for part in filter(None, (p.strip() for p in answer.split(","))):
        match = _RANGE.match(part)
        if not match:
            raise UsageError(f"'{part}': pick rows by number, e.g. 1,3-5 or all")
        low, high = int(match.group(1)), int(match.group(2) or match.group(1))
        if not 1 <= low <= high <= len(selectors):
            raise UsageError(f"'{part}': rows are numbered 1 to {len(selectors)}")
        chosen.extend(selectors[i - 1] for i in range(low, high + 1))
    return list(dict.fromkeys(chosen))


def run_hotfix(request: HotfixRequest, comparison: Comparison | None, step: Callable[[str], None]):
    """Commit (and push) the picked rows, then open the pull request; ``step`` reports progress.
    ``comparison``: as compare_with_base gives it (None: the commit compares what its selection touches)."""
    result: CommitResult = commit_selection(request.commit, comparison)
    step(f"Committed {len(result.rows)} component(s) to {result.branch} ({result.commit[:10]})"
         + (", pushed to origin" if result.pushed else ""))
    pull = None
    if request.pr is not None:
        pull = open_pr(request.pr)
    return result, pull
