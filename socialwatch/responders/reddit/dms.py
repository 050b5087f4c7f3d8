"""Private replies: a private message to the author (or an answer in their message conversation)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from socialwatch.responders import ReplyFailed, SendResult
from socialwatch.responders.reddit.records import _USERNAME, SUBJECT_LIMIT, _handle, _reply
from socialwatch.sources.reddit import _clean

if TYPE_CHECKING:
    import praw


class DmMixin:
    """`RedditResponder`'s private replies through private messages."""

    # ---- private replies (private messages) ----------------------------------------------------
    def post_private(self, mention: dict, text: str, key: str) -> SendResult:
        """A private message to the mention's author (an answer in the conversation for a message)."""
        fullname = self._fullname(mention)
        if fullname.startswith("t4_"):
            return self._post(lambda reddit: _reply(reddit, fullname, text), f"the answer to message {fullname}")
        handle = self._recipient(mention)
        subject = self._subject(fullname)

        def send(reddit: praw.Reddit) -> SendResult:
            reddit.redditor(handle).message(subject=subject, message=text)
            return SendResult(reply_id=None, url=None, confirmed=True)  # Reddit answers `errors: []`, no id

        return self._post(send, f"the private message to u/{handle}")

    def _recipient(self, mention: dict) -> str:
        handle = _handle((mention.get("author") or {}).get("handle") or "")
        if not handle:
            raise ReplyFailed(f"responder {self.name}: {mention.get('id')} has no author to send a private message to")
        if not _USERNAME.match(handle):
            raise ReplyFailed(f"responder {self.name}: {handle[:40]!r} is not a Reddit username")
        return handle

    def _subject(self, fullname: str) -> str:
        brand = str((self.context.brand or {}).get("name") or "").strip()
        configured = self.config.get("subject")
        if configured:
            subject = configured.replace("{brand}", brand)
        else:
            thing = "comment" if fullname.startswith("t1_") else "post"
            subject = f"Re: your {thing}" + (f" ({brand})" if brand else "")
        return _clean(subject).strip()[:SUBJECT_LIMIT] or "Re: your post"
