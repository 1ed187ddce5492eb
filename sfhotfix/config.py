"""The repository's own settings, ``sfhotfix.toml`` at its root; every setting can also be given as a flag.

    [pipeline]
    production_branch = "main"          # the branch hotfixes are cut from and merged into
    production_org = "production"       # validated against and promoted to
    integration_branch = "develop"      # receives a sync PR after each hotfix
    integration_org = "uat"
    release_branches = "release/*"      # every open branch matching receives a sync PR too
    hotfix_org = "hotfix"               # the hotfix developer sandbox, linked to production
    test_level = "RunLocalTests"        # the validation gate's Apex test level

    [git]
    host_url = "https://github.com/acme/salesforce"   # default: detected from origin
    host = "github"                     # github | gitlab | bitbucket | azure, for self-managed hosts
    api_url = "https://ghe.acme.com/api/v3"           # when the API is not where the host puts it

    [orgs]                              # names for --target-org: sf CLI aliases or usernames
    production = "release@acme.com"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from .errors import UsageError
from .textfile import read_text

CONFIG_FILE = "sfhotfix.toml"
TEST_LEVELS = ("NoTestRun", "RunSpecifiedTests", "RunLocalTests", "RunAllTestsInOrg", "RunRelevantTests")


@dataclass(frozen=True)
class Pipeline:
    production_branch: str = "main"
    production_org: str | None = None
    integration_branch: str = "develop"
    integration_org: str | None = None
    release_branches: str = "release/*"
    hotfix_org: str | None = None
    test_level: str = "RunLocalTests"


@dataclass(frozen=True)
class GitHost:
    host_url: str | None = None
    host: str | None = None
    api_url: str | None = None


@dataclass(frozen=True)
class Config:
    """Settings read from sfhotfix.toml (defaults when there is none)."""

    path: Path | None = None
    pipeline: Pipeline = Pipeline()
    git: GitHost = GitHost()
    orgs: dict[str, str] = field(default_factory=dict)


def load_config(start: Path | None = None) -> Config:
    """sfhotfix.toml of the directory ``start`` (default: the current one) or its nearest parent holding one."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        path = folder / CONFIG_FILE
        if path.is_file():
            return parse_config(read_text(path), path)
    return Config()


def parse_config(text: str, path: Path) -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: {exc}") from None
    unknown = set(data) - {"pipeline", "git", "orgs"}
    if unknown:
        raise UsageError(f"{path}: unknown section [{sorted(unknown)[0]}] (use [pipeline], [git], [orgs])")
    pipeline = _section(data.get("pipeline", {}), Pipeline, path, "pipeline")
    if pipeline.test_level not in TEST_LEVELS:
        raise UsageError(f"{path}: [pipeline] test_level '{pipeline.test_level}' is not one of {', '.join(TEST_LEVELS)}")
    orgs = data.get("orgs", {})
    if not isinstance(orgs, dict) or not all(isinstance(v, str) for v in orgs.values()):
        raise UsageError(f"{path}: [orgs] maps names to sf CLI aliases or usernames (strings)")
    return Config(path, pipeline, _section(data.get("git", {}), GitHost, path, "git"), dict(orgs))


def _section(values: dict, cls, path: Path, name: str):
    known = {f.name for f in fields(cls)}
    for key, value in values.items():
        if key not in known:
            raise UsageError(f"{path}: [{name}] has no setting '{key}' (known: {', '.join(sorted(known))})")
        if not isinstance(value, str):
            raise UsageError(f"{path}: [{name}] {key} must be a string")
    return cls(**values)
