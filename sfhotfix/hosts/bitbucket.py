"""Bitbucket Cloud: pull requests through the REST API 2.0 (api.bitbucket.org).

- find: ``GET /repositories/{workspace}/{repo}/pullrequests?q=source.branch.name="X" AND
  destination.branch.name="Y" AND state="OPEN"`` (BBQL; quotes in branch names escaped), following the
  ``next`` URL of each page and skipping pull requests from forks (same branch name, other repository);
- create: ``POST /repositories/{workspace}/{repo}/pullrequests`` with ``title``, ``description``,
  ``source.branch.name``, ``destination.branch.name``, ``draft`` and ``reviewers``;
- reviewers are given as Bitbucket identifies people since 2019: ``{uuid}`` (with braces) or an Atlassian
  account id; each goes as ``{"uuid": …}`` or ``{"account_id": …}`` (usernames are no longer accepted by
  the API, so there is nothing to look up);
- reuse: the list omits reviewers and a ``PUT`` replaces them, so the pull request is read by id first and
  ``PUT /repositories/{workspace}/{repo}/pullrequests/{id}`` sends its title, the new description and the
  union of its reviewers and the wanted ones;
- labels: Bitbucket Cloud pull requests have none; wanted labels become a warning on the result;
- auth: ``Authorization: Bearer`` for repository, project and workspace access tokens (``BITBUCKET_TOKEN``),
  or basic auth with a username and an app password (``BITBUCKET_USERNAME`` + ``BITBUCKET_APP_PASSWORD``;
  an Atlassian API token works the same way with the account e-mail as the username).

Bitbucket documents no "already open" error (there is at most one open pull request per branch pair and
the flow looks before it creates), so there is no such error to recognise here.
"""

from __future__ import annotations

from urllib.parse import quote

from ..errors import UsageError
from .base import GUID, Host, PlannedRequest, PullRequest, PullRequestSpec


def _bbql(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def reviewer_ref(reviewer: str) -> dict:
    """``{uuid}`` → ``{"uuid": "{uuid}"}``; anything else is an account id."""
    reviewer = reviewer.strip()
    if GUID.match(reviewer):
        return {"uuid": reviewer if reviewer.startswith("{") else "{" + reviewer + "}"}
    return {"account_id": reviewer}


def _key(ref: dict) -> str:
    return str(ref.get("uuid") or ref.get("account_id") or "").lower()


class Bitbucket(Host):
    kind = "bitbucket"

    @property
    def repo_url(self) -> str:
        return f"{self.ref.api_base}/repositories/{quote(self.ref.owner, safe='')}/{quote(self.ref.repo, safe='')}"

    def check(self, spec: PullRequestSpec) -> None:
        bad = [r for r in spec.reviewers
               if not r.strip() or (r.strip().startswith("{") and not GUID.match(r.strip()))]
        if bad:
            raise UsageError(f"{self.ref.label}: reviewers must be {{uuid}}s or Atlassian account ids, not "
                             f"{', '.join(repr(b) for b in bad)}")

    def payload(self, spec: PullRequestSpec) -> dict:
        body: dict = {"title": spec.title, "description": self.body(spec),
                      "source": {"branch": {"name": spec.head}}, "destination": {"branch": {"name": spec.base}},
                      "draft": spec.draft}
        if spec.reviewers:
            body["reviewers"] = [reviewer_ref(r) for r in dict.fromkeys(spec.reviewers)]
        return body

    def _label_warning(self, spec: PullRequestSpec) -> list[str]:
        if not spec.labels:
            return []
        labels = ", ".join(spec.labels)
        return [f"{self.ref.label}: Bitbucket Cloud pull requests have no labels; not applied: {labels}"]

    def plan(self, spec: PullRequestSpec) -> PlannedRequest:
        notes = [f"first: GET {self.repo_url}/pullrequests?q={self._query(spec)}; an open pull request found there "
                 f"gets its description updated (PUT) instead"] + self._label_warning(spec)
        return PlannedRequest("POST", f"{self.repo_url}/pullrequests", self.payload(spec), notes)

    @staticmethod
    def _query(spec: PullRequestSpec) -> str:
        return (f"source.branch.name = {_bbql(spec.head)} AND destination.branch.name = {_bbql(spec.base)} "
                f"AND state = \"OPEN\"")

    def find_open(self, spec: PullRequestSpec) -> dict | None:
        ours = f"{self.ref.owner}/{self.ref.repo}".lower()
        params = {"q": self._query(spec), "pagelen": 50}
        for pr in self.api.pages_by_next(f"{self.repo_url}/pullrequests", params, "listing open pull requests"):
            source = pr.get("source") or {}
            full_name = str((source.get("repository") or {}).get("full_name") or ours).lower()
            if ((source.get("branch") or {}).get("name") == spec.head and full_name == ours
                    and ((pr.get("destination") or {}).get("branch") or {}).get("name") == spec.base):
                return pr
        return None

    def create(self, spec: PullRequestSpec) -> PullRequest:
        what = "creating the pull request"
        response = self.api.call("POST", f"{self.repo_url}/pullrequests", what=what, json_body=self.payload(spec),
                                 tries=1)
        result = self._result(self.api.json(response, what), created=True)
        result.warnings += self._label_warning(spec)
        return result

    def reuse(self, existing: dict, spec: PullRequestSpec) -> PullRequest:
        number = existing["id"]
        url = f"{self.repo_url}/pullrequests/{number}"
        current = self.api.json(self.api.call("GET", url, what=f"reading pull request #{number}"),
                                f"reading pull request #{number}")
        present = [r for r in current.get("reviewers") or [] if isinstance(r, dict) and _key(r)]
        reviewers = [{"uuid": r["uuid"]} if r.get("uuid") else {"account_id": r["account_id"]} for r in present]
        have = {str(r.get(k, "")).lower() for r in present for k in ("uuid", "account_id")}
        reviewers += [ref for ref in map(reviewer_ref, dict.fromkeys(spec.reviewers)) if _key(ref) not in have]
        body = {"title": current.get("title") or existing.get("title") or spec.title, "description": self.body(spec),
                "reviewers": reviewers}
        what = f"updating pull request #{number}"
        updated = self.api.json(self.api.call("PUT", url, what=what, json_body=body), what)
        result = self._result({**current, **updated}, created=False)
        result.warnings += self._label_warning(spec)
        return result

    def _result(self, pr: dict, created: bool) -> PullRequest:
        href = ((pr.get("links") or {}).get("html") or {}).get("href")
        state = str(pr.get("state", "OPEN"))
        return PullRequest(number=pr["id"], url=href or f"{self.ref.web_url}/pull-requests/{pr['id']}",
                           state="open" if state == "OPEN" else state.lower(), created=created,
                           draft=bool(pr.get("draft")))
