"""Conversation threading: a customer's follow-ups in a thread join the case they continue.

When a newly stored mention answers (`in_reply_to`) or continues (`conversation_id`) a thread
whose root is a stored mention by the same author, it becomes a follow-up of that case: it gets
`case_id` (the root's id), the root lists it in `followups`, takes the higher priority, and is
reopened like a ticket when the customer writes again (pending -> open; resolved -> open,
counted as a reopen, which first-contact resolution excludes). Triage shows cases, not each
follow-up.
"""

from __future__ import annotations

from typing import Any

from socialwatch import model


def _root_of(s: Any, mention: dict) -> dict | None:
    for ref in (mention.get("in_reply_to"), mention.get("conversation_id")):
        if not ref or ref == mention["id"]:
            continue
        parent = s.get(ref)
        if parent is None:
            continue
        root_id = parent.get("case_id") or parent["id"]
        root = parent if root_id == parent["id"] else s.get(root_id)
        if root is not None:
            return root
    return None


def _same_author(a: dict, b: dict) -> bool:
    ha = ((a.get("author") or {}).get("handle") or "").lower()
    hb = ((b.get("author") or {}).get("handle") or "").lower()
    return bool(ha) and ha == hb


def join_threads(s: Any, mentions: list[dict], new_ids: list[str]) -> list[str]:
    """Attach newly stored follow-ups to their case (inside the storing session); returns the
    ids of the cases that changed. Answers to a satisfaction survey are taken first (csat.py)."""
    from socialwatch.csat import take_answers

    fresh = set(new_ids)
    answers = take_answers(s, mentions, new_ids)
    changed = []
    for m in mentions:
        if m["id"] not in fresh or m["id"] in answers or not (m.get("in_reply_to") or m.get("conversation_id")):
            continue
        root = _root_of(s, m)
        if root is None or root["id"] == m["id"] or not _same_author(root, m):
            continue
        attach_followup(s, root, s.get(m["id"]) or m)
        changed.append(root["id"])
    return changed


def attach_followup(s: Any, root: dict, m: dict) -> None:
    """Make `m` a follow-up of the case `root` (both stored): the root lists it, takes the higher
    priority, and reopens (pending -> open; resolved/ignored -> open, counted as a reopen)."""
    m["case_id"] = root["id"]
    s.put(m)
    followups = list(root.get("followups") or [])
    if m["id"] not in followups:
        followups.append(m["id"])
    root["followups"] = followups
    root["last_customer_activity"] = m.get("created_at")
    if model.effective_priority(m) > model.effective_priority(root) and root.get("priority_override") is None:
        root["priority"] = model.effective_priority(m)
    if root.get("status") == "pending":
        root["status"] = "open"
    elif root.get("status") in model.CLOSED_STATUSES:
        root["status"] = "open"
        root["resolved_at"] = None
        root["reopened"] = int(root.get("reopened") or 0) + 1
    s.put(root)


def is_followup(mention: dict) -> bool:
    return bool(mention.get("case_id")) and mention.get("case_id") != mention.get("id")
