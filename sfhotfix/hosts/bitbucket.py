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

For the validation gate and promotion:

- get: ``GET /repositories/{workspace}/{repo}/pullrequests/{id}``; ``state`` ``OPEN`` is open, ``MERGED``
  merged, ``DECLINED`` and ``SUPERSEDED`` closed.  ``source.commit.hash`` is the head commit and
  ``merge_commit.hash`` the merge commit — both *short* (12-character) hashes, as Bitbucket gives them:
  compare them with :meth:`PullRequestInfo.is_head` / :func:`same_commit`, not ``==``;
- comments: ``GET …/pullrequests/{id}/comments`` (``next`` pages; deleted and inline comments skipped),
  ``POST`` there with ``{"content": {"raw": body}}`` to create, ``PUT …/comments/{comment_id}`` with the same
  shape to update;
- status: a build status, ``POST /repositories/{workspace}/{repo}/commit/{sha}/statuses/build`` with
  ``key`` and ``name`` (the context; a status with the same key is replaced), ``state`` (``pending`` →
  ``INPROGRESS``, ``success`` → ``SUCCESSFUL``, ``failure`` and ``error`` → ``FAILED``; ``STOPPED`` is not
  used), ``description`` and ``url``, which Bitbucket requires: the target URL, else the pull request's
  (when its number is given), else the repository's.  Short hashes are accepted;
- a 404 on the pull request or its comments is "pull request #N not found".  Access tokens need pull request
  write and, for build statuses, repository write.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

from ..errors import UsageError
from .base import GUID, Comment, Host, PlannedRequest, PullRequest, PullRequestInfo, PullRequestSpec


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
    status_words = {"pending": "INPROGRESS", "success": "SUCCESSFUL", "failure": "FAILED", "error": "FAILED"}

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
        state = str(pr.get("state", "OPEN"))
        return PullRequest(number=pr["id"], url=self._web(pr, pr["id"]),
                           state="open" if state == "OPEN" else state.lower(), created=created,
                           draft=bool(pr.get("draft")))

    # -- the gate's calls ---------------------------------------------------------------------------------
    def get(self, number: int) -> PullRequestInfo:
        what = f"reading pull request #{number}"
        pr = self.api.json(self.api.call("GET", f"{self.repo_url}/pullrequests/{number}", what=what,
                                         not_found=self.pr_name(number)), what)
        state = {"OPEN": "open", "MERGED": "merged"}.get(str(pr.get("state")), "closed")
        source, destination = pr.get("source") or {}, pr.get("destination") or {}
        merge_commit = pr.get("merge_commit") or {}
        return PullRequestInfo(number=pr.get("id", number), url=self._web(pr, number), state=state,
                               head=str((source.get("branch") or {}).get("name", "")),
                               base=str((destination.get("branch") or {}).get("name", "")),
                               head_sha=str((source.get("commit") or {}).get("hash") or ""),
                               merge_sha=merge_commit.get("hash") if state == "merged" else None,
                               title=str(pr.get("title", "")))

    def _web(self, pr: dict, number: int) -> str:
        return ((pr.get("links") or {}).get("html") or {}).get("href") or f"{self.ref.web_url}/pull-requests/{number}"

    def comments(self, number: int) -> Iterator[Comment]:
        for item in self.api.pages_by_next(f"{self.repo_url}/pullrequests/{number}/comments", {"pagelen": 50},
                                           f"listing the comments of pull request #{number}",
                                           not_found=self.pr_name(number)):
            if not item.get("deleted") and not item.get("inline"):
                yield self._comment(number, item)

    def create_comment(self, number: int, body: str) -> str:
        what = f"commenting on pull request #{number}"
        response = self.api.call("POST", f"{self.repo_url}/pullrequests/{number}/comments", what=what,
                                 json_body={"content": {"raw": body}}, tries=1, not_found=self.pr_name(number))
        return self._comment(number, self.api.json(response, what)).url

    def update_comment(self, number: int, comment: Comment, body: str) -> str:
        what = f"updating comment {comment.id} on pull request #{number}"
        response = self.api.call("PUT", f"{self.repo_url}/pullrequests/{number}/comments/{comment.id}", what=what,
                                 json_body={"content": {"raw": body}},
                                 not_found=f"comment {comment.id} of pull request #{number}")
        return self._comment(number, self.api.json(response, what)).url

    def _comment(self, number: int, item: dict) -> Comment:
        href = ((item.get("links") or {}).get("html") or {}).get("href")
        return Comment(id=item["id"], body=str((item.get("content") or {}).get("raw") or ""),
                       url=href or f"{self.ref.web_url}/pull-requests/{number}#comment-{item['id']}")

    def send_status(self, sha: str, word: str, context: str, description: str, target_url: str | None,
                    number: int | None) -> None:
        url = target_url or (f"{self.ref.web_url}/pull-requests/{number}" if number else self.ref.web_url)
        body = {"key": context, "name": context, "state": word, "description": description, "url": url}
        self.api.call("POST", f"{self.repo_url}/commit/{sha}/statuses/build",
                      what=f"setting the {context} status of {sha[:12]}", json_body=body, not_found=f"commit {sha}")
