"""The mastodon responder plugin: `MastodonResponder`, its settings, public replies and reconciliation."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

from socialwatch import model
from socialwatch.errors import ConfigError
from socialwatch.responders import OutcomeUnknown, ReplyFailed, Responder, ResponderContext, SendResult
from socialwatch.responders.mastodon.calls import CallsMixin
from socialwatch.responders.mastodon.dms import DmMixin
from socialwatch.responders.mastodon.records import (
    LOOKUP_MARGIN,
    LOOKUP_PAGE_SIZE,
    LOOKUP_PAGES,
    _acct,
    _handle,
    comparable,
    narrowest,
    with_mention,
)
from socialwatch.sources.mastodon import (
    VISIBILITIES,
    Meter,
    as_dict,
    as_time,
    build_client,
    html_to_text,
    id_order,
    instance_url,
    str_id,
)


class MastodonResponder(CallsMixin, DmMixin, Responder):
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
        """Reply in the mention's thread, as private as the original (see the package docstring)."""
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

    # ---- client ---------------------------------------------------------------------------------------
    def _client_(self) -> Any:
        if self._client is None:
            self._client = build_client(self.instance, self.token, self.timeout, self._meter)
        return self._client

    def close(self) -> None:
        """Close the HTTP session."""
        self._meter.close()
        self._client = None
