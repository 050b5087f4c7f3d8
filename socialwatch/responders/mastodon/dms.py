"""Private replies: a direct status (visibility `direct`) in the mention's thread, addressed to its author."""

from __future__ import annotations

from socialwatch.responders import ReplyFailed, SendResult
from socialwatch.responders.mastodon.records import _acct, _handle, with_mention
from socialwatch.sources.mastodon import as_dict


class DmMixin:
    """`MastodonResponder`'s private replies (direct statuses)."""

    # ---- private replies (direct statuses) -------------------------------------------------------
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
