"""Benchmark `sfhotfix compare`, as the issue names it, in one run:

1. The comparison itself on a Profile with 5,000 fieldPermissions and 500 objectPermissions and one
   change (target: under 10 ms), best of 20, parsing excluded.
2. Two revisions of a large source tree (the convert benchmark's generator, converted to source format,
   about 45,000 files) with 1 % of the files changed: `sfhotfix compare --json` between the two git
   revisions as a whole process, against `git diff --stat` between the same revisions, best of 3 each
   (target: within 3x). For reference, no target: revision B as a folder (a retrieve's shape) against
   git:A, best of 3.

    python benchmarks/compare.py            # results in benchmarks/results/compare.json
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from installed import compile_package  # noqa: E402

WORK = HERE / "work" / "compare"
NS = "http://soap.sforce.com/2006/04/metadata"
GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@example.com",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@example.com", "GIT_CONFIG_NOSYSTEM": "1"}


def profile_xml(editable_at: int | None = None) -> bytes:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<Profile xmlns="{NS}">', "    <custom>true</custom>"]
    for i in range(5000):
        editable = "false" if i == editable_at else "true"
        lines.append(f"    <fieldPermissions>\n        <editable>{editable}</editable>\n"
                     f"        <field>Obj{i // 10}__c.Field{i}__c</field>\n        <readable>true</readable>\n"
                     "    </fieldPermissions>")
    for i in range(500):
        lines.append("    <objectPermissions>\n        <allowCreate>true</allowCreate>\n        <allowDelete>true</allowDelete>\n"
                     "        <allowEdit>true</allowEdit>\n        <allowRead>true</allowRead>\n"
                     "        <modifyAllRecords>false</modifyAllRecords>\n"
                     f"        <object>Obj{i}__c</object>\n        <viewAllRecords>false</viewAllRecords>\n"
                     "    </objectPermissions>")
    lines.append("    <userLicense>Salesforce</userLicense>\n</Profile>\n")
    return "\n".join(lines).encode()


def profile_benchmark() -> dict:
    from sfhotfix.compare.engine import compare_units
    from sfhotfix.compare.units import collect_units
    from sfhotfix.sources import open_source

    base = WORK / "profile"
    for side, change in (("a", None), ("b", 2500)):
        (base / side / "profiles").mkdir(parents=True, exist_ok=True)
        (base / side / "profiles" / "Big.profile").write_bytes(profile_xml(change))
    source, target = collect_units(open_source(base / "b")), collect_units(open_source(base / "a"))
    times = []
    for _ in range(20):
        # parsed before timing, each time (compare_units lets go of a tree once compared): the figure is the
        # comparison itself
        for unit in [*source.values(), *target.values()]:
            assert unit.xml is not None
        started = time.perf_counter()
        rows = compare_units(source, target)
        times.append(time.perf_counter() - started)
    changed = [r.selector for r in rows if r.status != "identical"]
    assert changed == ["Profile:Big", "Profile:Big/fieldPermissions:Obj250__c.Field2500__c"], changed
    return {"entries": 5500, "changes": 1, "best_ms": round(min(times) * 1000, 2),
            "median_ms": round(sorted(times)[len(times) // 2] * 1000, 2), "rows_changed": changed}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], env=GIT_ENV, check=True, capture_output=True,
                          text=True).stdout


def build_repository(fls_objects: int) -> tuple[Path, int, int]:
    """A repository with the generated tree in source format (A) and 1 % of its files changed (B)."""
    repo = WORK / "repo"
    if (repo / ".git").exists():
        files = int(git(repo, "ls-files").count("\n"))
        changed = int(git(repo, "diff", "--name-only", "A", "B").count("\n"))
        return repo, files, changed
    tree = WORK / "tree"
    subprocess.run([sys.executable, str(HERE / "convert.py"), "--generate-only", "--work", str(tree),
                    "--fls-objects", str(fls_objects)], check=True)
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    shutil.copy(tree / "sfdx-project.json", repo)
    subprocess.run([sys.executable, "-m", "sfhotfix", "convert", "--to", "source", str(tree / "mdapi"),
                    "--output-dir", str(repo / "force-app"), "--project", str(tree)], check=True, cwd=ROOT)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "A")
    git(repo, "tag", "A")
    files = sorted(p for p in (repo / "force-app").rglob("*-meta.xml"))
    rng = random.Random(7)
    picked = rng.sample(files, len(files) // 100)
    for n, path in enumerate(picked):
        text = path.read_text()
        if n % 10 == 0 and "/fields/" in str(path):
            path.unlink()  # a deleted field
        elif "<label>" in text:
            path.write_text(text.replace("<label>", "<label>Hotfix ", 1))
        else:
            closing = text.rindex("</")
            path.write_text(text[:closing] + "    <description>hotfix</description>\n" + text[closing:])
    new_dir = repo / "force-app" / "main" / "default" / "classes"
    new_dir.mkdir(parents=True, exist_ok=True)
    for i in range(5):
        (new_dir / f"Hotfix{i}.cls").write_text(f"public class Hotfix{i} {{}}\n")
        (new_dir / f"Hotfix{i}.cls-meta.xml").write_text(
            f'<?xml version="1.0" encoding="UTF-8"?>\n<ApexClass xmlns="{NS}">\n    <apiVersion>60.0</apiVersion>\n'
            "    <status>Active</status>\n</ApexClass>\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "B")
    git(repo, "tag", "B")
    return repo, len(files), int(git(repo, "diff", "--name-only", "A", "B").count("\n"))


def best_of(command: list[str], cwd: Path, runs: int = 3) -> tuple[float, str]:
    times, output = [], ""
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed: {done.stderr.strip()}")
        output = done.stdout
    return min(times), output


def tree_benchmark(fls_objects: int) -> dict:
    repo, files, changed = build_repository(fls_objects)
    git_seconds, _ = best_of(["git", "diff", "--stat", "A", "B"], repo)
    ours_seconds, out = best_of([sys.executable, "-m", "sfhotfix", "compare", "--source", "git:B", "--target", "git:A",
                                 "--repo", str(repo), "--json"], ROOT)
    summary = json.loads(out)["summary"]
    # for reference, no target: the hotfix's usual comparison, a retrieved folder against the production branch
    folder = WORK / "b-folder"
    if not folder.exists():
        git(repo, "archive", "-o", str(WORK / "b.tar"), "B")
        folder.mkdir()
        subprocess.run(["tar", "-xf", str(WORK / "b.tar"), "-C", str(folder)], check=True)
        (WORK / "b.tar").unlink()
    folder_seconds, folder_out = best_of([sys.executable, "-m", "sfhotfix", "compare", "--source", str(folder),
                                          "--target", "git:A", "--repo", str(repo), "--json"], ROOT)
    assert json.loads(folder_out)["summary"] == summary, "the folder of B compares as revision B does"
    return {"files": files, "files_changed": changed, "git_diff_stat_seconds": round(git_seconds, 3),
            "sfhotfix_compare_seconds": round(ours_seconds, 3), "ratio": round(ours_seconds / git_seconds, 2),
            "summary": summary, "folder_against_revision_seconds": round(folder_seconds, 3)}


def main() -> None:
    sys.path.insert(0, str(ROOT))
    compile_package(ROOT)
    WORK.mkdir(parents=True, exist_ok=True)
    results = {"profile": profile_benchmark(), "tree": tree_benchmark(fls_objects=40),
               "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}}
    out = HERE / "results" / "compare.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")
    p, t = results["profile"], results["tree"]
    print(f"profile, 5,500 entries, one change: {p['best_ms']} ms (target < 10 ms)")
    print(f"{t['files']} files, {t['files_changed']} changed: sfhotfix compare --json {t['sfhotfix_compare_seconds']} s, "
          f"git diff --stat {t['git_diff_stat_seconds']} s, ratio {t['ratio']} (target <= 3)")
    print(f"the same as a folder (revision B checked out) against git:A: {t['folder_against_revision_seconds']} s "
          "(for reference)")


if __name__ == "__main__":
    main()
