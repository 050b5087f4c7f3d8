"""Sending due surveys exactly once (`send_due`), and recording how each went (`settled`, called by
the outbox): steps 2 and 3 of `socialwatch.csat`."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from socialwatch import audit, model
from socialwatch.csat.policy import AGENT, Settings, customer_key, customer_ref, eligible, settings
from socialwatch.errors import SocialwatchError


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
    """Send every survey that is due now (see `socialwatch.csat`); one result per case looked at."""
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
    """Claim one due survey and send it (exactly once; see `socialwatch.csat`)."""
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
