"""Three-way merge of Salesforce metadata XML entry by entry: git's merge driver, and its installation.

git merges text line by line, so two branches that each add a label, a field permission or a list view at the
same sorted place in a shared file conflict although they touched different things. Salesforce files are
mostly keyed lists (``metadata_types/keys.json``; in-file child components such as the fields of a
metadata-API object), and an entry's key says what it is wherever it sits. So the merge here is decided per
keyed entry (by key) and per other part (by tag, compared by meaning with :func:`plain`), and it is written
into *our* document through the preserving writer, so that every line nothing changed stays byte-identical
and a new entry lands in its key's code-point order, as a retrieve orders it.

Whatever this module cannot decide with certainty — the same entry changed differently on both sides, an
entry deleted on one side and changed on the other, a file of no keyed type, a file that does not parse —
is left to git's own text merge (``git merge-file``), so the driver is never worse than having none.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterable, TextIO, TypeVar

from lxml import etree

from ..compare.xmldiff import TypeFacts, element_children, entry_key, grouped, local, plain
from ..errors import UsageError
from ..registry import META_SUFFIX, MetadataType, Registry, load_registry
from ..xmlio import parse, parse_tree
from .xmlmerge import adopt, insert_entry, insert_new, remove, sync

DRIVER = "sfhotfix-metadata"
"""The driver's name in git config (``merge.<name>.driver``) and in .gitattributes (``merge=<name>``)."""

DRIVER_DESCRIPTION = "sfhotfix: merge Salesforce metadata XML entry by entry"

CONFLICT_LABELS = ("ours", "base", "theirs")
"""The conflict-marker labels of the fallback, in git merge-file's ``-L`` order (current, base, other)."""

BLOCK_BEGIN = "# >>> sfhotfix merge driver (written by sfhotfix install-merge-driver) >>>"
BLOCK_END = "# <<< sfhotfix merge driver <<<"

_NOT_XML_STRATEGIES = ("bundle", "digitalExperience", "uiBundle")
"""Types whose suffix names a folder or a content file rather than one XML document of keyed entries."""

_ALTERNATIVE_KEYS = ("fullName", "name")
"""What names an in-file child whose type gives no key element (SDR's default: fullName, then name)."""

KeySpec = dict[str, "tuple[str, ...] | None"]
"""Keyed lists by dotted element path; None: an in-file child named by fullName or name, decided per file."""


_Parsed = TypeVar("_Parsed")


class Unresolved(Exception):
    """The merge cannot be decided entry by entry; the message says why (shown by git on stderr)."""


# --------------------------------------------------------------------------- which type a path holds


def type_for_path(path: str, registry: Registry) -> MetadataType | None:
    """The metadata type of the XML file at repository path ``path``; None when it holds no metadata XML.

    Source format marks metadata XML with ``-meta.xml``: ``Admin.profile-meta.xml``, or a decomposed child's
    file such as ``objects/A/fields/X.field-meta.xml``. Metadata-API format uses the bare suffix inside the
    type's folder (``profiles/Admin.profile``); the folder is required because a bare suffix alone can be any
    file's (``README.md`` is no CustomMetadata), and a content file (``X.cls``) is not XML.
    """
    parts = PurePosixPath(path).parts
    name = parts[-1] if parts else ""
    is_meta = name.endswith(META_SUFFIX)
    stem = name[: -len(META_SUFFIX)] if is_meta else name
    if "." not in stem:
        return None
    suffix = stem.rsplit(".", 1)[1]
    top = registry.by_suffix(suffix)
    if top is not None and top.strategy not in _NOT_XML_STRATEGIES:
        if is_meta:
            return top
        return top if not top.has_content_file and top.directory_name in parts[:-1] else None
    return _child_type_for(suffix, parts, registry) if is_meta else None


def _child_type_for(suffix: str, parts: tuple[str, ...], registry: Registry) -> MetadataType | None:
    """The child type of a decomposed file; when several parents have one with this suffix, the one whose
    parent directory is in the path (``objects/`` for a CustomObject's ``fields/X.field-meta.xml``)."""
    candidates = [
        child
        for parent in registry.top_level()
        for child in registry.children_of(parent)
        if suffix in (child.suffix, child.legacy_suffix)
    ]
    for child in candidates:
        parent = registry.parent_of(child)
        if parent is not None and parent.directory_name in parts[:-1]:
            return child
    return candidates[0] if candidates else None


