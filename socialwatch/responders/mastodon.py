"""The Mastodon responder (`type = "mastodon"`): replies through Mastodon.py, exactly once.

- `post_public`: reads the mention's status first (`GET /api/v1/statuses/:id`: its visibility, its
  author's acct, and whether it still exists), then `status_post(text, in_reply_to_id=…,
  visibility=…, idempotency_key=key)`. The reply keeps the original's visibility and is never more
  public than it (nor than `max_visibility`): a followers-only post gets a followers-only reply,
  a direct message a direct reply.
- `post_private`: the same with visibility `direct` (only the mentioned accounts see it), in the
  mention's thread.
- Both start the text with `@acct` of the author unless the text already mentions them (Mastodon
  only delivers a reply, and a direct one at all, to the accounts it mentions), and check its
  length against the instance's limit (`configuration.statuses.max_characters` of
  `/api/v2/instance`, else `/api/v1/instance`, else 500), counted the way Mastodon counts: every
  URL as 23 characters, a remote mention `@user@domain` as `@user`.
- `find_reply`: the account's statuses since the attempt (`account_statuses(me, since_id=<the
  attempt's time>)`) for one answering the mention with the same text (after HTML stripping).

Idempotency: the outbox's key goes out as the `Idempotency-Key` header, and the server answers a
repeated key (for about an hour) with the status the first request created. So a 5xx, a time-out
or an unreadable answer is retried here with the same key (`retries` times, with backoff) and
cannot post twice; only when every attempt fails does the outcome stay unknown (`OutcomeUnknown`),
for `outbox reconcile`. 4xx answers raise `ReplyFailed` (nothing was posted), unless an earlier
attempt of the same call may have gone through, which keeps the outcome unknown.

No message built here contains the access token or Mastodon.py's exception text: messages come
from the HTTP status and the server's cleaned `error` text.
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar

from socialwatch import model, textlimits
from socialwatch.errors import ConfigError
from socialwatch.responders import OutcomeUnknown, ReplyFailed, Responder, ResponderContext, SendResult
from socialwatch.sources.mastodon import (
    MAX_BACKOFF,
    VISIBILITIES,
    Failure,
    Meter,
    as_dict,
    as_time,
    build_client,
    classify,
    hhmm,
    html_to_text,
    https_url,
    id_order,
    instance_url,
    str_id,
)

log = logging.getLogger(__name__)

#: The instance's limit when it does not say (Mastodon's default).
DEFAULT_LIMIT = 500
#: Every URL counts this many characters, whatever its length.
URL_WEIGHT = 23
#: An earlier attempt is looked for from this long before the record was created (clock skew).
LOOKUP_MARGIN = timedelta(minutes=1)
#: Pages of the account's statuses the lookup walks before it gives up (the record stays unknown).
LOOKUP_PAGES = 5
LOOKUP_PAGE_SIZE = 40

_URL = re.compile(r"https?://[^\s<>\"]+", re.I)
_REMOTE_MENTION = re.compile(r"(?<![\w/@])@(\w{1,64})@[\w-]+(?:\.[\w-]+)+")
_LEADING_MENTIONS = re.compile(r"^(?:@\w{1,64}(?:@[\w-]+(?:\.[\w-]+)+)?\s+)+")
_ACCT = re.compile(r"^\w{1,64}(?:@[\w-]+(?:\.[\w-]+)+)?$")


# ---- text helpers ---------------------------------------------------------------------------------
def status_length(text: str) -> int:
    """The length Mastodon counts: graphemes, each URL as 23, `@user@domain` as `@user`."""
    text = _URL.sub("x" * URL_WEIGHT, text)
    text = _REMOTE_MENTION.sub(lambda m: "@" + m.group(1), text)
    flags = sum(1 for ch in text if 0x1F1E6 <= ord(ch) <= 0x1F1FF) // 2  # a pair of regional indicators is one
    return textlimits.graphemes(text) - flags


def mentions(text: str, acct: str) -> bool:
    """Whether `text` mentions the account `acct` ("dana" or "dana@example.social")."""
    pattern = re.compile(r"(?<![\w@/])@" + re.escape(acct) + r"(?![\w@]|[.-]\w)", re.I)
    return pattern.search(text) is not None


def with_mention(text: str, acct: str) -> str:
    """`text` starting with `@acct` unless it already mentions the author."""
    return text if mentions(text, acct) else f"@{acct} {text}"


def comparable(text: Any) -> str:
    """A reply text reduced for comparison with what the instance lists (as plain text).

    Mastodon renders the text as HTML (stripped back by `html_to_text`), shows remote mentions as
    `@user`, may lay out links differently: compare without the leading mentions, with remote
    mentions shortened, each URL as one marker and whitespace collapsed.
    """
    if not isinstance(text, str):
        return ""
    text = unicodedata.normalize("NFC", text)
    text = _URL.sub("<url>", text)
    text = " ".join(text.split())
    text = _LEADING_MENTIONS.sub("", text)
    return _REMOTE_MENTION.sub(lambda m: "@" + m.group(1), text).strip()


def narrowest(*visibilities: str | None) -> str:
    """The most private of the given visibilities (unknown ones ignored; "direct" if none is known)."""
    known = [VISIBILITIES.index(v) for v in visibilities if v in VISIBILITIES]
    return VISIBILITIES[min(known)] if known else "direct"


def _max_characters(info: Any) -> int | None:
    """`configuration.statuses.max_characters` (v2, and v1 since Mastodon 3.4), or Pleroma's `max_toot_chars`."""
    data = as_dict(info)
    limit = as_dict(as_dict(data.get("configuration")).get("statuses")).get("max_characters")
    if limit is None:
        limit = data.get("max_toot_chars")
    if isinstance(limit, int) and not isinstance(limit, bool) and 0 < limit <= 1_000_000:
        return limit
    return None


