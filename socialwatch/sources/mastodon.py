"""The Mastodon source (`type = "mastodon"`): mentions and hashtag timelines through Mastodon.py.

What it reads, each "endpoint" with its own cursor entry:

- `notifications` (on by default): `GET /api/v1/notifications?types[]=mention` of the account the
  access token belongs to. Kind "mention", "reply" (the status answers another one) or "dm" (a
  status of visibility `direct`);
- `hashtags`: `GET /api/v1/timelines/tag/:tag` for each configured hashtag, kind "search"; boosts
  and the account's own posts are left out.

Walks and cursors. The cursor holds, per endpoint (`notifications`, `hashtag:<tag>`), the newest id
seen (`{"newest": "<id>"}`; notification ids for notifications, status ids for hashtags), or, for
an endpoint that had nothing yet, the time its walk covered up to (`{"after": "<iso time>"}`).

- First poll (no entry) and explicit backfills (`context.since`): the endpoint is walked
  newest-first (`max_id` paging) down to the look-back (`context.lookback`, or the stored `after`
  time) or to `since`. Only the last batch of that walk carries the cursor; a walk cut short by
  `max_pages` says so in `Batch.gap`.
- Later polls: the endpoint is walked *forward* from the stored id (`min_id` paging: the items
  immediately newer than it, one page after the other) until a page comes back empty. Every batch
  carries the cursor up to its newest item, so after a long downtime the backlog is caught up page
  by page (across several polls when `max_pages` stops a walk) and nothing is skipped. Hashtag
  walks start `HASHTAG_OVERLAP` before the stored status (Mastodon gives statuses it fetched late
  an id of their publication time); the store drops the duplicates.

The poller stores each batch, then its cursor; nothing is stored here.

Errors: 401 -> AuthError, 403 -> NotEntitled (the other endpoints are still read), 429 ->
RateLimited with the reset time from `X-RateLimit-Reset` (slept through in daemon mode when short),
5xx / time-outs / malformed answers -> retried with backoff, then TransientError. Mastodon.py runs
with `ratelimit_method="throw"` (it never sleeps by itself) and `version_check_mode="none"`.
Messages are built from the HTTP status and the server's cleaned `error` text, never from
Mastodon.py's exception text, and never contain the access token.

Mastodon.py (and requests) are imported only when a client is built, so reading a configuration
with a mastodon source stays fast. Helpers shared with the mastodon responder live here too.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from html import unescape
from typing import Any, ClassVar
from urllib.parse import urlsplit

from socialwatch import __version__, model, secrets
from socialwatch.errors import ConfigError
from socialwatch.sources import (
    AuthError,
    Batch,
    BudgetExhausted,
    NotEntitled,
    RateLimited,
    Source,
    SourceContext,
    SourceError,
    TransientError,
)

PLATFORM = "mastodon"
#: Statuses per page: Mastodon serves at most 40 statuses (80 notifications) per request.
PAGE_SIZE = 40
MAX_BACKOFF = 30.0
#: Hashtag walks start this long before the stored status, for statuses that arrive late.
HASHTAG_OVERLAP = timedelta(minutes=10)
#: After a walk that found nothing, the next one starts this long before the poll.
QUIET_OVERLAP = timedelta(minutes=10)
#: HTML longer than this is cut before it is converted (a status is a few KB at most).
MAX_HTML = 400_000
#: Visibilities from the most private to the most public.
VISIBILITIES = ("direct", "private", "unlisted", "public")

log = logging.getLogger(__name__)

_ID = re.compile(r"^[A-Za-z0-9]{1,64}$")
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*$")
_HASHTAG = re.compile(r"^\w{1,100}$")
_SPACES = re.compile(r"[ \t\r\n\f\v]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")
_MANY_SPACES = re.compile(r" {2,}")
_DETAIL_LIMIT = 200
#: Snowflake ids of statuses created after 2016 (ms << 16): below this an id is not time-based.
_FIRST_SNOWFLAKE_MS = 1_451_606_400_000

#: Mapped fields a mention can lose (with a warning) instead of being skipped.


# ---- HTML to text --------------------------------------------------------------------------------
_BREAK_TAGS = {"br"}
_BLOCK_TAGS = {
    "p", "div", "blockquote", "pre", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "tr", "section", "article", "header", "footer", "hr", "dl", "dt", "dd", "figure",
}  # fmt: skip
#: Elements whose content is never text to read (their raw content runs to the closing tag).
_RAW_TAGS = ("script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "template", "noscript")


def html_to_text(content: Any) -> str:
    """Plain text of a status' HTML: paragraphs and block elements as blank lines, `<br>` as
    newlines, other tags dropped (link text kept), entities unescaped, whitespace collapsed.

    A small single-pass scanner (no regex backtracking, no html.parser, whose handling of
    malformed markup is quadratic on Python 3.11): each character is looked at a bounded number of
    times, whatever the input. The content of script, style and similar elements is dropped;
    an unterminated tag or comment ends the text.
    """
    if not isinstance(content, str) or not content:
        return ""
    html = content[:MAX_HTML]
    lower = html.lower()
    out: list[str] = []
    pos, size = 0, len(html)
    while pos < size:
        lt = html.find("<", pos)
        if lt < 0:
            out.append(_text_run(html[pos:]))
            break
        out.append(_text_run(html[pos:lt]))
        pos = _markup(html, lower, lt, out)
    return _tidy("".join(out))


def _text_run(chunk: str) -> str:
    """Character data: entities unescaped, HTML whitespace collapsed to one space."""
    if not chunk:
        return ""
    return _SPACES.sub(" ", unescape(chunk))


def _markup(html: str, lower: str, lt: int, out: list[str]) -> int:
    """Handle the markup starting at `lt` (a "<"); return where the text continues."""
    nxt = html[lt + 1 : lt + 2]
    if nxt == "!" and html.startswith("<!--", lt):
        end = html.find("-->", lt + 4)
        return len(html) if end < 0 else end + 3
    if nxt in ("!", "?"):  # doctype, CDATA, processing instruction: dropped
        end = html.find(">", lt + 2)
        return len(html) if end < 0 else end + 1
    closing = nxt == "/"
    start = lt + 2 if closing else lt + 1
    name_end = start
    while name_end < len(html) and (html[name_end].isalnum() or html[name_end] in "-:"):
        name_end += 1
    if name_end == start or not html[start].isalpha():
        out.append("<")  # a lone "<" is text
        return lt + 1
    end = _tag_end(html, name_end)
    if end < 0:
        return len(html)  # an unterminated tag ends the text
    name = lower[start:name_end]
    if not closing and name in _RAW_TAGS and not html.startswith("/>", end - 1):
        close = lower.find("</" + name, end + 1)
        return len(html) if close < 0 else close
    if name in _BREAK_TAGS:
        out.append("\n")
    elif name in _BLOCK_TAGS:
        out.append("\n\n")
    return end + 1


def _tag_end(html: str, pos: int) -> int:
    """The index of the ">" closing a tag, skipping quoted attribute values; -1 if none."""
    quote = ""
    size = len(html)
    while pos < size:
        ch = html[pos]
        if quote:
            end = html.find(quote, pos)
            if end < 0:
                return -1
            quote, pos = "", end + 1
            continue
        if ch == ">":
            return pos
        if ch in "\"'":
            quote = ch
        pos += 1
    return -1


def _tidy(text: str) -> str:
    """Trim each line, keep at most one blank line in a row, trim the whole."""
    lines = [_MANY_SPACES.sub(" ", line).strip(" ") for line in text.split("\n")]
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip("\n ")


# ---- small helpers shared with the responder ---------------------------------------------------
def instance_url(value: Any) -> str:
    """The instance's base URL (`https://HOST[:PORT]`) from a configured value; ValueError says why not.

    A bare host ("mastodon.social") gets https. http is accepted for localhost only (the token
    would travel in clear). The value itself is never repeated in the message.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError('expected the instance\'s address, e.g. "https://mastodon.social"')
    text = value.strip()
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValueError('not a usable address: expected e.g. "https://mastodon.social"') from None
    if parts.scheme not in ("https", "http"):
        raise ValueError("expected an https:// address")
    if parts.username is not None or parts.password is not None:
        raise ValueError("the address must not hold a user name or password (the token goes in `access_token`)")
    host = (parts.hostname or "").lower()
    if not host or not _HOST.match(host):
        raise ValueError('not a usable host name: expected e.g. "https://mastodon.social"')
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError('expected only the instance\'s address, without a path: "https://HOST"')
    if parts.scheme == "http" and host not in ("localhost", "127.0.0.1"):
        raise ValueError("use https: the access token would travel in clear over http")
    return f"{parts.scheme}://{host}{f':{port}' if port else ''}"


