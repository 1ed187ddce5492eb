"""An org as a comparison source (``org:ALIAS``): its components retrieved into a temporary folder.

Only the types worth comparing are retrieved (those the other side holds, or those named with
``--types``); the FileProperties of the retrieve give each component its "changed by / changed on".
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from ..registry import Registry
from ..tree import FolderTree
from . import connect
from .metadata import FileProperties
from .retrieve import retrieve


def retrieve_org_tree(alias: str, types: list[str], registry: Registry) -> tuple[FolderTree, dict[tuple[str, str], FileProperties]]:
    """The org's components of ``types`` as a folder tree, and their FileProperties by (type, fullName)."""
    api = connect(alias or None)
    listed = api.list_metadata(sorted(types))
    members: dict[str, list[str]] = {}
    for props in listed:
        members.setdefault(props.type, []).append(props.full_name)
    work = Path(tempfile.mkdtemp(prefix="sfhotfix-org-"))
    atexit.register(shutil.rmtree, work, True)
    if not members:
        (work / "metadata").mkdir()
        return FolderTree(work / "metadata"), {}
    outcome = retrieve(api, members, registry, work)
    properties = {(p.type, p.full_name): p for p in [*listed, *outcome.file_properties]}
    tree = FolderTree(outcome.folder)
    tree.label = f"org:{alias}"
    return tree, properties
