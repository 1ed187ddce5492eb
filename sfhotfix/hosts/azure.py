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

For the validation gate and promotion (all ``api-version=7.1``):

- get: ``GET …/pullrequests/{id}``; ``status`` ``active`` is open, ``completed`` merged, ``abandoned``
  closed.  ``sourceRefName`` / ``targetRefName`` lose their ``refs/heads/``; the head commit is
  ``lastMergeSourceCommit.commitId`` and the merge commit ``lastMergeCommit.commitId``, taken only once
  completed (before that it is Azure DevOps' trial merge);
- comments live in threads: ``GET …/pullRequests/{id}/threads`` (deleted comments and ``system`` ones —
  votes, pushes — skipped); a new one is ``POST …/threads`` with one comment ``{parentCommentId: 0,
  content, commentType: "text"}`` and ``status: "closed"`` (a closed thread is shown but never blocks
  completion under a "comments must be resolved" policy); an update is ``PATCH …/threads/{threadId}
  /comments/{commentId}`` with ``{content}``.  The web URL is the pull request's with ``?discussionId=``;
- status: with the pull request's number, a pull request status — ``POST …/pullRequests/{id}/statuses`` —
  which branch policies can require; without it, a commit status — ``POST …/commits/{sha}/statuses``.  Both
  take ``state`` (``pending`` → ``pending``, ``success`` → ``succeeded``, ``failure`` → ``failed``,
  ``error`` → ``error``), ``description``, ``targetUrl`` and ``context: {name, genre: "sfhotfix"}``;
- a 404 (TF401180) on the pull request, its threads or its statuses is "pull request #N not found".  A
  personal access token needs Code (read & write) and, for statuses, Code (status).
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

from ..errors import SfhotfixError, UsageError
from .base import (GUID, AlreadyExists, Comment, Host, PlannedRequest, PullRequest, PullRequestInfo, PullRequestSpec,
                   branch_name, dumps, host_message)

API_VERSION = "7.1"
LABELS_API_VERSION = "7.1-preview.1"


def ref_name(branch: str) -> str:
    return branch if branch.startswith("refs/") else f"refs/heads/{branch}"


STATUS_GENRE = "sfhotfix"


class Azure(Host):
    kind = "azure"
    body_limit = 4000
    status_words = {"pending": "pending", "success": "succeeded", "failure": "failed", "error": "error"}

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
        status = str(pr.get("status", "active"))
        return PullRequest(number=number, url=self._web(pr, number),
                           state="open" if status == "active" else status, created=created,
                           draft=bool(pr.get("isDraft")))

    def _web(self, pr: dict | None, number: int) -> str:
        web = (((pr or {}).get("repository") or {}).get("webUrl") or self.ref.web_url).rstrip("/")
        return f"{web}/pullrequest/{number}"

    # -- the gate's calls ---------------------------------------------------------------------------------
    def get(self, number: int) -> PullRequestInfo:
        what = f"reading pull request {number}"
        pr = self.api.json(self.api.call("GET", f"{self.repo_url}/pullrequests/{number}", what=what,
                                         params={"api-version": API_VERSION}, not_found=self.pr_name(number)), what)
        state = {"active": "open", "completed": "merged"}.get(str(pr.get("status")), "closed")
        merge_sha = (pr.get("lastMergeCommit") or {}).get("commitId") if state == "merged" else None
        return PullRequestInfo(number=pr.get("pullRequestId", number), url=self._web(pr, number), state=state,
                               head=branch_name(pr.get("sourceRefName")), base=branch_name(pr.get("targetRefName")),
                               head_sha=str((pr.get("lastMergeSourceCommit") or {}).get("commitId") or ""),
                               merge_sha=merge_sha, title=str(pr.get("title", "")))

    def comments(self, number: int) -> Iterator[Comment]:
        what = f"listing the comment threads of pull request {number}"
        data = self.api.json(self.api.call("GET", f"{self.repo_url}/pullrequests/{number}/threads", what=what,
                                           params={"api-version": API_VERSION}, not_found=self.pr_name(number)), what)
        for thread in (data.get("value") if isinstance(data, dict) else None) or []:
            if thread.get("isDeleted"):
                continue
            for comment in thread.get("comments") or []:
                if not comment.get("isDeleted") and str(comment.get("commentType", "text")) != "system":
                    yield self._comment(number, thread["id"], comment)

    def create_comment(self, number: int, body: str) -> str:
        what = f"commenting on pull request {number}"
        thread = {"comments": [{"parentCommentId": 0, "content": body, "commentType": "text"}], "status": "closed"}
        response = self.api.call("POST", f"{self.repo_url}/pullrequests/{number}/threads", what=what,
                                 params={"api-version": API_VERSION}, json_body=thread, tries=1,
                                 not_found=self.pr_name(number))
        created = self.api.json(response, what)
        return self._comment(number, created["id"], (created.get("comments") or [{"id": 1}])[0]).url

    def update_comment(self, number: int, comment: Comment, body: str) -> str:
        what = f"updating a comment on pull request {number}"
        response = self.api.call("PATCH", f"{self.repo_url}/pullrequests/{number}/threads/{comment.thread}/comments/"
                                 f"{comment.id}", what=what, params={"api-version": API_VERSION},
                                 json_body={"content": body}, not_found=f"comment thread {comment.thread}")
        return self._comment(number, comment.thread, self.api.json(response, what)).url

    def _comment(self, number: int, thread: int | str | None, comment: dict) -> Comment:
        return Comment(id=comment["id"], body=str(comment.get("content") or ""),
                       url=f"{self._web(None, number)}?discussionId={thread}", thread=thread)

    def send_status(self, sha: str, word: str, context: str, description: str, target_url: str | None,
                    number: int | None) -> None:
        body: dict = {"state": word, "description": description, "context": {"name": context, "genre": STATUS_GENRE}}
        if target_url:
            body["targetUrl"] = target_url
        if number is not None:
            url, missing = f"{self.repo_url}/pullrequests/{number}/statuses", self.pr_name(number)
        else:
            url, missing = f"{self.repo_url}/commits/{sha}/statuses", f"commit {sha}"
        self.api.call("POST", url, what=f"setting the {context} status of {sha[:12]}", json_body=body,
                      params={"api-version": API_VERSION}, not_found=missing)
