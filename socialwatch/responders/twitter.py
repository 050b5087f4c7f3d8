"""The X / Twitter responder (`type = "twitter"`): public replies and DMs through tweepy (API v2).

- `post_public`: `POST /2/tweets` with `in_reply_to_tweet_id` = the mention's post id.
- `post_private`: `POST /2/dm_conversations/:id/messages` when the mention is a DM with a
  conversation id, else `POST /2/dm_conversations/with/:author_id/messages`.
- `find_reply`: whether an earlier attempt went through, for `outbox reconcile`: the brand
  account's posts since the attempt (`GET /2/users/:id/tweets`) for a reply to the mention with
  the same text, or the DM events of the conversation for a message with the same text.

X has no idempotency key, so a POST is never retried here: a 5xx, a time-out or a dropped
connection after the request may have left, or an unreadable 2xx body, raise `OutcomeUnknown`
and the outbox leaves the record for `reconcile`. 4xx answers raise `ReplyFailed` (nothing was
posted). Both user-context credential forms of the twitter source are accepted (OAuth 1.0a keys,
or an OAuth 2.0 `user_token`); the client is built by `sources.twitter.user_client`.

No message built here contains a credential or tweepy's exception text: messages are rebuilt
from the HTTP status, the API's error titles and its (sanitised) error detail.
"""

from __future__ import annotations

import html
import json
import re
import time
import unicodedata
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from socialwatch import model, secrets, textlimits
from socialwatch.errors import ConfigError
from socialwatch.responders import OutcomeUnknown, ReplyFailed, Responder, ResponderContext, SendResult
from socialwatch.sources.twitter import (
    _CONVERSATION,
    _USER_KEYS_HINT,
    OAUTH1_KEYS,
    Credentials,
    _dict,
    _hhmm,
    _json_body,
    _list,
    _Malformed,
    _problem,
    _requests,
    _tweepy,
    _tweet_url,
    int_id,
    snowflake_time,
    user_client,
)

USER_SECRET_KEYS = (*OAUTH1_KEYS, "user_token")
#: An earlier attempt is looked for from this long before the record was created (clock skew).
LOOKUP_MARGIN = timedelta(minutes=1)
#: X may list a new post a little late: "not found" this soon after the last attempt stays unknown.
INDEX_GRACE = timedelta(minutes=2)
#: Pages of 100 the lookup walks before it gives up (and the record stays unknown).
LOOKUP_PAGES = 5
LOOKUP_TWEET_FIELDS = ["in_reply_to_user_id", "referenced_tweets", "created_at", "conversation_id"]
LOOKUP_DM_FIELDS = ["id", "text", "created_at", "sender_id", "dm_conversation_id", "event_type"]

_LEADING_MENTIONS = re.compile(r"^(?:@\w{1,50}\s+)+")
_DETAIL_LIMIT = 200
_GONE = re.compile(r"deleted|not visible|could not find|resource-not-found|no status found", re.I)
_DUPLICATE = re.compile(r"duplicate", re.I)
_PROTECTED = re.compile(r"protected|not authorized to see", re.I)
_REPLY_RESTRICTED = re.compile(r"reply to this conversation is not allowed|restricted who can reply", re.I)


# ---- text helpers -------------------------------------------------------------------------------
def comparable(text: Any) -> str:
    """A reply text reduced for comparison with what X lists.

    X escapes `&<>` as HTML entities, wraps every link in a t.co URL and may prefix a reply with
    the @handles it answers: unescape, replace each URL by one marker, drop leading @handles and
    collapse whitespace.
    """
    if not isinstance(text, str):
        return ""
    text = unicodedata.normalize("NFC", html.unescape(text))
    text = textlimits.URL.sub("<url>", text)
    text = " ".join(text.split())
    return _LEADING_MENTIONS.sub("", text).strip()


def _plain(value: Any) -> str:
    """A model id ("twitter:123") as X's own id ("123")."""
    text = str(value or "").strip()
    return text.split(":", 1)[1] if text.startswith("twitter:") else text


