"""Reading a survey answer (`parse_answer`) and matching new mentions to open surveys (`take_answers`,
called where new mentions join their threads); see `socialwatch.csat`."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from socialwatch import audit, model
from socialwatch.csat.policy import AGENT, customer_ref

SCALE_5 = "1-5"
SCALE_YES_NO = "yes-no"


def _satisfied(score: int, scale: str | None) -> bool:
    return score >= 4 if scale == SCALE_5 else score == 1


@dataclass
class Answer:
    """A parsed answer: score on `scale` (1-5, or 1 = yes / 0 = no), how it was read, the comment.

    A free-text answer that says neither satisfied nor dissatisfied has no rating: `score` and
    `scale` are None (method "comment"), and `satisfied` is None."""

    score: int | None
    scale: str | None
    method: str  # number | stars | emoji | yes-no | comment (read from free text; "sentiment": before 0.x)
    comment: str | None
    only_rating: bool
    why: str | None = None  # how a comment was read

    @property
    def satisfied(self) -> bool | None:
        return None if self.score is None else _satisfied(self.score, self.scale)

    @property
    def rated(self) -> bool:
        return self.score is not None


_HANDLE = re.compile(r"@[\w.\-]+")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
_FRACTION = re.compile(r"(?<![\w.])(10|[0-9])\s*(?:/|out of|of)\s*(10|5)(?![\w.])", re.I)
_STARS = re.compile("[\u2605\u2606\u2b50\U0001f31f]+(?:\ufe0f)?")
_FILLED = "\u2605\u2b50\U0001f31f"
_DIGIT = re.compile(r"(?<![\w.,:/£$€#+-])([1-5])(?![\w.,:/%£$€])(?:\s*(stars?|\*))?", re.I)
_UNITS = {"hour", "hours", "hr", "hrs", "h", "day", "days", "min", "mins", "minute", "minutes", "week", "weeks",
          "month", "months", "year", "years", "time", "times", "x", "am", "pm", "people", "calls", "items", "gb"}
FACES = {
    "\U0001f621": 1, "\U0001f92c": 1, "\U0001f620": 1, "\U0001f624": 1,
    "\u2639": 2, "\U0001f641": 2, "\U0001f61e": 2, "\U0001f61f": 2, "\U0001f622": 2, "\U0001f62d": 2, "\U0001f615": 2,
    "\U0001f610": 3, "\U0001f611": 3, "\U0001f636": 3,
    "\U0001f642": 4, "\U0001f60a": 4, "\u263a": 4,
    "\U0001f600": 5, "\U0001f603": 5, "\U0001f604": 5, "\U0001f601": 5, "\U0001f60d": 5, "\U0001f929": 5,
    "\U0001f970": 5, "\U0001f606": 5,
}
THUMBS = {"\U0001f44d": 1, "\U0001f44e": 0}
YES = {"yes", "yep", "yeah", "yup", "yea", "ya", "y", "sure", "definitely", "absolutely", "indeed"}
NO = {"no", "nope", "nah", "n"}
NOT_NO = ("no problem", "no worries", "no prob", "no complaints", "no issues")
NO_PHRASES = ("not really", "not at all", "not satisfied", "not happy", "not great", "not good", "not very")
#: Words that carry no comment of their own ("5, thanks!" is only a rating).
FILLER = set("""thanks thank you ty thx tx cheers ta much very so star stars out of rating rate score i id would say
give it a an my is was great good ok okay lol x xx xxx and the for your team guys all""".split())


def _clean(text: str) -> str:
    return _URL.sub(" ", _HANDLE.sub(" ", text))


def _answer(score: int, scale: str, method: str, text: str, span: tuple[int, int] | None) -> Answer:
    """The Answer whose rating stands at `span` of `text`: the rest is its comment, unless it is only filler."""
    rest = text if span is None else text[: span[0]] + " " + text[span[1]:]
    rest = re.sub(r"\s+", " ", rest).strip(" \t\n-–—:,.;!|/()[]*")
    words = [w for w in re.findall(r"[^\W\d_]+", rest.lower())]
    only = not [w for w in words if w not in FILLER and len(w) > 1]
    return Answer(score, scale, method, None if only else (rest or None), only)


def parse_answer(text: str, score: dict | None = None, *, free_text: bool | None = None) -> Answer | None:
    """Read a survey answer; None when the text holds no rating and is not read as free text.

    Explicit ratings, first match wins: "N/5", "N out of 5", "N/10" (halved, rounded), stars
    (filled ones counted), a digit 1-5 standing alone at the start or end or before "stars"
    (never "3 hours"), a face emoji (😡 1 .. 😀 5), 👍/👎, yes/no at the start. A text with
    none of them is read as a comment (`csat.comments.read`, from the mention's full `score`:
    complaint, anger, intent, sentiment, and survey cues) when `free_text` is true (by default:
    when a `score` is given): satisfied (yes), dissatisfied (no), or a comment without a rating.
    """
    clean = _clean(text or "")
    stripped = clean.strip()
    m = _FRACTION.search(clean)
    if m:
        n, top = int(m.group(1)), int(m.group(2))
        if n <= top:
            rating = n if top == 5 else int(n / 2 + 0.5)
            return _answer(max(1, min(5, rating)), SCALE_5, "number", clean, m.span())
    m = _STARS.search(clean)
    if m:
        filled = sum(1 for ch in m.group(0) if ch in _FILLED)
        return _answer(max(1, min(5, filled)), SCALE_5, "stars", clean, m.span())
    for m in _DIGIT.finditer(clean):
        before = clean[: m.start()].strip()
        after = clean[m.end():].strip()
        next_word = (re.findall(r"[^\W\d_]+", after.lower()) or [""])[0]
        if next_word in _UNITS and not m.group(2):
            continue
        if m.group(2) or not re.search(r"\w", before) or not re.search(r"\w", after):
            return _answer(int(m.group(1)), SCALE_5, "number", clean, m.span())
    for i, ch in enumerate(clean):
        if ch in FACES:
            return _answer(FACES[ch], SCALE_5, "emoji", clean, (i, i + 1))
        if ch in THUMBS:
            return _answer(THUMBS[ch], SCALE_YES_NO, "emoji", clean, (i, i + 1))
    low = stripped.lower()
    first = (re.findall(r"[^\W\d_]+", low) or [""])[0]
    if not low.startswith(NOT_NO):
        for phrase in NO_PHRASES:
            if low.startswith(phrase):
                return _answer(0, SCALE_YES_NO, "yes-no", stripped, (0, len(phrase)))
        if first in YES or first in NO:
            start = low.index(first)
            return _answer(1 if first in YES else 0, SCALE_YES_NO, "yes-no", stripped, (start, start + len(first)))
    if not (score is not None if free_text is None else free_text):
        return None
    from socialwatch.csat.comments import read

    satisfied, why = read(stripped, score)
    comment = re.sub(r"\s+", " ", stripped).strip() or None
    if satisfied is None:
        return Answer(None, None, "comment", comment, False, why)
    return Answer(1 if satisfied else 0, SCALE_YES_NO, "comment", comment, False, why)


def needs_agent(answer: Answer, mention: dict) -> bool:
    """Whether an answer reopens its case: a dissatisfied one with a comment, or a comment without a
    rating that asks something (a question mark, or the intent "question")."""
    if answer.only_rating:
        return False
    if answer.satisfied is None:
        return "?" in str(mention.get("text") or "") or (mention.get("score") or {}).get("intent") == "question"
    return not answer.satisfied


def is_satisfied(csat: dict) -> bool:
    """Satisfied: 4 or 5 of 5, or yes (an answer without a rating is not)."""
    score = csat.get("score")
    if not isinstance(score, int) or isinstance(score, bool):
        return False
    return _satisfied(score, csat.get("scale"))


def _open_ref(refs: dict[str, dict], key: str | None, stamp: str) -> dict | None:
    doc = refs.get(key or "")
    if doc is None or (doc.get("expires_at") or "") < stamp:
        return None
    return doc


def take_answers(s: Any, mentions: list[dict], new_ids: list[str]) -> set[str]:
    """Match newly stored mentions to open surveys (inside the storing session).

    Stores each answer on its case; returns the ids of the mentions it handled (pure answers,
    closed as `csat_answer_to`, and dissatisfied comments, joined to their case as follow-ups),
    which ordinary thread joining then leaves alone.
    """
    fresh = set(new_ids)
    candidates = [m for m in mentions if m["id"] in fresh]
    if not candidates:
        return set()
    refs = s.state_all("csat_refs")
    if not refs:
        return set()
    stamp = model.iso(model.utcnow())
    handled: set[str] = set()
    for m in candidates:
        direct = _open_ref(refs, m.get("in_reply_to"), stamp)
        doc = direct
        if doc is None:
            doc = _open_ref(refs, customer_ref(m), stamp)
            if doc is not None and not _same_thread(m, doc):
                doc = None
        if doc is None:
            continue
        case = s.get(doc["case"])
        if case is None or not _answers(case, m):
            continue
        # free text is read only from a direct reply to the survey (elsewhere it may be about anything)
        answer = parse_answer(str(m.get("text") or ""), m.get("score") or {}, free_text=direct is not None)
        if answer is None:
            continue
        stored = s.get(m["id"]) or m
        _record(s, case, stored, answer)
        handled.add(m["id"])
    return handled


def _same_thread(m: dict, doc: dict) -> bool:
    """A message of the customer's, or a post in the surveyed case's thread."""
    if m.get("kind") == "dm":
        return True
    return bool({m.get("conversation_id"), m.get("in_reply_to")} & ({doc.get("case"), doc.get("conversation")} - {None}))


def _answers(case: dict, m: dict) -> bool:
    survey = case.get("csat_survey") or {}
    if survey.get("state") not in ("sent", "answered") or m["id"] == case["id"]:
        return False
    if (m.get("created_at") or "") < (survey.get("sent_at") or ""):
        return False
    a = str((case.get("author") or {}).get("handle") or "").lower()
    return bool(a) and a == str((m.get("author") or {}).get("handle") or "").lower()


def _record(s: Any, case: dict, answer_mention: dict, answer: Answer) -> None:
    from socialwatch.cases import attach_followup

    before = copy.deepcopy(case)
    earlier = case.get("csat") or {}
    case["csat"] = {
        "score": answer.score, "scale": answer.scale, "satisfied": answer.satisfied, "method": answer.method,
        "rated": answer.rated, "why": answer.why,
        "answered_at": answer_mention.get("created_at"), "comment": answer.comment,
        "raw": str(answer_mention.get("text") or "")[:2000], "answer_id": answer_mention["id"],
        "survey": (case.get("csat_survey") or {}).get("record"),
        "changes": int(earlier.get("changes", -1)) + 1,
    }
    survey = dict(case.get("csat_survey") or {})
    survey["state"] = "answered"
    case["csat_survey"] = survey
    reopen = needs_agent(answer, answer_mention)
    if reopen:  # a dissatisfied comment, or a question, needs an answer: it joins the case like any follow-up
        answer_mention["csat_answer_for"] = case["id"]
        attach_followup(s, case, answer_mention)
    else:
        answer_mention.update(case_id=case["id"], csat_answer_to=case["id"], status="resolved",
                              resolved_at=answer_mention.get("created_at") or model.iso(model.utcnow()))
        s.put(answer_mention)
        s.put(case)
    s.audit([audit.entry(AGENT, "csat-answer", case["id"], before, case, answer=answer_mention["id"],
                         reopened=reopen)])
