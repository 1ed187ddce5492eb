"""The org side: connecting, and the retrieve / validate / deploy actions the CLI calls."""

from __future__ import annotations

import os

from ..config import load_config
from .auth import authenticator
from .client import OrgClient
from .metadata import MetadataApi


def connect(target_org: str | None, api_version: str | None = None) -> MetadataApi:
    """A Metadata API client for ``target_org`` (an alias from sfhotfix.toml, an sf CLI alias or username,
    or None for the SF_* environment variables)."""
    config = load_config()
    authenticate = authenticator(target_org, os.environ, config.orgs, api_version)
    return MetadataApi(OrgClient(authenticate, label=target_org))


