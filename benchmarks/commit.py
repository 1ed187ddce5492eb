"""Benchmark `sfhotfix commit`: 50 selected components, 10 of them field permissions across 5 large
profiles, from the large benchmark tree (benchmarks/compare.py builds the repository), as a whole process.
Target: under 5 s.

    python benchmarks/commit.py            # results in benchmarks/results/commit.json
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from compare import GIT_ENV, ROOT, WORK, build_repository, git  # noqa: E402
from installed import compile_package  # noqa: E402


def hotfix_revision(repo: Path) -> list[str]:
    """Tag C on top of A: 40 fields changed and 10 field permissions changed in 5 profiles; the selectors."""
    if "C" in git(repo, "tag").split():
        return json.loads((WORK / "commit-selectors.json").read_text())
    git(repo, "checkout", "-q", "-B", "hotfix-source", "A")
    selectors = []
    fields = sorted((repo / "force-app").rglob("fields/*.field-meta.xml"))[:40]
    for path in fields:
        path.write_text(path.read_text().replace("<label>", "<label>Fixed ", 1))
        obj = path.parent.parent.name
        selectors.append(f"CustomField:{obj}.{path.name[: -len('.field-meta.xml')]}")
    profiles = sorted((repo / "force-app").rglob("profiles/*.profile-meta.xml"),
                      key=lambda p: -p.stat().st_size)[:5]
    for profile in profiles:
        text = profile.read_text()
        entries = list(re.finditer(r"<fieldPermissions>\s*<editable>true</editable>\s*<field>([^<]+)</field>", text))
        for match in entries[100:102]:
            selectors.append(f"Profile:{profile.name[: -len('.profile-meta.xml')]}/fieldPermissions:{match.group(1)}")
        for match in reversed(entries[100:102]):
            start = match.start()
            text = text[:start] + text[start:match.end()].replace("<editable>true</editable>", "<editable>false</editable>") + text[match.end():]
        profile.write_text(text)
    git(repo, "commit", "-qam", "C")
    git(repo, "tag", "C")
    git(repo, "checkout", "-q", "main")
    (WORK / "commit-selectors.json").write_text(json.dumps(selectors))
    return selectors


def main() -> None:
    repo, files, _ = build_repository(fls_objects=40)
    selectors = hotfix_revision(repo)
    compile_package(ROOT)
    select_file = WORK / "commit-selection.txt"
    select_file.write_text("\n".join(selectors) + "\n")
    times = []
    for run in range(3):
        branch = f"bench/commit-{time.time_ns()}"
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "sfhotfix", "commit", "--repo", str(repo), "--source", "git:C",
                               "--base", "A", "--branch", branch, "--select-file", str(select_file),
                               "-m", "benchmark", "--json"], cwd=ROOT, env=GIT_ENV, capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(done.stderr)
        result = json.loads(done.stdout)
        git(repo, "branch", "-D", branch)
    profile_sizes = sorted({p.stat().st_size for p in (repo / "force-app").rglob("profiles/*.profile-meta.xml")})[-5:]
    results = {"tree_files": files, "selected": len(selectors), "fls_entries": sum("/fieldPermissions:" in s for s in selectors),
               "files_changed": len(result["files"]), "profile_bytes": profile_sizes,
               "seconds_all": [round(t, 3) for t in times], "seconds": round(min(times), 3),
               "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}}
    out = HERE / "results" / "commit.json"
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"commit of {len(selectors)} components ({results['fls_entries']} FLS entries in 5 profiles of "
          f"{profile_sizes[0] // 1024}-{profile_sizes[-1] // 1024} KB) from a {files}-file tree: "
          f"{results['seconds']} s (target < 5 s)")


if __name__ == "__main__":
    main()
