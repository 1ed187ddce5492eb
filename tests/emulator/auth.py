"""Logging in: the partner SOAP ``login`` call and the OAuth 2.0 token endpoint.

Why: sfhotfix authenticates with a username + password+security token (SOAP login, the form
simple_salesforce's SalesforceLogin posts) or with the JWT bearer flow, and must handle each refusal the
way Salesforce words it — SOAP fault ``INVALID_LOGIN`` with HTTP 500, OAuth ``invalid_grant`` with HTTP 400
and descriptions such as ``audience is invalid`` or ``expired authorization code``. Sessions handed out
are ``EMULATOR-SESSION-<n>``; no real Salesforce token ever looks like that.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import parse_qs

import jwt

from . import sfxml
from .ids import ORG_ID, ORG_ID15, hashed_id
from .org import User
from .soap import PARTNER_NS, SoapFault, el, envelope, nil
from .state import State

ACCEPTED_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")
_SIGNING_KEY = b"sfhotfix-emulator-signature"


def login_response(state: State, user: User, version: str) -> bytes:
    """The partner API loginResponse, fields in the order Salesforce sends them."""
    token = state.sessions.issue(user)
    info = (
        el("accessibilityMode", False) + el("chatterExternal", False) + el("currencySymbol", "$")
        + el("orgAttachmentFileSizeLimit", 5242880) + el("orgDefaultCurrencyIsoCode", "USD")
        + el("orgDefaultCurrencyLocale", "en_US") + el("orgDisallowHtmlAttachments", False)
        + el("orgHasPersonAccounts", False) + el("organizationId", ORG_ID)
        + el("organizationMultiCurrency", False) + el("organizationName", "sfhotfix Emulator Org")
        + el("profileId", hashed_id("00e", "Profile:Admin")) + nil("roleId") + el("sessionSecondsValid", 7200)
        + nil("userDefaultCurrencyIsoCode") + el("userEmail", user.email) + el("userFullName", user.name)
        + el("userId", user.id) + el("userLanguage", "en_US") + el("userLocale", "en_US")
        + el("userName", user.username) + el("userTimeZone", "America/Los_Angeles")
        + el("userType", "Standard") + el("userUiSkin", "Theme3")
    )
    result = (
        el("metadataServerUrl", f"{state.url}/services/Soap/m/{version}/{ORG_ID15}")
        + el("passwordExpired", False) + el("sandbox", True)
        + el("serverUrl", f"{state.url}/services/Soap/u/{version}/{ORG_ID15}")
        + el("sessionId", token) + el("userId", user.id)
        + f"<userInfo>{info}</userInfo>"
    )
    return envelope(f"<loginResponse><result>{result}</result></loginResponse>", PARTNER_NS)


def soap_login(state: State, body, version: str) -> bytes:
    """Answer a partner ``login``; INVALID_LOGIN for an unknown user or a wrong password+token."""
    username = sfxml.text_of(body, "username") or ""
    password = sfxml.text_of(body, "password") or ""
    user = state.user_by_name(username)
    if user is None or not hmac.compare_digest(user.password.encode(), password.encode()):
        raise SoapFault("INVALID_LOGIN", "Invalid username, password, security token; or user locked out.")
    return login_response(state, user, version)


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(f"{error}: {description}")
        self.error, self.description, self.status = error, description, status

    def body(self) -> bytes:
        return json.dumps({"error": self.error, "error_description": self.description}).encode()


def _token_response(state: State, user: User, scope: str | None) -> bytes:
    issued_at = str(int(state.clock.now().timestamp() * 1000))
    identity = f"{state.url}/id/{ORG_ID}/{user.id}"
    signature = base64.b64encode(hmac.new(_SIGNING_KEY, (identity + issued_at).encode(), hashlib.sha256).digest())
    payload = {"access_token": state.sessions.issue(user)}
    if scope:
        payload["scope"] = scope
    payload.update(
        {
            "instance_url": state.url,
            "id": identity,
            "token_type": "Bearer",
            "issued_at": issued_at,
            "signature": signature.decode(),
        }
    )
    return json.dumps(payload).encode()


def _check_client(state: State, client_id: str, secret: str | None = None, need_secret: bool = False) -> None:
    if state.connected_apps is None:
        return
    if client_id not in state.connected_apps:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    expected = state.connected_apps[client_id]
    if need_secret and expected is not None and secret != expected:
        raise OAuthError("invalid_client", "invalid client credentials")


def _jwt_bearer(state: State, assertion: str) -> bytes:
    try:
        header = jwt.get_unverified_header(assertion)
        claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise OAuthError("invalid_grant", "invalid assertion") from None
    signature = assertion.rsplit(".", 1)[-1]
    if header.get("alg") != "RS256" or len(signature) < 100:
        raise OAuthError("invalid_grant", "invalid assertion")
    missing = [c for c in ("iss", "sub", "aud", "exp") if not claims.get(c)]
    if missing:
        raise OAuthError("invalid_grant", "invalid assertion")
    issuer = str(claims["iss"])
    _check_client(state, issuer)
    key = state.jwt_keys.get(issuer)
    if key is not None:
        try:
            jwt.decode(assertion, key, algorithms=["RS256"], options={"verify_aud": False, "verify_exp": False})
        except jwt.PyJWTError:
            raise OAuthError("invalid_grant", "invalid assertion") from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    accepted = {a.rstrip("/") for a in ACCEPTED_AUDIENCES + (state.url,)}
    if not any(str(a).rstrip("/") in accepted for a in audiences):
        raise OAuthError("invalid_grant", "audience is invalid")
    try:
        expires = float(claims["exp"])
    except (TypeError, ValueError):
        raise OAuthError("invalid_grant", "invalid assertion") from None
    if expires <= state.clock.now().timestamp():
        raise OAuthError("invalid_grant", "expired authorization code")
    user = state.user_by_name(str(claims["sub"]))
    if user is None:
        raise OAuthError("invalid_grant", "user hasn't approved this consumer")
    return _token_response(state, user, "api")


def oauth_token(state: State, body: bytes) -> bytes:
    """POST /services/oauth2/token: JWT bearer and username-password grants."""
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True).items()}
    grant = form.get("grant_type", "")
    if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
        return _jwt_bearer(state, form.get("assertion", ""))
    if grant == "password":
        _check_client(state, form.get("client_id", ""), form.get("client_secret"), need_secret=True)
        user = state.user_by_name(form.get("username", ""))
        if user is None or not hmac.compare_digest(user.password.encode(), form.get("password", "").encode()):
            raise OAuthError("invalid_grant", "authentication failure")
        return _token_response(state, user, None)
    raise OAuthError("unsupported_grant_type", "grant type not supported")


def make_users(users: dict[str, object]) -> dict[str, User]:
    """Users by lower-cased username. Values: the password+token string, or {"password", "name"}."""
    out = {}
    for number, (username, spec) in enumerate(users.items(), start=1):
        if isinstance(spec, dict):
            password, name = str(spec["password"]), spec.get("name")
        else:
            password, name = str(spec), None
        if not name:
            name = "Admin User" if number == 1 else username.split("@")[0].replace(".", " ").title()
        out[username.lower()] = User(username, password, hashed_id("005", f"User:{username}"), name)
    return out
