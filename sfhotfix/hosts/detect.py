"""Which host, repository and REST root a remote URL means.

The pull request goes where the code goes, so the ``origin`` remote is the default answer; ``host_url``
(the CLI's ``--host-url``, e.g. ``https://github.com/acme/repo``) overrides it.  Both accept the https and
ssh forms git accepts (``git@host:path``, ``ssh://[user@]host[:port]/path``, ``https://[user@]host/path``),
with or without ``.git``.  Credentials embedded in a URL are dropped and never appear in a message.

The kind of host comes from the host name: github.com and any name with "github" or a "ghe"/"ghes" label
(GitHub Enterprise Server such as ghe.acme.com, GHE.com's ``*.ghe.com``), gitlab.com and names with
"gitlab", bitbucket.org, dev.azure.com, ssh.dev.azure.com and ``*.visualstudio.com``, and any path with
``/_git/`` (Azure DevOps Server).  A self-managed host whose name says nothing (``git.acme.com``) needs
``kind`` — the CLI's ``--host-kind`` option or a ``host.kind`` config setting, whichever the CLI offers;
this module only takes the value.

REST roots: api.github.com, or ``https://HOST/api/v3`` on GitHub Enterprise Server and ``https://api.SUB.ghe.com``
on GHE.com; ``https://HOST/api/v4`` on GitLab (the project is addressed by its URL-encoded path, so nested
groups need no lookup); api.bitbucket.org/2.0 (Bitbucket Cloud only: Data Center has another API);
``https://dev.azure.com/ORG`` for Azure DevOps (legacy ``ORG.visualstudio.com`` URLs too) and the collection
URL on Azure DevOps Server.  A GitLab or Azure DevOps Server under a relative URL root, a web port that an
ssh remote cannot tell, or a test emulator: pass ``api_base``.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from ..errors import UsageError
from ..gittree import REPOSITORY_ENV_VARS
from .base import HostRef

KINDS = ("github", "gitlab", "bitbucket", "azure")
KIND_ALIASES = {"azure-devops": "azure", "azuredevops": "azure", "ado": "azure", "ghe": "github",
                "github-enterprise": "github", "bitbucket-cloud": "bitbucket"}

# git's scp-like syntax: [user@]host:path, where host has no slash and path does not start with //
_SCP = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/\[\]]+|\[[^\]]+\]):(?!//)(?P<path>.*)$")


def detect_host(remote_url: str | None, host_url: str | None = None, kind: str | None = None,
                api_base: str | None = None) -> HostRef:
    """The repository ``host_url`` (or else ``remote_url``) names; ``kind`` for a host whose name says
    nothing; ``api_base`` to send the REST calls elsewhere (a proxy, a relative URL root, an emulator)."""
    url = (host_url or remote_url or "").strip()
    if not url:
        raise UsageError("no remote URL to find the pull request's host from: the repository has no 'origin' "
                         "remote; pass the host URL (e.g. https://github.com/acme/repo)")
    scheme, host, port, segments = _split(url)
    shown = _shown(scheme, host, port, segments)
    chosen = _kind(kind) if kind else _guess(host, segments)
    if chosen is None:
        raise UsageError(f"{shown}: cannot tell which kind of Git host {host} is; pass the host kind "
                         f"({', '.join(KINDS)})")
    build = {"github": _github, "gitlab": _gitlab, "bitbucket": _bitbucket, "azure": _azure}[chosen]
    ref = build(scheme, host, port, segments, shown)
    if api_base:
        if urlsplit(api_base).scheme not in ("http", "https"):
            raise UsageError(f"API base URL {api_base!r} must start with http:// or https://")
        ref = replace(ref, api_base=api_base.rstrip("/"))
    return ref


def remote_url(repo: str | os.PathLike[str] = ".", remote: str = "origin") -> str | None:
    """The URL of ``remote`` in the repository at ``repo`` (git's ``insteadOf`` rewriting applied), or None
    when there is no such remote.  Reads only; git variables inherited from a hook are ignored."""
    if not remote or remote.startswith("-"):
        raise UsageError(f"bad remote name {remote!r}")
    env = {k: v for k, v in os.environ.items() if k not in REPOSITORY_ENV_VARS}
    env["GIT_OPTIONAL_LOCKS"] = "0"
    try:
        proc = subprocess.run(["git", "-C", str(Path(repo)), "remote", "get-url", remote], env=env,
                              capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        raise UsageError("git is not installed (needed to read the 'origin' remote)") from None
    if proc.returncode == 0:
        return proc.stdout.strip() or None
    if proc.returncode == 2 or "no such remote" in proc.stderr.lower():
        return None
    raise UsageError(f"{repo}: cannot read remote {remote!r}: {' '.join(proc.stderr.split())[:200]}")


# -- parsing ----------------------------------------------------------------------------------------------
def _split(url: str) -> tuple[str, str, int | None, list[str]]:
    """(scheme, lower-case host name, port or None, decoded path segments without .git)."""
    if "://" in url:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "file":
            raise UsageError("the remote is a local path (file://), not a Git host; pass the host URL")
        if scheme not in ("http", "https", "ssh", "git", "git+ssh", "ssh+git"):
            raise UsageError(f"unsupported remote URL scheme {scheme}://")
        try:
            port = parts.port
        except ValueError:
            raise UsageError(f"{scheme}://{parts.hostname or ''}: bad port in the remote URL") from None
        host, path = parts.hostname or "", parts.path
        scheme = "ssh" if scheme in ("git+ssh", "ssh+git") else scheme
    else:
        match = _SCP.match(url)
        if match is None or len(match["host"]) == 1 or url.startswith(("/", ".", "~")):  # 1 letter: C:\path
            raise UsageError("the remote is a local path, not a Git host; pass the host URL")
        scheme, host, port, path = "ssh", match["host"].strip("[]").lower(), None, match["path"]
    if not host:
        raise UsageError("the remote URL has no host name")
    segments = [unquote(s) for s in path.split("/") if s]
    if segments and segments[-1].endswith(".git"):
        segments[-1] = segments[-1][: -len(".git")]
    segments = [s for s in segments if s]
    return scheme, host, port, segments


def _shown(scheme: str, host: str, port: int | None, segments: list[str]) -> str:
    """The URL as messages show it: no credentials."""
    return f"{scheme}://{host}{f':{port}' if port else ''}/{'/'.join(segments)}"


def _kind(kind: str) -> str:
    value = kind.strip().lower()
    value = KIND_ALIASES.get(value, value)
    if value not in KINDS:
        raise UsageError(f"unknown host kind {kind!r} (use {', '.join(KINDS)})")
    return value


def _guess(host: str, segments: list[str]) -> str | None:
    labels = host.split(".")
    if any("github" in label or label in ("ghe", "ghes") for label in labels):
        return "github"
    if any("gitlab" in label for label in labels):
        return "gitlab"
    if any("bitbucket" in label for label in labels):
        return "bitbucket"
    if host in ("dev.azure.com", "ssh.dev.azure.com") or host.endswith(".visualstudio.com") \
            or host.endswith(".azure.com"):
        return "azure"
    if "_git" in segments:
        return "azure"
    return None


def _web(scheme: str, host: str, port: int | None) -> str:
    """The web origin of a host: https unless the URL was http; an ssh port says nothing about the web."""
    if scheme in ("http", "https"):
        return f"{scheme}://{host}{f':{port}' if port else ''}"
    return f"https://{host}"


def _q(segment: str) -> str:
    return quote(segment, safe="")


def _github(scheme: str, host: str, port: int | None, segments: list[str], shown: str) -> HostRef:
    if len(segments) < 2:
        raise UsageError(f"{shown}: a GitHub repository URL needs an owner and a repository name")
    owner, repo = segments[0], segments[1]
    if host in ("github.com", "www.github.com", "ssh.github.com"):
        api, web = "https://api.github.com", "https://github.com"
    elif host.endswith(".ghe.com"):  # GitHub Enterprise Cloud with data residency
        sub = host[: -len(".ghe.com")].removeprefix("ssh.")
        api, web = f"https://api.{sub}.ghe.com", f"https://{sub}.ghe.com"
    else:  # GitHub Enterprise Server
        web = _web(scheme, host, port)
        api = f"{web}/api/v3"
    return HostRef("github", urlsplit(web).hostname or host, owner, repo, api, f"{web}/{_q(owner)}/{_q(repo)}")


def _gitlab(scheme: str, host: str, port: int | None, segments: list[str], shown: str) -> HostRef:
    if "-" in segments:  # a web URL such as group/repo/-/merge_requests/3
        segments = segments[: segments.index("-")]
    if len(segments) < 2:
        raise UsageError(f"{shown}: a GitLab project URL needs a namespace and a project name")
    web = "https://gitlab.com" if host in ("gitlab.com", "altssh.gitlab.com") else _web(scheme, host, port)
    path = "/".join(_q(s) for s in segments)
    return HostRef("gitlab", urlsplit(web).hostname or host, "/".join(segments[:-1]), segments[-1],
                   f"{web}/api/v4", f"{web}/{path}")


def _bitbucket(scheme: str, host: str, port: int | None, segments: list[str], shown: str) -> HostRef:
    if host not in ("bitbucket.org", "www.bitbucket.org", "altssh.bitbucket.org"):
        raise UsageError(f"{shown}: only Bitbucket Cloud (bitbucket.org) is supported; Bitbucket Server and "
                         f"Data Center have another API")
    if len(segments) < 2:
        raise UsageError(f"{shown}: a Bitbucket repository URL needs a workspace and a repository name")
    workspace, repo = segments[0], segments[1]
    return HostRef("bitbucket", "bitbucket.org", workspace, repo, "https://api.bitbucket.org/2.0",
                   f"https://bitbucket.org/{_q(workspace)}/{_q(repo)}")


def _azure(scheme: str, host: str, port: int | None, segments: list[str], shown: str) -> HostRef:
    def need(ok: bool) -> None:
        if not ok:
            raise UsageError(f"{shown}: not an Azure DevOps repository URL (expected https://dev.azure.com/ORG/"
                             f"PROJECT/_git/REPO or git@ssh.dev.azure.com:v3/ORG/PROJECT/REPO)")

    if host in ("ssh.dev.azure.com", "vs-ssh.visualstudio.com"):
        need(len(segments) == 4 and segments[0] == "v3")
        _, org, project, repo = segments
        return _azure_cloud(org, project, repo)
    need("_git" in segments)
    at = segments.index("_git")
    after = [s for s in segments[at + 1:] if s not in ("_optimized", "_full")]
    need(len(after) >= 1)
    repo, before = after[0], segments[:at]
    if host == "dev.azure.com":
        need(1 <= len(before) <= 2)
        return _azure_cloud(before[0], before[1] if len(before) == 2 else repo, repo)
    if host.endswith(".visualstudio.com"):
        org = host.split(".")[0]
        if before and before[0].lower() == "defaultcollection":
            before = before[1:]
        need(len(before) <= 1)
        return _azure_cloud(org, before[0] if before else repo, repo)
    # Azure DevOps Server: https://HOST[/VDIR]/COLLECTION/PROJECT/_git/REPO
    need(len(before) >= 1)
    collection, project = (before[:-1], before[-1]) if len(before) >= 2 else (before, repo)
    web = _web(scheme, host, port)
    base = f"{web}/{'/'.join(_q(s) for s in collection)}"
    return HostRef("azure", host, collection[-1], repo, base, f"{base}/{_q(project)}/_git/{_q(repo)}", project)


def _azure_cloud(org: str, project: str, repo: str) -> HostRef:
    base = f"https://dev.azure.com/{_q(org)}"
    return HostRef("azure", "dev.azure.com", org, repo, base, f"{base}/{_q(project)}/_git/{_q(repo)}", project)
