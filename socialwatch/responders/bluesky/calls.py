"""Checks before a send and refusals after one: platform, length, and Bluesky errors mapped to outcomes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from socialwatch import textlimits
from socialwatch.responders import ReplyFailed
from socialwatch.sources.bluesky import (
    PLATFORM,
    BlueskyError,
    Problem,
    _hhmm,
)


class CallsMixin:
    """`BlueskyResponder`'s checks before a send and its mapping of failures to `ReplyFailed` / `OutcomeUnknown`."""

    # ---- checks and messages -------------------------------------------------------------------
    def _check_platform(self, mention: dict) -> None:
        platform = mention.get("platform")
        if platform not in (None, PLATFORM):
            raise ReplyFailed(
                f"Bluesky responder {self.name} cannot answer {mention.get('id')}: it is a {platform} mention; "
                "map its source to another responder"
            )

    def _check_length(self, text: str, graphemes: int, max_bytes: int, what: str) -> None:
        if not text.strip():
            raise ReplyFailed(f"Bluesky responder {self.name}: the {what} is empty")
        problem = textlimits.check(PLATFORM, text, graphemes)
        if problem:
            raise ReplyFailed(f"Bluesky responder {self.name}: {problem}; nothing was sent")
        size = len(text.encode("utf-8"))
        if size > max_bytes:
            raise ReplyFailed(
                f"Bluesky responder {self.name}: the {what} is {size} bytes, over Bluesky's {max_bytes}; nothing was sent"
            )

    def _read(self, what: str, request: Callable[[Any], Any]) -> dict:
        """A lookup before posting: any failure is ReplyFailed (nothing was posted yet)."""
        try:
            return self.account().call(what, request)
        except BlueskyError as exc:
            raise self._refused("reply", exc, reading=what) from None

    def _refused(self, what: str, exc: BlueskyError, *, who: str = "", reading: str = "") -> ReplyFailed:
        """Why nothing was sent, from safe facts only (status, XRPC error name, scrubbed message)."""
        problem = exc.problem
        head = f"Bluesky responder {self.name}: "
        tail = f"; the {what} was not sent"
        if problem.kind == "rate":
            if problem.reset_at is None:
                return ReplyFailed(head + f"Bluesky rate limit reached (429){tail}")
            wait = max(0.0, problem.reset_at.timestamp() - self._time())
            return ReplyFailed(
                head + f"Bluesky rate limit reached (429){tail}: retry after {_hhmm(problem.reset_at)} "
                f"(in {int(wait + 0.999)} s)",
                retry_after=wait,
            )
        if exc.login or problem.kind in ("auth", "expired"):
            return ReplyFailed(
                head + f"Bluesky refused the login or session ({problem.detail}): check `handle` and `app_password` "
                f"in responders.{self.name} and the environment variable it references (revoked app password?){tail}"
            )
        if problem.kind == "scope":
            return ReplyFailed(
                head + f"the app password has no access to direct messages ({problem.tag}): create an app password "
                f"with 'Allow access to your direct messages' and set it in responders.{self.name}{tail}"
            )
        if what == "chat message" and problem.kind in ("rejected", "forbidden", "not_found"):
            return ReplyFailed(
                head + f"{who or 'the author'} cannot be messaged by the account ({problem.detail}): their chat "
                f"settings may not allow it, or one of the accounts blocks the other; reply publicly{tail}"
            )
        if problem.kind == "unavailable":
            where = f" while reading {reading}" if reading else ""
            return ReplyFailed(head + f"Bluesky did not answer{where} ({problem.tag}){tail}")
        if problem.kind == "forbidden":
            return ReplyFailed(head + f"Bluesky refused the {what} (403: {problem.detail}){tail}")
        return ReplyFailed(head + f"Bluesky refused the {what} ({problem.detail}){tail}")

    def _unclear(self, problem: Problem, what: str = "reply") -> str:
        return (
            f"Bluesky responder {self.name}: {problem.tag} after the {what} was sent: it may or may not be posted; "
            "`socialwatch outbox reconcile` looks it up"
            + (" by its record key, and a retry cannot post it twice" if what == "reply" else "")
        )
