"""Anger cues: what VADER misses in customer-support messages (sarcasm, churn threats,
shouting, "still waiting").

`angry` adds cheap text cues to the compound. Each cue is worth points:

    negativity   1.25 x -compound when the compound is below 0. A clearly positive text
                 (compound above 0.5) loses up to 0.5 points, unless it holds outright
                 sarcasm (which is what makes VADER read it as positive).
    anger        frustration and insult words ("fed up", "ridiculous", "useless", "rip-off",
                 "#fail"), and `anger_words`: 1 point, plus 0.3 for each further word (at
                 most 1.6). A word right after "not", "never" or "no" does not count.
    churn        "cancel my account", "switching to", "never again", "done with you",
                 "won't renew", and `churn_words`: 1.2
    sarcasm      "thanks for nothing", "way to go", "oh great": 1. When the text also reports
                 a problem ("not", "still", "broken", a wait): "great, ...", "love how",
                 "as usual", "so much for" or "scare quotes": 0.8
    waiting      "3 hours on hold", "still waiting", "for 2 weeks", "no response",
                 "2nd time", "been months": 0.6, plus 0.3 for each further one (at most 1.2)
    profanity    0.8
    caps         one shouted word of 5 or more letters: 0.4. Three or more words, at least
                 half of them in capitals: 0.8
    punctuation  "!!" or "??": 0.4. Three or more in a row: 0.6
    emoji        angry faces: 1. Eye roll, thumbs down or facepalm: 0.5

Profanity, capitals, punctuation and the milder emoji only amplify. They count when the
compound is negative, another cue is present or the text reports a problem ("not", "still",
"broken", "down", "refund", ...), so "THANK YOU!!!" and "frickin awesome" stay calm.

A text is `angry` when its points reach `angry_threshold` (default 1.0). A compound of -0.8
or below is enough on its own. Most single cues are enough when the text is not clearly
positive. The cue lists (`cuewords`) are general customer-service English, matched as whole
words. Each phrase is found through one of its words, so a text with none of those words
costs one set intersection.
"""

from __future__ import annotations

import re

from socialwatch.scoring.cuewords import (
    ANGER_WORDS,
    ANGRY_EMOJI,
    ANGRY_HASHTAG_ENDS,
    ANNOYED_EMOJI,
    CANCEL,
    CHEERFUL,
    CHURN_WORDS,
    COMMON,
    COUNT_WORDS,
    CURLY,
    EXASPERATED_COUNT,
    HASHTAG,
    INTERJECTION,
    NEGATIONS,
    NEGATORS,
    PROBLEM_WORDS,
    PROFANITY_WORDS,
    PUNCT_RUN,
    RESOLVED_WORDS,
    SARCASM_NEAR_WORDS,
    SARCASM_WORDS,
    SARCASTIC_EMOJI,
    SARCASTIC_MARKERS,
    SCARE_QUOTES,
    STRIP,
    TIMED_WAIT,
    TROUBLE_WORDS,
    UNITS,
    W_ANGER,
    W_ANGER_MAX,
    W_ANGER_MORE,
    W_ANGRY_EMOJI,
    W_ANNOYED_EMOJI,
    W_CHURN,
    W_EMPHASIS,
    W_NEGATIVITY,
    W_POSITIVE_DAMP,
    W_PROFANITY,
    W_PUNCT,
    W_PUNCT_MORE,
    W_SARCASM,
    W_SARCASM_NEAR,
    W_SHOUTING,
    W_WAITING,
    W_WAITING_MAX,
    W_WAITING_MORE,
    WAITING_WORDS,
)

Index = dict[str, list[tuple[str, str | None]]]
Cue = tuple[str, float, str]  # (name, points, detail)

def index_word(phrase: str, common: frozenset[str] = COMMON) -> str | None:
    """The word through which a phrase is found: its longest word not in `common`, as a VADER
    token shows it.

    None when the phrase has no word of two or more letters.
    """
    words = [w.strip(STRIP) for w in phrase.split()]
    words = [w for w in words if len(w) >= 2]
    if not words:
        return None
    rare = [w for w in words if w not in common]
    return max(rare or words, key=len)


