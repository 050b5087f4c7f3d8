"""The Bluesky source (`type = "bluesky"`): notifications and post search through the atproto SDK.

What it reads, each a "stream" with its own cursor entry:

- `notifications` (default on): `app.bsky.notification.listNotifications` of the brand account,
  reasons `mention`, `reply` and `quote` (kinds mention, reply and mention);
- `search` (a query, optional): `app.bsky.feed.searchPosts` with `sort = "latest"` (kind search);
  the brand account's own posts and posts containing one of the brand's `exclusions` are left out.

New notification posts are looked up with `app.bsky.feed.getPosts` (`hydrate`, 25 a call) for
their like, repost, reply and quote counts (search results carry them already), and their authors
with `app.bsky.actor.getProfiles` (`followers`) for follower counts. A post that getPosts no
longer returns (deleted, taken down, or its author blocks the account), a notification whose post
record is gone, and a `#notFoundPost` / `#blockedPost` view are skipped with a reason.

Ids. A post's rkey is unique only within its author's repository, so the native id is derived
from the whole at:// URI `at://DID/app.bsky.feed.post/RKEY` (see `native_id`):

    did:plc:ID  ->  "ID.RKEY"            bluesky:ewvi7nxzyoun6zhxrhs64oiz.3lbdjbf2cqs2k
    did:web:HOST -> "web-HOST.RKEY"      bluesky:web-brand.example.com.3lbdjbf2cqs2k
    other DIDs, or an rkey outside [A-Za-z0-9_-]: "x-" + 40 hex digits of sha256(uri)

The first two forms turn back into the URI (`post_uri`), which the responder uses; all are stable
and model-valid. Thread references use the same ids: `conversation_id` is the thread root
(the post itself for a top-level post) and `in_reply_to` the parent.

Cursors. A stream's entry is `{"indexed_at": newest indexedAt seen, "recent": [[indexedAt,
uri], ...] (the posts within OVERLAP of it), "holes": [...], "query": ...}`. A poll pages the
stream newest-first until it reaches the stored position (an item older than `indexed_at` minus
OVERLAP; the posts in `recent` are not fetched twice), so a restart or a long downtime backfills.
A first poll reaches back `context.lookback` seconds, `context.since` forces a backfill to that
time. When `max_pages` runs out first, the rest of the stretch is kept as a "hole" (the API's
pagination cursor and the position to reach) and read by the next polls, with a gap note. Only
the last batch of a stream carries the cursor, and it is the whole cursor dict.

Sessions. The login (`com.atproto.server.createSession` with the handle and an app password)
is limited by Bluesky to 30 per 5 minutes and 300 per day per account, so the session (access
and refresh tokens) is kept for reuse: in memory for the life of the process and, when a data
directory is known (`context.extra["data_dir"]`), in `DATA/sessions/bluesky-*.session` (mode
0600). The SDK refreshes a session whose access token is about to expire; when a request is still
refused as expired or unauthorised, the session is refreshed once (the SDK's refresh), else a new
one is created, and the request is tried again: a second refusal is an AuthError.

Errors: 401 (after that renewal) -> AuthError; 403 and an app password without the needed
privilege -> NotEntitled; 429 -> RateLimited with the `ratelimit-reset` time (in daemon mode a
reset within a minute is waited for); 5xx, time-outs and network errors -> retried with backoff,
then TransientError. Messages are built from the HTTP status and the XRPC error name and message
(scrubbed), never from the SDK's exception text, and never contain a credential.

The SDK (and httpx) are imported only when a client is built or an error is mapped, so reading a
configuration with a bluesky source stays fast.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import pathlib
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from socialwatch import model
from socialwatch import secrets as secret_mask
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

PLATFORM = "bluesky"
DEFAULT_SERVICE = "https://bsky.social"
POST_COLLECTION = "app.bsky.feed.post"
#: notification reason -> mention kind
REASONS = {"mention": "mention", "reply": "reply", "quote": "mention"}
#: Items indexed this long before the stored position are still looked at (late indexing, sortAt skew).
OVERLAP = timedelta(minutes=5)
RECENT_CAP = 500
MAX_HOLES = 10
LOOKUP_CHUNK = 25  # uris per getPosts call, actors per getProfiles call
MAX_RATE_LIMIT_SLEEP = 60.0
MAX_BACKOFF = 30.0

#: Mapped fields a mention can lose (with a warning) instead of being skipped.

log = logging.getLogger(__name__)

_PLC = re.compile(r"^did:plc:([a-z2-7]{24})$")
_PLC_ID = re.compile(r"^[a-z2-7]{24}$")
_WEB = re.compile(r"^did:web:([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+)$")
_RKEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_AT_URI = re.compile(r"^at://([^/?#\s]+)/([^/?#\s]+)/([^/?#\s]+)$")
_DID = re.compile(r"^did:[a-z]+:[A-Za-z0-9._:%-]{1,2000}$")
_HANDLE = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$", re.I
)
_ERROR_NAME = re.compile(r"[^A-Za-z0-9_]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_SCOPE = re.compile(r"scope|method", re.I)

_SESSIONS: dict[str, str] = {}  # in-process session cache: cache key -> SDK session string


# ---- ids and URLs ------------------------------------------------------------------------------
def split_at_uri(uri: Any) -> tuple[str, str, str] | None:
    """(did, collection, rkey) of an `at://` record URI, else None."""
    if not isinstance(uri, str):
        return None
    found = _AT_URI.match(uri)
    return (found.group(1), found.group(2), found.group(3)) if found else None


def native_id(uri: Any) -> str | None:
    """The model-valid native id of a post URI (see the module docstring), None if not a post URI."""
    parts = split_at_uri(uri)
    if parts is None or parts[1] != POST_COLLECTION:
        return None
    did, _, rkey = parts
    if _RKEY.match(rkey):
        plc = _PLC.match(did)
        if plc:
            return f"{plc.group(1)}.{rkey}"
        web = _WEB.match(did)
        if web and len(web.group(1)) <= 100:
            return f"web-{web.group(1)}.{rkey}"
    return "x-" + hashlib.sha256(uri.encode("utf-8")).hexdigest()[:40]


def post_uri(native: Any) -> str | None:
    """The at:// URI a native id (or a full "bluesky:..." id) stands for, None for a hashed one."""
    text = str(native or "")
    if text.startswith(PLATFORM + ":"):
        text = text[len(PLATFORM) + 1 :]
    head, _, rkey = text.rpartition(".")
    if not head or not _RKEY.match(rkey):
        return None
    if _PLC_ID.match(head):
        did = f"did:plc:{head}"
    elif head.startswith("web-") and _WEB.match(f"did:web:{head[4:]}"):
        did = f"did:web:{head[4:]}"
    else:
        return None
    return f"at://{did}/{POST_COLLECTION}/{rkey}"


