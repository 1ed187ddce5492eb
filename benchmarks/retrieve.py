"""Benchmark the chunked parallel retrieve against the Metadata API emulator with 150 ms added per call.

A 25,000-file retrieve (12,500 Apex classes with their -meta.xml) must run as at least 3 concurrent
chunks and finish within 1.5x of its slowest single chunk; the memory the retrieve allocates at its peak
(tracemalloc, the interpreter's own baseline excluded) must stay under 2x the largest chunk's zip.

Time and memory are measured in separate retrieves against the same emulator: tracemalloc hooks every
allocation and slows the client's own work (decoding, inflating, writing 25,000 files) about threefold,
which would count against the ratio what is only the measuring. The timed retrieve runs RUNS times;
every run is reported, and the verdict is on the median.

    python benchmarks/retrieve.py [--work-dir DIR]   # results in benchmarks/results/retrieve.json

The files go below DIR (default: the system's temporary folder). On ext4, creating a file soon after many were
deleted near it costs up to ten times as much in the kernel: while it picks an inode, ext4 skips those freed
in the last minute (six while their inode table is not yet written back), looking each one up again for
every file. This script's own clean-up removes some 100,000 files, so runs of it should be six minutes apart.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from sfhotfix.org.auth import Credentials  # noqa: E402
from sfhotfix.org.client import OrgClient  # noqa: E402
from sfhotfix.org.metadata import MetadataApi  # noqa: E402
from sfhotfix.org.retrieve import Polling, retrieve  # noqa: E402
from sfhotfix.registry import load_registry  # noqa: E402

CLASSES = 12_500
RUNS = 5
POLLING = Polling(first=0.5, factor=1.5, cap=2.0, timeout=600)
NS = "http://soap.sforce.com/2006/04/metadata"


def org_folder(root: Path) -> Path:
    folder = root / "org"
    classes = folder / "classes"
    classes.mkdir(parents=True)
    methods = "".join(f"    public static Integer method{i}(Integer value) {{ return value + {i}; }}\n"
                      for i in range(20))
    meta = (f'<?xml version="1.0" encoding="UTF-8"?>\n<ApexClass xmlns="{NS}">\n    <apiVersion>63.0</apiVersion>\n'
            "    <status>Active</status>\n</ApexClass>\n")
    for n in range(CLASSES):
        name = f"Service{n:05d}"
        (classes / f"{name}.cls").write_text(f"public with sharing class {name} {{\n{methods}}}\n")
        (classes / f"{name}.cls-meta.xml").write_text(meta)
    return folder


def start_emulator_process(folder: Path) -> tuple[subprocess.Popen, dict[str, str]]:
    """The emulator in a process of its own, so that its work does not share this process's memory or GIL."""
    process = subprocess.Popen([sys.executable, "-m", "tests.emulator", str(folder), "--latency", "0.15"],
                               cwd=ROOT, stdout=subprocess.PIPE, text=True)
    info = {}
    while len(info) < 3:
        line = process.stdout.readline()
        if not line:
            raise SystemExit("the emulator did not start")
        key, _, value = line.partition(":")
        if key.strip() in ("url", "ca file", "session id"):
            info[key.strip()] = value.strip()
    return process, info


def timed_run(api: MetadataApi, out: Path) -> dict:
    """One retrieve of every class, untraced: its total, its chunks' own times, and the files written."""
    members = {"ApexClass": [f"Service{n:05d}" for n in range(CLASSES)]}
    started = time.perf_counter()
    outcome = retrieve(api, members, load_registry(), out, parallel=3, polling=POLLING)
    total = time.perf_counter() - started
    slowest = max(r.seconds for r in outcome.chunks)
    return {"total_seconds": round(total, 2), "slowest_chunk_seconds": round(slowest, 2),
            "ratio_total_over_slowest": round(total / slowest, 2),
            "chunk_seconds": [round(r.seconds, 2) for r in outcome.chunks],
            "files": sum(1 for p in outcome.folder.rglob("*") if p.is_file()), "chunks": len(outcome.chunks)}


def traced_run(api: MetadataApi, out: Path) -> tuple[int, int]:
    """One retrieve of every class under tracemalloc: its peak allocation and its largest chunk's zip."""
    members = {"ApexClass": [f"Service{n:05d}" for n in range(CLASSES)]}
    tracemalloc.start()
    try:
        outcome = retrieve(api, members, load_registry(), out, parallel=3, polling=POLLING)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, outcome.largest_zip



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-dir", type=Path, default=None, help="where the org folder and the retrieves go")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sfhotfix-retrieve-bench-", dir=args.work_dir) as work:
        work_path = Path(work)
        emulator, info = start_emulator_process(org_folder(work_path))
        try:
            os.environ["REQUESTS_CA_BUNDLE"] = info["ca file"]
            api = MetadataApi(OrgClient(lambda: Credentials(info["url"], info["session id"], "63.0")))
            runs = [timed_run(api, work_path / f"timed-{n}") for n in range(RUNS)]
            peak, largest = traced_run(api, work_path / "traced")
        finally:
            emulator.terminate()
            emulator.wait()
    median = statistics.median(run["ratio_total_over_slowest"] for run in runs)
    results = {
        "work_dir": str(args.work_dir or tempfile.gettempdir()),
        "files": runs[0]["files"], "chunks": runs[0]["chunks"], "parallel": 3, "latency_per_call_s": 0.15,
        "runs": runs, "median_ratio_total_over_slowest": median,
        "largest_chunk_zip_mb": round(largest / 1e6, 2), "peak_allocated_mb": round(peak / 1e6, 2),
        "ratio_peak_over_largest_zip": round(peak / largest, 2),
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "retrieve.json").write_text(json.dumps(results, indent=1) + "\n")
    for run in runs:
        print(f"{run['files']} files in {run['chunks']} chunks: {run['total_seconds']} s, slowest chunk "
              f"{run['slowest_chunk_seconds']} s (ratio {run['ratio_total_over_slowest']})")
    print(f"median ratio {median} (target <= 1.5); peak allocated {results['peak_allocated_mb']} MB for a largest "
          f"zip of {results['largest_chunk_zip_mb']} MB (ratio {results['ratio_peak_over_largest_zip']}, target < 2)")


if __name__ == "__main__":
    main()