def add(index: Index, category: str, phrases: str | list[str], common: frozenset[str] = COMMON) -> None:
    """Add phrases of a category to `index` (word -> [(category, phrase or None for the word itself)])."""
    items = phrases.split("|") if isinstance(phrases, str) else phrases
    for phrase in items:
        phrase = " ".join(phrase.lower().replace("’", "'").split())
        key = index_word(phrase, common)
        if key is None:
            continue
        entry = (category, None if phrase == key else phrase)
        bucket = index.setdefault(key, [])
        if entry not in bucket:
            bucket.append(entry)


def _base_index() -> Index:
    index: Index = {}
    for category, phrases in (
        ("anger", ANGER_WORDS),
        ("churn", CHURN_WORDS),
        ("sarcasm", SARCASM_WORDS),
        ("waiting", WAITING_WORDS),
        ("profanity", PROFANITY_WORDS),
        ("unit", UNITS),
        ("cancel", "cancel|cancelling|canceling|cancelled|canceled"),
    ):
        add(index, category, phrases)
    return index


BASE_INDEX = _base_index()
# Looked up only in texts that report a problem: sarcasm that needs one, and the problem words.
NEAR_INDEX: Index = {}
add(NEAR_INDEX, "sarcasm near", SARCASM_NEAR_WORDS)
add(NEAR_INDEX, "cheerful", CHEERFUL)
NEAR_TRIGGERS = frozenset(NEAR_INDEX)
PROBLEM = frozenset(PROBLEM_WORDS.split("|"))
REAL_PROBLEM = PROBLEM - NEGATIONS
LATE_RELATIVE = re.compile(r"\blate (?:mum|mom|mother|dad|father|husband|wife|partner|son|daughter|gran|nan|grandad"
                           r"|grandfather|grandmother|brother|sister|uncle|aunt)")
# Sarcastic praise around a problem ("Wow, thanks... yet another outage 👏", "love that for me",
# "FOUR."): the markers, the trouble they must stand next to, and what says the trouble is over.
MARKER_INDEX: Index = {}
add(MARKER_INDEX, "marker", SARCASTIC_MARKERS)
MARKER_TRIGGERS = frozenset(MARKER_INDEX)
TROUBLE_INDEX: Index = {}
add(TROUBLE_INDEX, "trouble", TROUBLE_WORDS)
TROUBLE_TRIGGERS = frozenset(TROUBLE_INDEX)
RESOLVED_INDEX: Index = {}
add(RESOLVED_INDEX, "resolved", RESOLVED_WORDS)
RESOLVED_TRIGGERS = frozenset(RESOLVED_INDEX)
COUNT_TRIGGERS = frozenset(COUNT_WORDS.lower().split("|"))


def contains(low: str, phrase: str) -> bool:
    """Whether `phrase` occurs in `low` as whole words."""
    i = low.find(phrase)
    while i >= 0:
        j = i + len(phrase)
        if (i == 0 or not low[i - 1].isalnum()) and (j == len(low) or not low[j].isalnum()):
            return True
        i = low.find(phrase, i + 1)
    return False


def negated(low: str, word: str) -> bool:
    return any(contains(low, n + word) for n in NEGATORS)




