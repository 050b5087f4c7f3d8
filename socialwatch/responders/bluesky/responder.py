"""The bluesky responder plugin: `BlueskyResponder`, its settings, public replies and reconciliation."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

from socialwatch import model, textlimits
from socialwatch.errors import ConfigError
from socialwatch.responders import OutcomeUnknown, ReplyFailed, Responder, ResponderContext, SendResult
from socialwatch.responders.bluesky.calls import CallsMixin
from socialwatch.responders.bluesky.dms import DmMixin
from socialwatch.responders.bluesky.records import (
    POST_MAX_BYTES,
    _facets,
    _now_stamp,
    _strong_ref,
    _usable,
    record_key,
    reply_refs,
)
from socialwatch.sources.bluesky import (
    DEFAULT_SERVICE,
    PLATFORM,
    POST_COLLECTION,
    Account,
    BlueskyError,
    _dict,
    _list,
    config_problems,
    is_did,
    is_handle,
    native_id,
    post_uri,
    post_url,
    split_at_uri,
    xrpc_procedure,
    xrpc_query,
)


class BlueskyResponder(CallsMixin, DmMixin, Responder):
    """Replies on Bluesky as the brand account (handle + app password)."""

    type_name: ClassVar[str] = "bluesky"
    settings: ClassVar[dict[str, Any]] = {
        "handle": str,
        "app_password": str,
        "service": str,
        "timeout": (int, float),
        "langs": list,
        "session_cache": bool,
    }
    secrets: ClassVar[tuple[str, ...]] = ("app_password",)

    def __init__(self, name: str, config: dict, context: ResponderContext) -> None:
        super().__init__(name, config, context)
        handle = config.get("handle")
        self.handle = handle.strip().lstrip("@") if isinstance(handle, str) else ""
        password = config.get("app_password")
        self._password = password if isinstance(password, str) else ""
        self.service = str(config.get("service") or DEFAULT_SERVICE).strip().rstrip("/")
        self.timeout = min(600.0, max(1.0, float(config.get("timeout", 30))))
        self.langs = [str(x) for x in _list(config.get("langs"))][:3]
        self.session_cache = bool(config.get("session_cache", True))
        self._account: Account | None = None
        self._now: Callable[[], datetime] = model.utcnow
        self._time: Callable[[], float] = time.time

    # ---- configuration -------------------------------------------------------------------------
    @classmethod
    def check_config(cls, name: str, table: dict, path: str | None = None) -> None:
        """Types and values (ConfigError). Missing credentials are reported when a reply is sent
        (ReplyFailed), so that the outbox records the attempt as failed and keeps the draft."""
        super().check_config(name, table, path)
        for key, message in config_problems(table):
            raise ConfigError(message, path=path, key=f"responders.{name}.{key}")
        langs = table.get("langs")
        if langs is not None and not all(isinstance(x, str) and 2 <= len(x) <= 20 for x in langs):
            raise ConfigError('expected language codes, e.g. ["en"]', path=path, key=f"responders.{name}.langs")

    def credential_problem(self) -> str | None:
        """What is missing (key names only), or None."""
        missing = [k for k, v in (("handle", self.handle), ("app_password", self._password)) if not _usable(v)]
        if not missing:
            return None
        keys = " and ".join(f"`{k}`" for k in missing)
        return (
            f'Bluesky responder {self.name}: set {keys} in responders.{self.name} (the app password as an "$ENV_VAR")'
        )

    def _require_credentials(self, error: type[Exception]) -> None:
        problem = self.credential_problem()
        if problem:
            raise error(problem)

    def account(self) -> Account:
        if self._account is None:
            self._account = Account(
                self.handle,
                self._password,
                service=self.service,
                timeout=self.timeout,
                cache_dir=self.context.data_dir or None,
                use_cache=self.session_cache,
            )
        return self._account

    # ---- public replies ------------------------------------------------------------------------
    def post_public(self, mention: dict, text: str, key: str) -> SendResult:
        """Reply in the mention's thread with the rkey derived from `key` (see the module docstring)."""
        self._require_credentials(ReplyFailed)
        self._check_platform(mention)
        if mention.get("kind") == "dm":
            raise ReplyFailed(f"Bluesky responder {self.name}: {mention.get('id')} is a chat message: reply privately")
        self._check_length(text, textlimits.LIMITS[PLATFORM], POST_MAX_BYTES, "post")
        try:
            target = self._target(mention)
        except ValueError as exc:  # a request the SDK's models refuse: nothing was sent
            raise ReplyFailed(
                f"Bluesky responder {self.name}: cannot look the post up ({type(exc).__name__})"
            ) from None
        refs = reply_refs(target)
        rkey = record_key(key)
        record = {
            "$type": POST_COLLECTION,
            "text": text,
            "createdAt": _now_stamp(self._now()),
            "reply": refs,
        }
        facets = _facets(text, _dict(target.get("author")))
        if facets:
            record["facets"] = facets
        if self.langs:
            record["langs"] = self.langs
        return self._create(rkey, record)

    def _target(self, mention: dict) -> dict:
        """The mention's PostView (uri, cid, record.reply, viewer); ReplyFailed when it cannot be answered."""
        uri = self._post_uri(mention)
        body = self._read(
            "the post (app.bsky.feed.getPosts)", xrpc_query("app.bsky.feed.getPosts", "AppBskyFeedGetPosts", uris=[uri])
        )
        view = next((v for v in map(_dict, _list(body.get("posts"))) if v.get("uri") == uri), None)
        if view is None or _strong_ref(view) is None:
            raise ReplyFailed(
                f"Bluesky responder {self.name}: the post you are replying to ({mention.get('id')}) was deleted or "
                "is not visible to the account (taken down, or its author blocks the account)"
            )
        if _dict(view.get("viewer")).get("replyDisabled") is True:
            raise ReplyFailed(
                f"Bluesky responder {self.name}: the author of {mention.get('id')} limits who can reply to the "
                "thread, and the account is not allowed: reply privately or by hand"
            )
        return view

    def _post_uri(self, mention: dict) -> str:
        """The at:// URI of the mention's post: from its id, else from its author's DID and URL."""
        uri = post_uri(mention.get("native_id") or mention.get("id"))
        if uri:
            return uri
        did = _dict(mention.get("author")).get("id")
        url = str(mention.get("url") or "")
        rkey = url.rstrip("/").rsplit("/", 1)[-1] if "/post/" in url else ""
        candidate = f"at://{did}/{POST_COLLECTION}/{rkey}" if is_did(did) and rkey else None
        if candidate and native_id(candidate) == mention.get("native_id"):
            return candidate
        raise ReplyFailed(f"Bluesky responder {self.name}: {mention.get('id')} has no Bluesky post to reply to")

    def _create(self, rkey: str, record: dict) -> SendResult:
        """createRecord with the chosen rkey; on any doubt the rkey is looked up (see the module docstring)."""
        account = self.account()
        what = "the reply (com.atproto.repo.createRecord)"
        did = self._own_did()
        try:
            request = xrpc_procedure(
                "com.atproto.repo.createRecord",
                "ComAtprotoRepoCreateRecord",
                repo=did,
                collection=POST_COLLECTION,
                rkey=rkey,
                record=record,
                validate_=True,
            )
        except ValueError as exc:
            raise ReplyFailed(
                f"Bluesky responder {self.name}: the reply is not a valid Bluesky post ({type(exc).__name__}); "
                "nothing was sent"
            ) from None
        try:
            body = account.call(what, request)
        except BlueskyError as exc:
            return self._after_failed_create(exc, did, rkey, record)
        uri = body.get("uri") if split_at_uri(body.get("uri")) else f"at://{did}/{POST_COLLECTION}/{rkey}"
        return self._result(uri)

    def _after_failed_create(self, exc: BlueskyError, did: str, rkey: str, record: dict) -> SendResult:
        problem = exc.problem
        if exc.login or problem.kind in ("rate", "auth", "expired", "scope", "forbidden") or problem.never_sent:
            raise self._refused("reply", exc) from None
        try:
            found = self._lookup(did, rkey, record["reply"]["parent"]["uri"])
        except OutcomeUnknown as lookup:
            raise OutcomeUnknown(f"{self._unclear(problem)}; {lookup}") from None
        if found is not None:
            return found
        if problem.kind in ("unavailable", "malformed"):
            raise OutcomeUnknown(self._unclear(problem))
        raise self._refused("reply", exc) from None

    def _lookup(self, did: str, rkey: str, parent: str | None) -> SendResult | None:
        """The reply with key `rkey` if the repository holds it, None if it certainly does not."""
        what = "the reply's record (com.atproto.repo.getRecord)"
        request = xrpc_query(
            "com.atproto.repo.getRecord", "ComAtprotoRepoGetRecord", repo=did, collection=POST_COLLECTION, rkey=rkey
        )
        try:
            body = self.account().call(what, request)
        except BlueskyError as exc:
            if exc.problem.kind == "not_found" and not exc.login:
                return None
            raise OutcomeUnknown(f"Bluesky responder {self.name}: cannot look up {what} ({exc.problem.tag})") from None
        value = _dict(body.get("value"))
        found_parent = _dict(_dict(value.get("reply")).get("parent")).get("uri")
        if parent and found_parent != parent:
            raise OutcomeUnknown(
                f"Bluesky responder {self.name}: the account's post with key {rkey} answers another post: check by hand"
            )
        uri = body.get("uri") if split_at_uri(body.get("uri")) else f"at://{did}/{POST_COLLECTION}/{rkey}"
        return self._result(uri)

    def _result(self, uri: str) -> SendResult:
        handle = self.account().session_handle or self.handle
        return SendResult(reply_id=uri, url=post_url(uri, handle if is_handle(handle) else None))

    def _own_did(self) -> str:
        """The account's DID (known once logged in); logging in happens here if needed."""
        account = self.account()
        if not account.did:
            try:
                account.client()
            except BlueskyError as exc:
                raise self._refused("reply", exc) from None
        if not account.did:
            raise ReplyFailed(f"Bluesky responder {self.name}: the login returned no account DID")
        return account.did

    # ---- looking up earlier attempts -----------------------------------------------------------
    def find_reply(self, mention: dict, record: dict) -> SendResult | None:
        """The reply `record` stands for if Bluesky holds it; None when it certainly does not.

        Raises OutcomeUnknown when Bluesky cannot tell now.
        """
        self._require_credentials(OutcomeUnknown)
        if record.get("visibility") == "private":
            return self._find_message(mention, record)
        try:
            did = self._own_did()
        except ReplyFailed as exc:
            raise OutcomeUnknown(str(exc)) from None
        parent = post_uri((mention or {}).get("native_id") or (mention or {}).get("id")) if mention else None
        return self._lookup(did, record_key(str(record.get("idempotency_key") or "")), parent)

    def close(self) -> None:
        if self._account is not None:
            self._account.close()
            self._account = None
