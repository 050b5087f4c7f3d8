"""Private replies: a direct message to the author (or into their DM conversation), and finding one sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from socialwatch.responders import OutcomeUnknown, ReplyFailed, SendResult
from socialwatch.responders.twitter.records import LOOKUP_DM_FIELDS, _plain, comparable
from socialwatch.sources.twitter import (
    _CONVERSATION,
    _dict,
    int_id,
)


class DmMixin:
    """`TwitterResponder`'s private replies through direct messages."""

    # ---- private replies (direct messages) -------------------------------------------------------
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


def _dm_url(conversation: Any) -> str | None:
    conversation = _plain(conversation)
    return f"https://x.com/messages/{conversation}" if _CONVERSATION.match(conversation) else None
