"""Running a request for the source: routes, the request budget, rate limits, retries, error mapping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from socialwatch.sources import (
    AuthError,
    BudgetExhausted,
    NotEntitled,
    RateLimited,
    SourceError,
    TransientError,
)
from socialwatch.sources.twitter.auth import (
    _USER_KEYS_HINT,
    _requests,
    _silence_secret_logs,
    _timeout_session,
    _tweepy,
    user_client,
)
from socialwatch.sources.twitter.ids import _hhmm, _safe
from socialwatch.sources.twitter.problems import DISABLE_HINT, ENDPOINTS, _json_body, _Malformed, _problem

MAX_BACKOFF = 30.0


class CallsMixin:
    """`TwitterSource`'s requests: route and client, budget, retries, and HTTP errors mapped to `SourceError`s."""

    # ---- clients and calls ---------------------------------------------------------------------
    def _route(self, key: str) -> tuple[Any, bool, str]:
        """(client, user_auth, route) for an endpoint: user context where needed or available."""
        route = self._route_name(key)
        if route == "user" and not self.creds.has_user:
            raise AuthError(
                f"X source {self.name}: {ENDPOINTS[key][0]} needs user-context credentials: set {_USER_KEYS_HINT}"
            )
        return self._client(route), route == "user" and self.creds.user_mode == "oauth1", route

    def _client(self, route: str) -> Any:
        if route not in self._clients:
            if route == "app":
                tweepy, requests = _tweepy(), _requests()
                _silence_secret_logs()
                client = tweepy.Client(bearer_token=self.creds.bearer_token, return_type=requests.Response)
                client.session = _timeout_session(self.options.timeout)
            else:
                client = user_client(self.creds, self.options.timeout)
            self._clients[route] = client
        return self._clients[route]

    def _call(self, key: str, request: Callable[..., Any], *, patient: bool = True, **params: Any) -> dict:
        """One API request with the retry policy; returns the JSON body or raises a SourceError.

        5xx, network errors and malformed bodies are retried `retries` times with exponential
        backoff; a 429 waits for the reset only in daemon mode and only up to
        `max_rate_limit_wait`. `patient=False` (used by `test()`) neither retries nor waits.
        """
        retries = self.options.retries if patient else 0
        attempt = waits = 0
        while True:
            self._check_budget()
            self._pending_calls += 1
            self._fetch_calls += 1
            outcome = self._attempt(key, request, params)
            if isinstance(outcome, dict):
                return outcome
            kind, error, wait = outcome
            if kind == "rate":
                if not patient or self.context.one_shot or wait is None or wait > self.options.max_rate_limit_wait:
                    raise error
                if waits >= max(1, retries):
                    raise error
                waits += 1
                self._sleep(wait)
                continue
            if kind == "fatal" or attempt >= retries:
                raise error
            self._sleep(min(MAX_BACKOFF, self._backoff * 2**attempt))
            attempt += 1

    def _attempt(self, key: str, request: Callable[..., Any], params: dict) -> dict | tuple:
        """Run the request once: the body, or ("rate"|"retry"|"fatal", error, wait seconds)."""
        tweepy, requests = _tweepy(), _requests()
        problem: tuple | None = None
        try:
            response = request(**params)
            self._note_headers(getattr(response, "headers", None))
            return _json_body(response)
        except tweepy.TooManyRequests as exc:
            self._note_headers(exc.response.headers)
            problem = self._rate_limited(key, exc.response)
        except tweepy.TwitterServerError as exc:
            problem = ("retry", self._transient(key, f"{exc.response.status_code} {_safe(exc.response.reason)}"), None)
        except tweepy.HTTPException as exc:
            self._note_headers(getattr(exc.response, "headers", None))
            problem = ("fatal", self._http_error(key, exc.response), None)
        except (requests.exceptions.Timeout, requests.exceptions.ConnectionError) as exc:
            problem = ("retry", self._transient(key, type(exc).__name__, network=True), None)
        except _Malformed:
            problem = ("retry", self._transient(key, "malformed JSON body", malformed=True), None)
        except (requests.exceptions.RequestException, tweepy.TweepyException) as exc:
            problem = ("retry", self._transient(key, type(exc).__name__), None)
        except (AttributeError, TypeError, KeyError, ValueError) as exc:
            # tweepy itself trips over some odd error bodies (e.g. a JSON list): never crash the poll
            problem = ("retry", self._transient(key, f"unexpected answer ({type(exc).__name__})"), None)
        return problem

    def _check_budget(self) -> None:
        """Optional per-fetch request budget from the poller (`context.extra["max_calls"]`)."""
        limit = self.context.extra.get("max_calls") if isinstance(self.context.extra, dict) else None
        if isinstance(limit, int) and not isinstance(limit, bool) and self._fetch_calls >= limit:
            raise BudgetExhausted(
                f"X source {self.name}: request budget for this poll spent ({limit} calls); see `max_requests_per_day`"
            )

    def _note_headers(self, headers: Any) -> None:
        try:
            value = headers.get("x-rate-limit-remaining") if headers is not None else None
            if value is not None:
                self._remaining = int(value)
        except (TypeError, ValueError, AttributeError):
            pass

    # ---- error mapping -------------------------------------------------------------------------
    def _rate_limited(self, key: str, response: Any) -> tuple:
        info = _problem(response)
        if info["type"].endswith("usage-capped") or info["title"] == "UsageCapExceeded":
            period = f", {info['period']}" if info.get("period") else ""
            error = BudgetExhausted(
                f"X source {self.name}: the X plan's usage cap is spent (429 UsageCapExceeded{period}) on "
                f"{ENDPOINTS[key][0]}: add credits or raise the cap in the X developer console"
            )
            error.short = "usage cap spent (429 UsageCapExceeded)"  # type: ignore[attr-defined]
            return ("fatal", error, None)
        reset_at = None
        try:
            reset_at = datetime.fromtimestamp(int(response.headers["x-rate-limit-reset"]), tz=UTC)
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError, OSError):
            pass
        when = f"resets at {_hhmm(reset_at)}" if reset_at else "reset time unknown"
        error = RateLimited(f"X rate limit reached for source {self.name} ({ENDPOINTS[key][0]}); {when}", reset_at)
        error.short = f"rate limited (429, {when})"  # type: ignore[attr-defined]
        self._remaining = 0
        wait = None if reset_at is None else max(0.0, reset_at.timestamp() - self._time()) + 1.0
        return ("rate", error, wait)

    def _transient(self, key: str, what: str, *, network: bool = False, malformed: bool = False) -> TransientError:
        attempts = self.options.retries + 1
        label = ENDPOINTS[key][0]
        if network:
            head = f"X API did not answer for source {self.name} ({label}: {what})"
        elif malformed:
            head = f"X API sent a malformed answer to source {self.name} ({label}: {what})"
        else:
            head = f"X API unavailable for source {self.name} ({label}: {what})"
        error = TransientError(f"{head}; gave up after {attempts} attempt(s), the next poll tries again")
        error.short = f"unavailable ({what})"  # type: ignore[attr-defined]
        return error

    def _http_error(self, key: str, response: Any) -> SourceError:
        """401, 403, 402, 400, 404 and other 4xx, from the status and the API's error titles only."""
        info = _problem(response)
        status = info["status"]
        label, path = ENDPOINTS[key]
        route = self._route_name(key)
        if status == 401:
            error: SourceError = AuthError(
                f"X source {self.name}: credentials rejected (401) on {label}: check {self.creds.keys_for(route)} "
                f"in sources.{self.name} and the environment variables they reference (expired, revoked or "
                f"mistyped token)"
            )
            error.short = "credentials rejected (401)"  # type: ignore[attr-defined]
        elif status == 403:
            error = self._forbidden(key, info)
        elif status == 402:
            error = BudgetExhausted(
                f"X source {self.name}: X refused {label} for lack of credits (402 {info['tag']}): "
                f"add credits in the X developer console"
            )
            error.short = "no credits (402)"  # type: ignore[attr-defined]
        else:
            detail = info["tag"] + (f", parameter {info['params']}" if info["params"] else "")
            error = SourceError(
                f"X source {self.name}: X rejected the {label} request ({path}: {status} {detail}); "
                f"check the source's settings (`user_id`, `search_query`)"
            )
            error.short = f"rejected ({status} {info['tag']})"  # type: ignore[attr-defined]
        return error

    def _forbidden(self, key: str, info: dict) -> NotEntitled:
        label, path = ENDPOINTS[key]
        tag = info["reason"] or (f"code {info['codes']}" if info["codes"] else "") or info["type_tail"] or info["tag"]
        not_enrolled = info["reason"] == "client-not-enrolled" or "453" in info["codes"].split(", ")
        not_enrolled = not_enrolled or info["type_tail"] == "client-forbidden"
        if not_enrolled:
            message = (
                f"X source {self.name}: the X account's plan has no access to {label} ({path}; 403 {tag}): "
                f"upgrade the plan or {DISABLE_HINT[key]} for source {self.name}"
            )
        elif info["type_tail"] == "oauth1-permissions":
            message = (
                f"X source {self.name}: the X app's permissions do not allow {label} (403 {tag}): grant them "
                f"in the developer portal and regenerate the access token, or {DISABLE_HINT[key]}"
            )
        else:
            message = (
                f"X source {self.name}: access to {label} refused (403 {tag}): check the app's permissions and "
                f"plan, or {DISABLE_HINT[key]} for source {self.name}"
            )
        error = NotEntitled(message)
        error.short = f"not entitled (403 {tag})"  # type: ignore[attr-defined]
        return error

    def _route_name(self, key: str) -> str:
        """Which credentials a call uses: user context for the account, DMs and (if any) mentions; else the app."""
        if key in ("me", "dms") or (key == "mentions" and self.creds.has_user):
            return "user"
        if key == "search" and self.creds.bearer_token:
            return "app"
        return "user" if self.creds.has_user else "app"
