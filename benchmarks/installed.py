"""Bytecode for the package, as ``pip install`` leaves it: the whole-process figures are an installed tool's.

An editable install runs sfhotfix from its sources. Where PYTHONDONTWRITEBYTECODE is set (this machine's
shell sets it), Python then compiles every module it imports, on every run: about 40 ms a process that an
installed tool never pays. compileall writes the ``__pycache__`` folders (ignored by git) whatever that
variable says, and Python reads them back even where it may not write them.
"""

from __future__ import annotations

import compileall
from pathlib import Path


def compile_package(root: Path) -> None:
    """Compile ``root/sfhotfix`` once, before any timed run."""
    if not compileall.compile_dir(str(root / "sfhotfix"), quiet=1):
        raise SystemExit(f"{root / 'sfhotfix'}: compileall failed")
