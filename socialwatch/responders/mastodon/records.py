"""Status texts as Mastodon counts and lists them: lengths, mentions, visibilities, accounts; the lookup's limits."""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta
from typing import Any

from socialwatch import textlimits
from socialwatch.sources.mastodon import VISIBILITIES, as_dict

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


def _acct(value: Any) -> str | None:
    """An account address ("dana" or "dana@example.social") when it is one, else None."""
    if not isinstance(value, str):
        return None
    value = value.strip().lstrip("@")
    return value if _ACCT.match(value) else None


def _handle(mention: dict) -> str | None:
    return _acct(as_dict(mention.get("author")).get("handle"))