def merge_keys(t: MetadataType, registry: Registry) -> KeySpec:
    """The keyed lists of a type: keys.json's, plus the in-file child components (a metadata-API object's
    ``fields``, ``listViews`` …, a workflow's ``alerts``) named as the registry's child types say."""
    keys: KeySpec = dict(t.keyed_lists)
    for child in registry.children_of(t):
        element = child.xml_element or child.directory_name
        keys.setdefault(element, (child.key,) if child.key else None)
    return keys


def is_mergeable(t: MetadataType | None, registry: Registry) -> bool:
    """Whether the driver can merge files of this type by entry: it must have keyed lists of some kind."""
    return t is not None and t.strategy not in _NOT_XML_STRATEGIES and bool(merge_keys(t, registry))


# --------------------------------------------------------------------------- the three-way merge


def merge_documents(base: bytes, ours: bytes, theirs: bytes, path: str, registry: Registry | None = None) -> bytes:
    """The merge of three versions of the metadata file at ``path``, written in *our* file's form.

    ``base`` may be empty (both sides added the file). Raises :class:`Unresolved` when the type has no keyed
    lists, a version does not parse, or the sides really conflict; its message leaves the path to the caller.
    """
    registry = registry or load_registry()
    t = type_for_path(path, registry)
    if t is None or not is_mergeable(t, registry):
        raise Unresolved("not metadata XML with keyed entries")
    ours_doc = _parse_side(ours, "ours", parse)
    theirs_root = _parse_side(theirs, "theirs", parse_tree).getroot()
    base_root = _parse_side(base, "base", parse_tree).getroot() if base.strip() else None
    roots = [r for r in (base_root, ours_doc.root, theirs_root) if r is not None]
    if len({r.tag for r in roots}) != 1:
        raise Unresolved(f"the root elements differ ({', '.join(sorted({r.tag for r in roots}))})")
    facts = TypeFacts(_concrete_keys(merge_keys(t, registry), roots), t.unordered_lists)
    merge_element(base_root, ours_doc.root, theirs_root, facts)
    return ours_doc.to_bytes()


def _parse_side(data: bytes, side: str, parser: Callable[[bytes, str], _Parsed]) -> _Parsed:
    """One version, parsed safely (only ours with the lexical record the writer needs: base and theirs are
    only read); a malformed one, say with conflict markers, is left to git."""
    try:
        return parser(data, side)
    except UsageError as error:
        raise Unresolved(str(error)) from None


def _concrete_keys(spec: KeySpec, roots: list[etree._Element]) -> dict[str, tuple[str, ...]]:
    """Decide the key of child lists named 'by fullName, then name': the first of those every entry has.

    One element for the whole list, so that entries of the three versions are compared by the same key.
    """
    keys: dict[str, tuple[str, ...]] = {}
    for element, key in spec.items():
        if key is not None:
            keys[element] = key
            continue
        entries = [e for root in roots for e in element_children(root) if local(e) == element]
        for candidate in _ALTERNATIVE_KEYS:
            if all(any(local(c) == candidate for c in element_children(e)) for e in entries):
                keys[element] = (candidate,)
                break
        else:
            raise Unresolved(f"<{element}> entries carry neither <fullName> nor <name>")
    return keys


def merge_element(base: etree._Element | None, ours: etree._Element, theirs: etree._Element, facts: TypeFacts,
                  path: str = "") -> None:
    """Edit ``ours`` into the three-way merge of its children: keyed lists entry by entry, every other tag
    as one part. ``base`` None means the element is new on both sides. Raises :class:`Unresolved`."""
    b_groups = grouped(base) if base is not None else {}
    o_groups, t_groups = grouped(ours), grouped(theirs)
    if not (b_groups or o_groups or t_groups):
        _merge_text(base, ours, theirs, path)
        return
    _merge_attributes(base, ours, theirs, path)
    order = list(t_groups)  # where theirs puts a tag ours lacks
    for tag in _union(o_groups, t_groups, b_groups):
        sub = f"{path}.{tag}" if path else tag
        items = (b_groups.get(tag, []), o_groups.get(tag, []), t_groups.get(tag, []))
        key = facts.keyed.get(sub)
        if key:
            _merge_keyed(ours, tag, *items, key=key, facts=facts, path=sub, order=order)
        else:
            _merge_part(ours, tag, *items, facts=facts, path=sub, order=order)


def _union(*groups: dict[str, Any]) -> list[str]:
    """Tags in first-seen order over ours, theirs and base: the order edits are made in."""
    return list(dict.fromkeys(tag for group in groups for tag in group))


