"""Cases: a customer's follow-ups in a thread join the case they continue, and the case is the
unit of work (as a ticket is in Zendesk).

When a newly stored mention answers (`in_reply_to`) a stored mention by the same author, or
continues a conversation (`conversation_id`: an X DM conversation, a thread) in which the same
author already has a stored mention, open or closed, it becomes a follow-up of that mention's
case: it gets `case_id` (the root's id) and the case's assignee, the root lists it in
`followups`, and the root is reopened like a ticket when the customer writes again (pending ->
open; resolved -> open, counted as a reopen, which first-contact resolution excludes). The
conversation is looked up through the store's index of conversations (`conversation_mentions`),
so joining costs the same however long the history. Triage, `claim` and bulk actions work on
cases (roots), never on a follow-up alone.

The rules that keep a case consistent, whatever changes one of its members (`sync`):
- a follow-up has its case's assignee: assigning, claiming or replying to any member assigns the
  case (the root and its open follow-ups);
- closing the root closes its open follow-ups; reopening a follow-up of a closed case reopens the
  case; closing a follow-up alone leaves the case open;
- the case's priority (the root's `priority`) is the highest of the root's own (`score.priority`,
  or the agent's override, which always wins) and its open follow-ups' priorities; when it comes
  from a follow-up, `case_priority` names it, and `show` lists it as the factor "case".

In a PostgreSQL session a member of a case is locked after its root (`Session.get_in_case`), so
that two agents acting on one case at once queue up instead of deadlocking.
"""

from __future__ import annotations

import copy
from typing import Any

from socialwatch import audit, model


def is_followup(mention: dict) -> bool:
    """Whether the mention joined another mention's case."""
    return bool(mention.get("case_id")) and mention.get("case_id") != mention.get("id")


def own_priority(mention: dict) -> int:
    """A mention's priority apart from its case: the agent's override, else its score's priority
    (routing boosts included)."""
    override = mention.get("priority_override")
    if isinstance(override, int) and not isinstance(override, bool):
        return override
    score = (mention.get("score") or {}).get("priority")
    if isinstance(score, (int, float)) and not isinstance(score, bool):
        return int(score)
    return model.effective_priority(mention)


def recompute(s: Any, root: dict) -> None:
    """Set the case priority of `root` from its own and its open follow-ups' (read in session `s`)."""
    root.pop("case_priority", None)
    if root.get("priority_override") is not None:
        return  # the agent's override wins (and is the priority already)
    best, source = own_priority(root), None
    for fid in root.get("followups") or []:
        f = s.get(fid)
        if f is None or not model.is_open(f):
            continue
        if model.effective_priority(f) > best:
            best, source = model.effective_priority(f), fid
    root["priority"] = best
    if source is not None:
        root["case_priority"] = {"followup": source, "priority": best}


def case_factor(mention: dict) -> dict | None:
    """The score factor a case adds to its root's own priority (None when it adds nothing), so
    that the factors `show` lists add up to the priority it shows."""
    if mention.get("priority_override") is not None or not mention.get("followups"):
        return None
    extra = model.effective_priority(mention) - own_priority(mention)
    if extra <= 0:
        return None
    source = mention.get("case_priority") or {}
    detail = (f"follow-up {source['followup']} priority {source.get('priority')}" if source.get("followup")
              else "a follow-up in this case")
    return {"factor": "case", "contribution": extra, "detail": detail}


def reasons(mention: dict) -> list[dict]:
    """Every factor of a mention's priority: its score's reasons, then its case's."""
    out = list((mention.get("score") or {}).get("reasons") or [])
    factor = case_factor(mention)
    if factor is not None:
        out.append(factor)
    return out


