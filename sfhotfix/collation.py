"""Sort keys matching JavaScript's ``localeCompare`` (ICU root collation), used by Salesforce's converter.

Salesforce's converter orders recomposed child entries with ``a.localeCompare(b)``: punctuation before
digits before letters, letters case-insensitively first (then lower case before upper case), accents
after the base letter. Python has no ICU in the standard library and PyICU needs a compiled ICU, so this
is the small part of the Unicode Collation Algorithm that metadata names need, checked against Node's
own ``localeCompare`` in the tests.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# ICU root order of the ASCII characters that are not letters or digits (non-ignorable)
_PUNCTUATION = "\t\n\v\f\r _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$"
_PRIMARY: dict[str, int] = {c: i + 1 for i, c in enumerate(_PUNCTUATION)}
_DIGIT_BASE = len(_PRIMARY) + 1
_PRIMARY.update({str(d): _DIGIT_BASE + d for d in range(10)})
_LETTER_BASE = _DIGIT_BASE + 10
_PRIMARY.update({chr(ord("a") + i): _LETTER_BASE + i for i in range(26)})
_PRIMARY.update({chr(ord("A") + i): _LETTER_BASE + i for i in range(26)})
_OTHER_BASE = _LETTER_BASE + 26


@lru_cache(maxsize=4096)
def _char_weights(char: str) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    if char in _PRIMARY:
        return (_PRIMARY[char],), (0,), (1 if char.isupper() else 0,)
    decomposed = unicodedata.normalize("NFD", char)
    base, marks = decomposed[0], decomposed[1:]
    if base in _PRIMARY:
        primary = _PRIMARY[base]
    elif unicodedata.category(base).startswith("M"):
        return (), (ord(base),), ()
    else:
        primary = _OTHER_BASE + ord(base.lower())
    secondary = tuple(ord(m) for m in marks) or (0,)
    return (primary,), secondary, (1 if base.isupper() else 0,)


def sort_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """A key such that ``sorted(names, key=sort_key)`` equals JavaScript's ``names.sort(localeCompare)``."""
    primary: list[int] = []
    secondary: list[int] = []
    tertiary: list[int] = []
    for char in text:
        p, s, t = _char_weights(char)
        primary.extend(p)
        secondary.extend(s)
        tertiary.extend(t)
    return tuple(primary), tuple(secondary), tuple(tertiary)
