"""Who did the work: per-agent figures read from the audit trail (`audit.py`), on either backend.

Assignment says who was meant to do the work; the audit log says who did it. For a period
[since, until) of the entries' time (`at`):

* first replies: replies that were a mention's first response (`replied` entries that set
  `first_response_at`); replies: every reply an agent sent (satisfaction surveys are not replies).
* resolved / ignored: changes of a mention to that status by the agent; the customer's follow-ups
  that close with their case are not counted again (nor is any change `cases.sync` carries over
  to the rest of a case: its audit entries name the `case` or the member it came `via`).
* notes, tags (`tag` actions), escalations: the agent's own entries.
* assigned: claims and assignments that gave the agent a mention (credited to the assignee,
  whoever assigned it).
* handle time: from the moment a mention was assigned to (or claimed by) the agent to that
  agent's first reply or resolution of it after that, in business time (`sla.Policy.elapsed`),
  counted in the period of the reply or resolution; work on a mention never assigned to the
  agent has no handle time. Median and count.

`Ledger.credit` gives, per mention, the agent of its first reply and the last agent who
resolved it: `credited_agent` credits a mention to them even when nobody was assigned.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from socialwatch.report.stats import percentile, seconds, time_or_none

#: The acts counted per agent, in the order of the report's columns.
COUNTS = ("assigned", "first_replies", "replies", "resolved", "ignored", "notes", "tags", "escalations")


class Work:
    """One agent's acts in a period (counts of COUNTS) and handle times."""

    def __init__(self, agent: str) -> None:
        self.agent = agent
        self.counts: Counter[str] = Counter()
        self.handle: list[float] = []

    def result(self) -> dict:
        return {"agent": self.agent, **{kind: self.counts[kind] for kind in COUNTS},
                "handle_time_median_s": seconds(percentile(self.handle, 0.5)),
                "handle_time_n": len(self.handle)}


def _status_change(e: dict) -> str | None:
    """The status an entry moved its mention to (None when it did not change it)."""
    after, before = e.get("after") or {}, e.get("before") or {}
    if "status" not in after or after.get("status") == before.get("status"):
        return None
    return after.get("status")


class Ledger:
    """Reads audit entries once; answers per-period work and per-mention credit."""

    def __init__(self, entries: Iterable[dict], policy: Any) -> None:
        self.policy = policy
        # (at, agent, kind, mention id, handle seconds or None) for every counted act
        self.acts: list[tuple[datetime, str, str, str, float | None]] = []
        self.credit: dict[str, dict[str, str]] = {}
        held: dict[str, tuple[str, datetime]] = {}  # mention -> (assignee, since)
        for e in entries:
            at = time_or_none(e.get("at"))
            agent, action, mid = e.get("agent"), e.get("action"), e.get("id")
            if at is None or not isinstance(agent, str) or not isinstance(mid, str):
                continue
            after = e.get("after") or {}
            # a change carried over to the rest of a case (`cases.sync`) names the `case` or the member
            # it came `via`: it is the same piece of work, counted once
            carried = bool(e.get("case") or e.get("via"))
            if action in ("claim", "assign") and after.get("assignee"):
                held[mid] = (str(after["assignee"]), at)
                if not carried:
                    self.acts.append((at, str(after["assignee"]), "assigned", mid, None))
            elif action == "unassign":
                held.pop(mid, None)
            if action == "replied":
                first = bool(after.get("first_response_at")) and not (e.get("before") or {}).get("first_response_at")
                self._work(at, agent, "replies", mid, held)
                if first:
                    self.acts.append((at, agent, "first_replies", mid, None))
                    self.credit.setdefault(mid, {}).setdefault("first_replied_by", agent)
            status = _status_change(e)
            if status in ("resolved", "ignored") and not carried:
                self._work(at, agent, status, mid, held)
                self.credit.setdefault(mid, {})["resolved_by"] = agent
            if action == "note":
                self.acts.append((at, agent, "notes", mid, None))
            elif action == "tag":
                self.acts.append((at, agent, "tags", mid, None))
            elif action == "escalate":
                self.acts.append((at, agent, "escalations", mid, None))

    def _work(self, at: datetime, agent: str, kind: str, mid: str, held: dict) -> None:
        """A reply or a resolution; it ends the agent's handling of the mention, if it held it."""
        handle = None
        holder = held.get(mid)
        if holder is not None and holder[0] == agent and at >= holder[1]:
            handle = self.policy.elapsed(holder[1], at).total_seconds()
            del held[mid]
        self.acts.append((at, agent, kind, mid, handle))

    def work(self, since: datetime, until: datetime) -> list[dict]:
        """Per-agent figures of the acts in [since, until), most active first."""
        agents: dict[str, Work] = {}
        for at, agent, kind, _mid, handle in self.acts:
            if not since <= at < until:
                continue
            w = agents.get(agent) or agents.setdefault(agent, Work(agent))
            w.counts[kind] += 1
            if handle is not None:
                w.handle.append(handle)
        rows = [w.result() for w in agents.values()]
        rows.sort(key=lambda r: (-(r["replies"] + r["resolved"] + r["ignored"]), -r["assigned"], r["agent"]))
        return rows


def credited_agent(m: dict, credit: dict[str, dict[str, str]] | None = None) -> str | None:
    """Who a mention's KPIs are credited to: the agent of its first reply, else whoever resolved
    it, else its assignee (None when nobody touched it)."""
    known = (credit or {}).get(m.get("id") or "") or {}
    replies = m.get("replies")
    first = m.get("first_replied_by") or known.get("first_replied_by")
    if not first and isinstance(replies, list) and replies and isinstance(replies[0], dict):
        first = replies[0].get("agent")
    if first:
        return str(first)
    if m.get("replied_by"):
        return str(m["replied_by"])
    resolver = m.get("resolved_by") or known.get("resolved_by") if m.get("status") in ("resolved", "ignored") else None
    if resolver:
        return str(resolver)
    return str(m["assignee"]) if m.get("assignee") else None
