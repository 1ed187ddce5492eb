"""Tests of the host calls the validation gate and promotion need: reading a pull request's state and commits
(:func:`get_pull_request`), one comment per marker kept up to date (:func:`upsert_comment`) and commit statuses
in each host's words (:func:`set_commit_status`), on GitHub, GitLab, Bitbucket Cloud and Azure DevOps.

The flows are recorded against ``tests/hosts_emulator.py`` into ``cassettes/hosts/<scenario>-<kind>.yaml`` and
replayed from there, exactly as in ``tests/test_hosts.py`` (whose :func:`recorded` they use): replay by default,
``SFHOTFIX_RECORD=once`` to record the missing cassettes, ``SFHOTFIX_RECORD=all`` to record them all afresh.
In replay there is no emulator, so whatever the emulator was told to do (seed, merge, close) happens only
while recording; the assertions hold in both modes.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from sfhotfix.errors import SfhotfixError, UsageError
from sfhotfix.hosts import (PullRequestInfo, detect_host, get_pull_request, marker_line, same_commit,
                            set_commit_status, upsert_comment)
from sfhotfix.hosts.base import with_marker
from sfhotfix.hosts.bitbucket import Bitbucket
from sfhotfix.hosts.gitlab import GitLab

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hosts_emulator import commit_sha  # noqa: E402
from test_hosts import (CASSETTES, ENV_NAME, GOOD_TOKENS, KINDS, REMOTES, WEB, _api, _offline_session,  # noqa: E402
                        leaks, no_backoff, recorded)

assert no_backoff  # the autouse fixture of test_hosts: no real backoff, no token from the environment

PR_PATH = {"github": "/github/repos/acme/repo/pulls",
           "gitlab": "/gitlab/api/v4/projects/group%2Fsub%2Frepo/merge_requests",
           "bitbucket": "/bitbucket/2.0/repositories/acme/repo/pullrequests",
           "azure": "/azure/acme/Sales%20Force/_apis/git/repositories/repo/pullrequests"}
COMMENTS_PATH = {"github": "/github/repos/acme/repo/issues/{n}/comments", "gitlab": PR_PATH["gitlab"] + "/{n}/notes",
                 "bitbucket": PR_PATH["bitbucket"] + "/{n}/comments", "azure": PR_PATH["azure"] + "/{n}/threads"}
COMMENT_UPDATE = {"github": ("PATCH", "/github/repos/acme/repo/issues/comments/{c}"),
                  "gitlab": ("PUT", PR_PATH["gitlab"] + "/{n}/notes/{c}"),
                  "bitbucket": ("PUT", PR_PATH["bitbucket"] + "/{n}/comments/{c}"),
                  "azure": ("PATCH", PR_PATH["azure"] + "/{n}/threads/{c}/comments/1")}
COMMENT_URL = {"github": r"https://github\.com/acme/repo/pull/1#issuecomment-(\d+)",
               "gitlab": r"https://gitlab\.com/group/sub/repo/-/merge_requests/1#note_(\d+)",
               "bitbucket": r"https://bitbucket\.org/acme/repo/pull-requests/1/_/diff#comment-(\d+)",
               "azure": r"https://dev\.azure\.com/acme/Sales%20Force/_git/repo/pullrequest/1\?discussionId=(\d+)"}
STATUS_WORDS = {"github": ["pending", "pending", "success", "failure", "error"],
                "gitlab": ["pending", "pending", "success", "failed", "failed"],
                "bitbucket": ["INPROGRESS", "INPROGRESS", "SUCCESSFUL", "FAILED", "FAILED"],
                "azure": ["pending", "pending", "succeeded", "failed", "error"]}
CONTEXT = "sfhotfix/validate"
RUN_URL = "https://ci.example.com/runs/42"
UNKNOWN_SHA = "0123456789abcdef0123456789abcdef01234567"


def head_sha(kind: str, number: int, head: str) -> str:
    """The head commit the emulator gives pull request ``number`` (Bitbucket: the short hash it answers with)."""
    sha = commit_sha(kind, f"pr{number}:{head}")
    return sha[:12] if kind == "bitbucket" else sha


def comment_text(kind: str, body: dict) -> str:
    """The comment text in a create or update request's JSON."""
    if kind == "bitbucket":
        return body["content"]["raw"]
    if kind == "azure":
        return body["comments"][0]["content"] if "comments" in body else body["content"]
    return body["body"]