def mention_id(uri: Any) -> str | None:
    """The full model id ("bluesky:...") of a post URI, None if it is not one."""
    native = native_id(uri)
    return model.make_id(PLATFORM, native) if native else None


def post_url(uri: Any, handle: Any = None) -> str | None:
    """`https://bsky.app/profile/HANDLE/post/RKEY` (the DID when the handle is unusable)."""
    parts = split_at_uri(uri)
    if parts is None or parts[1] != POST_COLLECTION:
        return None
    did, _, rkey = parts
    if isinstance(handle, str) and _HANDLE.match(handle) and handle.lower() != "handle.invalid":
        return f"https://bsky.app/profile/{handle}/post/{rkey}"
    return f"https://bsky.app/profile/{did}/post/{rkey}"


def is_did(value: Any) -> bool:
    return isinstance(value, str) and bool(_DID.match(value))


def is_handle(value: Any) -> bool:
    return isinstance(value, str) and bool(_HANDLE.match(value))


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _time(value: Any) -> datetime | None:
    try:
        return model.parse_time(value) if value else None
    except ValueError:
        return None


def stamp(moment: datetime) -> str:
    """A UTC time with microseconds, as stored in cursors ("2026-03-02T11:50:00.123000Z")."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _hhmm(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%H:%M UTC")


def _is_gone(view: dict) -> bool:
    """A `#notFoundPost` / `#blockedPost` view (or one flagged notFound / blocked)."""
    kind = str(view.get("$type") or "")
    return (
        kind.endswith(("#notFoundPost", "#blockedPost")) or view.get("notFound") is True or view.get("blocked") is True
    )


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


# ---- the account: a logged-in client with session reuse and renewal -------------------------------
class Account:
    """A logged-in atproto `Client` for one handle: session reuse, one renewal per request, counting.

    Every request goes through `call(what, request)`, where `request(client)` returns the SDK's
    `Response`; the answer is the JSON body (a dict). Failures raise `BlueskyError`.
    """

    def __init__(
        self,
        handle: str,
        password: str,
        *,
        service: str = DEFAULT_SERVICE,
        timeout: float = 30.0,
        cache_dir: str | pathlib.Path | None = None,
        use_cache: bool = True,
    ) -> None:
        self.handle = handle.strip().lstrip("@")
        self._password = password
        self.service = (service or DEFAULT_SERVICE).rstrip("/")
        self.timeout = timeout
        self.use_cache = use_cache
        self._cache_file = _cache_file(cache_dir, self.cache_key) if use_cache and cache_dir else None
        self.calls = 0
        self.remaining: int | None = None
        self.did: str | None = None
        self.session_handle: str | None = None
        self._tokens: tuple[str, ...] = ()
        self._client: Any = None
        self._chat: Any = None

    @property
    def cache_key(self) -> str:
        return f"{self.service}|{self.handle.lower()}"

    # ---- requests ------------------------------------------------------------------------------
    def call(self, what: str, request: Callable[[Any], Any], *, chat: bool = False) -> dict:
        """`request(client)`'s JSON body; an expired or refused session is renewed once, then retried."""
        try:
            return self._run(request, chat)
        except BlueskyError:
            raise  # the login failed: nothing to renew
        except Exception as exc:
            problem = self._describe(exc)
        if problem.kind not in ("expired", "auth"):
            raise BlueskyError(what, problem) from None
        self.renew()
        try:
            return self._run(request, chat)
        except BlueskyError:
            raise
        except Exception as exc:
            raise BlueskyError(what, self._describe(exc)) from None

    def _run(self, request: Callable[[Any], Any], chat: bool) -> dict:
        client = self.chat_client() if chat else self.client()
        response = request(client)
        body = getattr(response, "content", None)
        if not isinstance(body, dict):
            raise _Malformed()
        return body

    def _describe(self, exc: Exception) -> Problem:
        if isinstance(exc, BlueskyError):
            return exc.problem
        problem = describe(exc, self.scrub)
        if problem is None:
            raise exc
        return problem

    def scrub(self, text: str) -> str:
        """`text` without the app password, the session tokens or any registered secret."""
        for value in (self._password, *self._tokens):
            if value and len(value) >= 4 and value in text:
                text = text.replace(value, "***")
        return secret_mask.mask(text)

    # ---- the client and its session ----------------------------------------------------------
    def client(self) -> Any:
        """The logged-in client (built, and the session restored or created, on first use)."""
        if self._client is None:
            client = self._build()
            self._client = client
            try:
                self._login()
            except BaseException:
                self._client = None
                client.request.close()
                raise
        return self._client

    def chat_client(self) -> Any:
        """A clone of the client that sends the Bluesky chat proxy header (same session)."""
        if self._chat is None:
            self._chat = self.client().with_bsky_chat_proxy()
        return self._chat

    def _build(self) -> Any:
        from atproto_client import Client

        request = _tolerant_request_class()(timeout=self.timeout,
                                            event_hooks={"request": [self._count], "response": [self._note]})
        client = Client(base_url=self.service, request=request)
        client.on_session_change(self._session_changed)
        return client

    def _count(self, request: Any) -> None:
        self.calls += 1

    def _note(self, response: Any) -> None:
        try:
            value = response.headers.get("ratelimit-remaining")
            if value is not None:
                self.remaining = int(value)
        except (TypeError, ValueError, AttributeError):
            pass

    def _login(self) -> None:
        cached = self._cached() if self.use_cache else None
        if cached:
            try:
                self._client.login(session_string=cached, fetch_bsky_profile=False)
                return
            except Exception:  # an unreadable cached session: forget it and log in afresh
                self._forget()
        self._create_session()

    def _create_session(self) -> None:
        what = "the login (com.atproto.server.createSession)"
        try:
            self._client.login(self.handle, self._password, fetch_bsky_profile=False)
        except Exception as exc:
            raise BlueskyError(what, self._describe(exc), login=True) from None

    def renew(self) -> None:
        """Refresh the session once (the SDK's refresh); if refused, log in again with the app password."""
        client = self.client()
        refresh = getattr(client, "_refresh_and_set_session", None)
        if refresh is not None:
            try:
                refresh()
                return
            except Exception as exc:
                problem = self._describe(exc)
                if problem.kind not in ("expired", "auth", "rejected", "not_found"):
                    raise BlueskyError("the session refresh (com.atproto.server.refreshSession)", problem) from None
        self._forget()
        self._create_session()

    def _session_changed(self, event: Any, session: Any) -> None:
        self.did = getattr(session, "did", None)
        self.session_handle = getattr(session, "handle", None)
        self._tokens = tuple(t for t in (getattr(session, "access_jwt", ""), getattr(session, "refresh_jwt", "")) if t)
        if getattr(event, "value", "") in ("create", "refresh") and self.use_cache:
            self._remember(session.encode())

    # ---- the session cache -------------------------------------------------------------------
    def _cached(self) -> str | None:
        if self.cache_key in _SESSIONS:
            return _SESSIONS[self.cache_key]
        if self._cache_file is None:
            return None
        try:
            text = self._cache_file.read_text(encoding="utf-8").strip()
        except OSError:
            return None
        return text or None

    def _remember(self, session_string: str) -> None:
        _SESSIONS[self.cache_key] = session_string
        if self._cache_file is None:
            return
        try:
            from socialwatch.paths import ensure_private_dir
            from socialwatch.storage import atomic_write

            ensure_private_dir(self._cache_file.parent)
            atomic_write(self._cache_file, session_string.encode("utf-8"))
        except OSError as exc:
            log.warning("bluesky: could not keep the session for @%s (%s)", self.handle, type(exc).__name__)

    def _forget(self) -> None:
        _SESSIONS.pop(self.cache_key, None)
        if self._cache_file is not None:
            try:
                self._cache_file.unlink()
            except OSError:
                pass

    def close(self) -> None:
        """Close the HTTP connections (the session stays cached)."""
        for client in (self._chat, self._client):
            if client is not None:
                try:
                    client.request.close()
                except Exception:  # closing must never fail a poll or a reply
                    pass
        self._chat = self._client = None


