"""Who did the work: per-agent figures read from the audit trail (`audit.py`), on either backend.

Assignment says who was meant to do the work; the audit log says who did it. For a period
[since, until) of the entries' time (`at`), each agent's acts are counted *per case*: a change
that `cases.sync` carries over to the rest of a case writes audit entries that name the `case`
(on a follow-up) or the member it came `via` (on the root); those are the same act and are
never counted again (nor do they start or end a handle time). The acts:

* claimed: cases the agent took (`claim`, or `assign` to themselves).
* assigned to: cases someone else assigned to the agent; assigned by: cases the agent assigned
  to someone else (priya's `assign ... --to tom` is "assigned by" for priya, "assigned to" for tom).
  `assigned`, in the JSON, is claimed + assigned to (the cases the agent was given).
* first replies: replies that gave a case its first response (one per case: a later first reply
  to one of its follow-ups is a reply, not a first reply); replies: every reply the agent sent
  (satisfaction surveys are not replies).
* resolved / ignored: changes to that status by the agent; notes, tags (`tag` actions),
  escalations: the agent's own entries. One command acting on several members of one case at
  the same second (a bulk resolve, a tag) counts once.
* handle time: from the moment a case was assigned to (or claimed by) the agent to that agent's
  first reply in, or resolution of, the case after that, in business time
  (`sla.Policy.elapsed`), counted in the period of the reply or resolution; work on a case never
  assigned to the agent has no handle time. Median and count (one per assignment).

Which case a mention belongs to comes from the carried entries themselves and from the
mentions (`Ledger.note_case`, which `report.kpi.compute` calls for each mention it reads).

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
COUNTS = ("claimed", "assigned_to", "assigned_by", "first_replies", "replies", "resolved", "ignored", "notes", "tags",
          "escalations")
#: Acts that one command can do to several members of a case at once (counted once per case and second).
_ONCE_PER_CASE = frozenset({"claimed", "assigned_to", "assigned_by", "resolved", "ignored", "notes", "tags",
                            "escalations"})


class Work:
    """One agent's acts in a period (counts of COUNTS) and handle times."""

    def __init__(self, agent: str) -> None:
        self.agent = agent
        self.counts: Counter[str] = Counter()
        self.handle: list[float] = []

    def result(self) -> dict:
        counts = {kind: self.counts[kind] for kind in COUNTS}
        return {"agent": self.agent, **counts, "assigned": counts["claimed"] + counts["assigned_to"],
                "handle_time_median_s": seconds(percentile(self.handle, 0.5)), "handle_time_n": len(self.handle)}


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
        self.credit: dict[str, dict[str, str]] = {}
        #: mention id -> its case's root id (only members of a case with follow-ups)
        self.cases: dict[str, str] = {}
        # the agents' own entries, reduced to what counting needs:
        # (at, agent, action, mention, new assignee, first response?, new status)
        self._own: list[tuple[datetime, str, str, str, str | None, bool, str | None]] = []
        self._acts: list[tuple[datetime, str, str, str, float | None]] | None = None
        for e in entries:
            at = time_or_none(e.get("at"))
            agent, action, mid = e.get("agent"), e.get("action"), e.get("id")
            if at is None or not isinstance(agent, str) or not isinstance(mid, str) or not isinstance(action, str):
                continue
            after = e.get("after") or {}
            first = action == "replied" and bool(after.get("first_response_at")) and not (
                e.get("before") or {}).get("first_response_at")
            if first:  # (a carried first response too: it credits that mention, as it always did)
                self.credit.setdefault(mid, {}).setdefault("first_replied_by", agent)
            # a change carried over to the rest of a case (`cases.sync`) names the `case` or the member
            # it came `via`: it is the same piece of work, counted once (it only tells the case apart)
            if isinstance(e.get("case"), str):
                self.cases.setdefault(mid, e["case"])
                continue
            if isinstance(e.get("via"), str):
                self.cases.setdefault(e["via"], mid)
                continue
            status = _status_change(e)
            if status in ("resolved", "ignored"):
                self.credit.setdefault(mid, {})["resolved_by"] = agent
            assignee = str(after["assignee"]) if action in ("claim", "assign") and after.get("assignee") else None
            self._own.append((at, agent, action, mid, assignee, first, status))

    def note_case(self, m: dict) -> None:
        """Record which case the mention belongs to (its `case_id`), before `work` is asked."""
        case = m.get("case_id")
        if isinstance(case, str) and case and case != m.get("id"):
            self.cases[str(m.get("id"))] = case
            self._acts = None

    def _case(self, mid: str) -> str:
        return self.cases.get(mid, mid)

    @property
    def acts(self) -> list[tuple[datetime, str, str, str, float | None]]:
        """(at, agent, kind, case, handle seconds or None) for every counted act, in the log's order."""
        if self._acts is None:
            self._acts = self._count()
        return self._acts

    def _count(self) -> list[tuple[datetime, str, str, str, float | None]]:
        acts: list[tuple[datetime, str, str, str, float | None]] = []
        held: dict[str, tuple[str, datetime]] = {}  # case -> (assignee, since)
        answered: set[str] = set()  # cases whose first reply was counted
        seen: set[tuple[str, str, str, datetime]] = set()

        def act(at: datetime, agent: str, kind: str, case: str, handle: float | None = None) -> None:
            if kind in _ONCE_PER_CASE:
                key = (agent, kind, case, at)
                if key in seen:
                    return
                seen.add(key)
            acts.append((at, agent, kind, case, handle))

        def work(at: datetime, agent: str, kind: str, case: str) -> None:
            """A reply or a resolution; it ends the agent's handling of the case, if the agent held it."""
            handle = None
            holder = held.get(case)
            if holder is not None and holder[0] == agent and at >= holder[1]:
                handle = self.policy.elapsed(holder[1], at).total_seconds()
                del held[case]
            act(at, agent, kind, case, handle)

        for at, agent, action, mid, assignee, first, status in self._own:
            case = self._case(mid)
            if assignee is not None:
                held[case] = (assignee, at)
                if action == "claim" or assignee == agent:
                    act(at, assignee, "claimed", case)
                else:
                    act(at, assignee, "assigned_to", case)
                    act(at, agent, "assigned_by", case)
            elif action == "unassign":
                held.pop(case, None)
            if action == "replied":
                work(at, agent, "replies", case)
                if first and case not in answered:
                    answered.add(case)
                    act(at, agent, "first_replies", case)
            if status in ("resolved", "ignored"):
                work(at, agent, status, case)
            if action == "note":
                act(at, agent, "notes", case)
            elif action == "tag":
                act(at, agent, "tags", case)
            elif action == "escalate":
                act(at, agent, "escalations", case)
        return acts

    def work(self, since: datetime, until: datetime) -> list[dict]:
        """Per-agent figures of the acts in [since, until), most active first."""
        agents: dict[str, Work] = {}
        for at, agent, kind, _case, handle in self.acts:
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
