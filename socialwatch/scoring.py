"""Scoring: turn a mention into an explainable sentiment, anger, virality and priority score.

Sentiment is VADER's (`vaderSentiment` 3.3.2). `compound`, `pos`, `neu` and `neg` are exactly
what `SentimentIntensityAnalyzer.polarity_scores` returns, extended only by the brand's
`lexicon`. The analyzer is a subclass that hands VADER's own tokens to the cues below and
takes shortcuts that leave every result unchanged: it skips the per-character emoji pass
on texts without an emoji, and it lower-cases the tokens once for all of VADER's per-word
checks rather than again in each check for every sentiment word. The tests check its scores
against the stock analyzer on about 28,000 texts. With a vaderSentiment release other than
3.3.2 it falls back to the stock `polarity_scores`.

VADER misses much of the anger in customer-support messages: sarcasm, churn threats,
shouting, "still waiting". `angry` therefore adds cheap text cues to the compound. Each cue
is worth points:

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
positive. The cue lists are general customer-service English, matched as whole words. Each
phrase is found through one of its words, so a text with none of those words costs one set
intersection.

`priority` is an int from 0 to 100. It is the sum of these factors, and each factor is
listed in `reasons`:

    negativity   weights.negativity x -compound, only when the compound is below 0
    anger        angry: weights.anger x 0.6 to 1.0, growing with the points up to twice
                 the threshold. Not angry: at most 0.3 x weights.anger.
    viral        weights.viral x level. The level grows logarithmically with
                 max(followers / viral_followers, engagements per hour / viral_velocity)
                 and is 1 from those thresholds on. A verified author's followers count
                 double. Velocity is counted over at least half an hour. The mention is
                 `viral` when the level reaches 1.
    private      weights.private when kind == "dm"
    waiting      weights.waiting x min(1, age / waiting_cap_hours). This is kept modest on
                 purpose: a first poll of old items must not make them urgent only because
                 they are old.
    boost        the `boost` argument (from routing rules), with its reason
    clamp        the amount cut to keep the total within 0..100

Contributions are rounded to one decimal, so they add up to the priority within rounding.
`score_many` gives the same results as `score`. For batches of `parallel_min` or more, it
forks `workers` processes, which inherit the scorer and the mentions. It stays in one process
where fork is unavailable or when it runs inside a worker process itself.

The `[scoring]` table of the configuration (every key is optional):

    key                type     default  meaning
    weights            table    {negativity = 30, anger = 30, viral = 20, private = 10, waiting = 10}
                                         maximum points per factor, numbers >= 0 (a missing
                                         factor keeps its default)
    angry_threshold    number   1.0      anger points at which a text is angry (> 0)
    viral_followers    integer  10000    followers at which the author alone makes a mention viral
    viral_velocity     number   50       likes + reposts + replies + quotes per hour since
                                         created_at at which a mention is viral
    waiting_cap_hours  number   24       age at which the waiting factor reaches its maximum
    lexicon            table    {}       extra VADER words and their valences, -4 to 4, one
                                         word per key (for example {outage = -2.5}). These
                                         change the compound.
    anger_words        list     []       extra anger words or phrases (whole words, any case)
    churn_words        list     []       extra churn phrases (whole words, any case)
    workers            integer  2        forked processes for `score_many` on big batches (0 or 1:
                                         score in the calling process only)
    parallel_min       integer  3000     smallest batch that `score_many` spreads over processes

An unknown key or a value of the wrong type raises `ConfigError` naming the key
("scoring.X"). `vaderSentiment` is imported only when the first text is scored.
"""

from __future__ import annotations

import gc
import math
import re
from datetime import UTC, datetime
from typing import Any

from socialwatch.errors import ConfigError
from socialwatch.model import METRICS, parse_time, utcnow

DEFAULT_WEIGHTS: dict[str, float] = {"negativity": 30, "anger": 30, "viral": 20, "private": 10, "waiting": 10}
DEFAULTS: dict[str, Any] = {
    "angry_threshold": 1.0,
    "viral_followers": 10_000,
    "viral_velocity": 50.0,
    "waiting_cap_hours": 24.0,
    "workers": 2,
    "parallel_min": 3000,
}
SETTINGS_KEYS = ("weights", *DEFAULTS, "lexicon", "anger_words", "churn_words")

#: Velocity is measured over at least this many hours, so that a few early likes are not a storm.
MIN_VELOCITY_HOURS = 0.5

# ---------------------------------------------------------------------------------------------
# Text cues: general customer-service language, lower case, "|"-separated words or phrases.
# Matching is by whole words. A phrase is found through one of its words (a VADER token: the
# longest uncommon one), then confirmed in the lower-cased text, so most texts cost one set
# intersection.

