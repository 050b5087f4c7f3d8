"""VADER's sentiment, on a fast path that gives exactly VADER's scores.

`compound`, `pos`, `neu` and `neg` are what vaderSentiment 3.3.2's
`SentimentIntensityAnalyzer.polarity_scores` returns, extended only by the brand's `lexicon`.
The analyzer is a subclass that hands VADER's own tokens to the cues and takes shortcuts that
leave every result unchanged: it skips the per-character emoji pass on texts without an
emoji, and it lower-cases the tokens once for all of VADER's per-word checks rather than
again in each check for every sentiment word. The tests check its scores against the stock
analyzer on about 28,000 texts. With a vaderSentiment release other than 3.3.2 it falls back
to the stock `polarity_scores`. `vaderSentiment` is imported only when the first text is scored.
"""

from __future__ import annotations

from typing import Any

_ANALYZERS: dict[str, Any] = {}


#: The vaderSentiment release whose internals the fast analyzer mirrors; any other falls back to
#: the plain `polarity_scores` (same results, a little slower).
VADER_FAST_VERSION = "3.3.2"


class _Words(list):
    """VADER's token list, carrying its lower-case copy so that negation checks need not rebuild it."""

    low: list[str]


def _vader_version(module_file: str) -> str | None:
    """The installed vaderSentiment's version, from the one dist-info folder beside the package
    (importing importlib.metadata for it would cost more than the rest of the start-up), else
    from importlib.metadata; None when unknown."""
    import os

    site = os.path.dirname(os.path.dirname(os.path.abspath(module_file)))
    try:
        found = [n for n in os.listdir(site) if n.lower().startswith("vadersentiment-") and n.endswith(".dist-info")]
    except OSError:
        found = []
    if len(found) == 1:
        try:
            with open(os.path.join(site, found[0], "METADATA"), encoding="utf-8") as fh:
                for line in fh:
                    if line.startswith("Version:"):
                        return line.split(":", 1)[1].strip()
                    if not line.strip():
                        break
        except OSError:
            pass
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("vaderSentiment")
    except PackageNotFoundError:
        return None