def _cache_file(cache_dir: str | pathlib.Path, key: str) -> pathlib.Path:
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return pathlib.Path(cache_dir) / "sessions" / f"bluesky-{digest}.session"


def forget_sessions() -> None:
    """Drop the in-process session cache (tests, or after credentials changed)."""
    _SESSIONS.clear()


def _tolerant_request_class() -> type:
    """The SDK's Request, falling back to orjson when pydantic's JSON parser gives up.

    pydantic_core stops at about 200 levels of nesting, so one hostile post nested deeper would
    fail the whole page, poll after poll, and hold the cursor back. orjson parses it (up to 1024
    levels), and our mapping then skips or repairs that one item.
    """
    import orjson
    from atproto_client import request as rq

    def parse(response: Any) -> Any:
        try:
            return rq._parse_response(response)
        except ValueError:
            content_type = (response.headers.get("content-type") or "").lower()
            if "application/json" not in content_type:
                raise
            return rq.Response(success=True, status_code=response.status_code, content=orjson.loads(response.content),
                               headers=rq._convert_headers_to_dict(response.headers))

    class TolerantRequest(rq.Request):
        def get(self, *args: Any, **kwargs: Any) -> Any:
            return parse(self._send_request("GET", *args, **kwargs))

        def post(self, *args: Any, **kwargs: Any) -> Any:
            return parse(self._send_request("POST", *args, **kwargs))

    return TolerantRequest


