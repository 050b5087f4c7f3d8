"""Complaint themes: the words and short phrases found in the most complaints."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from socialwatch.report.kpi.facts import TOP

STOP_WORDS = frozenset(
    """
    a about above after again against all almost also am an and any are aren't as at be because been before
    being below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't
    during each either else even ever every few for from further get gets getting got had hadn't has hasn't have
    haven't having he he'd he'll he's her here here's hers herself him himself his how how's however i i'd i'll
    i'm i've if im in into is isn't it it's its itself just let's like lol me more most much must mustn't my
    myself need no nor not now of off oh ok okay on once one only or other ought our ours ourselves over own
    please pls plz rt same say says shan't she she'd she'll she's should shouldn't so some still such than that
    that's the their theirs them themselves then there there's these they they'd they'll they're they've this
    those through thx to too u under until up ur us very via was wasn't we we'd we'll we're we've were weren't
    what what's when when's where where's which while who who's whom why why's will with won't would wouldn't
    yeah yes yet you you'd you'll you're you've your yours yourself yourselves amp hi hello hey thanks thank
    really already again anyone someone something anything today yesterday since either neither another
    """.split()
) | frozenset(
    # support talk: words every complaint uses that name no theme (time, asking for help, talking to us)
    """
    time times hour hours hr hrs minute minutes min mins day days week weeks month months year years tonight
    morning afternoon evening night tomorrow ago now soon later long last first next back
    help helps helped helping pls please sort sorted fix fixed issue issues problem problems thing things
    way lot lots bit guys team anyone everyone someone customer customers service support
    call called calling calls told tell said ask asked asking know knew want wanted wants tried try trying
    going go gone went come came make made take took keep keeps kept still even again never always
    think thinking thought guess seems looks
    sure thank thanks thx ty dm dms message messages reply replied respond response
    two three four five six seven eight nine ten twenty hundred second third
    """.split()
)
#: Kept as the first word of a phrase ("no signal", "not working") though they are stop words alone.
NEGATIONS = frozenset("no not never cannot can't don't doesn't didn't won't isn't wasn't aren't haven't hasn't".split())
#: Negated auxiliaries: the verb after one often needs the next word to mean anything ("didn't
#: turn" up, "won't let" me), so such a phrase is kept only when that next word does not continue it.
NEGATED_AUXILIARIES = NEGATIONS - {"no", "not"}
#: Adverb particles that complete a phrasal verb: "won't turn on", "can't log in", "didn't turn up".
PARTICLES = frozenset("up down in out on off over through back away around".split())
#: Example mentions kept per theme, and their length.
EXAMPLES = 2
EXAMPLE_CHARS = 160

#: A word keeps its inner hyphens ("wi-fi", "top-up", "e-sim"): split, they would be fragments ("wi", "fi").
_TOKEN = re.compile(r"(?P<url>(?:https?://|www\.)\S+)|(?P<handle>@[\w.\-]+)|(?P<word>[\w']+(?:-[\w']+)*)")
#: A text cut short by its platform or a client ("... refund plea…"): its last word is a fragment.
_CUT = re.compile(r"(?:…|\.\.\.)\s*$")
_BREAK = re.compile(r"[.!?,;:()\[\]\"\n#]")


def brand_words(terms: Iterable[str]) -> frozenset[str]:
    """Lower-cased words (and whole handles) of the brand's names, handles and keywords."""
    out: set[str] = set()
    for term in terms:
        text = str(term).lower().lstrip("@")
        out.add(text.replace(" ", ""))
        out.update(re.findall(r"[^\W_]+", text))
    return frozenset(out)


def _word(raw: str, brand: frozenset[str]) -> str | None:
    """A normalised word, or None for numbers, brand names and fragments (which break phrases)."""
    token = raw.strip("'_").lower()
    if token.endswith("'s"):
        token = token[:-2]
    if len(token) < 2 or not token.replace("'", "").replace("-", "").isalpha() or token in brand:
        return None
    if "-" in token and (token.replace("-", "") in brand or any(part in brand for part in token.split("-"))):
        return None
    return token


def tokens(text: str, brand: frozenset[str]) -> list[str | None]:
    """Words of `text` in order, None where a URL, handle, number, brand name or punctuation breaks a
    phrase, or where a word was cut off by the end of a truncated text ("refund plea…")."""
    text = text.replace("\u2019", "'")
    out: list[str | None] = []
    pos = 0
    cut = _CUT.search(text)
    for match in _TOKEN.finditer(text):
        if _BREAK.search(text, pos, match.start()):
            out.append(None)
        pos = match.end()
        word = match.group("word")
        if word and cut is not None and match.end() == cut.start():
            out.append(None)  # the word runs into the ellipsis of a truncated text: a fragment
            continue
        out.append(_word(word, brand) if word else None)
    return out


def terms_of(text: str, brand: frozenset[str]) -> tuple[set[str], set[str]]:
    """(words, phrases) of one text, stop words removed.

    Phrases are two words ("no signal", "direct debit"), or three when a negated auxiliary's verb
    takes a particle ("won't turn on", "didn't turn up"). A negated auxiliary and its verb cut
    off before the rest of the phrase ("won't let" me, "didn't send" the) is no theme: it says
    nothing alone."""
    seq = tokens(text, brand)
    words = {w for w in seq if w and w not in STOP_WORDS}
    phrases = set()
    for i, (a, b) in enumerate(zip(seq, seq[1:], strict=False)):
        if not (a and b and b not in STOP_WORDS and (a not in STOP_WORDS or a in NEGATIONS)):
            continue
        if a in NEGATED_AUXILIARIES:
            after = seq[i + 2] if i + 2 < len(seq) else None
            if after in PARTICLES:
                phrases.add(f"{a} {b} {after}")
                continue
            if after is not None and after in STOP_WORDS:
                continue  # the phrase goes on ("won't let me"): a cut fragment
        phrases.add(f"{a} {b}")
    return words, phrases


def excerpt(text: str, limit: int = EXAMPLE_CHARS) -> str:
    """`text` cut to at most `limit` characters at a word boundary, with "…" when it was cut."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    if not text[limit].isspace() and " " in head.strip():
        head = head[:head.rstrip().rfind(" ")]  # never end inside a word
    return head.rstrip() + "…"


class Themes:
    """Counts complaint words and phrases, once per mention, with a few example mentions each."""

    def __init__(self, brand: frozenset[str]) -> None:
        self.brand = brand
        self.words: Counter[str] = Counter()
        self.phrases: Counter[str] = Counter()
        self.examples: dict[str, list[dict]] = {}
        self.complaints = 0

    def add(self, m: dict) -> None:
        self.complaints += 1
        text = str(m.get("text") or "")
        words, phrases = terms_of(text, self.brand)
        self.words.update(words)
        self.phrases.update(phrases)
        example = None
        for term in words | phrases:
            kept = self.examples.setdefault(term, [])
            if len(kept) < EXAMPLES:
                example = example or {"id": m.get("id"), "text": excerpt(text)}
                kept.append(example)

    def result(self, top: int = TOP) -> dict:
        def ranked(counter: Counter[str], minimum: int) -> list[dict]:
            rows = sorted((kv for kv in counter.items() if kv[1] >= minimum), key=lambda kv: (-kv[1], kv[0]))
            return [{"term": t, "mentions": c, "examples": self.examples.get(t, [])} for t, c in rows[:top]]

        return {"complaints": self.complaints, "words": ranked(self.words, 1), "phrases": ranked(self.phrases, 2)}
