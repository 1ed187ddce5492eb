"""Where two versions of one file differ, found from their bytes, to skip what cannot have changed.

A hotfix touches a few lines of a large Profile: the two files share a long first part and a long last
part byte for byte. Every top-level entry lying wholly in those shared parts is the same entry, with
the same meaning, on both sides, so only the entries that overlap the differing window need comparing.
Finding the window costs a few block comparisons and a bisection in the last block.
"""

from __future__ import annotations

from lxml import etree


BLOCK = 1 << 16


def _common_prefix(a: bytes, b: bytes) -> int:
    """Length of the shared beginning: equal blocks skipped with one comparison each, then a bisection."""
    limit = min(len(a), len(b))
    start = 0
    while start + BLOCK <= limit and a[start:start + BLOCK] == b[start:start + BLOCK]:
        start += BLOCK
    low, high = start, min(start + BLOCK, limit)
    while low < high:
        mid = (low + high + 1) // 2
        if a[start:mid] == b[start:mid]:
            low = mid
        else:
            high = mid - 1
    return low


def _common_suffix(a: bytes, b: bytes, limit: int) -> int:
    """Length of the shared end, at most ``limit`` bytes (so that it never overlaps the shared beginning)."""
    la, lb = len(a), len(b)
    done = 0
    while done + BLOCK <= limit and a[la - done - BLOCK:la - done] == b[lb - done - BLOCK:lb - done]:
        done += BLOCK
    low, high = done, min(done + BLOCK, limit)
    while low < high:
        mid = (low + high + 1) // 2
        if a[la - mid:la - done] == b[lb - mid:lb - done]:
            low = mid
        else:
            high = mid - 1
    return low


def differing_lines(a: bytes, b: bytes) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """For each side, the 1-based first and last line that may differ (first > last: nothing differs), and
    the file's last line."""
    prefix = _common_prefix(a, b)
    suffix = _common_suffix(a, b, min(len(a), len(b)) - prefix)
    return _lines(a, prefix, suffix), _lines(b, prefix, suffix)


def _lines(data: bytes, prefix: int, suffix: int) -> tuple[int, int, int]:
    first = data.count(b"\n", 0, prefix) + 1
    last = first + data.count(b"\n", prefix, len(data) - suffix)
    return first, last, last + data.count(b"\n", len(data) - suffix)


def children_touching(root: etree._Element, lines: tuple[int, int, int]) -> list[etree._Element]:
    """The top-level children whose lines overlap ``lines`` (each child runs until the next one starts; text
    before the first child belongs to it).

    The children are walked from the end of the file nearer the window, and only up to it: lxml hands out a
    proxy object for each child it walks, and a profile has thousands.
    """
    first, last, end = lines
    if first > last or len(root) == 0:
        return []
    touching: list[etree._Element] = []
    if last - 1 < end - first:  # nearer the beginning
        for child in root:
            line = child.sourceline or 0
            if line > last:
                break
            if line <= first:
                touching.clear()  # the child before ended before the window
            touching.append(child)
    else:
        for child in root.iterchildren(reversed=True):
            line = child.sourceline or 0
            if line > last:
                continue
            touching.append(child)
            if line <= first:
                break
        touching.reverse()
    return touching or [root[0]]
