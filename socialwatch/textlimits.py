"""Platform length limits, counted the way each platform counts.

X counts "weighted" characters (twitter-text v3): most Latin, Greek, Cyrillic and common
punctuation weigh 1, everything else (CJK, emoji) weighs 2, and every URL counts as 23
whatever its length; the limit is 280. Reddit allows 10,000 characters in a comment, Bluesky
300 graphemes, Mastodon 500 characters by default (an instance may allow more).

Private messages have limits of their own where the platform has a separate channel for them:
an X direct message takes 10,000 characters (counted plainly: no URL or wide-character weights),
a Reddit private message 10,000, a Bluesky chat message 1,000 graphemes. A Mastodon private
reply is a status with `direct` visibility: the status limit applies.
"""

from __future__ import annotations

import re
import unicodedata

URL = re.compile(r"https?://[^\s]+|(?<![\w@])(?:[a-z0-9-]+\.)+(?:com|org|net|io|co|uk|ly|me|app|dev)(?:/[^\s]*)?", re.I)
X_URL_WEIGHT = 23
# twitter-text v3: these code point ranges weigh 1, all others 2
_LIGHT = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))

LIMITS = {"twitter": 280, "reddit": 10_000, "bluesky": 300, "mastodon": 500}
#: Private messages, where they differ from public replies (see the module docstring).
PRIVATE_LIMITS = {"twitter": 10_000, "reddit": 10_000, "bluesky": 1_000}


def x_weighted_length(text: str) -> int:
    """The length X counts for `text` (URLs 23 each, wide characters 2)."""
    text = unicodedata.normalize("NFC", text)
    total = 0
    last = 0
    for m in URL.finditer(text):
        total += _weigh(text[last : m.start()]) + X_URL_WEIGHT
        last = m.end()
    return total + _weigh(text[last:])


def _weigh(chunk: str) -> int:
    n = 0
    for ch in chunk:
        cp = ord(ch)
        n += 1 if any(lo <= cp <= hi for lo, hi in _LIGHT) else 2
    return n


def graphemes(text: str) -> int:
    """An approximation of user-perceived characters: combining marks and joiners do not count."""
    count = 0
    joined = False
    for ch in text:
        if unicodedata.combining(ch) or ch in "\ufe0f\ufe0e" or 0x1F3FB <= ord(ch) <= 0x1F3FF:
            continue
        if ch == "\u200d":
            joined = True
            continue
        if joined:
            joined = False
            continue
        count += 1
    return count


def private_channel(platform: str, visibility: str | None) -> bool:
    """Whether a reply with `visibility` goes through the platform's private-message channel,
    whose limit and counting differ from a public reply's."""
    return visibility == "private" and platform in PRIVATE_LIMITS


def measure(platform: str, text: str, limit: int | None = None, visibility: str | None = None) -> tuple[int, int | None]:
    """(length as the platform counts it, its limit or None when there is none), for a public
    reply, or for a private message with `visibility="private"`."""
    if private_channel(platform, visibility):
        length = graphemes(text) if platform == "bluesky" else len(unicodedata.normalize("NFC", text))
        return length, limit or PRIVATE_LIMITS[platform]
    if platform == "twitter":
        return x_weighted_length(text), limit or LIMITS["twitter"]
    if platform == "bluesky":
        return graphemes(text), limit or LIMITS["bluesky"]
    return len(text), limit or LIMITS.get(platform)


def check(platform: str, text: str, limit: int | None = None, visibility: str | None = None) -> str | None:
    """A message saying by how much `text` is over the platform's limit, or None if it fits."""
    length, cap = measure(platform, text, limit, visibility)
    if cap is None or length <= cap:
        return None
    private = private_channel(platform, visibility)
    unit = {"twitter": "characters" if private else "weighted characters", "bluesky": "graphemes"}.get(platform,
                                                                                                      "characters")
    what = f"{platform} private-message" if private else platform
    return f"the reply is {length - cap} {unit} over the {what} limit ({length}/{cap})"
