"""Posting calls and their outcomes: Reddit's refusals, API errors and rate limits mapped to outcomes."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from socialwatch import model
from socialwatch.responders import OutcomeUnknown, ReplyFailed, SendResult
from socialwatch.responders.reddit.requestor import PostInDoubt
from socialwatch.sources.reddit import (
    _clean,
    _network_cause,
    auth_detail,
    credential_keys,
    is_unauthorized,
    retry_after_seconds,
)

if TYPE_CHECKING:
    import praw

_RETRY_IN = re.compile(r"(\d+)\s*(millisecond|second|minute|hour)s?", re.I)
_UNIT_SECONDS = {"millisecond": 0.001, "second": 1, "minute": 60, "hour": 3600}
#: Reddit API error codes that refuse a reply, and what they mean for the agent
API_REFUSALS = {
    "DELETED_COMMENT": "the comment you are replying to was deleted",
    "DELETED_LINK": "the post you are replying to was deleted",
    "THREAD_LOCKED": "the thread is locked: nobody can reply to it",
    "TOO_OLD": "the post is archived (too old to reply to)",
    "USER_DOESNT_EXIST": "that Reddit user does not exist (deleted or suspended account)",
    "NOT_WHITELISTED_BY_USER_MESSAGE": "the user accepts private messages only from people they approved",
    "USER_BLOCKED_MESSAGE": "the user has blocked the brand account",
    "SUBREDDIT_NOTALLOWED": "the account is not allowed to post in that subreddit",
}


class CallsMixin:
    """`RedditResponder`'s posting calls and its mapping of failures to `ReplyFailed` / `OutcomeUnknown`."""

    # ---- posting calls and their outcomes ----------------------------------------------------
    def _post(self, action: Callable[[praw.Reddit], SendResult], what: str) -> SendResult:
        """Run one posting action and map what went wrong by whether its POST left."""
        before = self._post_log.attempts
        try:
            return action(self._client())
        except Exception as exc:  # mapped below: every outcome ends as ReplyFailed or OutcomeUnknown
            sent = self._post_log.attempts > before
            raise self._post_error(exc, what, sent) from None

    def _post_error(self, exc: Exception, what: str, sent: bool) -> ReplyFailed | OutcomeUnknown:
        prefix = f"responder {self.name}"
        if isinstance(exc, PostInDoubt):
            if not exc.sent:
                return ReplyFailed(
                    f"{prefix}: could not connect to Reddit ({exc.cause}); {what} was not sent, try again"
                )
            return OutcomeUnknown(f"{prefix}: Reddit did not confirm {what} ({exc.cause}); it may have been posted")
        refusal = self._refusal(exc, what)
        if refusal is not None:
            return refusal
        if not sent:
            return ReplyFailed(f"{prefix}: {what} was not sent: {_describe(exc)}; try again")
        return OutcomeUnknown(f"{prefix}: {what} was sent but the answer could not be read ({_describe(exc)})")

    def _refusal(self, exc: Exception, what: str) -> ReplyFailed | None:
        """A ReplyFailed for a definite refusal by Reddit (nothing was posted), else None."""
        import praw.exceptions as pe
        import prawcore.exceptions as pc

        prefix = f"responder {self.name}"
        if isinstance(exc, pe.RedditAPIException):
            return self._api_refusal(exc, what)
        if isinstance(exc, pc.TooManyRequests):
            seconds = retry_after_seconds(exc.response.headers)
            return _rate_limited(f"{prefix}: Reddit's rate limit (429) refused {what}", seconds)
        if is_unauthorized(exc):
            return ReplyFailed(
                f"{prefix}: Reddit rejected the credentials ({auth_detail(exc)}): check "
                f"{credential_keys(self.config, f'responders.{self.name}')} (an expired or revoked token or app "
                f"also causes this); {what} was not posted"
            )
        if isinstance(exc, pc.InsufficientScope):
            return ReplyFailed(
                f"{prefix}: the token lacks the OAuth scope for {what} (authorize the app again with the "
                "'submit' and 'privatemessages' scopes); nothing was posted"
            )
        if isinstance(exc, pc.Forbidden):
            return ReplyFailed(
                f"{prefix}: Reddit refused {what} (403 Forbidden): the account may be banned from the subreddit, "
                "the thread locked or archived, or replying there not allowed; nothing was posted"
            )
        if isinstance(exc, pc.NotFound):
            return ReplyFailed(f"{prefix}: {what}: the thing replied to does not exist on Reddit (404)")
        if isinstance(exc, pc.ResponseException) and 400 <= exc.response.status_code < 500:
            return ReplyFailed(f"{prefix}: Reddit refused {what} (HTTP {exc.response.status_code}); nothing was posted")
        return None

    def _api_refusal(self, exc: Any, what: str) -> ReplyFailed:
        prefix = f"responder {self.name}"
        items = list(exc.items)
        for item in items:
            if item.error_type == "RATELIMIT":
                seconds = _retry_in(item.message or "")
                return _rate_limited(f"{prefix}: Reddit's rate limit (RATELIMIT) refused {what}", seconds)
        for item in items:
            meaning = API_REFUSALS.get(item.error_type)
            if meaning:
                return ReplyFailed(f"{prefix}: {what} was not posted: {meaning} ({item.error_type})")
        detail = "; ".join(f"{_clean(i.error_type)}: {_clean(i.message or '')}" for i in items) or "no detail"
        return ReplyFailed(f"{prefix}: Reddit refused {what}: {detail}")

    def _lookup_cause(self, exc: Exception) -> str:
        import prawcore.exceptions as pc

        if is_unauthorized(exc):
            return (
                f"Reddit rejected the credentials ({auth_detail(exc)}): check "
                f"{credential_keys(self.config, f'responders.{self.name}')}"
            )
        if isinstance(exc, pc.TooManyRequests):
            seconds = retry_after_seconds(exc.response.headers)
            return "rate limited (429)" + (f", try again in {int(seconds)} s" if seconds else "")
        if isinstance(exc, pc.InsufficientScope):
            return "the token lacks the 'history' or 'privatemessages' scope"
        return _describe(exc)


def _retry_in(message: str) -> float | None:
    """Seconds from Reddit's "try again in 9 minutes" / "take a break for 5 minutes"."""
    found = _RETRY_IN.search(message)
    if not found:
        return None
    return float(found.group(1)) * _UNIT_SECONDS[found.group(2).lower()]


def _rate_limited(message: str, seconds: float | None) -> ReplyFailed:
    if seconds is None:
        return ReplyFailed(f"{message}; nothing was posted, try again later")
    at = model.iso(model.utcnow() + timedelta(seconds=seconds))
    return ReplyFailed(f"{message}; nothing was posted, try again after {at} ({int(seconds)} s)", retry_after=seconds)


def _describe(exc: BaseException) -> str:
    """What went wrong, from types and status codes only."""
    import prawcore.exceptions as pc

    if isinstance(exc, pc.BadJSON):
        return "Reddit's answer was not valid JSON"
    if isinstance(exc, pc.ResponseException):
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, pc.RequestException):
        return _network_cause(exc)
    return type(exc).__name__
