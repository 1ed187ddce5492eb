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

For the validation gate and promotion:

- get: ``GET /repos/{owner}/{repo}/pulls/{number}``; ``state`` is ``open`` or ``closed``, and a closed one
  with ``merged`` (or ``merged_at``) set is merged.  ``head.sha`` is the head commit; ``merge_commit_sha``
  is taken only once merged (before that it is GitHub's test merge commit);
- comments are issue comments (every pull request is an issue): ``GET /repos/{owner}/{repo}/issues/{number}
  /comments`` (oldest first, ``Link`` pages), ``POST`` there to create, ``PATCH /repos/{owner}/{repo}/issues
  /comments/{comment_id}`` with ``{body}`` to update;
- status: ``POST /repos/{owner}/{repo}/statuses/{sha}`` with ``state`` (``pending``, ``success``,
  ``failure``, ``error`` — the same words), ``context``, ``description`` (cut to 140 characters) and
  ``target_url``.  The number is not needed: the status belongs to the commit;
- a 404 on the pull request or its comments is "pull request #N not found".  The token needs Pull requests
  (read & write) and, for statuses, Commit statuses (read & write).
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

from ..errors import SfhotfixError
from .base import (AlreadyExists, Comment, Host, PlannedRequest, PullRequest, PullRequestInfo, PullRequestSpec, dumps,
                   host_message, one_line)

HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


class GitHub(Host):
    kind = "github"
    body_limit = 65536
    status_limit = 140
    status_words = {"pending": "pending", "success": "success", "failure": "failure", "error": "error"}

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

    # -- the gate's calls ---------------------------------------------------------------------------------
    def get(self, number: int) -> PullRequestInfo:
        what = f"reading pull request #{number}"
        pr = self.api.json(self.api.call("GET", f"{self.repo_url}/pulls/{number}", what=what,
                                         not_found=self.pr_name(number)), what)
        merged = bool(pr.get("merged") or pr.get("merged_at"))
        state = "merged" if merged else "open" if pr.get("state") == "open" else "closed"
        head, base = pr.get("head") or {}, pr.get("base") or {}
        return PullRequestInfo(number=pr.get("number", number),
                               url=pr.get("html_url") or f"{self.ref.web_url}/pull/{number}", state=state,
                               head=str(head.get("ref", "")), base=str(base.get("ref", "")),
                               head_sha=str(head.get("sha", "")),
                               merge_sha=pr.get("merge_commit_sha") if merged else None, title=str(pr.get("title", "")))

    def comments(self, number: int) -> Iterator[Comment]:
        for item in self.api.pages_by_link(f"{self.repo_url}/issues/{number}/comments", {"per_page": 100},
                                           f"listing the comments of pull request #{number}",
                                           not_found=self.pr_name(number)):
            yield self._comment(item)

    def create_comment(self, number: int, body: str) -> str:
        what = f"commenting on pull request #{number}"
        response = self.api.call("POST", f"{self.repo_url}/issues/{number}/comments", what=what,
                                 json_body={"body": body}, tries=1, not_found=self.pr_name(number))
        return self._comment(self.api.json(response, what)).url

    def update_comment(self, number: int, comment: Comment, body: str) -> str:
        what = f"updating comment {comment.id} on pull request #{number}"
        response = self.api.call("PATCH", f"{self.repo_url}/issues/comments/{comment.id}", what=what,
                                 json_body={"body": body}, not_found=f"comment {comment.id}")
        return self._comment(self.api.json(response, what)).url

    def _comment(self, item: dict) -> Comment:
        return Comment(id=item["id"], body=str(item.get("body") or ""), url=str(item.get("html_url") or ""))

    def send_status(self, sha: str, word: str, context: str, description: str, target_url: str | None,
                    number: int | None) -> None:
        body = {"state": word, "context": context, "description": description}
        if target_url:
            body["target_url"] = target_url
        self.api.call("POST", f"{self.repo_url}/statuses/{sha}", what=f"setting the {context} status of {sha[:12]}",
                      json_body=body, not_found=f"commit {sha}")