def analyzer_class() -> type:
    """A SentimentIntensityAnalyzer whose `analyze` returns VADER's scores and its tokens.

    With vaderSentiment 3.3.2 it is `polarity_scores` step for step, with shortcuts that do not
    change any result (the tests compare it with the stock analyzer on ~28,000 texts): the
    per-character emoji pass runs only on texts that hold an emoji (all of VADER's emoji keys are
    non-ASCII characters); the tokens are lower-cased once, and the per-word checks (lexicon,
    "no", boosters, negation, idioms, "least", "but") read that copy instead of lower-casing the
    tokens again (VADER rebuilds the whole lower-case list for every sentiment word); and a
    preceding word that is no booster adds its 0.0 without a function call.
    """
    if "class" in _ANALYZERS:
        return _ANALYZERS["class"]
    import math
    import string

    from vaderSentiment import vaderSentiment as vader

    fast = _vader_version(vader.__file__) == VADER_FAST_VERSION
    negate = frozenset(vader.NEGATE)
    booster = vader.BOOSTER_DICT
    special = vader.SPECIAL_CASES
    n_scalar = vader.N_SCALAR
    c_incr = vader.C_INCR
    scalar_inc_dec = vader.scalar_inc_dec
    punctuation = string.punctuation
    fabs = math.fabs
    sqrt = math.sqrt
    idiom_words = frozenset(w for key in (*special, *(k for k in booster if " " in k)) for w in key.split())

    class Analyzer(vader.SentimentIntensityAnalyzer):
        def __init__(self) -> None:
            super().__init__()
            self._emoji_chars = frozenset(k for k in self.emojis if len(k) == 1)

        def _demojize(self, text: str) -> str:
            """VADER's emoji pass: each emoji becomes its description, after a space unless one precedes."""
            out = []
            prev_space = True
            for char in text:
                if char in self._emoji_chars:
                    if not prev_space:
                        out.append(" ")
                    out.append(self.emojis[char])
                    prev_space = False
                else:
                    out.append(char)
                    prev_space = char == " "
            return "".join(out)

        @staticmethod
        def _negation_check(valence: float, words: list, start_i: int, i: int) -> float:
            """VADER's negation check, on the cached lower-case tokens."""
            low = words.low if isinstance(words, _Words) else [str(w).lower() for w in words]
            before = low[i - (start_i + 1)]
            negated = before in negate or "n't" in before
            if start_i == 0:
                if negated:
                    valence = valence * n_scalar
            elif start_i == 1:
                if low[i - 2] == "never" and (low[i - 1] == "so" or low[i - 1] == "this"):
                    valence = valence * 1.25
                elif low[i - 2] == "without" and low[i - 1] == "doubt":
                    pass
                elif negated:
                    valence = valence * n_scalar
            elif start_i == 2:
                if (
                    low[i - 3] == "never"
                    and (low[i - 2] == "so" or low[i - 2] == "this")
                    or (low[i - 1] == "so" or low[i - 1] == "this")
                ):
                    valence = valence * 1.25
                elif low[i - 3] == "without" and (low[i - 2] == "doubt" or low[i - 1] == "doubt"):
                    pass
                elif negated:
                    valence = valence * n_scalar
            return valence

        @staticmethod
        def _special_idioms_check(valence: float, words: list, i: int) -> float:
            """VADER's idiom check, on the cached lower-case tokens. Every idiom and multi-word
            booster is two or more neighbouring words of `idiom_words`: without such a pair
            around the word, none can match, and the phrases are not built."""
            low = words.low if isinstance(words, _Words) else [str(w).lower() for w in words]
            w3, w2, w1, w0 = low[i - 3], low[i - 2], low[i - 1], low[i]
            in2, in1, in0 = w2 in idiom_words, w1 in idiom_words, w0 in idiom_words
            if not (in1 and (in2 or in0)) and not (in2 and w3 in idiom_words) and not (
                    in0 and i < len(low) - 1 and low[i + 1] in idiom_words):
                return valence
            twoone = f"{w2} {w1}"
            threetwoone = f"{w3} {w2} {w1}"
            threetwo = f"{w3} {w2}"
            for seq in (f"{w1} {w0}", f"{w2} {w1} {w0}", twoone, threetwoone, threetwo):
                if seq in special:
                    valence = special[seq]
                    break
            last = len(low) - 1
            if last > i:
                zeroone = f"{w0} {low[i + 1]}"
                if zeroone in special:
                    valence = special[zeroone]
            if last > i + 1:
                zeroonetwo = f"{w0} {low[i + 1]} {low[i + 2]}"
                if zeroonetwo in special:
                    valence = special[zeroonetwo]
            for n_gram in (threetwoone, threetwo, twoone):
                if n_gram in booster:
                    valence = valence + booster[n_gram]
            return valence

        @staticmethod
        def _but_check(words: list, sentiments: list) -> list:
            """VADER's "but" check (with its quirks), on the cached lower-case tokens."""
            low = words.low if isinstance(words, _Words) else [str(w).lower() for w in words]
            if "but" in low:
                bi = low.index("but")
                for sentiment in sentiments:
                    si = sentiments.index(sentiment)
                    if si < bi:
                        sentiments.pop(si)
                        sentiments.insert(si, sentiment * 0.5)
                    elif si > bi:
                        sentiments.pop(si)
                        sentiments.insert(si, sentiment * 1.5)
            return sentiments

        def _valence(self, words: _Words, low: list[str], is_cap_diff: bool, i: int) -> float:
            """VADER's `sentiment_valence` for the lexicon word at `i`."""
            lexicon = self.lexicon
            item_lowercase = low[i]
            valence = lexicon[item_lowercase]
            if item_lowercase == "no" and i != len(words) - 1 and low[i + 1] in lexicon:
                valence = 0.0
            if (
                (i > 0 and low[i - 1] == "no")
                or (i > 1 and low[i - 2] == "no")
                or (i > 2 and low[i - 3] == "no" and low[i - 1] in ("or", "nor"))
            ):
                valence = lexicon[item_lowercase] * n_scalar
            if is_cap_diff and words[i].isupper():
                if valence > 0:
                    valence += c_incr
                else:
                    valence -= c_incr
            for start_i in (0, 1, 2):
                if i > start_i:
                    before = low[i - (start_i + 1)]
                    if before in lexicon:
                        continue
                    if before in booster:
                        s = scalar_inc_dec(words[i - (start_i + 1)], valence, is_cap_diff)
                        if start_i == 1 and s != 0:
                            s = s * 0.95
                        if start_i == 2 and s != 0:
                            s = s * 0.9
                    else:
                        s = 0.0
                    valence = valence + s
                    # VADER's negation check (`_negation_check`), inline
                    negated = before in negate or "n't" in before
                    if start_i == 0:
                        if negated:
                            valence = valence * n_scalar
                    elif start_i == 1:
                        if low[i - 2] == "never" and (low[i - 1] == "so" or low[i - 1] == "this"):
                            valence = valence * 1.25
                        elif low[i - 2] == "without" and low[i - 1] == "doubt":
                            pass
                        elif negated:
                            valence = valence * n_scalar
                    else:
                        if (
                            low[i - 3] == "never"
                            and (low[i - 2] == "so" or low[i - 2] == "this")
                            or (low[i - 1] == "so" or low[i - 1] == "this")
                        ):
                            valence = valence * 1.25
                        elif low[i - 3] == "without" and (low[i - 2] == "doubt" or low[i - 1] == "doubt"):
                            pass
                        elif negated:
                            valence = valence * n_scalar
                        valence = self._special_idioms_check(valence, words, i)
            # VADER's "least" check
            if i > 1 and low[i - 1] not in lexicon and low[i - 1] == "least":
                if low[i - 2] != "at" and low[i - 2] != "very":
                    valence = valence * n_scalar
            elif i > 0 and low[i - 1] not in lexicon and low[i - 1] == "least":
                valence = valence * n_scalar
            return valence

        def analyze(self, text: str) -> tuple[dict, list[str], list[str], bool]:
            """(polarity scores, VADER's tokens, the same in lower case, whether only some are in capitals)."""
            if not fast:  # the same tokens as the fast path: emoji as their descriptions
                shown = text
                if not text.isascii() and not self._emoji_chars.isdisjoint(text):
                    shown = self._demojize(text)
                sentitext = vader.SentiText(shown.strip())
                words = sentitext.words_and_emoticons
                return self.polarity_scores(text), words, [w.lower() for w in words], sentitext.is_cap_diff
            if not text.isascii() and not self._emoji_chars.isdisjoint(text):
                text = self._demojize(text)
            text = text.strip()
            # SentiText: the tokens with surrounding punctuation stripped (unless that leaves two
            # characters or fewer: an emoticon), and whether some but not all are in capitals.
            tokens = text.split()
            stripped = [t.strip(punctuation) for t in tokens]
            words = _Words([s if len(s) > 2 else t for t, s in zip(tokens, stripped, strict=True)])
            low = words.low = [w.lower() for w in words]
            is_cap_diff = 0 < len(words) - sum(map(str.isupper, words)) < len(words)
            lexicon = self.lexicon
            valence = self._valence
            sentiments: list = []
            last = len(words) - 1
            for i, word in enumerate(low):
                if word not in lexicon or word in booster or (i < last and word == "kind" and low[i + 1] == "of"):
                    sentiments.append(0)
                else:
                    sentiments.append(valence(words, low, is_cap_diff, i))
            if "but" in low:
                sentiments = self._but_check(words, sentiments)
            return self._score_valence(sentiments, text), words, low, is_cap_diff

        @staticmethod
        def _score_valence(sentiments: list, text: str) -> dict:
            """VADER's `score_valence` (with its punctuation emphasis, `normalize` and the sifting
            of the scores), in one function: the same operations in the same order, so the same
            floats; the sifting passes over the non-zero scores only."""
            if not sentiments:
                return {"neg": 0.0, "neu": 0.0, "pos": 0.0, "compound": 0.0}
            nonzero = list(filter(None, sentiments))
            if not nonzero:  # VADER's arithmetic gives exactly this for all-neutral words
                return {"neg": 0.0, "neu": 1.0, "pos": 0.0, "compound": 0.0}
            sum_s = float(sum(sentiments))
            ep_count = text.count("!")
            if ep_count > 4:
                ep_count = 4
            ep_amplifier = ep_count * 0.292
            qm_count = text.count("?")
            qm_amplifier = 0
            if qm_count > 1:
                qm_amplifier = qm_count * 0.18 if qm_count <= 3 else 0.96
            punct_emph_amplifier = ep_amplifier + qm_amplifier
            if sum_s > 0:
                sum_s += punct_emph_amplifier
            elif sum_s < 0:
                sum_s -= punct_emph_amplifier
            compound = sum_s / sqrt((sum_s * sum_s) + 15)
            if compound < -1.0:
                compound = -1.0
            elif compound > 1.0:
                compound = 1.0
            pos_sum = 0.0
            neg_sum = 0.0
            for sentiment_score in nonzero:
                if sentiment_score > 0:
                    pos_sum += (float(sentiment_score) + 1)
                else:
                    neg_sum += (float(sentiment_score) - 1)
            neu_count = len(sentiments) - len(nonzero)
            if pos_sum > fabs(neg_sum):
                pos_sum += punct_emph_amplifier
            elif pos_sum < fabs(neg_sum):
                neg_sum -= punct_emph_amplifier
            total = pos_sum + fabs(neg_sum) + neu_count
            return {"neg": round(fabs(neg_sum / total), 3), "neu": round(fabs(neu_count / total), 3),
                    "pos": round(fabs(pos_sum / total), 3), "compound": round(compound, 4)}

    if not fast:  # another VADER: keep its own checks
        del Analyzer._negation_check, Analyzer._special_idioms_check, Analyzer._but_check
    _ANALYZERS["class"] = Analyzer
    return Analyzer


def default_analyzer() -> Any:
    """The shared analyzer with VADER's stock lexicon (imported and built on first use)."""
    if "default" not in _ANALYZERS:
        _ANALYZERS["default"] = analyzer_class()()
    return _ANALYZERS["default"]


def new_analyzer(lexicon: dict[str, float]) -> Any:
    """A private analyzer whose lexicon is extended (or overridden) by `lexicon`."""
    analyzer = analyzer_class()()
    analyzer.lexicon.update(lexicon)
    return analyzer

