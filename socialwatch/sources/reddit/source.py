"""The reddit source plugin: `RedditSource`, its settings, `fetch`, marking the inbox read, and `test`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from socialwatch import model
from socialwatch.errors import ConfigError
from socialwatch.sources import (
    AuthError,
    Batch,
    RateLimited,
    Source,
    SourceContext,
    SourceError,
    TransientError,
)
from socialwatch.sources.reddit.auth import Meter, _metered_requestor_class, auth_mode, build_reddit, credential_keys
from socialwatch.sources.reddit.calls import CallsMixin
from socialwatch.sources.reddit.mapping import _SUBREDDIT, _sub_name
from socialwatch.sources.reddit.walk import DEFAULT_INBOX, INBOX_LISTINGS, Listing, WalkMixin

if TYPE_CHECKING:
    import praw

MARK_READ_CHUNK = 25  # Reddit's limit of ids per /api/read_message/ call


class MarkReadFailed(SourceError):
    """Stored inbox items could not be marked read: nothing is lost, the source is degraded."""

    state = "degraded"


# ---- the source --------------------------------------------------------------------------------
class RedditSource(WalkMixin, CallsMixin, Source):
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
