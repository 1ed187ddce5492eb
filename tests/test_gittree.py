"""Tests of sfhotfix.gittree: a git revision read from git's objects, against what was committed at each
revision of real repositories built with the git CLI, while the working tree, index and HEAD stay as they
were; the errors a user sees; ``git:REF[:PATH]`` specs; and speed on thousands of files."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from sfhotfix.errors import UsageError
from sfhotfix.gittree import REPOSITORY_ENV_VARS, GitTree, parse_git_spec

POSIX = os.name == "posix"
BINARY = bytes(range(256)) * 4 + b"\r\n\x00\xff"  # every byte value, NULs and a CR LF, no final newline
GITLINK = "0123456789abcdef0123456789abcdef01234567"  # a submodule's commit; it need not exist here
LINK = "force-app/link.cls"
CLASSES = "force-app/main/default/classes"
FIELD = "force-app/main/default/objects/Account/fields/Café__c.field-meta.xml"
LAYOUT = "force-app/main/default/layouts/Account-Account Layout.layout-meta.xml"
TRIGGER = "force-app/main/default/triggers/AccountTrigger.trigger"
# names that a git listing must not mangle: quoted by git without -z, or not UTF-8 at all
ODD_NAMES = ["odd/new\nline.txt", "odd/tab\there.txt", 'odd/"quoted".txt', "odd/back\\slash.txt"]
if sys.platform == "linux":  # the byte 0xE9 alone, as a Latin-1 system names "é"; macOS refuses such a name
    ODD_NAMES.append("odd/latin1-\udce9.txt")


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo``; a failure fails the test with git's message."""
    result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)
    if result.returncode:
        pytest.fail(f"git {' '.join(args)} failed: {result.stderr.decode(errors='replace')}")
    return result.stdout.decode("utf-8", "surrogateescape")


def write_files(root: Path, files: Mapping[str, bytes | None]) -> None:
    """Write (or, for ``None``, delete) files below ``root``."""
    for name, data in files.items():
        target = root / name
        if data is None:
            target.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)


