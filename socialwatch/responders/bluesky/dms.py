"""Private replies: a chat message in the conversation with the customer, and finding one already sent."""

from __future__ import annotations

from typing import Any

from socialwatch.responders import OutcomeUnknown, ReplyFailed, SendResult
from socialwatch.responders.bluesky.records import LOOKUP_MARGIN, LOOKUP_PAGES, _not_served, _parse, _same_text
from socialwatch.sources.bluesky import (
    BlueskyError,
    _dict,
    _list,
    is_did,
    post_uri,
    split_at_uri,
    xrpc_procedure,
    xrpc_query,
)

#: Chat message text limits (chat.bsky.convo.defs#messageInput): 1000 graphemes, 10000 bytes.
CHAT_MAX_GRAPHEMES = 1000
CHAT_MAX_BYTES = 10000


class DmMixin:
    """`BlueskyResponder`'s private replies through the chat service."""

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
