"""Files people write for sfhotfix, as a Windows editor may save them: a byte order mark, CRLF line ends."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfhotfix.act.selection import read_selectors
from sfhotfix.config import load_config
from sfhotfix.errors import UsageError
from sfhotfix.project import load_project

BOM = b"\xef\xbb\xbf"


def test_a_byte_order_mark_and_crlf_are_read_as_text(tmp_path: Path) -> None:
    (tmp_path / "sfhotfix.toml").write_bytes(BOM + b'[pipeline]\r\nproduction_branch = "prod"\r\n')
    assert load_config(tmp_path).pipeline.production_branch == "prod"
    (tmp_path / "sfdx-project.json").write_bytes(
        BOM + b'{"packageDirectories": [{"path": "src", "default": true}],\r\n "sourceApiVersion": "61.0"}\r\n')
    project = load_project(tmp_path)
    assert project.package_directories == ("src",) and project.source_api_version == "61.0"
    (tmp_path / "selection.txt").write_bytes(BOM + b"ApexClass:A\r\n# a comment\r\nCustomField:B__c.C__c\r\n")
    report = tmp_path / "report.json"
    report.write_bytes(BOM + b'{"components": [{"selector": "ApexClass:D", "status": "new"}]}')
    assert read_selectors((), tmp_path / "selection.txt", report) == [
        "ApexClass:A", "CustomField:B__c.C__c", "ApexClass:D"]


@pytest.mark.parametrize("name", ["sfhotfix.toml", "sfdx-project.json", "selection.txt"])
def test_bytes_that_are_not_utf8_are_a_one_line_error_naming_the_file_and_line(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b'# first line\n"caf\xe9"\n')
    with pytest.raises(UsageError) as raised:
        if name == "sfhotfix.toml":
            load_config(tmp_path)
        elif name == "sfdx-project.json":
            load_project(tmp_path)
        else:
            read_selectors((), path, None)
    assert str(raised.value) == f"{path}:2: not UTF-8 text (byte 0xe9); save the file as UTF-8"
