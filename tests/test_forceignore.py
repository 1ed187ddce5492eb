""".forceignore: the converter's default patterns, answered without pathspec, agree with pathspec."""

from __future__ import annotations

import pathspec

from sfhotfix.forceignore import DEFAULT_PATTERNS, ForceIgnore

PATHS = ["a/b.dup", ".git/x", "a/.hidden", "a/b/c.cls", "package2-descriptor.json", "x/package2-manifest.json",
         ".forceignore", "a.dupx", "a/.b/c", "force-app/main/default/classes/A.cls-meta.xml", "x/y.dup/z"]


def test_defaults_match_pathspec() -> None:
    spec = pathspec.GitIgnoreSpec.from_lines(DEFAULT_PATTERNS)
    defaults = ForceIgnore()
    assert [defaults.denies(p) for p in PATHS] == [spec.match_file(p) for p in PATHS]


def test_user_patterns() -> None:
    ignore = ForceIgnore(["# comment", "**/jsconfig.json", "force-app/main/default/profiles/"])
    assert ignore.denies("force-app/main/default/lwc/jsconfig.json")
    assert ignore.denies("force-app/main/default/profiles/Admin.profile-meta.xml")
    assert not ignore.denies("force-app/main/default/classes/A.cls")
    assert ignore.denies("a/b.dup")


def test_a_byte_order_mark_and_windows_line_ends_are_not_part_of_the_patterns(tmp_path) -> None:
    """A .forceignore saved by a Windows editor: the first pattern still applies, from a folder or a revision."""
    from sfhotfix.sources import read_setup
    from sfhotfix.tree import FolderTree

    (tmp_path / "sfdx-project.json").write_text('{"packageDirectories": [{"path": "force-app", "default": true}]}')
    (tmp_path / ".forceignore").write_bytes(b"\xef\xbb\xbf**/profiles/\r\n**/jsconfig.json\r\n")
    for ignore in (ForceIgnore.from_directory(tmp_path), read_setup(FolderTree(tmp_path)).forceignore):
        assert ignore.denies("force-app/main/default/profiles/Admin.profile-meta.xml")
        assert ignore.denies("force-app/main/default/lwc/jsconfig.json")
        assert not ignore.denies("force-app/main/default/classes/A.cls")