def status_fields(kind: str, body: dict) -> tuple[str, str, str, str | None]:
    """(state word, context, description, link) of a status request's JSON."""
    if kind == "github":
        return body["state"], body["context"], body["description"], body.get("target_url")
    if kind == "gitlab":
        return body["state"], body["name"], body["description"], body.get("target_url")
    if kind == "bitbucket":
        return body["state"], body["key"], body["description"], body["url"]
    assert body["context"]["genre"] == "sfhotfix"
    return body["state"], body["context"]["name"], body["description"], body.get("targetUrl")


# -- get_pull_request -------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_pull_request_state_open_merged_closed(kind: str) -> None:
    with recorded(f"pr_state-{kind}") as run:
        if run.emu:
            run.emu.add_pr(kind, "hotfix/open", "main", title="Still open")
            run.emu.add_pr(kind, "hotfix/merged", "main", title="Merged one")
            run.emu.add_pr(kind, "hotfix/closed", "release/2026.12", title="Declined one")
            run.emu.merge(kind, 2)
            run.emu.close(kind, 3)
        token = GOOD_TOKENS[kind]
        opened, merged, closed = (get_pull_request(run.ref(kind), n, token=token) for n in (1, "2", "#3"))
    assert opened == PullRequestInfo(number=1, url=WEB[kind].format(1), state="open", head="hotfix/open", base="main",
                                     head_sha=head_sha(kind, 1, "hotfix/open"), merge_sha=None, title="Still open")
    merge_commit = commit_sha(kind, "merge2")
    assert merged == PullRequestInfo(number=2, url=WEB[kind].format(2), state="merged", head="hotfix/merged",
                                     base="main", head_sha=head_sha(kind, 2, "hotfix/merged"),
                                     merge_sha=merge_commit[:12] if kind == "bitbucket" else merge_commit,
                                     title="Merged one")
    assert (closed.state, closed.base, closed.merge_sha) == ("closed", "release/2026.12", None)
    # Bitbucket's short hashes still name the full commit
    assert opened.is_head(commit_sha(kind, "pr1:hotfix/open")) and not opened.is_head(merged.head_sha)
    assert run.calls() == [("GET", f"{PR_PATH[kind]}/{n}") for n in (1, 2, 3)]


@pytest.mark.parametrize("kind", KINDS)
def test_unknown_pull_request_is_one_clear_line(kind: str) -> None:
    with recorded(f"pr_not_found-{kind}") as run:
        if run.emu:
            run.emu.add_pr(kind, "hotfix/x", "main")
        ref = run.ref(kind)
        with pytest.raises(UsageError) as read:
            get_pull_request(ref, 99, token=GOOD_TOKENS[kind])
        with pytest.raises(UsageError) as commented:
            upsert_comment(ref, 99, "Validation passed", "validate", token=GOOD_TOKENS[kind])
    name = "merge request !99" if kind == "gitlab" else "pull request #99"
    for caught in (read, commented):
        message = str(caught.value)
        assert message.startswith(f"{name} not found on {ref.label} (HTTP 404 on ")
        assert "\n" not in message and GOOD_TOKENS[kind] not in message
    assert [m for m, _ in run.calls()] == ["GET", "GET"]  # nothing was written
    assert run.statuses() == [404, 404]


