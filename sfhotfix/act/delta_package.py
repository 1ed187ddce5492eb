"""The deployable package of what a branch changes: the delta between two revisions, as one Metadata API zip.

The validation gate deploys exactly what ``sfhotfix delta`` lists, so reviewers, sgd users and the org all
see the same member list: the delta's ``package.xml`` and ``destructiveChanges.xml`` go into the zip as they
are, beside the delta's files (the in-file types pruned to what changed) converted to metadata-API format.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError
from ..formats.manifest import build_manifest
from ..gittree import GitTree
from ..org.deploy import deploy_files
from ..project import DEFAULT_API_VERSION, PROJECT_FILE
from .delta import DeltaRequest, run_delta

APEX_TYPES = ("ApexClass", "ApexTrigger")


@dataclass
class DeltaPackage:
    """The zip and its member lists; ``apex`` names the classes and triggers it deploys."""

    base: str
    head: str
    package: dict[str, list[str]]
    destructive: dict[str, list[str]]
    files: dict[str, bytes]
    warnings: list[str] = field(default_factory=list)
    api_version: str = DEFAULT_API_VERSION  # the manifests' <version>: head's sourceApiVersion

    @property
    def empty(self) -> bool:
        return not self.package and not self.destructive

    @property
    def apex(self) -> dict[str, list[str]]:
        return {t: self.package[t] for t in APEX_TYPES if t in self.package}


def build_delta_package(repo: Path, base: str, head: str) -> DeltaPackage:
    """The package deploying ``head`` over ``base`` (commits of ``repo``); nothing is written in the repo."""
    with tempfile.TemporaryDirectory(prefix="sfhotfix-package-") as tmp:
        out = Path(tmp) / "delta"
        result = run_delta(DeltaRequest(from_rev=base, to_rev=head, output_dir=out, repo=repo, generate_delta=True))
        package = {t: sorted(names) for t, names in sorted(result.package.items()) if names}
        destructive = {t: sorted(names) for t, names in sorted(result.destructive.items()) if names}
        manifest = (out / "package" / "package.xml").read_bytes()
        for folder in ("package", "destructiveChanges"):  # the manifests are not files to deploy
            if not any(path.startswith(f"{folder}/") for path in result.files):
                shutil.rmtree(out / folder)
        files: dict[str, bytes] = {}
        if result.files:
            files = deploy_files(_deployable_root(repo, head, out, result.files))
        files["package.xml"] = manifest
        if destructive:
            files["destructiveChanges.xml"] = build_manifest(
                {t: set(names) for t, names in destructive.items()}, result.api_version)
        return DeltaPackage(result.from_commit, result.to_commit, package, destructive, files, result.warnings,
                            result.api_version)


def _deployable_root(repo: Path, head: str, out: Path, written: list[str]) -> Path:
    """The folder of the delta's files to convert: with head's sfdx-project.json beside them (source format),
    or the one metadata-API package folder they all lie in."""
    tree = GitTree(repo, head)
    listing = tree.files()
    if PROJECT_FILE in listing:
        (out / PROJECT_FILE).write_bytes(tree.read(PROJECT_FILE))
        for name in (".forceignore",):
            if name in listing:
                (out / name).write_bytes(tree.read(name))
        return out
    roots = sorted({path.rpartition("/")[0] for path in listing if path.rpartition("/")[2] == "package.xml"},
                   key=len)
    for root in roots:
        prefix = f"{root}/" if root else ""
        if all(path.startswith(prefix) for path in written):
            return out / root if root else out
    raise UsageError(f"git:{head[:12]}: the changed files lie in no sfdx-project.json package directory nor "
                     "below a package.xml, so there is no package to deploy")
