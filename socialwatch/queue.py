"""Selecting and ordering the queue: the filters shared by triage, export and bulk commands."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from socialwatch import model
from socialwatch.model import effective_priority


@dataclass
class Filters:
    """Conditions a mention must meet; empty fields match everything."""

    sources: set[str] = field(default_factory=set)
    statuses: set[str] = field(default_factory=set)
    min_priority: int | None = None
    below_priority: int | None = None
    angry: bool = False
    viral: bool = False
    assignee: str | None = None
    tags: set[str] = field(default_factory=set)
    text: str | None = None
    older_than: datetime | None = None
    since: datetime | None = None
    until: datetime | None = None
    followups: bool = True  # include follow-ups that joined a case (triage shows cases only)
    hide_snoozed: bool = False  # leave out mentions snoozed until later (triage and claim do)
    needs_response: bool = False
    intents: set[str] = field(default_factory=set)
    languages: set[str] = field(default_factory=set)
    #: The time the priority filters and the order are computed at (waiting rises with the
    #: clock); None: now, read when the filters are applied.
    now: datetime | None = field(default=None, compare=False)

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> "Filters":
        return cls(
            sources=set(options.get("source") or ()),
            statuses=set(options.get("status") or ()),
            min_priority=options.get("min_priority"),
            below_priority=options.get("below_priority"),
            angry=bool(options.get("angry")),
            viral=bool(options.get("viral")),
            assignee=options.get("assignee"),
            tags=set(options.get("tags") or ()),
            text=options.get("text"),
            older_than=options.get("older_than"),
            since=options.get("since"),
            until=options.get("until"),
            needs_response=bool(options.get("needs_response")),
            intents=set(options.get("intent") or ()),
            languages={str(x).lower() for x in options.get("language") or ()},
        )

    def at(self) -> datetime:
        """The time the live priority is computed at (fixed on first use)."""
        if self.now is None:
            self.now = model.utcnow()
        return self.now

    def matches(self, m: dict) -> bool:
        if not self.followups and m.get("case_id") and m.get("case_id") != m.get("id"):
            return False
        if self.hide_snoozed and m.get("snoozed_until") and is_snoozed(m):
            return False
        if self.sources and m.get("source") not in self.sources:
            return False
        if self.statuses and m.get("status") not in self.statuses:
            return False
        prio = effective_priority(m, self.at()) if (self.min_priority is not None or self.below_priority is not None) else 0
        if self.min_priority is not None and prio < self.min_priority:
            return False
        if self.below_priority is not None and prio >= self.below_priority:
            return False
        score = m.get("score") or {}
        if self.angry and not score.get("angry"):
            return False
        if self.viral and not score.get("viral"):
            return False
        if self.needs_response and not score.get("needs_response"):
            return False
        if self.intents and score.get("intent") not in self.intents:
            return False
        if self.languages and (score.get("language") or m.get("lang") or "").lower() not in self.languages:
            return False
        if self.assignee is not None:
            want = None if self.assignee.lower() in ("none", "-", "") else self.assignee
            if m.get("assignee") != want:
                return False
        if self.tags and not self.tags <= set(m.get("tags") or ()):
            return False
        if self.text and self.text.casefold() not in (m.get("text") or "").casefold():
            return False
        created = m.get("created_at") or ""
        if self.older_than is not None and created >= _iso(self.older_than):
            return False
        if self.since is not None and created < _iso(self.since):
            return False
        if self.until is not None and created >= _iso(self.until):
            return False
        return True


def is_snoozed(m: dict, now: datetime | None = None) -> bool:
    """Whether the mention is snoozed until a time still to come."""
    until = m.get("snoozed_until")
    if not until:
        return False
    from socialwatch.model import iso, utcnow

    return str(until) > iso(now or utcnow())


def _iso(dt: datetime) -> str:
    from socialwatch.model import iso

    return iso(dt)


def sort_key(m: dict, now: datetime | None = None) -> tuple:
    """Highest effective priority at `now` (default: the current time) first; among equals,
    the longest-waiting first."""
    return (-effective_priority(m, now or model.utcnow()), m.get("created_at") or "", m.get("id") or "")


def select(mentions: Iterable[dict], filters: Filters) -> list[dict]:
    """The matching mentions, highest priority (at `filters.now`) first."""
    now = filters.at()
    return sorted((m for m in mentions if filters.matches(m)), key=lambda m: sort_key(m, now))
