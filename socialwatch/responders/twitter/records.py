"""What replies are compared by: reply texts as X lists them, plain ids, times; the lookup's limits."""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import datetime, timedelta
from typing import Any

from socialwatch import model, textlimits
from socialwatch.sources.twitter import OAUTH1_KEYS

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


def _parse(value: Any) -> datetime | None:
    try:
        return model.parse_time(value) if value else None
    except ValueError:
        return None
