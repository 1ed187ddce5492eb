"""Errors sfhotfix reports to the user as one line with a non-zero exit code."""

from __future__ import annotations


class SfhotfixError(Exception):
    """An error with a one-line message that names the file, component or setting at fault."""

    exit_code = 1


class UsageError(SfhotfixError):
    """Bad input: a missing path, a malformed file, an unknown type or option value (exit code 2)."""

    exit_code = 2
