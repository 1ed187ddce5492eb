#!/usr/bin/env python3
"""Benchmark `sfhotfix delta` against sfdx-git-delta (sgd) on a large source-format repository.

What it does, in one run:

1. Builds (deterministically, from --seed) a git repository in --work (default benchmarks/work/delta/, git-ignored):
   the metadata-API project of benchmarks/convert.py's generator (objects with fields, list views, record types,
   validation rules, compact layouts; layouts; Apex classes; profiles and permission sets; custom labels),
   converted to source format with `python -m sfhotfix convert --to source` (about 50,000 files by default) and
   committed; then changes --change-rate of the files (default 1 %: edited field labels, list views, object
   descriptions, Apex classes, field-level security in profiles and permission sets, custom labels; new fields
   and classes; deleted fields, list views and validation rules) and commits again. The repository is reused
   on later runs when the parameters are unchanged (see --regenerate).
2. Times whole processes (wall clock, best of --repeat runs each, alternating): `sfhotfix delta --from HEAD~1
   --to HEAD` and `node /tmp/peers/sgd-delta.mjs REPO HEAD~1 HEAD OUT` (package.xml / destructiveChanges.xml
   only); with --generate-delta, both again writing the changed sources too (sgd through a small runner
   written into the work folder that imports sgd from /tmp/peers).
3. Compares the members both tools list (package.xml, destructiveChanges.xml) and prints the differences.
4. Prints a table and writes benchmarks/results/delta.json. The target: sfhotfix >= 3x faster than sgd.

    python benchmarks/delta.py                    # default scale (~50,000 files)
    python benchmarks/delta.py --small            # smoke run (seconds)
    python benchmarks/delta.py --profile          # also cProfile one sfhotfix run (top functions)

sfhotfix runs as `python -m sfhotfix delta ...`, as a user runs it, with its bytecode compiled first.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import json
import os
import platform
import pstats
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from installed import compile_package  # noqa: E402

GENERATOR_VERSION = 2  # bump when the change generation changes, so cached repositories are rebuilt
PEERS = Path("/tmp/peers")

SGD_GENERATE_RUNNER = """\
// sgd with generateDelta on, imported from PEERS (written by benchmarks/delta.py)
const peers = process.argv[6] || '/tmp/peers';
const { default: sgd } = await import(peers + '/node_modules/sfdx-git-delta/lib/main.js');
const { mkdirSync } = await import('node:fs');
const [repo, from, to, output] = process.argv.slice(2);
mkdirSync(output, { recursive: true });
const t0 = process.hrtime.bigint();
const work = await sgd({ repo, from, to, output, source: ['.'], generateDelta: true, ignoreWhitespace: false });
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const plain = (m) => Object.fromEntries([...m.entries()].map(([k, v]) => [k, [...v].sort()]).sort());
console.log(JSON.stringify({ package: plain(work.diffs.package), destructiveChanges: plain(work.diffs.destructiveChanges), warnings: work.warnings.map(String), seconds }));
"""


def _load_generator():
    """benchmarks/convert.py's project generator (Project, run_measured, tree_stats)."""
    spec = importlib.util.spec_from_file_location("bench_convert", HERE / "convert.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


gen = _load_generator()
log = gen.log


# ---------------------------------------------------------------------------------------------- the repository


def git(repo: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="bench@example.com",
               GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="bench@example.com",
               GIT_AUTHOR_DATE="2024-06-01T12:00:00Z", GIT_COMMITTER_DATE="2024-06-01T12:00:00Z")
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(f"git {' '.join(args)} failed: {done.stderr}")
    return done.stdout


def build_repository(args: argparse.Namespace) -> dict:
    """Generate, convert, commit, change, commit; reuse what a previous run with the same parameters built."""
    work = args.work
    params = {k: getattr(args, k) for k in ("objects", "fields", "profiles", "permsets", "labels", "classes",
                                            "list_views", "record_types", "validation_rules", "fls_objects",
                                            "seed", "change_rate")}
    params["generator"] = [gen.GENERATOR_VERSION, GENERATOR_VERSION]
    stamp = work / "built.json"
    if not args.regenerate and stamp.exists() and json.loads(stamp.read_text()).get("params") == params:
        log(f"reusing the repository in {work / 'repo'} (same parameters; --regenerate to rebuild)")
        return json.loads(stamp.read_text())
    gen.rmtree(work)
    work.mkdir(parents=True)
    log(f"generating the metadata-API project in {work / 'mdapi-project'} ...")
    project = gen.Project(args)
    project.write(work / "mdapi-project")
    repo = work / "repo"
    repo.mkdir()
    shutil.copy2(work / "mdapi-project" / "sfdx-project.json", repo / "sfdx-project.json")
    log("converting it to source format with sfhotfix ...")
    t0 = time.perf_counter()
    subprocess.run([args.python, "-m", "sfhotfix", "convert", "--to", "source", str(work / "mdapi-project" / "mdapi"),
                    "--output-dir", str(repo / "force-app"), "--project", str(repo)], check=True, cwd=REPO,
                   capture_output=True)
    log(f"  converted in {time.perf_counter() - t0:.1f} s")
    gen.rmtree(work / "mdapi-project")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    files = sorted(p.relative_to(repo).as_posix() for p in (repo / "force-app").rglob("*") if p.is_file())
    changes = change_files(repo, files, args)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "hotfix: 1% of the files")
    stat = git(repo, "diff", "--name-status", "--no-renames", "HEAD~1", "HEAD")
    kinds: dict[str, int] = {}
    for line in stat.splitlines():
        kinds[line[0]] = kinds.get(line[0], 0) + 1
    info = {"params": params, "files": len(files) + 1, "changed_files": sum(kinds.values()), "by_status": kinds,
            "changes": changes}
    stamp.write_text(json.dumps(info, indent=1) + "\n")
    return info


