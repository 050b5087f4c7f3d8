"""The `reddit` source: inbox mentions, replies and messages, keyword search, own subreddits (praw 8).

What it reads (each a "listing", walked newest-first, one `Batch` per listing page):

- inbox listings (`inbox`): `mentions` (username mentions, kind "mention"), `comment_replies`
  and `submission_replies` (kind "reply"), `messages` (private messages, kind "dm"; threads are
  flattened), and on request `unread` / `inbox` (kind taken from each item);
- `search`: the query in each of `subreddits` (default r/all), `sort=new` (kind "search");
- `own_subreddits`: new posts and new comments of the brand's subreddits (kind "search").

Cursors: one entry per listing, `{"newest": "<fullname>", "created_utc": <float>}`, under keys
`mentions`, `comment_replies`, `submission_replies`, `messages`, `unread`, `inbox`,
`search:<sub>`, `new:<sub>`, `comments:<sub>`. A poll pages each listing with `after` from the
top until it meets the stored fullname or an item older than the stored time, so a restart or a
long downtime backfills (streams with `skip_existing` would drop that window). Without a cursor a
poll reaches back `context.lookback` seconds (or to `context.since`, which also forces a
backfill when a cursor exists). Only the last batch of a listing carries a cursor, and it is the
whole cursor dict with that listing's entry updated.

Pages are read through the praw client's own request path (`Reddit.request`: OAuth, token
refresh, praw's rate limiter, prawcore's exceptions) and mapped from the listing JSON, so one
malformed child is skipped with its reason instead of failing the page in praw's objector.

Inbox items are never marked read while fetching (`mark=false`); with `mark_read = true` the
poller calls `after_stored(batch)` after storing a batch, which marks that batch's unread inbox
items read.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from socialwatch import __version__, model
from socialwatch.errors import ConfigError
from socialwatch.sources import (
    AuthError,
    Batch,
    NotEntitled,
    RateLimited,
    Source,
    SourceContext,
    SourceError,
    TransientError,
)

if TYPE_CHECKING:
    import praw

REDDIT_URL = "https://www.reddit.com"
#: inbox listing name -> (praw API_PATH key, kind forced on its items or None to read `type`)
INBOX_LISTINGS: dict[str, tuple[str, str | None]] = {
    "mentions": ("mentions", "mention"),
    "comment_replies": ("comment_replies", "reply"),
    "submission_replies": ("submission_replies", "reply"),
    "messages": ("messages", "dm"),
    "unread": ("unread", None),
    "inbox": ("inbox", None),
}
DEFAULT_INBOX = ["mentions", "comment_replies", "submission_replies", "messages"]
#: Reddit serves at most about this many items of a listing, whatever the paging
LISTING_CAP = 1000
#: in daemon mode a rate-limit wait up to this long is slept through; longer ones are reported
MAX_RATE_LIMIT_SLEEP = 60.0
MAX_BACKOFF = 30.0
MARK_READ_CHUNK = 25  # Reddit's limit of ids per /api/read_message/ call

_FULLNAME = re.compile(r"^t[134]_[0-9a-z]{1,16}$")
_SUBREDDIT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]{1,20}$")
_COMMENTS_PATH = re.compile(r"/comments/([0-9a-z]+)/")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_ITEM_KINDS = {"t1": "comment", "t3": "post", "t4": "message"}
_INBOX_TYPES = {"username_mention": "mention", "comment_reply": "reply", "post_reply": "reply"}


class MarkReadFailed(SourceError):
    """Stored inbox items could not be marked read: nothing is lost, the source is degraded."""

    state = "degraded"


# ---- small value types -------------------------------------------------------------------------
@dataclass(frozen=True)
class Listing:
    """One listing to walk: its cursor key, a label for messages, the API path and parameters."""

    key: str
    label: str
    path: str
    params: tuple[tuple[str, Any], ...] = ()
    kind: str | None = None  # forced kind; None: from the item (t4 -> dm, inbox `type`)
    inbox: bool = False  # items may be marked read after they are stored
    threaded: bool = False  # /message/messages: children carry their replies


@dataclass(frozen=True)
class Window:
    """Which items of a listing are new: after a cursor (fullname + time) or since a floor time."""

    since: float
    newest: str | None = None  # set when walking back to a stored cursor

    def is_new(self, name: str, created: float) -> bool:
        if self.newest is None:
            return created >= self.since
        return created > self.since or (created == self.since and name != self.newest)

    def reached(self, name: str, created: float) -> bool:
        """True for the stored cursor item or anything older: the walk stops there."""
        return name == self.newest or created < self.since


@dataclass
class Meter:
    """What the hooked requestor saw: requests made and the last rate-limit headers."""

    calls: int = 0
    remaining: int | None = None
    reset_deadline: float | None = None  # time.monotonic() when the rate-limit window resets
    requestor: Any = None

    def observe(self, headers: Any) -> None:
        remaining = _header_number(headers, "x-ratelimit-remaining")
        reset = _header_number(headers, "x-ratelimit-reset")
        if remaining is not None:
            self.remaining = int(remaining)
        if reset is not None:
            self.reset_deadline = time.monotonic() + reset


@dataclass
class Item:
    """A listing child reduced to what the walk needs, or the reason it cannot be used."""

    kind: str
    data: dict
    name: str
    created: float | None
    error: model.InvalidMention | None = None


def _header_number(headers: Any, name: str) -> float | None:
    try:
        value = headers.get(name)
        return float(value) if value is not None else None
    except (TypeError, ValueError, AttributeError):
        return None


@lru_cache(maxsize=1)
def _metered_requestor_class() -> type:
    """A prawcore Requestor that counts every HTTP request (token requests included)."""
    from prawcore import Requestor

    class MeteredRequestor(Requestor):
        def __init__(self, *args: Any, meter: Meter, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._meter = meter
            meter.requestor = self

        def request(self, *args: Any, **kwargs: Any) -> Any:
            self._meter.calls += 1
            response = super().request(*args, **kwargs)
            self._meter.observe(response.headers)
            return response

    return MeteredRequestor


# ---- the source --------------------------------------------------------------------------------
class RedditSource(Source):
    """Mentions, replies, private messages and searches on Reddit through praw."""

    type_name = "reddit"
    platform = "reddit"
    settings = {
        "client_id": str,
        "client_secret": str,
        "username": str,
        "password": str,
        "refresh_token": str,
        "user_agent": str,
        "inbox": list,
        "search": str,
        "subreddits": list,
        "own_subreddits": list,
        "mark_read": bool,
        "limit": int,
        "retries": int,
    }
    required = ("client_id",)
    secrets = ("client_secret", "password", "refresh_token")

    def __init__(self, name: str, config: dict, context: SourceContext) -> None:
        super().__init__(name, config, context)
        self._sleep: Callable[[float], None] = time.sleep
        self._meter = Meter()
        self._reddit: praw.Reddit | None = None
        self._counted = 0  # meter.calls already reported in a batch
        self._unread: set[str] = set()  # inbox fullnames fetched while unread, to mark after storing
        self._mark_errors: list[SourceError] = []  # after_stored() failures, raised at the end of fetch()

    # ---- configuration ---------------------------------------------------------------------
    @classmethod
    def check_config(cls, name: str, table: dict, path: str | None = None) -> None:
        """Types (base class), then values: listings, subreddit names, ranges, an auth mode."""
        super().check_config(name, table, path)

        def fail(key: str, message: str) -> ConfigError:
            return ConfigError(message, path=path, key=f"sources.{name}.{key}")

        for key in ("inbox", "subreddits", "own_subreddits"):
            values = table.get(key, [])
            if not all(isinstance(v, str) for v in values):
                raise fail(key, "expected a list of strings")
        unknown = [v for v in table.get("inbox", []) if v not in INBOX_LISTINGS]
        if unknown:
            raise fail("inbox", f"unknown listing {unknown[0]!r} (use {', '.join(INBOX_LISTINGS)})")
        for key in ("subreddits", "own_subreddits"):
            bad = [v for v in table.get(key, []) if not _SUBREDDIT.match(_sub_name(v))]
            if bad:
                raise fail(key, f"not a subreddit name: {bad[0][:40]!r}")
        if not 1 <= table.get("limit", 100) <= 100:
            raise fail("limit", "must be between 1 and 100 (Reddit's page size)")
        if not 0 <= table.get("retries", 3) <= 10:
            raise fail("retries", "must be between 0 and 10")
        if "search" in table and not table["search"].strip():
            raise fail("search", "is empty: remove it or give a query")
        cls._check_auth(table, fail)

    @staticmethod
    def _check_auth(table: dict, fail: Callable[[str, str], ConfigError]) -> None:
        has_user = bool(table.get("refresh_token")) or bool(table.get("username") and table.get("password"))
        if table.get("password") and not table.get("username"):
            raise fail("username", "password is set but username is not (script auth needs both)")
        if not table.get("client_secret") and not table.get("refresh_token"):
            raise fail("client_secret", "missing (only an installed app with a refresh_token can do without)")
        inbox = table.get("inbox", DEFAULT_INBOX)
        if inbox and not has_user:
            raise fail(
                "inbox", "reading the inbox needs username + password or refresh_token; set inbox = [] to search only"
            )
        if "subreddits" in table and "search" not in table:
            raise fail("subreddits", "only used with search (own_subreddits reads every new post and comment)")
        if not inbox and "search" not in table and not table.get("own_subreddits"):
            raise fail("inbox", "nothing to read: no inbox listings, no search and no own_subreddits")

    @property
    def _limit(self) -> int:
        return int(self.config.get("limit", 100))

    @property
    def _retries(self) -> int:
        return int(self.config.get("retries", 3))

    @property
    def _auth_mode(self) -> str:
        return auth_mode(self.config)

    def _credential_keys(self) -> str:
        return credential_keys(self.config, f"sources.{self.name}")

    def listings(self) -> list[Listing]:
        """The listings this configuration reads, in polling order."""
        from praw.endpoints import API_PATH

        out: list[Listing] = []
        for name in self.config.get("inbox", DEFAULT_INBOX):
            api_key, kind = INBOX_LISTINGS[name]
            label = f"inbox {name.replace('_', ' ')}"
            out.append(
                Listing(name, label, API_PATH[api_key], (("mark", False),), kind, True, threaded=name == "messages")
            )
        query = self.config.get("search")
        if query:
            for sub in self.config.get("subreddits", ["all"]):
                sub = _sub_name(sub)
                params = (("q", query), ("sort", "new"), ("t", "all"), ("restrict_sr", sub.lower() != "all"))
                out.append(Listing(f"search:{sub.lower()}", f"search in r/{sub}", f"r/{sub}/search/", params, "search"))
        for sub in self.config.get("own_subreddits", []):
            sub = _sub_name(sub)
            out.append(Listing(f"new:{sub.lower()}", f"new posts of r/{sub}", f"r/{sub}/new", (), "search"))
            out.append(
                Listing(f"comments:{sub.lower()}", f"new comments of r/{sub}", f"r/{sub}/comments/", (), "search")
            )
        return out

    # ---- the client ------------------------------------------------------------------------
    def _client(self) -> praw.Reddit:
        """The praw client, built once; every setting is passed so praw.ini and praw_* variables cannot leak in."""
        if self._reddit is None:
            self._reddit = build_reddit(self.config, _metered_requestor_class(), {"meter": self._meter})
        return self._reddit

    def close(self) -> None:
        if self._meter.requestor is not None:
            self._meter.requestor.close()
        self._reddit = None

    # ---- fetch -----------------------------------------------------------------------------
    def fetch(self) -> Iterator[Batch]:
        """Walk every listing; yield one Batch per page; raise the first listing error at the end.

        Credentials, rate-limit and transient errors stop the poll at once (the other listings
        would fail the same way); an error confined to one listing (403 on messages, a missing
        subreddit, an API error) is raised after the other listings have been read, and so is a
        failure to mark stored items read. Requests no page accounted for (failed attempts, the
        marking after the last page) are reported in a last Batch without mentions or cursor.
        """
        now = self.context.now or model.utcnow()
        cursor = dict(self.cursor or {})
        errors: list[SourceError] = []
        for listing in self.listings():
            failure: SourceError | None = None
            try:
                yield from self._walk(listing, cursor, now)
            except (AuthError, RateLimited, TransientError) as exc:
                failure = exc
            except SourceError as exc:
                errors.append(exc)
            if failure is not None:
                yield from self._settle()
                raise failure
        yield from self._settle()  # the poller's after_stored() for the last page ran before this
        errors += self._mark_errors
        self._mark_errors = []
        if errors:
            first = errors[0]
            if len(errors) > 1:
                others = "; ".join(str(e) for e in errors[1:])
                first.args = (f"{first} (also: {others})",)
            raise first

    def _settle(self) -> Iterator[Batch]:
        """A Batch carrying only the requests not yet reported, if there are any."""
        if self._meter.calls > self._counted:
            yield self._account(Batch())

    def _window(self, listing: Listing, now: datetime) -> Window:
        if self.context.since is not None:
            return Window(since=self.context.since.timestamp())
        stored = (self.cursor or {}).get(listing.key)
        if isinstance(stored, dict):
            created = stored.get("created_utc")
            newest = stored.get("newest")
            if _is_number(created) and (newest is None or isinstance(newest, str)):
                return Window(since=float(created), newest=newest)
        return Window(since=(now - timedelta(seconds=float(self.context.lookback))).timestamp())

    def _walk(self, listing: Listing, cursor: dict, now: datetime) -> Iterator[Batch]:
        """Page one listing newest-first until the window's edge; the last batch carries the cursor."""
        window = self._window(listing, now)
        best: tuple[float, str] | None = None
        after: str | None = None
        walked = pages = 0
        max_pages = LISTING_CAP // self._limit + 2
        while True:
            children, next_after = self._fetch_page(listing, after)
            pages += 1
            walked += len(children)
            batch, reached, newest = self._page(listing, children, window, now)
            if newest and (best is None or newest > best):
                best = newest
            exhausted = not next_after or next_after == after
            done = reached or exhausted or pages >= max_pages
            if done:
                if not reached and (walked >= LISTING_CAP or pages >= max_pages):
                    edge = model.iso(datetime.fromtimestamp(window.since, tz=UTC))
                    batch.gap = (
                        f"{listing.label}: Reddit stopped after {walked} items before reaching {edge}; "
                        "older items may be missing"
                    )
                cursor[listing.key] = _merge_cursor(cursor.get(listing.key), best)
                if cursor[listing.key] is None:
                    del cursor[listing.key]
                batch.cursor = dict(cursor)
            yield self._account(batch)
            if done:
                return
            after = next_after

    def _account(self, batch: Batch) -> Batch:
        batch.calls += self._meter.calls - self._counted
        self._counted = self._meter.calls
        batch.rate_limit_remaining = self._meter.remaining
        return batch

    def _page(
        self, listing: Listing, children: list, window: Window, now: datetime
    ) -> tuple[Batch, bool, tuple[float, str] | None]:
        """Map one page: the batch, whether the window's edge was reached, the newest item seen."""
        batch = Batch()
        newest: tuple[float, str] | None = None
        for child in children:
            group = self._group(child, listing)
            valid = [i for i in group if i.error is None and i.created is not None]
            if valid:
                latest = max(valid, key=lambda i: i.created or 0.0)
                if window.reached(latest.name, latest.created or 0.0):
                    return batch, True, newest
                newest = max(newest or (0.0, ""), (latest.created or 0.0, latest.name))
            for item in group:
                self._add(batch, item, listing, window, now)
        return batch, False, newest

    def _add(self, batch: Batch, item: Item, listing: Listing, window: Window, now: datetime) -> None:
        if item.error is not None:
            batch.skipped.append(f"{self.name}: reddit:{item.name}: {item.error}")
            return
        if item.created is None or not window.is_new(item.name, item.created) or self._is_own(item.data):
            return
        try:
            mention = model.normalize(self._record(item, listing), platform="reddit", source=self.name, now=now)
        except model.InvalidMention as exc:
            batch.skipped.append(f"{self.name}: reddit:{item.name}: {exc}")
            return
        if listing.inbox and item.data.get("new") is True and self.config.get("mark_read", False):
            self._unread.add(item.name)
        batch.mentions.append(mention)

    def _group(self, child: Any, listing: Listing) -> list[Item]:
        """A listing child as items: itself, plus its replies in a threaded (messages) listing."""
        item = _item(child)
        group = [item]
        if listing.threaded and item.error is None:
            replies = item.data.get("replies")
            if isinstance(replies, dict):
                nested = replies.get("data")
                children = nested.get("children") if isinstance(nested, dict) else None
                if isinstance(children, list):
                    group += [_item(c) for c in children]
        return group

    def _is_own(self, data: dict) -> bool:
        """The account's own posts and sent messages are not mentions."""
        username = self.config.get("username")
        author = data.get("author")
        return bool(username) and isinstance(author, str) and author.lower() == str(username).lower()

    # ---- mapping ---------------------------------------------------------------------------
    def _record(self, item: Item, listing: Listing) -> dict:
        """A listing item in the loose record shape `model.normalize` validates."""
        data, kind = item.data, item.kind
        return {
            "id": f"reddit:{item.name}",
            "kind": _mention_kind(kind, data, listing),
            "author": _author(data),
            "text": _text(kind, data),
            "url": _url(kind, data),
            "created_at": data.get("created_utc"),
            "conversation_id": _conversation(kind, item.name, data),
            "in_reply_to": data.get("parent_id"),
            "metrics": _metrics(kind, data),
        }

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

    # ---- marking read ----------------------------------------------------------------------
    def after_stored(self, batch: Batch) -> list[str]:
        """Call after `batch` is stored: with `mark_read`, mark its unread inbox items read.

        Never raises: the items are stored, and at worst stay unread on Reddit. A failure is
        returned as lines and also raised (state "degraded") when `fetch()` ends, so it reaches the
        source's health. The requests made are reported in the next batch `fetch()` yields.
        """
        names = [m["native_id"] for m in batch.mentions if m.get("native_id") in self._unread]
        if not names or not self.config.get("mark_read", False):
            return []
        from praw.endpoints import API_PATH

        path = API_PATH["read_message"]
        problems: list[str] = []
        for start in range(0, len(names), MARK_READ_CHUNK):
            chunk = names[start : start + MARK_READ_CHUNK]
            data = {"id": ",".join(chunk)}
            try:
                self._call("the inbox (mark read)", lambda data=data: self._client().post(path, data=data))
            except SourceError as exc:
                problem = f"{len(chunk)} stored inbox items could not be marked read: {exc}"
                problems.append(problem)
                self._mark_errors.append(MarkReadFailed(problem))
                continue
            self._unread.difference_update(chunk)
        return problems

    # ---- test ------------------------------------------------------------------------------
    def test(self) -> list[str]:
        """One cheap call: `user.me()` with user auth, else a one-item listing; lines saying what works."""
        listings = self.listings()
        reddit = self._client()
        if self._auth_mode != "read_only":
            me = self._call("the account (api/v1/me)", reddit.user.me)
            mode = "refresh token" if self._auth_mode == "refresh_token" else "script app: username + password"
            lines = [f"credentials accepted ({mode}): logged in as u/{me.name}"]
        elif not listings:
            raise SourceError(f"source {self.name}: nothing to check: no inbox listings, search or own_subreddits")
        else:
            first = listings[0]
            self._call(
                first.label,
                lambda: reddit.request(method="GET", path=first.path, params={**dict(first.params), "limit": 1}),
            )
            lines = [f"read-only app credentials accepted: {first.label} answered"]
        lines.append("will read: " + ", ".join(item.label for item in listings))
        if self.config.get("mark_read"):
            lines.append("inbox items are marked read after they are stored")
        return lines


