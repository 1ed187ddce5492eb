"""Text files people write for sfhotfix (sfhotfix.toml, sfdx-project.json, a selection or a pull request body):
UTF-8, with the byte order mark a Windows editor may put first, and a one-line error naming the file where
the bytes are not UTF-8."""

from __future__ import annotations

from pathlib import Path

from .errors import UsageError


def read_text(path: Path) -> str:
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise UsageError(f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
                         ) from None
