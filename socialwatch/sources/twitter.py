"""The X / Twitter source (`type = "twitter"`): mentions, recent search and DMs through tweepy (API v2).

What it reads, each with its own `since_id` cursor:
- `mentions`: `GET /2/users/:id/mentions` of the brand account (user context, or the app bearer
  token with an explicit `user_id`);
- `search`: `GET /2/tweets/search/recent` for `search_query` (last 7 days only), retweets and the
  brand's `exclusions` left out;
- `dms`: `GET /2/dm_events` (user context only; last 30 days), messages from the brand itself
  left out.

Each endpoint is walked newest-first page by page (`max_pages` at most). Every page is yielded as
a `Batch`; the last page of each endpoint carries the whole cursor, so the poller stores the
mentions first and then the cursor. An error on one endpoint does not stop the others: their
batches are yielded and the first error is raised at the end. When the walk cannot cover the
window (page limit, the API's 800-mention cap, the 7-day search window) the final batch says so
in `Batch.gap`.

tweepy and requests are imported only when a client is built or an error is mapped, so reading a
configuration with a twitter source stays fast. No message built here contains a credential:
errors are rebuilt from the HTTP status and the API's error titles, never from tweepy's text.
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
from typing import Any, ClassVar

from socialwatch import model
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

TWEET_FIELDS = [
    "created_at",
    "public_metrics",
    "conversation_id",
    "referenced_tweets",
    "lang",
    "author_id",
    "in_reply_to_user_id",
    "note_tweet",
]
USER_FIELDS = ["username", "name", "verified", "public_metrics"]
DM_EVENT_FIELDS = ["id", "text", "created_at", "sender_id", "dm_conversation_id", "event_type"]

OAUTH1_KEYS = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
SECRET_KEYS = ("bearer_token", *OAUTH1_KEYS, "user_token")

#: X serves at most the 800 most recent mentions of an account.
MENTIONS_CAP = 800
#: Recent search reaches back 7 days; a start_time older than that is refused (400).
SEARCH_WINDOW = timedelta(days=7)
#: A small margin so a clamped start_time is not refused for being a few seconds too old.
SEARCH_MARGIN = timedelta(minutes=2)
#: DM event lookups return the last 30 days.
DM_WINDOW = timedelta(days=30)
#: Twitter's snowflake epoch (ms); ids below this value predate snowflakes (Nov 2010).
TWEPOCH_MS = 1288834974657
FIRST_SNOWFLAKE = 30_000_000_000
MAX_BACKOFF = 30.0
#: After an empty walk the next one starts this long before the poll (items indexed late).
QUIET_OVERLAP = timedelta(minutes=10)

#: Mapped fields a mention can lose (with a warning) instead of being skipped.

log = logging.getLogger(__name__)

ENDPOINTS = {
    "me": ("account lookup", "GET /2/users/me"),
    "mentions": ("mentions", "GET /2/users/:id/mentions"),
    "search": ("recent search", "GET /2/tweets/search/recent"),
    "dms": ("direct messages", "GET /2/dm_events"),
}
DISABLE_HINT = {
    "mentions": "set `mentions = false`",
    "search": "remove `search_query`",
    "dms": "set `dms = false`",
    "me": "set `user_id`",
}

_SAFE_TOKEN = re.compile(r"[^A-Za-z0-9 _.:/-]")
_USERNAME = re.compile(r"^[A-Za-z0-9_]{1,50}$")
_DIGITS = re.compile(r"^[0-9]{1,20}$")
_CONVERSATION = re.compile(r"^[0-9]{1,20}(-[0-9]{1,20})?$")


# ---- small helpers -----------------------------------------------------------------------------
def _tweepy() -> Any:
    import tweepy

    return tweepy


def _requests() -> Any:
    import requests

    return requests


def int_id(value: Any) -> int | None:
    """A numeric X id (string or int) as an int, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and _DIGITS.match(value):
        return int(value)
    return None


def snowflake_time(value: Any) -> datetime | None:
    """The creation time encoded in a snowflake id (tweets, DM events), else None."""
    number = int_id(value)
    if number is None or number < FIRST_SNOWFLAKE:
        return None
    return datetime.fromtimestamp(((number >> 22) + TWEPOCH_MS) / 1000, tz=UTC)