# ---- shared with the reddit responder -----------------------------------------------------------
def auth_mode(config: dict) -> str:
    """The auth mode of a resolved config table: refresh_token, script (username + password) or read_only."""
    if config.get("refresh_token"):
        return "refresh_token"
    if config.get("username") and config.get("password"):
        return "script"
    return "read_only"


def credential_keys(config: dict, section: str) -> str:
    """The config keys the current auth mode uses, for error messages ("sources.r.client_id, ... and ...")."""
    keys = {
        "refresh_token": ["client_id", "client_secret", "refresh_token"],
        "script": ["client_id", "client_secret", "username", "password"],
        "read_only": ["client_id", "client_secret"],
    }[auth_mode(config)]
    names = [f"{section}.{k}" for k in keys]
    return ", ".join(names[:-1]) + " and " + names[-1]


def build_reddit(config: dict, requestor_class: type, requestor_kwargs: dict) -> praw.Reddit:
    """A praw client from a resolved config table; every setting is passed so praw.ini and praw_* variables cannot leak in."""
    import praw

    username = config.get("username") or None
    user_agent = config.get("user_agent") or (
        f"socialwatch/{__version__} (by u/{username})" if username else f"socialwatch/{__version__}"
    )
    return praw.Reddit(
        client_id=config["client_id"],
        client_secret=config.get("client_secret") or None,
        username=username,
        password=config.get("password") or None,
        refresh_token=config.get("refresh_token") or None,
        user_agent=user_agent,
        check_for_updates=False,
        check_for_async=False,
        requestor_class=requestor_class,
        requestor_kwargs=requestor_kwargs,
    )