_ANGER_WORDS = (
    "frustrated|frustrating|frustration|frustrates|furious|fuming|livid|pissed|enraged|angry|angered|outraged"
    "|outrageous|outrage|infuriating|infuriated|disgusted|disgusting|disgrace|disgraceful|appalled|appalling"
    "|annoyed|annoying|irritated|irritating|ridiculous|absurd|unacceptable|laughable|pathetic|useless|worthless"
    "|incompetent|incompetence|hopeless|shameful|ashamed|worst|terrible|horrible|awful|atrocious|abysmal"
    "|dreadful|trash|garbage|rubbish|nightmare|ripoff|rip-off|ripped off|rip off|scam|scams|scammed|scammers"
    "|robbery|fraud|fraudulent|liars|liar|lying|lied to|rude|unprofessional|disrespectful|disrespected|ruined"
    "|ruining|unbelievable|unhappy|sucks|sucked|shambles|lame|idiot|idiots|idiotic|morons|moronic|clowns"
    "|stupid|dumb|despise|aggravating|aggravation|runaround|run-around|hate you|hate your|hate this|hate dealing"
    "|#fail|#epicfail|#csfail|#customerservicefail|#badservice|#worstservice|#neveragain|#unacceptable"
    "|#disappointed|#notimpressed|#ripoff|#scam|fed up|fed-up|sick of|sick and tired|tired of"
    "|had enough|enough is enough|last straw|lost my patience|losing my patience|out of patience|no patience"
    "|can't stand|cannot stand|what a joke|such a joke|is a joke|joke of a|waste of time|waste of money"
    "|waste of my time|wasted my time|wasted my money|wasting my time|wasted my day|do better"
    "|get your act together|get it together|get your shit together|sort it out|sort this out|fix your"
    "|just fix it|fix it already|fix this already"
    "|are you kidding|are you serious|are you joking|kidding me|beyond me|beyond frustrating|so disappointed"
    "|very disappointed|extremely disappointed|really disappointed|incredibly disappointed|so upset|very upset"
    "|really upset|not happy|not impressed|what the hell|what the heck|how hard is it|how difficult is it"
    "|shame on|drop the ball|dropped the ball|what's the point|what is the point"
)
_CHURN_WORDS = (
    "cancel my account|cancel my subscription|cancel my membership|cancel my service|cancel my contract"
    "|cancel my plan|cancel my card|cancelling my account|canceling my account|cancelling my subscription"
    "|canceling my subscription|cancelling my membership|canceling my membership|close my account"
    "|closing my account|delete my account|want to cancel|wanna cancel|going to cancel|gonna cancel"
    "|about to cancel|want to switch|switching to|switched to|switching providers|switching carriers"
    "|leaving you|never again|never using|never buying|never ordering|never flying|never shopping"
    "|never booking|never coming back|never going back|never recommend|don't recommend|do not recommend"
    "|wouldn't recommend|would not recommend|can't recommend|won't renew|will not renew|not renewing"
    "|time to cancel|time to switch|done with you"
    "|done with y'all|i'm done with|im done with|i am done with|we're done with|so done"
    "|officially done|completely done|totally done|getting rid of|take my business elsewhere"
    "|taking my business elsewhere|won't be back|won't be using|won't be buying|won't be ordering"
    "|will not be back|never be back|lost a customer|lost another customer|losing a customer"
    "|lost this customer|lost a loyal customer|lost me as a customer|losing me as a customer"
    "|former customer|ex-customer|unsubscribe|port my number|porting my number|to a competitor|boycott"
    "|boycotting|go elsewhere|going elsewhere|look elsewhere|looking elsewhere|shop elsewhere"
)
_SARCASM_WORDS = "|".join(
    [
        f"{thanks} for {what}"
        for thanks in ("thanks", "thank you", "thanks so much", "thank you so much", "thanks again")
        for what in ("nothing", "ruining", "wasting", "breaking", "losing", "ignoring", "never")
    ]
) + (
    "|way to go|way to drop|way to ruin|way to mess|way to screw|way to lose|way to treat"
    "|oh great|oh joy|oh good|oh wonderful|oh perfect|just what i needed|just what i wanted|yeah right"
)
# Sarcasm only next to a problem (the cheerful words are checked by _INTERJECTION).
_SARCASM_NEAR_WORDS = (
    "so much for|love how|love that|love it when|gotta love|got to love|loving how|love being|love waiting"
    "|love paying"
    "|love spending|as usual|as always|great job|great work|great service|nice job|nice work|awesome job"
    "|well done|great update|great feature|cool feature|great move"
)
_CHEERFUL = "great|nice|awesome|brilliant|fantastic|wonderful|lovely|perfect|cool|terrific|amazing"
_PROBLEM_WORDS = (
    "not|never|cannot|can't|cant|won't|wont|don't|dont|doesn't|doesnt|didn't|didnt|isn't|isnt|haven't"
    "|hasn't|unable|nothing|still|again|broken|broke|down|outage|error|crash|crashed|crashing|crashes|stuck"
    "|froze|frozen|freezing|missing|lost|damaged|wrong|late|delayed|delay|overcharged|charged|refund|waiting"
    "|hold|ruined|failed|fails|failing"
)
_WAITING_WORDS = (
    "on hold|still waiting|still no|still not|still nothing|still haven't|still havent|still hasn't"
    "|still hasnt|still can't|still cant|still cannot|still don't|still dont|still doesn't|still doesnt"
    "|still isn't|still won't|still broken|still down|still missing|still stuck|no response|no reply"
    "|no replies|no answer|no update|no updates|no callback|no call back|not a single|haven't heard"
    "|havent heard|have not heard|never heard back|no one answers|no one answered|no one responds"
    "|no one responded|no one is responding|no one replied|no one helps|no one helped|no one can help"
    "|no one is helping|no one called|no one got back|no one gets back|nobody answers|nobody answered"
    "|nobody responds|nobody responded|nobody is responding|nobody replied|nobody helps|nobody helped"
    "|nobody can help|nobody is helping|nobody called|nobody got back|for days|for weeks"
    "|for months|for ages|for hours|days now|weeks now|months now|days later|weeks later|been hours"
    "|been days|been weeks|been months|been ages|2nd time"
    "|3rd time|second time|third time|fourth time|every time|every single time|yet again|once again"
    "|over and over|keeps happening|keeps breaking|keeps crashing|keeps failing|twice now|twice already"
    "|three times|multiple times|several times|so many times|countless times|noone responds|noone answers"
)
_PROFANITY_WORDS = (
    "fuck|fucking|fucked|fucker|fuckers|fucks|fck|fcking|fuk|wtf|stfu|ffs|tf|af|shit|shitty|shite|bullshit"
    "|crap|crappy|damn|damned|dammit|goddamn|hell|bloody|arse|ass|asshole|assholes|bastard|bastards|bitch"
    "|piss|feck|feckin|fecking|effing|freaking|frickin"
)
_UNITS = "min|mins|minute|minutes|hour|hours|hr|hrs|day|days|week|weeks|wk|wks|month|months|times"
_NUM = r"(?:\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|several|few|a few|many|multiple|couple of)"
_UNIT = r"(?:min(?:ute)?s?|hours?|hrs?|days?|weeks?|wks?|months?)"
_TIMED_WAIT = re.compile(
    rf"\b(?:{_NUM} {_UNIT} (?:on hold|waiting|of waiting|later|late|and still|now|in a row|straight)"
    rf"|(?:on hold|waiting|waited|wait|been) (?:for )?(?:over |almost |nearly |more than )?{_NUM} {_UNIT}"
    rf"|for (?:over |almost |nearly |more than )?{_NUM} {_UNIT}"
    r"|(?:\d+|two|four|five|six|seven|eight|nine|ten)(?: more)? times)\b"
)
_CANCEL = re.compile(
    r"\bcancel(?:l?ing|l?ed)? (?:my |our |the |this )?(?:[\w-]+ ){0,2}"
    r"(?:account|subscription|membership|service|contract|plan|policy|line)s?\b"
)
_INTERJECTION = re.compile(rf"\b(?:{_CHEERFUL})(?:\s*[,!…]|\.\.)")
_SCARE_QUOTES = re.compile(r"(?:^|\s)[\"“'‘][a-z][a-z ]{2,24}[\"”'’](?=\W|$)")
_PUNCT_RUN = re.compile(r"[!?]{2,}")
_ANGRY_EMOJI = re.compile("[\U0001f621\U0001f620\U0001f92c\U0001f624\U0001f595\U0001f4a2]")
_ANNOYED_EMOJI = re.compile("[\U0001f644\U0001f44e\U0001f926\U0001f612\U0001f611]")
_ANGRY_HASHTAG_ENDS = ("sucks", "fail", "fails", "neveragain", "worst", "ripoff", "scam")
_HASHTAG = [("hashtag", None)]
_NEGATORS = ("not ", "never ", "no ", "isn't ", "wasn't ", "not that ", "not the ")
_CURLY = str.maketrans({"’": "'", "‘": " ", "“": " ", "”": " ", "…": " "})
_STRIP = "\"'“”‘’.,;:!?()[]{}<>*_~…-"