# ---- the responder ----------------------------------------------------------------------------------
class MastodonResponder(Responder):
    """Replies on Mastodon as the account the access token belongs to."""

    type_name: ClassVar[str] = "mastodon"
    settings: ClassVar[dict[str, Any]] = {
        "instance": str,
        "access_token": str,
        "max_visibility": str,
        "retries": int,
        "timeout": (int, float),
    }
    required: ClassVar[tuple[str, ...]] = ("instance", "access_token")
    secrets: ClassVar[tuple[str, ...]] = ("access_token",)

    def __init__(self, name: str, config: dict, context: ResponderContext) -> None:
        super().__init__(name, config, context)
        try:
            self.instance = instance_url(config.get("instance"))
        except ValueError:
            self.instance = ""
        token = config.get("access_token")
        self.token: str | None = token.strip() if isinstance(token, str) and token.strip() else None
        visibility = config.get("max_visibility", "public")
        self.max_visibility = visibility if visibility in VISIBILITIES else "public"
        self.retries = min(10, max(0, int(config.get("retries", 2))))
        self.timeout = max(1.0, float(config.get("timeout", 30)))
        self._meter = Meter()
        self._client: Any = None
        self._limit: int | None = None
        self._account_id: str | None = None
        self._sleep: Callable[[float], None] = time.sleep
        self._now: Callable[[], datetime] = model.utcnow

    # ---- configuration -------------------------------------------------------------------------
    @classmethod
    def check_config(cls, name: str, table: dict, path: str | None = None) -> None:
        """Types and required keys (base class), then the address, `max_visibility` and ranges."""
        super().check_config(name, table, path)

        def fail(key: str, message: str) -> ConfigError:
            return ConfigError(message, path=path, key=f"responders.{name}.{key}")

        try:
            instance_url(table.get("instance"))
        except ValueError as exc:
            raise fail("instance", str(exc)) from None
        if not str(table.get("access_token") or "").strip():
            raise fail("access_token", 'empty: set access_token = "$MASTODON_TOKEN" (a token with write:statuses)')
        if "max_visibility" in table and table["max_visibility"] not in VISIBILITIES:
            raise fail("max_visibility", f"expected one of {', '.join(reversed(VISIBILITIES))}")
        for key, (low, high) in {"retries": (0, 10), "timeout": (1, 600)}.items():
            value = table.get(key)
            if isinstance(value, bool) or (isinstance(value, int | float) and not low <= value <= high):
                raise fail(key, f"expected a value from {low} to {high}, got {value}")

    # ---- posting ---------------------------------------------------------------------------------
    def post_public(self, mention: dict, text: str, key: str) -> SendResult:
        """Reply in the mention's thread, as private as the original (see the module docstring)."""
        native = self._target(mention)
        original = self._original(native)
        acct = _acct(as_dict(original.get("account")).get("acct")) or _handle(mention)
        known = original.get("visibility")
        if known not in VISIBILITIES:
            raise ReplyFailed(self._head() + "the instance did not say who may see the post: the reply was not sent")
        visibility = narrowest(known, self.max_visibility, "direct" if mention.get("kind") == "dm" else None)
        body = with_mention(text, acct) if acct else text
        self._check_length(body)
        return self._result(self._post("reply", body, native, visibility, key))

    def post_private(self, mention: dict, text: str, key: str) -> SendResult:
        """A direct reply (visibility `direct`) in the mention's thread, addressed to its author."""
        native = self._target(mention)
        acct = _handle(mention)
        if acct is None:
            acct = _acct(as_dict(self._original(native).get("account")).get("acct"))
        if acct is None:
            raise ReplyFailed(
                self._head() + f"a private reply needs the author's account, and {mention.get('id')} has none"
            )
        body = with_mention(text, acct)
        self._check_length(body)
        return self._result(self._post("private reply", body, native, "direct", key))

    def _target(self, mention: dict) -> str:
        """The mention's status id on this instance; ReplyFailed when it is not a mastodon mention."""
        self._require()
        platform = mention.get("platform")
        if platform not in (None, "mastodon"):
            raise ReplyFailed(
                self._head() + f"cannot answer {mention.get('id')}: it is a {platform} mention; "
                "map its source to another responder"
            )
        native = str_id(mention.get("native_id"))
        if native is None:
            raise ReplyFailed(self._head() + f"{mention.get('id')} has no Mastodon status id to reply to")
        return native

    def _require(self) -> None:
        if not self.instance:
            raise ReplyFailed(self._head() + f"`instance` is not a usable address (responders.{self.name})")
        if not self.token:
            raise ReplyFailed(self._head() + f"no access token: set `access_token` in responders.{self.name}")

    def _original(self, native: str) -> dict:
        """The status being answered; ReplyFailed (nothing was sent) when it cannot be read."""
        client = self._client_()
        try:
            return as_dict(client.status(native))
        except Exception as exc:  # classified; nothing of its text is kept
            failure = self._classify(exc)
        if failure.kind == "not_found":
            raise ReplyFailed(self._head() + f"the post was deleted (or is not visible to the account) ({failure.tag})")
        if failure.kind in ("auth", "rate"):
            raise self._refused("reply", failure)
        raise ReplyFailed(
            self._head() + f"could not read the post to match its visibility ({failure.tag}): "
            "the reply was not sent; try again"
        )

    def _check_length(self, body: str) -> None:
        limit = self.max_characters()
        length = status_length(body)
        if length > limit:
            raise ReplyFailed(
                self._head() + f"the reply is {length - limit} characters over the instance's limit "
                f"({length}/{limit}, links counted as {URL_WEIGHT}); it was not sent"
            )

    def length_problem(self, mention: dict, text: str) -> str | None:
        """Counted as Mastodon counts (URLs 23, remote mentions by user name) against the
        instance's own limit."""
        length, cap = status_length(text), self.max_characters()
        if length <= cap:
            return None
        return f"the reply is {length - cap} characters over this Mastodon instance's limit ({length}/{cap})"

    def max_characters(self) -> int:
        """The instance's status length limit, read once per responder (500 when it does not say)."""
        if self._limit is None:
            self._limit = self._read_limit()
        return self._limit

    def _read_limit(self) -> int:
        client = self._client_()
        for call in (client.instance_v2, client.instance_v1):
            try:
                info = call()
            except Exception as exc:  # classified; a server without v2 (before 4.0) answers 404
                if self._classify(exc).kind == "not_found":
                    continue
                log.warning("%s: could not read the instance's character limit; assuming %d", self.name, DEFAULT_LIMIT)
                return DEFAULT_LIMIT
            limit = _max_characters(info)
            if limit is not None:
                return limit
        return DEFAULT_LIMIT

    def _post(self, what: str, body: str, native: str, visibility: str, key: str) -> dict:
        """`status_post` with the idempotency key, retried with the same key on 5xx/time-outs/bad answers."""
        client = self._client_()
        maybe_posted = False
        failure = Failure("network")
        attempts = self.retries + 1
        for attempt in range(attempts):
            if attempt:
                self._sleep(min(MAX_BACKOFF, 2.0 ** (attempt - 1)))
            before = self._meter.calls
            try:
                status = as_dict(
                    client.status_post(body, in_reply_to_id=native, visibility=visibility, idempotency_key=key)
                )
            except Exception as exc:  # classified; nothing of its text is kept
                failure = self._classify(exc, before)
            else:
                if str_id(status.get("id")) is not None:
                    return status
                failure = Failure("malformed", self._meter.status, cause="an answer without a status id")
            if not failure.retryable:
                if maybe_posted:
                    raise OutcomeUnknown(self._unclear(what, failure, attempt + 1))
                raise self._refused(what, failure)
            maybe_posted = maybe_posted or not failure.never_sent
        if not maybe_posted:
            raise ReplyFailed(
                self._head() + f"could not connect to {self._host()} ({failure.tag}): the {what} was not sent"
            )
        raise OutcomeUnknown(self._unclear(what, failure, attempts))

    def _result(self, status: dict) -> SendResult:
        return SendResult(
            reply_id=str_id(status.get("id")), url=https_url(status.get("url")) or https_url(status.get("uri"))
        )

    # ---- messages ----------------------------------------------------------------------------------
    def _head(self) -> str:
        return f"Mastodon responder {self.name}: "

    def _host(self) -> str:
        return self.instance.split("://", 1)[-1] or "the instance"

    def _classify(self, exc: BaseException, calls_before: int | None = None) -> Failure:
        return classify(exc, self._meter, self._now(), (self.token,), calls_before)

    def _unclear(self, what: str, failure: Failure, attempts: int) -> str:
        return (
            self._head() + f"{what} sent, but its outcome is unknown ({failure.tag}, after {attempts} attempt(s) "
            "with the same Idempotency-Key): it may or may not be posted. The instance answers a repeated key "
            "with the first post for about an hour, so a retry in that hour cannot post twice; "
            "`outbox reconcile` looks for it among the account's posts"
        )

    def _refused(self, what: str, failure: Failure) -> ReplyFailed:
        """A 4xx answer (or a request never made): nothing was posted."""
        head = self._head()
        kind = failure.kind
        if kind == "rate":
            if failure.reset_at is None:
                return ReplyFailed(head + f"rate limit reached (429); the {what} was not sent")
            return ReplyFailed(
                head + f"rate limit reached (429); the {what} was not sent: retry after {hhmm(failure.reset_at)} "
                f"(in {int((failure.wait or 0) + 0.999)} s)",
                retry_after=failure.wait,
            )
        if kind == "auth":
            return ReplyFailed(
                head + f"the instance rejected the access token (401): check `access_token` in responders.{self.name} "
                "and the environment variable it references (expired, revoked or mistyped)"
            )
        if kind == "not_found":
            return ReplyFailed(head + f"the post was deleted (or is not visible to the account) ({failure.tag})")
        if kind == "forbidden":
            return ReplyFailed(
                head + f"the instance refused the {what} ({failure.tag}): the token may lack the write:statuses "
                "scope, or the account is limited or suspended"
            )
        if kind == "invalid":
            return ReplyFailed(
                head + f"the {what} was not sent: the request was refused before it left ({failure.cause})"
            )
        return ReplyFailed(head + f"the instance refused the {what} ({failure.tag})")

    # ---- looking up earlier attempts ------------------------------------------------------------
    def find_reply(self, mention: dict, record: dict) -> SendResult | None:
        """The reply `record` stands for if the account's statuses hold it; None when they certainly do not.

        Raises OutcomeUnknown when the instance cannot tell now (network, 5xx, refused lookup, or
        more statuses since the attempt than `LOOKUP_PAGES` pages).
        """
        if not self.instance or not self.token:
            raise OutcomeUnknown(self._head() + "no usable `instance` or `access_token` to look the reply up with")
        if not mention:
            raise OutcomeUnknown(self._head() + f"the mention of {record.get('id')} is no longer stored")
        target = str_id(mention.get("native_id"))
        if target is None:
            raise OutcomeUnknown(self._head() + f"{mention.get('id')} has no Mastodon status id to look replies up by")
        since = (as_time(record.get("created_at")) or self._now()) - LOOKUP_MARGIN
        want = comparable(record.get("text"))
        private = record.get("visibility") == "private"
        me = self._me()
        client = self._client_()
        max_id: str | None = None
        for _ in range(LOOKUP_PAGES):
            page = self._lookup(
                "the account's posts",
                lambda max_id=max_id: client.account_statuses(
                    me, since_id=since, max_id=max_id, limit=LOOKUP_PAGE_SIZE, exclude_reblogs=True
                ),
            )
            statuses = [as_dict(s) for s in page] if isinstance(page, list) else []
            for status in statuses:
                if self._is_the_reply(status, target, want, private):
                    return self._result(status)
            ids = [i for i in (str_id(s.get("id")) for s in statuses) if i]
            if not ids:
                return None
            max_id = min(ids, key=id_order)
        raise OutcomeUnknown(
            self._head() + f"looked through {LOOKUP_PAGES} pages of the account's posts without finding the reply "
            "and without reaching the time of the attempt: check the thread by hand"
        )

    @staticmethod
    def _is_the_reply(status: dict, target: str | None, want: str, private: bool) -> bool:
        if target is None or str_id(status.get("in_reply_to_id")) != target or str_id(status.get("id")) is None:
            return False
        if private and status.get("visibility") != "direct":
            return False
        return comparable(html_to_text(status.get("content"))) == want

    def _me(self) -> str:
        """The token's account id (one `account_verify_credentials`, cached)."""
        if self._account_id is None:
            client = self._client_()
            account = as_dict(self._lookup("the account (verify_credentials)", client.account_verify_credentials))
            account_id = str_id(account.get("id"))
            if account_id is None:
                raise OutcomeUnknown(self._head() + "the account lookup returned no account id")
            self._account_id = account_id
        return self._account_id

    def _lookup(self, what: str, call: Callable[[], Any]) -> Any:
        """One lookup request; OutcomeUnknown saying why the instance cannot tell now."""
        try:
            return call()
        except Exception as exc:  # classified; nothing of its text is kept
            failure = self._classify(exc)
        head = self._head() + f"cannot look up {what} on {self._host()}: "
        if failure.kind == "auth":
            reason = f"the access token was rejected (401): check `access_token` in responders.{self.name}"
        elif failure.kind == "rate":
            when = f"; retry after {hhmm(failure.reset_at)}" if failure.reset_at else ""
            reason = f"rate limit reached (429){when}"
        elif failure.kind == "forbidden":
            reason = f"not allowed ({failure.tag}): the token may lack the read:statuses scope"
        else:
            reason = f"the instance did not answer usefully ({failure.tag})"
        raise OutcomeUnknown(head + reason)

    # ---- client ---------------------------------------------------------------------------------------
    def _client_(self) -> Any:
        if self._client is None:
            self._client = build_client(self.instance, self.token, self.timeout, self._meter)
        return self._client

    def close(self) -> None:
        """Close the HTTP session."""
        self._meter.close()
        self._client = None


# ---- module-level helpers ----------------------------------------------------------------------------
def _acct(value: Any) -> str | None:
    """An account address ("dana" or "dana@example.social") when it is one, else None."""
    if not isinstance(value, str):
        return None
    value = value.strip().lstrip("@")
    return value if _ACCT.match(value) else None


def _handle(mention: dict) -> str | None:
    return _acct(as_dict(mention.get("author")).get("handle"))
