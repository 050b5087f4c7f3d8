"""The Bluesky responder (`type = "bluesky"`): public replies and chat messages through the atproto SDK.

- `post_public`: the mention's post is looked up (`app.bsky.feed.getPosts`) for its uri and cid and
  its own reply reference, then `com.atproto.repo.createRecord` writes an `app.bsky.feed.post` in
  the brand's repository with `reply = {root, parent}`: root is the thread's root (the post's own
  `reply.root`, or the post itself when it starts the thread), parent the post. Links and #tags
  get facets, and so does an @mention of the post's author.
- `post_private`: a Bluesky chat message to the author (`chat.bsky.convo.getConvoAvailability`,
  then `getConvoForMembers` and `sendMessage`, through the chat proxy header) when the author's
  chat settings allow it; otherwise ReplyFailed says why. The app password must be allowed to
  access direct messages.
- `find_reply`: whether an earlier attempt went through, for `outbox reconcile`.

Exactly once. The record key (rkey) of a reply is chosen before the request: `record_key`
derives a valid TID from the outbox's idempotency key (SHA-256; the timestamp part lies between
2023 and early 2025, so it never claims a future time). Whatever happens to a request, the reply
can be looked up (`com.atproto.repo.getRecord` for that rkey), and a retry with the same key can
never create a second post: the PDS refuses to create a record whose key exists (today a 500,
later an explicit error), and the existing record is then returned as the sent reply.

Outcomes: a refusal before or by createRecord (4xx, rate limit, credentials, a deleted target)
is ReplyFailed (nothing was posted); a 5xx, a time-out or a dropped connection is checked at
once with getRecord: found is sent, otherwise OutcomeUnknown (reconcile settles it). Chat
messages have no client-chosen key: `find_reply` looks for the text among the conversation's
messages sent by the account since the attempt.

No message built here contains a credential: they are built from the HTTP status and the XRPC
error name and (scrubbed) message, never from the SDK's exception text.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from socialwatch import model, textlimits
from socialwatch.errors import ConfigError
from socialwatch.responders import OutcomeUnknown, ReplyFailed, Responder, ResponderContext, SendResult
from socialwatch.sources.bluesky import (
    DEFAULT_SERVICE,
    PLATFORM,
    POST_COLLECTION,
    Account,
    BlueskyError,
    Problem,
    _dict,
    _hhmm,
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

#: Bluesky post text limits (app.bsky.feed.post): 300 graphemes, 3000 bytes.
POST_MAX_BYTES = 3000
#: Chat message text limits (chat.bsky.convo.defs#messageInput): 1000 graphemes, 10000 bytes.
CHAT_MAX_GRAPHEMES = 1000
CHAT_MAX_BYTES = 10000
#: TIDs (base32-sortable, 13 characters): the alphabet, and the window record keys are placed in.
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
TID_BASE_US = 1_672_531_200_000_000  # 2023-01-01T00:00:00Z in microseconds
TID_SPAN_US = 2**46  # about 2.2 years
#: A chat message is looked for from this long before the attempt (clock skew).
LOOKUP_MARGIN = timedelta(minutes=1)
LOOKUP_PAGES = 5
_NOT_SERVED = ("MethodNotImplemented", "XRPCNotSupported")


def record_key(idempotency_key: str) -> str:
    """A valid, deterministic TID for an outbox idempotency key (the reply's rkey)."""
    digest = hashlib.sha256(("socialwatch bluesky reply\n" + str(idempotency_key)).encode("utf-8")).digest()
    number = int.from_bytes(digest[:8], "big")
    micros = TID_BASE_US + (number >> 10) % TID_SPAN_US
    value = (micros << 10) | (number & 0x3FF)
    return "".join(TID_ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(13)))


def _strong_ref(value: Any) -> dict | None:
    """{"uri", "cid"} of a post reference, None unless both are there."""
    ref = _dict(value)
    uri, cid = ref.get("uri"), ref.get("cid")
    if split_at_uri(uri) and isinstance(cid, str) and cid:
        return {"uri": uri, "cid": cid}
    return None