W_ANGER, W_ANGER_MORE, W_ANGER_MAX = 1.0, 0.3, 1.6
W_CHURN, W_SARCASM, W_SARCASM_NEAR = 1.2, 1.0, 0.8
W_WAITING, W_WAITING_MORE, W_WAITING_MAX, W_PROFANITY = 0.6, 0.3, 1.2, 0.8
W_EMPHASIS, W_SHOUTING = 0.4, 0.8
W_PUNCT, W_PUNCT_MORE = 0.4, 0.6
W_ANGRY_EMOJI, W_ANNOYED_EMOJI = 1.0, 0.5
W_NEGATIVITY, W_POSITIVE_DAMP = 1.25, 1.0

Index = dict[str, list[tuple[str, str | None]]]


# Frequent words are poor keys for finding a phrase: they would send many texts to the phrase check.
_COMMON = frozenset(
    "the and for you your this that what with will have has been are was not all can one our out get got"
    " now way time day back over call thanks thank i'm we're account service number customer still"
    " to be go it is in on of so my me we no do help just".split()
)


def _index_word(phrase: str) -> str | None:
    """The word through which a phrase is found: its longest uncommon word, as a VADER token shows it.

    None when the phrase has no word of two or more letters.
    """
    words = [w.strip(_STRIP) for w in phrase.split()]
    words = [w for w in words if len(w) >= 2]
    if not words:
        return None
    rare = [w for w in words if w not in _COMMON]
    return max(rare or words, key=len)


