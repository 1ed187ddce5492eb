"""Benchmark the chunked parallel retrieve against the Metadata API emulator with 150 ms added per call.

A 25,000-file retrieve (12,500 Apex classes with their -meta.xml) must run as at least 3 concurrent
chunks and finish within 1.5x of its slowest single chunk; the memory the retrieve allocates at its peak
(tracemalloc, the interpreter's own baseline excluded) must stay under 2x the largest chunk's zip.

    python benchmarks/retrieve.py            # results in benchmarks/results/retrieve.json
"""

from __future__ import annotations

import json
import os
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


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="sfhotfix-retrieve-bench-") as work:
        work_path = Path(work)
        emulator, info = start_emulator_process(org_folder(work_path))
        try:
            os.environ["REQUESTS_CA_BUNDLE"] = info["ca file"]
            api = MetadataApi(OrgClient(lambda: Credentials(info["url"], info["session id"], "63.0")))
            members = {"ApexClass": [f"Service{n:05d}" for n in range(CLASSES)]}
            tracemalloc.start()
            started = time.perf_counter()
            outcome = retrieve(api, members, load_registry(), work_path / "out", parallel=3,
                               polling=Polling(first=0.5, factor=1.5, cap=2.0, timeout=600))
            total = time.perf_counter() - started
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            files = sum(1 for p in outcome.folder.rglob("*") if p.is_file())
            largest = outcome.largest_zip
        finally:
            emulator.terminate()
            emulator.wait()
    slowest = max(r.seconds for r in outcome.chunks)
    results = {
        "files": files, "chunks": len(outcome.chunks), "parallel": 3, "latency_per_call_s": 0.15,
        "total_seconds": round(total, 2), "slowest_chunk_seconds": round(slowest, 2),
        "ratio_total_over_slowest": round(total / slowest, 2),
        "largest_chunk_zip_mb": round(largest / 1e6, 2), "peak_allocated_mb": round(peak / 1e6, 2),
        "ratio_peak_over_largest_zip": round(peak / largest, 2),
        "chunk_seconds": [round(r.seconds, 2) for r in outcome.chunks],
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "retrieve.json").write_text(json.dumps(results, indent=1) + "\n")
    print(f"{files} files in {len(outcome.chunks)} chunks: {results['total_seconds']} s, slowest chunk "
          f"{results['slowest_chunk_seconds']} s (ratio {results['ratio_total_over_slowest']}, target <= 1.5); "
          f"peak allocated {results['peak_allocated_mb']} MB for a largest zip of {results['largest_chunk_zip_mb']} MB "
          f"(ratio {results['ratio_peak_over_largest_zip']}, target < 2)")


if __name__ == "__main__":
    main()