def build_query(query: str, exclusions: Any = ()) -> str:
    """The recent-search query: the brand's query, no retweets, and each exclusion as `-word`.

    A query with a top-level OR is parenthesised, because X applies AND before OR.
    """
    text = query.strip()
    parts = [f"({text})" if " OR " in text else text]
    if "is:retweet" not in text:
        parts.append("-is:retweet")
    if isinstance(exclusions, str):
        exclusions = [exclusions]
    for word in exclusions or ():
        term = str(word).strip().lstrip("-").replace('"', "")
        if not term:
            continue
        parts.append(f'-"{term}"' if any(c.isspace() for c in term) else f"-{term}")
    return " ".join(parts)


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _safe(value: Any, limit: int = 60) -> str:
    """An API error token (title, reason, code) reduced to harmless characters."""
    return _SAFE_TOKEN.sub("", str(value))[:limit].strip()


def _hhmm(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%H:%M UTC")


def _present(value: Any, *, allow_refs: bool) -> bool:
    """A credential value is usable: a non-empty string (an unresolved "$VAR" only at config time)."""
    if not isinstance(value, str) or not value.strip():
        return False
    return allow_refs or not value.strip().startswith("$")


class _QuietSecrets(logging.Filter):
    """Drops DEBUG records of tweepy/oauthlib, which print request headers (credentials)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


_LEAKY_LOGGERS = ("tweepy.client", "requests_oauthlib.oauth1_auth", "oauthlib.oauth1.rfc5849")


def _silence_secret_logs() -> None:
    for name in _LEAKY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _QuietSecrets) for f in logger.filters):
            logger.addFilter(_QuietSecrets())


def _timeout_session(timeout: float) -> Any:
    """A requests Session whose requests time out (tweepy sets none)."""
    requests = _requests()

    class _Session(requests.Session):
        def request(self, *args: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("timeout", timeout)
            return super().request(*args, **kwargs)

    return _Session()


# ---- settings and credentials ------------------------------------------------------------------
@dataclass(frozen=True)
class Options:
    """The non-secret settings of a twitter source, with their defaults."""

    mentions: bool = True
    search_query: str | None = None
    dms: bool = False
    user_id: str | None = None
    max_pages: int = 10
    max_results: int = 100
    max_rate_limit_wait: float = 60.0
    retries: int = 3
    timeout: float = 30.0

    @classmethod
    def from_table(cls, table: dict) -> Options:
        """Read a (validated) source table; out-of-range numbers are clamped."""
        query = table.get("search_query")
        user_id = table.get("user_id")
        return cls(
            mentions=bool(table.get("mentions", True)),
            search_query=query.strip() if isinstance(query, str) and query.strip() else None,
            dms=bool(table.get("dms", False)),
            user_id=str(user_id).strip() if user_id not in (None, "") else None,
            max_pages=max(1, int(table.get("max_pages", 10))),
            max_results=min(100, max(5, int(table.get("max_results", 100)))),
            max_rate_limit_wait=max(0.0, float(table.get("max_rate_limit_wait", 60))),
            retries=min(10, max(0, int(table.get("retries", 3)))),
            timeout=max(1.0, float(table.get("timeout", 30))),
        )

    def endpoints(self) -> list[str]:
        return [
            k for k, on in (("mentions", self.mentions), ("search", bool(self.search_query)), ("dms", self.dms)) if on
        ]


@dataclass(frozen=True)
class Credentials:
    """Which credentials are configured. Secret values are kept out of repr."""

    bearer_token: str | None = field(default=None, repr=False)
    oauth1: tuple[str, str, str, str] | None = field(default=None, repr=False)
    user_token: str | None = field(default=None, repr=False)
    missing_oauth1: tuple[str, ...] = ()

    @classmethod
    def from_table(cls, table: dict, *, allow_refs: bool = False) -> Credentials:
        have = {k: table.get(k).strip() for k in SECRET_KEYS if _present(table.get(k), allow_refs=allow_refs)}
        oauth1_have = [k for k in OAUTH1_KEYS if k in have]
        complete = len(oauth1_have) == len(OAUTH1_KEYS)
        return cls(
            bearer_token=have.get("bearer_token"),
            oauth1=tuple(have[k] for k in OAUTH1_KEYS) if complete else None,  # type: ignore[arg-type]
            user_token=have.get("user_token"),
            missing_oauth1=tuple(k for k in OAUTH1_KEYS if k not in have) if oauth1_have and not complete else (),
        )

    @property
    def has_user(self) -> bool:
        return self.oauth1 is not None or self.user_token is not None

    @property
    def user_mode(self) -> str | None:
        if self.oauth1 is not None:
            return "oauth1"
        return "oauth2" if self.user_token else None

    def keys_for(self, route: str) -> str:
        """The config keys behind a route ("app" or "user"), for messages."""
        if route == "app":
            return "`bearer_token`"
        if self.user_mode == "oauth1":
            return ", ".join(f"`{k}`" for k in OAUTH1_KEYS)
        return "`user_token`"


_USER_KEYS_HINT = "`consumer_key`, `consumer_secret`, `access_token` and `access_token_secret` (OAuth 1.0a) or `user_token` (OAuth 2.0)"


def user_client(creds: Credentials, timeout: float) -> Any:
    """A tweepy.Client in user context: the OAuth 1.0a keys when complete, else the OAuth 2.0 user token.

    It returns raw `requests.Response`s, its requests time out after `timeout` seconds and
    tweepy's DEBUG logging of request headers is silenced. Pass `user_auth=creds.user_mode ==
    "oauth1"` to its calls. Shared with the twitter responder.
    """
    tweepy, requests = _tweepy(), _requests()
    _silence_secret_logs()
    if creds.oauth1 is not None:
        ck, cs, at, ats = creds.oauth1
        client = tweepy.Client(
            consumer_key=ck,
            consumer_secret=cs,
            access_token=at,
            access_token_secret=ats,
            return_type=requests.Response,
        )
    else:
        client = tweepy.Client(bearer_token=creds.user_token, return_type=requests.Response)
    client.session = _timeout_session(timeout)
    return client


def credential_problem(creds: Credentials, opts: Options) -> tuple[str, str] | None:
    """(config key, message) when the credentials cannot serve the enabled endpoints, else None."""
    if creds.missing_oauth1:
        keys = ", ".join(f"`{k}`" for k in creds.missing_oauth1)
        return creds.missing_oauth1[0], f"incomplete OAuth 1.0a credentials: also set {keys}"
    if not creds.has_user and not creds.bearer_token:
        return "bearer_token", (
            "no X credentials: set `bearer_token` (app-only reads) or " + _USER_KEYS_HINT + " (user context)"
        )
    if not opts.endpoints():
        return "mentions", "nothing to fetch: enable `mentions`, set `search_query` or set `dms = true`"
    if opts.mentions and not creds.has_user and not opts.user_id:
        return "user_id", (
            "mentions with an app bearer token need `user_id` (the brand account's numeric id): "
            "set `user_id`, or " + _USER_KEYS_HINT
        )
    if opts.dms and not creds.has_user:
        return "dms", "`dms = true` needs user-context credentials: set " + _USER_KEYS_HINT
    return None


def _option_problems(table: dict) -> list[tuple[str, str]]:
    problems = []
    ranges = {
        "max_results": (5, 100),
        "max_pages": (1, 1000),
        "retries": (0, 10),
        "max_rate_limit_wait": (0, 86400),
        "timeout": (1, 600),
    }
    for key, (low, high) in ranges.items():
        value = table.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and not low <= value <= high:
            problems.append((key, f"expected a value from {low} to {high}, got {value}"))
    user_id = table.get("user_id")
    if user_id is not None and not isinstance(user_id, bool) and int_id(str(user_id).strip()) is None:
        problems.append(("user_id", 'expected the account\'s numeric id (e.g. "783214"), not a handle'))
    query = table.get("search_query")
    if isinstance(query, str) and not query.strip():
        problems.append(("search_query", "empty query: remove the key or give the brand's keywords"))
    return problems


# ---- per-walk bookkeeping ------------------------------------------------------------------------
@dataclass
class _Walk:
    """Progress of one endpoint's newest-first walk."""

    key: str
    since_id: int | None
    window_start: datetime | None
    start_time: datetime | None = None  # asked for by time (first poll, backfill) rather than since_id
    notes: list[str] = field(default_factory=list)
    newest: int | None = None
    oldest: int | None = None
    pages: int = 0
    items: int = 0
    truncated: bool = False

    def see(self, value: Any) -> None:
        number = int_id(value)
        if number is None:
            return
        self.newest = number if self.newest is None else max(self.newest, number)
        self.oldest = number if self.oldest is None else min(self.oldest, number)

    def new_since_id(self) -> int | None:
        candidates = [n for n in (self.since_id, self.newest) if n is not None]
        return max(candidates) if candidates else None


class _Malformed(Exception):
    """The API answered with a body that is not a JSON object."""


# ---- the source ------------------------------------------------------------------------------------
class TwitterSource(Source):
    """Mentions, recent search and DMs of one brand account on X (API v2 through tweepy)."""

    type_name: ClassVar[str] = "twitter"
    platform: ClassVar[str] = "twitter"
    settings: ClassVar[dict[str, Any]] = {
        "bearer_token": str,
        "consumer_key": str,
        "consumer_secret": str,
        "access_token": str,
        "access_token_secret": str,
        "user_token": str,
        "user_id": (str, int),
        "mentions": bool,
        "search_query": str,
        "dms": bool,
        "max_pages": int,
        "max_results": int,
        "max_rate_limit_wait": (int, float),
        "retries": int,
        "timeout": (int, float),
    }
    secrets: ClassVar[tuple[str, ...]] = SECRET_KEYS

    def __init__(self, name: str, config: dict, context: SourceContext) -> None:
        super().__init__(name, config, context)
        self.options = Options.from_table(config)
        self.creds = Credentials.from_table(config)
        self._sleep: Callable[[float], None] = time.sleep
        self._time: Callable[[], float] = time.time
        self._backoff = 1.0
        self._clients: dict[str, Any] = {}
        self._pending_calls = 0
        self._fetch_calls = 0
        self._remaining: int | None = None
        self._now = model.utcnow()
        self._test_user_id: str | None = None

    # ---- configuration -------------------------------------------------------------------------
    @classmethod
    def check_config(cls, name: str, table: dict, path: str | None = None) -> None:
        """Types, ranges and credential combinations; raise ConfigError naming the key."""
        super().check_config(name, table, path)
        for key, message in _option_problems(table):
            raise ConfigError(message, path=path, key=f"sources.{name}.{key}")
        creds = Credentials.from_table(table, allow_refs=True)
        problem = credential_problem(creds, Options.from_table(table))
        if problem:
            raise ConfigError(problem[1], path=path, key=f"sources.{name}.{problem[0]}")

    def _require_credentials(self) -> None:
        problem = credential_problem(self.creds, self.options)
        if problem:
            raise AuthError(f"X source {self.name}: {problem[1]} (in sources.{self.name})")

    # ---- fetch ---------------------------------------------------------------------------------
    def fetch(self) -> Iterator[Batch]:
        """Walk each enabled endpoint; see the module docstring for the batch/cursor protocol."""
        self._require_credentials()
        self._now = self.context.now or model.utcnow()
        self._pending_calls = self._fetch_calls = 0
        cursor = self._start_cursor()
        errors: list[SourceError] = []
        for key in self.options.endpoints():
            try:
                yield from self._fetch_endpoint(key, cursor)
                continue
            except SourceError as exc:
                errors.append(exc)
            if self._pending_calls:
                yield self._batch([], [])  # account for the calls the failed endpoint made
            if isinstance(errors[-1], (AuthError, BudgetExhausted)):
                break  # the other endpoints would fail the same way
        if errors:
            raise _first_error(errors)

    def _start_cursor(self) -> dict:
        cursor = copy.deepcopy(self.cursor) if isinstance(self.cursor, dict) else {}
        for key in ("mentions", "search", "dms"):
            if not isinstance(cursor.get(key), dict):
                cursor.pop(key, None)
        return cursor

    def _fetch_endpoint(self, key: str, cursor: dict) -> Iterator[Batch]:
        if key == "mentions":
            yield from self._fetch_mentions(cursor)
        elif key == "search":
            yield from self._fetch_search(cursor)
        else:
            yield from self._fetch_dms(cursor)

    def _fetch_mentions(self, cursor: dict) -> Iterator[Batch]:
        user_id = self._user_id(cursor)
        client, user_auth, _ = self._route("mentions")
        walk, params = self._window("mentions", cursor)

        def request(**page: Any) -> Any:
            return client.get_users_mentions(user_id, user_auth=user_auth, **params, **page)

        yield from self._walk(walk, cursor, request, "pagination_token", self._tweet_mapper(walk, "mention", user_id))

    def _fetch_search(self, cursor: dict) -> Iterator[Batch]:
        assert self.options.search_query
        query = build_query(self.options.search_query, _dict(self.context.brand).get("exclusions", []))
        user_id = self.options.user_id or cursor.get("user_id")
        client, user_auth, _ = self._route("search")
        walk, params = self._window("search", cursor)
        params["max_results"] = max(10, params["max_results"])

        def request(**page: Any) -> Any:
            return client.search_recent_tweets(query, user_auth=user_auth, **params, **page)

        yield from self._walk(walk, cursor, request, "next_token", self._tweet_mapper(walk, "search", user_id))

    def _fetch_dms(self, cursor: dict) -> Iterator[Batch]:
        user_id = self._user_id(cursor)
        client, user_auth, _ = self._route("dms")
        walk, _ = self._window("dms", cursor)
        params = {
            "event_types": "MessageCreate",
            "dm_event_fields": DM_EVENT_FIELDS,
            "expansions": ["sender_id"],
            "user_fields": USER_FIELDS,
            "max_results": self.options.max_results,
        }

        def request(**page: Any) -> Any:
            return client.get_direct_message_events(user_auth=user_auth, **params, **page)

        yield from self._walk(walk, cursor, request, "pagination_token", self._dm_mapper(walk, user_id))

    def _window(self, key: str, cursor: dict) -> tuple[_Walk, dict]:
        """Where the walk starts: the stored since_id, a backfill `since`, or the look-back."""
        entry = _dict(cursor.get(key))
        since_id = int_id(entry.get("since_id"))
        params: dict[str, Any] = {
            "expansions": ["author_id"],
            "tweet_fields": TWEET_FIELDS,
            "user_fields": USER_FIELDS,
            "max_results": self.options.max_results,
        }
        start: datetime | None = None
        if self.context.since is not None:
            start = model.parse_time(self.context.since)
        elif since_id is None:
            start = _stored_time(entry.get("start_time")) or self._now - timedelta(seconds=float(self.context.lookback))
        walk = _Walk(key, since_id, start or snowflake_time(since_id), start_time=start)
        if key == "search":
            start = self._clamp_search(walk, start)
        elif key == "dms" and walk.window_start and walk.window_start < self._now - DM_WINDOW:
            walk.notes.append(self._gap_note(walk, walk.window_start, self._now - DM_WINDOW, "X keeps DMs for 30 days"))
        if start is not None:
            params["start_time"] = start
        elif since_id is not None:
            params["since_id"] = str(since_id)
        return walk, params

    def _clamp_search(self, walk: _Walk, start: datetime | None) -> datetime | None:
        """Recent search refuses anything older than 7 days: move the start and note the gap."""
        limit = self._now - SEARCH_WINDOW + SEARCH_MARGIN
        begin = walk.window_start
        if begin is None or begin >= limit:
            return start
        walk.notes.append(self._gap_note(walk, begin, limit, "recent search covers the last 7 days only"))
        walk.window_start = walk.start_time = limit
        return limit

    def _walk(
        self,
        walk: _Walk,
        cursor: dict,
        request: Callable[..., Any],
        token_param: str,
        mapper: Callable[[dict], tuple[list[dict], list[str], bool]],
    ) -> Iterator[Batch]:
        """Page newest-first until caught up or `max_pages`; the last batch carries the cursor."""
        token: str | None = None
        while True:
            page = {token_param: token} if token else {}
            body = self._call(walk.key, request, **page)
            walk.pages += 1
            mentions, skipped, reached = mapper(body)
            next_token = _dict(body.get("meta")).get("next_token")
            token = next_token if isinstance(next_token, str) and next_token and not reached else None
            if token and walk.pages < self.options.max_pages:
                yield self._batch(mentions, skipped)
                continue
            walk.truncated = token is not None
            new_since = walk.new_since_id()
            if new_since is not None:
                cursor[walk.key] = {"since_id": str(new_since)}
            elif walk.window_start is not None:
                # nothing yet: the window up to now is covered; the next poll starts there (with an
                # overlap for late indexing), not at `now - lookback`, so downtime is never skipped
                resume = max(walk.window_start, self._now - QUIET_OVERLAP)
                cursor[walk.key] = {"start_time": model.iso(resume)}
            notes = walk.notes + self._coverage_notes(walk)
            yield self._batch(mentions, skipped, cursor=copy.deepcopy(cursor), gap="; ".join(notes) or None)
            return

    def _batch(self, mentions: list[dict], skipped: list[str], **extra: Any) -> Batch:
        calls, self._pending_calls = self._pending_calls, 0
        return Batch(mentions=mentions, skipped=skipped, calls=calls, rate_limit_remaining=self._remaining, **extra)

    # ---- mapping -------------------------------------------------------------------------------
    def _page_items(self, key: str, body: dict) -> tuple[list, dict]:
        """The page's items and its users by id; an errors-only answer raises SourceError."""
        if "data" not in body and "meta" not in body and body.get("errors"):
            titles = ", ".join(sorted({_safe(_dict(e).get("title") or "error") for e in _list(body["errors"])}))
            raise SourceError(
                f"X source {self.name}: the API answered {ENDPOINTS[key][0]} with errors only ({titles}): "
                f"check `user_id` and the account's state"
            )
        users = {}
        for user in _list(_dict(body.get("includes")).get("users")):
            if isinstance(user, dict) and isinstance(user.get("id"), str):
                users[user["id"]] = user
        return _list(body.get("data")), users

    def _tweet_mapper(self, walk: _Walk, kind: str, user_id: str | None) -> Callable[[dict], tuple]:
        def mapper(body: dict) -> tuple[list[dict], list[str], bool]:
            items, users = self._page_items(walk.key, body)
            meta = _dict(body.get("meta"))
            walk.see(meta.get("newest_id"))
            walk.see(meta.get("oldest_id"))
            walk.items += len(items)
            mentions, skipped = [], []
            for tweet in items:
                tweet = _dict(tweet)
                walk.see(tweet.get("id"))
                if _is_retweet(tweet) or (user_id and tweet.get("author_id") == user_id):
                    continue  # retweets and the brand's own posts are not mentions to answer
                self._keep(self.map_tweet(tweet, users, kind, user_id), tweet.get("id"), mentions, skipped)
            return mentions, skipped, False

        return mapper

    def _dm_mapper(self, walk: _Walk, user_id: str | None) -> Callable[[dict], tuple]:
        def mapper(body: dict) -> tuple[list[dict], list[str], bool]:
            items, users = self._page_items(walk.key, body)
            walk.items += len(items)
            mentions, skipped, reached = [], [], False
            for event in items:
                event = _dict(event)
                if self._dm_is_old(walk, event):
                    reached = True  # newest-first: everything after this was seen before
                    continue
                walk.see(event.get("id"))
                if event.get("event_type", "MessageCreate") != "MessageCreate":
                    continue
                if user_id and event.get("sender_id") == user_id:
                    continue  # sent by the brand account itself
                self._keep(self.map_dm(event, users), event.get("id"), mentions, skipped)
            return mentions, skipped, reached

        return mapper

    @staticmethod
    def _dm_is_old(walk: _Walk, event: dict) -> bool:
        """The DM endpoint has no since_id/start_time: filter on our side (by time for a backfill)."""
        number = int_id(event.get("id"))
        if walk.start_time is None:
            return walk.since_id is not None and number is not None and number <= walk.since_id
        created = snowflake_time(number)
        try:
            created = model.parse_time(event["created_at"]) if event.get("created_at") else created
        except ValueError:
            pass
        return bool(created and created < walk.start_time)

    def _keep(self, record: dict, native_id: Any, mentions: list[dict], skipped: list[str]) -> None:
        """Normalize a mapped record into `mentions`, or append the reason to `skipped`.

        A bad optional field (a metric, the author's flags, created_at, ...) is dropped and the
        mention kept (logged as a warning): losing a customer's message over a like count is worse.
        Only a record without a usable id, text or kind is skipped.
        """
        shown = (_safe(native_id, 40) if native_id is not None else "") or "?"
        try:
            mention, dropped = model.normalize_lenient(record, platform=self.platform, source=self.name, now=self._now,
                                                       created_fallback=_created_from_id(native_id))
        except model.InvalidMention as exc:
            skipped.append(f"{self.name}: twitter:{shown}: {exc.field}: {exc.reason}")
            return
        for what, why in dropped:
            log.warning("%s: twitter:%s: %s dropped (%s)", self.name, shown, what, why)
        mentions.append(mention)

    def map_tweet(self, tweet: dict, users: dict, kind: str, user_id: str | None = None) -> dict:
        """A v2 tweet (plus includes.users) as a record for `model.normalize`."""
        tweet_id = tweet.get("id")
        author_id = tweet.get("author_id")
        user = _dict(users.get(author_id)) if isinstance(author_id, str) else {}
        replied = next(
            (r.get("id") for r in map(_dict, _list(tweet.get("referenced_tweets"))) if r.get("type") == "replied_to"),
            None,
        )
        if replied and (kind == "mention" or (user_id and tweet.get("in_reply_to_user_id") == user_id)):
            kind = "reply"
        metrics = _dict(tweet.get("public_metrics"))
        note = _dict(tweet.get("note_tweet")).get("text")
        return {
            "id": tweet_id,
            "text": note if isinstance(note, str) and note else tweet.get("text"),
            "kind": kind,
            "author": _author(author_id, user),
            "url": _tweet_url(tweet_id, user.get("username")),
            "lang": tweet.get("lang"),
            "created_at": tweet.get("created_at") or _created_from_id(tweet_id),
            "conversation_id": tweet.get("conversation_id"),
            "in_reply_to": replied,
            "metrics": {
                "likes": metrics.get("like_count"),
                "reposts": metrics.get("retweet_count"),
                "replies": metrics.get("reply_count"),
                "quotes": metrics.get("quote_count"),
            },
        }

    def map_dm(self, event: dict, users: dict) -> dict:
        """A v2 DM event (MessageCreate) as a record for `model.normalize`."""
        sender = event.get("sender_id")
        conversation = event.get("dm_conversation_id")
        url = None
        if isinstance(conversation, str) and _CONVERSATION.match(conversation):
            url = f"https://x.com/messages/{conversation}"
        return {
            "id": event.get("id"),
            "text": event.get("text"),
            "kind": "dm",
            "author": _author(sender, _dict(users.get(sender)) if isinstance(sender, str) else {}),
            "url": url,
            "created_at": event.get("created_at") or _created_from_id(event.get("id")),
            "conversation_id": conversation,
        }

    # ---- coverage ------------------------------------------------------------------------------
    def _coverage_notes(self, walk: _Walk) -> list[str]:
        """Gap notes once a walk ended: page limit with results pending, or the 800-mention cap."""
        oldest = snowflake_time(walk.oldest)
        start = walk.window_start
        if walk.truncated:
            if start and oldest and oldest <= start:
                return []
            reason = (
                f"stopped after {walk.pages} page(s) (`max_pages = {self.options.max_pages}`) with more results "
                "pending; raise `max_pages` or poll more often"
            )
            return [self._gap_note(walk, start, oldest, reason)]
        if walk.key == "mentions" and walk.items >= MENTIONS_CAP and start and oldest and oldest > start:
            return [self._gap_note(walk, start, oldest, f"X serves only the {MENTIONS_CAP} most recent mentions")]
        return []

    def _gap_note(self, walk: _Walk, start: datetime | None, end: datetime | None, reason: str) -> str:
        begin = model.iso(start) if start else "the last stored position"
        finish = model.iso(end) if end else "the oldest item fetched"
        return f"{ENDPOINTS[walk.key][0]}: window not covered from {begin} to {finish}: {reason}"

    # ---- user id -------------------------------------------------------------------------------
    def _user_id(self, cursor: dict) -> str:
        """The brand account id: the setting, the cached value, or one get_me() (cached in the cursor)."""
        if self.options.user_id:
            return self.options.user_id
        cached = cursor.get("user_id")
        if int_id(cached) is not None:
            return str(cached)
        user_id = self._get_me()["id"]
        cursor["user_id"] = user_id
        return user_id

    def _get_me(self, *, patient: bool = True) -> dict:
        client, user_auth, _ = self._route("me")
        body = self._call("me", lambda: client.get_me(user_auth=user_auth), patient=patient)
        data = _dict(body.get("data"))
        if int_id(data.get("id")) is None:
            raise TransientError(f"X source {self.name}: the account lookup (GET /2/users/me) returned no user id")
        return {"id": str(data["id"]), "username": data.get("username")}

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

    # ---- test and close ------------------------------------------------------------------------
    def test(self) -> list[str]:
        """One cheap call per enabled capability; lines saying what works.

        Raises the mapped SourceError only when nothing works.
        """
        self._require_credentials()
        self._now = self.context.now or model.utcnow()
        lines: list[str] = []
        errors: list[SourceError] = []
        user_id = self.options.user_id
        checks: list[tuple[str, Callable[[], str]]] = []
        if self.creds.has_user:
            checks.append(("account", self._check_me))
        if self.options.mentions:
            checks.append(("mentions", lambda: self._check_endpoint("mentions")))
        if self.options.search_query:
            checks.append(("search", lambda: self._check_endpoint("search")))
        if self.options.dms:
            checks.append(("dms", lambda: self._check_endpoint("dms")))
        self._test_user_id = user_id
        working = 0
        for name, check in checks:
            try:
                result = check()
            except SourceError as exc:
                errors.append(exc)
                lines.append(f"{name}: {getattr(exc, 'short', None) or exc}")
                continue
            working += result.startswith("ok")
            lines.append(f"{name}: {result}")
        if errors and not working:
            error = _first_error(errors)
            error.args = (f"{error.args[0]} [{'; '.join(lines)}]",)
            raise error
        return lines

    def _check_me(self) -> str:
        me = self._get_me(patient=False)
        if not self._test_user_id:
            self._test_user_id = me["id"]
        handle = f"@{me['username']}, " if isinstance(me.get("username"), str) else ""
        mode = "OAuth 1.0a" if self.creds.user_mode == "oauth1" else "OAuth 2.0 user token"
        return f"ok ({mode}: {handle}id {me['id']})"

    def _check_endpoint(self, key: str) -> str:
        client, user_auth, route = self._route(key)
        if key == "mentions":
            if not self._test_user_id:
                return "not checked (the account id is unknown: set `user_id`)"
            user_id = self._test_user_id

            def request() -> Any:
                return client.get_users_mentions(user_id, user_auth=user_auth, max_results=5)
        elif key == "search":
            query = build_query(self.options.search_query or "", _dict(self.context.brand).get("exclusions", []))

            def request() -> Any:
                return client.search_recent_tweets(query, user_auth=user_auth, max_results=10)
        else:

            def request() -> Any:
                return client.get_direct_message_events(user_auth=user_auth, event_types="MessageCreate", max_results=1)

        body = self._call(key, request, patient=False)
        count = _dict(body.get("meta")).get("result_count", len(_list(body.get("data"))))
        how = "app bearer token" if route == "app" else "user context"
        return f"ok ({how}; {count} item(s) in the latest page)"

    def close(self) -> None:
        """Close the HTTP sessions of the clients."""
        for client in self._clients.values():
            try:
                client.session.close()
            except Exception:  # closing must never fail a poll
                pass
        self._clients.clear()


# ---- module-level helpers --------------------------------------------------------------------------
def _is_retweet(tweet: dict) -> bool:
    return any(_dict(r).get("type") == "retweeted" for r in _list(tweet.get("referenced_tweets")))


def _author(author_id: Any, user: dict) -> dict | None:
    if not author_id and not user:
        return None
    followers = _dict(user.get("public_metrics")).get("followers_count")
    return {
        "handle": user.get("username"),
        "name": user.get("name"),
        "id": author_id,
        "followers": followers,
        "verified": user.get("verified"),
    }


def _tweet_url(tweet_id: Any, username: Any) -> str | None:
    if int_id(tweet_id) is None:
        return None
    if isinstance(username, str) and _USERNAME.match(username):
        return f"https://x.com/{username}/status/{tweet_id}"
    return f"https://x.com/i/web/status/{tweet_id}"


def _created_from_id(native_id: Any) -> str | None:
    moment = snowflake_time(native_id)
    return model.iso(moment) if moment else None


def _stored_time(value: Any) -> datetime | None:
    try:
        return model.parse_time(value) if value else None
    except ValueError:
        return None


def _json_body(response: Any) -> dict:
    try:
        body = json.loads(response.content or b"")
    except (ValueError, TypeError, AttributeError):
        raise _Malformed() from None
    if not isinstance(body, dict):
        raise _Malformed()
    return body


def _problem(response: Any) -> dict:
    """Safe tokens from an error response: status, title, reason, type, codes, parameter names."""
    status = getattr(response, "status_code", 0) or 0
    try:
        body = json.loads(getattr(response, "content", b"") or b"")
    except (ValueError, TypeError):
        body = None
    body = _dict(body)
    errors = [_dict(e) for e in _list(body.get("errors"))]
    codes = [str(e["code"]) for e in errors if isinstance(e.get("code"), int)]
    params = sorted({_safe(p) for e in errors for p in _dict(e.get("parameters"))})
    title = _safe(body.get("title") or next((e.get("title") for e in errors if e.get("title")), "") or "")
    type_tail = _safe(str(body.get("type") or "").rsplit("/", 1)[-1])
    reason = _safe(body.get("reason") or "")
    phrase = _safe(getattr(response, "reason", "") or "")
    return {
        "status": status,
        "title": title,
        "reason": reason,
        "type": _safe(body.get("type") or "", 100),
        "type_tail": type_tail,
        "codes": ", ".join(codes),
        "params": ", ".join(params),
        "period": _safe(body.get("period") or ""),
        "tag": title or phrase or "error",
    }


_SEVERITY = (AuthError, NotEntitled, BudgetExhausted, RateLimited, TransientError, SourceError)


def _first_error(errors: list[SourceError]) -> SourceError:
    """The most severe error, its message extended with the others."""
    ranked = sorted(errors, key=lambda e: next(i for i, cls in enumerate(_SEVERITY) if isinstance(e, cls)))
    first = ranked[0]
    if len(ranked) > 1:
        first.args = (f"{first.args[0]}; also: " + "; ".join(str(e) for e in ranked[1:]),)
    return first