def _merge_text(base: etree._Element | None, ours: etree._Element, theirs: etree._Element, path: str) -> None:
    """A leaf's text: one side's change is taken, two different changes conflict."""
    b = (base.text or "").strip() if base is not None else None
    o, t = (ours.text or "").strip(), (theirs.text or "").strip()
    if o == t or t == b:
        return
    if o != b:
        raise Unresolved(f"{path or 'root'}: text changed differently on both sides")
    ours.text = t


def _merge_attributes(base: etree._Element | None, ours: etree._Element, theirs: etree._Element, path: str) -> None:
    """Attributes as one part (namespace declarations are not attributes in lxml and stay as ours has them)."""
    b = dict(base.attrib) if base is not None else {}
    o, t = dict(ours.attrib), dict(theirs.attrib)
    if o == t or t == b:
        return
    if o != b:
        raise Unresolved(f"{path or 'root'}: attributes changed differently on both sides")
    for name in list(ours.attrib):
        del ours.attrib[name]
    for name, value in t.items():
        ours.set(name, value)


def _index(items: list[etree._Element], key: tuple[str, ...], path: str, side: str) -> dict[str, etree._Element]:
    """Entries by key. An entry without its key, or two with the same key, make 'by key' meaningless: the
    file is left to git rather than guessed at."""
    index: dict[str, etree._Element] = {}
    for item in items:
        if not any(local(c) == key[0] for c in element_children(item)):
            raise Unresolved(f"{path}: an entry ({side}) has no <{key[0]}>")
        name = entry_key(item, key)
        if name in index:
            raise Unresolved(f"{path}[{name}]: the key occurs twice ({side})")
        index[name] = item
    return index


def _merge_keyed(parent: etree._Element, tag: str, b_items: list[etree._Element], o_items: list[etree._Element],
                 t_items: list[etree._Element], *, key: tuple[str, ...], facts: TypeFacts, path: str,
                 order: list[str]) -> None:
    """Each entry by key: one side's change (edit, addition, deletion) is taken; the same change on both
    sides is kept once; two different changes to one entry are a real conflict."""
    b_map = _index(b_items, key, path, "base")
    o_map = _index(o_items, key, path, "ours")
    t_map = _index(t_items, key, path, "theirs")

    def meaning(entry: etree._Element | None) -> Any:
        return None if entry is None else plain(entry, facts, path)

    for name in _union(t_map, o_map, b_map):
        b, o, t = b_map.get(name), o_map.get(name), t_map.get(name)
        if _same_bytes(t, o) or _same_bytes(t, b):
            continue  # the common case, decided without walking the entries
        pb, po, pt = meaning(b), meaning(o), meaning(t)
        if po == pt or pt == pb:
            continue  # the same on both sides, or theirs left it alone: ours stands
        if po != pb:
            raise Unresolved(f"{path}[{name}]: {_conflict_kind(pb, po, pt)}")
        if t is None:
            assert o is not None
            remove(o)
        elif o is None:
            insert_entry(parent, tag, t, key, order)
        else:
            sync(o, t, facts, path)


def _same_bytes(a: etree._Element | None, b: etree._Element | None) -> bool:
    """Equal serialisations mean equal meaning; a cheap test that spares most entries of a large file."""
    if a is None or b is None:
        return a is b
    return etree.tostring(a, with_tail=False) == etree.tostring(b, with_tail=False)


def _conflict_kind(base: Any, ours: Any, theirs: Any) -> str:
    if base is None:
        return "added on both sides with different content"
    if ours is None or theirs is None:
        return "deleted on one side and changed on the other"
    return "changed differently on both sides"


def _merge_part(parent: etree._Element, tag: str, b_items: list[etree._Element], o_items: list[etree._Element],
                t_items: list[etree._Element], *, facts: TypeFacts, path: str, order: list[str]) -> None:
    """A tag that is not a keyed list, as one part compared by meaning: the side that changed it wins.

    When both changed it and it is a single element holding keyed lists further down (a CustomField's
    ``valueSet`` around its ``valueSettings``), the merge goes on inside it instead of giving up.
    """
    b, o, t = (_meaning(items, facts, path) for items in (b_items, o_items, t_items))
    if o == t or t == b:
        return
    if o == b:
        _take_theirs(parent, tag, o_items, t_items, facts, path, order)
        return
    if len(b_items) == len(o_items) == len(t_items) == 1 and _keyed_below(facts, path):
        merge_element(b_items[0], o_items[0], t_items[0], facts, path)
        return
    raise Unresolved(f"{path}: changed differently on both sides")


