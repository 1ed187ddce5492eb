"""The pipeline as configured: environments (orgs) and the branches that feed them, and CI templates."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..config import Config, Pipeline, load_config
from ..errors import UsageError

TEMPLATES = Path(__file__).resolve().parent / "ci_templates"
CI_FILES = {
    "github": [(".github/workflows/sfhotfix-validate.yml", "github-validate.yml"),
               (".github/workflows/sfhotfix-sync.yml", "github-sync.yml")],
    "gitlab": [("sfhotfix.gitlab-ci.yml", "gitlab-ci.yml")],
    "azure": [("azure-pipelines.sfhotfix.yml", "azure-pipelines.yml")],
    "bitbucket": [("bitbucket-pipelines.yml", "bitbucket-pipelines.yml")],
}


def effective_pipeline(repo: Path, **overrides: str | None) -> tuple[Config, Pipeline]:
    """The [pipeline] settings of sfhotfix.toml with any flag given on the command line taking precedence."""
    config = load_config(repo)
    given = {key: value for key, value in overrides.items() if value}
    return config, replace(config.pipeline, **given)


def draw(pipeline: Pipeline, config: Config) -> str:
    """A plain-text picture of the hotfix path and where fixes flow back."""
    org = lambda name: f" [{name}]" if name else ""  # noqa: E731 - a one-line formatter
    lines = [
        f"sfhotfix pipeline{f' ({config.path})' if config.path else ' (defaults: no sfhotfix.toml)'}",
        "",
        f"  hotfix sandbox{org(pipeline.hotfix_org)}",
        "        │  sfhotfix hotfix: compare → commit → PR",
        "        ▼",
        f"  {pipeline.production_branch}  (production){org(pipeline.production_org)}"
        f"   validation gate: check-only deploy, {pipeline.test_level}",
        "        │  sfhotfix sync: a PR into each branch below that lacks production's head",
        "        ├──▶ " + f"{pipeline.integration_branch}  (integration){org(pipeline.integration_org)}",
        "        └──▶ " + f"{pipeline.release_branches}  (every open release branch on origin)",
    ]
    if config.git.host_url or config.git.host:
        lines += ["", f"  Git host: {config.git.host or 'detected'} {config.git.host_url or '(from origin)'}"]
    return "\n".join(lines) + "\n"


def write_ci(kind: str, repo: Path, pipeline: Pipeline, force: bool) -> list[Path]:
    """Write the CI files for ``kind``; existing files are refused unless ``force``."""
    if kind not in CI_FILES:
        raise UsageError(f"unknown CI '{kind}' (use {', '.join(CI_FILES)})")
    targets = [(repo / target, TEMPLATES / template) for target, template in CI_FILES[kind]]
    existing = [str(t) for t, _ in targets if t.exists()]
    if existing and not force:
        raise UsageError(f"{existing[0]}: already exists (use --force to replace it)")
    values = {"PRODUCTION": pipeline.production_branch, "TEST_LEVEL": pipeline.test_level,
              "INTEGRATION": pipeline.integration_branch, "RELEASES": pipeline.release_branches}
    written = []
    for target, template in targets:
        text = template.read_text(encoding="utf-8")
        for key, value in values.items():
            text = text.replace("{{" + key + "}}", value)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written
