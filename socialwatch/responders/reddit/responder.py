"""The reddit responder plugin: `RedditResponder`, its settings and client, public replies and reconciliation."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from socialwatch import model
from socialwatch.errors import ConfigError
from socialwatch.responders import OutcomeUnknown, ReplyFailed, Responder, SendResult
from socialwatch.responders.reddit.calls import CallsMixin
from socialwatch.responders.reddit.dms import DmMixin
from socialwatch.responders.reddit.records import (
    _USERNAME,
    CLOCK_SKEW,
    LOOKUP_PAGES,
    SETTLE_SECONDS,
    SUBJECT_LIMIT,
    _children,
    _found,
    _handle,
    _normalise,
    _reply,
    _same,
)
from socialwatch.responders.reddit.requestor import PostLog, _once_requestor_class
from socialwatch.sources.reddit import (
    _FULLNAME,
    _is_number,
    auth_mode,
    build_reddit,
)

if TYPE_CHECKING:
    import praw


class RedditResponder(CallsMixin, DmMixin, Responder):
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

    # ---- what a mention says ---------------------------------------------------------------
    def _fullname(self, mention: dict) -> str:
        native = mention.get("native_id") or str(mention.get("id", "")).partition(":")[2]
        if mention.get("platform") not in (None, "reddit") or not _FULLNAME.match(str(native)):
            raise ReplyFailed(
                f"responder {self.name}: {mention.get('id')} is not a Reddit comment, post or message "
                "(expected a fullname such as t1_abc123)"
            )
        return str(native)

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