def xrpc_query(nsid: str, params_model: str, **params: Any) -> Callable[[Any], Any]:
    """A request for `Account.call`: the query `nsid`, its params validated now by the SDK's model.

    `params_model` names the SDK's model class ("AppBskyFeedGetPosts"); invalid params raise
    ValueError here, before anything is sent. The raw JSON body is mapped by the caller, so one
    malformed item never fails a whole page.
    """
    from atproto_client import models

    built = getattr(models, params_model).Params(**params)

    def request(client: Any) -> Any:
        return client.invoke_query(nsid, params=built, output_encoding="application/json")

    return request


def xrpc_procedure(nsid: str, data_model: str, **data: Any) -> Callable[[Any], Any]:
    """A request for `Account.call`: the procedure `nsid`, its body validated now by the SDK's model."""
    from atproto_client import models

    built = getattr(models, data_model).Data(**data)

    def request(client: Any) -> Any:
        return client.invoke_procedure(
            nsid, data=built, input_encoding="application/json", output_encoding="application/json"
        )

    return request


# ---- settings ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Options:
    """The non-secret settings of a bluesky source, with their defaults."""

    handle: str = ""
    service: str = DEFAULT_SERVICE
    notifications: bool = True
    search: str | None = None
    max_pages: int = 10
    limit: int = 50
    retries: int = 3
    timeout: float = 30.0
    hydrate: bool = True
    followers: bool = True
    session_cache: bool = True

    @classmethod
    def from_table(cls, table: dict) -> Options:
        query = table.get("search")
        return cls(
            handle=str(table.get("handle") or "").strip().lstrip("@"),
            service=str(table.get("service") or DEFAULT_SERVICE).strip().rstrip("/"),
            notifications=bool(table.get("notifications", True)),
            search=query.strip() if isinstance(query, str) and query.strip() else None,
            max_pages=min(100, max(1, int(table.get("max_pages", 10)))),
            limit=min(100, max(1, int(table.get("limit", 50)))),
            retries=min(10, max(0, int(table.get("retries", 3)))),
            timeout=min(600.0, max(1.0, float(table.get("timeout", 30)))),
            hydrate=bool(table.get("hydrate", True)),
            followers=bool(table.get("followers", True)),
            session_cache=bool(table.get("session_cache", True)),
        )


RANGES = {"max_pages": (1, 100), "limit": (1, 100), "retries": (0, 10), "timeout": (1, 600)}


def config_problems(table: dict) -> list[tuple[str, str]]:
    """(key, message) for values the types alone do not catch; shared with the responder."""
    problems = []
    for key, (low, high) in RANGES.items():
        value = table.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and not low <= value <= high:
            problems.append((key, f"expected a value from {low} to {high}, got {value}"))
    handle = table.get("handle")
    if isinstance(handle, str) and not handle.startswith("$"):
        bare = handle.strip().lstrip("@")
        if not (is_handle(bare) or is_did(bare)):
            problems.append(("handle", f"not a Bluesky handle (e.g. brand.bsky.social) or DID: {handle[:60]!r}"))
    service = table.get("service")
    if isinstance(service, str) and not re.match(r"^https?://[A-Za-z0-9.-]+(:\d+)?/?$", service.strip()):
        problems.append(("service", f"expected the PDS's base URL (e.g. {DEFAULT_SERVICE}), got {service[:60]!r}"))
    return problems


def _present(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip()) and not value.strip().startswith("$")


# ---- walking a stream ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Stream:
    """One endpoint read newest-first: its cursor key, a label for messages, the list key."""

    key: str
    label: str
    items_key: str


NOTIFICATIONS = Stream("notifications", "notifications (app.bsky.notification.listNotifications)", "notifications")
SEARCH = Stream("search", "post search (app.bsky.feed.searchPosts)", "posts")
DISABLE_HINT = {"notifications": "set `notifications = false`", "search": "remove `search`"}


