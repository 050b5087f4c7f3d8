"""The `reddit` responder: public replies and private messages through praw 8.

- `post_public`: the mention's fullname says what to answer: `t1_` a comment
  (`reddit.comment(id).reply`), `t3_` a post (`reddit.submission(id).reply`), `t4_` a private
  message (`reddit.inbox.message(id).reply`, which stays private).
- `post_private`: a new private message to the mention's author
  (`reddit.redditor(handle).message(subject=..., message=...)`); for a private message (`t4_`)
  the answer goes into its conversation instead of starting a new one.
- `find_reply` (for `outbox reconcile`): the account's own recent comments (public replies) or
  sent messages (private ones), matched on the thing replied to or the recipient, the text
  (whitespace normalised) and the time of the attempt.

Exactly once: prawcore retries a request after a 5xx status, a read time-out or a dropped
connection, POSTs included, so one `reply()` could post twice. The client is built with a
requestor (`OncePostRequestor`, through praw's documented `requestor_class`) that hands the
reply POST (`/api/comment/`, `/api/compose/`) to the network at most once per outcome it cannot
judge: such a POST raises `PostInDoubt` instead of returning the response, so prawcore never
retries it, and the responder reports `OutcomeUnknown`. Definite refusals (401, 403, 404, 429,
API errors such as `RATELIMIT`) pass through untouched; retrying those is safe.

Which outcome an error means depends on whether the reply POST left: anything that fails before
it (building the client, the token request, loading a message thread) is `ReplyFailed`; after it,
only definite refusals are `ReplyFailed`, everything else is `OutcomeUnknown`.

Reddit has no idempotency key: the outbox's `key` is not sent; `find_reply` identifies an
attempt by what it posted instead.

Error messages are built here from status codes, Reddit's error codes and config key names:
never from credentials or from the exception text of the HTTP layer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from socialwatch import model
from socialwatch.errors import ConfigError
from socialwatch.responders import OutcomeUnknown, ReplyFailed, Responder, SendResult
from socialwatch.sources.reddit import (
    _FULLNAME,
    _clean,
    _is_number,
    _network_cause,
    _url,
    auth_detail,
    auth_mode,
    build_reddit,
    credential_keys,
    is_unauthorized,
    retry_after_seconds,
)

if TYPE_CHECKING:
    import praw

#: the URL paths of the POSTs that create something: never sent twice by prawcore's retries
REPLY_PATHS = frozenset({"/api/comment/", "/api/compose/"})
#: statuses after which a POST may or may not have been carried out
DOUBTFUL_STATUSES = frozenset({408, 500, 502, 503, 504, 520, 522})
#: how far `find_reply` looks back before the attempt, for clock differences
CLOCK_SKEW = 60.0
#: a reply not found this soon after the attempt may just not be listed yet
SETTLE_SECONDS = 90.0
#: pages of 100 the lookup reads at most (Reddit serves about 1,000 items of a listing)
LOOKUP_PAGES = 10
SUBJECT_LIMIT = 100  # Reddit's limit for a message subject

_USERNAME = re.compile(r"^[A-Za-z0-9_-]{3,20}$")
_RETRY_IN = re.compile(r"(\d+)\s*(millisecond|second|minute|hour)s?", re.I)
_UNIT_SECONDS = {"millisecond": 0.001, "second": 1, "minute": 60, "hour": 3600}
_WHITESPACE = re.compile(r"\s+")
#: Reddit API error codes that refuse a reply, and what they mean for the agent
API_REFUSALS = {
    "DELETED_COMMENT": "the comment you are replying to was deleted",
    "DELETED_LINK": "the post you are replying to was deleted",
    "THREAD_LOCKED": "the thread is locked: nobody can reply to it",
    "TOO_OLD": "the post is archived (too old to reply to)",
    "USER_DOESNT_EXIST": "that Reddit user does not exist (deleted or suspended account)",
    "NOT_WHITELISTED_BY_USER_MESSAGE": "the user accepts private messages only from people they approved",
    "USER_BLOCKED_MESSAGE": "the user has blocked the brand account",
    "SUBREDDIT_NOTALLOWED": "the account is not allowed to post in that subreddit",
}


class PostInDoubt(Exception):
    """The reply POST got no definite answer; raised instead of the response so prawcore cannot retry it.

    `sent` is False only when the connection was never made (connect time-out): nothing left.
    """

    def __init__(self, cause: str, *, sent: bool = True) -> None:
        super().__init__(cause)
        self.cause = cause
        self.sent = sent


@dataclass
class PostLog:
    """Shared by the responder and its requestor: how many reply POSTs were handed to the network."""

    attempts: int = 0
    requestor: Any = field(default=None, repr=False)

    @staticmethod
    def watches(method: Any, url: Any) -> bool:
        return str(method).upper() == "POST" and urlsplit(str(url)).path in REPLY_PATHS


@lru_cache(maxsize=1)
def _once_requestor_class() -> type:
    """A prawcore Requestor that sends each reply POST once and turns an unclear outcome into PostInDoubt."""
    import requests
    from prawcore import Requestor
    from prawcore.exceptions import RequestException

    class OncePostRequestor(Requestor):
        def __init__(self, *args: Any, post_log: PostLog, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._post_log = post_log
            post_log.requestor = self

        def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> Any:
            if not self._post_log.watches(method, url):
                return super().request(method, url, *args, **kwargs)
            self._post_log.attempts += 1
            try:
                response = super().request(method, url, *args, **kwargs)
            except RequestException as exc:
                never_connected = isinstance(exc.original_exception, requests.exceptions.ConnectTimeout)
                raise PostInDoubt(_network_cause(exc), sent=not never_connected) from None
            if response.status_code in DOUBTFUL_STATUSES or response.status_code >= 500:
                raise PostInDoubt(f"HTTP {response.status_code}")
            return response

    return OncePostRequestor


# ---- the responder -----------------------------------------------------------------------------
class RedditResponder(Responder):
    """Replies in Reddit threads and private messages to authors, with lookups for reconciliation."""

    type_name = "reddit"
    settings = {
        "client_id": str,
        "client_secret": str,
        "username": str,
        "password": str,
        "refresh_token": str,
        "user_agent": str,
        "subject": str,
    }
    required = ("client_id",)
    secrets = ("client_secret", "password", "refresh_token")

    def __init__(self, name: str, config: dict, context: Any) -> None:
        super().__init__(name, config, context)
        self._post_log = PostLog()
        self._reddit: praw.Reddit | None = None
        self._me: str | None = None

    @classmethod
    def check_config(cls, name: str, table: dict, path: str | None = None) -> None:
        """Types (base class), then an auth mode that can post and a usable subject."""
        super().check_config(name, table, path)

        def fail(key: str, message: str) -> ConfigError:
            return ConfigError(message, path=path, key=f"responders.{name}.{key}")

        if table.get("password") and not table.get("username"):
            raise fail("username", "password is set but username is not (script auth needs both)")
        if auth_mode(table) == "read_only":
            raise fail(
                "refresh_token", "posting needs a Reddit user: set username + password (script app) or refresh_token"
            )
        if not table.get("client_secret") and not table.get("refresh_token"):
            raise fail("client_secret", "missing (only an installed app with a refresh_token can do without)")
        username = table.get("username")
        if username and not _USERNAME.match(_handle(username)):
            raise fail("username", "not a Reddit username")
        subject = table.get("subject")
        if subject is not None and not 0 < len(subject.strip()) <= SUBJECT_LIMIT:
            raise fail("subject", f"must be 1 to {SUBJECT_LIMIT} characters")

    # ---- the client ------------------------------------------------------------------------
    def _client(self) -> praw.Reddit:
        if self._reddit is None:
            self._reddit = build_reddit(self.config, _once_requestor_class(), {"post_log": self._post_log})
        return self._reddit

    def close(self) -> None:
        if self._post_log.requestor is not None:
            self._post_log.requestor.close()
            self._post_log.requestor = None
        self._reddit = None

    # ---- posting ---------------------------------------------------------------------------
    def post_public(self, mention: dict, text: str, key: str) -> SendResult:
        """Reply in the thread of the comment, post or private message the mention is."""
        fullname = self._fullname(mention)
        return self._post(lambda reddit: _reply(reddit, fullname, text), f"the reply to {fullname}")

    def post_private(self, mention: dict, text: str, key: str) -> SendResult:
        """A private message to the mention's author (an answer in the conversation for a message)."""
        fullname = self._fullname(mention)
        if fullname.startswith("t4_"):
            return self._post(lambda reddit: _reply(reddit, fullname, text), f"the answer to message {fullname}")
        handle = self._recipient(mention)
        subject = self._subject(fullname)

        def send(reddit: praw.Reddit) -> SendResult:
            reddit.redditor(handle).message(subject=subject, message=text)
            return SendResult(reply_id=None, url=None, confirmed=True)  # Reddit answers `errors: []`, no id

        return self._post(send, f"the private message to u/{handle}")

    def _post(self, action: Callable[[praw.Reddit], SendResult], what: str) -> SendResult:
        """Run one posting action and map what went wrong by whether its POST left."""
        before = self._post_log.attempts
        try:
            return action(self._client())
        except Exception as exc:  # mapped below: every outcome ends as ReplyFailed or OutcomeUnknown
            sent = self._post_log.attempts > before
            raise self._post_error(exc, what, sent) from None

    def _post_error(self, exc: Exception, what: str, sent: bool) -> ReplyFailed | OutcomeUnknown:
        prefix = f"responder {self.name}"
        if isinstance(exc, PostInDoubt):
            if not exc.sent:
                return ReplyFailed(
                    f"{prefix}: could not connect to Reddit ({exc.cause}); {what} was not sent, try again"
                )
            return OutcomeUnknown(f"{prefix}: Reddit did not confirm {what} ({exc.cause}); it may have been posted")
        refusal = self._refusal(exc, what)
        if refusal is not None:
            return refusal
        if not sent:
            return ReplyFailed(f"{prefix}: {what} was not sent: {_describe(exc)}; try again")
        return OutcomeUnknown(f"{prefix}: {what} was sent but the answer could not be read ({_describe(exc)})")

    def _refusal(self, exc: Exception, what: str) -> ReplyFailed | None:
        """A ReplyFailed for a definite refusal by Reddit (nothing was posted), else None."""
        import praw.exceptions as pe
        import prawcore.exceptions as pc

        prefix = f"responder {self.name}"
        if isinstance(exc, pe.RedditAPIException):
            return self._api_refusal(exc, what)
        if isinstance(exc, pc.TooManyRequests):
            seconds = retry_after_seconds(exc.response.headers)
            return _rate_limited(f"{prefix}: Reddit's rate limit (429) refused {what}", seconds)
        if is_unauthorized(exc):
            return ReplyFailed(
                f"{prefix}: Reddit rejected the credentials ({auth_detail(exc)}): check "
                f"{credential_keys(self.config, f'responders.{self.name}')} (an expired or revoked token or app "
                f"also causes this); {what} was not posted"
            )
        if isinstance(exc, pc.InsufficientScope):
            return ReplyFailed(
                f"{prefix}: the token lacks the OAuth scope for {what} (authorize the app again with the "
                "'submit' and 'privatemessages' scopes); nothing was posted"
            )
        if isinstance(exc, pc.Forbidden):
            return ReplyFailed(
                f"{prefix}: Reddit refused {what} (403 Forbidden): the account may be banned from the subreddit, "
                "the thread locked or archived, or replying there not allowed; nothing was posted"
            )
        if isinstance(exc, pc.NotFound):
            return ReplyFailed(f"{prefix}: {what}: the thing replied to does not exist on Reddit (404)")
        if isinstance(exc, pc.ResponseException) and 400 <= exc.response.status_code < 500:
            return ReplyFailed(f"{prefix}: Reddit refused {what} (HTTP {exc.response.status_code}); nothing was posted")
        return None

    def _api_refusal(self, exc: Any, what: str) -> ReplyFailed:
        prefix = f"responder {self.name}"
        items = list(exc.items)
        for item in items:
            if item.error_type == "RATELIMIT":
                seconds = _retry_in(item.message or "")
                return _rate_limited(f"{prefix}: Reddit's rate limit (RATELIMIT) refused {what}", seconds)
        for item in items:
            meaning = API_REFUSALS.get(item.error_type)
            if meaning:
                return ReplyFailed(f"{prefix}: {what} was not posted: {meaning} ({item.error_type})")
        detail = "; ".join(f"{_clean(i.error_type)}: {_clean(i.message or '')}" for i in items) or "no detail"
        return ReplyFailed(f"{prefix}: Reddit refused {what}: {detail}")

    # ---- what a mention says ---------------------------------------------------------------
    def _fullname(self, mention: dict) -> str:
        native = mention.get("native_id") or str(mention.get("id", "")).partition(":")[2]
        if mention.get("platform") not in (None, "reddit") or not _FULLNAME.match(str(native)):
            raise ReplyFailed(
                f"responder {self.name}: {mention.get('id')} is not a Reddit comment, post or message "
                "(expected a fullname such as t1_abc123)"
            )
        return str(native)

    def _recipient(self, mention: dict) -> str:
        handle = _handle((mention.get("author") or {}).get("handle") or "")
        if not handle:
            raise ReplyFailed(f"responder {self.name}: {mention.get('id')} has no author to send a private message to")
        if not _USERNAME.match(handle):
            raise ReplyFailed(f"responder {self.name}: {handle[:40]!r} is not a Reddit username")
        return handle

    def _subject(self, fullname: str) -> str:
        brand = str((self.context.brand or {}).get("name") or "").strip()
        configured = self.config.get("subject")
        if configured:
            subject = configured.replace("{brand}", brand)
        else:
            thing = "comment" if fullname.startswith("t1_") else "post"
            subject = f"Re: your {thing}" + (f" ({brand})" if brand else "")
        return _clean(subject).strip()[:SUBJECT_LIMIT] or "Re: your post"

    # ---- reconciliation --------------------------------------------------------------------
    def find_reply(self, mention: dict, record: dict) -> SendResult | None:
        """The reply `record` attempted, if the account's recent comments or sent messages hold it.

        Matched on the thing replied to (public) or the recipient (private), the text with
        whitespace normalised, and a creation time no earlier than a minute before the attempt;
        replies already recorded on the mention are skipped. Raises OutcomeUnknown when Reddit
        cannot tell now, and when nothing is found but the attempt is too recent to be sure.
        """
        if mention is None:
            raise OutcomeUnknown(f"responder {self.name}: the mention of record {record.get('id')} is not stored")
        try:
            fullname = self._fullname(mention)
        except ReplyFailed:
            return None  # posting refuses such a mention before sending anything
        since = model.parse_time(record["created_at"]).timestamp() - CLOCK_SKEW
        wanted = _normalise(record["text"])
        known = {r.get("reply_id") for r in mention.get("replies") or [] if isinstance(r, dict)} - {None}
        matches = self._matcher(mention, fullname, record)
        if matches is None:
            return None  # posting refuses a private message without a recipient before sending anything
        try:
            if fullname.startswith("t4_") or record.get("visibility") == "private":
                found = self._find("t4", self._sent_path(), {}, matches, wanted, since, known)
            else:
                found = self._find("t1", self._comments_path(), {"sort": "new"}, matches, wanted, since, known)
        except OutcomeUnknown:
            raise
        except Exception as exc:  # mapped: a lookup that failed says nothing about the reply
            raise OutcomeUnknown(
                f"responder {self.name}: could not look the reply up on Reddit ({self._lookup_cause(exc)})"
            ) from None
        if found is None:
            self._check_settled(record)
        return found

    def _matcher(self, mention: dict, fullname: str, record: dict) -> Callable[[dict], bool] | None:
        """What ties a listed item to this mention: the thing replied to, or the recipient of a new message."""
        if fullname.startswith("t4_") or record.get("visibility") != "private":
            return lambda item: item.get("parent_id") == fullname
        try:
            recipient = self._recipient(mention).lower()
        except ReplyFailed:
            return None
        return lambda item: isinstance(item.get("dest"), str) and item["dest"].lower() == recipient

    def _comments_path(self) -> str:
        from praw.endpoints import API_PATH

        return API_PATH["user"].format(user=self._username()) + "comments/"

    @staticmethod
    def _sent_path() -> str:
        from praw.endpoints import API_PATH

        return API_PATH["sent"]

    def _find(
        self, kind: str, path: str, params: dict, matches: Callable[[dict], bool], text: str, since: float, known: set
    ) -> SendResult | None:
        """The oldest item of `kind` in the listing that matches (the first attempt, should there be two)."""
        match = None
        for item_kind, item in self._recent(path, params, since):
            if item_kind == kind and matches(item) and _same(item, text, since, known):
                match = item
        return _found(kind, match)

    def _recent(self, path: str, params: dict, since: float) -> Iterator[tuple[str, dict]]:
        """(kind, data) of a listing, newest first, until an item older than `since` or its end."""
        reddit = self._client()
        after: str | None = None
        for _ in range(LOOKUP_PAGES):
            query = {**params, "limit": 100, **({"after": after} if after else {})}
            data = reddit.request(method="GET", path=path, params=query)
            listing = _children(data)
            if listing is None:
                raise OutcomeUnknown(
                    f"responder {self.name}: Reddit answered the lookup with something that is not a listing"
                )
            children, after = listing
            for child in children:
                kind, item = child.get("kind"), child.get("data")
                if not isinstance(item, dict):
                    continue
                created = item.get("created_utc")
                if _is_number(created) and created < since:
                    return
                yield str(kind), item
            if not after:
                return
        raise OutcomeUnknown(
            f"responder {self.name}: the account posted more than {LOOKUP_PAGES * 100} items since the attempt; "
            "check on Reddit by hand"
        )

    def _username(self) -> str:
        """The account's name: `username` (script auth), else asked once from /api/v1/me."""
        if self._me is None:
            name = self.config.get("username")
            if not name:
                from praw.endpoints import API_PATH

                data = self._client().request(method="GET", path=API_PATH["me"])
                name = data.get("name") if isinstance(data, dict) else None
            name = _handle(str(name or ""))
            if not _USERNAME.match(name):
                raise OutcomeUnknown(f"responder {self.name}: Reddit did not say which account the token belongs to")
            self._me = name
        return self._me

    def _check_settled(self, record: dict) -> None:
        """Not found: fine to call it failed only once Reddit's listings have had time to show it."""
        last = model.parse_time(record.get("updated_at") or record["created_at"])
        ready = last + timedelta(seconds=SETTLE_SECONDS)
        if model.utcnow() < ready:
            raise OutcomeUnknown(
                f"responder {self.name}: the reply is not listed yet, but the attempt was less than "
                f"{int(SETTLE_SECONDS)} s ago and Reddit's listings can lag: reconcile again after {model.iso(ready)}"
            )

    def _lookup_cause(self, exc: Exception) -> str:
        import prawcore.exceptions as pc

        if is_unauthorized(exc):
            return (
                f"Reddit rejected the credentials ({auth_detail(exc)}): check "
                f"{credential_keys(self.config, f'responders.{self.name}')}"
            )
        if isinstance(exc, pc.TooManyRequests):
            seconds = retry_after_seconds(exc.response.headers)
            return "rate limited (429)" + (f", try again in {int(seconds)} s" if seconds else "")
        if isinstance(exc, pc.InsufficientScope):
            return "the token lacks the 'history' or 'privatemessages' scope"
        return _describe(exc)