def context(store: Any, mention: dict, *, limit: int = 20, open_list: list[dict] | None = None
            ) -> tuple[list[dict], list[dict]]:
    """(the author's earlier mentions, the case's follow-ups): what `show`, `claim` and triage
    print under a mention."""
    from socialwatch.errors import SocialwatchError

    # The case's own members are its thread, not the customer's other business: leave them out
    # of the history (a follow-up is usually the same author's newest mention).
    members = {mention["id"], mention.get("case_id"), *(mention.get("followups") or [])} - {None}
    history = store.author_history((mention.get("author") or {}).get("handle"), exclude=mention["id"],
                                   limit=limit + len(members), open_list=open_list)
    history = [m for m in history if m.get("id") not in members and m.get("case_id") not in members][:limit]
    thread = []
    for fid in mention.get("followups") or []:
        try:
            thread.append(store.get(fid, open_list))
        except SocialwatchError:
            continue
    return history, thread


# ---- keeping a case consistent -------------------------------------------------------------------
def sync(s: Any, agent: str, action: str, before: dict, mention: dict) -> list[dict]:
    """Carry a change of `mention` (already stored in session `s`; `before` is its earlier copy)
    over to the rest of its case (see the module docstring). Stores what it changes, `mention`
    included; returns the audit entries for the other members (a follow-up's names the `case`,
    the root's the follow-up it changed `via`)."""
    if is_followup(mention):
        return _sync_from_followup(s, agent, action, before, mention)
    if mention.get("followups"):
        return _sync_from_root(s, agent, action, before, mention)
    return []


def _assigned(m: dict, assignee: str | None, at: str | None) -> None:
    m["assignee"] = assignee
    m["assigned_at"] = at if assignee else None
    if assignee and m.get("status") == "new":
        m["status"] = "open"


def _sync_from_root(s: Any, agent: str, action: str, before: dict, root: dict) -> list[dict]:
    entries = []
    reassigned = root.get("assignee") != before.get("assignee")
    closed = root.get("status") in model.CLOSED_STATUSES and before.get("status") not in model.CLOSED_STATUSES
    if reassigned or closed:
        for fid in root.get("followups") or []:
            f = s.get(fid)
            if f is None or not model.is_open(f):
                continue
            f_before = copy.deepcopy(f)
            if reassigned:
                _assigned(f, root.get("assignee"), root.get("assigned_at"))
            if closed:
                f["status"] = root["status"]
                f["resolved_at"] = root.get("resolved_at")
            if f != f_before:
                s.put(f)
                entries.append(audit.entry(agent, action, fid, f_before, f, case=root["id"]))
    old = copy.deepcopy(root)
    recompute(s, root)
    if root != old:
        s.put(root)
    return entries


def _sync_from_followup(s: Any, agent: str, action: str, before: dict, f: dict) -> list[dict]:
    root = s.get(f["case_id"])
    if root is None:
        return []
    root_before = copy.deepcopy(root)
    entries = []
    if f.get("assignee") != before.get("assignee"):  # assigning a follow-up assigns its case
        _assigned(root, f.get("assignee"), f.get("assigned_at"))
        for fid in root.get("followups") or []:
            other = s.get(fid) if fid != f["id"] else None
            if other is None or not model.is_open(other) or other.get("assignee") == f.get("assignee"):
                continue
            other_before = copy.deepcopy(other)
            _assigned(other, f.get("assignee"), f.get("assigned_at"))
            s.put(other)
            entries.append(audit.entry(agent, action, fid, other_before, other, case=root["id"]))
    elif model.is_open(f) and f.get("assignee") != root.get("assignee"):
        _assigned(f, root.get("assignee"), root.get("assigned_at"))  # (a follow-up reopened: back to the case's agent)
        s.put(f)
    if model.is_open(f) and not model.is_open(before) and not model.is_open(root):
        root["status"] = "open"  # a follow-up reopened in a closed case reopens the case
        root["resolved_at"] = None
        root["reopened"] = int(root.get("reopened") or 0) + 1
    recompute(s, root)
    if root != root_before:
        s.put(root)
        entries.insert(0, audit.entry(agent, action, root["id"], root_before, root, via=f["id"]))
    return entries