def _add(index: Index, category: str, phrases: str | list[str]) -> None:
    """Add phrases of a category to `index` (word -> [(category, phrase or None for the word itself)])."""
    items = phrases.split("|") if isinstance(phrases, str) else phrases
    for phrase in items:
        phrase = " ".join(phrase.lower().replace("’", "'").split())
        key = _index_word(phrase)
        if key is None:
            continue
        entry = (category, None if phrase == key else phrase)
        bucket = index.setdefault(key, [])
        if entry not in bucket:
            bucket.append(entry)


def _base_index() -> Index:
    index: Index = {}
    for category, phrases in (
        ("anger", _ANGER_WORDS),
        ("churn", _CHURN_WORDS),
        ("sarcasm", _SARCASM_WORDS),
        ("waiting", _WAITING_WORDS),
        ("profanity", _PROFANITY_WORDS),
        ("unit", _UNITS),
        ("cancel", "cancel|cancelling|canceling|cancelled|canceled"),
    ):
        _add(index, category, phrases)
    return index


_BASE_INDEX = _base_index()
# Looked up only in texts that report a problem: sarcasm that needs one, and the problem words.
_NEAR_INDEX: Index = {}
_add(_NEAR_INDEX, "sarcasm near", _SARCASM_NEAR_WORDS)
_add(_NEAR_INDEX, "cheerful", _CHEERFUL)
_NEAR_TRIGGERS = frozenset(_NEAR_INDEX)
_PROBLEM = frozenset(_PROBLEM_WORDS.split("|"))


def _contains(low: str, phrase: str) -> bool:
    """Whether `phrase` occurs in `low` as whole words."""
    i = low.find(phrase)
    while i >= 0:
        j = i + len(phrase)
        if (i == 0 or not low[i - 1].isalnum()) and (j == len(low) or not low[j].isalnum()):
            return True
        i = low.find(phrase, i + 1)
    return False


def _negated(low: str, word: str) -> bool:
    return any(_contains(low, n + word) for n in _NEGATORS)


# ---------------------------------------------------------------------------------------------
# VADER


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


def _analyzer_class() -> type:
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
            """VADER's idiom check, on the cached lower-case tokens."""
            low = words.low if isinstance(words, _Words) else [str(w).lower() for w in words]
            w3, w2, w1, w0 = low[i - 3], low[i - 2], low[i - 1], low[i]
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
                    valence = self._negation_check(valence, words, start_i, i)
                    if start_i == 2:
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
            if not fast:
                sentitext = vader.SentiText(text.strip())
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
            sentiments = self._but_check(words, sentiments)
            return self.score_valence(sentiments, text), words, low, is_cap_diff

    if not fast:  # another VADER: keep its own checks
        del Analyzer._negation_check, Analyzer._special_idioms_check, Analyzer._but_check
    _ANALYZERS["class"] = Analyzer
    return Analyzer


def _default_analyzer() -> Any:
    """The shared analyzer with VADER's stock lexicon (imported and built on first use)."""
    if "default" not in _ANALYZERS:
        _ANALYZERS["default"] = _analyzer_class()()
    return _ANALYZERS["default"]


