"""Authentication to an org, in the ways Salesforce people already have, through simple-salesforce.

In order of precedence for an org name: an org the ``sf`` CLI has authorised (``sf org display``);
otherwise, from the environment, an access token (``SF_ACCESS_TOKEN`` + ``SF_INSTANCE_URL``), a JWT
bearer flow (``SF_CLIENT_ID``, ``SF_USERNAME``, ``SF_JWT_KEY_FILE``) or a username, password and
security token (``SF_USERNAME``, ``SF_PASSWORD``, ``SF_SECURITY_TOKEN``). ``SF_LOGIN_URL`` names the
login host (default https://login.salesforce.com; https://test.salesforce.com for sandboxes, or a My
Domain). Secrets never leave this module except inside the credentials object, whose repr hides them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Callable, Mapping
from urllib.parse import urlparse

import requests
from simple_salesforce import SalesforceLogin
from simple_salesforce.exceptions import SalesforceAuthenticationFailed

from ..errors import SfhotfixError, UsageError

DEFAULT_API_VERSION = "63.0"
DEFAULT_LOGIN_URL = "https://login.salesforce.com"
HTTP_TIMEOUT = (10, 120)


@dataclass(frozen=True)
class Credentials:
    """A session on an org. ``access_token`` is excluded from repr so it cannot end up in a log."""

    instance_url: str
    access_token: str = field(repr=False)
    api_version: str = DEFAULT_API_VERSION
    username: str | None = None
    method: str = "access token"


class AuthError(SfhotfixError):
    """Authentication failed; the message names the org and the method, never a secret."""

    exit_code = 3


Authenticator = Callable[[], Credentials]


def authenticator(org: str | None, environ: Mapping[str, str] = os.environ,
                  aliases: Mapping[str, str] | None = None, api_version: str | None = None) -> Authenticator:
    """The way to (re)authenticate to ``org`` (an sf CLI alias or username; None: the environment)."""
    version = api_version or environ.get("SF_API_VERSION") or DEFAULT_API_VERSION
    if org:
        name = (aliases or {}).get(org, org)
        return lambda: _with_version(sf_cli(name), api_version)
    if environ.get("SF_ACCESS_TOKEN") and environ.get("SF_INSTANCE_URL"):
        return lambda: Credentials(environ["SF_INSTANCE_URL"].rstrip("/"), environ["SF_ACCESS_TOKEN"], version,
                                   environ.get("SF_USERNAME"), "access token")
    login_url = environ.get("SF_LOGIN_URL", DEFAULT_LOGIN_URL).rstrip("/")
    if environ.get("SF_CLIENT_ID") and environ.get("SF_USERNAME") and environ.get("SF_JWT_KEY_FILE"):
        return lambda: jwt_bearer(environ["SF_USERNAME"], environ["SF_CLIENT_ID"], environ["SF_JWT_KEY_FILE"],
                                  login_url, version)
    if environ.get("SF_USERNAME") and environ.get("SF_PASSWORD"):
        return lambda: password_login(environ["SF_USERNAME"], environ["SF_PASSWORD"],
                                      environ.get("SF_SECURITY_TOKEN", ""), login_url, version)
    raise UsageError("no org given: use --target-org ALIAS (an sf CLI org), or set SF_ACCESS_TOKEN and "
                     "SF_INSTANCE_URL, or SF_CLIENT_ID + SF_USERNAME + SF_JWT_KEY_FILE, or SF_USERNAME + SF_PASSWORD")


def _with_version(credentials: Credentials, api_version: str | None) -> Credentials:
    if not api_version:
        return credentials
    return Credentials(credentials.instance_url, credentials.access_token, api_version,
                       credentials.username, credentials.method)


def sf_cli(org: str) -> Credentials:
    """Credentials of an org the sf CLI has authorised (``sf org display --target-org ORG --json``)."""
    executable = shutil.which("sf")
    if executable is None:
        raise AuthError(f"org '{org}': the sf CLI is not installed (needed to read its authorisation); "
                        "install @salesforce/cli or use SF_ACCESS_TOKEN / SF_JWT_KEY_FILE")
    try:
        done = subprocess.run([executable, "org", "display", "--target-org", org, "--json"],
                              capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        raise AuthError(f"org '{org}': sf org display did not answer within 120 s") from None
    try:
        answer = json.loads(done.stdout or "{}")
    except json.JSONDecodeError:
        answer = {}
    result = answer.get("result") or {}
    if done.returncode != 0 or not result.get("accessToken"):
        message = answer.get("message") or (done.stderr.strip().splitlines() or ["no answer"])[-1]
        raise AuthError(f"org '{org}': sf CLI has no usable authorisation ({message})")
    return Credentials(result["instanceUrl"].rstrip("/"), result["accessToken"],
                       str(result.get("apiVersion") or DEFAULT_API_VERSION), result.get("username"), "sf CLI")


class _LoginHostSession(requests.Session):
    """Sends simple-salesforce's login calls to the configured login host.

    simple-salesforce builds ``https://{domain}.salesforce.com/...``; a login URL that is not such a
    host (a proxy, a government cloud, the test emulator) is reached by rewriting that prefix.
    """

    def __init__(self, login_url: str):
        super().__init__()
        self._login_url = login_url

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        if url.startswith(_PLACEHOLDER):
            url = self._login_url + url[len(_PLACEHOLDER):]
        return super().request(method, url, *args, **kwargs)


_PLACEHOLDER_DOMAIN = "login"
_PLACEHOLDER = f"https://{_PLACEHOLDER_DOMAIN}.salesforce.com"


def _login_domain(login_url: str) -> tuple[str, requests.Session | None]:
    """simple-salesforce's ``domain`` for a login URL, and a session when the host needs rewriting."""
    host = urlparse(login_url).hostname or ""
    if host.endswith(".salesforce.com") and urlparse(login_url).scheme == "https":
        return host[: -len(".salesforce.com")], None
    return _PLACEHOLDER_DOMAIN, _LoginHostSession(login_url)


def jwt_bearer(username: str, client_id: str, key_file: str, login_url: str, api_version: str) -> Credentials:
    if not os.path.isfile(key_file):
        raise AuthError(f"SF_JWT_KEY_FILE: {key_file}: no such file")
    return _login("JWT bearer", username, login_url, api_version,
                  consumer_key=client_id, privatekey_file=key_file)


def password_login(username: str, password: str, token: str, login_url: str, api_version: str) -> Credentials:
    return _login("password", username, login_url, api_version, password=password, security_token=token)


def _login(method: str, username: str, login_url: str, api_version: str, **secrets: str) -> Credentials:
    """simple-salesforce's login at ``login_url``; failures named by method, user and host, never a secret."""
    domain, session = _login_domain(login_url)
    try:
        session_id, instance = SalesforceLogin(username=username, domain=domain, session=session,
                                               sf_version=api_version, **secrets)
    except SalesforceAuthenticationFailed as exc:
        raise AuthError(f"{method} login of {username} at {login_url} failed: {exc.message}") from None
    except requests.RequestException as exc:
        raise AuthError(f"{method} login at {login_url}: {type(exc).__name__}") from None
    return Credentials(_instance_url(instance, login_url), session_id, api_version, username, method)


def _instance_url(instance: str, login_url: str) -> str:
    """simple-salesforce returns a host name; keep the login URL's scheme (and port, for an emulator)."""
    if instance.startswith("http"):
        return instance.rstrip("/")
    return f"{urlparse(login_url).scheme}://{instance}".rstrip("/")