def is_unauthorized(exc: BaseException) -> bool:
    """A rejected token or credentials: prawcore's 401 classes, OAuth errors of the token request."""
    import prawcore.exceptions as pc

    if isinstance(exc, KeyError) and exc.args == (401,):
        # prawcore looks a 401's class up by its www-authenticate header and fails without one
        return True
    return isinstance(exc, (pc.InvalidToken, pc.OAuthException)) or (
        isinstance(exc, pc.ResponseException) and exc.response.status_code == 401
    )


def auth_detail(exc: BaseException) -> str:
    """The status and OAuth error code of an auth failure ("401 invalid_token"), never a credential."""
    code = getattr(exc, "error", None)
    if not code:
        header = exc.response.headers.get("www-authenticate", "") if hasattr(exc, "response") else ""
        found = re.search(r'error="?([a-z_]+)', header or "")
        code = found.group(1) if found else None
    status = getattr(getattr(exc, "response", None), "status_code", None) or (
        401 if isinstance(exc, KeyError) else None
    )
    detail = " ".join(str(p) for p in (status if status != 200 else None, _clean(code or "")) if p)
    return detail or "no detail"


def retry_after_seconds(headers: Any) -> float | None:
    """Seconds until Reddit's rate-limit window resets (x-ratelimit-reset, else retry-after)."""
    return _header_number(headers, "x-ratelimit-reset") or _header_number(headers, "retry-after")