@pytest.mark.parametrize("kind", KINDS)
def test_refused_token_names_the_variable(kind: str) -> None:
    with recorded(f"gate_unauthorized-{kind}") as run:
        ref = run.ref(kind)
        with pytest.raises(SfhotfixError) as read:
            get_pull_request(ref, 1, token="wrong-token-0123456789")
        with pytest.raises(SfhotfixError) as status:
            set_commit_status(ref, UNKNOWN_SHA, "pending", CONTEXT, "Validating", number=1,
                              token="wrong-token-0123456789")
    for caught in (read, status):
        message = str(caught.value)
        assert message.startswith(f"{ref.label}: ") and "HTTP 401" in message and ENV_NAME[kind] in message
        assert "wrong-token-0123456789" not in message and "\n" not in message
    assert run.statuses() == [401, 401]


# -- upsert_comment ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_comment_is_created_once_then_updated(kind: str) -> None:
    with recorded(f"comment_upsert-{kind}") as run:
        if run.emu:
            run.emu.add_pr(kind, "hotfix/x", "main")
            run.emu.add_comment(kind, 1, "Looks good to me")
            run.emu.add_comment(kind, 1, "added 1 commit", system=True)
        ref, token = run.ref(kind), GOOD_TOKENS[kind]
        first = upsert_comment(ref, 1, "Validation running", "validate", token=token)
        second = upsert_comment(ref, 1, "Validation passed\n\n| Component | Result |", "validate", token=token)
        third = upsert_comment(ref, 1, "Validation passed\n\n| Component | Result |", "validate", token=token)
        other = upsert_comment(ref, 1, "Promoted to production", "promote", token=token)
        if run.emu:
            bodies = [n.body for n in run.emu.prs[0].comments]
            assert bodies == ["Looks good to me", "added 1 commit",
                              "Validation passed\n\n| Component | Result |\n\n<!-- sfhotfix:validate -->",
                              "Promoted to production\n\n<!-- sfhotfix:promote -->"]
    assert first == second == third != other
    ids = [re.fullmatch(COMMENT_URL[kind], url) for url in (first, other)]
    assert all(ids), (first, other)
    create = COMMENTS_PATH[kind].format(n=1)
    created = [comment_text(kind, body) for body in run.sent("POST", create)]
    assert created == ["Validation running\n\n<!-- sfhotfix:validate -->",
                       "Promoted to production\n\n<!-- sfhotfix:promote -->"]
    method, path = COMMENT_UPDATE[kind]
    updated = [comment_text(kind, body) for body in run.sent(method, path.format(n=1, c=ids[0].group(1)))]
    assert updated == ["Validation passed\n\n| Component | Result |\n\n<!-- sfhotfix:validate -->"]  # once: the
    # third call found the comment already saying so and wrote nothing
    assert [m for m, _ in run.calls()].count(method) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_comment_whose_answer_was_lost_is_not_duplicated(kind: str) -> None:
    with recorded(f"comment_lost_answer-{kind}") as run:
        if run.emu:
            run.emu.add_pr(kind, "hotfix/x", "main")
            run.emu.fail_next(1, 502, method="POST", after=True)
        url = upsert_comment(run.ref(kind), 1, "Validation passed", "validate", token=GOOD_TOKENS[kind])
        if run.emu:
            assert [n.body for n in run.emu.prs[0].comments] == ["Validation passed\n\n<!-- sfhotfix:validate -->"]
    assert re.fullmatch(COMMENT_URL[kind], url)
    assert [m for m, _ in run.calls()] == ["GET", "POST", "GET"]  # listed again, found, left alone
    assert run.statuses() == [200, 502, 200]


