"""Exceptions that the CLI turns into one clear line and a documented exit status.

Exit statuses: 0 ok, 1 failure (bad data, a platform error, a refused action), 2 usage or
configuration error.
"""

from __future__ import annotations


class SocialwatchError(Exception):
    """Base class: a message meant for people, and the exit status the CLI should use."""

    exit_code = 1


class ConfigError(SocialwatchError):
    """The configuration file is missing, unreadable or invalid (exit 2)."""

    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None, key: str | None = None) -> None:
        self.path = path
        self.key = key
        where = ""
        if path and key:
            where = f"{path}: {key}: "
        elif path:
            where = f"{path}: "
        elif key:
            where = f"{key}: "
        super().__init__(where + message)


class UsageError(SocialwatchError):
    """The command was called in a way that cannot work (exit 2)."""

    exit_code = 2


class NotFound(SocialwatchError):
    """An id, a file or a name that does not exist."""


class StoreError(SocialwatchError):
    """The store is corrupt, foreign or cannot be written; nothing was changed."""


class Conflict(SocialwatchError):
    """Another agent or process got there first (a reply already sent, a claim taken)."""


class Contention(Conflict):
    """Two database sessions' changes crossed (a deadlock or a serialisation failure): the
    transaction was rolled back whole, so running it again is safe."""


class Busy(SocialwatchError):
    """A lock is held by another process (a source being polled)."""