def reply_refs(view: dict) -> dict:
    """The `reply` field of an answer to the post `view`: root = the thread's root, parent = the post."""
    parent = _strong_ref(view)
    if parent is None:
        raise ValueError("the post view has no uri and cid")
    record_reply = _dict(_dict(view.get("record")).get("reply"))
    root = _strong_ref(record_reply.get("root")) or parent
    return {"root": root, "parent": parent}


def _now_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _same_text(a: Any, b: Any) -> bool:
    return isinstance(a, str) and isinstance(b, str) and " ".join(a.split()) == " ".join(b.split())


class BlueskyResponder(Responder):
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

    # ---- private replies (Bluesky chat) --------------------------------------------------------
    def post_private(self, mention: dict, text: str, key: str) -> SendResult:
        """A chat message to the mention's author, when their chat settings allow it."""
        self._require_credentials(ReplyFailed)
        self._check_platform(mention)
        self._check_length(text, CHAT_MAX_GRAPHEMES, CHAT_MAX_BYTES, "chat message")
        did = self._author_did(mention)
        if did is None:
            raise ReplyFailed(f"Bluesky responder {self.name}: {mention.get('id')} has no author DID to message")
        try:
            convo = self._conversation(did, mention)
        except ValueError as exc:  # a request the SDK's models refuse: nothing was sent
            raise ReplyFailed(
                f"Bluesky responder {self.name}: cannot open the conversation ({type(exc).__name__})"
            ) from None
        what = "the chat message (chat.bsky.convo.sendMessage)"
        try:
            request = xrpc_procedure(
                "chat.bsky.convo.sendMessage", "ChatBskyConvoSendMessage", convo_id=convo, message={"text": text}
            )
        except ValueError as exc:
            raise ReplyFailed(
                f"Bluesky responder {self.name}: not a valid chat message ({type(exc).__name__}); nothing was sent"
            ) from None
        try:
            body = self.account().call(what, request, chat=True)
        except BlueskyError as exc:
            problem = exc.problem
            if not exc.login and not problem.never_sent and problem.kind in ("unavailable", "malformed"):
                raise OutcomeUnknown(self._unclear(problem, "chat message")) from None
            raise self._refused("chat message", exc) from None
        message_id = body.get("id")
        if not isinstance(message_id, str) or not message_id:
            raise OutcomeUnknown(f"Bluesky responder {self.name}: the chat service's answer carries no message id")
        return SendResult(reply_id=message_id, url=f"https://bsky.app/messages/{convo}")

    def _author_did(self, mention: dict) -> str | None:
        did = _dict(mention.get("author")).get("id")
        if is_did(did):
            return did
        uri = post_uri(mention.get("native_id") or mention.get("id"))
        parts = split_at_uri(uri)
        return parts[0] if parts else None

    def _conversation(self, did: str, mention: dict) -> str:
        """The conversation id with `did`; ReplyFailed when their settings do not allow a message."""
        who = f"@{_dict(mention.get('author')).get('handle') or did}"
        try:
            body = self.account().call(
                "the chat availability (chat.bsky.convo.getConvoAvailability)",
                xrpc_query("chat.bsky.convo.getConvoAvailability", "ChatBskyConvoGetConvoAvailability", members=[did]),
                chat=True,
            )
        except BlueskyError as exc:
            if exc.login or not _not_served(exc.problem):
                raise self._refused("chat message", exc, who=who) from None
            body = None  # an older chat service: ask for the conversation directly
        if body is not None:
            if body.get("canChat") is False:
                raise ReplyFailed(
                    f"Bluesky responder {self.name}: {who} does not accept chat messages from the account (their "
                    "chat settings allow only people they follow, or nobody): reply publicly"
                )
            convo = _dict(body.get("convo")).get("id")
            if isinstance(convo, str) and convo:
                return convo
        try:
            body = self.account().call(
                "the conversation (chat.bsky.convo.getConvoForMembers)",
                xrpc_query("chat.bsky.convo.getConvoForMembers", "ChatBskyConvoGetConvoForMembers", members=[did]),
                chat=True,
            )
        except BlueskyError as exc:
            raise self._refused("chat message", exc, who=who) from None
        convo = _dict(body.get("convo")).get("id")
        if not isinstance(convo, str) or not convo:
            raise ReplyFailed(f"Bluesky responder {self.name}: the chat service returned no conversation for {who}")
        return convo

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

    def _find_message(self, mention: dict, record: dict) -> SendResult | None:
        if not mention:
            raise OutcomeUnknown(
                f"Bluesky responder {self.name}: the mention of {record.get('id')} is no longer stored"
            )
        did = self._author_did(mention)
        if did is None:
            raise OutcomeUnknown(f"Bluesky responder {self.name}: {mention.get('id')} has no author DID")
        try:
            own = self._own_did()
            convo = self._conversation(did, mention)
        except ReplyFailed as exc:
            raise OutcomeUnknown(f"{exc} (cannot look the message up)") from None
        since = (_parse(record.get("created_at")) or self._now()) - LOOKUP_MARGIN
        cursor: str | None = None
        for _ in range(LOOKUP_PAGES):
            params: dict[str, Any] = {"convo_id": convo, "limit": 100, **({"cursor": cursor} if cursor else {})}
            try:
                body = self.account().call(
                    "the chat messages (chat.bsky.convo.getMessages)",
                    xrpc_query("chat.bsky.convo.getMessages", "ChatBskyConvoGetMessages", **params),
                    chat=True,
                )
            except BlueskyError as exc:
                raise OutcomeUnknown(
                    f"Bluesky responder {self.name}: cannot look up the chat messages ({exc.problem.tag})"
                ) from None
            for message in map(_dict, _list(body.get("messages"))):
                sent = _parse(message.get("sentAt"))
                if sent is not None and sent < since:
                    return None
                sender = _dict(message.get("sender")).get("did")
                if sender == own and _same_text(message.get("text"), record.get("text")) and message.get("id"):
                    return SendResult(reply_id=str(message["id"]), url=f"https://bsky.app/messages/{convo}")
            cursor = body.get("cursor") if isinstance(body.get("cursor"), str) else None
            if not cursor:
                return None
        raise OutcomeUnknown(
            f"Bluesky responder {self.name}: looked through {LOOKUP_PAGES} pages of messages without reaching the "
            "time of the attempt: check the conversation by hand"
        )

    # ---- checks and messages -------------------------------------------------------------------
    def _check_platform(self, mention: dict) -> None:
        platform = mention.get("platform")
        if platform not in (None, PLATFORM):
            raise ReplyFailed(
                f"Bluesky responder {self.name} cannot answer {mention.get('id')}: it is a {platform} mention; "
                "map its source to another responder"
            )

    def _check_length(self, text: str, graphemes: int, max_bytes: int, what: str) -> None:
        if not text.strip():
            raise ReplyFailed(f"Bluesky responder {self.name}: the {what} is empty")
        problem = textlimits.check(PLATFORM, text, graphemes)
        if problem:
            raise ReplyFailed(f"Bluesky responder {self.name}: {problem}; nothing was sent")
        size = len(text.encode("utf-8"))
        if size > max_bytes:
            raise ReplyFailed(
                f"Bluesky responder {self.name}: the {what} is {size} bytes, over Bluesky's {max_bytes}; nothing was sent"
            )

    def _read(self, what: str, request: Callable[[Any], Any]) -> dict:
        """A lookup before posting: any failure is ReplyFailed (nothing was posted yet)."""
        try:
            return self.account().call(what, request)
        except BlueskyError as exc:
            raise self._refused("reply", exc, reading=what) from None

    def _refused(self, what: str, exc: BlueskyError, *, who: str = "", reading: str = "") -> ReplyFailed:
        """Why nothing was sent, from safe facts only (status, XRPC error name, scrubbed message)."""
        problem = exc.problem
        head = f"Bluesky responder {self.name}: "
        tail = f"; the {what} was not sent"
        if problem.kind == "rate":
            if problem.reset_at is None:
                return ReplyFailed(head + f"Bluesky rate limit reached (429){tail}")
            wait = max(0.0, problem.reset_at.timestamp() - self._time())
            return ReplyFailed(
                head + f"Bluesky rate limit reached (429){tail}: retry after {_hhmm(problem.reset_at)} "
                f"(in {int(wait + 0.999)} s)",
                retry_after=wait,
            )
        if exc.login or problem.kind in ("auth", "expired"):
            return ReplyFailed(
                head + f"Bluesky refused the login or session ({problem.detail}): check `handle` and `app_password` "
                f"in responders.{self.name} and the environment variable it references (revoked app password?){tail}"
            )
        if problem.kind == "scope":
            return ReplyFailed(
                head + f"the app password has no access to direct messages ({problem.tag}): create an app password "
                f"with 'Allow access to your direct messages' and set it in responders.{self.name}{tail}"
            )
        if what == "chat message" and problem.kind in ("rejected", "forbidden", "not_found"):
            return ReplyFailed(
                head + f"{who or 'the author'} cannot be messaged by the account ({problem.detail}): their chat "
                f"settings may not allow it, or one of the accounts blocks the other; reply publicly{tail}"
            )
        if problem.kind == "unavailable":
            where = f" while reading {reading}" if reading else ""
            return ReplyFailed(head + f"Bluesky did not answer{where} ({problem.tag}){tail}")
        if problem.kind == "forbidden":
            return ReplyFailed(head + f"Bluesky refused the {what} (403: {problem.detail}){tail}")
        return ReplyFailed(head + f"Bluesky refused the {what} ({problem.detail}){tail}")

    def _unclear(self, problem: Problem, what: str = "reply") -> str:
        return (
            f"Bluesky responder {self.name}: {problem.tag} after the {what} was sent: it may or may not be posted; "
            "`socialwatch outbox reconcile` looks it up"
            + (" by its record key, and a retry cannot post it twice" if what == "reply" else "")
        )

    def close(self) -> None:
        if self._account is not None:
            self._account.close()
            self._account = None