# ---- helpers -----------------------------------------------------------------------------------
def _sub_name(value: str) -> str:
    value = value.strip()
    return value[2:] if value.lower().startswith("r/") else value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _clean(text: str) -> str:
    return _CONTROL.sub(" ", str(text))[:200]


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


def _listing_children(data: Any, what: str, source: str) -> tuple[list, str | None]:
    body = data.get("data") if isinstance(data, dict) and data.get("kind") == "Listing" else None
    children = body.get("children") if isinstance(body, dict) else None
    if not isinstance(children, list):
        raise SourceError(f"source {source}: Reddit answered {what} with something that is not a listing")
    after = body.get("after")
    return children, after if isinstance(after, str) and after else None


def _item(child: Any) -> Item:
    """A listing child with what the walk relies on checked: a known kind, a fullname, a numeric created_utc."""
    if not isinstance(child, dict) or not isinstance(child.get("data"), dict):
        return Item("?", {}, "?", None, model.InvalidMention("record", "expected a listing child object"))
    kind, data = str(child.get("kind")), child["data"]
    try:
        name, created = _identity(kind, data)
    except model.InvalidMention as exc:
        return Item(kind, data, _shown_name(kind, data), None, exc)
    return Item(kind, data, name, created)


def _identity(kind: str, data: dict) -> tuple[str, float]:
    if kind not in _ITEM_KINDS:
        raise model.InvalidMention("kind", f"not a comment, post or message: {kind[:20]!r}")
    name = data.get("name")
    if not (isinstance(name, str) and _FULLNAME.match(name) and name.startswith(kind + "_")):
        raise model.InvalidMention("name", f"not a usable fullname: {str(name)[:40]!r}")
    created = data.get("created_utc")
    if not _is_number(created):
        raise model.InvalidMention("created_utc", f"expected epoch seconds, got {str(created)[:40]!r}")
    return name, float(created)