@dataclass(frozen=True)
class Floor:
    """Where a walk stops: items indexed before `time - overlap` are old; `recent` uris were seen."""

    time: datetime
    recent: frozenset[str] = frozenset()
    overlap: timedelta = timedelta(0)

    def verdict(self, uri: str, when: datetime) -> str:
        """ "old" (the walk has reached its end), "seen" (skip it) or "new"."""
        if when < self.time - self.overlap:
            return "old"
        return "seen" if uri in self.recent else "new"

    def as_entry(self) -> dict:
        return {"indexed_at": stamp(self.time), "recent": sorted(self.recent)[:RECENT_CAP]}


@dataclass
class Tracker:
    """The newest position a stream has reached, and the uris seen within OVERLAP of it."""

    newest: datetime
    recent: dict[str, datetime] = field(default_factory=dict)

    def see(self, uri: str, when: datetime) -> None:
        if when > self.newest:
            self.newest = when
        if when >= self.newest - OVERLAP:
            self.recent[uri] = when

    def entry(self) -> dict:
        edge = self.newest - OVERLAP
        kept = sorted(((w, u) for u, w in self.recent.items() if w >= edge), reverse=True)[:RECENT_CAP]
        return {"indexed_at": stamp(self.newest), "recent": [[stamp(w), u] for w, u in kept]}


@dataclass
class Item:
    """A list entry reduced to what the walk and the mapping need."""

    uri: str
    when: datetime
    kind: str
    record: Any
    author: dict
    post: dict | None = None  # a PostView (search results, or after getPosts)


@dataclass
class Segment:
    """One stretch to walk: from `cursor` (None: the newest) down to `floor`."""

    floor: Floor
    cursor: str | None = None
    reached: bool = False
    pages: int = 0


def _stored_entry(value: Any) -> tuple[datetime, dict[str, datetime]] | None:
    """(position, recent uris) of a stored stream entry, None if there is none usable."""
    entry = _dict(value)
    position = _time(entry.get("indexed_at"))
    if position is None:
        return None
    recent: dict[str, datetime] = {}
    for pair in _list(entry.get("recent")):
        if isinstance(pair, list) and len(pair) == 2 and isinstance(pair[1], str):
            when = _time(pair[0])
            if when is not None:
                recent[pair[1]] = when
    return position, recent


def _stored_holes(value: Any) -> list[Segment]:
    holes = []
    for hole in _list(_dict(value).get("holes")):
        hole = _dict(hole)
        when = _time(hole.get("indexed_at"))
        cursor = hole.get("cursor")
        if when is None or not isinstance(cursor, str) or not cursor:
            continue
        recent = frozenset(u for u in _list(hole.get("recent")) if isinstance(u, str))
        holes.append(Segment(Floor(when, recent, OVERLAP), cursor))
    return holes