# ---- joining new follow-ups ---------------------------------------------------------------------
def _root_of(s: Any, mention: dict, waiting: set[str]) -> dict | None:
    """The stored case a new mention continues (its root, locked), or None.

    First the case of the mention it answers (`in_reply_to`), when that is the same customer's;
    else the case of the customer's latest mention in the same conversation, open or closed
    (an X DM conversation, a Mastodon or Bluesky thread whose root is not a stored mention of
    theirs, a Reddit thread): found by the store's conversation index, so the cost does not grow
    with the history. `waiting`: new mentions of this batch not joined yet, which are no case to
    join (they are taken in time order, so that a batch's first message starts the case).
    """
    mid = mention["id"]
    parent_id = mention.get("in_reply_to")
    if parent_id and parent_id != mid:
        parent = s.peek(parent_id)  # (only the root is locked: a case is always locked root first)
        if parent is not None and _same_author(parent, mention):
            root = s.get(parent.get("case_id") or parent["id"])
            if root is not None and root["id"] != mid and _same_author(root, mention):
                return root
    conversation = mention.get("conversation_id")
    handle = (mention.get("author") or {}).get("handle")
    if not conversation or conversation == mid or not isinstance(handle, str) or not handle:
        return None
    mates = [m for m in s.conversation_mentions(conversation, handle) if m["id"] != mid and m["id"] not in waiting]
    mates.sort(key=lambda m: (m.get("created_at") or "", m["id"]), reverse=True)
    for mate in mates:
        root = s.get(mate.get("case_id") or mate["id"])
        if root is not None and root["id"] != mid and _same_author(root, mention):
            return root
    return None


def _same_author(a: dict, b: dict) -> bool:
    ha = ((a.get("author") or {}).get("handle") or "").lower()
    hb = ((b.get("author") or {}).get("handle") or "").lower()
    return bool(ha) and ha == hb


def join_threads(s: Any, mentions: list[dict], new_ids: list[str]) -> list[str]:
    """Attach newly stored follow-ups to their case (inside the storing session), in time order;
    returns the ids of the cases that changed. Answers to a satisfaction survey are taken first
    (`socialwatch.csat`)."""
    from socialwatch.csat import take_answers

    fresh = set(new_ids)
    answers = take_answers(s, mentions, new_ids)
    todo = [m for m in mentions if m["id"] in fresh and m["id"] not in answers
            and (m.get("in_reply_to") or m.get("conversation_id"))]
    todo.sort(key=lambda m: m.get("created_at") or "")  # (stable: among equals, in the order given)
    waiting = {m["id"] for m in todo}
    changed = []
    for m in todo:
        waiting.discard(m["id"])
        root = _root_of(s, m, waiting)
        if root is None:
            continue
        attach_followup(s, root, s.get(m["id"]) or m)
        changed.append(root["id"])
    return changed


def attach_followup(s: Any, root: dict, m: dict) -> None:
    """Make `m` a follow-up of the case `root` (both stored): it takes the case's assignee, the
    root lists it and recomputes the case's priority, and the case reopens (pending -> open;
    resolved/ignored -> open, counted as a reopen)."""
    m["case_id"] = root["id"]
    if root.get("assignee") and model.is_open(m):
        _assigned(m, root["assignee"], root.get("assigned_at"))
    followups = list(root.get("followups") or [])
    # A mention that had follow-ups of its own (a reply stored before the message it answers)
    # brings them along: a case is never nested.
    for fid in [*(m.pop("followups", None) or []), m["id"]]:
        if fid != m["id"]:
            f = s.get(fid)
            if f is None:
                continue
            f["case_id"] = root["id"]
            s.put(f)
        if fid not in followups:
            followups.append(fid)
    recompute(s, m)
    s.put(m)
    root["followups"] = followups
    root["last_customer_activity"] = max(root.get("last_customer_activity") or "", m.get("created_at") or "") or None
    if root.get("status") == "pending":
        root["status"] = "open"
    elif root.get("status") in model.CLOSED_STATUSES:
        root["status"] = "open"
        root["resolved_at"] = None
        root["reopened"] = int(root.get("reopened") or 0) + 1
    recompute(s, root)
    s.put(root)
