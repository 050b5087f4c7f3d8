"""Responder plugins: where replies go.

The contract (see `Responder`): a responder is built from its config table and posts a public
reply to a mention (`post_public`) or a private message to its author (`post_private`), each
with an idempotency key that the outbox derived from the mention and the text. It can also
look up whether an earlier attempt went through (`find_reply`), which `outbox reconcile` uses
to settle replies whose outcome was unknown.

Outcomes: return a `SendResult`; raise `ReplyFailed` when the platform certainly did not post
(4xx: bad credentials, rate limit, deleted or protected target: nothing to reconcile), and
`OutcomeUnknown` when the request may have reached the platform (time-out, connection reset,
5xx after sending): the outbox then records `unknown` and never retries by itself.

Built-in types are looked up by name in `BUILTIN`; third-party ones register through the
entry-point group `socialwatch.responders`. Platform libraries are imported inside the plugin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from socialwatch.errors import SocialwatchError
from socialwatch.sources import _entry_point, check_table, load_object

BUILTIN = {
    "outbox": "socialwatch.responders.outbox:OutboxResponder",
    "twitter": "socialwatch.responders.twitter:TwitterResponder",
    "reddit": "socialwatch.responders.reddit:RedditResponder",
    "bluesky": "socialwatch.responders.bluesky:BlueskyResponder",
    "mastodon": "socialwatch.responders.mastodon:MastodonResponder",
}
ENTRY_POINT_GROUP = "socialwatch.responders"
COMMON_KEYS = {"type": str, "platforms": list, "default": bool}


class ReplyFailed(SocialwatchError):
    """The platform did not post the reply (safe to retry after fixing the cause)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OutcomeUnknown(SocialwatchError):
    """The request may have been posted: reconcile before any retry."""


@dataclass
class SendResult:
    """A posted reply: its platform id and URL; `confirmed` False when the platform did not say
    (e.g. praw returning None although the reply was created)."""

    reply_id: str | None = None
    url: str | None = None
    confirmed: bool = True


@dataclass
class ResponderContext:
    name: str
    brand: dict
    config_dir: str
    data_dir: str


class Responder:
    """Base class for responder plugins."""

    type_name: ClassVar[str] = ""
    settings: ClassVar[dict[str, Any]] = {}
    required: ClassVar[tuple[str, ...]] = ()
    secrets: ClassVar[tuple[str, ...]] = ()

    def __init__(self, name: str, config: dict, context: ResponderContext) -> None:
        self.name = name
        self.config = config
        self.context = context

    @classmethod
    def check_config(cls, name: str, table: dict, path: str | None = None) -> None:
        """Validate a responder table without the network; raise ConfigError naming the key."""
        check_table(table, {**COMMON_KEYS, **cls.settings}, cls.required, f"responders.{name}", path)

    def post_public(self, mention: dict, text: str, key: str) -> SendResult:  # pragma: no cover - interface
        """Reply in the mention's thread."""
        raise NotImplementedError

    def post_private(self, mention: dict, text: str, key: str) -> SendResult:  # pragma: no cover - interface
        """Send a private message to the mention's author."""
        raise NotImplementedError

    def length_problem(self, mention: dict, text: str) -> str | None:
        """A message saying by how much `text` is over the limit for this mention, or None.

        The default counts as the mention's platform does (X weighted characters, Bluesky
        graphemes, ...); a responder that knows its server's own limit overrides it.
        """
        from socialwatch import textlimits

        return textlimits.check(mention.get("platform") or "", text)

    def length_problem_for(self, mention: dict, text: str, visibility: str) -> str | None:
        """`length_problem` for a reply with `visibility`: a private message on a platform whose
        private channel has a limit of its own (an X DM: 10,000 characters) is counted against
        that limit; anything else as `length_problem` (which a responder may override)."""
        from socialwatch import textlimits

        platform = mention.get("platform") or ""
        if textlimits.private_channel(platform, visibility):
            return textlimits.check(platform, text, visibility=visibility)
        return self.length_problem(mention, text)

    def find_reply(self, mention: dict, record: dict) -> SendResult | None:
        """An earlier attempt (the outbox `record`) that went through, or None if it did not.

        Raise OutcomeUnknown when the platform cannot tell right now.
        """
        raise OutcomeUnknown(f"responder {self.name} cannot look up earlier replies")

    def close(self) -> None:
        """Release clients and connections."""


def responder_class(type_name: str) -> type[Responder]:
    target = BUILTIN.get(type_name) or _entry_point(ENTRY_POINT_GROUP, type_name)
    if target is None:
        raise KeyError(type_name)
    return load_object(target)