def _shown_name(kind: str, data: dict) -> str:
    """The fullname to name a malformed item by in its skip reason ("?" when there is none)."""
    for candidate in (data.get("name"), f"{kind}_{data.get('id')}"):
        if isinstance(candidate, str) and _FULLNAME.match(candidate):
            return candidate
    return "?"


def _mention_kind(kind: str, data: dict, listing: Listing) -> str:
    if kind == "t4":
        return "dm"
    if listing.kind:
        return listing.kind
    return _INBOX_TYPES.get(str(data.get("type")), "mention")


def _author(data: dict) -> Any:
    author = data.get("author")
    if author is None or author == "[deleted]":
        return None
    if not isinstance(author, str):
        return author  # normalize reports the wrong type
    author_id = data.get("author_fullname")
    return {"handle": author, "id": author_id if isinstance(author_id, str) else None}


def _text(kind: str, data: dict) -> Any:
    if kind != "t3":
        return data.get("body")
    title, selftext = data.get("title"), data.get("selftext")
    if not isinstance(title, str):
        return title
    if selftext in (None, ""):
        return title
    if not isinstance(selftext, str):
        return selftext
    return f"{title}\n\n{selftext}"


def _url(kind: str, data: dict) -> Any:
    if kind == "t4":
        return f"{REDDIT_URL}/message/messages/{data.get('id')}" if isinstance(data.get("id"), str) else None
    link = data.get("permalink")
    if link is None:
        link = _comment_path(data)
    if isinstance(link, str) and link.startswith("/"):
        return REDDIT_URL + link
    return link if isinstance(link, str) else None  # a malformed permalink is dropped, not stringified