class CueFinder:
    """The anger cues of texts, with the base word lists plus the brand's own anger and churn words."""

    def __init__(self, anger_words: list[str] | None = None, churn_words: list[str] | None = None) -> None:
        self.index = BASE_INDEX
        if anger_words or churn_words:
            self.index = {word: list(entries) for word, entries in BASE_INDEX.items()}
            add(self.index, "anger", anger_words or [])
            add(self.index, "churn", churn_words or [])
        self.triggers = frozenset(self.index)

    def anger(self, text: str, tokens: list[str], low_tokens: list[str], cap_diff: bool,
              compound: float) -> tuple[float, list[Cue], bool]:
        """(anger points, cues, whether the text reports a problem), given VADER's tokens."""
        cues, problem = self.words(text, low_tokens)
        # Profanity, capitals, "!!!" and eye rolls only amplify: "frickin awesome!!!" is not anger.
        amplify = compound < 0 or problem or (bool(cues) and (len(cues) > 1 or cues[0][0] != "profanity"))
        if amplify:
            if cap_diff or (tokens and tokens[0].isupper()):
                _caps(tokens, cues)
            if "!!" in text or "??" in text or "!?" in text or "?!" in text:
                _punctuation(text, cues)
        elif cues:
            cues = []  # profanity alone
        if not text.isascii():
            _emoji(text, cues, amplify)
        points = 0.0
        sarcastic = False
        for cue in cues:
            points += cue[1]
            sarcastic = sarcastic or cue[0] == "sarcasm" or cue[0] == "exasperation"
        if compound < 0:
            points -= W_NEGATIVITY * compound
        elif compound > 0.5 and not sarcastic:  # outright sarcasm is what makes VADER read it positive
            points -= W_POSITIVE_DAMP * (compound - 0.5)
        return round(points, 3), cues, problem

    def words(self, text: str, words: list[str]) -> tuple[list[tuple[str, float, str]], bool]:
        """The word cues (anger, churn, waiting, sarcasm, profanity) in a text, given its lower-case tokens,
        and whether it reports a problem ("not", "still", "broken", ...)."""
        if not text.isascii():
            words = " ".join(words).translate(CURLY).split()
        hits = self.triggers.intersection(words)
        if "#" in text:
            hits = hits.union(w for w in words if w[0] == "#" and w.endswith(ANGRY_HASHTAG_ENDS))
        problem = not PROBLEM.isdisjoint(words)
        marked = not MARKER_TRIGGERS.isdisjoint(words) or (not text.isascii() and SARCASTIC_EMOJI.search(text))
        counted = not text.islower() and not COUNT_TRIGGERS.isdisjoint(words)
        if not hits and not problem and not marked and not counted:
            return [], False
        low = text.lower()
        if not low.isascii():
            low = low.replace("’", "'")
        found: dict[str, set[str]] = {}
        for word in hits:
            for category, phrase in self.index.get(word, HASHTAG):
                if category == "hashtag":
                    found.setdefault("anger", set()).add(word)
                elif phrase is None:
                    if category != "anger" or not negated(low, word):
                        found.setdefault(category, set()).add(word)
                elif contains(low, phrase):
                    found.setdefault(category, set()).add(phrase)
        cues = _word_cues(found, low)
        if "sarcasm" not in found and (problem or (cues and any(c[0] == "waiting" for c in cues))):
            near = _sarcasm_near(words, low)
            if near:
                cues.append(("sarcasm", W_SARCASM_NEAR, near))
        if marked or counted:
            _sarcastic_praise(text, words, low, bool(cues), bool(marked), counted, cues)
        return cues, problem


def _word_cues(found: dict[str, set[str]], low: str) -> list[tuple[str, float, str]]:
    """Turn the words and phrases found, by category, into scored cues."""
    cues = []
    if "anger" in found:
        words = sorted(found["anger"])
        cues.append(("anger words", min(W_ANGER_MAX, W_ANGER + W_ANGER_MORE * (len(words) - 1)), ", ".join(words)))
    churn = min(found["churn"]) if "churn" in found else None
    if churn is None and "cancel" in found:
        m = CANCEL.search(low)
        churn = m.group() if m else None
    if churn:
        cues.append(("churn", W_CHURN, churn))
    waits = found.get("waiting") or set()
    if "unit" in found:
        waits.update(m.group() for m in TIMED_WAIT.finditer(low))
    if waits:
        waiting = sorted(waits)
        points = min(W_WAITING_MAX, W_WAITING + W_WAITING_MORE * (len(waiting) - 1))
        cues.append(("waiting", points, ", ".join(waiting)))
    if "sarcasm" in found:
        cues.append(("sarcasm", W_SARCASM, min(found["sarcasm"])))
    if "profanity" in found:
        cues.append(("profanity", W_PROFANITY, min(found["profanity"])))
    return cues


def found_in(index: Index, triggers: frozenset[str], words: list[str], low: str) -> str | None:
    """The first phrase of `index` (in sorted order) found in a text, given its words."""
    found = [phrase or word for word in triggers.intersection(words) for _, phrase in index[word]
             if phrase is None or contains(low, phrase)]
    return min(found) if found else None