def _meaning(items: list[etree._Element], facts: TypeFacts, path: str) -> list[Any]:
    """A part's meaning: its values in order, or sorted when the registry says the order means nothing."""
    values = [plain(item, facts, path) for item in items]
    return sorted(values, key=repr) if path in facts.unordered else values


def _keyed_below(facts: TypeFacts, path: str) -> bool:
    return any(keyed.startswith(path + ".") for keyed in facts.keyed)


def _take_theirs(parent: etree._Element, tag: str, o_items: list[etree._Element], t_items: list[etree._Element],
                 facts: TypeFacts, path: str, order: list[str]) -> None:
    """Make our elements of ``tag`` mean theirs with the smallest edit: element by element when the counts
    match, else theirs in the place of ours (or where theirs has the tag, when ours has none)."""
    if len(o_items) == len(t_items):
        for o, t in zip(o_items, t_items):
            sync(o, t, facts, path)
        return
    if not o_items:
        for t in t_items:
            insert_new(parent, tag, t, order)
        return
    anchor = o_items[-1]
    for t in t_items:
        new = adopt(t, parent, tag)
        anchor.addnext(new)
        anchor = new
    for o in o_items:
        remove(o)


# --------------------------------------------------------------------------- the driver


def run_merge_driver(base_file: Path, ours_file: Path, theirs_file: Path, repo_path: str,
                     err: TextIO | None = None, registry: Registry | None = None) -> int:
    """git's merge driver (``%O %A %B %P``): merge into ``ours_file``; 0 when resolved, 1 when conflicts remain.

    A file of no keyed type goes straight to ``git merge-file``. When the entries really conflict, the same
    fallback leaves git's usual conflict markers; if git's text merge succeeds there (the two changes sit on
    lines far apart), its result stands, exactly as without this driver. An unexpected error is reported and
    falls back as well: a merge driver must never leave ``%A`` silently half-merged.
    """
    err = err or sys.stderr
    registry = registry or load_registry()
    if not is_mergeable(type_for_path(repo_path, registry), registry):
        return git_merge_file(ours_file, base_file, theirs_file)
    try:
        merged = merge_documents(base_file.read_bytes(), ours_file.read_bytes(), theirs_file.read_bytes(),
                                 repo_path, registry)
    except Unresolved as reason:
        print(f"sfhotfix merge-driver: {repo_path}: {reason}; leaving it to git's text merge", file=err)
        return git_merge_file(ours_file, base_file, theirs_file)
    except Exception as error:  # noqa: BLE001 - see the docstring: fall back rather than fail the merge
        print(f"sfhotfix merge-driver: {repo_path}: internal error ({error!r}); leaving it to git's text merge",
              file=err)
        return git_merge_file(ours_file, base_file, theirs_file)
    ours_file.write_bytes(merged)
    return 0


def git_merge_file(ours_file: Path, base_file: Path, theirs_file: Path) -> int:
    """git's own three-way text merge into ``ours_file``: 0 when clean, 1 with conflict markers left."""
    labels = [arg for label in CONFLICT_LABELS for arg in ("-L", label)]
    try:
        done = subprocess.run(["git", "merge-file", *labels, str(ours_file), str(base_file), str(theirs_file)])
    except OSError as error:
        print(f"sfhotfix merge-driver: cannot run git merge-file: {error}", file=sys.stderr)
        return 1
    return 0 if done.returncode == 0 else 1


# --------------------------------------------------------------------------- installation


def driver_command(argv0: str | None = None, executable: str | None = None) -> str:
    """The command line git runs for the driver: the sfhotfix now running, by absolute path, because git
    runs drivers through the shell with the user's PATH, where a virtualenv's ``bin`` usually is not.

    The console script when that is what runs (``.venv/bin/sfhotfix``; the path is not resolved, so a venv
    stays a venv); ``python -m sfhotfix`` when run that way; else the ``sfhotfix`` on PATH; else this
    interpreter with ``-m sfhotfix``.
    """
    argv0 = sys.argv[0] if argv0 is None else argv0
    executable = executable or sys.executable
    program = Path(argv0) if argv0 else None
    if program is not None and program.name.split(".")[0] == "sfhotfix" and program.is_file():
        prefix = shlex.quote(os.path.abspath(program))
    elif program is not None and program.name == "__main__.py" and program.parent.name == "sfhotfix":
        prefix = f"{shlex.quote(executable)} -m sfhotfix"
    elif found := shutil.which("sfhotfix"):
        prefix = shlex.quote(os.path.abspath(found))
    else:
        prefix = f"{shlex.quote(executable)} -m sfhotfix"
    return f"{prefix} merge-driver %O %A %B %P"