# ---- the source --------------------------------------------------------------------------------
class BlueskySource(Source):
    """Notifications and post search of one brand account on Bluesky (atproto SDK)."""

    type_name: ClassVar[str] = "bluesky"
    platform: ClassVar[str] = PLATFORM
    settings: ClassVar[dict[str, Any]] = {
        "handle": str,
        "app_password": str,
        "service": str,
        "notifications": bool,
        "search": str,
        "max_pages": int,
        "limit": int,
        "retries": int,
        "timeout": (int, float),
        "hydrate": bool,
        "followers": bool,
        "session_cache": bool,
    }
    required: ClassVar[tuple[str, ...]] = ("handle", "app_password")
    secrets: ClassVar[tuple[str, ...]] = ("app_password",)

    def __init__(self, name: str, config: dict, context: SourceContext) -> None:
        super().__init__(name, config, context)
        self.options = Options.from_table(config)
        self._password = config.get("app_password") if isinstance(config.get("app_password"), str) else ""
        self._sleep: Callable[[float], None] = time.sleep
        self._time: Callable[[], float] = time.time
        self._backoff = 1.0
        self._account: Account | None = None
        self._counted = 0
        self._followers: dict[str, int | None] = {}
        self._now = model.utcnow()

    # ---- configuration -----------------------------------------------------------------------
    @classmethod
    def check_config(cls, name: str, table: dict, path: str | None = None) -> None:
        """Types (base class), ranges, the handle and service, and that something is read."""
        super().check_config(name, table, path)
        for key, message in config_problems(table):
            raise ConfigError(message, path=path, key=f"sources.{name}.{key}")
        query = table.get("search")
        if isinstance(query, str) and not query.strip():
            raise ConfigError("is empty: remove it or give a query", path=path, key=f"sources.{name}.search")
        if not table.get("notifications", True) and not table.get("search"):
            raise ConfigError(
                "nothing to read: notifications are off and there is no `search`",
                path=path,
                key=f"sources.{name}.notifications",
            )

    def _require_credentials(self) -> None:
        missing = [k for k, v in (("handle", self.options.handle), ("app_password", self._password)) if not _present(v)]
        if missing:
            keys = " and ".join(f"`{k}`" for k in missing)
            raise AuthError(
                f"Bluesky source {self.name}: set {keys} in sources.{self.name} (the app password as an "
                '"$ENV_VAR" reference; create one under Settings > Privacy and security > App passwords)'
            )

    def streams(self) -> list[Stream]:
        """The streams this configuration reads, in polling order."""
        out = [NOTIFICATIONS] if self.options.notifications else []
        return out + ([SEARCH] if self.options.search else [])

    def account(self) -> Account:
        if self._account is None:
            data_dir = self.context.extra.get("data_dir") if isinstance(self.context.extra, dict) else None
            self._account = Account(
                self.options.handle,
                self._password,
                service=self.options.service,
                timeout=self.options.timeout,
                cache_dir=data_dir,
                use_cache=self.options.session_cache,
            )
        return self._account

    # ---- fetch -------------------------------------------------------------------------------
    def fetch(self) -> Iterator[Batch]:
        """Walk each stream; yield its pages; the last batch of a stream carries the whole cursor.

        Credentials, rate-limit, budget and transient errors stop the poll (the other stream would
        fail the same way); another error on one stream is raised after the other was read.
        """
        self._require_credentials()
        self._now = self.context.now or model.utcnow()
        cursor = copy.deepcopy(self.cursor) if isinstance(self.cursor, dict) else {}
        errors: list[SourceError] = []
        for stream in self.streams():
            failure: SourceError | None = None
            try:
                yield from self._read(stream, cursor)
            except (AuthError, RateLimited, TransientError, BudgetExhausted) as exc:
                failure = exc
            except SourceError as exc:
                errors.append(exc)
            yield from self._settle()
            if failure is not None:
                raise failure
        if errors:
            first = errors[0]
            if len(errors) > 1:
                first.args = (f"{first} (also: {'; '.join(str(e) for e in errors[1:])})",)
            raise first

    def _settle(self) -> Iterator[Batch]:
        """A Batch carrying only the requests no batch has reported yet, if there are any."""
        if self._account is not None and self._account.calls > self._counted:
            yield self._accounted(Batch())

    def _accounted(self, batch: Batch) -> Batch:
        account = self._account
        if account is not None:
            batch.calls += account.calls - self._counted
            self._counted = account.calls
            batch.rate_limit_remaining = account.remaining
        return batch

    def _read(self, stream: Stream, cursor: dict) -> Iterator[Batch]:
        """Walk one stream (the newest stretch, then stored holes); the last batch gets the cursor."""
        stored = cursor.get(stream.key)
        if stream is SEARCH and _dict(stored).get("query") != self.options.search:
            stored = None  # a new query starts like a first poll
        tracker, top = self._start(stored)
        holes = _stored_holes(stored)
        notes: list[str] = []
        pending: Batch | None = None
        failure: SourceError | None = None
        try:
            for batch in self._walk_all(stream, tracker, top, holes, notes):
                if pending is not None:
                    yield self._accounted(pending)
                pending = batch
        except SourceError as exc:
            failure = exc
        if failure is not None:
            if pending is not None:
                yield self._accounted(pending)  # stored without a cursor: the next poll reads them again
            raise failure
        entry: dict[str, Any] = tracker.entry()
        kept = [h for h in holes if not h.reached]
        if len(kept) > MAX_HOLES:
            dropped = kept[: len(kept) - MAX_HOLES]
            kept = kept[len(kept) - MAX_HOLES :]
            edge = min(h.floor.time for h in dropped)
            notes.append(f"{stream.key}: too many unread stretches: items from before {model.iso(edge)} are given up")
        if kept:
            entry["holes"] = [{"cursor": h.cursor, **h.floor.as_entry()} for h in kept]
        if stream is SEARCH:
            entry["query"] = self.options.search
        cursor[stream.key] = entry
        final = pending or Batch()
        final.cursor = copy.deepcopy(cursor)
        final.gap = "; ".join(notes) or None
        yield self._accounted(final)

    def _start(self, stored: Any) -> tuple[Tracker, Segment]:
        """The tracker (stored position, or the look-back edge) and the newest stretch to walk."""
        found = _stored_entry(stored)
        edge = self._now - timedelta(seconds=float(self.context.lookback))
        if found is None:
            tracker = Tracker(newest=edge)
            floor = Floor(edge)
        else:
            position, recent = found
            tracker = Tracker(newest=position, recent=recent)
            floor = Floor(position, frozenset(recent), OVERLAP)
        if self.context.since is not None:
            since = model.parse_time(self.context.since)
            floor = Floor(since, frozenset(tracker.recent))
            if found is None:
                tracker.newest = since
        return tracker, Segment(floor)

    def _walk_all(
        self, stream: Stream, tracker: Tracker, top: Segment, holes: list[Segment], notes: list[str]
    ) -> Iterator[Batch]:
        yield from self._segment(stream, top, tracker, self.options.max_pages)
        if not top.reached:
            holes.append(top)
            notes.append(
                f"{stream.key}: stopped after {top.pages} page(s) (max_pages) before reaching "
                f"{model.iso(top.floor.time)}; the rest is read by the next polls"
            )
        budget = self.options.max_pages
        for hole in list(holes):
            if hole is top or budget <= 0:
                continue
            yield from self._segment(stream, hole, tracker, budget)
            budget -= hole.pages

    def _segment(self, stream: Stream, segment: Segment, tracker: Tracker, budget: int) -> Iterator[Batch]:
        """Page one stretch newest-first until its floor, the list's end or `budget` pages."""
        segment.pages = 0
        while True:
            body = self._call(stream.label, self._page_request(stream, segment))
            segment.pages += 1
            raw = body.get(stream.items_key)
            if not isinstance(raw, list):
                raise TransientError(
                    f"Bluesky sent source {self.name} an answer without {stream.items_key} ({stream.label}); "
                    "the next poll tries again"
                )
            fresh, skipped, reached = self._sort(stream, raw, segment.floor, tracker)
            mentions, more = self._map(stream, fresh)
            yield Batch(mentions=mentions, skipped=skipped + more)
            next_cursor = body.get("cursor")
            if (
                reached
                or not raw
                or not isinstance(next_cursor, str)
                or not next_cursor
                or next_cursor == segment.cursor
            ):
                segment.reached = True
                return
            segment.cursor = next_cursor
            if segment.pages >= budget:
                return

    def _page_request(self, stream: Stream, segment: Segment) -> Callable[[Any], Any]:
        paging = {"cursor": segment.cursor} if segment.cursor else {}
        limit = self.options.limit
        if stream is NOTIFICATIONS:
            return xrpc_query(
                "app.bsky.notification.listNotifications",
                "AppBskyNotificationListNotifications",
                limit=limit,
                reasons=list(REASONS),
                **paging,
            )
        since = stamp(segment.floor.time - segment.floor.overlap)
        return xrpc_query(
            "app.bsky.feed.searchPosts",
            "AppBskyFeedSearchPosts",
            q=self.options.search,
            sort="latest",
            since=since,
            limit=limit,
            **paging,
        )

    def _sort(self, stream: Stream, raw: list, floor: Floor, tracker: Tracker) -> tuple[list[Item], list[str], bool]:
        """The page's new items, skip reasons, and whether the floor was reached."""
        fresh: list[Item] = []
        skipped: list[str] = []
        reached = False
        for entry in raw:
            item = self._item(stream, entry, skipped)
            if item is None:
                continue
            verdict = floor.verdict(item.uri, item.when)
            if verdict == "old":
                reached = True
                continue
            tracker.see(item.uri, item.when)
            if verdict == "new" and self._wanted(item):
                fresh.append(item)
        return fresh, skipped, reached

    def _item(self, stream: Stream, entry: Any, skipped: list[str]) -> Item | None:
        """A list entry as an Item; None (with a reason, unless it is simply not for us) otherwise."""
        entry = _dict(entry)
        uri = entry.get("uri")
        shown = native_id(uri) or "?"
        if stream is NOTIFICATIONS:
            reason = entry.get("reason")
            if reason not in REASONS:
                return None  # likes, follows, reposts...: not mentions
            kind, post = REASONS[reason], None
        else:
            if _is_gone(entry):
                skipped.append(f"{self.name}: bluesky:{shown}: the post is deleted or blocked ({_view_name(entry)})")
                return None
            kind, post = "search", entry
        when = _time(entry.get("indexedAt"))
        if native_id(uri) is None or when is None:
            skipped.append(f"{self.name}: bluesky:{shown}: not a post with a usable uri and indexedAt")
            return None
        return Item(
            uri=uri, when=when, kind=kind, record=entry.get("record"), author=_dict(entry.get("author")), post=post
        )

    def _wanted(self, item: Item) -> bool:
        """Search results: not the brand's own posts, nor posts with one of the brand's exclusions."""
        if item.kind != "search":
            return True
        account = self._account
        if account is not None and account.did and item.author.get("did") == account.did:
            return False
        exclusions = _dict(self.context.brand).get("exclusions") or []
        if isinstance(exclusions, str):
            exclusions = [exclusions]
        text = str(_dict(item.record).get("text") or "").lower()
        return not any(str(word).strip().lower() in text for word in exclusions if str(word).strip())

    # ---- mapping -----------------------------------------------------------------------------
    def _map(self, stream: Stream, items: list[Item]) -> tuple[list[dict], list[str]]:
        """Look the new items up (posts, followers) and normalize them; skip reasons for the rest."""
        if not items:
            return [], []
        if stream is NOTIFICATIONS and self.options.hydrate:
            views = self._posts([i.uri for i in items])
            for item in items:
                item.post = views.get(item.uri)
        if self.options.followers:
            self._lookup_followers(i.author.get("did") for i in items)
        mentions: list[dict] = []
        skipped: list[str] = []
        for item in items:
            shown = native_id(item.uri)
            gone = self._gone_reason(stream, item)
            if gone:
                skipped.append(f"{self.name}: bluesky:{shown}: {gone}")
                continue
            self._keep(self.map_item(item), shown or "?", item.when, mentions, skipped)
        return mentions, skipped

    def _gone_reason(self, stream: Stream, item: Item) -> str | None:
        record = item.record
        if not isinstance(record, dict):
            return "the post record is gone (deleted?)"
        if not isinstance(record.get("text"), str):
            text = record.get("text")
            if text is None:
                return "text: missing: the post record is gone (deleted?)"
            return f"text: expected a string, got {type(text).__name__}"
        if stream is NOTIFICATIONS and self.options.hydrate and item.post is None:
            return "the post is deleted or not visible to the account (taken down, or its author blocks it)"
        if item.post is not None and _is_gone(item.post):
            return f"the post is deleted or blocked ({_view_name(item.post)})"
        return None

    def _posts(self, uris: list[str]) -> dict[str, dict]:
        """PostViews by uri (`app.bsky.feed.getPosts`, 25 a call); missing uris are not visible."""
        views: dict[str, dict] = {}
        for start in range(0, len(uris), LOOKUP_CHUNK):
            chunk = uris[start : start + LOOKUP_CHUNK]
            body = self._call(
                "post lookup (app.bsky.feed.getPosts)",
                xrpc_query("app.bsky.feed.getPosts", "AppBskyFeedGetPosts", uris=chunk),
            )
            for view in map(_dict, _list(body.get("posts"))):
                if isinstance(view.get("uri"), str):
                    views[view["uri"]] = view
        return views

    def _lookup_followers(self, dids: Iterable[Any]) -> None:
        """Follower counts of new authors (`app.bsky.actor.getProfiles`, 25 a call), kept per source."""
        wanted = sorted({d for d in dids if is_did(d) and d not in self._followers})
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[start : start + LOOKUP_CHUNK]
            body = self._call(
                "profile lookup (app.bsky.actor.getProfiles)",
                xrpc_query("app.bsky.actor.getProfiles", "AppBskyActorGetProfiles", actors=chunk),
            )
            for profile in map(_dict, _list(body.get("profiles"))):
                count = profile.get("followersCount")
                if isinstance(profile.get("did"), str):
                    self._followers[profile["did"]] = count if isinstance(count, int) and count >= 0 else None
            for did in chunk:
                self._followers.setdefault(did, None)

    def map_item(self, item: Item) -> dict:
        """An Item (a notification or search result, with its PostView if known) as a loose record."""
        record = _dict(item.record)
        author = item.author or _dict(_dict(item.post).get("author"))
        did = author.get("did")
        handle = author.get("handle")
        own = mention_id(item.uri)
        reply = _dict(record.get("reply"))
        root = mention_id(_dict(reply.get("root")).get("uri"))
        parent = mention_id(_dict(reply.get("parent")).get("uri"))
        langs = _list(record.get("langs"))
        view = item.post or {}
        return {
            "id": own,
            "kind": item.kind,
            "author": {
                "handle": handle if is_handle(handle) else None,
                "name": author.get("displayName") or None,
                "id": did if is_did(did) else None,
                "followers": self._followers.get(did) if isinstance(did, str) else None,
            },
            "text": record.get("text"),
            "url": post_url(item.uri, handle),
            "lang": langs[0] if langs and isinstance(langs[0], str) else None,
            "created_at": record.get("createdAt") or stamp(item.when),
            "conversation_id": root or (own if not reply else None),
            "in_reply_to": parent,
            "metrics": {
                "likes": view.get("likeCount"),
                "reposts": view.get("repostCount"),
                "replies": view.get("replyCount"),
                "quotes": view.get("quoteCount"),
            },
        }

    def _keep(self, record: dict, shown: str, when: datetime, mentions: list[dict], skipped: list[str]) -> None:
        """Normalize `record` into `mentions`; a bad optional field is dropped (with a warning)
        rather than losing the post; a record without a usable id or text is skipped with its reason."""
        try:
            mention, dropped = model.normalize_lenient(record, platform=PLATFORM, source=self.name, now=self._now,
                                                       created_fallback=stamp(when))
        except model.InvalidMention as exc:
            skipped.append(f"{self.name}: bluesky:{shown}: {exc.field}: {exc.reason}")
            return
        for what, why in dropped:
            log.warning("%s: bluesky:%s: %s dropped (%s)", self.name, shown, what, why)
        mentions.append(mention)

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

    # ---- test and close ----------------------------------------------------------------------
    def test(self) -> list[str]:
        """Log in and read one item of the first stream; lines saying what works."""
        self._require_credentials()
        streams = self.streams()
        stream = streams[0] if streams else NOTIFICATIONS
        request = (
            xrpc_query(
                "app.bsky.notification.listNotifications",
                "AppBskyNotificationListNotifications",
                limit=1,
                reasons=list(REASONS),
            )
            if stream is NOTIFICATIONS
            else xrpc_query(
                "app.bsky.feed.searchPosts", "AppBskyFeedSearchPosts", q=self.options.search, sort="latest", limit=1
            )
        )
        body = self._call(stream.label, request, patient=False)
        account = self.account()
        who = f"@{account.session_handle or self.options.handle}" + (f" ({account.did})" if account.did else "")
        count = len(_list(body.get(stream.items_key)))
        lines = [f"credentials accepted: logged in as {who} on {self.options.service}"]
        lines.append(f"{stream.key}: ok ({count} item(s) in the latest page)")
        lines.append("will read: " + ", ".join(s.key for s in streams))
        return lines

    def close(self) -> None:
        if self._account is not None:
            self._account.close()


# ---- module-level helpers ------------------------------------------------------------------------
def _view_name(view: dict) -> str:
    kind = str(view.get("$type") or "")
    return kind.rsplit("#", 1)[-1] if "#" in kind else ("blocked" if view.get("blocked") else "notFound")
