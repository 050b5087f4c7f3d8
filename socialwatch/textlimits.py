"""Platform length limits, counted the way each platform counts.

X counts "weighted" characters (twitter-text v3): most Latin, Greek, Cyrillic and common
punctuation weigh 1, everything else (CJK, emoji) weighs 2, and every URL counts as 23
whatever its length; the limit is 280. Reddit allows 10,000 characters in a comment, Bluesky
300 graphemes, Mastodon 500 characters by default (an instance may allow more).
"""

from __future__ import annotations

import re
import unicodedata

URL = re.compile(r"https?://[^\s]+|(?<![\w@])(?:[a-z0-9-]+\.)+(?:com|org|net|io|co|uk|ly|me|app|dev)(?:/[^\s]*)?", re.I)
X_URL_WEIGHT = 23
# twitter-text v3: these code point ranges weigh 1, all others 2
_LIGHT = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))

LIMITS = {"twitter": 280, "reddit": 10_000, "bluesky": 300, "mastodon": 500}


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


def measure(platform: str, text: str, limit: int | None = None) -> tuple[int, int | None]:
    """(length as the platform counts it, its limit or None when there is none)."""
    if platform == "twitter":
        return x_weighted_length(text), limit or LIMITS["twitter"]
    if platform == "bluesky":
        return graphemes(text), limit or LIMITS["bluesky"]
    return len(text), limit or LIMITS.get(platform)


def check(platform: str, text: str, limit: int | None = None) -> str | None:
    """A message saying by how much `text` is over the platform's limit, or None if it fits."""
    length, cap = measure(platform, text, limit)
    if cap is None or length <= cap:
        return None
    unit = {"twitter": "weighted characters", "bluesky": "graphemes"}.get(platform, "characters")
    return f"the reply is {length - cap} {unit} over the {platform} limit ({length}/{cap})"
