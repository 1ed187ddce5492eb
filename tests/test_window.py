"""The byte window of a large file: which top-level entries the differing lines overlap."""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from sfhotfix.compare.window import children_touching, differing_lines


def _expected(starts: list[int], first: int, last: int) -> list[int]:
    """By definition: from the last child starting at or before ``first`` to the last starting at or before
    ``last`` (at least the first child)."""
    begin = max(bisect_right(starts, first) - 1, 0)
    end = bisect_left(starts, last + 1)
    return list(range(begin, max(end, begin + 1)))


@given(gaps=st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=40),
       window=st.tuples(st.integers(min_value=1, max_value=150), st.integers(min_value=0, max_value=40)))
def test_children_touching_matches_the_definition(gaps: list[int], window: tuple[int, int]) -> None:
    lines = ["<root>"]
    for index, gap in enumerate(gaps):
        lines.extend([""] * gap)
        lines.append(f"<e{index}>x</e{index}>")
    lines.append("</root>")
    root = etree.fromstring("\n".join(lines).encode())
    starts = [child.sourceline for child in root]
    first, extent = window
    last = first + extent
    found = children_touching(root, (first, last, len(lines)))
    assert [int(child.tag[1:]) for child in found] == _expected(starts, first, last)


def test_differing_lines_of_one_changed_entry() -> None:
    body = "".join(f"  <e>{i}</e>\n" for i in range(1000))
    a = f"<root>\n{body}</root>\n".encode()
    b = a.replace(b"<e>500</e>", b"<e>five hundred</e>")
    (a_first, a_last, a_end), (b_first, b_last, b_end) = differing_lines(a, b)
    assert (a_first, a_last) == (b_first, b_last) == (502, 502)
    assert a_end == b_end == 1003
    root = etree.fromstring(b)
    assert [child.text for child in children_touching(root, (b_first, b_last, b_end))] == ["five hundred"]


NS = "http://soap.sforce.com/2006/04/metadata"


def _profile(entries: list[tuple[str, str, str]], description: str | None) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<Profile xmlns="{NS}">']
    if description is not None:
        lines.append(f"    <description>{description}</description>")
    for section, key, value in entries:
        if section == "fieldPermissions":
            lines.append(f"    <fieldPermissions>\n        <editable>{value}</editable>\n        <field>{key}</field>\n"
                         "        <readable>true</readable>\n    </fieldPermissions>")
        else:
            lines.append(f"    <userPermissions>\n        <enabled>{value}</enabled>\n        <name>{key}</name>\n"
                         "    </userPermissions>")
    lines.append("    <userLicense>Salesforce</userLicense>\n</Profile>\n")
    return "\n".join(lines)


_EDITS = st.lists(st.tuples(st.sampled_from(["flip", "delete", "add", "move", "describe"]),
                            st.integers(min_value=0, max_value=10_000)), min_size=1, max_size=4)


@given(edits=_EDITS)
def test_a_windowed_profile_comparison_finds_what_the_whole_one_finds(tmp_path_factory, edits) -> None:
    """Rows through the byte window equal the changed rows of a comparison that walks every entry."""
    from sfhotfix.compare import compare

    entries = [("fieldPermissions", f"Obj{i // 10}__c.F{i}__c", "true") for i in range(300)]
    entries += [("userPermissions", f"Perm{i}", "true") for i in range(60)]
    changed, description = list(entries), "before"
    for kind, at in edits:
        index = at % len(changed)
        section, key, value = changed[index]
        if kind == "flip":
            changed[index] = (section, key, "false" if value == "true" else "true")
        elif kind == "delete" and len(changed) > 1:
            del changed[index]
        elif kind == "add":
            changed.insert(index, (section, f"{key}_new{at}", "true"))
        elif kind == "move":
            changed.insert(at % (len(changed) + 1), changed.pop(index))
        else:
            description = None if description else f"after {at}"
    base = tmp_path_factory.mktemp("window")
    for side, (body, text) in {"target": (entries, "before"), "source": (changed, description)}.items():
        (base / side / "profiles").mkdir(parents=True)
        (base / side / "profiles" / "Big.profile").write_text(_profile(body, text))
    windowed = compare(str(base / "source"), str(base / "target"))
    whole = compare(str(base / "source"), str(base / "target"), include_identical=True)
    assert [r.as_json() for r in windowed.rows if r.status != "identical"] == \
        [r.as_json() for r in whole.rows if r.status != "identical"]