# -- set_commit_status ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_status_in_the_hosts_words(kind: str) -> None:
    long = "Check-only deploy passed: " + ", ".join(f"ApexClass:InvoiceService{i}" for i in range(12))
    with recorded(f"status-{kind}") as run:
        if run.emu:
            run.emu.add_pr(kind, "hotfix/x", "main")
        ref, token = run.ref(kind), GOOD_TOKENS[kind]
        info = get_pull_request(ref, 1, token=token)
        for state, description, link in [("pending", "Validating", None), ("pending", "Validating", None),
                                         ("success", long, RUN_URL), ("failure", "2 component errors", RUN_URL),
                                         ("error", "Could not reach\nthe org", None)]:
            set_commit_status(ref, info.head_sha, state, CONTEXT, description, target_url=link, number=1, token=token)
        set_commit_status(ref, info.head_sha, "success", CONTEXT, "On the commit", token=token)  # no number
        with pytest.raises(SfhotfixError) as unknown:
            set_commit_status(ref, UNKNOWN_SHA, "success", CONTEXT, "Nowhere", token=token)
        if run.emu:  # what the host kept: all but GitLab's refused repeat, and nothing for the unknown commit
            kept = [w for i, w in enumerate(STATUS_WORDS[kind]) if not (kind == "gitlab" and i == 1)]
            assert [r.get("state", r.get("status")) for r in run.emu.statuses] == kept + [STATUS_WORDS[kind][2]]
    posts = [(r.path, json.loads(r.body)) for r in run.cassette.requests if r.method == "POST"]
    sent = [status_fields(kind, body) for _, body in posts]
    assert [s[0] for s in sent] == STATUS_WORDS[kind] + [STATUS_WORDS[kind][2]] * 2
    assert {s[1] for s in sent} == {CONTEXT}
    descriptions = [s[2] for s in sent]
    assert all("\n" not in d for d in descriptions) and descriptions[4] == "Could not reach the org"
    limit = {"github": 140, "gitlab": 255}.get(kind)  # cut to the host's limit, with "…"
    if limit:
        assert len(descriptions[2]) == limit and descriptions[2] == long[:limit - 1] + "…"
    else:
        assert descriptions[2] == long
    links = [s[3] for s in sent]
    if kind == "bitbucket":  # Bitbucket requires a link: the pull request's, else the repository's
        repo = "https://bitbucket.org/acme/repo"
        assert links == [WEB[kind].format(1)] * 2 + [RUN_URL] * 2 + [WEB[kind].format(1), repo, repo]
    else:
        assert links == [None, None, RUN_URL, RUN_URL, None, None, None]
    sha = info.head_sha
    expected_paths = {
        "github": [f"/github/repos/acme/repo/statuses/{sha}"] * 6,
        "gitlab": [f"/gitlab/api/v4/projects/group%2Fsub%2Frepo/statuses/{sha}"] * 6,
        "bitbucket": [f"/bitbucket/2.0/repositories/acme/repo/commit/{sha}/statuses/build"] * 6,
        "azure": [f"{PR_PATH['azure']}/1/statuses"] * 5
        + [f"/azure/acme/Sales%20Force/_apis/git/repositories/repo/commits/{sha}/statuses"]}[kind]
    assert [path for path, _ in posts][:6] == expected_paths
    # GitLab refuses a status already in that state ("Cannot transition status"): taken as done
    statuses = run.statuses()[1:7]
    assert statuses == ([201, 400, 201, 201, 201, 201] if kind == "gitlab"
                        else [201] * 6 if kind in ("github", "bitbucket") else [200] * 6)
    message = str(unknown.value)
    assert "\n" not in message and UNKNOWN_SHA[:12] in message
    if kind == "github":
        assert message == (f"GitHub acme/repo: setting the {CONTEXT} status of {UNKNOWN_SHA[:12]} failed: HTTP 422: "
                           f"No commit found for SHA: {UNKNOWN_SHA}")
    else:
        assert message.startswith(f"commit {UNKNOWN_SHA} not found on {ref.label} (HTTP 404 on ")


