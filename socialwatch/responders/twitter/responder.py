"""The twitter responder plugin: `TwitterResponder`, its settings, public replies and reconciliation."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, ClassVar

from socialwatch import model
from socialwatch.errors import ConfigError
from socialwatch.responders import OutcomeUnknown, ReplyFailed, Responder, ResponderContext, SendResult
from socialwatch.responders.twitter.calls import CallsMixin
from socialwatch.responders.twitter.dms import DmMixin
from socialwatch.responders.twitter.records import (
    INDEX_GRACE,
    LOOKUP_MARGIN,
    LOOKUP_PAGES,
    LOOKUP_TWEET_FIELDS,
    USER_SECRET_KEYS,
    _parse,
    comparable,
)
from socialwatch.sources.twitter import (
    _USER_KEYS_HINT,
    Credentials,
    _dict,
    _hhmm,
    _list,
    _tweet_url,
    int_id,
    snowflake_time,
    user_client,
)


class TwitterResponder(CallsMixin, DmMixin, Responder):
    """Replies on X as the brand account (user-context credentials)."""

    type_name: ClassVar[str] = "twitter"
    settings: ClassVar[dict[str, Any]] = {
        "consumer_key": str,
        "consumer_secret": str,
        "access_token": str,
        "access_token_secret": str,
        "user_token": str,
        "user_id": (str, int),
        "username": str,
        "timeout": (int, float),
    }
    secrets: ClassVar[tuple[str, ...]] = USER_SECRET_KEYS

    def __init__(self, name: str, config: dict, context: ResponderContext) -> None:
        super().__init__(name, config, context)
        self.creds = Credentials.from_table({k: config.get(k) for k in USER_SECRET_KEYS})
        user_id = config.get("user_id")
        self.user_id: str | None = str(user_id).strip() if user_id not in (None, "") else None
        username = config.get("username")
        self.username: str | None = username.strip().lstrip("@") if isinstance(username, str) else None
        self.timeout = max(1.0, float(config.get("timeout", 30)))
        self._client: Any = None
        self._time: Callable[[], float] = time.time
        self._now: Callable[[], datetime] = model.utcnow

    # ---- configuration -------------------------------------------------------------------------
    @classmethod
    def check_config(cls, name: str, table: dict, path: str | None = None) -> None:
        """Types and ranges (ConfigError). Missing credentials are reported when a reply is sent
        (ReplyFailed), so that the outbox records the attempt as failed and keeps the draft."""
        super().check_config(name, table, path)
        timeout = table.get("timeout")
        if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and not 1 <= timeout <= 600:
            raise ConfigError(
                f"expected a value from 1 to 600, got {timeout}", path=path, key=f"responders.{name}.timeout"
            )
        user_id = table.get("user_id")
        if user_id is not None and (isinstance(user_id, bool) or int_id(str(user_id).strip()) is None):
            raise ConfigError(
                'expected the brand account\'s numeric id (e.g. "783214"), not a handle',
                path=path,
                key=f"responders.{name}.user_id",
            )

    def credential_problem(self) -> str | None:
        """What is missing from the user-context credentials (key names only), or None."""
        if self.creds.missing_oauth1:
            keys = ", ".join(f"`{k}`" for k in self.creds.missing_oauth1)
            return f"incomplete OAuth 1.0a credentials in responders.{self.name}: also set {keys}"
        if not self.creds.has_user:
            return (
                f"X responder {self.name} has no user-context credentials: set {_USER_KEYS_HINT} "
                f'in responders.{self.name} (as "$ENV_VAR" references)'
            )
        return None

    # ---- posting -------------------------------------------------------------------------------
    def post_public(self, mention: dict, text: str, key: str) -> SendResult:
        """Reply in the mention's thread (`create_tweet(in_reply_to_tweet_id=…)`)."""
        self._require_credentials(ReplyFailed)
        target = self._public_target(mention)
        client, user_auth = self._user_client()
        body = self._post(
            "reply", lambda: client.create_tweet(text=text, in_reply_to_tweet_id=target, user_auth=user_auth)
        )
        reply_id = _dict(body.get("data")).get("id")
        if int_id(reply_id) is None:
            raise OutcomeUnknown(self._unclear("reply", "its answer carries no post id"))
        return SendResult(reply_id=str(reply_id), url=_tweet_url(reply_id, self.username))

    def _public_target(self, mention: dict) -> str:
        self._check_platform(mention)
        if mention.get("kind") == "dm":
            raise ReplyFailed(f"X responder {self.name}: {mention.get('id')} is a direct message: reply privately")
        target = mention.get("native_id")
        if int_id(target) is None:
            raise ReplyFailed(f"X responder {self.name}: {mention.get('id')} has no X post id to reply to")
        return str(target)

    # ---- looking up earlier attempts -----------------------------------------------------------
    def find_reply(self, mention: dict, record: dict) -> SendResult | None:
        """The reply `record` stands for if X lists it; None when X certainly does not.

        Raises OutcomeUnknown when X cannot tell now (network, 5xx, refused lookup, too many posts
        to look through, or an attempt so recent that X may not list it yet).
        """
        self._require_credentials(OutcomeUnknown)
        if not mention:
            raise OutcomeUnknown(f"X responder {self.name}: the mention of {record.get('id')} is no longer stored")
        since = (_parse(record.get("created_at")) or self._now()) - LOOKUP_MARGIN
        want = comparable(record.get("text"))
        if record.get("visibility") == "private":
            found = self._find_dm(mention, want, since)
        else:
            found = self._find_tweet(mention, want, since)
        if found is not None:
            return found
        last = max(filter(None, [_parse(record.get("created_at")), _parse(record.get("updated_at"))]), default=None)
        if last is not None and self._now() - last < INDEX_GRACE:
            raise OutcomeUnknown(
                f"X responder {self.name}: not listed yet, but X may list a post made at {_hhmm(last)} a little "
                f"late: reconcile again after {_hhmm(last + INDEX_GRACE)}"
            )
        return None

    def _find_tweet(self, mention: dict, want: str, since: datetime) -> SendResult | None:
        target = str(mention.get("native_id") or "")
        user_id = self._brand_id()
        client, user_auth = self._user_client()
        params = {
            "start_time": model.iso(since),
            "tweet_fields": LOOKUP_TWEET_FIELDS,
            "exclude": ["retweets"],
            "max_results": 100,
            "user_auth": user_auth,
        }
        for tweet in self._walk(
            "the account's posts", lambda **page: client.get_users_tweets(user_id, **params, **page)
        ):
            replied = {
                _dict(r).get("id")
                for r in _list(tweet.get("referenced_tweets"))
                if _dict(r).get("type") == "replied_to"
            }
            if target in replied and comparable(tweet.get("text")) == want and int_id(tweet.get("id")) is not None:
                return SendResult(reply_id=str(tweet["id"]), url=_tweet_url(tweet["id"], self.username))
        return None


    def _walk(self, label: str, request: Callable[..., Any], *, since: datetime | None = None) -> Iterator[dict]:
        """Items of a newest-first listing, page by page; stops at `since` (DMs have no start_time).

        Raises OutcomeUnknown when the pages run out before the listing does.
        """
        token: str | None = None
        for _ in range(LOOKUP_PAGES):
            body = self._get(label, request, **({"pagination_token": token} if token else {}))
            for item in map(_dict, _list(body.get("data"))):
                created = _parse(item.get("created_at")) or snowflake_time(item.get("id"))
                if since is not None and created is not None and created < since:
                    return
                yield item
            token = _dict(body.get("meta")).get("next_token")
            if not isinstance(token, str) or not token:
                return
        raise OutcomeUnknown(
            f"X responder {self.name}: looked through {LOOKUP_PAGES} pages of {label} without finding the reply "
            "and without reaching the time of the attempt: check the thread by hand"
        )

    def _brand_id(self) -> str:
        """The brand account's id: the `user_id` setting, else one `get_me` (cached with the username)."""
        if self.user_id:
            return self.user_id
        client, user_auth = self._user_client()
        data = _dict(self._get("the account (GET /2/users/me)", client.get_me, user_auth=user_auth).get("data"))
        if int_id(data.get("id")) is None:
            raise OutcomeUnknown(f"X responder {self.name}: the account lookup returned no user id: set `user_id`")
        self.user_id = str(data["id"])
        username = data.get("username")
        if not self.username and isinstance(username, str):
            self.username = username
        return self.user_id

    # ---- client --------------------------------------------------------------------------------
    def _require_credentials(self, error: type[Exception]) -> None:
        problem = self.credential_problem()
        if problem:
            raise error(problem)

    def _user_client(self) -> tuple[Any, bool]:
        """(client, user_auth): OAuth 1.0a signs with user_auth=True, an OAuth 2.0 user token with False."""
        if self._client is None:
            self._client = user_client(self.creds, self.timeout)
        return self._client, self.creds.user_mode == "oauth1"

    def close(self) -> None:
        """Close the client's HTTP session."""
        if self._client is not None:
            try:
                self._client.session.close()
            except Exception:  # closing must never fail a reply
                pass
            self._client = None
