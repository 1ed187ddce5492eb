"""GitHub and GitHub Enterprise: pull requests through the REST API (version 2022-11-28).

- find: ``GET /repos/{owner}/{repo}/pulls?state=open&head={owner}:{head}&base={base}`` (``head`` needs the
  owner prefix, or GitHub ignores it), following ``Link`` pages;
- create: ``POST /repos/{owner}/{repo}/pulls`` with exactly ``{title, head, base, body, draft}``; a 422 whose
  errors say "A pull request already exists" means another run got there first: it is looked up and reused;
- reuse: ``PATCH /repos/{owner}/{repo}/pulls/{number}`` with the new body;
- reviewers: ``POST …/pulls/{number}/requested_reviewers`` (``org/team`` names go to ``team_reviewers``);
  labels: ``POST /repos/{owner}/{repo}/issues/{number}/labels``.  These come after the pull request exists,
  so a failure there is a warning on the result, not an error that hides the pull request;
- auth: ``Authorization: Bearer TOKEN`` (classic, fine-grained and installation tokens alike).

Bodies longer than GitHub's 65,536 characters are cut at a line end, with a line saying so.
"""

from __future__ import annotations

from urllib.parse import quote

from ..errors import SfhotfixError
from .base import AlreadyExists, Host, PlannedRequest, PullRequest, PullRequestSpec, dumps, host_message, one_line

HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


class GitHub(Host):
    kind = "github"
    body_limit = 65536

    @property
    def repo_url(self) -> str:
        return f"{self.ref.api_base}/repos/{quote(self.ref.owner, safe='')}/{quote(self.ref.repo, safe='')}"

    def payload(self, spec: PullRequestSpec) -> dict:
        return {"title": spec.title, "head": spec.head, "base": spec.base, "body": self.body(spec), "draft": spec.draft}

    def plan(self, spec: PullRequestSpec) -> PlannedRequest:
        notes = [f"first: GET {self.repo_url}/pulls?state=open&head={self.ref.owner}:{spec.head}&base={spec.base}; "
                 f"an open pull request found there gets its body updated (PATCH) instead"]
        if spec.reviewers:
            notes.append(f"then: POST {self.repo_url}/pulls/{{number}}/requested_reviewers "
                         f"{dumps(self._reviewers(spec.reviewers))}")
        if spec.labels:
            notes.append(f"then: POST {self.repo_url}/issues/{{number}}/labels {dumps({'labels': list(spec.labels)})}")
        return PlannedRequest("POST", f"{self.repo_url}/pulls", self.payload(spec), notes)

    def find_open(self, spec: PullRequestSpec) -> dict | None:
        params = {"state": "open", "head": f"{self.ref.owner}:{spec.head}", "base": spec.base, "per_page": 100}
        for pr in self.api.pages_by_link(f"{self.repo_url}/pulls", params, "listing open pull requests"):
            head, base = pr.get("head") or {}, pr.get("base") or {}
            owner = ((head.get("repo") or {}).get("owner") or {}).get("login") \
                or (head.get("label") or ":").split(":")[0]
            same_repo = owner.lower() == self.ref.owner.lower()  # not a fork's branch of the same name
            if head.get("ref") == spec.head and base.get("ref") == spec.base and same_repo:
                return pr
        return None

    def create(self, spec: PullRequestSpec) -> PullRequest:
        what = "creating the pull request"
        response = self.api.call("POST", f"{self.repo_url}/pulls", what=what, json_body=self.payload(spec),
                                 passthrough=(422,), tries=1)
        if response.status_code == 422:
            data = self.api.json(response, what)
            messages = [str(e.get("message", "")) for e in data.get("errors") or [] if isinstance(e, dict)]
            if any("already exists" in m for m in messages):
                raise AlreadyExists()
            fields = {e.get("field") for e in data.get("errors") or [] if isinstance(e, dict)}
            if "head" in fields:
                raise self.api.error(f"{what} failed: branch {spec.head} is not on GitHub (push it first)")
            if "base" in fields:
                raise self.api.error(f"{what} failed: base branch {spec.base} is not on GitHub")
            raise self.api.error(f"{what} failed: HTTP 422: {one_line(host_message(response)) or 'Validation Failed'}")
        pr = self.api.json(response, what)
        result = self._result(pr, created=True)
        self._follow_ups(pr, spec, result)
        return result

    def reuse(self, existing: dict, spec: PullRequestSpec) -> PullRequest:
        number = existing["number"]
        response = self.api.call("PATCH", f"{self.repo_url}/pulls/{number}", what=f"updating pull request #{number}",
                                 json_body={"body": self.body(spec)})
        pr = self.api.json(response, f"updating pull request #{number}")
        result = self._result({**existing, **pr}, created=False)
        self._follow_ups(existing, spec, result)
        return result

    def _follow_ups(self, pr: dict, spec: PullRequestSpec, result: PullRequest) -> None:
        number = pr["number"]
        already = {str(u.get("login", "")).lower() for u in pr.get("requested_reviewers") or []}
        already |= {str(t.get("slug", "")).lower() for t in pr.get("requested_teams") or []}
        wanted = [r for r in dict.fromkeys(spec.reviewers) if r.split("/")[-1].lower() not in already]
        if wanted:
            try:
                self.api.call("POST", f"{self.repo_url}/pulls/{number}/requested_reviewers",
                              what=f"requesting reviewers on pull request #{number}", json_body=self._reviewers(wanted))
            except SfhotfixError as exc:
                result.warnings.append(str(exc))
        present = {str(label.get("name", "")).lower() for label in pr.get("labels") or []}
        labels = [label for label in dict.fromkeys(spec.labels) if label.lower() not in present]
        if labels:
            try:
                self.api.call("POST", f"{self.repo_url}/issues/{number}/labels",
                              what=f"labelling pull request #{number}", json_body={"labels": labels})
            except SfhotfixError as exc:
                result.warnings.append(str(exc))

    @staticmethod
    def _reviewers(names) -> dict:
        """``alice`` is a user; ``acme/hotfix-reviewers`` a team (its slug goes in ``team_reviewers``)."""
        users = [n for n in names if "/" not in n]
        teams = [n.split("/", 1)[1] for n in names if "/" in n]
        body: dict = {"reviewers": users}
        if teams:
            body["team_reviewers"] = teams
        return body

    def _result(self, pr: dict, created: bool) -> PullRequest:
        return PullRequest(number=pr["number"], url=pr.get("html_url") or f"{self.ref.web_url}/pull/{pr['number']}",
                           state="open" if pr.get("state", "open") == "open" else str(pr.get("state")),
                           created=created, draft=bool(pr.get("draft")))