def attribute_patterns(registry: Registry | None = None) -> list[str]:
    """The .gitattributes patterns of every file the driver merges by entry, derived from the registry.

    Source format: ``*.<suffix>-meta.xml`` for each type with keyed lists or in-file children, child types
    included (``*.field-meta.xml``). Metadata-API format: ``**/<directory>/*.<suffix>``, the type's folder
    included because a bare suffix can be any file's (CustomMetadata's ``md`` would take every README.md).
    """
    registry = registry or load_registry()
    source: list[str] = []
    mdapi: list[str] = []
    for t in _mergeable_types(registry):
        for suffix in filter(None, dict.fromkeys((t.suffix, t.legacy_suffix))):
            source.append(f"*.{suffix}{META_SUFFIX}")
            if not t.is_child and not t.has_content_file:
                mdapi.append(f"**/{t.directory_name}/*.{suffix}")
    return list(dict.fromkeys(sorted(source, key=str.lower) + sorted(mdapi, key=str.lower)))


def _mergeable_types(registry: Registry) -> Iterable[MetadataType]:
    for t in registry.top_level():
        if is_mergeable(t, registry):
            yield t
        for child in registry.children_of(t):
            if child.keyed_lists and child.suffix:
                yield child


def attributes_block(patterns: list[str], newline: str = "\n") -> str:
    width = max((len(p) for p in patterns), default=0)
    lines = [BLOCK_BEGIN, *(f"{p.ljust(width)} merge={DRIVER}" for p in patterns), BLOCK_END]
    return newline.join(lines) + newline


def update_gitattributes(text: str, patterns: list[str]) -> str:
    """``text`` with sfhotfix's block replaced (or appended when absent); every other line kept as it was."""
    newline = "\r\n" if "\r\n" in text else "\n"
    block = attributes_block(patterns, newline)
    lines = text.splitlines(keepends=True)
    stripped = [line.rstrip("\r\n") for line in lines]
    if BLOCK_BEGIN in stripped and BLOCK_END in stripped[stripped.index(BLOCK_BEGIN):]:
        begin = stripped.index(BLOCK_BEGIN)
        end = stripped.index(BLOCK_END, begin)
        return "".join(lines[:begin]) + block + "".join(lines[end + 1:])
    if not text:
        return block
    separator = "" if text.endswith(newline) else newline
    blank = "" if text.endswith(newline * 2) else newline
    return text + separator + blank + block


def install_merge_driver(repo: Path, command: str, registry: Registry | None = None) -> list[str]:
    """Register the driver in ``repo``'s git config and mark the metadata files in its .gitattributes.

    Idempotent: what is already so is left alone and said to be. The .gitattributes change is not committed:
    it is the user's to review and commit, and the driver works from the working tree's file meanwhile.
    """
    top = Path(_git(repo, "rev-parse", "--show-toplevel").strip())
    said = [_set_config(top, f"merge.{DRIVER}.name", DRIVER_DESCRIPTION),
            _set_config(top, f"merge.{DRIVER}.driver", command)]
    attributes = top / ".gitattributes"
    # git reads the file as bytes: its line ends and any byte that is not UTF-8 (a Latin-1 comment) are kept
    before = attributes.read_bytes().decode("utf-8", "surrogateescape") if attributes.exists() else ""
    patterns = attribute_patterns(registry)
    after = update_gitattributes(before, patterns)
    if after == before:
        said.append(f"{attributes}: already marks {len(patterns)} metadata patterns with merge={DRIVER}")
    else:
        attributes.write_bytes(after.encode("utf-8", "surrogateescape"))
        verb = "updated" if BLOCK_BEGIN in before else "added"
        said.append(f"{attributes}: {verb} the block marking {len(patterns)} metadata patterns with merge={DRIVER} "
                    f"(not committed: review and commit it, e.g. git add .gitattributes && git commit)")
    return said


def _set_config(repo: Path, name: str, value: str) -> str:
    current = subprocess.run(["git", "-C", str(repo), "config", "--local", "--get", name],
                             capture_output=True, text=True).stdout.rstrip("\n")
    if current == value:
        return f"git config {name} already set to {value}"
    _git(repo, "config", "--local", name, value)
    return f"git config {name} = {value}"


def _git(repo: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    except OSError as error:
        raise UsageError(f"cannot run git: {error}") from None
    if done.returncode != 0:
        message = (done.stderr.strip().splitlines() or ["git failed"])[-1]
        raise UsageError(f"{repo}: {message}")
    return done.stdout