def _comment_path(data: dict) -> str | None:
    """A comment's path without `permalink`: inbox items carry `context`; older listings only ids."""
    context = data.get("context")  # ".../comments/<link>/<slug>/<id>/?context=3"
    if isinstance(context, str) and context:
        return urlsplit(context).path
    link_id, sub, id36 = data.get("link_id"), data.get("subreddit"), data.get("id")
    if all(isinstance(v, str) and v for v in (link_id, sub, id36)) and link_id.startswith("t3_"):
        return f"/r/{sub}/comments/{link_id[3:]}/_/{id36}/"
    return None


def _conversation(kind: str, name: str, data: dict) -> str | None:
    if kind == "t4":
        first = data.get("first_message_name")
        return first if isinstance(first, str) and first else name
    if kind == "t3":
        return name
    link_id = data.get("link_id")
    if isinstance(link_id, str) and link_id:
        return link_id
    context = data.get("context")
    found = _COMMENTS_PATH.search(context) if isinstance(context, str) else None
    return f"t3_{found.group(1)}" if found else None


def _metrics(kind: str, data: dict) -> dict:
    """likes = score (never below 0); replies = a post's comment count (a comment's would be its thread's)."""
    score = data.get("score")
    likes = None if kind == "t4" else (max(int(score), 0) if _is_number(score) else score)
    replies = data.get("num_comments") if kind == "t3" else None
    return {"likes": likes, "replies": replies}


def _merge_cursor(stored: Any, best: tuple[float, str] | None) -> dict | None:
    """The newer of the stored entry and the newest item seen."""
    if best is None:
        return stored if isinstance(stored, dict) else None
    if isinstance(stored, dict) and _is_number(stored.get("created_utc")) and float(stored["created_utc"]) > best[0]:
        return stored
    return {"newest": best[1], "created_utc": best[0]}
