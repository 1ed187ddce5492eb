"""Azure DevOps (Services and Server): pull requests through the Git REST API, ``api-version=7.1``.

- the repository URL is ``{organization or collection}/{project}/_apis/git/repositories/{repo}`` — the
  repository's name works where the docs say ``repositoryId``, so nothing is looked up;
- find: ``GET …/pullrequests?searchCriteria.sourceRefName=refs/heads/X&searchCriteria.targetRefName=…&
  searchCriteria.status=active`` (at most one active pull request per branch pair exists, so no paging);
- create: ``POST …/pullrequests`` with ``sourceRefName``, ``targetRefName``, ``title``, ``description``,
  ``isDraft``, ``reviewers: [{id}]`` and ``labels: [{name}]``; 409 with TF401179 ("An active pull request
  for the source and target branch already exists") means another run got there first: it is looked up
  and reused;
- reviewers are identity ids (GUIDs): names and e-mails would need the Identities API on another host
  (vssps.dev.azure.com), so they are refused before any request;
- reuse: ``PATCH …/pullrequests/{id}`` with the new description; reviewers not yet on it are added with
  ``PUT …/pullRequests/{id}/reviewers/{reviewerId}`` (present ones are left alone, so their votes stay)
  and labels with ``POST …/pullRequests/{id}/labels`` (still a preview API: ``api-version=7.1-preview.1``);
- descriptions are limited to 4,000 characters: longer bodies are cut at a line end with a line saying so;
- auth: a personal access token as basic auth with an empty username (``AZURE_DEVOPS_EXT_PAT``), or the
  pipeline's ``SYSTEM_ACCESSTOKEN`` as ``Authorization: Bearer``.  A token Azure DevOps cannot use often
  gets HTTP 203 and a sign-in page rather than a 401; both are reported as a refused token.
"""

from __future__ import annotations

from urllib.parse import quote

from ..errors import SfhotfixError, UsageError
from .base import GUID, AlreadyExists, Host, PlannedRequest, PullRequest, PullRequestSpec, dumps, host_message

API_VERSION = "7.1"
LABELS_API_VERSION = "7.1-preview.1"


def ref_name(branch: str) -> str:
    return branch if branch.startswith("refs/") else f"refs/heads/{branch}"


class Azure(Host):
    kind = "azure"
    body_limit = 4000

    @property
    def repo_url(self) -> str:
        project = quote(self.ref.project or self.ref.repo, safe="")
        return f"{self.ref.api_base}/{project}/_apis/git/repositories/{quote(self.ref.repo, safe='')}"

    def check(self, spec: PullRequestSpec) -> None:
        bad = [r for r in spec.reviewers if not GUID.match(r.strip())]
        if bad:
            raise UsageError(f"{self.ref.label}: Azure DevOps reviewers must be identity ids (GUIDs), not "
                             f"{', '.join(repr(b) for b in bad)}")

    @staticmethod
    def _id(reviewer: str) -> str:
        return reviewer.strip().strip("{}").lower()

    def payload(self, spec: PullRequestSpec) -> dict:
        body: dict = {"sourceRefName": ref_name(spec.head), "targetRefName": ref_name(spec.base), "title": spec.title,
                      "description": self.body(spec), "isDraft": spec.draft}
        if spec.reviewers:
            body["reviewers"] = [{"id": self._id(r)} for r in dict.fromkeys(spec.reviewers)]
        if spec.labels:
            body["labels"] = [{"name": label} for label in dict.fromkeys(spec.labels)]
        return body

    def plan(self, spec: PullRequestSpec) -> PlannedRequest:
        notes = [f"first: GET {self.repo_url}/pullrequests?searchCriteria.sourceRefName={ref_name(spec.head)}"
                 f"&searchCriteria.targetRefName={ref_name(spec.base)}&searchCriteria.status=active"
                 f"&api-version={API_VERSION}; an active pull request found there gets its description updated "
                 f"(PATCH {dumps({'description': '…'})}) instead"]
        return PlannedRequest("POST", f"{self.repo_url}/pullrequests?api-version={API_VERSION}", self.payload(spec),
                              notes)

    def find_open(self, spec: PullRequestSpec) -> dict | None:
        what = "listing active pull requests"
        params = {"searchCriteria.sourceRefName": ref_name(spec.head),
                  "searchCriteria.targetRefName": ref_name(spec.base),
                  "searchCriteria.status": "active", "api-version": API_VERSION}
        data = self.api.json(self.api.call("GET", f"{self.repo_url}/pullrequests", what=what, params=params), what)
        for pr in (data.get("value") if isinstance(data, dict) else None) or []:
            if (pr.get("sourceRefName") == ref_name(spec.head) and pr.get("targetRefName") == ref_name(spec.base)
                    and pr.get("status", "active") == "active" and not pr.get("forkSource")):
                return pr
        return None

    def create(self, spec: PullRequestSpec) -> PullRequest:
        what = "creating the pull request"
        response = self.api.call("POST", f"{self.repo_url}/pullrequests", what=what, json_body=self.payload(spec),
                                 params={"api-version": API_VERSION}, passthrough=(409,), tries=1)
        if response.status_code == 409:
            if "TF401179" in host_message(response) or "already exists" in host_message(response):
                raise AlreadyExists()
            raise self.api._failure(response, what)
        return self._result(self.api.json(response, what), created=True)

    def reuse(self, existing: dict, spec: PullRequestSpec) -> PullRequest:
        number = existing["pullRequestId"]
        what = f"updating pull request {number}"
        pr_url = f"{self.repo_url}/pullrequests/{number}"
        response = self.api.call("PATCH", pr_url, what=what, params={"api-version": API_VERSION},
                                 json_body={"description": self.body(spec)})
        result = self._result({**existing, **self.api.json(response, what)}, created=False)
        present = {str(r.get("id", "")).lower() for r in existing.get("reviewers") or [] if isinstance(r, dict)}
        labels = {str(tag.get("name", "")).lower() for tag in existing.get("labels") or [] if isinstance(tag, dict)}
        try:  # the pull request is there and updated: a failure from here on is a warning, not an error
            for reviewer in dict.fromkeys(self._id(r) for r in spec.reviewers):
                if reviewer not in present:
                    self.api.call("PUT", f"{pr_url}/reviewers/{reviewer}",
                                  what=f"adding a reviewer to pull request {number}",
                                  params={"api-version": API_VERSION}, json_body={"id": reviewer, "vote": 0})
            for label in dict.fromkeys(spec.labels):
                if label.lower() not in labels:
                    self.api.call("POST", f"{pr_url}/labels", what=f"labelling pull request {number}",
                                  params={"api-version": LABELS_API_VERSION}, json_body={"name": label})
        except SfhotfixError as exc:
            result.warnings.append(str(exc))
        return result

    def _result(self, pr: dict, created: bool) -> PullRequest:
        number = pr["pullRequestId"]
        web = ((pr.get("repository") or {}).get("webUrl") or self.ref.web_url).rstrip("/")
        status = str(pr.get("status", "active"))
        return PullRequest(number=number, url=f"{web}/pullrequest/{number}",
                           state="open" if status == "active" else status, created=created,
                           draft=bool(pr.get("isDraft")))
