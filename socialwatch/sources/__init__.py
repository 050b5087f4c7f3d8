"""Source plugins: where mentions come from.

The contract (see `Source`): a source is built from its config table, checks that table
without touching the network (`check_config`), and `fetch`es mentions since a cursor. `fetch`
yields `Batch`es: each holds mentions in the model's shape (see `socialwatch.model.normalize`)
and optionally the cursor to store *after* that batch is stored. The poller stores the batch,
then the cursor, so a crash can repeat a batch (deduplicated on the id) but never skip one.

Platform libraries (tweepy, praw, ...) are imported inside the plugin module, which is itself
imported only when a source of that type is used.

Built-in types are looked up by name in `BUILTIN`; third-party ones register through the
entry-point group `socialwatch.sources` (name = type, value = "module:Class").

Errors: raise a `SourceError` subclass with a message meant for people. The poller records it
in the source's health (`state`) and carries on with the other sources.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from socialwatch.errors import ConfigError, SocialwatchError

#: type name -> "module:Class" of the built-in sources
BUILTIN = {
    "demo": "socialwatch.sources.demo:DemoSource",
    "file": "socialwatch.sources.file:FileSource",
    "twitter": "socialwatch.sources.twitter:TwitterSource",
    "reddit": "socialwatch.sources.reddit:RedditSource",
    "bluesky": "socialwatch.sources.bluesky:BlueskySource",
    "mastodon": "socialwatch.sources.mastodon:MastodonSource",
}

ENTRY_POINT_GROUP = "socialwatch.sources"

#: Keys every source table accepts; the plugin's `settings` declare the rest.
COMMON_KEYS = {
    "type": str,
    "enabled": bool,
    "interval": (int, float, str),
    "responder": str,
    "lookback": (int, float, str),
    "max_requests_per_day": int,
    "brand": str,
}


# ---- errors ------------------------------------------------------------------------------------
class SourceError(SocialwatchError):
    """A poll failed. `state` is the health state it puts the source in."""

    state = "failing"
    retryable = True


class AuthError(SourceError):
    """Credentials missing, expired or rejected (401)."""

    state = "failing"
    retryable = False


class NotEntitled(SourceError):
    """The account has no access to this endpoint (403, X's client-not-enrolled)."""

    state = "not entitled"
    retryable = False


class RateLimited(SourceError):
    """429: try again at `reset_at` (a datetime or None)."""

    state = "degraded"

    def __init__(self, message: str, reset_at: datetime | None = None) -> None:
        super().__init__(message)
        self.reset_at = reset_at


class TransientError(SourceError):
    """5xx, time-outs, network errors: retried with backoff, then reported."""

    state = "degraded"


class BudgetExhausted(SourceError):
    """The source's `max_requests_per_day` is spent."""

    state = "degraded"
    retryable = False


# ---- the contract ------------------------------------------------------------------------------
@dataclass
class Batch:
    """One page of a fetch: mentions in the model's shape and the cursor to store after them.

    `cursor` None means "do not move the cursor yet" (e.g. the middle of a newest-first walk).
    `calls` is the number of API requests this batch cost; `skipped` the reasons for items that
    were malformed and left out; `gap` a note when the platform could not cover the window.
    """

    mentions: list[dict] = field(default_factory=list)
    cursor: dict | None = None
    calls: int = 0
    rate_limit_remaining: int | None = None
    skipped: list[str] = field(default_factory=list)
    gap: str | None = None


@dataclass
class SourceContext:
    """What a source may know about its surroundings."""

    name: str
    brand: dict
    lookback: float = 86400.0  # seconds a first poll reaches back
    since: datetime | None = None  # an explicit backfill (`poll --since 3d`)
    one_shot: bool = True  # a cron `poll` (do not sleep long on 429) vs the daemon
    now: datetime | None = None
    extra: dict = field(default_factory=dict)


class Source:
    """Base class for source plugins.

    Subclasses set `type_name`, `platform` and `settings` (key -> accepted type(s)) and
    implement `fetch`. `required` lists keys that must be present.
    """

    type_name: ClassVar[str] = ""
    platform: ClassVar[str] = ""
    settings: ClassVar[dict[str, Any]] = {}
    required: ClassVar[tuple[str, ...]] = ()
    #: setting names whose values are secrets: never logged, stored or shown
    secrets: ClassVar[tuple[str, ...]] = ()

    def __init__(self, name: str, config: dict, context: SourceContext) -> None:
        self.name = name
        self.config = config
        self.context = context

    @classmethod
    def check_config(cls, name: str, table: dict, path: str | None = None) -> None:
        """Validate a source table without the network; raise ConfigError naming the key."""
        check_table(table, {**COMMON_KEYS, **cls.settings}, cls.required, f"sources.{name}", path)

    def fetch(self) -> Iterator[Batch]:  # pragma: no cover - interface
        """Yield batches of new mentions since `cursor` (None on a first poll).

        Implementations receive the cursor through `self.cursor` (set by the poller before
        the call) and must not store anything themselves.
        """
        raise NotImplementedError

    cursor: dict | None = None

    def test(self) -> list[str]:
        """One cheap call that checks credentials and access; lines saying what works."""
        return ["no check available for this source type"]

    def close(self) -> None:
        """Release clients and connections."""


def check_table(table: dict, allowed: dict[str, Any], required: tuple[str, ...], where: str, path: str | None) -> None:
    """Check a plugin's config table: required keys present, known keys of the right type
    (unknown keys are left to the plugin); ConfigError naming the file and the key."""
    for key in required:
        if key not in table:
            raise ConfigError("missing required key", path=path, key=f"{where}.{key}")
    for key, value in table.items():
        want = allowed.get(key)
        if want is None:
            continue
        if isinstance(value, bool) and want is not bool and not (isinstance(want, tuple) and bool in want):
            raise ConfigError(f"expected {_type_names(want)}, got a boolean", path=path, key=f"{where}.{key}")
        if not isinstance(value, want):
            raise ConfigError(f"expected {_type_names(want)}, got {type(value).__name__}", path=path, key=f"{where}.{key}")


def _type_names(want: Any) -> str:
    types = want if isinstance(want, tuple) else (want,)
    names = {int: "an integer", float: "a number", str: "a string", bool: "true or false", list: "a list", dict: "a table"}
    return " or ".join(names.get(t, t.__name__) for t in types)


def source_class(type_name: str) -> type[Source]:
    """The plugin class for a source type: a built-in, else an entry point; KeyError if none."""
    target = BUILTIN.get(type_name)
    if target is None:
        target = _entry_point(ENTRY_POINT_GROUP, type_name)
    if target is None:
        raise KeyError(type_name)
    return load_object(target)


def known_types(group: str = ENTRY_POINT_GROUP, builtin: dict | None = None) -> list[str]:
    names = set(BUILTIN if builtin is None else builtin)
    try:
        from importlib.metadata import entry_points

        names.update(ep.name for ep in entry_points(group=group))
    except Exception:  # a broken third-party distribution must not break us
        pass
    return sorted(names)


def _entry_point(group: str, name: str) -> str | None:
    from importlib.metadata import entry_points

    for ep in entry_points(group=group):
        if ep.name == name:
            return ep.value
    return None


def load_object(target: str) -> Any:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)