def change_files(repo: Path, files: list[str], args: argparse.Namespace) -> dict[str, int]:
    """Edit, add and delete about ``change_rate`` of the files, each kind in a fixed share, from the seed."""
    rng = random.Random(args.seed + 1)
    budget = max(12, round(len(files) * args.change_rate))
    by_kind = {
        "field": [f for f in files if f.endswith(".field-meta.xml")],
        "listView": [f for f in files if f.endswith(".listView-meta.xml")],
        "validationRule": [f for f in files if f.endswith(".validationRule-meta.xml")],
        "object": [f for f in files if f.endswith(".object-meta.xml")],
        "class": [f for f in files if f.endswith(".cls")],
        "profile": [f for f in files if f.endswith(".profile-meta.xml")],
        "permset": [f for f in files if f.endswith(".permissionset-meta.xml")],
        "labels": [f for f in files if f.endswith(".labels-meta.xml")],
    }
    shares = {"edit field": 0.38, "edit listView": 0.05, "edit object": 0.05, "edit class": 0.04,
              "add field": 0.16, "add class": 0.04, "delete field": 0.12, "delete listView": 0.06,
              "delete validationRule": 0.06}
    done: dict[str, int] = {}
    used: set[str] = set()

    def pick(kind: str, count: int) -> list[str]:
        pool = [f for f in by_kind[kind] if f not in used]
        chosen = rng.sample(pool, min(count, len(pool)))
        used.update(chosen)
        return chosen

    fixed = min(10, max(2, budget // 50))  # profiles + permission sets: their FLS changes weigh most for both tools
    for path in pick("profile", fixed // 2) + pick("permset", fixed - fixed // 2):
        _flip_fls(repo / path, rng)
        done["edit profile/permset FLS"] = done.get("edit profile/permset FLS", 0) + 1
    for path in pick("labels", 1):
        _edit_labels(repo / path, rng)
        done["edit labels (change 20, add 5, delete 5)"] = 1
    remaining = budget - sum(done.values())
    for what, share in shares.items():
        count = max(1, round(remaining * share))
        action, kind = what.split(" ")
        if action == "add" and kind == "class":
            count = max(1, count // 2)  # a class is two files
        for k in range(count):
            if action == "edit":
                (path,) = pick(kind, 1)
                _edit(repo / path, kind, k)
            elif action == "delete":
                (path,) = pick(kind, 1)
                (repo / path).unlink()
            elif kind == "field":
                (template,) = rng.sample(by_kind["field"], 1)
                name = f"Hotfix_{k:04d}__c"
                target = repo / template.rsplit("/", 1)[0] / f"{name}.field-meta.xml"
                text = (repo / template).read_text() if (repo / template).exists() else _plain_field()
                text = re.sub(r"<fullName>[^<]*</fullName>", f"<fullName>{name}</fullName>", text, count=1)
                target.write_text(text)
            else:
                (template,) = rng.sample(by_kind["class"], 1)
                folder = repo / template.rsplit("/", 1)[0]
                (folder / f"HotfixService_{k:04d}.cls").write_text(
                    f"public with sharing class HotfixService_{k:04d} {{\n    public static Integer run() {{ return {k}; }}\n}}\n")
                shutil.copy2(repo / (template + "-meta.xml"), folder / f"HotfixService_{k:04d}.cls-meta.xml")
        done[what] = count
    touched = sum(done.values()) + done.get("add class", 0)  # a new class is two files
    extra = pick("field", max(0, budget - touched))
    for k, path in enumerate(extra):
        _edit(repo / path, "field", 10_000 + k)
    done["edit field"] = done.get("edit field", 0) + len(extra)
    return done


def _plain_field() -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<CustomField xmlns="http://soap.sforce.com/2006/04/metadata">\n'
            "    <fullName>X__c</fullName>\n    <label>X</label>\n    <length>80</length>\n    <type>Text</type>\n"
            "</CustomField>\n")


def _edit(path: Path, kind: str, k: int) -> None:
    text = path.read_text()
    if kind == "class":
        text += f"// hotfix {k}\n"
    elif kind == "object" and "<description>" in text:
        text = re.sub(r"<description>([^<]*)</description>", rf"<description>\1 (hotfix {k})</description>", text, 1)
    elif "<label>" in text:
        text = re.sub(r"<label>([^<]*)</label>", rf"<label>\1 v{k}</label>", text, count=1)
    else:
        text = text.replace("</fullName>", "</fullName>\n    <description>hotfix</description>", 1)
    path.write_text(text)


def _flip_fls(path: Path, rng: random.Random) -> None:
    """Flip ``<editable>`` in 1 of 50 field permissions: a realistic FLS hotfix in a large profile."""
    text = path.read_text()
    parts = text.split("<fieldPermissions>")
    for i in range(1, len(parts)):
        if rng.random() < 0.02:
            parts[i] = parts[i].replace("<editable>true</editable>", "<editable>@</editable>", 1) \
                .replace("<editable>false</editable>", "<editable>true</editable>", 1) \
                .replace("<editable>@</editable>", "<editable>false</editable>", 1)
    path.write_text("<fieldPermissions>".join(parts))


def _edit_labels(path: Path, rng: random.Random) -> None:
    text = path.read_text()
    blocks = re.findall(r"    <labels>\n.*?    </labels>\n", text, flags=re.S)
    for block in rng.sample(blocks, min(20, len(blocks))):
        text = text.replace(block, block.replace("</value>", " (hotfix)</value>"), 1)
    for block in rng.sample(blocks, min(5, len(blocks))):
        text = text.replace(block, "", 1)
    new = "".join(f"    <labels>\n        <fullName>Hotfix_Label_{k}</fullName>\n        <language>en_US</language>\n"
                  f"        <protected>false</protected>\n        <shortDescription>Hotfix {k}</shortDescription>\n"
                  f"        <value>Hotfix {k}</value>\n    </labels>\n" for k in range(5))
    path.write_text(text.replace("</CustomLabels>", new + "</CustomLabels>"))


# ---------------------------------------------------------------------------------------------- measuring


def members(path: Path) -> dict[str, list[str]]:
    """Type → members of a package.xml-like file (empty when the file is absent)."""
    if not path.exists():
        return {}
    text = path.read_text()
    out: dict[str, list[str]] = {}
    for block in re.findall(r"<types>(.*?)</types>", text, flags=re.S):
        name = re.search(r"<name>(.*?)</name>", block).group(1)
        out[name] = sorted(re.findall(r"<members>(.*?)</members>", block))
    return out


def member_differences(ours: dict[str, list[str]], theirs: dict[str, list[str]]) -> dict:
    only_ours = {t: sorted(set(ours.get(t, [])) - set(theirs.get(t, []))) for t in set(ours) | set(theirs)}
    only_theirs = {t: sorted(set(theirs.get(t, [])) - set(ours.get(t, []))) for t in set(ours) | set(theirs)}
    return {"only_sfhotfix": {t: m for t, m in sorted(only_ours.items()) if m},
            "only_sgd": {t: m for t, m in sorted(only_theirs.items()) if m}}


def run_pair(args, repo: Path, runs: Path, logs: Path, generate: bool) -> dict:
    """Best of --repeat whole-process runs of each tool, alternating so that both see the same machine state."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    label = "generate-delta" if generate else "manifests"
    runner = args.work / "sgd-generate.mjs"
    if generate:
        runner.write_text(SGD_GENERATE_RUNNER)
    results: dict[str, list] = {"sfhotfix": [], "sgd": []}
    outs: dict[str, Path] = {}
    for i in range(args.repeat):
        for tool in ("sfhotfix", "sgd"):
            out = runs / f"{label}-{tool}-{i + 1}"
            if tool == "sfhotfix":
                cmd = [args.python, "-m", "sfhotfix", "delta", "--from", "HEAD~1", "--to", "HEAD", "--repo", str(repo),
                       "--output-dir", str(out)] + (["--generate-delta"] if generate else [])
            elif generate:
                cmd = [args.node, str(runner), str(repo), "HEAD~1", "HEAD", str(out), str(args.peers)]
            else:
                cmd = [args.node, str(args.peers / "sgd-delta.mjs"), str(repo), "HEAD~1", "HEAD", str(out)]
            os.sync()
            log_path = logs / f"{label}-{tool}-{i + 1}.log"
            r = gen.run_measured(cmd, REPO, env, log_path)
            r["output"] = log_path.read_text(errors="replace")
            log(f"    {label} {tool} run {i + 1}: {r['seconds']:.2f} s, peak {gen.fmt_mb(r['peak_mb'])}")
            results[tool].append(r)
            outs[tool] = out
    summary: dict = {}
    for tool, rs in results.items():
        best = min(rs, key=lambda r: r["seconds"])
        summary[tool] = {"seconds": round(best["seconds"], 3), "seconds_all": [round(r["seconds"], 3) for r in rs],
                         "peak_mb": round(max(r["peak_mb"] or 0 for r in rs), 1)}
    summary["ratio_sgd_over_sfhotfix"] = round(summary["sgd"]["seconds"] / summary["sfhotfix"]["seconds"], 2)
    sgd_report = json.loads(results["sgd"][-1]["output"].strip().splitlines()[-1])
    ours = {"package": members(outs["sfhotfix"] / "package" / "package.xml"),
            "destructiveChanges": members(outs["sfhotfix"] / "destructiveChanges" / "destructiveChanges.xml")}
    summary["members"] = {
        kind: {"sfhotfix": sum(map(len, ours[kind].values())), "sgd": sum(map(len, sgd_report[kind].values())),
               **member_differences(ours[kind], sgd_report[kind])}
        for kind in ("package", "destructiveChanges")}
    summary["sgd_warnings"] = sgd_report.get("warnings", [])[:10]
    summary["sgd_seconds_inside_node"] = round(sgd_report.get("seconds", 0), 3)
    if generate:
        ours_files = {p.relative_to(outs["sfhotfix"]).as_posix() for p in outs["sfhotfix"].rglob("*") if p.is_file()}
        theirs_files = {p.relative_to(outs["sgd"]).as_posix() for p in outs["sgd"].rglob("*") if p.is_file()}
        same = [f for f in ours_files & theirs_files
                if (outs["sfhotfix"] / f).read_bytes() == (outs["sgd"] / f).read_bytes()]
        summary["files"] = {"sfhotfix": len(ours_files), "sgd": len(theirs_files), "identical": len(same),
                            "only_sfhotfix": sorted(ours_files - theirs_files)[:20],
                            "only_sgd": sorted(theirs_files - ours_files)[:20],
                            "differing": sorted(ours_files & theirs_files - set(same))[:20]}
    return summary


def profile_once(args, repo: Path, out: Path, results_dir: Path) -> list[str]:
    """One in-process sfhotfix run under cProfile; the top functions by cumulative time."""
    from click.testing import CliRunner

    from sfhotfix.cli import main

    profiler = cProfile.Profile()
    profiler.enable()
    result = CliRunner().invoke(main, ["delta", "--from", "HEAD~1", "--to", "HEAD", "--repo", str(repo),
                                       "--output-dir", str(out)])
    profiler.disable()
    if result.exit_code:
        raise SystemExit(result.output)
    profiler.dump_stats(str(results_dir / "delta-profile.pstats"))
    text = results_dir / "delta-profile.txt"
    with text.open("w") as handle:
        pstats.Stats(profiler, stream=handle).sort_stats("cumulative").print_stats(40)
    return text.read_text().splitlines()[:80]


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--small", action="store_true", help="smoke run: 20 objects x 20 fields, a few of the rest")
    p.add_argument("--objects", type=int, help="custom objects (default 447; --small 20)")
    p.add_argument("--fields", type=int, help="fields per object (default 100; --small 20)")
    p.add_argument("--profiles", type=int, help="profiles (default 100; --small 3)")
    p.add_argument("--permsets", type=int, help="permission sets (default 100; --small 3)")
    p.add_argument("--labels", type=int, help="custom labels (default 2000; --small 50)")
    p.add_argument("--classes", type=int, help="Apex classes (default 300; --small 10)")
    p.add_argument("--list-views", type=int, default=3)
    p.add_argument("--record-types", type=int, default=2)
    p.add_argument("--validation-rules", type=int, default=2)
    p.add_argument("--fls-objects", type=int, default=20,
                   help="profiles/permission sets carry field permissions of the first N objects (default 20)")
    p.add_argument("--change-rate", type=float, default=0.01, help="share of the files changed (default 0.01)")
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--work", type=Path, help="work folder (default benchmarks/work/delta, delta-small with --small)")
    p.add_argument("--regenerate", action="store_true")
    p.add_argument("--generate-only", action="store_true")
    p.add_argument("--repeat", type=int, default=3, help="runs per tool, best is kept (default 3)")
    p.add_argument("--no-generate-delta", action="store_true", help="skip the --generate-delta measurement")
    p.add_argument("--python", default=str(REPO / ".venv/bin/python") if (REPO / ".venv/bin/python").exists()
                   else sys.executable)
    p.add_argument("--node", default="node")
    p.add_argument("--peers", type=Path, default=PEERS, help="folder of the installed peers (default /tmp/peers)")
    p.add_argument("--profile", action="store_true", help="also profile one sfhotfix run (cProfile)")
    p.add_argument("--results", type=Path, help="results JSON (default benchmarks/results/delta.json, "
                                                "delta-small.json with --small)")
    a = p.parse_args(argv)
    defaults = dict(objects=447, fields=100, profiles=100, permsets=100, labels=2000, classes=300)
    small = dict(objects=20, fields=20, profiles=3, permsets=3, labels=50, classes=10)
    for k, v in (small if a.small else defaults).items():
        if getattr(a, k) is None:
            setattr(a, k, v)
    if a.results is None:
        a.results = HERE / "results" / ("delta-small.json" if a.small else "delta.json")
    a.work = (a.work or HERE / "work" / ("delta-small" if a.small else "delta")).resolve()
    return a


def main(argv=None) -> int:
    args = parse_args(argv)
    info = build_repository(args)
    repo = args.work / "repo"
    log(f"repository {repo}: {info['files']} files; {info['changed_files']} changed in HEAD "
        f"({', '.join(f'{k} {v}' for k, v in sorted(info['by_status'].items()))})")
    if args.generate_only:
        return 0
    compile_package(REPO)
    if not (args.peers / "sgd-delta.mjs").exists():
        raise SystemExit(f"sfdx-git-delta is not installed in {args.peers} (see /work/shared/peers/README.md)")
    runs, logs = args.work / "runs", args.work / "logs"
    gen.rmtree(runs)
    runs.mkdir()
    logs.mkdir(exist_ok=True)
    results: dict = {
        "repository": info,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": subprocess.run([args.python, "--version"], capture_output=True, text=True).stdout.strip(),
                    "node": subprocess.run([args.node, "--version"], capture_output=True, text=True).stdout.strip(),
                    "git": subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip(),
                    "sgd": _version(args.peers / "node_modules" / "sfdx-git-delta" / "package.json")},
        "method": "whole processes, wall clock around subprocess.run, best of the runs listed, the two tools "
                  "alternating; peak = GNU time -v maximum resident set size; each run writes a fresh folder "
                  "after an untimed sync; page cache warm after the first run",
        "runs": {},
    }
    log("\nmanifests only (package.xml, destructiveChanges.xml)")
    results["runs"]["manifests"] = run_pair(args, repo, runs, logs, generate=False)
    if not args.no_generate_delta:
        log("\nwith --generate-delta (the changed sources written too)")
        results["runs"]["generate_delta"] = run_pair(args, repo, runs, logs, generate=True)
    if args.profile:
        results["profile_top"] = profile_once(args, repo, runs / "profiled", args.results.parent)
    results["target"] = {"sfhotfix_at_least_3x_faster": results["runs"]["manifests"]["ratio_sgd_over_sfhotfix"] >= 3}
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(results, indent=1) + "\n")
    report(results)
    log(f"\nresults written to {args.results}")
    return 0


def _version(package_json: Path) -> str | None:
    try:
        return json.loads(package_json.read_text()).get("version")
    except OSError:
        return None


def report(results: dict) -> None:
    log("\n" + f"{'measurement':<16} {'tool':<9} {'best s':>8} {'all runs':<22} {'peak MB':>8} {'sgd/sfhotfix':>13}")
    for name, r in results["runs"].items():
        for tool in ("sfhotfix", "sgd"):
            ratio = f"{r['ratio_sgd_over_sfhotfix']:.1f}x" if tool == "sgd" else ""
            log(f"{name:<16} {tool:<9} {r[tool]['seconds']:>8.2f} "
                f"{', '.join(f'{s:.2f}' for s in r[tool]['seconds_all']):<22} {r[tool]['peak_mb']:>8.0f} {ratio:>13}")
    for name, r in results["runs"].items():
        for kind, m in r["members"].items():
            log(f"{name} {kind}: sfhotfix {m['sfhotfix']} members, sgd {m['sgd']}; only sfhotfix "
                f"{sum(map(len, m['only_sfhotfix'].values()))}, only sgd {sum(map(len, m['only_sgd'].values()))}")
            for side in ("only_sfhotfix", "only_sgd"):
                for t, names in m[side].items():
                    log(f"    {side} {t}: {', '.join(names[:6])}{' …' if len(names) > 6 else ''}")
        if "files" in r:
            f = r["files"]
            log(f"{name} files: sfhotfix {f['sfhotfix']}, sgd {f['sgd']}, byte-identical {f['identical']}; "
                f"only sfhotfix {f['only_sfhotfix'][:3]}, only sgd {f['only_sgd'][:3]}, differing {f['differing'][:3]}")
    ok = results["target"]["sfhotfix_at_least_3x_faster"]
    log(f"target: sfhotfix delta >= 3x faster than sgd: {'MET' if ok else 'NOT MET'} "
        f"({results['runs']['manifests']['ratio_sgd_over_sfhotfix']:.1f}x)")


if __name__ == "__main__":
    sys.exit(main())
