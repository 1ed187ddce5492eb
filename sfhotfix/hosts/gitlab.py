"""GitLab (gitlab.com and self-managed): merge requests through the REST API v4.

- the project is addressed by its URL-encoded full path (``group%2Fsub%2Frepo``), so nested groups need no
  id lookup;
- find: ``GET /projects/{id}/merge_requests?state=opened&source_branch=&target_branch=``, following
  ``Link``/``X-Next-Page`` pages and skipping merge requests from forks (same branch name, other project);
- create: ``POST /projects/{id}/merge_requests`` with ``source_branch``, ``target_branch``, ``title``,
  ``description``, ``labels`` ("a,b") and ``reviewer_ids``; a draft is the title prefix ``Draft: ``, which
  every GitLab version since 14.0 reads (the create call has no draft attribute).  409 "Another open merge
  request already exists" means another run got there first: it is looked up and reused;
- reviewers are user ids: names are looked up first with ``GET /users?username=`` (numbers are taken as
  ids), so an unknown name fails before anything is written;
- reuse: ``PUT /projects/{id}/merge_requests/{iid}`` with the new ``description``, ``add_labels`` and the
  union of the present and the wanted ``reviewer_ids`` (GitLab replaces that list);
- auth: the ``PRIVATE-TOKEN`` header, which personal, group and project access tokens take (a token given
  as ``Token(..., scheme="bearer")``, e.g. OAuth, goes as ``Authorization: Bearer``).  CI job tokens
  (``CI_JOB_TOKEN``) cannot use the merge requests API, so they are never picked up: see
  :func:`sfhotfix.hosts.token_from_env`.

For the validation gate and promotion:

- get: ``GET /projects/{id}/merge_requests/{iid}``; ``state`` ``opened`` is open (so is ``locked``, the
  short state of a merge in progress), ``merged`` merged and ``closed`` closed.  ``sha`` is the head commit;
  the merge commit is ``merge_commit_sha``, or ``squash_commit_sha`` when only a squash commit was made
  (neither is set after a fast-forward merge);
- comments are merge request notes: ``GET /projects/{id}/merge_requests/{iid}/notes?sort=asc&order_by=
  created_at`` (GitLab lists newest first otherwise; ``system`` notes such as "added 1 commit" are skipped),
  ``POST`` there with ``{body}`` to create, ``PUT …/notes/{note_id}`` to update.  Notes have no web URL in
  the API: it is the merge request's with ``#note_{id}``;
- status: ``POST /projects/{id}/statuses/{sha}`` with ``state`` (``pending`` → ``pending``, ``success`` →
  ``success``, ``failure`` and ``error`` → ``failed``), ``name`` (the context), ``description`` (cut to 255
  characters) and ``target_url``.  GitLab refuses a status already in that state with HTTP 400 "Cannot
  transition status via :enqueue from :pending": that is taken as done, so a re-run is not an error;
- a 404 on the merge request or its notes is "merge request !N not found".
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

from ..errors import UsageError
from .base import (AlreadyExists, Comment, Host, PlannedRequest, PullRequest, PullRequestInfo, PullRequestSpec,
                   host_message)

DRAFT_PREFIX = "Draft: "


class GitLab(Host):
    kind = "gitlab"
    body_limit = 1_000_000
    status_limit = 255
    status_words = {"pending": "pending", "success": "success", "failure": "failed", "error": "failed"}
    _reviewer_ids: list[int] = []  # set by prepare(); reassigned, never mutated

    @property
    def project_url(self) -> str:
        return f"{self.ref.api_base}/projects/{quote(self.ref.owner + '/' + self.ref.repo, safe='')}"

    def title(self, spec: PullRequestSpec) -> str:
        lowered = spec.title.lower()
        if spec.draft and not lowered.startswith(("draft:", "[draft]", "(draft)")):
            return DRAFT_PREFIX + spec.title
        return spec.title

    def payload(self, spec: PullRequestSpec, reviewer_ids: list[int]) -> dict:
        body: dict = {"source_branch": spec.head, "target_branch": spec.base, "title": self.title(spec),
                      "description": self.body(spec)}
        if spec.labels:
            body["labels"] = ",".join(dict.fromkeys(spec.labels))
        if reviewer_ids:
            body["reviewer_ids"] = reviewer_ids
        return body

    def check(self, spec: PullRequestSpec) -> None:
        bad = [label for label in spec.labels if "," in label]
        if bad:
            raise self._usage(f"GitLab label names cannot contain commas: {', '.join(bad)}")

    def _usage(self, text: str) -> UsageError:
        return UsageError(f"{self.ref.label}: {text}")

    def plan(self, spec: PullRequestSpec) -> PlannedRequest:
        ids = [int(r) for r in spec.reviewers if r.isdigit()]
        names = [r for r in spec.reviewers if not r.isdigit()]
        notes = [f"first: GET {self.project_url}/merge_requests?state=opened&source_branch={spec.head}"
                 f"&target_branch={spec.base}; an open merge request found there gets its description updated "
                 f"(PUT) instead"]
        if names:
            notes.insert(0, f"first: GET {self.ref.api_base}/users?username=NAME for {', '.join(names)}; their ids "
                            f"join reviewer_ids")
        return PlannedRequest("POST", f"{self.project_url}/merge_requests", self.payload(spec, ids), notes)

    def prepare(self, spec: PullRequestSpec) -> None:
        ids: list[int] = []
        for reviewer in dict.fromkeys(spec.reviewers):
            if reviewer.isdigit():
                ids.append(int(reviewer))
                continue
            name = reviewer.removeprefix("@")
            what = f"looking up reviewer {name}"
            users = self.api.json(self.api.call("GET", f"{self.ref.api_base}/users", what=what,
                                                params={"username": name}), what)
            match = [u for u in users if isinstance(u, dict) and str(u.get("username", "")).lower() == name.lower()]
            if not match:
                raise self._usage(f"reviewer {name} is not a GitLab user")
            ids.append(int(match[0]["id"]))
        self._reviewer_ids = ids

    def find_open(self, spec: PullRequestSpec) -> dict | None:
        params = {"state": "opened", "source_branch": spec.head, "target_branch": spec.base, "per_page": 100}
        for mr in self.api.pages_by_link(f"{self.project_url}/merge_requests", params, "listing open merge requests"):
            same_project = mr.get("source_project_id", 0) == mr.get("target_project_id", 0)
            if mr.get("source_branch") == spec.head and mr.get("target_branch") == spec.base and same_project:
                return mr
        return None

    def create(self, spec: PullRequestSpec) -> PullRequest:
        what = "creating the merge request"
        response = self.api.call("POST", f"{self.project_url}/merge_requests", what=what,
                                 json_body=self.payload(spec, self._reviewer_ids), passthrough=(409,), tries=1)
        if response.status_code == 409:
            raise AlreadyExists()
        return self._result(self.api.json(response, what), created=True)

    def reuse(self, existing: dict, spec: PullRequestSpec) -> PullRequest:
        iid = existing["iid"]
        what = f"updating merge request !{iid}"
        body: dict = {"description": self.body(spec)}
        present = {str(label).lower() for label in existing.get("labels") or []}
        missing = [label for label in dict.fromkeys(spec.labels) if label.lower() not in present]
        if missing:
            body["add_labels"] = ",".join(missing)
        current = [int(r["id"]) for r in existing.get("reviewers") or [] if isinstance(r, dict) and "id" in r]
        if any(i not in current for i in self._reviewer_ids):
            body["reviewer_ids"] = current + [i for i in self._reviewer_ids if i not in current]
        response = self.api.call("PUT", f"{self.project_url}/merge_requests/{iid}", what=what, json_body=body)
        return self._result({**existing, **self.api.json(response, what)}, created=False)

    def _result(self, mr: dict, created: bool) -> PullRequest:
        state = mr.get("state", "opened")
        url = mr.get("web_url") or f"{self.ref.web_url}/-/merge_requests/{mr['iid']}"
        return PullRequest(number=mr["iid"], url=url,
                           state="open" if state == "opened" else str(state), created=created,
                           draft=bool(mr.get("draft") or mr.get("work_in_progress")))

    # -- the gate's calls ---------------------------------------------------------------------------------
    def pr_name(self, number: int | str) -> str:
        return f"merge request !{number}"

    def get(self, number: int) -> PullRequestInfo:
        what = f"reading merge request !{number}"
        mr = self.api.json(self.api.call("GET", f"{self.project_url}/merge_requests/{number}", what=what,
                                         not_found=self.pr_name(number)), what)
        state = {"opened": "open", "locked": "open", "merged": "merged"}.get(str(mr.get("state")), "closed")
        merge_sha = (mr.get("merge_commit_sha") or mr.get("squash_commit_sha")) if state == "merged" else None
        return PullRequestInfo(number=mr.get("iid", number),
                               url=mr.get("web_url") or f"{self.ref.web_url}/-/merge_requests/{number}", state=state,
                               head=str(mr.get("source_branch", "")), base=str(mr.get("target_branch", "")),
                               head_sha=str(mr.get("sha") or ""), merge_sha=merge_sha, title=str(mr.get("title", "")))

    def comments(self, number: int) -> Iterator[Comment]:
        params = {"sort": "asc", "order_by": "created_at", "per_page": 100}
        for note in self.api.pages_by_link(f"{self.project_url}/merge_requests/{number}/notes", params,
                                           f"listing the notes of merge request !{number}",
                                           not_found=self.pr_name(number)):
            if not note.get("system"):
                yield self._comment(number, note)

    def create_comment(self, number: int, body: str) -> str:
        what = f"commenting on merge request !{number}"
        response = self.api.call("POST", f"{self.project_url}/merge_requests/{number}/notes", what=what,
                                 json_body={"body": body}, tries=1, not_found=self.pr_name(number))
        return self._comment(number, self.api.json(response, what)).url

    def update_comment(self, number: int, comment: Comment, body: str) -> str:
        what = f"updating note {comment.id} on merge request !{number}"
        response = self.api.call("PUT", f"{self.project_url}/merge_requests/{number}/notes/{comment.id}", what=what,
                                 json_body={"body": body}, not_found=f"note {comment.id} of merge request !{number}")
        return self._comment(number, self.api.json(response, what)).url

    def _comment(self, number: int, note: dict) -> Comment:
        return Comment(id=note["id"], body=str(note.get("body") or ""),
                       url=f"{self.ref.web_url}/-/merge_requests/{number}#note_{note['id']}")

    def send_status(self, sha: str, word: str, context: str, description: str, target_url: str | None,
                    number: int | None) -> None:
        body = {"state": word, "name": context, "description": description}
        if target_url:
            body["target_url"] = target_url
        what = f"setting the {context} status of {sha[:12]}"
        response = self.api.call("POST", f"{self.project_url}/statuses/{sha}", what=what, json_body=body,
                                 passthrough=(400,), not_found=f"commit {sha}")
        if response.status_code == 400 and "Cannot transition status" not in host_message(response):
            raise self.api._failure(response, what)
