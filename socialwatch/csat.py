"""Customer satisfaction (CSAT): one survey after a case is resolved, the answer read from the thread.

    [csat]
    sources = ["x", "demo"]      # opt-in, per source (no survey for the others)
    when = "delay"               # "delay": due `delay` after the resolution; "on_resolve": due at once
    delay = "10m"
    question = "Hi {name}, how did we do? Reply 1 (poor) to 5 (great), and tell us why if you like."
    visibility = "auto"          # "public", "private", or "auto": the channel of the case (a DM is always
                                 # surveyed privately)
    min_interval = "30d"         # never survey one customer twice within this window
    expires = "7d"               # answers later than this after the survey are ordinary mentions
    exclude_tags = ["spam"]      # cases with one of these tags get no survey
    check_every = "30s"          # how often the daemon sends due surveys

How a survey is sent exactly once, whatever races or crashes:

1. Resolving a case (`resolve`, `reply --resolve`, bulk resolve) of an enabled source that we
   answered marks it, in the same locked session/transaction as the resolution, with a durable
   `csat_survey = {state: "due", due_at}` and a work item in the store's `csat_due` state
   namespace. Ignored cases, follow-ups and excluded tags never get one; a case that was
   already surveyed never gets a second.
2. `send_due` (the daemon every `check_every`, `poll` after polling, `csat send`) takes each due
   item under the store's lock (TinyDB) or `FOR UPDATE SKIP LOCKED` (PostgreSQL), deletes it,
   checks the case again (still resolved? customer surveyed within `min_interval`?) and, in the
   same transaction, stores an outbox record of kind `csat` in state `sending` and the survey
   state `sending`. Two senders never take one item; a second resolve finds the survey no longer
   due. The platform call happens after the commit, through the exactly-once outbox
   (`outbox._deliver`): a crash leaves `sending`, settled by `outbox reconcile`, never re-sent.
3. Once sent, the survey's platform reference (the reply's id, as the sources write
   `in_reply_to`) and the customer are kept in the `csat_refs` namespace until it expires.

Answers (`take_answers`, called where new mentions join their threads): a new mention that
replies to the survey post, or a message or thread reply by the same customer while a survey is
open, is read as a rating: "4", "4/5", "8/10", stars (★★★★☆), faces (😡 .. 😀), 👍/👎, yes/no;
a direct reply to the survey without any of these is scored from its sentiment. The rating is
stored on the case (`csat`); an answer that is only a rating (or a satisfied comment) does not
reopen the case and is kept as a closed `csat_answer_to` mention, outside the KPIs' volume; a
dissatisfied comment joins the case as a follow-up and reopens it, as any customer follow-up does.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from socialwatch import audit, model
from socialwatch.errors import ConfigError, SocialwatchError

#: Who the audit log names for what the survey machinery does.
AGENT = "socialwatch"
DEFAULT_QUESTION = ("Hi {name}, thanks for contacting {brand}. How did we do? Reply with a number from "
                    "1 (poor) to 5 (great), and tell us why if you like.")
KEYS: dict[str, Any] = {"sources": list, "when": str, "delay": (str, int, float), "question": str, "visibility": str,
                        "min_interval": (str, int, float), "expires": (str, int, float), "exclude_tags": list,
                        "check_every": (str, int, float)}
WHEN = ("delay", "on_resolve")
VISIBILITY = ("auto", "public", "private")
#: Survey states that mean "nothing more will be sent for this case".
FINAL = ("sending", "sent", "answered", "failed", "unknown", "skipped")
SCALE_5 = "1-5"
SCALE_YES_NO = "yes-no"


@dataclass
class Settings:
    """The `[csat]` table, validated."""

    sources: set[str] = field(default_factory=set)
    delay: timedelta = timedelta(minutes=10)
    question: str = DEFAULT_QUESTION
    visibility: str = "auto"
    min_interval: timedelta = timedelta(days=30)
    expires: timedelta = timedelta(days=7)
    exclude_tags: set[str] = field(default_factory=lambda: {"spam"})
    check_every: timedelta = timedelta(seconds=30)


def settings(config: Any) -> Settings | None:
    """The CSAT settings of a configuration; None when no source is enabled. ConfigError naming the key."""
    table = config.table("csat")
    if not table:
        return None
    path = str(config.path)
    for key, value in table.items():
        want = KEYS.get(key)
        if want is None:
            raise ConfigError(f"unknown key (known: {', '.join(KEYS)})", path=path, key=f"csat.{key}")
        if isinstance(value, bool) or not isinstance(value, want):
            raise ConfigError("wrong type", path=path, key=f"csat.{key}")
    st = Settings()
    sources = table.get("sources") or []
    if not all(isinstance(s, str) for s in sources):
        raise ConfigError("expected a list of source names", path=path, key="csat.sources")
    st.sources = set(sources)
    if not st.sources:
        return None
    when = table.get("when", "delay")
    if when not in WHEN:
        raise ConfigError(f"expected one of {', '.join(WHEN)}", path=path, key="csat.when")
    for key in ("delay", "min_interval", "expires", "check_every"):
        if key in table:
            try:
                setattr(st, key, model.parse_duration(table[key]))
            except ValueError as exc:
                raise ConfigError(str(exc), path=path, key=f"csat.{key}") from None
    if when == "on_resolve":
        st.delay = timedelta(0)
    st.visibility = table.get("visibility", "auto")
    if st.visibility not in VISIBILITY:
        raise ConfigError(f"expected one of {', '.join(VISIBILITY)}", path=path, key="csat.visibility")
    st.question = table.get("question", DEFAULT_QUESTION)
    from socialwatch.templates import Template

    try:
        unknown = {p for p in Template("csat.question", st.question).placeholders() if p} - PLACEHOLDERS
    except SocialwatchError as exc:
        raise ConfigError(str(exc), path=path, key="csat.question") from None
    if unknown or not st.question.strip():
        raise ConfigError(f"unknown placeholder(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(PLACEHOLDERS))}"
                          if unknown else "the question is empty", path=path, key="csat.question")
    tags = table.get("exclude_tags", ["spam"])
    if not all(isinstance(t, str) for t in tags):
        raise ConfigError("expected a list of tags", path=path, key="csat.exclude_tags")
    st.exclude_tags = set(tags)
    if st.check_every.total_seconds() < 0.1:
        raise ConfigError("at least 0.1 s", path=path, key="csat.check_every")
    return st


PLACEHOLDERS = {"author", "handle", "name", "agent", "brand", "case"}


# --------------------------------------------------------------------------- 1. the trigger


def customer_key(mention: dict) -> str:
    """One customer on one platform: "twitter:ann" (handles are case-insensitive)."""
    handle = str((mention.get("author") or {}).get("handle") or "").lower()
    return f"{mention.get('platform') or model.split_id(mention['id'])[0]}:{handle}"


def eligible(st: Settings, mention: dict) -> str | None:
    """Why the resolved case gets no survey, or None when it does."""
    if mention.get("source") not in st.sources:
        return "its source is not in [csat] sources"
    if mention.get("status") != "resolved":
        return f"it is {mention.get('status')}, not resolved"
    if mention.get("case_id") and mention["case_id"] != mention["id"]:
        return "it is a follow-up of another case"
    if mention.get("csat_answer_to"):
        return "it is a survey answer"
    if not mention.get("first_response_at"):
        return "it was closed without an answer from us"
    excluded = st.exclude_tags & set(mention.get("tags") or [])
    if excluded:
        return f"it is tagged {', '.join(sorted(excluded))}"
    if not (mention.get("author") or {}).get("handle"):
        return "its author is unknown"
    return None


def on_resolved(s: Any, config: Any, mention: dict, agent: str, now: datetime | None = None) -> None:
    """Mark a case that was just resolved (in the caller's session) with a due survey.

    Called by every path that resolves a case; does nothing when CSAT is off for its source,
    the case is not eligible, or a survey was already sent or decided for it.
    """
    st = settings(config)
    if st is None or eligible(st, mention) is not None:
        return
    survey = mention.get("csat_survey") or {}
    if survey.get("state") in FINAL:
        return
    due = (now or model.utcnow()) + st.delay
    mention["csat_survey"] = {"state": "due", "due_at": model.iso(due), "resolved_by": agent}
    s.state_put("csat_due", mention["id"], {"id": mention["id"], "due_at": model.iso(due)})


# --------------------------------------------------------------------------- 2. sending


@dataclass
class SendResult:
    """What `send_due` did with one due case."""

    case: str
    state: str  # sent | failed | unknown | skipped | cancelled | taken (another sender has it) | stale
    detail: str = ""
    record: str | None = None

    def as_dict(self) -> dict:
        return {"case": self.case, "state": self.state, "detail": self.detail, "record": self.record}


def question_for(st: Settings, mention: dict, brand: dict) -> str:
    """The survey text for a case (placeholders filled like saved replies')."""
    from socialwatch.templates import Template, fill, values_for

    agent = (mention.get("csat_survey") or {}).get("resolved_by") or mention.get("resolved_by") or ""
    return fill(Template("csat.question", st.question), values_for(mention, str(agent), brand))


def visibility_for(st: Settings, mention: dict) -> str:
    """How the survey goes out: `visibility`, as a template's suggestion (`outbox.choose_visibility`):
    a case that came in as a direct message is always surveyed privately, whatever the config says."""
    from socialwatch.outbox import choose_visibility

    return choose_visibility(mention, None, None if st.visibility == "auto" else st.visibility,
                             "[csat] visibility").value


def send_due(app: Any, now: datetime | None = None) -> list[SendResult]:
    """Send every survey that is due now (see the module docstring); one result per case looked at."""
    st = settings(app.config)
    if st is None:
        return []
    now = now or model.utcnow()
    stamp = model.iso(now)
    due = app.store.state_all("csat_due")
    results = []
    for key, doc in sorted(due.items(), key=lambda kv: (kv[1].get("due_at") or "", kv[0])):
        if (doc.get("due_at") or "") > stamp:
            continue
        results.append(send_one(app, st, key, now))
    return results


def send_one(app: Any, st: Settings, case_id: str, now: datetime) -> SendResult:
    """Claim one due survey and send it (exactly once; see the module docstring)."""
    from socialwatch import outbox

    try:
        target = app.store.get(case_id)
    except SocialwatchError:
        target = None
    responder = None
    if target is not None:
        try:
            responder = outbox.build_responder(app, outbox.responder_name(app, target))
        except SocialwatchError as exc:  # the item stays due: fix the config and it goes out
            return SendResult(case_id, "failed", f"not sent, still due: {exc}")
    claimed = None
    try:
        with app.store.session() as s:
            claimed = _claim(app, st, s, case_id, now, responder)
    finally:
        if responder is not None and (claimed is None or isinstance(claimed, SendResult)):
            responder.close()
    if isinstance(claimed, SendResult):
        return claimed
    if claimed is None:
        return SendResult(case_id, "taken", "another process is sending it")
    record, mention = claimed
    try:
        out = outbox._deliver(app, record, mention, responder)
    except SocialwatchError as exc:
        state = "unknown" if "unknown" in str(exc) else "failed"
        return SendResult(case_id, state, str(exc), record["id"])
    return SendResult(case_id, out.record["state"], out.record.get("url") or "", record["id"])


def _claim(app: Any, st: Settings, s: Any, case_id: str, now: datetime, responder: Any) -> Any:
    """Inside one session: take the work item, decide, and store the `sending` record."""
    from socialwatch import outbox

    if s.state_claim("csat_due", case_id) is None:
        return None
    s.state_delete("csat_due", case_id)
    m = s.get(case_id)
    if m is None:
        return SendResult(case_id, "stale", "the case is gone")
    survey = dict(m.get("csat_survey") or {})
    if survey.get("state") != "due":
        return SendResult(case_id, "stale", f"survey is {survey.get('state')}")
    before = copy.deepcopy(m)
    stamp = model.iso(now)

    def decide(state: str, reason: str) -> SendResult:
        survey.update(state=state, reason=reason, decided_at=stamp)
        m["csat_survey"] = survey
        s.put(m)
        s.audit([audit.entry(AGENT, f"csat-{state}", case_id, before, m)])
        return SendResult(case_id, state, reason)

    why = eligible(st, m) if responder is not None else "no responder"
    if why is not None:
        return decide("cancelled" if m.get("status") != "resolved" else "skipped", why)
    customer = customer_key(m)
    last = s.state_get("csat_customers", customer)
    if last and (last.get("last_sent_at") or "") > model.iso(now - st.min_interval):
        return decide("skipped", f"customer surveyed at {last['last_sent_at']} (case {last.get('case')}), "
                                 f"within min_interval")
    text = question_for(st, m, app.config.brand)
    problem = responder.length_problem(m, text)
    if problem:
        return decide("failed", f"the question does not fit: {problem}")
    visibility = visibility_for(st, m)
    key = outbox.idempotency_key(case_id, text, -1)  # (never the key of an agent's reply)
    record = {
        "id": "c" + key[:10], "kind": "csat", "mention_id": case_id, "idempotency_key": key, "text": text,
        "visibility": visibility, "responder": responder.name, "agent": AGENT, "template": None, "resolve": False,
        "state": "sending", "attempts": 1, "created_at": stamp, "updated_at": stamp, "error": None,
        "reply_id": None, "url": None,
    }
    s.save_reply(record)
    survey.update(state="sending", record=record["id"], visibility=visibility, claimed_at=stamp)
    m["csat_survey"] = survey
    s.put(m)
    s.state_put("csat_customers", customer, {"customer": customer, "last_sent_at": stamp, "case": case_id})
    s.audit([audit.entry(AGENT, "csat-sending", case_id, before, m, record=record["id"])])
    return record, m


def reply_ref(platform: str, reply_id: Any) -> str | None:
    """The id a source gives a post or message that answers ours (its `in_reply_to`), from the
    reply id our responder got back: "twitter:123", "reddit:t1_abc", "bluesky:PLC.RKEY" (from an
    at:// URI), "mastodon:109…"."""
    if not reply_id or not isinstance(reply_id, str):
        return None
    if reply_id.startswith("at://"):
        from socialwatch.sources.bluesky import mention_id

        return mention_id(reply_id)
    if reply_id.startswith(platform + ":"):
        return reply_id
    return model.make_id(platform, reply_id)


def customer_ref(mention: dict) -> str:
    return "customer:" + customer_key(mention)


def settled(s: Any, mention: dict, record: dict, state: str, now: str, expires: timedelta | None) -> list[dict]:
    """Record a survey's outcome on its case (the outbox's `_settle`, inside its session); audit entries."""
    before = copy.deepcopy(mention)
    survey = dict(mention.get("csat_survey") or {})
    survey.update(state=state, record=record["id"], error=record.get("error"))
    if state == "sent":
        expires = expires if expires is not None else Settings().expires
        until = model.iso(model.parse_time(now) + expires)
        ref = reply_ref(mention.get("platform") or model.split_id(mention["id"])[0], record.get("reply_id"))
        survey.update(sent_at=now, expires_at=until, ref=ref, url=record.get("url"))
        doc = {"case": mention["id"], "expires_at": until, "conversation": mention.get("conversation_id")}
        if ref:
            s.state_put("csat_refs", ref, {**doc, "ref": ref})
        s.state_put("csat_refs", customer_ref(mention), {**doc, "ref": customer_ref(mention)})
    mention["csat_survey"] = survey
    s.put(mention)
    return [audit.entry(AGENT, f"csat-{state}", mention["id"], before, mention, record=record["id"])]


# --------------------------------------------------------------------------- 3. answers


@dataclass
class Answer:
    """A parsed answer: score on `scale` (1-5, or 1 = yes / 0 = no), how it was read, the comment."""

    score: int
    scale: str
    method: str  # number | stars | emoji | yes-no | sentiment
    comment: str | None
    only_rating: bool

    @property
    def satisfied(self) -> bool:
        return self.score >= 4 if self.scale == SCALE_5 else self.score == 1


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


def _comment(text: str, span: tuple[int, int] | None) -> tuple[str | None, bool]:
    """(the comment left once the rating is taken out, whether it is only filler)."""
    rest = text if span is None else text[: span[0]] + " " + text[span[1]:]
    rest = re.sub(r"\s+", " ", rest).strip(" \t\n-–—:,.;!|/()[]*")
    words = [w for w in re.findall(r"[^\W\d_]+", rest.lower())]
    only = not [w for w in words if w not in FILLER and len(w) > 1]
    return (rest or None), only


def parse_answer(text: str, compound: float | None = None) -> Answer | None:
    """Read a survey answer; None when the text holds no rating and no `compound` (sentiment) is given.

    Explicit ratings, first match wins: "N/5", "N out of 5", "N/10" (halved, rounded), stars
    (filled ones counted), a digit 1-5 standing alone at the start or end or before "stars"
    (never "3 hours"), a face emoji (😡 1 .. 😀 5), 👍/👎, yes/no at the start. A text with
    none of them scores from its VADER `compound` when given (>= 0.5: 5, >= 0.05: 4, > -0.05: 3,
    > -0.5: 2, else 1).
    """
    clean = _clean(text or "")
    stripped = clean.strip()
    m = _FRACTION.search(clean)
    if m:
        n, top = int(m.group(1)), int(m.group(2))
        if n <= top:
            score = n if top == 5 else int(n / 2 + 0.5)
            comment, only = _comment(clean, m.span())
            return Answer(max(1, min(5, score)), SCALE_5, "number", None if only else comment, only)
    m = _STARS.search(clean)
    if m:
        filled = sum(1 for ch in m.group(0) if ch in _FILLED)
        comment, only = _comment(clean, m.span())
        return Answer(max(1, min(5, filled)), SCALE_5, "stars", None if only else comment, only)
    for m in _DIGIT.finditer(clean):
        before = clean[: m.start()].strip()
        after = clean[m.end():].strip()
        next_word = (re.findall(r"[^\W\d_]+", after.lower()) or [""])[0]
        if next_word in _UNITS and not m.group(2):
            continue
        if m.group(2) or not re.search(r"\w", before) or not re.search(r"\w", after):
            comment, only = _comment(clean, m.span())
            return Answer(int(m.group(1)), SCALE_5, "number", None if only else comment, only)
    for i, ch in enumerate(clean):
        if ch in FACES:
            comment, only = _comment(clean, (i, i + 1))
            return Answer(FACES[ch], SCALE_5, "emoji", None if only else comment, only)
        if ch in THUMBS:
            comment, only = _comment(clean, (i, i + 1))
            return Answer(THUMBS[ch], SCALE_YES_NO, "emoji", None if only else comment, only)
    low = stripped.lower()
    first = (re.findall(r"[^\W\d_]+", low) or [""])[0]
    if not low.startswith(NOT_NO):
        for phrase in NO_PHRASES:
            if low.startswith(phrase):
                comment, only = _comment(stripped, (0, len(phrase)))
                return Answer(0, SCALE_YES_NO, "yes-no", None if only else comment, only)
        if first in YES or first in NO:
            start = low.index(first)
            comment, only = _comment(stripped, (start, start + len(first)))
            return Answer(1 if first in YES else 0, SCALE_YES_NO, "yes-no", None if only else comment, only)
    if compound is None:
        return None
    score = 5 if compound >= 0.5 else 4 if compound >= 0.05 else 3 if compound > -0.05 else 2 if compound > -0.5 else 1
    comment, only = _comment(stripped, None)
    return Answer(score, SCALE_5, "sentiment", None if only else comment, only)


def is_satisfied(csat: dict) -> bool:
    """Satisfied: 4 or 5 of 5, or yes."""
    score = csat.get("score")
    if not isinstance(score, int) or isinstance(score, bool):
        return False
    return score >= 4 if csat.get("scale") == SCALE_5 else score == 1


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
        compound = (m.get("score") or {}).get("compound") if direct is not None else None
        answer = parse_answer(str(m.get("text") or ""), compound if isinstance(compound, (int, float)) else None)
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
        "answered_at": answer_mention.get("created_at"), "comment": answer.comment,
        "raw": str(answer_mention.get("text") or "")[:2000], "answer_id": answer_mention["id"],
        "survey": (case.get("csat_survey") or {}).get("record"),
        "changes": int(earlier.get("changes", -1)) + 1,
    }
    survey = dict(case.get("csat_survey") or {})
    survey["state"] = "answered"
    case["csat_survey"] = survey
    reopen = not answer.only_rating and not answer.satisfied
    if reopen:  # a dissatisfied comment needs an answer: it joins the case like any follow-up
        answer_mention["csat_answer_for"] = case["id"]
        attach_followup(s, case, answer_mention)
    else:
        answer_mention.update(case_id=case["id"], csat_answer_to=case["id"], status="resolved",
                              resolved_at=answer_mention.get("created_at") or model.iso(model.utcnow()))
        s.put(answer_mention)
        s.put(case)
    s.audit([audit.entry(AGENT, "csat-answer", case["id"], before, case, answer=answer_mention["id"],
                         reopened=reopen)])