# ---- helpers -----------------------------------------------------------------------------------
def _reply(reddit: praw.Reddit, fullname: str, text: str) -> SendResult:
    """`reply()` on the comment, post or message `fullname`; None from praw is an unconfirmed reply."""
    kind, _, id36 = fullname.partition("_")
    if kind == "t1":
        target: Any = reddit.comment(id36)
    elif kind == "t3":
        target = reddit.submission(id36)
    else:
        target = reddit.inbox.message(id36)
    posted = target.reply(text)
    if posted is None:  # Reddit answered `things: []`: the reply may exist; reconcile settles it
        return SendResult(confirmed=False)
    return SendResult(reply_id=posted.fullname, url=_thing_url(posted), confirmed=True)


def _thing_url(thing: Any) -> str | None:
    """The reddit.com URL of a praw Comment or Message from the data it came with (no lazy fetch)."""
    data = {k: v for k, v in vars(thing).items() if not k.startswith("_")}
    if data.get("subreddit") is not None:
        data["subreddit"] = str(data["subreddit"])
    url = _url(thing.fullname.partition("_")[0], data)
    return url if isinstance(url, str) else None


def _found(kind: str, item: dict | None) -> SendResult | None:
    if item is None:
        return None
    name = item.get("name")
    url = _url(kind, item)
    return SendResult(reply_id=name if isinstance(name, str) else None, url=url if isinstance(url, str) else None)


