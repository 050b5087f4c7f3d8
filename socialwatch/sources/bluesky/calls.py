"""Running a request for the source: the request budget, rate limits, retries with backoff, error mapping."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from socialwatch.sources import (
    AuthError,
    BudgetExhausted,
    NotEntitled,
    RateLimited,
    SourceError,
    TransientError,
)
from socialwatch.sources.bluesky.ids import _hhmm
from socialwatch.sources.bluesky.problems import BlueskyError

MAX_RATE_LIMIT_SLEEP = 60.0
MAX_BACKOFF = 30.0


class CallsMixin:
    """`BlueskySource`'s requests: budget, rate-limit waits, retries, and errors mapped to `SourceError`s."""

    # ---- requests, retries and errors --------------------------------------------------------
    def _call(self, what: str, request: Callable[[Any], Any], *, patient: bool = True) -> dict:
        """One API request: short rate limits waited out (daemon), transient failures retried."""
        retries = self.options.retries if patient else 0
        attempt = 0
        waited = False
        while True:
            self._check_budget()
            try:
                return self.account().call(what, request)
            except BlueskyError as exc:
                error = self._error(exc)
            if isinstance(error, RateLimited):
                wait = None if error.reset_at is None else error.reset_at.timestamp() - self._time()
                if patient and not self.context.one_shot and not waited and wait is not None:
                    if wait <= MAX_RATE_LIMIT_SLEEP:
                        waited = True
                        self._sleep(max(wait, 0.0) + 1.0)
                        continue
                raise error
            if isinstance(error, TransientError) and attempt < retries:
                self._sleep(min(MAX_BACKOFF, self._backoff * 2**attempt))
                attempt += 1
                continue
            if isinstance(error, TransientError):
                tries = f"gave up after {attempt + 1} attempts" if attempt else "not retried"
                error.args = (f"{error}; {tries}, the next poll tries again",)
            raise error

    def _check_budget(self) -> None:
        """The poller's per-poll request budget (`context.extra["max_calls"]`, from max_requests_per_day)."""
        limit = self.context.extra.get("max_calls") if isinstance(self.context.extra, dict) else None
        used = self._account.calls if self._account is not None else 0
        if isinstance(limit, int) and not isinstance(limit, bool) and used >= limit:
            raise BudgetExhausted(
                f"Bluesky source {self.name}: request budget for this poll spent ({limit} calls); "
                "see `max_requests_per_day`"
            )

    def _error(self, exc: BlueskyError) -> SourceError:
        """The SourceError for a failed request, its message built from safe facts only."""
        problem, what, head = exc.problem, exc.what, f"Bluesky source {self.name}"
        if problem.kind == "rate":
            when = f"resets at {_hhmm(problem.reset_at)}" if problem.reset_at else "reset time unknown"
            extra = " (logins are limited to 30 per 5 minutes and 300 per day)" if exc.login else ""
            return RateLimited(
                f"Bluesky rate limit reached for source {self.name} ({what}){extra}; {when}", problem.reset_at
            )
        if exc.login and problem.kind in ("auth", "expired", "rejected", "forbidden", "not_found", "scope"):
            hint = ""
            if problem.error == "AuthFactorTokenRequired":
                hint = " (the account asks for an email code: use an app password, not the account password)"
            return AuthError(
                f"{head}: the login as @{self.options.handle} was refused ({problem.detail}){hint}: check `handle` "
                f"and `app_password` in sources.{self.name} and the environment variable it references "
                "(a revoked or mistyped app password also causes this)"
            )
        if problem.kind in ("auth", "expired"):
            return AuthError(
                f"{head}: Bluesky refused the session on {what} even after renewing it ({problem.tag}): check "
                f"`app_password` in sources.{self.name} (revoked?) and the account's state"
            )
        if problem.kind in ("scope", "forbidden"):
            return NotEntitled(
                f"{head}: access to {what} refused ({problem.detail}): check the account's state (suspended, "
                "deactivated) and the app password's privileges"
            )
        if problem.kind == "unavailable":
            verb = "did not answer" if not problem.status else "is unavailable"
            return TransientError(f"Bluesky {verb} for source {self.name} ({what}: {problem.tag})")
        if problem.kind == "malformed":
            return TransientError(f"Bluesky sent a malformed answer to source {self.name} ({what})")
        return SourceError(
            f"{head}: Bluesky rejected {what} ({problem.detail}); check the source's settings (`handle`, `search`)"
        )
