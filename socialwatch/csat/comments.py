"""Reading a free-text survey answer (one that holds no number, star, face or yes/no): satisfied,
dissatisfied, or a comment without a rating.

VADER's compound alone misreads survey comments ("Honestly slow and unhelpful, took days to get a
real answer" scores +0.46), so the reading uses the mention's full score from scoring (`Scorer`:
the `complaint` and `angry` flags, the learned model's intent, the sentiment) together with a few
cues of how customers judge service in a survey answer ("slow", "unhelpful", "took days", "not
resolved"; "quick", "helpful", "sorted it"), a cue word preceded by a negation counting the other
way ("not helpful", "wasn't slow"). In this order:

1. **dissatisfied** when scoring flags anger, or a dissatisfied cue is found;
2. **satisfied** when the customer says the problem is solved ("came through", "working again",
   "sorted it"): scoring's complaint flag often fires on the topic alone ("the refund came through");
3. when scoring flags a complaint (or the intent complaint) or the sentiment is clearly negative
   (compound <= -0.5): **dissatisfied**, unless a satisfied cue says otherwise, and then the
   answer is mixed: **no rating**;
4. **satisfied** when a satisfied cue is found, or the model reads praise and the sentiment is
   clearly positive (compound >= 0.5);
5. else **no rating**: the answer is stored as a comment, counted among the responses (the response
   rate) but not in CSAT, and shown as "comment, no rating". Guessing a score would make CSAT up.

A rating read from a comment is on the yes-no scale (1 satisfied, 0 dissatisfied), method
"comment": it says whether the customer was satisfied, not how much.
"""

from __future__ import annotations

import re
from typing import Any

#: Compound at or beyond which the sentiment alone decides (VADER's own strong bands).
STRONG = 0.5

_NEGATORS = frozenset("""not no never nothing hardly barely wasn't isn't weren't aren't didn't don't doesn't won't
couldn't wouldn't can't cannot nor without wasnt isnt werent arent didnt dont doesnt wont couldnt wouldnt cant""".split())
_DISSATISFIED_WORDS = frozenset("""slow slower slowest unhelpful useless rude dismissive disappointed disappointing
disappointment poor poorly bad worse worst awful terrible horrible appalling shocking confusing confused frustrating
frustrated annoyed annoying ignored unresolved unanswered pointless clueless incompetent unprofessional robotic
scripted waste wasted chasing chase chased nightmare mess ridiculous unacceptable pathetic hopeless meh wrong broken
missing late""".split())
_DISSATISFIED = re.compile(
    r"\b(?:took (?:\w+ )?(?:days|weeks|ages|forever|hours|so long|too long|far too long)|too long|so long"
    r"|still (?:not|no|waiting|broken|down|wrong|nothing|haven't|hasn't|can't|doesn't|isn't)"
    r"|(?:not|never|wasn't|isn't|hasn't been|haven't been) (?:fixed|resolved|sorted|solved|answered|helped)"
    r"|(?:didn't|did not|doesn't|does not|won't|couldn't|could not) (?:help|fix|solve|resolve|work|answer|listen)"
    r"|no (?:help|answer|reply|response|solution|one|resolution|fix)|nobody|had to (?:chase|call|ask|repeat|explain)"
    r"|repeat myself|same (?:answer|reply|script)|copy and paste|copy paste|gave up|going round in circles"
    r"|(?:wrong|useless|pointless) (?:answer|info|information|advice))\b")
_SATISFIED_WORDS = frozenset("""thanks thank cheers great good excellent brilliant amazing fantastic perfect superb wonderful lovely
helpful quick quickly fast speedy prompt friendly polite kind patient efficient professional happy pleased delighted
satisfied impressed sorted fixed resolved solved smooth easy painless spot""".split())
_SATISFIED = re.compile(
    r"\b(?:thanks? (?:so much|a lot|loads|again|for (?:the|your|sorting|fixing|helping|all))|thank you|cheers"
    r"|(?:sorted|fixed|resolved|solved) (?:it|this|that|now|quickly|fast)|all (?:good|sorted|fixed|working)"
    r"|works? (?:now|again|fine|perfectly)|working (?:now|again|fine)|(?:well|much) better|above and beyond"
    r"|(?:really|very|so|super) (?:helped|helpful|quick|fast|good|pleased|happy))\b")
#: The customer says the problem is solved.
_SOLVED = re.compile(
    r"\b(?:(?:came|come|went|gone) through|(?:sorted|fixed|resolved|solved) (?:it|this|that|now)|all (?:sorted|fixed)"
    r"|(?:is|it's|its|now|finally|all) (?:working|fixed|sorted|resolved|solved)|works? (?:now|again|perfectly)"
    r"|working (?:now|again)|back (?:up|on|online|working)|(?:has|have) arrived|arrived (?:today|now|safely))\b")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def _negated(words: list[str], i: int) -> bool:
    """Whether one of the two words before position `i` negates it ("not helpful", "wasn't slow")."""
    return any(w in _NEGATORS or w.endswith("n't") for w in words[max(0, i - 2):i])


def cues(text: str) -> tuple[list[str], list[str]]:
    """(dissatisfied cues, satisfied cues) found in `text`; a negated word counts the other way."""
    low = text.lower().replace("\u2019", "'")
    words = _WORD.findall(low)
    bad = [m.group(0) for m in _DISSATISFIED.finditer(low)]
    good: list[str] = []
    for i, w in enumerate(words):
        if w in _DISSATISFIED_WORDS:
            if _negated(words, i):
                good.append(f"not {w}")
            else:
                bad.append(w)
        elif w in _SATISFIED_WORDS:
            if _negated(words, i):
                bad.append(f"not {w}")
            else:
                good.append(w)
    good += [m.group(0) for m in _SATISFIED.finditer(low)]
    return bad, good


def read(text: str, score: dict | None) -> tuple[bool | None, str]:
    """Whether a free-text answer is satisfied (True), dissatisfied (False) or neither (None), and why.

    `score` is the mention's score from scoring (`complaint`, `angry`, `intent`, `compound`), or None.
    """
    score = score or {}
    compound: Any = score.get("compound")
    compound = float(compound) if isinstance(compound, (int, float)) and not isinstance(compound, bool) else None
    bad, good = cues(text)
    if score.get("angry"):
        return False, "scoring: angry"
    if bad:
        return False, f"dissatisfied: {', '.join(dict.fromkeys(bad))}"
    solved = [m.group(0) for m in _SOLVED.finditer(text.lower().replace("\u2019", "'"))]
    if solved:
        return True, f"solved: {', '.join(dict.fromkeys(solved))}"
    negative = ("scoring: complaint" if score.get("complaint") or score.get("intent") == "complaint"
                else f"negative sentiment {compound:+.2f}" if compound is not None and compound <= -STRONG else None)
    if negative and good:
        return None, f"mixed: {negative}; satisfied: {', '.join(dict.fromkeys(good))}"
    if negative:
        return False, negative
    if good:
        return True, f"satisfied: {', '.join(dict.fromkeys(good))}"
    if score.get("intent") == "praise" and compound is not None and compound >= STRONG:
        return True, f"scoring: praise, sentiment {compound:+.2f}"
    return None, "no clear judgement"
