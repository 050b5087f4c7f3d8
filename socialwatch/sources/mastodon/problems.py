"""What went wrong with a request, reduced to safe facts (`Failure`), and the rate-limit reset."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from socialwatch import secrets
from socialwatch.sources.mastodon.client import Meter, _header
from socialwatch.sources.mastodon.ids import as_dict, as_time

_DETAIL_LIMIT = 200


def clean_detail(text: Any, hide: tuple[str | None, ...] = ()) -> str:
    """A server's error text made safe to show: printable, one line, bounded, no secret in it."""
    if not isinstance(text, str) or not text.strip():
        return ""
    text = "".join(ch if ch.isprintable() else " " for ch in text[: _DETAIL_LIMIT * 4])
    text = " ".join(text.split())[:_DETAIL_LIMIT]
    for value in hide:
        if value and len(value) >= 4 and value in text:
            text = text.replace(value, "***")
    return secrets.mask(text)


@dataclass
class Failure:
    """What went wrong with a request, from its HTTP status and nothing of the exception's text.

    `kind`: auth (401), forbidden (403), not_found (404/410), rate (429), server (5xx), network
    (no answer), malformed (an answer that cannot be read), refused (other 4xx), invalid (a
    request Mastodon.py refused to make).
    """

    kind: str
    status: int | None = None
    detail: str = ""
    reset_at: datetime | None = None
    wait: float | None = None
    never_sent: bool = False
    cause: str = ""

    @property
    def retryable(self) -> bool:
        return self.kind in ("server", "network", "malformed")

    @property
    def tag(self) -> str:
        """The status or cause, with the server's text: `503`, `403: <text>`, `timed out`."""
        head = self.cause or (str(self.status) if self.status else self.kind)
        return f"{head}: {self.detail}" if self.detail else head


def classify(
    exc: BaseException,
    meter: Meter,
    now: datetime,
    hide: tuple[str | None, ...] = (),
    calls_before: int | None = None,
) -> Failure:
    """Map an exception of a Mastodon.py call (and the last answer the meter saw) to a Failure.

    With `calls_before` (the meter's count before the call), an exception raised before any
    request left (Mastodon.py refusing an argument) is "invalid" and certainly never sent.
    """
    from mastodon import errors as me

    if calls_before is not None and meter.calls == calls_before:
        return Failure("invalid", None, "", never_sent=True, cause=type(exc).__name__)
    status = meter.status
    if isinstance(exc, me.MastodonNetworkError):
        return _network_failure(exc)
    if isinstance(exc, me.MastodonRatelimitError):
        if status == 429:
            reset_at, wait = rate_reset(meter.response, now)
            return Failure("rate", 429, _server_error(meter, hide), reset_at, wait)
        return Failure("malformed", status, "unreadable rate-limit headers", cause="unreadable rate-limit headers")
    if isinstance(exc, me.MastodonIllegalArgumentError | me.MastodonVersionError):
        return Failure("invalid", None, "", never_sent=True, cause=type(exc).__name__)
    if isinstance(exc, me.MastodonAPIError):
        if status is None:
            code = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else None
            status = code
        return _status_failure(status, _server_error(meter, hide))
    # Mastodon.py trips over some odd answers (a list where an object belongs, ...): the request was served
    return Failure("malformed", status, "", cause=f"unexpected answer ({type(exc).__name__})")


def _status_failure(status: int | None, detail: str) -> Failure:
    if status is None or 200 <= status < 300:
        return Failure("malformed", status, "", cause="malformed answer")
    kinds = {401: "auth", 403: "forbidden", 404: "not_found", 410: "not_found", 429: "rate"}
    if status in kinds:
        return Failure(kinds[status], status, detail)
    return Failure("server" if status >= 500 else "refused", status, detail)


def _network_failure(exc: BaseException) -> Failure:
    """No answer: a time-out or a dropped connection (maybe after sending), or no connection at all."""
    import requests

    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, requests.exceptions.Timeout):
        sent = not isinstance(cause, requests.exceptions.ConnectTimeout)
        return Failure("network", None, "", never_sent=not sent, cause="timed out")
    never = _never_sent(cause)
    return Failure("network", None, "", never_sent=never, cause="no connection" if never else "connection failed")


def _never_sent(cause: BaseException | None) -> bool:
    """The request certainly did not leave: the connection was never made (DNS, refused)."""
    import requests

    if not isinstance(cause, requests.exceptions.ConnectionError):
        return False
    from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

    reason = cause.args[0] if cause.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, NewConnectionError | ConnectTimeoutError)


def _server_error(meter: Meter, hide: tuple[str | None, ...]) -> str:
    """The `error` text of a Mastodon error body ({"error": "..."}), cleaned; "" if none."""
    response = meter.response
    content = getattr(response, "content", b"") or b""
    if not content or len(content) > 65_536:
        return ""
    try:
        body = json.loads(content)
    except (ValueError, TypeError):
        return ""
    return clean_detail(as_dict(body).get("error"), hide)


def rate_reset(response: Any, now: datetime) -> tuple[datetime | None, float | None]:
    """(reset time, seconds to wait) from `X-RateLimit-Reset` (an ISO time on Mastodon, epoch
    seconds elsewhere), measured against the answer's `Date` so a skewed clock does not matter."""
    value = _header(response, "X-RateLimit-Reset")
    if not value:
        return None, None
    reset: datetime | None
    if value.strip().isdigit():
        number = int(value.strip())
        reset = datetime.fromtimestamp(number, tz=UTC) if number > 1_000_000_000 else now + timedelta(seconds=number)
    else:
        reset = as_time(value)
    if reset is None:
        return None, None
    server_now = now
    date = _header(response, "Date")
    if date:
        try:
            server_now = parsedate_to_datetime(date)
        except (TypeError, ValueError, IndexError):
            server_now = now
        if server_now.tzinfo is None:
            server_now = server_now.replace(tzinfo=UTC)
    wait = max(0.0, (reset - server_now).total_seconds())
    return now + timedelta(seconds=wait), wait
