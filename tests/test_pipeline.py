"""sfhotfix.toml, `pipeline show` and `ci init`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from sfhotfix.cli import main
from sfhotfix.config import parse_config
from sfhotfix.errors import UsageError

CONFIG = """
[pipeline]
production_branch = "prod"
integration_branch = "uat"
release_branches = "rel/*"
production_org = "acme-prod"
hotfix_org = "acme-hotfix"
test_level = "RunSpecifiedTests"

[git]
host_url = "https://gitlab.acme.com/sf/billing"
host = "gitlab"

[orgs]
acme-prod = "release@acme.com"
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_pipeline_show_draws_the_configuration(tmp_path: Path) -> None:
    (tmp_path / "sfhotfix.toml").write_text(CONFIG)
    code, out, err = run("pipeline", "show", "--repo", str(tmp_path))
    assert code == 0, err
    assert "acme-hotfix" in out and "prod  (production) [acme-prod]" in out and "RunSpecifiedTests" in out
    assert "uat  (integration)" in out and "rel/*" in out
    code, out, _ = run("pipeline", "show", "--repo", str(tmp_path), "--production", "main", "--json")
    settings = json.loads(out)
    assert settings["pipeline"]["production_branch"] == "main" and settings["orgs"] == {"acme-prod": "release@acme.com"}


@pytest.mark.parametrize("text, message", [
    ("[pipeline]\ntest_level = 'Everything'\n", "test_level 'Everything'"),
    ("[pipelines]\n", "unknown section [pipelines]"),
    ("[pipeline]\nproduction = 'x'\n", "has no setting 'production'"),
    ("[pipeline\n", "sfhotfix.toml"),
])
def test_bad_configuration_is_named(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("[", r"\[").replace("*", r"\*")):
        parse_config(text, Path("sfhotfix.toml"))


@pytest.mark.parametrize("kind", ["github", "gitlab", "azure", "bitbucket"])
def test_ci_init_writes_valid_yaml_with_the_branches(tmp_path: Path, kind: str) -> None:
    (tmp_path / "sfhotfix.toml").write_text(CONFIG)
    code, out, err = run("ci", "init", kind, "--repo", str(tmp_path))
    assert code == 0, err
    written = [Path(line.split(" ", 1)[1]) for line in out.splitlines()]
    assert written
    for path in written:
        text = path.read_text()
        yaml.safe_load(text)
        assert "{{" not in text.replace("${{", "") and "prod" in text and "sfhotfix" in text
    assert any("sfhotfix sync" in p.read_text() for p in written)
    # a shallow clone has no merge base to compute the delta from: every job asks for the whole history
    full_history = {"github": "fetch-depth: 0", "gitlab": 'GIT_DEPTH: "0"', "azure": "fetchDepth: 0",
                    "bitbucket": "depth: full"}[kind]
    assert all(full_history in path.read_text() for path in written)
    if kind == "gitlab":  # one per job
        assert written[0].read_text().count(full_history) == written[0].read_text().count("image:")
    assert any("--test-level RunSpecifiedTests" in p.read_text() for p in written)
    code, _, err = run("ci", "init", kind, "--repo", str(tmp_path))
    assert code == 2 and "already exists" in err
