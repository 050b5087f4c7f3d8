"""Running a request for the source: retries, rate limits, and praw/prawcore errors mapped to `SourceError`s."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from socialwatch import model
from socialwatch.sources import (
    AuthError,
    NotEntitled,
    RateLimited,
    SourceError,
    TransientError,
)
from socialwatch.sources.reddit.auth import _header_number, auth_detail, is_unauthorized
from socialwatch.sources.reddit.mapping import _clean
from socialwatch.sources.reddit.walk import Listing, _listing_children

#: in daemon mode a rate-limit wait up to this long is slept through; longer ones are reported
MAX_RATE_LIMIT_SLEEP = 60.0
MAX_BACKOFF = 30.0


def retry_after_seconds(headers: Any) -> float | None:
    """Seconds until Reddit's rate-limit window resets (x-ratelimit-reset, else retry-after)."""
    return _header_number(headers, "x-ratelimit-reset") or _header_number(headers, "retry-after")


def _network_cause(exc: Any) -> str:
    import requests

    original = getattr(exc, "original_exception", None)
    if isinstance(original, requests.exceptions.Timeout):
        return "the request timed out"
    if isinstance(original, requests.exceptions.ConnectionError):
        return "connection failed"
    return f"request failed: {type(original).__name__}"


def _check_api_error(data: Any) -> None:
    """Raise praw's RedditAPIException for `{"json": {"errors": [...]}}`: an API error inside HTTP 200."""
    if isinstance(data, dict) and isinstance(data.get("json"), dict) and data["json"].get("errors"):
        from praw.objector import Objector

        Objector.check_error(data)


class CallsMixin:
    """`RedditSource`'s requests: one page, retries, rate-limit waits, and errors mapped to `SourceError`s."""

    # ---- requests, retries and errors ------------------------------------------------------
    def _fetch_page(self, listing: Listing, after: str | None) -> tuple[list, str | None]:
        """One page of a listing (children, next `after`), with retries and errors mapped."""
        params: dict[str, Any] = dict(listing.params)
        params["limit"] = self._limit
        if after:
            params["after"] = after
        reddit = self._client()
        data = self._call(listing.label, lambda: reddit.request(method="GET", path=listing.path, params=params))
        return _listing_children(data, listing.label, self.name)

    def _call(self, what: str, request: Callable[[], Any]) -> Any:
        """Run one API request: wait out short rate limits (daemon), retry transient failures."""
        attempt = 0
        while True:
            self._respect_rate_limit(what)
            try:
                data = request()
                _check_api_error(data)
                return data
            except Exception as exc:  # mapped below; unknown errors are re-raised as they are
                error = self._map_error(exc, what)
                if error is None:
                    raise
            attempt += 1
            if attempt > self._retries or not self._should_retry(error, attempt):
                if isinstance(error, TransientError):
                    tries = f"gave up after {attempt} attempts" if attempt > 1 else "not retried"
                    error.args = (f"{error}; {tries}, the next poll tries again",)
                raise error from None

    def _should_retry(self, error: SourceError, attempt: int) -> bool:
        if isinstance(error, RateLimited):
            wait = self._seconds_until(error.reset_at)
            if self.context.one_shot or wait is None or wait > MAX_RATE_LIMIT_SLEEP:
                return False
            self._sleep(max(wait, 0.0))
            self._meter.remaining = None  # that window is waited out
            return True
        if isinstance(error, TransientError):
            self._sleep(min(2.0 ** (attempt - 1), MAX_BACKOFF))
            return True
        return False

    def _respect_rate_limit(self, what: str) -> None:
        """Before praw sleeps in an exhausted rate-limit window: report it (one-shot, or long) or sleep (daemon)."""
        meter = self._meter
        if meter.remaining is None or meter.remaining > 0 or meter.reset_deadline is None:
            return
        wait = meter.reset_deadline - time.monotonic()
        if wait <= 0:
            return
        if self.context.one_shot or wait > MAX_RATE_LIMIT_SLEEP:
            raise self._rate_limited(what, wait)
        self._sleep(wait)

    def _rate_limited(self, what: str, seconds: float | None) -> RateLimited:
        now = self.context.now or model.utcnow()
        reset_at = now + timedelta(seconds=seconds) if seconds is not None else None
        when = (
            f"resets in {math.ceil(seconds)} s ({model.iso(reset_at)})"
            if reset_at and seconds is not None
            else "reset time unknown"
        )
        return RateLimited(
            f"source {self.name}: Reddit's rate limit is spent while reading {what}: {when}; "
            "the next poll after that catches up",
            reset_at=reset_at,
        )

    def _seconds_until(self, reset_at: datetime | None) -> float | None:
        if reset_at is None:
            return None
        now = self.context.now or model.utcnow()
        return (reset_at - now).total_seconds()

    def _map_error(self, exc: Exception, what: str) -> SourceError | None:
        """A SourceError with a message built here (never from credentials), or None if unknown."""
        import praw.exceptions as pe
        import prawcore.exceptions as pc

        if isinstance(exc, pc.TooManyRequests):
            return self._rate_limited(what, retry_after_seconds(exc.response.headers))
        if is_unauthorized(exc):
            return self._auth_error(exc)
        if isinstance(exc, pc.InsufficientScope):
            return NotEntitled(
                f"source {self.name}: the Reddit account cannot read {what}: the token lacks the OAuth scope for it "
                f"(authorize the app again with the 'read', 'history' and 'privatemessages' scopes)"
            )
        if isinstance(exc, pc.Forbidden):
            return NotEntitled(
                f"source {self.name}: the Reddit account cannot read {what}: 403 Forbidden "
                f"(a private or banned subreddit, a suspended account, or an app without that permission)"
            )
        if isinstance(exc, (pc.NotFound, pc.Redirect)):
            return SourceError(f"source {self.name}: {what} does not exist on Reddit (check the subreddit names)")
        return self._map_transport_error(exc, what, pc, pe)

    def _map_transport_error(self, exc: Exception, what: str, pc: Any, pe: Any) -> SourceError | None:
        if isinstance(exc, pc.BadJSON):
            return TransientError(f"source {self.name}: Reddit answered {what} with a body that is not valid JSON")
        if isinstance(exc, pc.ServerError) or (
            isinstance(exc, pc.ResponseException) and exc.response.status_code >= 500
        ):
            return TransientError(
                f"source {self.name}: Reddit failed to serve {what} (HTTP {exc.response.status_code})"
            )
        if isinstance(exc, pc.RequestException):
            return TransientError(f"source {self.name}: no answer from Reddit for {what} ({_network_cause(exc)})")
        if isinstance(exc, pe.RedditAPIException):
            detail = "; ".join(_clean(item.error_message) for item in exc.items) or "no detail"
            return SourceError(f"source {self.name}: Reddit refused {what}: {detail}")
        if isinstance(exc, pc.ResponseException):
            return SourceError(f"source {self.name}: Reddit answered {what} with HTTP {exc.response.status_code}")
        if isinstance(exc, (pc.PrawcoreException, pe.PRAWException)):
            return SourceError(f"source {self.name}: reading {what} failed ({type(exc).__name__})")
        return None

    def _auth_error(self, exc: Exception) -> AuthError:
        return AuthError(
            f"source {self.name}: Reddit rejected the credentials ({auth_detail(exc)}): check "
            f"{self._credential_keys()} (an expired or revoked token or app also causes this)"
        )