def _new_analyzer(lexicon: dict[str, float]) -> Any:
    """A private analyzer whose lexicon is extended (or overridden) by `lexicon`."""
    analyzer = _analyzer_class()()
    analyzer.lexicon.update(lexicon)
    return analyzer


# ---------------------------------------------------------------------------------------------
# Settings validation


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _number(settings: dict, key: str, *, strict: bool = True, integer: bool = False) -> Any:
    """A number setting: > 0 (strict) or >= 0."""
    value = settings.get(key, DEFAULTS[key])
    if not _is_number(value) or (integer and not isinstance(value, int)):
        kind = "an integer" if integer else "a number"
        raise ConfigError(f"expected {kind}, got {value!r:.40}", key=f"scoring.{key}")
    if value < 0 or (strict and value == 0):
        raise ConfigError(f"must be {'>' if strict else '>='} 0, got {value!r}", key=f"scoring.{key}")
    return value


def _weights(value: Any) -> dict[str, float]:
    if value is None:
        return dict(DEFAULT_WEIGHTS)
    if not isinstance(value, dict):
        raise ConfigError("expected a table such as {anger = 30}", key="scoring.weights")
    weights = dict(DEFAULT_WEIGHTS)
    for name, weight in value.items():
        if name not in DEFAULT_WEIGHTS:
            known = ", ".join(DEFAULT_WEIGHTS)
            raise ConfigError(f"unknown factor (known: {known})", key=f"scoring.weights.{name}")
        if not _is_number(weight) or weight < 0:
            raise ConfigError(f"expected a number >= 0, got {weight!r:.40}", key=f"scoring.weights.{name}")
        weights[name] = float(weight)
    return weights


def _lexicon(value: Any) -> dict[str, float]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError("expected a table of word = valence", key="scoring.lexicon")
    lexicon = {}
    for word, valence in value.items():
        key = f"scoring.lexicon.{word}"
        if not isinstance(word, str) or len(word.split()) != 1:
            raise ConfigError("each key must be a single word (VADER scores words one by one)", key=key)
        if not _is_number(valence) or not -4 <= valence <= 4:
            raise ConfigError(f"expected a valence between -4 and 4, got {valence!r:.40}", key=key)
        lexicon[word.strip().lower()] = float(valence)
    return lexicon


