"""Running a request for the source: the client, the request budget, retries, error mapping."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from socialwatch import model
from socialwatch.sources import (
    AuthError,
    BudgetExhausted,
    NotEntitled,
    RateLimited,
    SourceError,
    TransientError,
)
from socialwatch.sources.mastodon.client import build_client
from socialwatch.sources.mastodon.ids import hhmm
from socialwatch.sources.mastodon.problems import Failure, classify

MAX_BACKOFF = 30.0


class CallsMixin:
    """`MastodonSource`'s requests: the client, budget, retries, and failures mapped to `SourceError`s."""

    # ---- requests, retries and errors ---------------------------------------------------------
    def _client_(self) -> Any:
        if self._client is None:
            self._client = build_client(self.options.instance, self._token, self.options.timeout, self._meter)
        return self._client

    def _request(self, what: str, call: Callable[[], Any], *, patient: bool = True) -> Any:
        """Run one API call: retry transient failures with backoff, wait out short rate limits in
        daemon mode; raise the mapped SourceError otherwise. `patient=False` neither retries nor waits."""
        retries = self.options.retries if patient else 0
        attempt = waits = 0
        while True:
            self._check_budget()
            before = self._meter.calls
            try:
                return call()
            except Exception as exc:  # classified below; nothing of its text is kept
                failure = classify(exc, self._meter, self.context.now or model.utcnow(), (self._token,), before)
            error = self._error(what, failure)
            if failure.kind == "rate":
                wait = failure.wait
                if patient and not self.context.one_shot and wait is not None and waits < 1:
                    if wait <= self.options.max_rate_limit_wait:
                        waits += 1
                        self._sleep(wait + 1.0)
                        continue
                raise error
            if failure.retryable and attempt < retries:
                self._sleep(min(MAX_BACKOFF, 2.0**attempt))
                attempt += 1
                continue
            if failure.retryable:
                error.args = (f"{error.args[0]}; gave up after {attempt + 1} attempt(s), the next poll tries again",)
            raise error

    def _check_budget(self) -> None:
        """Optional per-fetch request budget from the poller (`context.extra["max_calls"]`)."""
        limit = self.context.extra.get("max_calls") if isinstance(self.context.extra, dict) else None
        if isinstance(limit, int) and not isinstance(limit, bool) and self._meter.calls >= limit:
            raise BudgetExhausted(
                f"Mastodon source {self.name}: request budget for this poll spent ({limit} calls); "
                "see `max_requests_per_day`"
            )

    def _error(self, what: str, failure: Failure) -> SourceError:
        """A SourceError for people, from the failure's status and the server's cleaned text only."""
        head = f"Mastodon source {self.name} ({what} on {self._host()})"
        kind = failure.kind
        if kind == "auth":
            return AuthError(
                f"{head}: the instance rejected the access token (401): check `access_token` in "
                f"sources.{self.name} and the environment variable it references (expired, revoked or mistyped)"
            )
        if kind == "forbidden":
            return NotEntitled(
                f"{head}: access refused ({failure.tag}): the token may lack the `read` scope "
                "(read:notifications, read:statuses) or the account is limited or suspended"
            )
        if kind == "rate":
            when = f"resets at {hhmm(failure.reset_at)}" if failure.reset_at else "reset time unknown"
            return RateLimited(f"{head}: rate limit reached (429); {when}", failure.reset_at)
        if kind == "not_found":
            return SourceError(f"{head}: not found ({failure.tag}): is `instance` a Mastodon server?")
        if kind in ("server", "network", "malformed"):
            return TransientError(f"{head}: the instance is unavailable or answered badly ({failure.tag})")
        if kind == "invalid":
            return SourceError(f"{head}: the request was not made ({failure.cause}): check the source's settings")
        return SourceError(f"{head}: the instance refused the request ({failure.tag})")

    def _host(self) -> str:
        return urlsplit(self.options.instance).hostname or "the instance"
