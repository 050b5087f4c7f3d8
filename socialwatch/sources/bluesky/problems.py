"""What went wrong with a Bluesky request, reduced to safe facts (`Problem`), from SDK and httpx errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from socialwatch import secrets as secret_mask

_ERROR_NAME = re.compile(r"[^A-Za-z0-9_]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_SCOPE = re.compile(r"scope|method", re.I)


# ---- problems: what went wrong with a request, reduced to safe facts -----------------------------
@dataclass
class Problem:
    """A failed request: a kind the callers map, and safe details (no credential ever).

    kinds: expired, auth, scope (the app password lacks a privilege), forbidden, rate,
    unavailable (5xx, time-out, network), not_found, rejected (other 4xx), malformed.
    """

    kind: str
    status: int | None = None
    error: str = ""
    message: str = ""
    reset_at: datetime | None = None
    timeout: bool = False
    never_sent: bool = False  # the connection was never made: the request certainly did not arrive

    @property
    def tag(self) -> str:
        """A short label: "400 ExpiredToken", "503", "time-out", "connection failed"."""
        if self.status:
            return " ".join(str(p) for p in (self.status, self.error) if p)
        if self.timeout:
            return "time-out"
        if self.kind == "malformed":
            return "malformed answer"
        return self.error or "connection failed"

    @property
    def detail(self) -> str:
        """The tag, plus the server's message when it says more."""
        return f"{self.tag}: {self.message}" if self.message else self.tag


class BlueskyError(Exception):
    """A request to Bluesky failed: `problem` says how; `login` is True when logging in failed."""

    def __init__(self, what: str, problem: Problem, *, login: bool = False) -> None:
        super().__init__(f"{what}: {problem.tag}")
        self.what = what
        self.problem = problem
        self.login = login


class _Malformed(Exception):
    """The answer is not a JSON object."""


def describe(exc: BaseException, scrub: Callable[[str], str] = secret_mask.mask) -> Problem | None:
    """The Problem an SDK / httpx exception stands for, None for anything else (a bug: re-raise)."""
    import httpx
    from atproto_client import exceptions as ex
    from atproto_core.exceptions import AtProtocolError
    from atproto_server.exceptions import InvalidTokenError

    if isinstance(exc, _Malformed | ex.ModelError | ValueError):
        return Problem("malformed")
    if isinstance(exc, ex.LoginRequiredError | InvalidTokenError):
        return Problem("auth", error="LoginRequired")
    if isinstance(exc, ex.RequestErrorBase):
        if exc.response is not None:
            return _from_response(exc.response, scrub)
        cause = exc.__cause__
        never = isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout)
        return Problem(
            "unavailable",
            timeout=isinstance(exc, ex.InvokeTimeoutError),
            never_sent=never,
            error="connection failed" if never else type(cause).__name__ if cause else "",
        )
    if isinstance(exc, httpx.TimeoutException):
        return Problem("unavailable", timeout=True)
    if isinstance(exc, httpx.HTTPError):
        return Problem("unavailable", error=type(exc).__name__)
    if isinstance(exc, AtProtocolError):
        return Problem("malformed")
    return None


def _from_response(response: Any, scrub: Callable[[str], str]) -> Problem:
    status = int(getattr(response, "status_code", 0) or 0)
    content = getattr(response, "content", None)
    error = getattr(content, "error", None) if not isinstance(content, dict) else content.get("error")
    message = getattr(content, "message", None) if not isinstance(content, dict) else content.get("message")
    error = _ERROR_NAME.sub("", str(error or ""))[:60]
    message = scrub(_CONTROL.sub(" ", str(message or "")).strip()[:200])
    problem = Problem("rejected", status=status, error=error, message=message)
    if status == 429:
        problem.kind = "rate"
        problem.reset_at = _reset_at(getattr(response, "headers", None))
    elif error == "ExpiredToken":
        problem.kind = "expired"
    elif error == "InvalidToken" and _SCOPE.search(message):
        problem.kind = "scope"
    elif status == 401 or error in ("InvalidToken", "AuthMissing", "AuthenticationRequired"):
        problem.kind = "auth"
    elif status == 403:
        problem.kind = "forbidden"
    elif status >= 500:
        problem.kind = "unavailable"
    elif status == 404 or error in ("RecordNotFound", "NotFound"):
        problem.kind = "not_found"
    return problem


def _reset_at(headers: Any) -> datetime | None:
    """The `ratelimit-reset` header (epoch seconds) as a UTC time."""
    try:
        value = headers.get("ratelimit-reset") if headers is not None else None
        return datetime.fromtimestamp(int(value), tz=UTC) if value is not None else None
    except (TypeError, ValueError, OverflowError, OSError, AttributeError):
        return None