# -- checks before any request ----------------------------------------------------------------------------
@pytest.mark.parametrize("call, words", [
    (lambda ref, s: get_pull_request(ref, "seven", token="t", session=s), "a pull request number is"),
    (lambda ref, s: get_pull_request(ref, 0, token="t", session=s), "a pull request number is"),
    (lambda ref, s: upsert_comment(ref, 1, "b", "has space", token="t", session=s), "a comment marker is"),
    (lambda ref, s: upsert_comment(ref, 1, "b", "x-->", token="t", session=s), "a comment marker is"),
    (lambda ref, s: set_commit_status(ref, "a" * 40, "succeeded", "c", "d", token="t", session=s),
     "a status is one of pending, success, failure, error"),
    (lambda ref, s: set_commit_status(ref, "main", "success", "c", "d", token="t", session=s),
     "a status needs a commit id"),
    (lambda ref, s: set_commit_status(ref, "a" * 40, "success", " ", "d", token="t", session=s),
     "a status needs a context"),
])
def test_bad_input_is_refused_before_any_request(call: Any, words: str) -> None:
    for kind in KINDS:
        with pytest.raises(UsageError, match=re.escape(words)):
            call(detect_host(REMOTES[kind]), _offline_session())


def test_no_token_says_what_to_set() -> None:
    with pytest.raises(SfhotfixError, match=r"^Azure DevOps acme/Sales Force/repo: no token to set the status with; "
                                            r"set AZURE_DEVOPS_EXT_PAT"):
        set_commit_status(detect_host(REMOTES["azure"]), "a" * 40, "success", CONTEXT, "d")


def test_marker_line_is_kept_once_and_last() -> None:
    assert marker_line("validate") == "<!-- sfhotfix:validate -->"
    assert with_marker("Report\n", "validate") == "Report\n\n<!-- sfhotfix:validate -->"
    again = with_marker("<!-- sfhotfix:validate -->\nReport\n<!-- sfhotfix:validate -->", "validate")
    assert again == "Report\n\n<!-- sfhotfix:validate -->"
    assert with_marker("", "promote") == "<!-- sfhotfix:promote -->"


def test_same_commit_takes_abbreviations() -> None:
    full = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
    assert same_commit(full, full[:12]) and same_commit(full[:7].upper(), full)
    assert not same_commit(full, full[:6]) and not same_commit(full, "b" * 40) and not same_commit(None, full)


@pytest.mark.parametrize("cls, kind, answer, state", [
    (GitLab, "gitlab", {"iid": 4, "state": "locked", "source_branch": "h", "target_branch": "main", "sha": "a" * 40,
                        "merge_commit_sha": None, "title": "t"}, "open"),  # locked: a merge in progress
    (GitLab, "gitlab", {"iid": 4, "state": "merged", "source_branch": "h", "target_branch": "main", "sha": "a" * 40,
                        "merge_commit_sha": None, "squash_commit_sha": "b" * 40, "title": "t"}, "merged"),
    (Bitbucket, "bitbucket", {"id": 4, "state": "SUPERSEDED", "source": {"branch": {"name": "h"},
                                                                         "commit": {"hash": "a" * 12}},
                              "destination": {"branch": {"name": "main"}}, "title": "t"}, "closed"),
])
def test_host_states_the_emulator_does_not_make(cls: Any, kind: str, answer: dict, state: str) -> None:
    api, adapter = _api(kind, (200, answer))
    info = cls(api.ref, api).get(4)
    assert (info.state, info.head, info.head_sha) == (state, "h", answer.get("sha", "a" * 12))
    assert info.merge_sha == ("b" * 40 if state == "merged" else None)
    assert len(adapter.sent) == 1


# -- the cassettes ----------------------------------------------------------------------------------------
SCENARIOS = ["pr_state", "pr_not_found", "gate_unauthorized", "comment_upsert", "comment_lost_answer", "status"]


def test_gate_cassettes_are_recorded_and_hold_no_credentials() -> None:
    paths = [CASSETTES / f"{scenario}-{kind}.yaml" for scenario in SCENARIOS for kind in KINDS]
    missing = [p.name for p in paths if not p.exists()]
    assert missing == [], "record them with SFHOTFIX_RECORD=once"
    assert {p.name: leaks(p) for p in paths if leaks(p)} == {}