def resolved(words: list[str], low: str) -> str | None:
    """What says the text's problem is over ("fixed", "back online", "sorted"), if anything."""
    return found_in(RESOLVED_INDEX, RESOLVED_TRIGGERS, words, low)


def open_problem(words: list[str], low: str) -> bool:
    """Whether problem words are found ("not", "still", "broken", ...), "my late dad" aside."""
    found = PROBLEM.intersection(words)
    if "late" in found and LATE_RELATIVE.search(low):
        found = found - {"late"}
    return bool(found)


def trouble(words: list[str], low: str) -> str | None:
    """A problem beyond the problem words ("no signal", "yet another", "is out", "a 404"), or
    one of the problem words that is more than a negation ("broken", "still", "refund")."""
    real = REAL_PROBLEM.intersection(words)
    if "late" in real and LATE_RELATIVE.search(low):  # "my late dad": a bereavement, not a delay
        real = real - {"late"}
    return min(real) if real else found_in(TROUBLE_INDEX, TROUBLE_TRIGGERS, words, low)


def _sarcastic_praise(text: str, words: list[str], low: str, problem: bool, marked: bool, counted: bool,
                      cues: list) -> None:
    """Cheerful words or emoji around a problem that is not over ("wow... yet another outage 👏👏",
    "love that for me", "great job as always"), and an emphatic count ("it's 4. FOUR."), as cues."""
    if counted and not any(c[0] == "exasperation" for c in cues):
        m = EXASPERATED_COUNT.search(text)
        if m:
            cues.append(("exasperation", W_SARCASM, m.group().rsplit(None, 1)[-1]))
    if not marked or any(c[0] == "sarcasm" for c in cues):
        return
    if not (problem or trouble(words, low)) or resolved(words, low):
        return
    marker = found_in(MARKER_INDEX, MARKER_TRIGGERS, words, low)
    if marker is None and not text.isascii():
        m = SARCASTIC_EMOJI.search(text)
        marker = m.group() if m else None
    if marker:
        cues.append(("sarcasm", W_SARCASM_NEAR, marker))


def _sarcasm_near(words: list[str], low: str) -> str | None:
    """Cheerful words ("great, ...", "love how") or scare quotes, in a text that reports a problem."""
    found = []
    for word in NEAR_TRIGGERS.intersection(words):
        for category, phrase in NEAR_INDEX[word]:
            if category == "cheerful":
                m = INTERJECTION.search(low)
                if m:
                    found.append(m.group())
            elif phrase is None or contains(low, phrase):
                found.append(phrase or word)
    if found:
        return min(found)
    if '"' in low or "“" in low or "'" in low or "‘" in low:
        m = SCARE_QUOTES.search(low)
        if m:
            return m.group().strip()
    return None


def _punctuation(text: str, cues: list) -> None:
    """Stacked "!!" and "??" (the caller checked that there are some)."""
    run = max(PUNCT_RUN.findall(text), key=len)
    cues.append(("punctuation", W_PUNCT_MORE if len(run) >= 3 else W_PUNCT, run[:6]))


def _emoji(text: str, cues: list, amplify: bool) -> None:
    """Angry faces, or else (when `amplify`) eye rolls, thumbs down and facepalms."""
    m = ANGRY_EMOJI.search(text)
    if m:
        cues.append(("angry emoji", W_ANGRY_EMOJI, m.group()))
        return
    m = ANNOYED_EMOJI.search(text) if amplify else None
    if m:
        cues.append(("annoyed emoji", W_ANNOYED_EMOJI, m.group()))


def _caps(tokens: list[str], cues: list) -> None:
    """Shouting: words in capitals, ignoring handles, hashtags, URLs and single letters."""
    words = caps = 0
    longest = ""
    for token in tokens:
        if token[0] in "@#" or token.startswith("http"):
            continue
        word = token.strip(STRIP)
        if len(word) < 2 or not word.isalpha():
            continue
        words += 1
        if word.isupper():
            caps += 1
            if len(word) > len(longest):
                longest = word
    if caps >= 3 and caps * 2 >= words:
        cues.append(("caps", W_SHOUTING, f"{caps} of {words} words"))
    elif len(longest) >= 5:
        cues.append(("caps", W_EMPHASIS, longest))