# ---- module-level helpers --------------------------------------------------------------------------
def _usable(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip()) and not value.strip().startswith("$")


def _not_served(problem: Problem) -> bool:
    return problem.status in (404, 501) or problem.error in _NOT_SERVED


def _parse(value: Any) -> datetime | None:
    try:
        return model.parse_time(value) if value else None
    except ValueError:
        return None


def _facets(text: str, author: dict) -> list[dict]:
    """Link and #tag facets (detected offline), and a mention facet for @AUTHOR (whose DID is known)."""
    try:
        from atproto_client import models
        from atproto_client.models.utils import get_model_as_dict
        from atproto_client.utils import facet_detection

        facets = [get_model_as_dict(f) for f in facet_detection.detect_facets(text)]
        handle, did = str(author.get("handle") or "").lower(), author.get("did")
        if handle and is_did(did):
            for found in facet_detection.detect_mentions(text):
                if found.handle.lower() == handle:
                    facet = models.AppBskyRichtextFacet.Main(
                        features=[models.AppBskyRichtextFacet.Mention(did=did)],
                        index=models.AppBskyRichtextFacet.ByteSlice(
                            byte_start=found.byte_start, byte_end=found.byte_end
                        ),
                    )
                    facets.append(get_model_as_dict(facet))
        return sorted(facets, key=lambda f: f["index"]["byteStart"])
    except Exception:  # rich text is a nicety: never fail a reply over it
        return []
