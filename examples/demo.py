"""The demo: the bundled hotfix sandbox against the production branch of a bundled example repository.

It builds the example repository under demo-output/ (a bare ``origin`` with ``main``, ``develop`` and a
``release/`` branch, from examples/production), then runs sfhotfix as a user would, showing each command.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent
OUT = EXAMPLES.parent / "demo-output"
SFHOTFIX = [sys.executable, "-m", "sfhotfix"]
GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "Acme Release Manager", "GIT_AUTHOR_EMAIL": "release@acme.example",
           "GIT_COMMITTER_NAME": "Acme Release Manager", "GIT_COMMITTER_EMAIL": "release@acme.example",
           "GIT_CONFIG_NOSYSTEM": "1"}


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, check=True, capture_output=True)


def build_repository() -> Path:
    """A bare origin and a clone whose main holds production; develop and release/2026.12 branch off it."""
    origin, clone = OUT / "origin.git", OUT / "repo"
    git("init", "-q", "--bare", "-b", "main", str(origin), cwd=OUT)
    git("clone", "-q", str(origin), str(clone), cwd=OUT)
    shutil.copytree(EXAMPLES / "production", clone, dirs_exist_ok=True)
    git("add", "-A", cwd=clone)
    git("commit", "-q", "-m", "Release 2026.11: invoices", cwd=clone)
    git("push", "-q", "origin", "main", cwd=clone)
    for branch in ("develop", "release/2026.12"):
        git("push", "-q", "origin", f"main:{branch}", cwd=clone)
    return clone


def run(*args: str) -> None:
    print(f"\n$ sfhotfix {' '.join(args)}", flush=True)
    subprocess.run([*SFHOTFIX, *args], check=True)


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir()
    repo = build_repository()
    sandbox = EXAMPLES / "hotfix-sandbox"
    print(f"Example repository: {repo} (origin: {OUT / 'origin.git'}; branches main, develop, release/2026.12)")
    print(f"Hotfix sandbox (a metadata-API retrieve): {sandbox}")
    run("compare", "--source", str(sandbox), "--target", "git:main", "--repo", str(repo),
        "--html", str(OUT / "compare.html"))
    run("diff", "--source", str(sandbox), "--target", "git:main", "--repo", str(repo),
        "CustomField:Invoice__c.Days_Overdue__c")
    run("hotfix", "--source", str(sandbox), "--base", "main", "--branch", "hotfix/INV-42-late-fee",
        "--repo", str(repo), "--select", "CustomField:Invoice__c.Late_Fee__c",
        "--select", "CustomField:Invoice__c.Days_Overdue__c", "--select", "CustomLabel:Invoice_Late_Fee_Notice",
        "--select", "ApexClass:InvoiceService", "--with-dependencies",
        "-m", "INV-42: late fee on invoices 30 days overdue; paid invoices are never overdue",
        "--title", "INV-42: late fee on overdue invoices",
        "--host-url", "https://github.com/acme/billing", "--dry-run")
    print(f"\nThe hotfix branch is on the example origin: git -C {repo} log --stat origin/hotfix/INV-42-late-fee")
    print(f"Open {OUT / 'compare.html'} for the side-by-side report.")


if __name__ == "__main__":
    main()