def _same(item: dict, text: str, since: float, known: set) -> bool:
    created = item.get("created_utc")
    body = item.get("body")
    return (
        isinstance(body, str)
        and _normalise(body) == text
        and _is_number(created)
        and created >= since
        and item.get("name") not in known
    )


def _children(data: Any) -> tuple[list, str | None] | None:
    """A listing's children and its `after` cursor; None when `data` is not a listing."""
    body = data.get("data") if isinstance(data, dict) and data.get("kind") == "Listing" else None
    children = body.get("children") if isinstance(body, dict) else None
    if not isinstance(children, list):
        return None
    after = body.get("after")
    return [c for c in children if isinstance(c, dict)], after if isinstance(after, str) and after else None


def _normalise(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def _handle(value: str) -> str:
    value = value.strip().lstrip("@")
    for prefix in ("/u/", "u/"):
        if value.lower().startswith(prefix):
            return value[len(prefix) :]
    return value


def _retry_in(message: str) -> float | None:
    """Seconds from Reddit's "try again in 9 minutes" / "take a break for 5 minutes"."""
    found = _RETRY_IN.search(message)
    if not found:
        return None
    return float(found.group(1)) * _UNIT_SECONDS[found.group(2).lower()]


def _rate_limited(message: str, seconds: float | None) -> ReplyFailed:
    if seconds is None:
        return ReplyFailed(f"{message}; nothing was posted, try again later")
    at = model.iso(model.utcnow() + timedelta(seconds=seconds))
    return ReplyFailed(f"{message}; nothing was posted, try again after {at} ({int(seconds)} s)", retry_after=seconds)


def _describe(exc: BaseException) -> str:
    """What went wrong, from types and status codes only."""
    import prawcore.exceptions as pc

    if isinstance(exc, pc.BadJSON):
        return "Reddit's answer was not valid JSON"
    if isinstance(exc, pc.ResponseException):
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, pc.RequestException):
        return _network_cause(exc)
    return type(exc).__name__
