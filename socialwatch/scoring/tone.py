"""Tone rules over the learned model: pure praise, and sarcastic praise around a problem.

The model learned the twcs brands' support traffic, where four in five first tweets need a
response, so it calls some plain thanks a complaint and misses sarcasm that VADER reads as
positive. Two rules, each a decision a careful labeller makes (`../shared/labelling.md`),
correct it, and say so in the reasons:

    praise only   thanks or praise ("thank you", "legend", "brilliant", "kudos", "impressed"),
                  and no question mark, no request ("please", "can you", "call me", "sent you
                  a DM"), no anger, churn, waiting or sarcasm cue, and no problem unless the
                  text says it is over ("fixed", "sorted", "back online") with no "but" after
                  the thanks: intent praise, not a complaint, no response needed. A
                  vulnerability cue in such thanks ("helping my nan, she's 91") stays in
                  `risk` but does not force a response; any other risk cue still does.
    sarcasm       a sarcasm or exasperation cue (`cues`: "wow... yet another outage 👏👏",
                  "love that for me", "great job as always", "it's 4. FOUR.") around a
                  problem that the text does not call over: a complaint that needs a
                  response. Scare quotes alone do not count (they name a button as often
                  as they mock it). Whether it is angry stays with the cues and the model
                  (sarcasm adds anger points and is one of the model's features).

Cheap: the praise rule looks words up in one set intersection and runs its regular
expression only on texts that hold a trigger word.
"""

from __future__ import annotations

import re

from socialwatch.scoring.cues import Index, add, found_in, open_problem, resolved, trouble
from socialwatch.scoring.cuewords import CONTRAST, PRAISE_WORDS, REQUEST, REQUEST_TRIGGERS

PRAISE_INDEX: Index = {}
add(PRAISE_INDEX, "praise", PRAISE_WORDS)
PRAISE_TRIGGERS = frozenset(PRAISE_INDEX)
#: Thanks and hearts in emoji (praying hands, hearts, raised hands, a star).
PRAISE_EMOJI = re.compile("[\U0001f64f\u2764\U0001f49c\U0001f499\U0001f49a\U0001f49b\U0001f9e1\U0001f64c\u2b50\U0001f31f]")
#: Cues that rule out praise only (anything but sentiment amplifiers).
BLOCKING = frozenset(("anger words", "churn", "waiting", "sarcasm", "exasperation", "angry emoji", "annoyed emoji"))
#: Risk categories that thanks alone do not turn into a needed response.
VULNERABILITY = frozenset(("elderly", "disabled", "bereavement", "medical"))
SARCASTIC = frozenset(("sarcasm", "exasperation"))
SARCASTIC_EMOJI = frozenset("\U0001f643\U0001f44f\U0001f612")


def praise_only(text: str, low: list[str], cues: list, problem: bool, compound: float = 0.0) -> str | None:
    """The praise or thanks of a text that only praises or thanks (see the module docstring),
    else None. `low` are VADER's lower-case tokens, `cues` the anger cues, `problem` whether
    problem words were found."""
    if "?" in text:
        return None
    found = not PRAISE_TRIGGERS.isdisjoint(low)
    emoji = None
    if not found:
        m = PRAISE_EMOJI.search(text) if not text.isascii() else None
        if m is None:
            return None
        emoji = m.group()
    for cue in cues:
        if cue[0] in BLOCKING:
            return None
    lower = text.lower()
    if not lower.isascii():
        lower = lower.replace("’", "'")
    praise = found_in(PRAISE_INDEX, PRAISE_TRIGGERS, low, lower) if found else emoji
    if praise is None:
        return None
    if (not REQUEST_TRIGGERS.isdisjoint(low) or not text.isascii()) and REQUEST.search(lower):
        return None
    if CONTRAST.search(lower):  # "love the new cafe, but no brioche bun"
        return None
    if (problem and open_problem(low, lower) or compound <= -0.3) and resolved(low, lower) is None:
        return None  # a problem, or clearly negative on the whole, that the text does not call over
    return praise


def adjust(prediction: dict, text: str, low: list[str], cues: list, problem: bool, compound: float) -> str | None:
    """Apply the praise and sarcasm rules to the model's `prediction` (changed in place); the
    rule's note for the reasons, or None when neither applies."""
    for cue in cues:
        if cue[0] in SARCASTIC and cue[2][:1].isalnum() or cue[0] == "sarcasm" and cue[2] in SARCASTIC_EMOJI:
            lower = text.lower()
            if not trouble(low, lower) or resolved(low, lower):
                continue  # scare quotes name things as often as they mock them: not enough alone
            _, p_complaint = prediction["complaint"]
            prediction["complaint"] = (True, p_complaint)
            prediction["needs_response"] = (True, prediction["needs_response"][1])
            prediction["intent"] = ("complaint", p_complaint)
            return f"sarcastic praise around a problem ({cue[0]} '{cue[2]}')"
    if prediction["angry"][0] or prediction["intent"][0] == "feedback":
        return None
    praise = praise_only(text, low, cues, problem, compound)
    if praise is None:
        return None
    p_praise = 1.0 - prediction["complaint"][1]
    prediction["complaint"] = (False, prediction["complaint"][1])
    prediction["needs_response"] = (False, prediction["needs_response"][1])
    prediction["intent"] = ("praise", p_praise if prediction["intent"][0] != "praise" else prediction["intent"][1])
    prediction["praise_only"] = True
    return f"praise only ('{praise}'; no question, request or open problem)"
