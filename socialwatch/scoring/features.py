"""The features of the learned model, shared by scoring and by `training/train_intent.py`
(so that the model sees at training time exactly what it sees when scoring).

From VADER's lower-case tokens (punctuation already stripped from the ends of words of three
or more characters, so that "@AppleSupport" is the word "applesupport"): each token, with
short handles as `@user`, links as `_url` and anything holding a digit as `_num`, and each pair of neighbouring tokens ("not working"). Beside the
words, these flags and values:

    _starts_handle  the text starts with a handle (addressed to someone)
    _q, _excl       a question mark, an exclamation mark anywhere
    _short          three tokens or fewer
    cue:NAME        each anger cue found (anger words, churn, waiting, sarcasm, profanity,
                    caps, punctuation, angry emoji, annoyed emoji), "suggestion" ("please
                    add", "you should") and "problem" (words that report one: "not",
                    "still", "broken", "refund", ...)
    risk            any risk cue
    _praise_shape   compound of 0.3 or more, no problem words and no question mark (chosen
                    by cross-validation on the training split among 0.3, 0.4 and 0.5)
    _vneg, _vpos    VADER's compound below / above 0, as its size (numeric)
    _anger          the anger points over `angry_threshold`, at most 3 (numeric)
"""

from __future__ import annotations

import re
from itertools import pairwise

#: The numeric features, in this order in `values`.
NUMERIC = ("_vneg", "_vpos", "_anger")

_DIGITS = frozenset("0123456789")
# Texts without "@", an ASCII digit or "http" (in any case) keep their tokens as they are.
_SPECIAL = re.compile(r"[@0-9]|[hH][tT][tT][pP]")


def tokens(low_tokens: list[str], text: str | None = None) -> list[str]:
    """The normalised tokens (handles, links and numbers replaced by their placeholders);
    `text`, the tokens' source, saves joining them to find out that none needs replacing."""
    if not _SPECIAL.search(" ".join(low_tokens) if text is None else text):
        return low_tokens
    return [t if t.isalpha() else _token(t) for t in low_tokens]


def _token(t: str) -> str:
    c = t[0]
    if c == "@":
        return "@user"
    if c == "h" and t.startswith("http"):
        return "_url"
    if not _DIGITS.isdisjoint(t):
        return "_num"
    return t


def features(text: str, low_tokens: list[str], compound: float, anger_ratio: float,
             cue_names: list[str], risky: bool) -> tuple[set[str], list[str], tuple[float, float, float]]:
    """(the single-word features and flags, the normalised tokens (whose neighbouring pairs
    are the word-pair features), numeric values in `NUMERIC` order) of one text."""
    toks = tokens(low_tokens, text) if low_tokens else []
    feats = set(toks)
    if text.startswith("@"):
        feats.add("_starts_handle")
    if toks:
        if len(toks) <= 3:
            feats.add("_short")
    else:
        feats.add("_short")
    if "?" in text:
        feats.add("_q")
    if "!" in text:
        feats.add("_excl")
    for name in cue_names:
        feats.add("cue:" + name)
    if risky:
        feats.add("risk")
    if compound >= 0.3 and "cue:problem" not in feats and "_q" not in feats:
        feats.add("_praise_shape")
    return feats, toks, (
        -compound if compound < 0 else 0.0,
        compound if compound > 0 else 0.0,
        anger_ratio if anger_ratio < 3.0 else 3.0,
    )


def names(feats: set[str], toks: list[str]) -> set[str]:
    """All feature names of a text as the weights file writes them (word pairs as "a b")."""
    return feats | {a + " " + b for a, b in pairwise(toks)}
