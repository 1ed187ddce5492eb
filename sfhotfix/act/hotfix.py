"""The whole hotfix path in one command: compare → pick → commit → push → pull request, step by step."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..compare import Comparison, compare
from ..compare.engine import Row
from ..errors import UsageError
from .commit import CommitRequest, CommitResult, base_ref, commit_selection, open_repo
from .pr import PrRequest, open_pr

_RANGE = re.compile(r"^(\d+)(?:-(\d+))?$")


@dataclass
class HotfixRequest:
    commit: CommitRequest
    pr: PrRequest | None  # None: no pull request


def compare_with_base(request: CommitRequest) -> Comparison:
    repo = open_repo(request.repo)
    return compare(request.source, f"git:{base_ref(repo, request.base)}", repo=Path(repo.working_dir),
                   project_dir=request.project_dir)


def parse_pick(answer: str, rows: list[Row]) -> list[str]:
    """Selectors from an answer like ``1,3-5`` or ``all`` to the numbered list of rows."""
    answer = answer.strip().lower()
    if answer in ("all", "*"):
        return [r.selector for r in rows]
    chosen: list[str] = []
    for part in filter(None, (p.strip() for p in answer.split(","))):
        match = _RANGE.match(part)
        if not match:
            raise UsageError(f"'{part}': pick rows by number, e.g. 1,3-5 or all")
        low, high = int(match.group(1)), int(match.group(2) or match.group(1))
        if not 1 <= low <= high <= len(rows):
            raise UsageError(f"'{part}': rows are numbered 1 to {len(rows)}")
        chosen.extend(rows[i - 1].selector for i in range(low, high + 1))
    return list(dict.fromkeys(chosen))


def run_hotfix(request: HotfixRequest, comparison: Comparison, step: Callable[[str], None]):
    """Commit (and push) the picked rows, then open the pull request; ``step`` reports progress."""
    result: CommitResult = commit_selection(request.commit, comparison)
    step(f"Committed {len(result.rows)} component(s) to {result.branch} ({result.commit[:10]})"
         + (", pushed to origin" if result.pushed else ""))
    pull = None
    if request.pr is not None:
        pull = open_pr(request.pr)
    return result, pull