def str_id(value: Any) -> str | None:
    """A Mastodon id (a string of digits, or an alphanumeric flake id elsewhere) as a string, else None."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = str(value)
    return text if _ID.match(text) else None


def id_order(value: str) -> tuple[int, str]:
    """Sort key of ids: numeric ids by value (length first), flake ids of equal length by text."""
    return (len(value), value)


def newer(a: str | None, b: str | None) -> str | None:
    """The newer of two ids (None counts as oldest)."""
    if a is None or b is None:
        return a or b
    return a if id_order(a) >= id_order(b) else b


def snowflake_time(value: Any) -> datetime | None:
    """The time encoded in a Mastodon status id (milliseconds << 16), else None."""
    text = str_id(value)
    if text is None or not text.isdigit():
        return None
    ms = int(text) >> 16
    if ms < _FIRST_SNOWFLAKE_MS or ms > 32_503_680_000_000:  # before 2016 or after year 3000
        return None
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def snowflake_at(moment: datetime) -> str:
    """The lowest status id Mastodon could give at `moment`."""
    return str(int(moment.timestamp() * 1000) << 16)


def as_time(value: Any) -> datetime | None:
    """A datetime (Mastodon.py gives aware ones) or a time string as an aware datetime, else None."""
    try:
        return model.parse_time(value) if value not in (None, "") else None
    except (ValueError, TypeError, OverflowError):
        return None


def hhmm(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%H:%M UTC")


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


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


def https_url(value: Any) -> str | None:
    """`value` when it is an http(s) URL (a status' page), else None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        scheme = urlsplit(value).scheme
    except ValueError:
        return None
    return value if scheme in ("http", "https") else None


# ---- HTTP: the metered session, the client and error classification -----------------------------
@dataclass
class Meter:
    """Counts requests and keeps the last answer (status, headers, body) of a client's session."""

    calls: int = 0
    response: Any = None
    remaining: int | None = None
    session: Any = None

    def observe(self, response: Any) -> None:
        self.response = response
        value = _header(response, "X-RateLimit-Remaining")
        try:
            self.remaining = int(value) if value is not None else self.remaining
        except ValueError:
            pass

    @property
    def status(self) -> int | None:
        return getattr(self.response, "status_code", None) if self.response is not None else None

    def close(self) -> None:
        if self.session is not None:
            try:
                self.session.close()
            except Exception:  # closing must never fail a poll or a reply
                pass
            self.session = None


def _header(response: Any, name: str) -> str | None:
    try:
        value = response.headers.get(name)
    except AttributeError:
        return None
    return value if isinstance(value, str) else None


def metered_session(meter: Meter, timeout: float) -> Any:
    """A requests Session that counts every request into `meter` and keeps its answer."""
    import requests

    class MeteredSession(requests.Session):
        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            meter.calls += 1
            meter.response = None
            kwargs.setdefault("timeout", timeout)
            response = super().request(method, url, *args, **kwargs)
            meter.observe(response)
            return response

    meter.session = MeteredSession()
    return meter.session


def build_client(instance: str, token: str | None, timeout: float, meter: Meter) -> Any:
    """A Mastodon.py client on `instance` whose requests go through `meter`'s session.

    `ratelimit_method="throw"`: Mastodon.py never sleeps on a 429 (we decide); no version checks
    (no extra requests); the token is set after construction because Mastodon.py reads a token
    that happens to name an existing file from that file.
    """
    from mastodon import Mastodon

    client = Mastodon(
        api_base_url=instance,
        ratelimit_method="throw",
        version_check_mode="none",
        request_timeout=timeout,
        session=metered_session(meter, timeout),
        user_agent=f"socialwatch/{__version__}",
    )
    client.access_token = token or None
    return client


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


# ---- settings -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Options:
    """The non-secret settings of a mastodon source, with their defaults."""

    instance: str
    notifications: bool = True
    hashtags: tuple[str, ...] = ()
    max_pages: int = 10
    limit: int = PAGE_SIZE
    retries: int = 3
    timeout: float = 30.0
    max_rate_limit_wait: float = 60.0

    @classmethod
    def from_table(cls, table: dict) -> Options:
        """Read a (validated) source table; out-of-range numbers are clamped."""
        try:
            instance = instance_url(table.get("instance"))
        except ValueError:
            instance = ""
        return cls(
            instance=instance,
            notifications=bool(table.get("notifications", True)),
            hashtags=tuple(dict.fromkeys(t for t in map(hashtag_name, table.get("hashtags") or []) if t)),
            max_pages=max(1, int(table.get("max_pages", 10))),
            limit=min(PAGE_SIZE, max(1, int(table.get("limit", PAGE_SIZE)))),
            retries=min(10, max(0, int(table.get("retries", 3)))),
            timeout=max(1.0, float(table.get("timeout", 30))),
            max_rate_limit_wait=max(0.0, float(table.get("max_rate_limit_wait", 60))),
        )


def hashtag_name(value: Any) -> str | None:
    """A configured hashtag without its "#", lower-cased; None when it is not a hashtag."""
    if not isinstance(value, str):
        return None
    name = value.strip().lstrip("#")
    return name.lower() if _HASHTAG.match(name) else None


_RANGES = {"max_pages": (1, 1000), "limit": (1, PAGE_SIZE), "retries": (0, 10), "timeout": (1, 600),
           "max_rate_limit_wait": (0, 3600)}  # fmt: skip


def _config_problems(table: dict) -> list[tuple[str, str]]:
    """(key, message) for each value a mastodon table cannot use, in the order to report them."""
    problems: list[tuple[str, str]] = []
    try:
        instance_url(table.get("instance"))
    except ValueError as exc:
        problems.append(("instance", str(exc)))
    tags = table.get("hashtags", [])
    bad = [t for t in tags if hashtag_name(t) is None]
    if bad:
        shown = str(bad[0])[:40]
        problems.append(("hashtags", f'not a hashtag: {shown!r} (letters, digits and _ only, e.g. "northwind")'))
    for key, (low, high) in _RANGES.items():
        value = table.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and not low <= value <= high:
            problems.append((key, f"expected a value from {low} to {high}, got {value}"))
    notifications = table.get("notifications", True)
    if not notifications and not tags:
        problems.append(("notifications", "nothing to read: set `notifications = true` or give `hashtags`"))
    token = table.get("access_token")
    if notifications and not (isinstance(token, str) and token.strip()):
        problems.append(
            ("access_token", 'notifications need the account\'s access token: set access_token = "$MASTODON_TOKEN"')
        )
    return problems


# ---- walks -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Endpoint:
    """One thing to read: its cursor key, a label for messages and the hashtag (None: notifications)."""

    key: str
    label: str
    tag: str | None = None


@dataclass
class Page:
    """One mapped page: mentions, skip reasons, the newest and oldest ids, whether the floor was reached."""

    mentions: list[dict] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    top: str | None = None
    bottom: str | None = None
    reached: bool = False
    size: int = 0
    has_next: bool = False


# ---- the source -----------------------------------------------------------------------------------
class MastodonSource(Source):
    """Mentions of one Mastodon account and hashtag timelines of its instance (Mastodon.py)."""

    type_name: ClassVar[str] = "mastodon"
    platform: ClassVar[str] = PLATFORM
    settings: ClassVar[dict[str, Any]] = {
        "instance": str,
        "access_token": str,
        "notifications": bool,
        "hashtags": list,
        "max_pages": int,
        "limit": int,
        "retries": int,
        "timeout": (int, float),
        "max_rate_limit_wait": (int, float),
    }
    required: ClassVar[tuple[str, ...]] = ("instance",)
    secrets: ClassVar[tuple[str, ...]] = ("access_token",)

    def __init__(self, name: str, config: dict, context: SourceContext) -> None:
        super().__init__(name, config, context)
        self.options = Options.from_table(config)
        token = config.get("access_token")
        self._token: str | None = token.strip() if isinstance(token, str) and token.strip() else None
        self._sleep: Callable[[float], None] = time.sleep
        self._meter = Meter()
        self._client: Any = None
        self._counted = 0
        self._now = context.now or model.utcnow()
        self._parents: dict[str, str | None] = {}

    # ---- configuration -----------------------------------------------------------------------
    @classmethod
    def check_config(cls, name: str, table: dict, path: str | None = None) -> None:
        """Types (base class), then the instance address, hashtags, ranges and the token."""
        super().check_config(name, table, path)
        for key, message in _config_problems(table):
            raise ConfigError(message, path=path, key=f"sources.{name}.{key}")

    def endpoints(self) -> list[Endpoint]:
        """What this configuration reads, in polling order."""
        out = [Endpoint("notifications", "mention notifications")] if self.options.notifications else []
        out += [Endpoint(f"hashtag:{tag}", f"#{tag} timeline", tag) for tag in self.options.hashtags]
        return out

    # ---- fetch -------------------------------------------------------------------------------
    def fetch(self) -> Iterator[Batch]:
        """Walk each endpoint (see the module docstring); raise the first error at the end.

        Credentials, rate-limit, budget and transient errors stop the poll at once (every endpoint
        is on the same instance with the same token); a refusal confined to one endpoint (403 on
        notifications, a 404) is raised after the others have been read.
        """
        self._now = self.context.now or model.utcnow()
        self._require_instance()
        cursor = self._start_cursor()
        errors: list[SourceError] = []
        for endpoint in self.endpoints():
            try:
                yield from self._fetch_endpoint(endpoint, cursor)
                continue
            except (AuthError, RateLimited, TransientError, BudgetExhausted) as exc:
                yield from self._settle()
                raise exc from None
            except SourceError as exc:
                errors.append(exc)
            yield from self._settle()
        if errors:
            first = errors[0]
            if len(errors) > 1:
                first.args = (f"{first.args[0]} (also: {'; '.join(str(e) for e in errors[1:])})",)
            raise first

    def _require_instance(self) -> None:
        if not self.options.instance:
            raise SourceError(f"Mastodon source {self.name}: `instance` is not a usable address (sources.{self.name})")
        if self.options.notifications and not self._token:
            raise AuthError(
                f"Mastodon source {self.name}: no access token: set `access_token` in sources.{self.name} "
                '(a "$VARIABLE" reference to the environment)'
            )

    def _start_cursor(self) -> dict:
        cursor = copy.deepcopy(self.cursor) if isinstance(self.cursor, dict) else {}
        for key in list(cursor):
            if key != "account_id" and not isinstance(cursor.get(key), dict):
                cursor.pop(key)
        return cursor

    def _fetch_endpoint(self, endpoint: Endpoint, cursor: dict) -> Iterator[Batch]:
        entry = as_dict(cursor.get(endpoint.key))
        newest = str_id(entry.get("newest"))
        if self.context.since is not None:
            yield from self._walk_back(endpoint, cursor, as_time(self.context.since) or self._now, newest)
        elif newest is not None:
            yield from self._walk_forward(endpoint, cursor, newest)
        else:
            floor = as_time(entry.get("after")) or self._now - timedelta(seconds=float(self.context.lookback))
            yield from self._walk_back(endpoint, cursor, floor, None)

    def _walk_back(self, endpoint: Endpoint, cursor: dict, floor: datetime, stored: str | None) -> Iterator[Batch]:
        """Newest-first (`max_id`) down to `floor`; only the last batch carries the cursor."""
        max_id: str | None = None
        best: str | None = None
        pages = 0
        while True:
            page = self._read(endpoint, cursor, floor=floor, max_id=max_id)
            pages += 1
            best = newer(best, page.top)
            more = page.size > 0 and not page.reached and page.bottom is not None
            more = more and (page.size >= self.options.limit or page.has_next)
            if more and pages < self.options.max_pages:
                yield self._batch(page)
                max_id = page.bottom
                continue
            newest = newer(stored, best)
            if newest is not None:
                cursor[endpoint.key] = {"newest": newest}
            else:
                cursor[endpoint.key] = {"after": model.iso(max(floor, self._now - QUIET_OVERLAP))}
            gap = self._gap(endpoint, floor, page) if more else None
            yield self._batch(page, cursor=copy.deepcopy(cursor), gap=gap)
            return

    def _walk_forward(self, endpoint: Endpoint, cursor: dict, stored: str) -> Iterator[Batch]:
        """Oldest-first (`min_id`) from the stored id until an empty page; every batch carries the cursor."""
        after = self._overlap(endpoint, stored)
        newest = stored
        pages = 0
        while True:
            page = self._read(endpoint, cursor, min_id=after)
            pages += 1
            newest = newer(newest, page.top) or stored
            cursor[endpoint.key] = {"newest": newest}
            yield self._batch(page, cursor=copy.deepcopy(cursor))
            if page.size == 0 or page.top is None or page.top == after:
                return
            if endpoint.tag is None and page.size < self.options.limit:
                return  # notifications are filtered by type on the server: a short page is the last
            if pages >= self.options.max_pages:
                log.warning(
                    "%s: %s: stopped after %d page(s) (`max_pages`); the next poll continues from %s",
                    self.name, endpoint.label, pages, newest,
                )  # fmt: skip
                return
            after = page.top

    def _overlap(self, endpoint: Endpoint, stored: str) -> str:
        """Where a forward walk starts: the stored id, minus `HASHTAG_OVERLAP` for hashtag timelines."""
        moment = snowflake_time(stored) if endpoint.tag else None
        return snowflake_at(moment - HASHTAG_OVERLAP) if moment else stored

    def _gap(self, endpoint: Endpoint, floor: datetime, page: Page) -> str:
        oldest = None
        if page.mentions:
            oldest = min((m["created_at"] for m in page.mentions), default=None)
        return (
            f"{endpoint.label}: window not covered from {model.iso(floor)} to {oldest or 'the oldest item fetched'}: "
            f"stopped after {self.options.max_pages} page(s) (`max_pages = {self.options.max_pages}`) with more "
            "items pending; raise `max_pages` or poll more often"
        )

    def _batch(self, page: Page, **extra: Any) -> Batch:
        calls, self._counted = self._meter.calls - self._counted, self._meter.calls
        return Batch(
            mentions=page.mentions,
            skipped=page.skipped,
            calls=calls,
            rate_limit_remaining=self._meter.remaining,
            **extra,
        )

    def _settle(self) -> Iterator[Batch]:
        """A Batch carrying only the requests no batch reported yet (failed attempts), if any."""
        if self._meter.calls > self._counted:
            yield self._batch(Page())

    # ---- reading and mapping ------------------------------------------------------------------
    def _read(self, endpoint: Endpoint, cursor: dict, *, floor: datetime | None = None, **ids: Any) -> Page:
        """One page of an endpoint (`max_id` or `min_id` given), mapped."""
        client = self._client_()
        params = {k: v for k, v in ids.items() if v is not None}
        if endpoint.tag is None:
            items = self._request(
                endpoint.label,
                lambda: client.notifications(types=["mention"], limit=self.options.limit, **params),
            )
            return self._map_page(endpoint, items, floor, own=None)
        own = self._own_id(cursor)
        tag = endpoint.tag
        items = self._request(endpoint.label, lambda: client.timeline_hashtag(tag, limit=self.options.limit, **params))
        return self._map_page(endpoint, items, floor, own=own)

    def _map_page(self, endpoint: Endpoint, items: Any, floor: datetime | None, own: str | None) -> Page:
        page = Page(has_next=getattr(items, "_pagination_next", None) is not None)
        raw = self._raw_page(items)
        entries = [as_dict(item) for item in (raw if raw is not None else items)] if isinstance(items, list) else []
        page.size = len(entries)
        statuses = [as_dict(e.get("status")) if endpoint.tag is None else e for e in entries]
        for status in statuses:  # parents first, so a thread's root is known whatever the order
            sid = str_id(status.get("id"))
            if sid is not None:
                self._parents[sid] = str_id(status.get("in_reply_to_id"))
        for entry, status in zip(entries, statuses, strict=True):
            self._map_entry(endpoint, entry, status, floor, own, page)
        return page

    def _raw_page(self, items: Any) -> list | None:
        """The page as the server sent it (the session keeps the last answer), when it matches.

        Mastodon.py's typed entities turn a wrong-typed value into its Python text ("['a']"
        where a string is declared); mapping from the raw JSON lets validation see the real type
        and drop or skip it instead of storing a garbled value.
        """
        import orjson

        response = self._meter.response
        try:
            raw = orjson.loads(response.content) if response is not None else None
        except (orjson.JSONDecodeError, TypeError, AttributeError):
            return None
        if isinstance(raw, list) and isinstance(items, list) and len(raw) == len(items):
            return raw
        return None

    def _map_entry(
        self, endpoint: Endpoint, entry: dict, status: dict, floor: datetime | None, own: str | None, page: Page
    ) -> None:
        """Add one notification or status to `page` (or a skip reason); track ids and the floor."""
        item_id = str_id(entry.get("id"))
        if item_id is None:
            page.skipped.append(f"{self.name}: {endpoint.label}: an item without a usable id")
            return
        page.top = newer(page.top, item_id)
        page.bottom = item_id if page.bottom is None or id_order(item_id) < id_order(page.bottom) else page.bottom
        created = as_time(entry.get("created_at")) or as_time(status.get("created_at"))
        if floor is not None and created is not None and created < floor:
            page.reached = True
            return
        if endpoint.tag is None:
            if entry.get("type") not in (None, "mention"):
                return  # servers without `types[]` filtering send every notification
            if not status:
                page.skipped.append(f"{self.name}: mastodon notification {item_id}: its status was deleted")
                return
        elif status.get("reblog") or (own is not None and str_id(as_dict(status.get("account")).get("id")) == own):
            return  # boosts and the account's own posts are not mentions to answer
        sid = str_id(status.get("id"))
        if sid is None:
            where = f"notification {item_id}" if endpoint.tag is None else f"{endpoint.label}"
            page.skipped.append(f"{self.name}: mastodon {where}: a status without a usable id")
            return
        self._keep(self.map_status(status, "search" if endpoint.tag else "mention"), sid, page)

    def map_status(self, status: dict, kind: str) -> dict:
        """A Mastodon status (as Mastodon.py returns it) as a record for `model.normalize`."""
        sid = str_id(status.get("id"))
        account = as_dict(status.get("account"))
        visibility = status.get("visibility")
        parent = str_id(status.get("in_reply_to_id"))
        if visibility == "direct":
            kind = "dm"
        elif parent is not None and kind == "mention":
            kind = "reply"
        content = status.get("content")
        # a status without HTML content is malformed: no text, so normalize skips it with a reason
        text: str | None = html_to_text(content) if isinstance(content, str) else None
        spoiler = status.get("spoiler_text")
        if isinstance(spoiler, str) and spoiler.strip() and text is not None:
            text = f"CW: {' '.join(spoiler.split())}\n\n{text}".strip()
        record: dict[str, Any] = {
            "id": sid,
            "text": text,
            "kind": kind,
            "author": _author(account),
            "url": https_url(status.get("url")) or https_url(status.get("uri")),
            "lang": status.get("language") or None,
            "created_at": status.get("created_at"),
            "conversation_id": self._root(sid) if sid else None,
            "in_reply_to": parent,
            "metrics": {
                "likes": status.get("favourites_count"),
                "reposts": status.get("reblogs_count"),
                "replies": status.get("replies_count"),
                "quotes": status.get("quotes_count"),
            },
        }
        if account.get("bot") is True:
            record["tags"] = ["bot"]
        return record

    def _root(self, sid: str) -> str:
        """The root of the reply chain when it is known (every parent seen), else the status itself."""
        node, seen = sid, {sid}
        while True:
            parent = self._parents.get(node)
            if parent is None:
                return node if node in self._parents else sid
            if parent in seen or parent not in self._parents:
                return sid
            seen.add(parent)
            node = parent

    def _keep(self, record: dict, native_id: str, page: Page) -> None:
        """Normalize a record into the page, or record why it was skipped.

        A bad optional field (a count, the author, created_at, ...) is dropped with a warning and
        the mention kept: losing a customer's message over a like count is worse. Only a record
        without a usable id or text is skipped.
        """
        moment = snowflake_time(native_id)
        try:
            mention, dropped = model.normalize_lenient(record, platform=PLATFORM, source=self.name, now=self._now,
                                                       created_fallback=model.iso(moment) if moment else None)
        except model.InvalidMention as exc:
            page.skipped.append(f"{self.name}: mastodon:{native_id}: {exc.field}: {exc.reason}")
            return
        for what, why in dropped:
            log.warning("%s: mastodon:%s: %s dropped (%s)", self.name, native_id, what, why)
        page.mentions.append(mention)

    def _own_id(self, cursor: dict) -> str | None:
        """The token's account id (to leave its own posts out of hashtags): cached in the cursor."""
        cached = str_id(cursor.get("account_id"))
        if cached or not self._token:
            return cached
        client = self._client_()
        account = as_dict(self._request("the account (verify_credentials)", client.account_verify_credentials))
        own = str_id(account.get("id"))
        if own:
            cursor["account_id"] = own
        return own

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

    # ---- test and close ------------------------------------------------------------------------
    def test(self) -> list[str]:
        """One cheap call: `account_verify_credentials` (or, without a token, one hashtag item)."""
        self._now = self.context.now or model.utcnow()
        self._require_instance()
        client = self._client_()
        reads = ", ".join(e.label for e in self.endpoints())
        if self._token:
            account = as_dict(
                self._request("the account (verify_credentials)", client.account_verify_credentials, patient=False)
            )
            acct = account.get("acct") if isinstance(account.get("acct"), str) else "?"
            lines = [f"ok: access token accepted on {self._host()} for @{acct} (id {str_id(account.get('id'))})"]
        elif not self.options.hashtags:
            raise SourceError(f"Mastodon source {self.name}: nothing to check: no access token and no `hashtags`")
        else:
            tag = self.options.hashtags[0]
            self._request(f"#{tag} timeline", lambda: client.timeline_hashtag(tag, limit=1), patient=False)
            lines = [f"ok: {self._host()} serves public hashtag timelines without a token"]
        lines.append(f"will read: {reads}")
        return lines

    def close(self) -> None:
        """Close the HTTP session."""
        self._meter.close()
        self._client = None


# ---- module-level helpers ----------------------------------------------------------------------------
def _author(account: dict) -> dict | None:
    if not account:
        return None
    name = account.get("display_name")
    return {
        "handle": account.get("acct") or account.get("username"),
        "name": name if isinstance(name, str) and name.strip() else None,
        "id": str_id(account.get("id")),
        "followers": account.get("followers_count"),
        "verified": None,
    }