def _phrase_list(value: Any, key: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise ConfigError("expected a list of strings", key=f"scoring.{key}")
    for phrase in value:
        if _index_word(phrase.lower()) is None:
            raise ConfigError(f"needs a word of two or more letters, got {phrase!r:.40}", key=f"scoring.{key}")
    return value


# ---------------------------------------------------------------------------------------------
# Worker processes for score_many (fork start method: workers inherit the scorer and the mentions)

_WORKER: tuple = ()


def _init_worker(scorer: Scorer, mentions: list[dict], now: datetime) -> None:
    global _WORKER
    _WORKER = (scorer, mentions, now)


def _score_range(bounds: tuple[int, int]) -> list[dict]:
    scorer, mentions, now = _WORKER
    analyze, compose = scorer._analyze, scorer._compose
    return [compose(analyze(m.get("text") or ""), m, now, 0, None) for m in mentions[bounds[0] : bounds[1]]]


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods() and not multiprocessing.current_process().daemon


class Scorer:
    """Scores mentions. Build one per configuration and reuse it: it holds the VADER analyzer."""

    def __init__(self, settings: dict | None = None) -> None:
        """Validate the `[scoring]` settings (see the module docstring); raises ConfigError."""
        settings = {} if settings is None else settings
        if not isinstance(settings, dict):
            raise ConfigError("expected a table", key="scoring")
        unknown = sorted(set(settings) - set(SETTINGS_KEYS))
        if unknown:
            raise ConfigError(f"unknown key (known: {', '.join(SETTINGS_KEYS)})", key=f"scoring.{unknown[0]}")
        self.weights = _weights(settings.get("weights"))
        self.angry_threshold = float(_number(settings, "angry_threshold"))
        self.viral_followers = _number(settings, "viral_followers", integer=True)
        self.viral_velocity = float(_number(settings, "viral_velocity"))
        self.waiting_cap_hours = float(_number(settings, "waiting_cap_hours"))
        self.workers = _number(settings, "workers", integer=True, strict=False)
        self.parallel_min = _number(settings, "parallel_min", integer=True, strict=False)
        self.lexicon = _lexicon(settings.get("lexicon"))
        anger = _phrase_list(settings.get("anger_words"), "anger_words")
        churn = _phrase_list(settings.get("churn_words"), "churn_words")
        self._index = _BASE_INDEX
        if anger or churn:
            self._index = {word: list(entries) for word, entries in _BASE_INDEX.items()}
            _add(self._index, "anger", anger)
            _add(self._index, "churn", churn)
        self._triggers = frozenset(self._index)
        self._analyzer: Any = None
        # Precomputed pieces of the reasons (composition runs once per mention on ingest).
        self._w_negativity, self._w_anger, self._w_viral, self._w_private, self._w_waiting = (
            self.weights[k] for k in ("negativity", "anger", "viral", "private", "waiting")
        )
        self._angry_suffix = f"/{self.angry_threshold:g} points): "
        self._waiting_suffix = f" h since posted (full at {self.waiting_cap_hours:g} h)"

    @property
    def analyzer(self) -> Any:
        """The VADER analyzer (shared when no lexicon is configured)."""
        if self._analyzer is None:
            self._analyzer = _new_analyzer(self.lexicon) if self.lexicon else _default_analyzer()
        return self._analyzer

    # -- text analysis (the ingest hot path) ---------------------------------------------------

    def _analyze(self, text: str) -> tuple:
        """(compound, pos, neu, neg, anger points, cues) for a text; a cue is (name, points, detail)."""
        vs, tokens, low_tokens, cap_diff = self.analyzer.analyze(text)
        compound = vs["compound"]
        cues, problem = self._cues(text, low_tokens)
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
            sarcastic = sarcastic or cue[1] == W_SARCASM and cue[0] == "sarcasm"
        if compound < 0:
            points -= W_NEGATIVITY * compound
        elif compound > 0.5 and not sarcastic:  # outright sarcasm is what makes VADER read it positive
            points -= W_POSITIVE_DAMP * (compound - 0.5)
        return compound, vs["pos"], vs["neu"], vs["neg"], round(points, 3), cues

    def _cues(self, text: str, words: list[str]) -> tuple[list[tuple[str, float, str]], bool]:
        """The word cues (anger, churn, waiting, sarcasm, profanity) in a text, given its lower-case tokens,
        and whether it reports a problem ("not", "still", "broken", ...)."""
        if not text.isascii():
            words = " ".join(words).translate(_CURLY).split()
        hits = self._triggers.intersection(words)
        if "#" in text:
            hits = hits.union(w for w in words if w[0] == "#" and w.endswith(_ANGRY_HASHTAG_ENDS))
        problem = not _PROBLEM.isdisjoint(words)
        if not hits and not problem:
            return [], False
        low = text.lower()
        if not low.isascii():
            low = low.replace("’", "'")
        found: dict[str, set[str]] = {}
        for word in hits:
            for category, phrase in self._index.get(word, _HASHTAG):
                if category == "hashtag":
                    found.setdefault("anger", set()).add(word)
                elif phrase is None:
                    if category != "anger" or not _negated(low, word):
                        found.setdefault(category, set()).add(word)
                elif _contains(low, phrase):
                    found.setdefault(category, set()).add(phrase)
        cues = _word_cues(found, low)
        if "sarcasm" not in found and (problem or (cues and any(c[0] == "waiting" for c in cues))):
            near = _sarcasm_near(words, low)
            if near:
                cues.append(("sarcasm", W_SARCASM_NEAR, near))
        return cues, problem

    # -- composition ---------------------------------------------------------------------------

    def score_text(self, text: str) -> dict:
        """The score of a bare text (no author, metrics, kind or age)."""
        return self._compose(self._analyze(text or ""), {}, None, 0, None)

    def score(
        self, mention: dict, now: datetime | None = None, boost: int = 0, boost_reason: str | None = None
    ) -> dict:
        """The score of a mention (model shape); author, metrics and created_at may be missing."""
        now = _utc(now)
        return self._compose(self._analyze(mention.get("text") or ""), mention, now, boost, boost_reason)

    def score_many(self, mentions: list[dict], now: datetime | None = None) -> list[dict]:
        """Scores equal to `score(m, now)` for each mention; big batches use worker processes."""
        now = _utc(now)
        if self.workers >= 2 and len(mentions) >= max(self.parallel_min, 2) and _can_fork():
            scores = self._score_in_pool(mentions, now)
            if scores is not None:
                return scores
        return [self._compose(self._analyze(m.get("text") or ""), m, now, 0, None) for m in mentions]

    def _score_in_pool(self, mentions: list[dict], now: datetime) -> list[dict] | None:
        """Score in forked workers, which inherit the scorer and the mentions: only index ranges
        go out and scores come back. None when no process could be started."""
        _ = self.analyzer  # built before forking, so that the workers inherit it
        size = math.ceil(len(mentions) / (self.workers * 4))
        ranges = [(i, min(i + size, len(mentions))) for i in range(0, len(mentions), size)]
        gc.freeze()  # the workers' garbage collector then leaves the inherited objects (and pages) alone
        import multiprocessing

        try:
            pool = multiprocessing.get_context("fork").Pool(self.workers, _init_worker, (self, mentions, now))
        except OSError:  # no processes to be had (limits, sandbox): the caller does the work here
            return None
        finally:
            gc.unfreeze()
        with pool:
            parts = pool.map(_score_range, ranges, chunksize=1)
        return [score for part in parts for score in part]

    def _compose(self, analysis: tuple, mention: dict, now: datetime | None, boost: int, reason: str | None) -> dict:
        compound, pos, neu, neg, points, cues = analysis
        threshold = self.angry_threshold
        angry = points >= threshold
        negativity = round(self._w_negativity * -compound, 1) if compound < 0 else 0.0
        if angry:
            excess = (points - threshold) / threshold
            anger = round(self._w_anger * (0.6 + 0.4 * (excess if excess < 1.0 else 1.0)), 1)
        else:
            anger = round(self._w_anger * 0.3 * points / threshold, 1) if points > 0 else 0.0
        found = "; ".join([f"{name} '{detail}'" for name, _, detail in cues]) if cues else "no cues"
        reasons = [
            {"factor": "negativity", "contribution": negativity, "detail": f"VADER compound {compound:+.2f}"},
            {
                "factor": "anger",
                "contribution": anger,
                "detail": f"{'angry' if angry else 'not angry'} ({points:.2f}{self._angry_suffix}{found}",
            },
        ]
        total = negativity + anger
        viral = False
        if mention:
            age = _age_hours(mention.get("created_at"), now)
            viral, factor = self._viral(mention, age)
            if factor is not None:
                reasons.append(factor)
                total += factor["contribution"]
            if mention.get("kind") == "dm" and self._w_private:
                reasons.append({"factor": "private", "contribution": self._w_private, "detail": "direct message"})
                total += self._w_private
            if age is not None and self._w_waiting:
                cap = self.waiting_cap_hours
                value = round(self._w_waiting * (age / cap if age < cap else 1.0), 1)
                reasons.append(
                    {"factor": "waiting", "contribution": value, "detail": f"{age:.1f}{self._waiting_suffix}"}
                )
                total += value
        if boost or reason:
            reasons.append({"factor": "boost", "contribution": boost or 0, "detail": reason or "routing rule"})
            total += boost or 0
        total = round(total)
        priority = 100 if total > 100 else 0 if total < 0 else total
        if priority != total:
            reasons.append({"factor": "clamp", "contribution": priority - total, "detail": "kept within 0..100"})
        return {
            "compound": compound,
            "pos": pos,
            "neu": neu,
            "neg": neg,
            "angry": angry,
            "viral": viral,
            "priority": priority,
            "reasons": reasons,
        }

    def _viral(self, mention: dict, age: float | None) -> tuple[bool, dict | None]:
        """Reach and engagement velocity: (viral, the factor or None when nothing is known)."""
        author = mention.get("author")
        followers = verified = None
        if author:
            followers = _count(author.get("followers"))
            verified = author.get("verified") is True
        metrics = mention.get("metrics")
        engagements = _engagements(metrics) if metrics else None
        if engagements is not None and age is None:
            engagements = None  # a velocity needs the age
        if followers is None and not verified and engagements is None:
            return False, None
        level = 0.0
        detail = ""
        if followers is not None or verified:
            level = (followers * (2 if verified else 1) / self.viral_followers) if followers is not None else 0.5
            detail = f"{'unknown' if followers is None else followers} followers{', verified' if verified else ''}"
        if engagements is not None and age is not None:
            per_hour = engagements / (age if age > MIN_VELOCITY_HOURS else MIN_VELOCITY_HOURS)
            velocity = per_hour / self.viral_velocity
            level = velocity if velocity > level else level
            detail += f"{'; ' if detail else ''}{engagements:g} engagement{'' if engagements == 1 else 's'}, {per_hour:.1f}/h"
        if level >= 1.0:
            return True, {"factor": "viral", "contribution": self._w_viral, "detail": "viral: " + detail}
        value = round(self._w_viral * math.log10(1 + 9 * level), 1)
        return False, {"factor": "viral", "contribution": value, "detail": detail}


def _word_cues(found: dict[str, set[str]], low: str) -> list[tuple[str, float, str]]:
    """Turn the words and phrases found, by category, into scored cues."""
    cues = []
    if "anger" in found:
        words = sorted(found["anger"])
        cues.append(("anger words", min(W_ANGER_MAX, W_ANGER + W_ANGER_MORE * (len(words) - 1)), ", ".join(words)))
    churn = min(found["churn"]) if "churn" in found else None
    if churn is None and "cancel" in found:
        m = _CANCEL.search(low)
        churn = m.group() if m else None
    if churn:
        cues.append(("churn", W_CHURN, churn))
    waits = found.get("waiting") or set()
    if "unit" in found:
        waits.update(m.group() for m in _TIMED_WAIT.finditer(low))
    if waits:
        waiting = sorted(waits)
        points = min(W_WAITING_MAX, W_WAITING + W_WAITING_MORE * (len(waiting) - 1))
        cues.append(("waiting", points, ", ".join(waiting)))
    if "sarcasm" in found:
        cues.append(("sarcasm", W_SARCASM, min(found["sarcasm"])))
    if "profanity" in found:
        cues.append(("profanity", W_PROFANITY, min(found["profanity"])))
    return cues


def _sarcasm_near(words: list[str], low: str) -> str | None:
    """Cheerful words ("great, ...", "love how") or scare quotes, in a text that reports a problem."""
    found = []
    for word in _NEAR_TRIGGERS.intersection(words):
        for category, phrase in _NEAR_INDEX[word]:
            if category == "cheerful":
                m = _INTERJECTION.search(low)
                if m:
                    found.append(m.group())
            elif phrase is None or _contains(low, phrase):
                found.append(phrase or word)
    if found:
        return min(found)
    if '"' in low or "“" in low or "'" in low or "‘" in low:
        m = _SCARE_QUOTES.search(low)
        if m:
            return m.group().strip()
    return None


def _punctuation(text: str, cues: list) -> None:
    """Stacked "!!" and "??" (the caller checked that there are some)."""
    run = max(_PUNCT_RUN.findall(text), key=len)
    cues.append(("punctuation", W_PUNCT_MORE if len(run) >= 3 else W_PUNCT, run[:6]))


def _emoji(text: str, cues: list, amplify: bool) -> None:
    """Angry faces, or else (when `amplify`) eye rolls, thumbs down and facepalms."""
    m = _ANGRY_EMOJI.search(text)
    if m:
        cues.append(("angry emoji", W_ANGRY_EMOJI, m.group()))
        return
    m = _ANNOYED_EMOJI.search(text) if amplify else None
    if m:
        cues.append(("annoyed emoji", W_ANNOYED_EMOJI, m.group()))


def _caps(tokens: list[str], cues: list) -> None:
    """Shouting: words in capitals, ignoring handles, hashtags, URLs and single letters."""
    words = caps = 0
    longest = ""
    for token in tokens:
        if token[0] in "@#" or token.startswith("http"):
            continue
        word = token.strip(_STRIP)
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


def _count(value: Any) -> float | None:
    """A usable count (int or finite float, not a bool), else None."""
    kind = type(value)
    if kind is int or (kind is float and math.isfinite(value)):
        return value
    return None


def _engagements(metrics: Any) -> float | None:
    """likes + reposts + replies + quotes, counting the known ones (None when none is known)."""
    if not metrics or not isinstance(metrics, dict):
        return None
    total = None
    for key in METRICS:
        value = metrics.get(key)
        if value is not None:
            value = _count(value)
            if value is not None:
                total = value if total is None else total + value
    return total


def _utc(now: datetime | None) -> datetime:
    """`now`, or the current time, as an aware UTC datetime (a naive one is taken as UTC)."""
    if now is None:
        return utcnow()
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


def _age_hours(created: Any, now: datetime | None) -> float | None:
    """Hours from `created` to `now` (0 for the future), or None when either is unknown or unreadable."""
    if now is None or created is None or created == "":
        return None
    try:
        when = datetime.fromisoformat(created) if type(created) is str else parse_time(created)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    except ValueError:
        try:
            when = parse_time(created)
        except (ValueError, TypeError):
            return None
    seconds = (now - when).total_seconds()
    return seconds / 3600 if seconds > 0 else 0.0


def explain(score: dict) -> list[tuple[str, str, str]]:
    """Rows (factor, contribution, detail) for a readable table, ending with the priority."""
    rows = []
    for r in score.get("reasons") or []:
        value = r.get("contribution", 0)
        shown = f"{value:+.1f}" if _is_number(value) else str(value)
        rows.append((str(r.get("factor", "?")), shown, str(r.get("detail", ""))))
    flags = [name for name in ("angry", "viral") if score.get(name)]
    rows.append(("priority", str(score.get("priority", 0)), ", ".join(flags) or "-"))
    return rows