def _error_texts(response: Any) -> list[str]:
    """The human texts of an error body (detail, message, title), unsanitised: for matching only."""
    try:
        body = _dict(json.loads(getattr(response, "content", b"") or b""))
    except (ValueError, TypeError):
        return []
    texts = [body.get("detail"), body.get("title"), body.get("type")]
    for error in map(_dict, _list(body.get("errors"))):
        texts += [error.get("message"), error.get("detail"), error.get("title"), error.get("type")]
    return [t for t in texts if isinstance(t, str) and t]


def _parse(value: Any) -> datetime | None:
    try:
        return model.parse_time(value) if value else None
    except ValueError:
        return None


# ---- the responder --------------------------------------------------------------------------------
class TwitterResponder(Responder):
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

    def post_private(self, mention: dict, text: str, key: str) -> SendResult:
        """A direct message to the mention's author (or into the DM conversation it came from)."""
        self._require_credentials(ReplyFailed)
        self._check_platform(mention)
        where = self._dm_target(mention)
        if where is None:
            raise ReplyFailed(
                f"X responder {self.name}: a private reply needs the author's user id, and mention "
                f"{mention.get('id')} has none (nor a DM conversation id)"
            )
        client, user_auth = self._user_client()
        body = self._post(
            "direct message", lambda: client.create_direct_message(text=text, user_auth=user_auth, **where)
        )
        data = _dict(body.get("data"))
        event_id = data.get("dm_event_id")
        if int_id(event_id) is None:
            raise OutcomeUnknown(self._unclear("direct message", "its answer carries no message id"))
        return SendResult(reply_id=str(event_id), url=_dm_url(data.get("dm_conversation_id")))

    def _public_target(self, mention: dict) -> str:
        self._check_platform(mention)
        if mention.get("kind") == "dm":
            raise ReplyFailed(f"X responder {self.name}: {mention.get('id')} is a direct message: reply privately")
        target = mention.get("native_id")
        if int_id(target) is None:
            raise ReplyFailed(f"X responder {self.name}: {mention.get('id')} has no X post id to reply to")
        return str(target)

    def _check_platform(self, mention: dict) -> None:
        platform = mention.get("platform")
        if platform not in (None, "twitter"):
            raise ReplyFailed(
                f"X responder {self.name} cannot answer {mention.get('id')}: it is a {platform} mention; "
                "map its source to another responder"
            )

    @staticmethod
    def _dm_target(mention: dict) -> dict[str, str] | None:
        """`dm_conversation_id` for a DM in a known conversation, else `participant_id`, else None."""
        conversation = _plain(mention.get("conversation_id"))
        if mention.get("kind") == "dm" and _CONVERSATION.match(conversation):
            return {"dm_conversation_id": conversation}
        author_id = _plain(_dict(mention.get("author")).get("id"))
        if int_id(author_id) is not None:
            return {"participant_id": author_id}
        return None

    # ---- the HTTP calls and their outcomes -----------------------------------------------------
    def _post(self, what: str, call: Callable[[], Any]) -> dict:
        """One POST, never retried; its JSON body, ReplyFailed (not posted) or OutcomeUnknown."""
        tweepy, requests = _tweepy(), _requests()
        try:
            response = call()
        except tweepy.TooManyRequests as exc:
            raise self._rate_limited(what, exc.response) from None
        except tweepy.TwitterServerError as exc:
            status = f"{exc.response.status_code} {_problem(exc.response)['tag']}"
            raise OutcomeUnknown(self._unclear(what, f"X answered {status}")) from None
        except tweepy.HTTPException as exc:
            raise self._rejected(what, exc.response) from None
        except requests.exceptions.RequestException as exc:
            if _never_sent(exc):
                raise ReplyFailed(
                    f"X responder {self.name}: could not connect to X ({type(exc).__name__}); the {what} was "
                    "not sent: check the network and retry"
                ) from None
            raise OutcomeUnknown(self._unclear(what, f"the connection failed ({type(exc).__name__})")) from None
        except Exception as exc:  # tweepy trips over some odd answers: the request may have been served
            raise OutcomeUnknown(self._unclear(what, f"unexpected answer ({type(exc).__name__})")) from None
        try:
            return _json_body(response)
        except _Malformed:
            raise OutcomeUnknown(
                self._unclear(what, f"X answered {response.status_code} with a malformed body")
            ) from None

    def _unclear(self, what: str, why: str) -> str:
        return (
            f"X responder {self.name}: {why} after the {what} was sent: it may or may not be posted "
            "(X has no idempotency key, so it is not retried)"
        )

    def _rate_limited(self, what: str, response: Any) -> ReplyFailed:
        info = _problem(response)
        if info["type"].endswith("usage-capped") or info["title"] == "UsageCapExceeded":
            return ReplyFailed(
                f"X responder {self.name}: the X plan's usage cap is spent (429 UsageCapExceeded); the {what} "
                "was not sent: add credits or raise the cap in the X developer console"
            )
        reset = _reset_time(response)
        if reset is None:
            return ReplyFailed(f"X responder {self.name}: X rate limit reached (429); the {what} was not sent")
        wait = max(0.0, reset.timestamp() - self._time())
        return ReplyFailed(
            f"X responder {self.name}: X rate limit reached (429); the {what} was not sent: retry after "
            f"{_hhmm(reset)} (in {int(wait + 0.999)} s)",
            retry_after=wait,
        )

    def _rejected(self, what: str, response: Any) -> ReplyFailed:
        """A 4xx answer (other than 429) to a POST: nothing was posted."""
        info = _problem(response)
        status = info["status"]
        texts = _error_texts(response)
        detail = self._detail(texts)
        head = f"X responder {self.name}: "
        if status == 401:
            return ReplyFailed(
                head + f"X rejected the credentials (401): check {self.creds.keys_for('user')} in "
                f"responders.{self.name} and the environment variables they reference (expired, revoked or "
                "mistyped token)"
            )
        if status == 404 or any(_GONE.search(t) for t in texts):
            if what == "reply":
                return ReplyFailed(
                    head + "the post you are replying to was deleted or is not visible" + _paren(status, detail)
                )
            return ReplyFailed(
                head + "the recipient was not found (deleted or suspended account?)" + _paren(status, detail)
            )
        if status == 403:
            return ReplyFailed(head + self._forbidden(what, info, texts) + _paren(status, detail))
        if status == 402:
            return ReplyFailed(
                head + f"X refused the {what} for lack of credits (402): add credits in the X developer console"
            )
        tag = info["tag"] + (f", parameter {info['params']}" if info["params"] else "")
        return ReplyFailed(head + f"X refused the {what} ({status} {tag})" + (f": {detail}" if detail else ""))

    def _forbidden(self, what: str, info: dict, texts: list[str]) -> str:
        """Why a 403 refused the post: plan, app permissions, duplicate, protected, restricted."""
        if (
            info["reason"] == "client-not-enrolled"
            or "453" in info["codes"].split(", ")
            or info["type_tail"] == "client-forbidden"
        ):
            return f"not entitled: the X plan or project has no access to posting a {what}"
        if info["type_tail"] == "oauth1-permissions":
            return (
                f"the X app's permissions do not allow a {what}: give it Read and Write"
                + (" and Direct Messages" if what != "reply" else "")
                + " access in the developer portal and regenerate the access token"
            )
        if any(_DUPLICATE.search(t) for t in texts):
            return (
                "X refused it as a duplicate of a recent post by the account: personalise the text (if an earlier "
                "attempt of this reply was unknown, it was probably posted: reconcile first)"
            )
        if what != "reply":
            return "X refused the direct message: the user may not accept messages from the account"
        if any(_PROTECTED.search(t) for t in texts):
            return "the author's posts are protected: the account cannot reply to them"
        if any(_REPLY_RESTRICTED.search(t) for t in texts):
            return "X does not let the account reply in this conversation (replies are limited by the author)"
        return "X refused the reply (not permitted)"

    def _detail(self, texts: list[str]) -> str:
        """The API's first human error text, printable, bounded and scrubbed of any credential."""
        human = [t for t in texts if " " in t.strip()]
        if not human:
            return ""
        text = "".join(ch if ch.isprintable() else " " for ch in human[0])
        text = " ".join(text.split())[:_DETAIL_LIMIT]
        for value in (self.creds.oauth1 or ()) + ((self.creds.user_token,) if self.creds.user_token else ()):
            if value and value in text:
                text = text.replace(value, "***")
        return secrets.mask(text)

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

    def _find_dm(self, mention: dict, want: str, since: datetime) -> SendResult | None:
        where = self._dm_target(mention)
        if where is None:
            raise OutcomeUnknown(f"X responder {self.name}: {mention.get('id')} has no author id to look up DMs with")
        user_id = self._brand_id()
        client, user_auth = self._user_client()
        params = {"dm_event_fields": LOOKUP_DM_FIELDS, "event_types": "MessageCreate", "max_results": 100}

        def request(**page: Any) -> Any:
            return client.get_direct_message_events(user_auth=user_auth, **params, **where, **page)

        for event in self._walk("the direct messages", request, since=since):
            sender = event.get("sender_id")
            if sender not in (None, user_id) or comparable(event.get("text")) != want:
                continue
            if int_id(event.get("id")) is not None:
                conversation = event.get("dm_conversation_id") or where.get("dm_conversation_id")
                return SendResult(reply_id=str(event["id"]), url=_dm_url(conversation))
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

    def _get(self, label: str, call: Callable[..., Any], **params: Any) -> dict:
        """One lookup request, `call(**params)`; its JSON body, or OutcomeUnknown saying why X cannot tell now."""
        tweepy, requests = _tweepy(), _requests()
        head = f"X responder {self.name}: cannot look up {label}"
        try:
            return _json_body(call(**params))
        except tweepy.TooManyRequests as exc:
            reset = _reset_time(exc.response)
            when = f"; retry after {_hhmm(reset)}" if reset else ""
            raise OutcomeUnknown(f"{head}: X rate limit reached (429){when}") from None
        except tweepy.HTTPException as exc:
            raise OutcomeUnknown(f"{head}: {self._lookup_refused(exc.response)}") from None
        except requests.exceptions.RequestException as exc:
            raise OutcomeUnknown(f"{head}: X did not answer ({type(exc).__name__})") from None
        except _Malformed:
            raise OutcomeUnknown(f"{head}: X sent a malformed answer") from None
        except Exception as exc:  # tweepy trips over some odd error bodies
            raise OutcomeUnknown(f"{head}: unexpected answer ({type(exc).__name__})") from None

    def _lookup_refused(self, response: Any) -> str:
        info = _problem(response)
        status = info["status"]
        if status == 401:
            return f"X rejected the credentials (401): check {self.creds.keys_for('user')} in responders.{self.name}"
        if status == 403:
            tag = (
                info["reason"] or (f"code {info['codes']}" if info["codes"] else "") or info["type_tail"] or info["tag"]
            )
            return f"not entitled to read (403 {tag}): the X plan may be write-only; check the thread by hand"
        if status >= 500:
            return f"X is unavailable ({status} {info['tag']})"
        return f"X refused the lookup ({status} {info['tag']}): check `user_id` in responders.{self.name}"

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


# ---- module-level helpers --------------------------------------------------------------------------
def _dm_url(conversation: Any) -> str | None:
    conversation = _plain(conversation)
    return f"https://x.com/messages/{conversation}" if _CONVERSATION.match(conversation) else None


def _reset_time(response: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(response.headers["x-rate-limit-reset"]), tz=UTC)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError, OSError):
        return None


def _paren(status: int, detail: str) -> str:
    return f" ({status}{': ' + detail if detail else ''})"


def _never_sent(exc: Exception) -> bool:
    """The request certainly did not leave: the connection was never made (DNS, refused, connect time-out)."""
    requests = _requests()
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if not isinstance(exc, requests.exceptions.ConnectionError):
        return False
    from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))