def commit(repo: Path, state: dict[str, bytes], files: Mapping[str, bytes | None], message: str) -> dict[str, bytes]:
    """Commit changes to the files and return what the commit holds (``state`` updated, as a copy)."""
    write_files(repo, files)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    new = dict(state)
    for name, data in files.items():
        if data is None:
            del new[name]
        else:
            new[name] = data
    return new


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` with its content (symbolic links as their target)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            found[path.relative_to(folder).as_posix()] = os.readlink(path).encode()
        elif path.is_file():
            found[path.relative_to(folder).as_posix()] = path.read_bytes()
    return found


@pytest.fixture(scope="module", autouse=True)
def git_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Git as on a fresh machine: no system or user configuration, fixed identity, no repository above."""
    home = tmp_path_factory.mktemp("home")
    (home / ".gitconfig").write_bytes(b"")
    with pytest.MonkeyPatch.context() as patch:
        for name in REPOSITORY_ENV_VARS:
            patch.delenv(name, raising=False)
        patch.setenv("HOME", str(home))
        patch.setenv("GIT_CONFIG_NOSYSTEM", "1")
        patch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
        patch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path_factory.getbasetemp()))
        for role in ("AUTHOR", "COMMITTER"):
            patch.setenv(f"GIT_{role}_NAME", "Test")
            patch.setenv(f"GIT_{role}_EMAIL", "test@example.com")
            patch.setenv(f"GIT_{role}_DATE", "2024-05-01T10:00:00Z")
        yield


@dataclass
class History:
    """A repository with what each revision holds, and its working tree left dirty on ``main``."""

    repo: Path
    commits: dict[str, str]  # name -> full commit id
    committed: dict[str, dict[str, bytes]]  # name -> blob path -> content (links and submodules aside)


@pytest.fixture(scope="module")
def history(git_env: None, tmp_path_factory: pytest.TempPathFactory) -> History:
    """``first`` (tag v1) -> ``second`` on main; ``feature`` on feature/x from ``first``."""
    repo = tmp_path_factory.mktemp("history")
    git(repo, "init", "-q", "-b", "main")
    first = {
        "README.md": b"# Project\n",
        "sfdx-project.json": b'{"packageDirectories": [{"path": "force-app", "default": true}]}\n',
        f"{CLASSES}/Foo.cls": b"public class Foo {}\n",
        f"{CLASSES}/Foo.cls-meta.xml": b'<?xml version="1.0" encoding="UTF-8"?>\n<ApexClass/>\n',
        LAYOUT: b"<Layout>first</Layout>\n",
        FIELD: "<CustomField><label>Café</label></CustomField>\n".encode(),
        "force-app/main/default/staticresources/logo.png": BINARY,
        "force-app/main/default/staticresources/empty.txt": b"",
        "force-app/main/default/staticresources/crlf.txt": b"a\r\nb\r\n",
        "docs/日本語 notes.md": "メモ\n".encode(),
    }
    if POSIX:
        first.update({name: name.encode("utf-8", "surrogateescape") * 3 for name in ODD_NAMES})
        (repo / "force-app").mkdir()
        os.symlink("main/default/classes/Foo.cls", repo / LINK)
    write_files(repo, first)
    git(repo, "add", "-A")
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{GITLINK},vendor/lib")
    (repo / "vendor/lib").mkdir(parents=True)  # an unpopulated submodule, so later `add -A` keeps it
    git(repo, "commit", "-q", "-m", "first")
    git(repo, "tag", "-a", "-m", "release 1", "v1")

    second = commit(
        repo,
        first,
        {
            f"{CLASSES}/Foo.cls": b"public class Foo { void fix() {} }\n",
            "README.md": None,
            TRIGGER: b"trigger AccountTrigger on Account (before insert) {}\n",
            FIELD: "<CustomField><label>Café 2</label></CustomField>\n".encode(),
        },
        "second",
    )
    git(repo, "checkout", "-q", "-b", "feature/x", "v1")
    feature = commit(
        repo,
        first,
        {
            f"{CLASSES}/Bar.cls": b"public class Bar {}\n",
            "force-app/main/default/staticresources/logo.png": None,
            LAYOUT: b"<Layout>feature</Layout>\n",
        },
        "feature",
    )
    git(repo, "checkout", "-q", "main")

    # the working tree and index now differ from every revision: edited, staged, untracked and deleted files
    write_files(repo, {f"{CLASSES}/Foo.cls-meta.xml": b"<ApexClass>staged</ApexClass>\n"})
    git(repo, "add", f"{CLASSES}/Foo.cls-meta.xml")
    write_files(
        repo, {f"{CLASSES}/Foo.cls": b"// edited, not committed\n", f"{CLASSES}/Untracked.cls": b"x\n", LAYOUT: None}
    )

    revisions = {"first": "v1^{commit}", "second": "main", "feature": "feature/x"}
    commits = {name: git(repo, "rev-parse", rev).strip() for name, rev in revisions.items()}
    return History(repo, commits, {"first": first, "second": second, "feature": feature})


REVISIONS = [
    ("main", "second"),
    ("HEAD", "second"),
    ("main~1", "first"),
    ("HEAD^", "first"),
    ("v1", "first"),  # an annotated tag, peeled to its commit
    ("feature/x", "feature"),
    ("refs/heads/feature/x", "feature"),
    ("{feature}", "feature"),  # the full commit id
    ("{second:.10}", "second"),  # an abbreviated one
]


@pytest.mark.parametrize(("ref", "name"), REVISIONS)
def test_files_and_content_are_those_committed(history: History, ref: str, name: str) -> None:
    ref = ref.format(**history.commits)
    expected = history.committed[name]
    with GitTree(history.repo, ref) as tree:
        assert tree.label == f"git:{ref}"
        assert tree.commit == history.commits[name]
        assert tree.files() == sorted(expected)
        assert {path: tree.read(path) for path in tree.files()} == expected
        assert tree.read_many(tree.files()) == expected


def test_the_working_tree_index_and_head_are_left_alone(history: History) -> None:
    repo = history.repo
    status = git(repo, "--no-optional-locks", "status", "--porcelain", "-z")
    assert set(status.split("\0")) - {""} == {
        f"M  {CLASSES}/Foo.cls-meta.xml",
        f" M {CLASSES}/Foo.cls",
        f"?? {CLASSES}/Untracked.cls",
        f" D {LAYOUT}",
    }
    head = git(repo, "rev-parse", "--symbolic-full-name", "HEAD"), git(repo, "rev-parse", "HEAD")
    work_tree = {name: data for name, data in snapshot(repo).items() if not name.startswith(".git/")}
    git_dir = snapshot(repo / ".git")

    for ref, _ in REVISIONS:
        with GitTree(repo, ref.format(**history.commits)) as tree:
            tree.read_many(tree.files())
            assert tree.read(f"{CLASSES}/Foo.cls") != (repo / CLASSES / "Foo.cls").read_bytes()

    assert snapshot(repo / ".git") == git_dir  # no lock, index refresh, ref or object written
    assert {name: data for name, data in snapshot(repo).items() if not name.startswith(".git/")} == work_tree
    assert (git(repo, "rev-parse", "--symbolic-full-name", "HEAD"), git(repo, "rev-parse", "HEAD")) == head
    assert git(repo, "--no-optional-locks", "status", "--porcelain", "-z") == status


@pytest.mark.skipif(not POSIX, reason="symbolic links and these file names need a POSIX file system")
def test_links_and_submodules_are_not_files_and_odd_names_survive(history: History) -> None:
    tree = GitTree(history.repo, "main")
    assert tree.symlinks == [LINK]
    assert LINK not in tree.files() and "vendor/lib" not in tree.files()
    for name in ODD_NAMES:
        assert tree.read(name) == name.encode("utf-8", "surrogateescape") * 3
    assert "docs/日本語 notes.md" in tree.files() and FIELD in tree.files()


def test_subpath_lists_below_it(history: History) -> None:
    prefix = "force-app/main/default/"
    committed = history.committed["feature"]
    expected = {name[len(prefix) :]: data for name, data in committed.items() if name.startswith(prefix)}
    for subpath in ("force-app/main/default", "/force-app/main/default/", "./force-app//main/default"):
        tree = GitTree(history.repo, "feature/x", subpath)
        assert tree.label == "git:feature/x:force-app/main/default"
        assert tree.subpath == "force-app/main/default"
        assert tree.files() == sorted(expected)
        assert tree.read_many(reversed(tree.files())) == expected
        assert list(tree.read_many(reversed(tree.files()))) == list(reversed(tree.files()))  # order as asked
        assert tree.read("classes/Bar.cls") == b"public class Bar {}\n"
    whole = GitTree(history.repo, "main", "")
    assert whole.label == "git:main" and whole.subpath is None and whole.files() == sorted(history.committed["second"])


def test_subpath_is_relative_to_the_top_of_the_repository_and_repo_may_be_a_subfolder(history: History) -> None:
    inner = history.repo / "force-app" / "main"
    assert GitTree(inner, "main").files() == sorted(history.committed["second"])
    assert GitTree(inner, "main", "docs").files() == ["日本語 notes.md"]


def test_bare_repository(history: History, tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "-q", "--bare", str(history.repo), str(bare))
    tree = GitTree(bare, "feature/x", "force-app")
    assert tree.read("main/default/classes/Bar.cls") == b"public class Bar {}\n"
    assert tree.commit == history.commits["feature"]


def test_sha256_repository(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "--object-format=sha256", "repo")
    repo = tmp_path / "repo"
    commit(repo, {}, {"a/b.txt": b"sha-256\n"}, "one")
    with GitTree(repo, "HEAD") as tree:
        assert len(tree.commit) == 64
        assert tree.read_many(["a/b.txt"]) == {"a/b.txt": b"sha-256\n"}


def test_a_parsed_spec_opens_the_tree(history: History) -> None:
    tree = GitTree(history.repo, *parse_git_spec("git:main~1:force-app/main/default/classes"))
    assert tree.label == "git:main~1:force-app/main/default/classes"
    assert tree.read("Foo.cls") == b"public class Foo {}\n"


def test_inherited_repository_variables_do_not_redirect_reads(
    history: History, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other"
    git(tmp_path, "init", "-q", "-b", "main", str(other))
    commit(other, {}, {"elsewhere.txt": b"wrong repository\n"}, "other")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))  # as inside a git hook
    monkeypatch.setenv("GIT_INDEX_FILE", str(other / ".git" / "index"))
    tree = GitTree(history.repo, "main")
    assert tree.commit == history.commits["second"]
    assert tree.read(f"{CLASSES}/Foo.cls") == history.committed["second"][f"{CLASSES}/Foo.cls"]


@pytest.mark.parametrize("ref", ["no-such-branch", "main~99", "main:force-app", "--output=x", "-h", ""])
def test_unknown_revision(history: History, ref: str) -> None:
    with pytest.raises(UsageError) as info:
        GitTree(history.repo, ref)
    assert str(info.value) == f"git:{ref}: unknown revision in {history.repo}"
    assert info.value.exit_code == 2


def test_repository_without_commits(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "empty")
    with pytest.raises(UsageError, match=r"^git:HEAD: unknown revision in .*empty$"):
        GitTree(tmp_path / "empty", "HEAD")


def test_not_a_repository_and_no_folder(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(UsageError) as info:
        GitTree(plain, "main")
    assert str(info.value) == f"{plain}: not a git repository"
    with pytest.raises(UsageError) as info:
        GitTree(tmp_path / "missing", "main")
    assert str(info.value) == f"{tmp_path / 'missing'}: no such folder"


@pytest.mark.parametrize(
    "subpath", ["force", "force-app/nope", "force-ap*", "../force-app", "force-app/main/default/triggers"]
)
def test_missing_subpath(history: History, subpath: str) -> None:
    # the triggers folder exists at main but not at v1; "force" and "force-ap*" only begin like "force-app"
    with pytest.raises(UsageError) as info:
        GitTree(history.repo, "v1", subpath)
    assert str(info.value) == f"git:v1: no folder '{subpath}' in that revision of {history.repo}"
    assert GitTree(history.repo, "main", "force-app/main/default/triggers").files() == ["AccountTrigger.trigger"]


@pytest.mark.parametrize(
    ("subpath", "what"),
    [
        ("README.md", "a file"),
        pytest.param(LINK, "a symbolic link", marks=pytest.mark.skipif(not POSIX, reason="needs symbolic links")),
        ("vendor/lib", "a submodule"),
    ],
)
def test_subpath_that_is_not_a_folder(history: History, subpath: str, what: str) -> None:
    with pytest.raises(UsageError) as info:
        GitTree(history.repo, "main~1", subpath)
    assert str(info.value) == f"git:main~1: '{subpath}' is {what}, not a folder, in {history.repo}"


def test_reading_a_file_not_listed(history: History) -> None:
    tree = GitTree(history.repo, "main", "force-app")
    unlisted = ("nope.cls", "link.cls", "main/default/classes/Untracked.cls", "force-app/main/default/classes/Foo.cls")
    for path in unlisted:
        with pytest.raises(UsageError, match=f"^git:main:force-app: no file '{path}' in "):
            tree.read(path)
        with pytest.raises(UsageError, match=f"^git:main:force-app: no file '{path}' in "):
            tree.read_many(["main/default/classes/Foo.cls", path])
    assert tree._process is None  # refused before git was asked anything


def test_a_missing_object_is_reported_and_reading_goes_on(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    git(tmp_path, "init", "-q", "-b", "main", str(repo))
    commit(repo, {}, {"kept.txt": b"kept\n", "lost.txt": b"lost\n"}, "one")
    oid = git(repo, "rev-parse", "HEAD:lost.txt").strip()
    (repo / ".git" / "objects" / oid[:2] / oid[2:]).unlink()
    tree = GitTree(repo, "main")
    with pytest.raises(UsageError, match=f"^git:main: 'lost.txt' \\(blob {oid}\\) is missing from "):
        tree.read_many(["kept.txt", "lost.txt"])
    with pytest.raises(UsageError, match="is missing from"):
        tree.read("lost.txt")
    assert tree.read("kept.txt") == b"kept\n"
    assert tree.read_many(["kept.txt"]) == {"kept.txt": b"kept\n"}


def test_a_reader_that_died_is_reported_and_replaced(history: History) -> None:
    tree = GitTree(history.repo, "main")
    assert tree.read("sfdx-project.json")
    tree._process.kill()
    tree._process.wait()
    with pytest.raises(UsageError, match="^git:main: git cat-file stopped while reading 'docs/日本語 notes.md' in "):
        tree.read("docs/日本語 notes.md")
    assert tree.read("docs/日本語 notes.md") == "メモ\n".encode()


def test_close_context_manager_and_garbage_collection_end_the_reader(history: History) -> None:
    with GitTree(history.repo, "main") as tree:
        assert tree._process is None  # started only when first needed
        tree.read("sfdx-project.json")
        process = tree._process
        assert process is not None and process.poll() is None
    assert process.poll() == 0 and tree._process is None
    assert tree.read_many(["sfdx-project.json"])  # a read after close starts a new reader
    tree.close()
    tree.close()  # closing twice is harmless

    tree = GitTree(history.repo, "main")
    tree.read("sfdx-project.json")
    process = tree._process
    del tree
    gc.collect()
    assert process.poll() == 0


@pytest.mark.skipif(not POSIX, reason="checks a process id after exit, as on POSIX")
def test_interpreter_exit_ends_the_reader(history: History, tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        from sfhotfix.gittree import GitTree
        tree = GitTree({str(history.repo)!r}, "main")
        tree.read("sfdx-project.json")
        print(tree._process.pid)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    with pytest.raises(ProcessLookupError):  # waited for (so not even a zombie) before the interpreter ended
        os.kill(int(result.stdout), 0)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("git:main", ("main", None)),
        ("git:origin/main", ("origin/main", None)),
        ("git:HEAD~1", ("HEAD~1", None)),
        ("git:HEAD^2", ("HEAD^2", None)),
        ("git:4b825dc642cb", ("4b825dc642cb", None)),
        ("git:main:force-app", ("main", "force-app")),
        ("git:HEAD~1:force-app/main/default", ("HEAD~1", "force-app/main/default")),
        ("git:origin/release/2024.1:force-app", ("origin/release/2024.1", "force-app")),
        ("git:main:", ("main", None)),  # the whole tree, as git's "main:" is
        ("git:main:a:b", ("main", "a:b")),  # a path may hold ':'; a branch name cannot
        ("git:main@{2024-05-01 10:00}", ("main@{2024-05-01 10:00}", None)),  # ':' inside @{...} is the revision's
        ("git:main@{2024-05-01 10:00}:force-app", ("main@{2024-05-01 10:00}", "force-app")),
        ("git:v1^{commit}:docs", ("v1^{commit}", "docs")),
    ],
)
def test_parse_git_spec(spec: str, expected: tuple[str, str | None]) -> None:
    assert parse_git_spec(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("main", "main: not a git revision (write git:REF or git:REF:PATH)"),
        ("GIT:main", "GIT:main: not a git revision (write git:REF or git:REF:PATH)"),
        ("git:", "git:: no revision after 'git:' (write git:REF or git:REF:PATH)"),
        ("git::force-app", "git::force-app: no revision after 'git:' (write git:REF or git:REF:PATH)"),
    ],
)
def test_parse_git_spec_refusals(spec: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_git_spec(spec)
    assert str(info.value) == message


def test_thousands_of_files_read_at_once(tmp_path: Path) -> None:
    """5,000 files, some of them 1 MiB: far more requests and answers than a pipe holds, so a reader that
    wrote every request before reading would deadlock; the time bound only catches pathological slowness."""
    files = {
        f"force-app/main/default/objects/Object{i // 50:03}__c/fields/Field{i:04} x.field-meta.xml": (
            f"<CustomField><fullName>Field{i}</fullName></CustomField>\n" * (1 + i % 40)
        ).encode()
        for i in range(5000)
    }
    for name in list(files)[::1000]:
        files[name] = os.urandom(1 << 20)
    repo = tmp_path / "big"
    git(tmp_path, "init", "-q", "-b", "main", str(repo))
    stream = [b"commit refs/heads/main\ncommitter Test <test@example.com> 1714557600 +0000\ndata 4\nmany\n"]
    for name, data in files.items():  # fast-import: one process and no working tree, so the set-up is quick
        stream.append(b"M 100644 inline %s\ndata %d\n%s\n" % (name.encode(), len(data), data))
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input=b"".join(stream), check=True)

    start = time.perf_counter()
    with GitTree(repo, "main", "force-app") as tree:
        listed = time.perf_counter()
        contents = tree.read_many(tree.files())
    done = time.perf_counter()

    assert len(contents) == 5000
    assert contents == {name.removeprefix("force-app/"): data for name, data in files.items()}
    total = sum(map(len, contents.values()))
    print(f"\n5,000 files ({total / 1e6:.1f} MB): listed in {listed - start:.3f} s, read in {done - listed:.3f} s")
    assert done - start < 10
